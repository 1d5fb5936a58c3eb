//! Our XML reader against quick-xml (see `support/xml_diff.rs`) on every fixture of
//! `tests/data` and every input of the committed corpora of the XML fuzz targets, so
//! `cargo test` keeps checking what the `webticket_xml_diff` fuzz target checks.

#[path = "support/xml_diff.rs"]
mod xml_diff;

use std::path::{Path, PathBuf};

use webticket::xml::XmlLimits;
use xml_diff::{Verdict, check};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Checks every file; returns (files, accepted by our reader).
fn check_all(files: &[PathBuf], limits: &XmlLimits) -> (usize, usize) {
    let mut failures = Vec::new();
    let mut accepted = 0;
    for p in files {
        let data = std::fs::read(p).unwrap();
        match check(&data, limits) {
            Ok(Verdict::Agreed(_)) => accepted += 1,
            Ok(Verdict::Refused) => {}
            Err(e) => failures.push(format!("{}: {e}", p.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    (files.len(), accepted)
}

#[test]
fn fixtures_agree_with_quick_xml() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let files = files_under(&dir);
    let (n, accepted) = check_all(&files, &XmlLimits::default());
    // Most fixtures are XML documents our reader accepts.
    assert!(n > 60 && accepted > 40, "{n} files, {accepted} accepted");
}

#[test]
fn fuzz_corpora_agree_with_quick_xml() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut files = Vec::new();
    for target in [
        "webticket_xml_document",
        "webticket_xml_diff",
        "webticket_rstr",
        "webticket_mex",
        "webticket_autodiscover_xml",
    ] {
        files.extend(files_under(&corpus.join(target)));
    }
    // The fuzz target parses under this limit.
    let (n, accepted) = check_all(&files, &XmlLimits::default().max_size(64 * 1024));
    assert!(n > 50 && accepted > 20, "{n} files, {accepted} accepted");
}

#[test]
fn known_cases_agree_with_quick_xml() {
    let cases: &[&[u8]] = &[
        b"<a>x</a>",
        b"<a> <b/> t <c/> </a>",
        b"<a>\r\n<![CDATA[ ]]>&#32;<b/>&#32;<![CDATA[\r]]></a>",
        b"<p:a xmlns:p='urn:p' xmlns='urn:d' p:x='1&#9;2\r\n3' y=\"&lt;&amp;\"><b/></p:a>",
        b"\xEF\xBB\xBF<?xml version='1.0'?><!-- c --><a xml:lang='en'/><?pi x?>",
        b"<a><!-->--><!--->--><![CDATA[]]]]><![CDATA[>]]></a>",
        b"<a b='\r\n\r\t&#13;&#10;&#9;\n'>\r\r\n&#13;\r</a>",
        b"<a>&#x10FFFF;&#65;&#x41;&#0065;</a>",
        b"<xml:a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:space='preserve'/>",
        b"<a xmlns:p='u&amp;&#x20;v' xmlns:q='u&amp;&#x20;v'><p:b q:c='1'/></a>",
        b"<a xmlns='urn:d'><b xmlns=''><c/></b></a>",
        b"<a\r\n b\t=\n'1'\r\n></a\t\r\n>",
        b"<?a?><a/><?b ?>\n<!---->",
        b"<a>x<b/>y<!---->z<c/> <![CDATA[]]> </a>",
        b"<a>]]&gt;</a>",
    ];
    for c in cases {
        assert!(
            matches!(check(c, &XmlLimits::default()), Ok(Verdict::Agreed(_))),
            "{:?}: {:?}",
            String::from_utf8_lossy(c),
            check(c, &XmlLimits::default())
        );
    }
}
