//! GEXF 1.3 and GraphML writers with node and edge attributes.

use crate::AtomicFile;
use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

/// A name made safe for an XML 1.0 attribute value or text, keeping distinct names distinct:
/// `& < > " '` as entities; tab, line feed and carriage return as character references (a
/// parser would otherwise turn them into spaces in attributes, merging `a\tb` with `a b`);
/// and, so that every character can be carried and the mapping stays one-to-one, a backslash
/// as `\\` and each character XML 1.0 cannot carry at all (other C0 controls, U+FFFE,
/// U+FFFF) as `\u{XXXX}`.
pub fn xml_escape(s: &str) -> Cow<'_, str> {
    // Characters outside XML 1.0's `Char` production (surrogates cannot occur in a `str`).
    let unrepresentable = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    let plain = |c: char| {
        !matches!(c, '&' | '<' | '>' | '"' | '\'' | '\\' | '\t' | '\n' | '\r')
            && !unrepresentable(c)
    };
    if s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if unrepresentable(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

pub struct GraphNode {
    pub id: String,
    /// 0 when the account is not in a reported cluster.
    pub cluster: u32,
    pub score: f64,
}

/// An edge of the graph files: weight and the attributes a graph tool filters on; the full
/// evidence (times, gaps, samples) is in edges.csv, keyed by the same source and target.
pub struct GraphEdge<'a> {
    /// Index into the node list.
    pub source: u32,
    pub target: u32,
    pub weight: f64,
    pub co_actions: u32,
    /// Layer names joined by `;`.
    pub layers: &'a str,
    pub q_value: f64,
}

/// Writes GEXF 1.3 (Gephi). Returns the file's sha256.
pub fn write_gexf(path: &Path, nodes: &[GraphNode], edges: &[GraphEdge]) -> io::Result<String> {
    let mut f = AtomicFile::create(path)?;
    writeln!(f, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(f, r#"<gexf xmlns="http://gexf.net/1.3" version="1.3">"#)?;
    writeln!(
        f,
        r#"  <meta><creator>lockstep</creator><description>coordination network</description></meta>"#
    )?;
    writeln!(f, r#"  <graph defaultedgetype="undirected" mode="static">"#)?;
    writeln!(
        f,
        r#"    <attributes class="node"><attribute id="cluster" title="cluster" type="integer"/><attribute id="score" title="score" type="double"/></attributes>"#
    )?;
    writeln!(
        f,
        r#"    <attributes class="edge"><attribute id="co_actions" title="co_actions" type="integer"/><attribute id="layers" title="layers" type="string"/><attribute id="q_value" title="q_value" type="double"/></attributes>"#
    )?;
    // Nodes get short numeric ids (the account is the label), so that millions of edges do
    // not repeat long account names.
    writeln!(f, "    <nodes>")?;
    for (i, n) in nodes.iter().enumerate() {
        let label = xml_escape(n.id.as_str());
        writeln!(
            f,
            r#"      <node id="{i}" label="{label}"><attvalues><attvalue for="cluster" value="{}"/><attvalue for="score" value="{}"/></attvalues></node>"#,
            n.cluster,
            crate::fixed(n.score, 4)
        )?;
    }
    writeln!(f, "    </nodes>")?;
    writeln!(f, "    <edges>")?;
    check_nodes(nodes, edges)?;
    crate::write_par(&mut f, edges, |i, e, out| {
        use crate::write_int;
        out.extend_from_slice(b"      <edge id=\"");
        write_int(out, i);
        out.extend_from_slice(b"\" source=\"");
        write_int(out, e.source);
        out.extend_from_slice(b"\" target=\"");
        write_int(out, e.target);
        out.extend_from_slice(b"\" weight=\"");
        crate::write_fixed(out, e.weight, 6);
        out.extend_from_slice(br#""><attvalues><attvalue for="co_actions" value=""#);
        write_int(out, e.co_actions);
        out.extend_from_slice(br#""/><attvalue for="layers" value=""#);
        out.extend_from_slice(xml_escape(e.layers).as_bytes());
        out.extend_from_slice(br#""/><attvalue for="q_value" value=""#);
        crate::write_sci3(out, e.q_value);
        out.write_all(b"\"/></attvalues></edge>\n")
    })?;
    writeln!(f, "    </edges>")?;
    writeln!(f, "  </graph>")?;
    writeln!(f, "</gexf>")?;
    f.commit()
}

fn check_nodes(nodes: &[GraphNode], edges: &[GraphEdge]) -> io::Result<()> {
    match edges
        .iter()
        .find(|e| e.source as usize >= nodes.len() || e.target as usize >= nodes.len())
    {
        Some(e) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("edge names unknown node {} or {}", e.source, e.target),
        )),
        None => Ok(()),
    }
}

/// Writes GraphML (networkx, igraph). Returns the file's sha256.
pub fn write_graphml(path: &Path, nodes: &[GraphNode], edges: &[GraphEdge]) -> io::Result<String> {
    let mut f = AtomicFile::create(path)?;
    writeln!(f, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        f,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    for (id, on, ty) in [
        ("cluster", "node", "int"),
        ("score", "node", "double"),
        ("weight", "edge", "double"),
        ("co_actions", "edge", "int"),
        ("layers", "edge", "string"),
        ("q_value", "edge", "double"),
    ] {
        writeln!(
            f,
            r#"  <key id="{id}" for="{on}" attr.name="{id}" attr.type="{ty}"/>"#
        )?;
    }
    writeln!(f, r#"  <graph id="lockstep" edgedefault="undirected">"#)?;
    for n in nodes {
        writeln!(
            f,
            r#"    <node id="{}"><data key="cluster">{}</data><data key="score">{}</data></node>"#,
            xml_escape(n.id.as_str()),
            n.cluster,
            crate::fixed(n.score, 4)
        )?;
    }
    check_nodes(nodes, edges)?;
    crate::write_par(&mut f, edges, |_, e, out| {
        write!(
            out,
            r#"    <edge source="{}" target="{}"><data key="weight">"#,
            xml_escape(nodes[e.source as usize].id.as_str()),
            xml_escape(nodes[e.target as usize].id.as_str()),
        )?;
        crate::write_fixed(out, e.weight, 6);
        out.extend_from_slice(br#"</data><data key="co_actions">"#);
        crate::write_int(out, e.co_actions);
        out.extend_from_slice(br#"</data><data key="layers">"#);
        out.extend_from_slice(xml_escape(e.layers).as_bytes());
        out.extend_from_slice(br#"</data><data key="q_value">"#);
        crate::write_sci3(out, e.q_value);
        out.write_all(b"</data></edge>\n")
    })?;
    writeln!(f, "  </graph>")?;
    writeln!(f, "</graphml>")?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped_and_well_formed() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = vec![
            GraphNode {
                id: "a<&\"b".into(),
                cluster: 1,
                score: 0.5,
            },
            GraphNode {
                id: "c".into(),
                cluster: 1,
                score: 1.0,
            },
        ];
        let edges = vec![GraphEdge {
            source: 0,
            target: 1,
            weight: 1.5,
            co_actions: 3,
            layers: "hashtag;url",
            q_value: 1e-9,
        }];
        type Writer = fn(&Path, &[GraphNode], &[GraphEdge]) -> io::Result<String>;
        for (name, write) in [
            ("g.gexf", write_gexf as Writer),
            ("g.graphml", write_graphml),
        ] {
            let p = dir.path().join(name);
            write(&p, &nodes, &edges).unwrap();
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(text.contains("a&lt;&amp;&quot;b"), "{name}");
            if name.ends_with("gexf") {
                assert!(
                    text.contains(r#"<edge id="0" source="0" target="1""#),
                    "GEXF edges use node ids"
                );
            }
            // Parse it back: every start tag closes and the edge is there.
            let mut r = quick_xml::Reader::from_str(&text);
            let (mut depth, mut edges_seen) = (0i32, 0);
            loop {
                match r.read_event().unwrap() {
                    quick_xml::events::Event::Start(e) => {
                        depth += 1;
                        edges_seen += usize::from(e.name().as_ref() == b"edge");
                    }
                    quick_xml::events::Event::End(_) => depth -= 1,
                    quick_xml::events::Event::Eof => break,
                    _ => {}
                }
            }
            assert_eq!((depth, edges_seen), (0, 1), "{name}");
        }
    }
}
