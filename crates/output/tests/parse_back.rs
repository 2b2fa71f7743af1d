//! The writers' output parses back to what was written: CSV fields through the `csv` crate,
//! GEXF and GraphML through `quick_xml` (strict), read as a conforming XML 1.0 parser reads
//! them.
//!
//! Names here are hostile but valid: quotes, `<`, `&`, `]]>`, text that looks escaped
//! already, any Unicode that XML 1.0 can carry. Not generated, because the writers cannot
//! carry them today (see `names_xml_cannot_carry_as_they_are` below): characters outside
//! XML 1.0's `Char` (C0 controls other than tab, line feed and carriage return; U+FFFE,
//! U+FFFF), and tab, line feed and carriage return in a name that ends up in an attribute (a
//! conforming parser turns them into spaces) or a carriage return in text (read as a line
//! feed). `quick_xml` accepts all of these, so [`parse`] also checks the characters, what
//! attribute values and text may hold, and normalizes as XML 1.0 prescribes.

use std::path::Path;

use lockstep_output::{csv_field, write_gexf, write_graphml, GraphEdge, GraphNode};
use proptest::prelude::*;
use quick_xml::events::Event;

/// A string from characters and fragments that stress a quoting or escaping rule.
fn hostile(
    chars: impl Strategy<Value = char> + Clone,
    max: usize,
) -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "&amp;",
        "&lt;",
        "&#x41;",
        "&#65;",
        "&bogus;",
        "]]>",
        "<!--",
        "-->",
        "<![CDATA[",
        "<a>",
        "\"\"",
        "''",
        "=\"",
        "ș",
        "🎉",
        "中文",
        "\u{200b}",
        "\u{fffd}",
        "\u{10ffff}",
        "\u{e000}",
    ])
    .prop_map(str::to_string);
    prop::collection::vec(
        prop_oneof![3 => chars.prop_map(String::from), 1 => fragment],
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

/// Characters for CSV fields: the ones CSV quotes for, and anything else.
fn csv_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        2 => prop::sample::select(vec![',', '"', '\r', '\n', ' ', ';', '\t', '#', '\'']),
        1 => prop::char::range('a', 'e'),
        1 => any::<char>(),
    ]
}

/// Whether XML 1.0 can carry `c` at all (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Characters for names in XML: markup characters, anything XML 1.0 carries literally in an
/// attribute (so not tab, line feed or carriage return, which it normalizes).
fn xml_name_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        2 => prop::sample::select(vec!['"', '\'', '<', '>', '&', ';', '#', ' ', ']', '=', '/', '?']),
        1 => prop::char::range('a', 'e'),
        1 => any::<char>().prop_filter("XML 1.0 carries it", |&c| xml_char(c) && !matches!(c, '\t' | '\n' | '\r')),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn csv_rows_read_back_to_their_fields(
        rows in prop::collection::vec(prop::collection::vec(hostile(csv_char(), 8), 1..6), 1..8)
    ) {
        // A header first, as in every lockstep file: a reader drops a byte-order mark (U+FEFF)
        // at the start of a file, so a first field starting with one would not read back.
        let mut out = b"header\n".to_vec();
        for row in &rows {
            for (k, field) in row.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                csv_field(&mut out, field);
            }
            out.push(b'\n');
        }
        // One empty field alone is an empty line, which CSV readers skip (see below).
        let expect: Vec<&Vec<String>> = rows.iter().filter(|r| *r != &[String::new()]).collect();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&out[..]);
        let got: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(&got[0], &["header"]);
        let got = &got[1..];
        prop_assert_eq!(got.len(), expect.len());
        for (got, want) in got.iter().zip(expect) {
            prop_assert_eq!(got, want);
        }
    }
}

/// A row of one empty field is written as an empty line (`csv_field` writes fields; the `csv`
/// crate's own writer writes `""` there) and read back as no row at all. No lockstep file has
/// a single column, so this is a limit of the field writer, not a bug.
#[test]
fn a_lone_empty_field_is_an_empty_line() {
    let mut out = Vec::new();
    csv_field(&mut out, "");
    out.push(b'\n');
    assert_eq!(out, b"\n");
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&out[..])
        .records()
        .count();
    assert_eq!(rows, 0);
}

/// A small graph: distinct hostile node names, edges between them with hostile layer names.
#[derive(Debug, Clone)]
struct Graph {
    names: Vec<String>,
    edges: Vec<(u32, u32, f64, u32, String, f64)>,
}

fn graph(name_char: impl Strategy<Value = char> + Clone + 'static) -> impl Strategy<Value = Graph> {
    prop::collection::btree_set(hostile(name_char.clone(), 6), 1..24).prop_flat_map(move |names| {
        let n = names.len() as u32;
        let edge = (
            0..n,
            0..n,
            0.0..100.0f64,
            0..1000u32,
            hostile(name_char.clone(), 5),
            0.0..1.0f64,
        );
        (
            Just(names.into_iter().collect()),
            prop::collection::vec(edge, 0..40),
        )
            .prop_map(|(names, edges)| Graph { names, edges })
    })
}

impl Graph {
    fn nodes(&self) -> Vec<GraphNode> {
        (0u32..)
            .zip(&self.names)
            .map(|(i, name)| GraphNode {
                id: name.clone(),
                cluster: i % 3,
                score: f64::from(i) / 8.0,
            })
            .collect()
    }

    fn graph_edges(&self) -> Vec<GraphEdge<'_>> {
        self.edges
            .iter()
            .map(|(s, t, w, co, layers, q)| GraphEdge {
                source: *s,
                target: *t,
                weight: *w,
                co_actions: *co,
                layers,
                q_value: *q,
            })
            .collect()
    }
}

/// What a conforming XML 1.0 parser makes of an attribute's raw value: line ends normalized,
/// then tab, line feed and carriage return replaced by spaces (literal ones only: character
/// references stay), then references expanded.
fn attr_value(raw: &[u8]) -> Result<String, String> {
    let raw = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    if raw.contains('<') {
        return Err(format!("`<` in the attribute value {raw:?}"));
    }
    let normalized: String = raw
        .replace("\r\n", "\n")
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    quick_xml::escape::unescape(&normalized)
        .map(|s| s.into_owned())
        .map_err(|e| e.to_string())
}

/// What a conforming parser makes of character data: line ends normalized, references
/// expanded.
fn text_value(raw: &[u8]) -> Result<String, String> {
    let raw = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    if raw.contains("]]>") {
        return Err(format!("`]]>` in the text {raw:?}"));
    }
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    quick_xml::escape::unescape(&normalized)
        .map(|s| s.into_owned())
        .map_err(|e| e.to_string())
}

/// Undoes the writers' own escaping of names (after the XML's): `\\` is a backslash and
/// `\u{XXXX}` a character XML 1.0 cannot carry.
fn lockstep_unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('u') => {
                if chars.next() != Some('{') {
                    return Err(format!("bad escape in {s:?}"));
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let c = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad escape in {s:?}"))?;
                out.push(c);
            }
            other => return Err(format!("stray backslash before {other:?} in {s:?}")),
        }
    }
    Ok(out)
}

/// What a graph file says: node names, edges as (source, target) names, layer names.
#[derive(Debug, PartialEq)]
struct ReadBack {
    nodes: Vec<String>,
    edges: Vec<(String, String)>,
    layers: Vec<String>,
}

/// Parses `text` strictly: every event must be Ok, every end tag match, every character be an
/// XML 1.0 `Char`, every attribute unescape.
fn parse(text: &str, gexf: bool) -> Result<ReadBack, String> {
    if let Some(c) = text.chars().find(|&c| !xml_char(c)) {
        return Err(format!("{c:?} is not an XML 1.0 character"));
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.allow_unmatched_ends = false;
    let mut back = ReadBack {
        nodes: vec![],
        edges: vec![],
        layers: vec![],
    };
    let (mut depth, mut in_layers, mut node_ids) = (0i32, None::<String>, Vec::new());
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let start = match &event {
            Event::Start(e) => {
                depth += 1;
                Some(e.clone())
            }
            Event::Empty(e) => Some(e.clone()),
            Event::End(e) => {
                depth -= 1;
                if e.name().as_ref() == b"data" {
                    if let Some(text) = in_layers.take() {
                        back.layers.push(text);
                    }
                }
                None
            }
            Event::Text(t) => {
                if let Some(text) = in_layers.as_mut() {
                    text.push_str(&text_value(t)?);
                }
                None
            }
            Event::Eof => break,
            _ => None,
        };
        let Some(e) = start else { continue };
        let mut attrs = std::collections::HashMap::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            attrs.insert(key, attr_value(&a.value)?);
        }
        let attr = |k: &str| attrs.get(k).cloned().unwrap_or_default();
        match (e.name().as_ref(), gexf) {
            (b"node", true) => {
                node_ids.push(attr("id"));
                back.nodes.push(attr("label"));
            }
            (b"node", false) => back.nodes.push(attr("id")),
            (b"edge", true) => {
                let name = |id: String| {
                    let i = node_ids.iter().position(|n| *n == id);
                    i.map(|i| back.nodes[i].clone())
                        .unwrap_or(format!("no node {id}"))
                };
                back.edges
                    .push((name(attr("source")), name(attr("target"))));
            }
            (b"edge", false) => back.edges.push((attr("source"), attr("target"))),
            (b"attvalue", true) if attr("for") == "layers" => back.layers.push(attr("value")),
            (b"data", false) if attr("key") == "layers" => in_layers = Some(String::new()),
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("{depth} elements left open"));
    }
    let all = |v: Vec<String>| {
        v.iter()
            .map(|s| lockstep_unescape(s))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(ReadBack {
        nodes: all(back.nodes)?,
        edges: back
            .edges
            .iter()
            .map(|(a, b)| Ok((lockstep_unescape(a)?, lockstep_unescape(b)?)))
            .collect::<Result<Vec<_>, String>>()?,
        layers: all(back.layers)?,
    })
}

type Writer = fn(&Path, &[GraphNode], &[GraphEdge]) -> std::io::Result<String>;

/// Writes `g` with both writers and parses each file back.
fn write_and_parse(g: &Graph) -> Vec<(&'static str, Result<ReadBack, String>)> {
    let dir = tempfile::tempdir().unwrap();
    let (nodes, edges) = (g.nodes(), g.graph_edges());
    [("gexf", write_gexf as Writer), ("graphml", write_graphml)]
        .into_iter()
        .map(|(name, write)| {
            let path = dir.path().join(format!("g.{name}"));
            write(&path, &nodes, &edges).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            (name, parse(&text, name == "gexf"))
        })
        .collect()
}

fn expected(g: &Graph) -> ReadBack {
    ReadBack {
        nodes: g.names.clone(),
        edges: g
            .edges
            .iter()
            .map(|e| (g.names[e.0 as usize].clone(), g.names[e.1 as usize].clone()))
            .collect(),
        layers: g.edges.iter().map(|e| e.4.clone()).collect(),
    }
}

proptest! {
    // Each case writes and syncs two files: fewer cases, larger graphs.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn graph_files_parse_back_to_their_names(g in graph(xml_name_char())) {
        let want = expected(&g);
        for (name, back) in write_and_parse(&g) {
            prop_assert_eq!(back.as_ref(), Ok(&want), "{}", name);
        }
    }
}

/// Names with characters XML 1.0 cannot carry (U+0000, U+0001, U+001B, U+FFFE, U+FFFF)
/// still give well-formed files and read back (through the writers' `\u{XXXX}` escape), and
/// tab, line feed and carriage return read back as written (a conforming parser turns literal
/// ones into spaces in attributes).
#[test]
fn names_xml_cannot_carry_as_they_are() {
    for bad in ["\u{1}", "\u{0}", "\u{1b}", "\u{fffe}", "\u{ffff}"] {
        let g = Graph {
            names: vec![format!("a{bad}b"), "c".into()],
            edges: vec![(0, 1, 1.0, 1, format!("x{bad}y"), 0.5)],
        };
        let want = expected(&g);
        for (name, back) in write_and_parse(&g) {
            assert_eq!(back.as_ref(), Ok(&want), "{name} {bad:?}");
        }
    }
    for bad in ["\t", "\n", "\r", "\r\n"] {
        let g = Graph {
            names: vec![format!("a{bad}b"), "c".into()],
            edges: vec![(0, 1, 1.0, 1, format!("x{bad}y"), 0.5)],
        };
        let want = expected(&g);
        for (name, back) in write_and_parse(&g) {
            assert_eq!(back.as_ref(), Ok(&want), "{name} {bad:?}");
        }
    }
}
