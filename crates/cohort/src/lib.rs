//! The cohort stage: accounts outside a cluster that amplify it. Paid creators and other
//! co-opted accounts have long organic histories of their own and write their own captions,
//! so they share no script and rarely a minute with the core network; what they share is a
//! brief: the campaign's traces (hashtags, sounds, links) posted on the campaign's days,
//! within a few hours of each other, again and again.
//!
//! For each core cluster:
//!
//! 1. **Campaign traces**: hashtags, sounds and links that at least [`MEMBER_SHARE`] of its
//!    members use, [`LIFT`] times the share of the accounts outside the clusters, with
//!    members at least [`CORE_SHARE`] as many as the accounts outside who use it (a trend
//!    the cluster joined is not its trace); and the traces the
//!    posts of accounts outside carry *beside* those far more often than chance ([`LIFT`]
//!    times, in at least [`CO_SHARE`] of the trace's posts, by at least `min_cohort`
//!    accounts): a campaign's hashtag that its core never uses but its audience tags beside
//!    the core's marker.
//! 2. **Campaign windows**: the hours in which accounts outside every cluster adopted a
//!    campaign trace at once, far more than its background predicts. The background of an
//!    interval is the trace's rate on the days around or on the rest of the same day,
//!    whichever is higher, spread over the hours as all activity is; its overdispersion (quasi-Poisson, from the trace's own disjoint intervals) is
//!    divided out. Every interval of 1, 2, 4 and 8 hours is tested (Poisson); the discrete
//!    Benjamini–Hochberg step-up ([`discrete_bh`]) over all of them at `fdr`. The windows are
//!    the minimal significant intervals (holding no smaller significant one), the hours of
//!    larger ones that are themselves far in excess, and — as a scan statistic takes its
//!    clusters — the significant intervals of largest likelihood ratio that overlap no
//!    stronger one (a brief posted over four hours is one window, not its peak hour), with
//!    at least `min_cohort` distinct accounts each. Twice: the second background leaves out
//!    the first windows. Each window then reaches [`MARGIN`] hours either side: the scan
//!    finds a burst's busiest hours, and creators also post at a brief's weaker edges. A
//!    popular trace used by thousands over weeks has a high background and no windows.
//! 3. **Amplifiers**: for every account outside the clusters with at least
//!    `min_active_days` active days, and every campaign trace it used: of the clock hours in
//!    which it posted the trace (`n`), how many fall in the trace's windows (`x`), against
//!    `p`, the largest of the share of the account's *other* hours (without the cluster's
//!    campaign traces) in the windows — its own clock —, the share of the whole data's
//!    activity in them and the share of the trace's background in them.
//!    `P(Binomial(n, p) ≥ x)`, set to 1 unless the hours in windows are on at least
//!    `min_days` distinct days and are at least [`CONCENTRATION`] of the `n`; the discrete
//!    step-up over every test at `fdr`. A genuine
//!    supporter posts the campaign's tags on their own clock over the weeks: a few of their
//!    uses land in windows, as many as their clock predicts. An account is an amplifier of
//!    the cluster of its strongest rejected test.
//!
//! Every sum is an integer or taken in a fixed order and every sort is total, so the result
//! is a function of the content (account and trace ids are canonical after ingest).

use lockstep_graph::Cluster;
use lockstep_ingest::Ingested;
use lockstep_trace::LayerKind;
use rustc_hash::FxHashMap;

/// Milliseconds in an hour and a day.
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 86_400_000;

/// A trace is a cluster's own when at least this share of its members use it, [`LIFT`]
/// times the share of the accounts outside the clusters…
pub const MEMBER_SHARE: f64 = 0.1;
/// …and its members are at least this share of the accounts outside the clusters that use
/// it (a trend the cluster joined is not its trace).
pub const CORE_SHARE: f64 = 0.1;
/// How much more a cluster's trace is used by its members than by the accounts outside
/// (as shares), and a co-used trace beside the cluster's traces than posts in general are.
pub const LIFT: f64 = 10.0;
/// A co-used trace appears beside the cluster's own traces in at least this share of its
/// posts by accounts outside the clusters.
pub const CO_SHARE: f64 = 0.2;
/// An amplifier's use of a trace is concentrated in its windows: at least this share of its
/// hours with the trace are in them (a supporter who also posted in a window or two is not).
pub const CONCENTRATION: f64 = 0.5;
/// Hours a campaign window reaches either side of the burst the scan found.
pub const MARGIN: usize = 1;
/// Lengths (hours) of the intervals tested for a burst of adoption.
pub const SCALES: [usize; 4] = [1, 2, 4, 8];
/// The background of a trace on a day is its use on this many days either side.
pub const BACKGROUND_DAYS: i64 = 3;
/// An order is used by members of one cluster: at least this share of the accounts that
/// use it within the members' span of use…
pub const ORDER_SHARE: f64 = 0.5;
/// …within this span (ms): material handed out for posting at once.
pub const ORDER_SPAN: i64 = 2 * DAY;
/// An executor executed at least this many distinct orders.
pub const MIN_ORDERS: u32 = 2;
/// The median of the χ² distribution with one degree of freedom.
const CHI2_1_MEDIAN: f64 = 0.454_936_423_119_572_8;

/// The stage's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortParams {
    /// Benjamini–Hochberg rate, for the campaign windows and for the amplifiers.
    pub fdr: f64,
    /// A candidate has a history: at least this many distinct active days.
    pub min_active_days: u32,
    /// Its hours in campaign windows fall on at least this many distinct days.
    pub min_days: u32,
    /// A campaign window (and a co-used trace) has at least this many distinct accounts.
    pub min_cohort: u32,
}

impl Default for CohortParams {
    fn default() -> Self {
        CohortParams {
            fdr: 0.05,
            min_active_days: 7,
            min_days: 2,
            min_cohort: 3,
        }
    }
}

/// An account reported as amplifying a cluster, with the figures of its test.
#[derive(Debug, Clone, PartialEq)]
pub struct Amplifier {
    pub account: u32,
    pub cluster: u32,
    /// What it did: adopted campaign traces in campaign windows, or executed the core's orders.
    pub kind: AmplifierKind,
    /// The campaign traces whose tests were rejected (`layer:key`), sorted.
    pub traces: Vec<String>,
    /// The days (days since the epoch, UTC) of its hours in those traces' windows, sorted.
    pub days: Vec<i64>,
    /// Of its strongest test: clock hours in which it posted the trace (`n`)…
    /// (an executor: its posts carrying a sound, link or media)…
    pub hours: u32,
    /// …of them in those traces' windows (`x`)… (an executor: the distinct orders it
    /// executed)…
    pub in_windows: u32,
    /// …and how many its own clock predicts there (`n·p`).
    pub expected: f64,
    pub p_value: f64,
    pub q_value: f64,
}

/// How an amplifier amplifies its cluster.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AmplifierKind {
    /// Posted the cluster's campaign traces in its campaign windows, again and again.
    Adopter,
    /// Posted the cluster's orders (sounds, links, media only its members use) while the
    /// members posted them, far more often than chance.
    Executor,
}

/// A cluster's campaign trace and its windows.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTrace {
    pub cluster: u32,
    /// `layer:key`.
    pub trace: String,
    /// Used by the members themselves (else: beside the members' traces in others' posts).
    pub own: bool,
    /// The windows: `[start, end)` in ms, merged, in order.
    pub windows: Vec<(i64, i64)>,
}

/// The stage's output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cohorts {
    /// By cluster, then by q-value, then by account.
    pub amplifiers: Vec<Amplifier>,
    /// By cluster, then by trace.
    pub traces: Vec<CampaignTrace>,
    /// (account, cluster) pairs tested.
    pub tested: u64,
}

/// The items an event carries: its hashtags (ids `0..n_tags`) and its sound and link traces
/// (`n_tags + trace`).
struct Items<'a> {
    ing: &'a Ingested,
    n_tags: u32,
    extra_at: Vec<u32>,
    extra: Vec<u32>,
}

impl<'a> Items<'a> {
    fn new(ing: &'a Ingested) -> Items<'a> {
        let n_tags = ing.table.n_tags() as u32;
        let mut pairs: Vec<(u32, u32)> = ing
            .hits
            .iter()
            .filter(|h| matches!(ing.traces.layer(h.trace), LayerKind::Sound | LayerKind::Url))
            .map(|h| (h.event, n_tags + h.trace))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let n_ev = ing.table.len();
        let mut extra_at = vec![0u32; n_ev + 1];
        for &(ev, _) in &pairs {
            extra_at[ev as usize + 1] += 1;
        }
        for i in 0..n_ev {
            extra_at[i + 1] += extra_at[i];
        }
        Items {
            ing,
            n_tags,
            extra_at,
            extra: pairs.into_iter().map(|(_, i)| i).collect(),
        }
    }

    fn of(&self, ev: u32) -> impl Iterator<Item = u32> + '_ {
        let e = ev as usize;
        self.ing.table.tags_of(ev).iter().copied().chain(
            self.extra[self.extra_at[e] as usize..self.extra_at[e + 1] as usize]
                .iter()
                .copied(),
        )
    }

    fn key(&self, item: u32) -> String {
        if item < self.n_tags {
            format!("{}:{}", LayerKind::Hashtag.name(), self.ing.table.tag(item))
        } else {
            self.ing.traces.key(item - self.n_tags).to_string()
        }
    }
}

/// Finds the amplifiers of `clusters`: the adopters (campaign traces in campaign windows)
/// and the executors (the core's own sounds, links and media while the core posts them).
/// An account that is both is reported once, as an adopter. `ingested.hits` may be in any
/// order.
pub fn amplifiers(ing: &Ingested, clusters: &[Cluster], p: &CohortParams) -> Cohorts {
    if clusters.is_empty() || ing.table.is_empty() {
        return Cohorts::default();
    }
    let acc = Accounts::new(ing, clusters);
    let mut cohorts = adopters(ing, clusters, &acc, p);
    let (executors, tested) = executors(ing, clusters, &acc, p);
    cohorts.tested += tested;
    let adopted: rustc_hash::FxHashSet<u32> =
        cohorts.amplifiers.iter().map(|a| a.account).collect();
    cohorts.amplifiers.extend(
        executors
            .into_iter()
            .filter(|e| !adopted.contains(&e.account)),
    );
    cohorts.amplifiers.sort_by(|x, y| {
        x.cluster
            .cmp(&y.cluster)
            .then(x.q_value.total_cmp(&y.q_value))
            .then(x.account.cmp(&y.account))
    });
    cohorts
}

/// What both tests need of every account: its cluster (0: none) and its active days.
struct Accounts {
    cluster_of: Vec<u32>,
    active_days: Vec<u32>,
}

impl Accounts {
    fn new(ing: &Ingested, clusters: &[Cluster]) -> Accounts {
        let table = &ing.table;
        let n_acc = table.n_accounts();
        let mut cluster_of = vec![0u32; n_acc];
        for c in clusters {
            for &m in &c.members {
                cluster_of[m as usize] = c.id;
            }
        }
        let mut active_days = vec![0u32; n_acc];
        let mut last_day = vec![i64::MIN; n_acc];
        for ev in 0..table.len() as u32 {
            let a = table.account(ev) as usize;
            let d = table.time(ev).div_euclid(DAY);
            if d != last_day[a] {
                // Events are in time order (ingest's canonical order), so a day is met once.
                last_day[a] = d;
                active_days[a] += 1;
            }
        }
        Accounts {
            cluster_of,
            active_days,
        }
    }
}

/// Step 1–3 of the module's description: accounts that adopt the campaign's traces in its
/// campaign windows.
fn adopters(ing: &Ingested, clusters: &[Cluster], acc: &Accounts, p: &CohortParams) -> Cohorts {
    let table = &ing.table;
    let n_acc = table.n_accounts();
    let n_ev = table.len();
    let items = Items::new(ing);
    let (cluster_of, active_days) = (&acc.cluster_of[..], &acc.active_days[..]);
    let n_clusters = clusters.iter().map(|c| c.id).max().unwrap_or(0) as usize;
    let size_of = {
        let mut s = vec![0usize; n_clusters + 1];
        for c in clusters {
            s[c.id as usize] = c.members.len();
        }
        s
    };

    // The clock: hours from the first event's, activity per hour, active days per account.
    let times = table.times();
    let h0 = times.iter().min().copied().unwrap_or(0).div_euclid(HOUR);
    let h1 = times.iter().max().copied().unwrap_or(0).div_euclid(HOUR);
    let n_hours = (h1 - h0 + 1) as usize;
    let hour = |ev: u32| (table.time(ev).div_euclid(HOUR) - h0) as usize;
    let mut activity = vec![0u64; n_hours];
    for ev in 0..n_ev as u32 {
        activity[hour(ev)] += 1;
    }

    // 1. The clusters' own traces: (cluster, item, member) once each.
    let mut member_use: Vec<(u32, u32, u32)> = Vec::new();
    let mut outside_posts = 0u64;
    for ev in 0..n_ev as u32 {
        let a = table.account(ev);
        let c = cluster_of[a as usize];
        if c == 0 {
            outside_posts += 1;
            continue;
        }
        member_use.extend(items.of(ev).map(|i| (c, i, a)));
    }
    member_use.sort_unstable();
    member_use.dedup();
    let mut own_candidates: Vec<(u32, u32, u32)> = Vec::new(); // (cluster, item, members)
    for run in member_use.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        let (c, i) = (run[0].0, run[0].1);
        let size = size_of[c as usize];
        let need = ((MEMBER_SHARE * size as f64).ceil() as usize).max(2);
        if run.len() >= need {
            own_candidates.push((c, i, run.len() as u32));
        }
    }
    drop(member_use);
    let outside_users = users_outside(&items, table, cluster_of, &own_candidates);
    let mut own: Vec<(u32, u32)> = Vec::new(); // (cluster, item)
    let n_outside = n_acc - cluster_of.iter().filter(|&&c| c != 0).count();
    for &(c, i, m) in &own_candidates {
        // Far more the members' than anyone's ([`LIFT`]), and the cluster is a source of it,
        // not a drop in a trend: its members are at least [`CORE_SHARE`] as many as the
        // accounts outside who use it.
        let u = outside_users.get(&i).copied().unwrap_or(0);
        let share = f64::from(m) / size_of[c as usize] as f64;
        let background = f64::from(u) / n_outside.max(1) as f64;
        if share >= LIFT * background && f64::from(m) >= CORE_SHARE * f64::from(u) {
            own.push((c, i));
        }
    }
    own.sort_unstable();
    let mut own_of: FxHashMap<u32, Vec<u32>> = FxHashMap::default(); // item → clusters
    for &(c, i) in &own {
        own_of.entry(i).or_default().push(c);
    }

    // Traces others' posts carry beside a cluster's own ones.
    let n_items = items.n_tags as usize + ing.traces.len();
    let mut posts_of = vec![0u32; n_items];
    let mut with_own = vec![0u64; n_clusters + 1];
    let mut co: Vec<(u32, u32, u32)> = Vec::new(); // (cluster, item, account) per post
    let mut here: Vec<u32> = Vec::new();
    let mut ev_items: Vec<u32> = Vec::new();
    for ev in 0..n_ev as u32 {
        let a = table.account(ev);
        if cluster_of[a as usize] != 0 {
            continue;
        }
        ev_items.clear();
        ev_items.extend(items.of(ev));
        here.clear();
        for i in &ev_items {
            posts_of[*i as usize] += 1;
            if let Some(cs) = own_of.get(i) {
                here.extend(cs);
            }
        }
        here.sort_unstable();
        here.dedup();
        for &c in &here {
            with_own[c as usize] += 1;
            for &i in &ev_items {
                if own.binary_search(&(c, i)).is_err() {
                    co.push((c, i, a));
                }
            }
        }
    }
    co.sort_unstable();
    let mut campaign: Vec<(u32, u32, bool)> = own.iter().map(|&(c, i)| (c, i, true)).collect();
    for run in co.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        let (c, i) = (run[0].0, run[0].1);
        let posts = run.len() as f64;
        let accounts = 1 + run.windows(2).filter(|w| w[0].2 != w[1].2).count();
        let total = f64::from(posts_of[i as usize]);
        let base = with_own[c as usize] as f64 / outside_posts.max(1) as f64;
        if accounts >= p.min_cohort as usize
            && posts >= CO_SHARE * total
            && posts / total >= LIFT * base
        {
            campaign.push((c, i, false));
        }
    }
    drop(co);
    campaign.sort_unstable();
    if campaign.is_empty() {
        return Cohorts::default();
    }

    // 2. Windows per campaign item, from the adoption of accounts outside every cluster.
    let mut slots: Vec<u32> = campaign.iter().map(|x| x.1).collect();
    slots.sort_unstable();
    slots.dedup();
    let slot_of: FxHashMap<u32, usize> = slots.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let mut uses: Vec<(u32, u32, u32)> = Vec::new(); // (slot, hour, account)
    for ev in 0..n_ev as u32 {
        let a = table.account(ev);
        if cluster_of[a as usize] != 0 {
            continue;
        }
        for i in items.of(ev) {
            if let Some(&s) = slot_of.get(&i) {
                uses.push((s as u32, hour(ev) as u32, a));
            }
        }
    }
    uses.sort_unstable();
    uses.dedup();
    let mut counts = vec![vec![0u32; n_hours]; slots.len()];
    for &(s, h, _) in &uses {
        counts[s as usize][h as usize] += 1;
    }
    let day_of_hour: Vec<usize> = (0..n_hours)
        .map(|h| ((h0 + h as i64).div_euclid(24) - h0.div_euclid(24)) as usize)
        .collect();
    let (windows, shares) = find_windows(&counts, &activity, &day_of_hour, p, |s, lo, hi| {
        // Distinct accounts of slot `s` in hours lo..hi.
        let from = uses.partition_point(|u| (u.0, u.1) < (s as u32, lo as u32));
        let to = uses.partition_point(|u| (u.0, u.1) < (s as u32, hi as u32));
        let mut accs: Vec<u32> = uses[from..to].iter().map(|u| u.2).collect();
        accs.sort_unstable();
        accs.dedup();
        accs.len()
    });
    drop(uses);

    // 3. The candidates: (account, cluster) for accounts outside with a history that used a
    // campaign item of the cluster.
    let mut campaign_of: FxHashMap<u32, Vec<(u32, usize)>> = FxHashMap::default(); // item → (cluster, slot)
    for &(c, i, _) in &campaign {
        campaign_of.entry(i).or_default().push((c, slot_of[&i]));
    }
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for ev in 0..n_ev as u32 {
        let a = table.account(ev);
        if cluster_of[a as usize] != 0 || active_days[a as usize] < p.min_active_days {
            continue;
        }
        for i in items.of(ev) {
            if let Some(cs) = campaign_of.get(&i) {
                pairs.extend(cs.iter().map(|&(c, _)| (a, c)));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    // Each candidate's events, in time order.
    let mut is_candidate = vec![false; n_acc];
    for &(a, _) in &pairs {
        is_candidate[a as usize] = true;
    }
    let mut events_of: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for ev in 0..n_ev as u32 {
        let a = table.account(ev);
        if is_candidate[a as usize] {
            events_of.entry(a).or_default().push(ev);
        }
    }
    let total_activity: u64 = activity.iter().sum();
    let platform_share: Vec<f64> = windows
        .iter()
        .map(|w| w.iter().map(|&h| activity[h]).sum::<u64>() as f64 / total_activity.max(1) as f64)
        .collect();
    let trace_share: Vec<f64> = windows
        .iter()
        .zip(&shares)
        .map(|(w, sh)| w.iter().map(|&h| sh[h]).sum::<f64>().min(1.0))
        .collect();
    // One test per (account, cluster, trace) the account used: of its hours with the
    // trace, those in the trace's windows.
    let mut tests: Vec<Test> = Vec::with_capacity(pairs.len());
    let mut uses: Vec<(usize, usize)> = Vec::new(); // (slot, hour)
    let mut other_hours: Vec<usize> = Vec::new();
    for &(a, c) in &pairs {
        let evs = &events_of[&a];
        let mine = |i: u32| -> Option<usize> {
            campaign_of
                .get(&i)
                .and_then(|cs| cs.iter().find(|x| x.0 == c).map(|x| x.1))
        };
        uses.clear();
        other_hours.clear();
        for run in evs.chunk_by(|&x, &y| hour(x) == hour(y)) {
            let h = hour(run[0]);
            let before = uses.len();
            for &ev in run {
                uses.extend(items.of(ev).filter_map(mine).map(|s| (s, h)));
            }
            if uses.len() == before {
                other_hours.push(h);
            }
        }
        uses.sort_unstable();
        uses.dedup();
        for run in uses.chunk_by(|x, y| x.0 == y.0) {
            let s = run[0].0;
            let w = &windows[s];
            let in_w = |h: &usize| w.binary_search(h).is_ok();
            let window_hours: Vec<usize> = run.iter().map(|u| u.1).filter(in_w).collect();
            // The account's own clock: the share of its other hours (without the cluster's
            // campaign traces) in the windows.
            let p_own = if other_hours.is_empty() {
                0.0
            } else {
                other_hours.iter().filter(|h| in_w(h)).count() as f64 / other_hours.len() as f64
            };
            let prob = platform_share[s].max(p_own).max(trace_share[s]).min(1.0);
            let mut days: Vec<i64> = window_hours
                .iter()
                .map(|&h| (h0 + h as i64).div_euclid(24))
                .collect();
            days.dedup();
            let (n, x) = (run.len() as u32, window_hours.len() as u32);
            // Tarone: a test that could not reach the rate even with every hour in windows
            // (`p^n > fdr`) can never be rejected, and whether it can depends on `n` and `p`
            // alone (not on `x`): it is left out of the multiple-testing count.
            if n < p.min_days || prob.powi(n as i32) > p.fdr {
                continue;
            }
            // Adoption again and again: in the trace's windows on `min_days` days or more,
            // and concentrated there: most of its hours with the trace are in windows.
            let concentrated = f64::from(x) >= CONCENTRATION * f64::from(n);
            let p_value = if days.len() >= p.min_days as usize && concentrated {
                binomial_tail(n, x, prob)
            } else {
                1.0
            };
            tests.push(Test {
                account: a,
                cluster: c,
                slot: s,
                days,
                n,
                x,
                expected: f64::from(n) * prob,
                p_value,
                support: (1..=n).map(|k| binomial_tail(n, k, prob)).collect(),
            });
        }
    }
    let tested = tests.len() as u64;
    let q = discrete_bh(
        &tests.iter().map(|t| t.p_value).collect::<Vec<_>>(),
        &tests.iter().map(|t| t.support.clone()).collect::<Vec<_>>(),
    );
    // One cluster per account: its smallest q (then the smaller cluster id, then the
    // trace's key); the account's other rejected traces of that cluster are named beside.
    let key_of = |k: usize| items.key(slots[tests[k].slot]);
    let mut rejected: Vec<(u32, u32, f64, String, usize)> = (0..tests.len())
        .filter(|&k| q[k] <= p.fdr)
        .map(|k| (tests[k].account, tests[k].cluster, q[k], key_of(k), k))
        .collect();
    rejected.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(x.2.total_cmp(&y.2))
            .then(x.1.cmp(&y.1))
            .then(x.3.cmp(&y.3))
    });
    let mut amplifiers: Vec<Amplifier> = Vec::new();
    for run in rejected.chunk_by(|x, y| x.0 == y.0) {
        let (account, cluster, qv, _, k) = run[0].clone();
        let t = &tests[k];
        let same: Vec<&(u32, u32, f64, String, usize)> =
            run.iter().filter(|r| r.1 == cluster).collect();
        let mut traces: Vec<String> = same.iter().map(|r| r.3.clone()).collect();
        traces.sort();
        let mut days: Vec<i64> = same.iter().flat_map(|r| tests[r.4].days.clone()).collect();
        days.sort_unstable();
        days.dedup();
        amplifiers.push(Amplifier {
            account,
            cluster,
            kind: AmplifierKind::Adopter,
            traces,
            days,
            hours: t.n,
            in_windows: t.x,
            expected: t.expected,
            p_value: t.p_value,
            q_value: qv,
        });
    }
    amplifiers.sort_by(|x, y| {
        x.cluster
            .cmp(&y.cluster)
            .then(x.q_value.total_cmp(&y.q_value))
            .then(x.account.cmp(&y.account))
    });
    let mut traces: Vec<CampaignTrace> = campaign
        .iter()
        .map(|&(c, i, own)| {
            let s = slot_of[&i];
            CampaignTrace {
                cluster: c,
                trace: items.key(i),
                own,
                windows: merged(&windows[s], h0),
            }
        })
        .collect();
    traces.sort_by(|x, y| x.cluster.cmp(&y.cluster).then(x.trace.cmp(&y.trace)));
    Cohorts {
        amplifiers,
        traces,
        tested,
    }
}

/// The executors of each cluster: accounts outside every cluster with a history that post
/// the cluster's *orders* while its members post them, far more often than chance.
///
/// An order is a sound, link or media trace that at least `min_cohort` members of one
/// cluster use, whose members' uses all fall within [`ORDER_SPAN`], and whose users within
/// that span are at least [`ORDER_SHARE`] members of the cluster: material handed out for simultaneous
/// posting. A hashtag or a text is no order (supporters write the campaign's tags and
/// slogans on their own clock). An outside account executes an order when it posts it
/// within the members' span of use. Of the account's `n` posts carrying a sound, link or
/// media, `x` distinct orders of cluster C executed, against `p_C`, the share of all posts
/// outside the clusters carrying those layers that execute one of C's orders:
/// `P(Binomial(n, p_C) ≥ x)` for `x ≥ MIN_ORDERS`, the discrete step-up at `fdr` over
/// every (account, cluster) pair with an execution. Returns the executors and the count of
/// tests.
fn executors(
    ing: &Ingested,
    clusters: &[Cluster],
    acc: &Accounts,
    p: &CohortParams,
) -> (Vec<Amplifier>, u64) {
    let table = &ing.table;
    let n_acc = table.n_accounts();
    let (cluster_of, active_days) = (&acc.cluster_of[..], &acc.active_days[..]);
    let is_order_layer = |t: u32| {
        matches!(
            ing.traces.layer(t),
            LayerKind::Sound | LayerKind::Url | LayerKind::Media
        )
    };
    // (trace, account, time) of every use of those layers.
    let mut uses: Vec<(u32, u32, i64)> = ing
        .hits
        .iter()
        .filter(|h| is_order_layer(h.trace))
        .map(|h| (h.trace, h.account, h.time))
        .collect();
    uses.sort_unstable();
    uses.dedup();
    // The orders: (trace, cluster, first and last use by a member).
    let mut orders: FxHashMap<u32, (u32, i64, i64)> = FxHashMap::default();
    let mut accounts: Vec<u32> = Vec::new();
    for run in uses.chunk_by(|x, y| x.0 == y.0) {
        accounts.clear();
        accounts.extend(run.iter().map(|u| u.1));
        accounts.dedup(); // sorted by account within a trace
        let mut members: Vec<u32> = accounts
            .iter()
            .map(|&a| cluster_of[a as usize])
            .filter(|&c| c != 0)
            .collect();
        members.sort_unstable();
        let Some(best) = members.chunk_by(|x, y| x == y).max_by_key(|r| r.len()) else {
            continue;
        };
        let (c, m) = (best[0], best.len());
        if m < p.min_cohort as usize {
            continue;
        }
        let member_times = run.iter().filter(|u| cluster_of[u.1 as usize] == c);
        let lo = member_times.clone().map(|u| u.2).min().unwrap_or(0);
        let hi = member_times.map(|u| u.2).max().unwrap_or(0);
        // The cluster's own material in its span: later reuse by fans does not count.
        let mut in_span: Vec<u32> = run
            .iter()
            .filter(|u| (lo..=hi).contains(&u.2))
            .map(|u| u.1)
            .collect();
        in_span.dedup();
        if hi - lo <= ORDER_SPAN && m as f64 >= ORDER_SHARE * in_span.len() as f64 {
            orders.insert(run[0].0, (c, lo, hi));
        }
    }
    if orders.is_empty() {
        return (Vec::new(), 0);
    }
    // Per outside account: its posts carrying those layers (`n`), and per post the
    // clusters whose orders it executes.
    let mut post_layers: Vec<(u32, u32)> = ing // (event, trace)
        .hits
        .iter()
        .filter(|h| cluster_of[h.account as usize] == 0 && is_order_layer(h.trace))
        .map(|h| (h.event, h.trace))
        .collect();
    post_layers.sort_unstable();
    post_layers.dedup();
    let n_clusters = clusters.iter().map(|c| c.id).max().unwrap_or(0) as usize;
    let mut executing_posts = vec![0u64; n_clusters + 1];
    let mut posts = vec![0u32; n_acc];
    let mut outside_posts = 0u64;
    // (account, cluster, trace, time) of each execution.
    let mut executions: Vec<(u32, u32, u32, i64)> = Vec::new();
    let mut here: Vec<u32> = Vec::new();
    for run in post_layers.chunk_by(|x, y| x.0 == y.0) {
        let ev = run[0].0;
        let (a, t) = (table.account(ev), table.time(ev));
        outside_posts += 1;
        posts[a as usize] += 1;
        here.clear();
        for &(_, trace) in run {
            if let Some(&(c, lo, hi)) = orders.get(&trace) {
                if (lo..=hi).contains(&t) {
                    here.push(c);
                    executions.push((a, c, trace, t));
                }
            }
        }
        here.sort_unstable();
        here.dedup();
        for &c in &here {
            executing_posts[c as usize] += 1;
        }
    }
    executions.sort_unstable();
    let mut tests: Vec<Test> = Vec::new();
    let mut keys: Vec<Vec<String>> = Vec::new();
    for run in executions.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        let (a, c) = (run[0].0, run[0].1);
        if active_days[a as usize] < p.min_active_days {
            continue;
        }
        let n = posts[a as usize];
        let prob = (executing_posts[c as usize] as f64 / outside_posts.max(1) as f64).min(1.0);
        let mut traces: Vec<u32> = run.iter().map(|e| e.2).collect();
        traces.dedup();
        let x = (traces.len() as u32).min(n);
        // Tarone: a pair that could not reach the rate with every post an order is left out.
        if n < MIN_ORDERS || prob.powi(n as i32) > p.fdr {
            continue;
        }
        let mut days: Vec<i64> = run.iter().map(|e| e.3.div_euclid(DAY)).collect();
        days.sort_unstable();
        days.dedup();
        let p_value = if x >= MIN_ORDERS {
            binomial_tail(n, x, prob)
        } else {
            1.0
        };
        tests.push(Test {
            account: a,
            cluster: c,
            slot: 0,
            days,
            n,
            x,
            expected: f64::from(n) * prob,
            p_value,
            support: (1..=n).map(|k| binomial_tail(n, k, prob)).collect(),
        });
        let mut names: Vec<String> = traces
            .iter()
            .map(|&t| ing.traces.key(t).to_string())
            .collect();
        names.sort();
        keys.push(names);
    }
    let tested = tests.len() as u64;
    let q = discrete_bh(
        &tests.iter().map(|t| t.p_value).collect::<Vec<_>>(),
        &tests.iter().map(|t| t.support.clone()).collect::<Vec<_>>(),
    );
    // One cluster per account: its smallest q, then the smaller cluster id.
    let mut rejected: Vec<usize> = (0..tests.len()).filter(|&k| q[k] <= p.fdr).collect();
    rejected.sort_by(|&x, &y| {
        (tests[x].account.cmp(&tests[y].account))
            .then(q[x].total_cmp(&q[y]))
            .then(tests[x].cluster.cmp(&tests[y].cluster))
    });
    rejected.dedup_by(|x, y| tests[*x].account == tests[*y].account);
    let found = rejected
        .into_iter()
        .map(|k| {
            let t = &tests[k];
            Amplifier {
                account: t.account,
                cluster: t.cluster,
                kind: AmplifierKind::Executor,
                traces: keys[k].clone(),
                days: t.days.clone(),
                hours: t.n,
                in_windows: t.x,
                expected: t.expected,
                p_value: t.p_value,
                q_value: q[k],
            }
        })
        .collect();
    (found, tested)
}

struct Test {
    account: u32,
    cluster: u32,
    /// The campaign trace tested.
    slot: usize,
    days: Vec<i64>,
    n: u32,
    x: u32,
    expected: f64,
    p_value: f64,
    /// The p-values the test can give below 1 (`P(X ≥ k)`, `k = 1..=n`), decreasing.
    support: Vec<f64>,
}

/// Distinct accounts outside the clusters using each candidate item.
fn users_outside(
    items: &Items,
    table: &lockstep_ingest::EventTable,
    cluster_of: &[u32],
    candidates: &[(u32, u32, u32)],
) -> FxHashMap<u32, u32> {
    let wanted: rustc_hash::FxHashSet<u32> = candidates.iter().map(|x| x.1).collect();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for ev in 0..table.len() as u32 {
        let a = table.account(ev);
        if cluster_of[a as usize] != 0 {
            continue;
        }
        pairs.extend(items.of(ev).filter(|i| wanted.contains(i)).map(|i| (i, a)));
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = FxHashMap::default();
    for run in pairs.chunk_by(|x, y| x.0 == y.0) {
        out.insert(run[0].0, run.len() as u32);
    }
    out
}

/// Hour indices to merged `[start, end)` spans in ms.
fn merged(hours: &[usize], h0: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &h in hours {
        let s = (h0 + h as i64) * HOUR;
        match out.last_mut() {
            Some(last) if last.1 == s => last.1 = s + HOUR,
            _ => out.push((s, s + HOUR)),
        }
    }
    out
}

/// The campaign windows of each trace (its sorted window hours), from `counts[trace][hour]`
/// (distinct adopters per hour), `activity[hour]` (all events) and `day_of_hour` (days
/// numbered from 0). `distinct(trace, lo, hi)` counts the distinct adopters of a trace in
/// hours `lo..hi`.
pub fn find_windows(
    counts: &[Vec<u32>],
    activity: &[u64],
    day_of_hour: &[usize],
    p: &CohortParams,
    distinct: impl Fn(usize, usize, usize) -> usize,
) -> (Vec<Vec<usize>>, Vec<Vec<f64>>) {
    let n_hours = activity.len();
    let n_days = day_of_hour.last().map_or(0, |d| d + 1);
    let mut day_end = vec![0usize; n_days];
    for (h, &d) in day_of_hour.iter().enumerate() {
        day_end[d] = h + 1;
    }
    let weight: Vec<f64> = activity.iter().map(|&a| a as f64).collect();
    let mut excluded: Vec<Vec<bool>> = vec![vec![false; n_hours]; counts.len()];
    let mut windows: Vec<Vec<usize>> = vec![Vec::new(); counts.len()];
    for _pass in 0..2 {
        // Every interval of every scale. Only those clearly above their expectation get an
        // exact p-value (the others keep 1, which only makes the test more conservative);
        // every one gives the largest p-value below 1 it can attain (`attainable`), for the
        // discrete step-up.
        let mut attainable: Vec<f64> = Vec::new();
        // (p, trace, lo, hi, log-likelihood ratio)
        let mut found: Vec<(f64, usize, usize, usize, f64)> = Vec::new();
        let bgs: Vec<Background> = counts
            .iter()
            .zip(&excluded)
            .map(|(c, ex)| Background::new(c, &weight, day_of_hour, ex))
            .collect();
        for (t, ((c, bg), ex)) in counts.iter().zip(&bgs).zip(&excluded).enumerate() {
            let mut pc = vec![0u64; n_hours + 1];
            let mut px = vec![0u32; n_hours + 1];
            for h in 0..n_hours {
                pc[h + 1] = pc[h] + u64::from(c[h]);
                px[h + 1] = px[h] + u32::from(ex[h]);
            }
            for s in SCALES {
                if s > n_hours {
                    continue;
                }
                // Overdispersion (quasi-Poisson): the background's own variance over its
                // expectation, from the disjoint intervals of this length outside windows
                // that expect at least one adopter — robustly, by the median squared Pearson
                // residual over its median under the Poisson (0.455, that of χ²₁), so the
                // bursts themselves do not raise it; at least 1. Counts and expectations are
                // divided by it: a trace whose use swings from hour to hour needs a larger
                // burst.
                let mut residuals: Vec<f64> = Vec::new();
                for lo in (0..=n_hours - s).step_by(s) {
                    let e = bg.expected(lo, lo + s, day_of_hour, &day_end);
                    if px[lo + s] == px[lo] && e >= 1.0 {
                        let k = (pc[lo + s] - pc[lo]) as f64;
                        residuals.push((k - e) * (k - e) / e);
                    }
                }
                let phi = if residuals.len() >= 10 {
                    residuals.sort_by(f64::total_cmp);
                    (residuals[residuals.len() / 2] / CHI2_1_MEDIAN).max(1.0)
                } else {
                    1.0
                };
                let scaled =
                    |k: u64| ((k as f64 / phi).floor() as u64).min(u64::from(u32::MAX)) as u32;
                for lo in 0..=n_hours - s {
                    let hi = lo + s;
                    let k = pc[hi] - pc[lo];
                    let mean = bg.expected(lo, hi, day_of_hour, &day_end) / phi;
                    // Below `min_cohort` adopters an interval is no window: its first
                    // attainable p-value is P(X ≥ min_cohort).
                    attainable.push(lockstep_graph::poisson_tail(
                        mean,
                        scaled(u64::from(p.min_cohort)).max(1),
                    ));
                    let kq = scaled(k);
                    if k < u64::from(p.min_cohort) || f64::from(kq) <= mean + 3.0 * mean.sqrt() {
                        continue;
                    }
                    let k = f64::from(kq);
                    let llr = k * (k / mean.max(f64::MIN_POSITIVE)).ln() - (k - mean);
                    found.push((lockstep_graph::poisson_tail(mean, kq), t, lo, hi, llr));
                }
            }
        }
        found.sort_by(|x, y| {
            x.0.total_cmp(&y.0)
                .then((x.1, x.2, x.3).cmp(&(y.1, y.2, y.3)))
        });
        let ps: Vec<f64> = found.iter().map(|f| f.0).collect();
        let cut = bounded_dbh_cut(&ps, attainable, p.fdr);
        for w in windows.iter_mut() {
            w.clear();
        }
        // The windows: the minimal significant intervals (those holding no smaller one of
        // the same trace), merged, with at least `min_cohort` distinct adopters each; the
        // hours of larger ones that are themselves far in excess; and, as a scan statistic
        // takes its clusters (Kulldorff), the significant intervals of largest likelihood
        // ratio that overlap no larger-ratio one: a burst spread over a few hours is one
        // window, not its peak hour.
        let mut sig: Vec<(usize, usize, usize, f64)> = found
            .iter()
            .filter(|f| f.0 <= cut)
            .map(|f| (f.1, f.2, f.3, f.4))
            .collect();
        sig.sort_by_key(|x| (x.0, x.1, x.2));
        for run in sig.chunk_by(|x, y| x.0 == y.0) {
            let mut strongest: Vec<(f64, usize, usize)> = Vec::new();
            for &(t, lo, hi, llr) in run {
                if distinct(t, lo, hi) < p.min_cohort as usize {
                    continue;
                }
                strongest.push((llr, lo, hi));
                let holds_smaller = run
                    .iter()
                    .any(|&(_, l, h, _)| l >= lo && h <= hi && (l, h) != (lo, hi));
                if !holds_smaller {
                    windows[t].extend(lo..hi);
                    continue;
                }
                // A larger interval adds only its hours that are themselves far in excess
                // (a burst's hour beside the smaller interval, not the quiet hours around).
                for (h, &k) in counts[t].iter().enumerate().take(hi).skip(lo) {
                    let e = bgs[t].expected(h, h + 1, day_of_hour, &day_end);
                    if k >= 2 && f64::from(k) >= e + 3.0 * e.sqrt() {
                        windows[t].push(h);
                    }
                }
            }
            // Largest ratio first (then earliest, then shortest): total, so deterministic.
            strongest.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
            let mut taken: Vec<(usize, usize)> = Vec::new();
            for (_, lo, hi) in strongest {
                if taken.iter().all(|&(l, h)| hi <= l || lo >= h) {
                    taken.push((lo, hi));
                    windows[run[0].0].extend(lo..hi);
                }
            }
        }
        for (w, ex) in windows.iter_mut().zip(excluded.iter_mut()) {
            w.sort_unstable();
            w.dedup();
            ex.iter_mut().for_each(|x| *x = false);
            for &h in w.iter() {
                ex[h] = true;
            }
        }
    }
    // Each trace's background over the hours, as shares: when its use would fall by its
    // background alone (without the final windows).
    let shares = counts
        .iter()
        .zip(&excluded)
        .map(|(c, ex)| {
            let bg = Background::new(c, &weight, day_of_hour, ex);
            let e: Vec<f64> = (0..n_hours)
                .map(|h| bg.expected(h, h + 1, day_of_hour, &day_end))
                .collect();
            let total: f64 = e.iter().sum();
            e.into_iter()
                .map(|x| x / total.max(f64::MIN_POSITIVE))
                .collect()
        })
        .collect();
    // The scan finds a burst's busiest hours; a brief's posting period reaches past them
    // (creators post at its edges, where the excess is too weak to tell from noise hour by
    // hour). The windows reach `MARGIN` hours either side, and the amplifier test measures
    // every account's own clock against the same wider windows.
    for w in windows.iter_mut() {
        let core = std::mem::take(w);
        for &h in &core {
            w.extend(h.saturating_sub(MARGIN)..(h + MARGIN + 1).min(n_hours));
        }
        w.sort_unstable();
        w.dedup();
    }
    (windows, shares)
}

/// A trace's background: its use per unit of activity on each day and on the days around,
/// without the hours `excluded` (the windows of an earlier pass). `weight[h]` is the
/// activity of hour `h` (every event of the data).
struct Background {
    /// Prefix sums over hours of the trace's use and of the weight, without `excluded`, and
    /// of the weight.
    use_at: Vec<u64>,
    act_at: Vec<f64>,
    weight_at: Vec<f64>,
    use_d: Vec<u64>,
    act_d: Vec<f64>,
    /// The rate on the days around each day (without the day itself), one pseudo-use per
    /// neighbourhood so that a trace never used before has some.
    around: Vec<f64>,
}

impl Background {
    fn new(c: &[u32], weight: &[f64], day_of_hour: &[usize], excluded: &[bool]) -> Background {
        let n = c.len();
        let n_days = day_of_hour.last().map_or(0, |d| d + 1);
        let (mut use_at, mut act_at, mut weight_at) =
            (vec![0u64; n + 1], vec![0f64; n + 1], vec![0f64; n + 1]);
        let mut use_d = vec![0u64; n_days];
        let mut act_d = vec![0f64; n_days];
        for h in 0..n {
            let (u, a) = if excluded[h] {
                (0, 0.0)
            } else {
                (u64::from(c[h]), weight[h])
            };
            use_at[h + 1] = use_at[h] + u;
            act_at[h + 1] = act_at[h] + a;
            weight_at[h + 1] = weight_at[h] + weight[h];
            use_d[day_of_hour[h]] += u;
            act_d[day_of_hour[h]] += a;
        }
        let all_u: u64 = use_d.iter().sum();
        let all_a: f64 = act_d.iter().sum();
        let around = (0..n_days as i64)
            .map(|d| {
                let (mut u, mut a) = (0u64, 0f64);
                for o in d - BACKGROUND_DAYS..=d + BACKGROUND_DAYS {
                    if o != d && o >= 0 && o < n_days as i64 {
                        u += use_d[o as usize];
                        a += act_d[o as usize];
                    }
                }
                if a <= 0.0 {
                    (all_u + 1) as f64 / all_a.max(1.0)
                } else {
                    (u + 1) as f64 / a
                }
            })
            .collect();
        Background {
            use_at,
            act_at,
            weight_at,
            use_d,
            act_d,
            around,
        }
    }

    /// The adopters expected in hours `lo..hi`: their weight times the higher of the rate
    /// on the days around and the rate on the rest of the interval's first day (so a trace
    /// whose use rises over the weeks — towards a vote, at the end of the data — bursts on
    /// no day, and a burst is measured against its own day without it).
    fn expected(&self, lo: usize, hi: usize, day_of_hour: &[usize], day_end: &[usize]) -> f64 {
        let d = day_of_hour[lo];
        let end = hi.min(day_end[d]);
        let inside_u = self.use_at[end] - self.use_at[lo];
        let inside_a = self.act_at[end] - self.act_at[lo];
        let rest_a = self.act_d[d] - inside_a;
        let rest = if rest_a > 1e-9 {
            (self.use_d[d] - inside_u) as f64 / rest_a
        } else {
            0.0
        };
        self.around[d].max(rest) * (self.weight_at[hi] - self.weight_at[lo]).max(0.0)
    }
}

/// `P(X ≥ x)` for `X ~ Binomial(n, p)`.
pub fn binomial_tail(n: u32, x: u32, p: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    // P(X ≥ x) = I_p(x, n − x + 1), the regularized incomplete beta function.
    statrs::function::beta::beta_reg(f64::from(x), f64::from(n - x + 1), p).clamp(0.0, 1.0)
}

/// The rejection threshold of the discrete step-up (see [`discrete_bh`]) when each test is
/// known only by its largest attainable p-value below 1, `a_i`: `F_i(t) ≤ min(t, a_i)`, an
/// upper bound, so the rate is still controlled. `ps` are the computed p-values, ascending
/// (every other test has p = 1); returns the largest rejected p-value, or −1.
fn bounded_dbh_cut(ps: &[f64], mut attainable: Vec<f64>, fdr: f64) -> f64 {
    let g = |v: f64| {
        if v >= 1.0 {
            f64::INFINITY
        } else {
            v / (1.0 - v)
        }
    };
    attainable.sort_by(f64::total_cmp);
    let mut below = vec![0.0f64; attainable.len() + 1];
    for (i, &a) in attainable.iter().enumerate() {
        below[i + 1] = below[i] + g(a);
    }
    let mut cut = -1.0;
    for (rank, &t) in ps.iter().enumerate() {
        if t > fdr {
            break;
        }
        let j = attainable.partition_point(|&a| a <= t);
        let s = below[j] + (attainable.len() - j) as f64 * g(t);
        if s <= fdr * (rank + 1) as f64 {
            cut = t;
        }
    }
    cut
}

/// q-values of discrete tests by the discrete Benjamini–Hochberg step-up procedure (DBH-SU,
/// Döhler, Durand & Roquain 2018): BH's `m·t` (the false rejections expected at threshold
/// `t`) becomes `Σ F_i(t)/(1 − F_i(t))`, `F_i(t)` the largest p-value test `i` can give that
/// is at most `t`. A test that cannot give a small p-value (a candidate with one or two
/// hours, or a loose clock) then costs nothing at small thresholds, where BH charges it
/// `t` — so discrete tests lose less power, with the false-discovery rate still controlled.
/// `support[i]` holds test `i`'s attainable p-values below 1.
pub fn discrete_bh(ps: &[f64], support: &[Vec<f64>]) -> Vec<f64> {
    let m = ps.len();
    // Each attainable value adds the step of g(F) = F/(1 − F) it makes to its test's term.
    let g = |v: f64| v / (1.0 - v);
    let mut steps: Vec<(f64, f64)> = Vec::new();
    for s in support {
        let mut vals: Vec<f64> = s.iter().copied().filter(|&v| v < 1.0).collect();
        vals.sort_by(f64::total_cmp);
        vals.dedup();
        let mut prev = 0.0;
        for v in vals {
            steps.push((v, g(v) - prev));
            prev = g(v);
        }
    }
    steps.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| ps[x].total_cmp(&ps[y]).then(x.cmp(&y)));
    // S(p_(k)) / k for each rank, then the running minimum from the largest rank down.
    let mut ratio = vec![f64::INFINITY; m];
    let (mut at, mut sum) = (0usize, 0.0f64);
    for (rank, &k) in order.iter().enumerate() {
        let t = ps[k];
        while at < steps.len() && steps[at].0 <= t {
            sum += steps[at].1;
            at += 1;
        }
        // Ties share the largest rank among them.
        let mut r = rank + 1;
        while r < m && ps[order[r]] == t {
            r += 1;
        }
        ratio[rank] = if t >= 1.0 { 1.0 } else { sum / r as f64 };
    }
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &k) in order.iter().enumerate().rev() {
        running = running.min(ratio[rank]);
        q[k] = running.min(1.0);
    }
    q
}
