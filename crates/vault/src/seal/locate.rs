//! Where the posts `clusters.json` cites are: from their `source`, else found by id.

use crate::case::{CitedPost, Manifest};
use crate::error::{Result, VaultError};
use crate::layout::resolve_input;
use crate::records;
use std::collections::BTreeMap;
use std::path::Path;

/// A cited post's lines: `post` indexes the cited posts, `first` is a 0-based line.
pub(super) struct Located {
    pub(super) post: usize,
    pub(super) first: u64,
    pub(super) lines: u64,
    pub(super) by: &'static str,
}

pub(super) type LocatedList = Vec<(usize, Located)>;

/// Finds each cited post's input and lines: from its `source`, else by scanning the inputs
/// for its id (slower: a pass of its own).
pub(super) fn locate(
    posts: &[CitedPost],
    m: &Manifest,
    inputs_dir: Option<&Path>,
) -> Result<(LocatedList, Vec<(String, String)>)> {
    let mut located = Vec::new();
    let mut skipped = Vec::new();
    let mut unlocated = Vec::new();
    for (i, p) in posts.iter().enumerate() {
        match &p.source {
            Some(s) => match m.inputs.iter().position(|f| f.path == s.file) {
                Some(f) if s.lines <= 10_000 => located.push((
                    f,
                    Located {
                        post: i,
                        first: s.line - 1,
                        lines: s.lines,
                        by: "source",
                    },
                )),
                Some(_) => skipped.push((p.id.clone(), "the record spans too many lines".into())),
                None => skipped.push((
                    p.id.clone(),
                    format!("source file {:?} is not among the case's inputs", s.file),
                )),
            },
            None => unlocated.push(i),
        }
    }
    if !unlocated.is_empty() {
        // Scan every input: a keyed match (`"id": ...`) in a later file beats a bare
        // mention in an earlier one.
        let ids: Vec<String> = unlocated.iter().map(|&i| posts[i].id.clone()).collect();
        let mut best: BTreeMap<String, (usize, u64, bool)> = BTreeMap::new();
        for (f, input) in m.inputs.iter().enumerate() {
            let p = resolve_input(&input.path, inputs_dir);
            let found = records::scan_for_ids(&p, &ids).map_err(|e| VaultError::io(&p, e))?;
            for (id, (line, keyed)) in found {
                match best.get(&id) {
                    Some((_, _, true)) => {}
                    Some((_, _, false)) if !keyed => {}
                    _ => {
                        best.insert(id, (f, line, keyed));
                    }
                }
            }
        }
        for &i in &unlocated {
            match best.get(&posts[i].id) {
                Some(&(f, line, _)) => located.push((
                    f,
                    Located {
                        post: i,
                        first: line,
                        lines: 1,
                        by: "scan",
                    },
                )),
                None => skipped.push((
                    posts[i].id.clone(),
                    "no source given and its id is in no input".into(),
                )),
            }
        }
    }
    located.sort_by_key(|(f, l)| (*f, l.first, l.post));
    Ok((located, skipped))
}
