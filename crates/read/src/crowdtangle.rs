//! CrowdTangle link shares: the posts CooRnet's `get_ctshares` collects from the CrowdTangle
//! API's links endpoint (and writes out as `ct_shares.df`, `ct_shares_marked.df`), which
//! CrowdTangle's own newer CSV exports share: flattened API fields such as `id, platformId,
//! platform, date, type, message, expanded, postUrl, account.id, account.name,
//! account.handle, account.url, account.platform, account.subscriberCount, …`.
//!
//! As in CooRnet, an account is the page, group or profile named by `account.url` (or
//! `account.id` in a table without URLs), the time is `date` (UTC) and the shared link is
//! `expanded` (CooRnet's unnested `expandedLinks`; else `expandedLinks.expanded`,
//! `expandedLinks.original` or `link`). The platform is what the data says: `platform`,
//! else `account.platform`, else the host of `account.url`. The text is `message`, else
//! `description` (Instagram captions). R writes a missing value as `NA`.

use lockstep_core::Event;

use crate::table::{Header, Row};
use crate::time::parse_time;
use crate::{parse_count, set_entities};

/// Column positions of a CrowdTangle / CooRnet share table.
pub(crate) struct Columns {
    date: usize,
    account_url: Option<usize>,
    account_id: Option<usize>,
    /// The post: CrowdTangle's `id`, else `platformId`, else `postUrl`.
    post_ids: [Option<usize>; 3],
    link: Option<usize>,
    platform: Option<usize>,
    account_platform: Option<usize>,
    message: Option<usize>,
    description: Option<usize>,
    subscribers: Option<usize>,
}

impl Columns {
    pub(crate) const REQUIRED: &'static str =
        "date, account.url or account.id, and id, platformid or posturl";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let date = h.find("date")?;
        let (account_url, account_id) = (h.find("account.url"), h.find("account.id"));
        let post_ids = [h.find("id"), h.find("platformid"), h.find("posturl")];
        if account_url.is_none() && account_id.is_none() || post_ids.iter().all(Option::is_none) {
            return None;
        }
        Some(Columns {
            date,
            account_url,
            account_id,
            post_ids,
            link: h.find_any(&[
                "expanded",
                "expandedlinks.expanded",
                "expandedlinks.original",
                "link",
            ]),
            platform: h.find("platform"),
            account_platform: h.find("account.platform"),
            message: h.find("message"),
            description: h.find("description"),
            subscribers: h.find("account.subscribercount"),
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        // R's missing value.
        let given = |v: Option<String>| v.filter(|v| v != "NA");
        let mut id = None;
        for (i, what) in self
            .post_ids
            .iter()
            .zip(["id", "id (platformId)", "id (postUrl)"])
        {
            if let Some(v) = given(row.id(*i, what)?) {
                id = Some(v);
                break;
            }
        }
        let id = id.ok_or("missing id (id, platformId or postUrl)")?;
        let account = if self.account_url.is_some() {
            let url = given(row.id(self.account_url, "account (account.url)")?)
                .ok_or("missing account (account.url)")?;
            // CrowdTangle's answer for an account it cannot name; CooRnet drops these rows.
            if url.ends_with("/null") {
                return Err(format!(
                    "account.url is {url:?}: CrowdTangle did not name the account"
                ));
            }
            url
        } else {
            given(row.id(self.account_id, "account (account.id)")?)
                .ok_or("missing account (account.id)")?
        };
        let mut e = Event::new(id, account, parse_time(&row.get(self.date))?);
        let platform = match given(row.id(self.platform, "platform")?) {
            Some(p) => Some(p),
            None => given(row.id(self.account_platform, "platform (account.platform)")?),
        };
        e.platform = platform
            .or_else(|| {
                let host = e.account.to_ascii_lowercase();
                ["instagram", "facebook"]
                    .into_iter()
                    .find(|p| host.contains(&format!("{p}.com")))
                    .map(str::to_string)
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        let text = |i| row.text(i).filter(|t| t != "NA");
        e.text = text(self.message).or_else(|| text(self.description));
        let link = given(row.id(self.link, "urls (expanded)")?);
        set_entities(&mut e, None, None, Some(link.into_iter().collect()));
        e.followers = row.value(self.subscribers).and_then(|f| parse_count(&f));
        Ok(e)
    }
}
