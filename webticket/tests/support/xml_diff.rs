//! Differential check of `webticket::xml::Document` against quick-xml's `NsReader`.
//!
//! Shared by the `xml_diff` integration test (fixtures and fuzz corpora) and the
//! `webticket_xml_diff` fuzz target (which includes this file by path), so both check the
//! same property: whenever our reader accepts a document, quick-xml reads the same bytes
//! to the end without error and both see the same elements (namespace URI and local
//! name, in document order), the same attributes (namespace declarations excluded,
//! resolved names, normalized values) and the same text per element.
//!
//! quick-xml runs with its defaults (end-name checking on, duplicate-attribute checks
//! on) except for its own resource limit on in-scope namespace bindings, which is lifted:
//! our reader has its own ([`XmlLimits::max_namespace_declarations`]).
//!
//! Text is compared after applying the documented rule of [`Element::text`] to quick-xml's
//! events: a *segment* is the character data between two pieces of markup (quick-xml's
//! `Text` and `GeneralRef` events merged, references resolved, line ends normalized) or
//! one CDATA section; an element's text is the concatenation of its segments, except
//! that once it has a child element, whitespace-only segments are dropped and the text
//! gathered before the first child is dropped if it is whitespace only. Documents are
//! read as XML 1.0 whatever their declaration says.
//!
//! [`Element::text`]: webticket::xml::Element::text

// why: the test crate uses only part of this module; the fuzz crate exports it.
#![allow(unreachable_pub)]

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;
use webticket::xml::{Document, XmlLimits};

/// One element as both readers must see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Namespace URI (`""` for none).
    pub ns: String,
    /// Local name.
    pub local: String,
    /// (namespace URI, local name, value) of every attribute but namespace declarations.
    pub attrs: Vec<(String, String, String)>,
    /// Text after the rule in the module docs.
    pub text: String,
}

/// What a check found when there is no mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Our reader refused the document: nothing to compare.
    Refused,
    /// Both readers accepted it and agree on this many elements.
    Agreed(usize),
}

/// Runs both readers on `data`. `Err` describes a mismatch.
pub fn check(data: &[u8], limits: &XmlLimits) -> Result<Verdict, String> {
    let Ok(doc) = Document::parse(data, limits) else {
        return Ok(Verdict::Refused);
    };
    let ours = our_elements(&doc);
    let theirs = quick_xml_elements(data).map_err(|e| format!("quick-xml refused: {e}"))?;
    if ours.len() != theirs.len() {
        return Err(format!(
            "element count: ours {}, quick-xml {}\nours: {ours:?}\nquick-xml: {theirs:?}",
            ours.len(),
            theirs.len()
        ));
    }
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        if a != b {
            return Err(format!(
                "element {i} differs:\nours:      {a:?}\nquick-xml: {b:?}"
            ));
        }
    }
    Ok(Verdict::Agreed(ours.len()))
}

fn our_elements(doc: &Document<'_>) -> Vec<Seen> {
    let root = doc.root();
    std::iter::once(root)
        .chain(root.descendants())
        .map(|el| Seen {
            ns: el.namespace().to_owned(),
            local: el.local_name().to_owned(),
            attrs: el
                .attributes()
                .map(|a| {
                    (
                        a.namespace.to_owned(),
                        a.local_name.to_owned(),
                        a.value.to_owned(),
                    )
                })
                .collect(),
            text: el.text().to_owned(),
        })
        .collect()
}

/// An open element while reading quick-xml's events.
struct Open {
    /// Index into the output.
    index: usize,
    has_child: bool,
}

/// The elements quick-xml reads from `data`, in document order, with the text rule of
/// the module docs applied.
pub fn quick_xml_elements(data: &[u8]) -> Result<Vec<Seen>, String> {
    let mut reader = NsReader::from_reader(data);
    reader.config_mut().check_end_names = true;
    reader.resolver_mut().set_max_namespace_bindings(usize::MAX);
    let mut out: Vec<Seen> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // The character data segment being gathered (`Text` and `GeneralRef` events).
    let mut segment: Option<String> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match &event {
            Event::Text(t) => {
                segment
                    .get_or_insert_with(String::new)
                    .push_str(&t.xml10_content());
                continue;
            }
            Event::GeneralRef(r) => {
                let s = segment.get_or_insert_with(String::new);
                match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => s.push(c),
                    None => s.push_str(
                        resolve_predefined_entity(r)
                            .ok_or_else(|| format!("undeclared entity `{}`", &**r))?,
                    ),
                }
                continue;
            }
            _ => {}
        }
        if let Some(s) = segment.take() {
            add_segment(&mut out, &stack, s);
        }
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                let seen = start(&reader, e)?;
                if let Some(parent) = stack.last_mut() {
                    let p = &mut out[parent.index];
                    if !parent.has_child && is_ws_only(&p.text) {
                        p.text.clear();
                    }
                    parent.has_child = true;
                }
                out.push(seen);
                if !empty {
                    stack.push(Open {
                        index: out.len() - 1,
                        has_child: false,
                    });
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::CData(c) => add_segment(&mut out, &stack, c.xml10_content().into_owned()),
            Event::Eof => return Ok(out),
            // Comments, processing instructions, the XML declaration and (refused by our
            // reader) a DOCTYPE only end a segment.
            _ => {}
        }
    }
}

/// Adds a character data segment to the open element (outside the document element
/// there is no text to compare).
fn add_segment(out: &mut [Seen], stack: &[Open], s: String) {
    let Some(open) = stack.last() else {
        return;
    };
    if open.has_child && is_ws_only(&s) {
        return;
    }
    out[open.index].text.push_str(&s);
}

/// The element of a start tag, names resolved by quick-xml.
fn start<R>(reader: &NsReader<R>, e: &BytesStart<'_>) -> Result<Seen, String> {
    let resolver = reader.resolver();
    let (ns, local) = resolver.resolve_element(e.name());
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ans, alocal) = resolver.resolve_attribute(a.key);
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attrs.push((uri(ans)?, alocal.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Seen {
        ns: uri(ns)?,
        local: local.as_ref().to_owned(),
        attrs,
        text: String::new(),
    })
}

/// The namespace URI of a resolved name. quick-xml binds a prefix to the raw text of its
/// declaration; a namespace name is the declaration's attribute value, so the reference
/// applies attribute-value normalization to it first (documented in `webticket::xml`).
fn uri(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(ns) => {
            let decl = Attribute {
                key: QName("xmlns"),
                value: Cow::Borrowed(ns.as_ref()),
            };
            decl.normalized_value(XmlVersion::Implicit1_0)
                .map(Cow::into_owned)
                .map_err(|e| e.to_string())
        }
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(format!("unknown prefix `{p}`")),
    }
}

fn is_ws_only(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}
