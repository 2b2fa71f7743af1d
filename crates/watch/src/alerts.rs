//! Cluster identity over time and the alert rules.
//!
//! A cluster found at a re-cluster keeps the id of the tracked cluster it overlaps most (at
//! least half of the smaller of the two), each id claimed once, larger clusters first; the
//! others get fresh ids. Alerts: `new` the first time a cluster reaches the minimum size and
//! score; `grew` when it reached `growth` × its size at its last alert; `merged` when it
//! absorbed other alerted clusters (at least half of each); `quiet` once an alerted cluster
//! has not been found for `quiet_after` of stream time. A cluster that flickers below the
//! thresholds, or out of the clustering for less than `quiet_after`, raises nothing: one
//! campaign tells one story.

use crate::engine::ClusterView;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Thresholds {
    pub min_size: usize,
    pub min_score: f64,
    pub growth: f64,
    pub quiet_after_ms: i64,
    /// A quiet cluster is remembered this long (the horizon): pieces of it that come back
    /// are the same story, not a new one.
    pub forget_after_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    id: u64,
    /// Sorted names, as last found.
    members: Vec<String>,
    /// Members at the last alert (empty: never alerted).
    alerted: Vec<String>,
    last_seen: i64,
    /// Found at the latest re-cluster (then it is seen at every tick until the next one).
    found: bool,
    quiet: bool,
}

/// One alert before its explanation and wall-clock time are attached.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: &'static str,
    pub cluster: u64,
    pub members: Vec<String>,
    pub new_members: Vec<String>,
    pub merged_from: Vec<u64>,
    pub score: f64,
    /// Index into the engine's clusters of this re-cluster (None for `quiet`).
    pub view: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tracker {
    next_id: u64,
    tracked: Vec<Tracked>,
    pub thresholds: Thresholds,
}

fn minus(a: &[String], b: &[String]) -> Vec<String> {
    a.iter()
        .filter(|x| b.binary_search(x).is_err())
        .cloned()
        .collect()
}

impl Tracker {
    pub fn new(thresholds: Thresholds) -> Tracker {
        Tracker {
            next_id: 1,
            tracked: Vec::new(),
            thresholds,
        }
    }

    /// The clusters found at the latest re-cluster: (id, sorted members), by id.
    pub fn current(&self) -> Vec<(u64, Vec<String>)> {
        self.tracked
            .iter()
            .filter(|t| t.found)
            .map(|t| (t.id, t.members.clone()))
            .collect()
    }

    /// Clusters currently tracked (for progress).
    pub fn len(&self) -> usize {
        self.tracked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    /// The stable id of each view, and the alerts this re-cluster raises. Several views
    /// may share one id: a campaign that Leiden splits differently from one re-cluster to
    /// the next stays one story (its members are the union of its pieces).
    pub fn update(&mut self, now: i64, views: &[ClusterView]) -> (Vec<u64>, Vec<Draft>) {
        let th = self.thresholds;
        let mut order: Vec<usize> = (0..views.len()).collect();
        order.sort_by(|&x, &y| {
            views[y]
                .members
                .len()
                .cmp(&views[x].members.len())
                .then(views[x].members.cmp(&views[y].members))
        });
        // Each name's cluster: where it was last found, else the story it was told in.
        let mut of: FxHashMap<String, usize> = FxHashMap::default();
        for (i, t) in self.tracked.iter().enumerate() {
            for m in &t.alerted {
                of.entry(m.clone()).or_insert(i);
            }
        }
        for (i, t) in self.tracked.iter().enumerate() {
            for m in &t.members {
                of.insert(m.clone(), i);
            }
        }
        let mut ids = vec![0u64; views.len()];
        let mut drafts = Vec::new();
        // How many accounts a tracked cluster stands for: found now or told before.
        let known: Vec<usize> = self
            .tracked
            .iter()
            .map(|t| t.members.len().max(t.alerted.len()))
            .collect();
        let known = |t: usize| known[t];
        // tracked index → views mapped to it; absorbed tracked → the one that took it.
        let mut mapped: Vec<Vec<usize>> = vec![Vec::new(); self.tracked.len()];
        let mut absorbed_into: Vec<Option<usize>> = vec![None; self.tracked.len()];
        let mut fresh: Vec<(usize, Tracked)> = Vec::new();
        for &v in &order {
            let members = &views[v].members;
            let mut counts: FxHashMap<usize, usize> = FxHashMap::default();
            for m in members {
                if let Some(&t) = of.get(m) {
                    *counts.entry(t).or_insert(0) += 1;
                }
            }
            let mut cands: Vec<(usize, usize)> = counts.into_iter().collect();
            cands.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then(self.tracked[a.0].id.cmp(&self.tracked[b.0].id))
            });
            let resolve = |mut t: usize, absorbed: &Vec<Option<usize>>| {
                while let Some(u) = absorbed[t] {
                    t = u;
                }
                t
            };
            // A view mostly of accounts already in stories belongs to the one it shares most
            // with (the clustering cuts one campaign differently from tick to tick); a view
            // matching half of a story is that one; the rest start their own.
            let in_stories: usize = cands.iter().map(|c| c.1).sum();
            let best = cands
                .iter()
                .copied()
                .find(|&(t, n)| 2 * n >= members.len().min(known(t)))
                .or_else(|| (2 * in_stories >= members.len()).then(|| cands[0]));
            match best {
                Some((t0, _)) => {
                    let t = resolve(t0, &absorbed_into);
                    mapped[t].push(v);
                    for &(o, n) in &cands {
                        let o = resolve(o, &absorbed_into);
                        if o != t && 2 * n >= known(o) && absorbed_into[o].is_none() {
                            absorbed_into[o] = Some(t);
                            let moved = std::mem::take(&mut mapped[o]);
                            mapped[t].extend(moved);
                        }
                    }
                }
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    fresh.push((
                        v,
                        Tracked {
                            id,
                            members: members.clone(),
                            alerted: Vec::new(),
                            last_seen: now,
                            found: true,
                            quiet: false,
                        },
                    ));
                }
            }
        }
        // A story is still under way while half of what was told is in some cluster, under
        // whichever id.
        let present: rustc_hash::FxHashSet<&str> = views
            .iter()
            .flat_map(|v| v.members.iter().map(String::as_str))
            .collect();
        let alive: Vec<bool> = self
            .tracked
            .iter()
            .map(|tr| {
                let told = tr
                    .alerted
                    .iter()
                    .filter(|m| present.contains(m.as_str()))
                    .count();
                !tr.alerted.is_empty() && 2 * told >= tr.alerted.len()
            })
            .collect();
        for (i, tr) in self.tracked.iter_mut().enumerate() {
            if tr.found || alive[i] {
                tr.last_seen = now;
            }
            tr.found = false;
        }
        // Merged: alerted clusters absorbed into another (alerted or not).
        let mut merged_from: FxHashMap<usize, Vec<u64>> = FxHashMap::default();
        for (o, into) in absorbed_into.iter().enumerate() {
            if let Some(mut t) = *into {
                while let Some(u) = absorbed_into[t] {
                    t = u;
                }
                if !self.tracked[o].alerted.is_empty() && !self.tracked[o].quiet {
                    merged_from.entry(t).or_default().push(self.tracked[o].id);
                    // The survivor carries what was already told.
                    let told = self.tracked[o].alerted.clone();
                    let a = &mut self.tracked[t].alerted;
                    a.extend(told);
                    a.sort_unstable();
                    a.dedup();
                }
            }
        }
        let mut tracked_views: Vec<(usize, Vec<usize>)> = Vec::new();
        for (t, vs) in mapped.into_iter().enumerate() {
            if absorbed_into[t].is_some() || vs.is_empty() {
                continue;
            }
            let mut members: Vec<String> = vs
                .iter()
                .flat_map(|&v| views[v].members.iter().cloned())
                .collect();
            members.sort_unstable();
            members.dedup();
            let tr = &mut self.tracked[t];
            tr.members = members;
            tr.found = true;
            tr.quiet = false;
            for &v in &vs {
                ids[v] = tr.id;
            }
            tracked_views.push((t, vs));
        }
        for (t, o) in absorbed_into.iter().enumerate() {
            if o.is_some() {
                // Its story goes on under the survivor's id.
                self.tracked[t].members.clear();
                self.tracked[t].alerted.clear();
            }
        }
        for (v, tr) in fresh {
            ids[v] = tr.id;
            tracked_views.push((self.tracked.len(), vec![v]));
            self.tracked.push(tr);
        }
        tracked_views.sort_by_key(|(t, _)| self.tracked[*t].id);
        for (t, vs) in tracked_views {
            // The largest piece explains the story; the score is the best piece's.
            let main = *vs
                .iter()
                .max_by_key(|&&v| (views[v].members.len(), std::cmp::Reverse(v)))
                .expect("non-empty");
            let score = vs.iter().map(|&v| views[v].score).fold(0.0, f64::max);
            let tr = &mut self.tracked[t];
            let size = tr.members.len();
            let qualifies = size >= th.min_size && score >= th.min_score;
            if let Some(from) = merged_from.remove(&t) {
                drafts.push(Draft {
                    kind: "merged",
                    cluster: tr.id,
                    members: tr.members.clone(),
                    new_members: minus(&tr.members, &tr.alerted),
                    merged_from: from,
                    score,
                    view: Some(main),
                });
                tr.alerted = tr.members.clone();
            } else if tr.alerted.is_empty() {
                if qualifies {
                    drafts.push(Draft {
                        kind: "new",
                        cluster: tr.id,
                        members: tr.members.clone(),
                        new_members: tr.members.clone(),
                        merged_from: Vec::new(),
                        score,
                        view: Some(main),
                    });
                    tr.alerted = tr.members.clone();
                }
            } else {
                // Growth counts accounts never told before: a piece coming and going does
                // not grow a story.
                let fresh_members = minus(&tr.members, &tr.alerted);
                if qualifies
                    && (tr.alerted.len() + fresh_members.len()) as f64
                        >= th.growth * tr.alerted.len() as f64
                    && !fresh_members.is_empty()
                {
                    drafts.push(Draft {
                        kind: "grew",
                        cluster: tr.id,
                        members: tr.members.clone(),
                        new_members: fresh_members.clone(),
                        merged_from: Vec::new(),
                        score,
                        view: Some(main),
                    });
                    let a = &mut tr.alerted;
                    a.extend(fresh_members);
                    a.sort_unstable();
                }
            }
        }
        // Quiet: alerted, unseen for quiet_after (told once, remembered until forget_after);
        // clusters never alerted are forgotten then.
        let mut keep = Vec::new();
        for mut tr in std::mem::take(&mut self.tracked) {
            if tr.members.is_empty() && tr.alerted.is_empty() {
                continue; // absorbed before it was told
            }
            let unseen = if tr.found { 0 } else { now - tr.last_seen };
            if unseen >= th.quiet_after_ms {
                if tr.alerted.is_empty() {
                    continue;
                }
                if !tr.quiet {
                    drafts.push(Draft {
                        kind: "quiet",
                        cluster: tr.id,
                        members: tr.members.clone(),
                        new_members: Vec::new(),
                        merged_from: Vec::new(),
                        score: 0.0,
                        view: None,
                    });
                    tr.quiet = true;
                }
                if unseen >= th.forget_after_ms {
                    continue;
                }
            }
            keep.push(tr);
        }
        keep.sort_by_key(|t| t.id);
        self.tracked = keep;
        (ids, drafts)
    }

    /// Alerted clusters unseen for `quiet_after` at `now` (a tick without a re-cluster).
    pub fn idle(&mut self, now: i64) -> Vec<Draft> {
        let gone = |t: &Tracked| {
            !t.found
                && !t.alerted.is_empty()
                && !t.quiet
                && now - t.last_seen >= self.thresholds.quiet_after_ms
        };
        let any = self.tracked.iter().any(gone);
        if !any {
            return Vec::new();
        }
        // Same rules as a re-cluster with nothing found, but clusters still found keep
        // their last_seen (they were seen at the last re-cluster).
        let mut drafts = Vec::new();
        for tr in &mut self.tracked {
            if gone(&*tr) {
                drafts.push(Draft {
                    kind: "quiet",
                    cluster: tr.id,
                    members: tr.members.clone(),
                    new_members: Vec::new(),
                    merged_from: Vec::new(),
                    score: 0.0,
                    view: None,
                });
                tr.quiet = true;
            }
        }
        let forget = self.thresholds.forget_after_ms;
        self.tracked
            .retain(|t| !(t.quiet && !t.found && now - t.last_seen >= forget));
        drafts
    }
}
