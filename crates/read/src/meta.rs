//! Meta Content Library CSV downloads of Facebook and Instagram posts: the API's field names,
//! flattened with dots (`id, creation_time, text, post_owner.id, post_owner.name,
//! post_owner.username, post_owner.type, surface.*, statistics.*, multimedia, mcl_url,
//! is_branded_content, …`).
//!
//! The account is `post_owner.username` where the file has it (Instagram handles), else
//! `post_owner.id`; a display name alone names no one and is quarantined as a missing account.
//! A row with `shared_post_id` is a share of that post. Links come from `link_attachment.link`
//! (or `link_url`) and the text, hashtags from the `hashtags` column where filled, else the text.
//! `multimedia` holds expiring CDN addresses, not content hashes, and is not used.
//!
//! The platform: a `platform` column if there is one; else the row's `mcl_url`
//! (`…/instagram/…` or `…/facebook/…`); else the file's columns: Facebook posts have
//! `surface.*`, reaction and share counts, link attachments and reshares, Instagram's do not.

use lockstep_core::{Event, Kind};

use crate::set_entities;
use crate::table::{parse_list, Header, Row};
use crate::time::parse_time;

pub(crate) struct Columns {
    id: usize,
    creation_time: usize,
    owner_id: Option<usize>,
    owner_username: Option<usize>,
    text: Option<usize>,
    hashtags: Option<usize>,
    links: Vec<usize>,
    shared_post_id: Option<usize>,
    mcl_url: Option<usize>,
    platform: Option<usize>,
    /// The platform the columns say, when a row says nothing.
    default_platform: &'static str,
}

impl Columns {
    pub(crate) const REQUIRED: &'static str =
        "id, creation_time, post_owner.username or post_owner.id (or post_owner.name)";

    pub(crate) fn find(h: &Header) -> Option<Self> {
        let [id, creation_time] = h.find_all(["id", "creation_time"])?;
        let (owner_id, owner_username) = (h.find("post_owner.id"), h.find("post_owner.username"));
        if owner_id.is_none() && owner_username.is_none() && h.find("post_owner.name").is_none() {
            return None;
        }
        let facebook = [
            "surface.id",
            "surface.type",
            "statistics.reaction_count",
            "statistics.share_count",
            "link_attachment.link",
            "shared_post_id",
        ]
        .iter()
        .any(|c| h.find(c).is_some());
        let default_platform = if facebook || owner_username.is_none() {
            "facebook"
        } else {
            "instagram"
        };
        Some(Columns {
            id,
            creation_time,
            owner_id,
            owner_username,
            text: h.find("text"),
            hashtags: h.find("hashtags"),
            links: ["link_attachment.link", "link_url"]
                .iter()
                .filter_map(|c| h.find(c))
                .collect(),
            shared_post_id: h.find("shared_post_id"),
            mcl_url: h.find("mcl_url"),
            platform: h.find("platform"),
            default_platform,
        })
    }

    pub(crate) fn event(&self, row: &Row) -> Result<Event, String> {
        let id = row.required(self.id, "id")?;
        let account = match row.id(self.owner_username, "account (post_owner.username)")? {
            Some(a) => a,
            None => row
                .id(self.owner_id, "account (post_owner.id)")?
                .ok_or("missing account (post_owner.id)")?,
        };
        let time = parse_time(&row.get(self.creation_time))?;
        let mut e = Event::new(id, account, time);
        e.platform = self.platform(row)?;
        e.text = row.text(self.text);
        if let Some(shared) = row.id(self.shared_post_id, "parent (shared_post_id)")? {
            e.kind = Kind::Share;
            e.parent = Some(shared);
        }
        let tags = row
            .ident(self.hashtags, "hashtags")?
            .map(parse_list)
            .filter(|t| !t.is_empty());
        set_entities(&mut e, tags, None, None);
        for &c in &self.links {
            if let Some(link) = row.id(Some(c), "urls")? {
                if !e.urls.contains(&link) {
                    e.urls.push(link);
                }
            }
        }
        Ok(e)
    }

    fn platform(&self, row: &Row) -> Result<String, String> {
        if let Some(p) = row.ident(self.platform, "platform")? {
            return Ok(p.to_lowercase());
        }
        // Only looked at, never kept: a link that is not valid UTF-8 says nothing.
        if let Some(url) = row.value(self.mcl_url) {
            for p in ["instagram", "facebook"] {
                if url.contains(&format!("/{p}/")) {
                    return Ok(p.to_string());
                }
            }
        }
        Ok(self.default_platform.to_string())
    }
}
