//! Differential test against Wireshark's SIP dissector (tshark): every corpus message our
//! strict parser accepts and every Lync fixture goes through `sipdsk parse --json` and
//! through `text2pcap | tshark`, and the two must agree on method, Request-URI, status,
//! Call-ID, CSeq, From/To tags, top Via branch/transport/host and Content-Length.
//!
//! Known disagreements live in `tests/data/tshark-allowlist.tsv` with the reason; the test
//! fails when a disagreement is not listed (a new bug on one side) and when a listed one
//! no longer happens (a stale entry), so the list cannot grow or rot silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const FIELDS: &[&str] = &[
    "sip.Method",
    "sip.r-uri",
    "sip.Status-Code",
    "sip.Call-ID",
    "sip.CSeq.seq",
    "sip.CSeq.method",
    "sip.from.tag",
    "sip.to.tag",
    "sip.Via.branch",
    "sip.Via.transport",
    "sip.Via.sent-by.address",
    "sip.Content-Length",
];

fn have_tools() -> bool {
    let ok = ["tshark", "text2pcap"].iter().all(|t| {
        Command::new(t)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "tshark/text2pcap missing (apt-get install tshark); scripts/test installs them"
        );
        eprintln!("SKIPPED: tshark not installed");
    }
    ok
}

fn inputs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "../../shared/corpus/rfc4475",
        "../../shared/corpus/rfc5118",
        "../sip-core/tests/data",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Our values for the compared fields, from `sipdsk parse --json` (None: absent).
fn ours(json: &Value) -> BTreeMap<&'static str, Option<String>> {
    let s = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    let via = &json["via"][0];
    BTreeMap::from([
        ("sip.Method", s(&json["method"])),
        ("sip.r-uri", s(&json["uri"])),
        ("sip.Status-Code", s(&json["status"])),
        ("sip.Call-ID", s(&json["call_id"])),
        ("sip.CSeq.seq", s(&json["cseq"]["seq"])),
        ("sip.CSeq.method", s(&json["cseq"]["method"])),
        ("sip.from.tag", s(&json["from"]["tag"])),
        ("sip.to.tag", s(&json["to"]["tag"])),
        ("sip.Via.branch", s(&via["branch"])),
        ("sip.Via.transport", s(&via["transport"])),
        ("sip.Via.sent-by.address", s(&via["host"])),
        ("sip.Content-Length", s(&json["content_length"])),
    ])
}

fn hexdump(data: &[u8], out: &mut String) {
    for (i, chunk) in data.chunks(16).enumerate() {
        out.push_str(&format!("{:06x}", i * 16));
        for b in chunk {
            out.push_str(&format!(" {b:02x}"));
        }
        out.push('\n');
    }
}

#[test]
fn sipdsk_and_tshark_agree() {
    if !have_tools() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("sipdsk-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Messages we accept strictly, with our JSON.
    let mut accepted: Vec<(String, Value)> = Vec::new();
    let mut hex = String::new();
    for path in inputs() {
        let out = Command::new(env!("CARGO_BIN_EXE_sipdsk"))
            .args(["parse", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        if !out.status.success() {
            continue;
        }
        let name = format!(
            "{}/{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            path.file_name().unwrap().to_string_lossy()
        );
        accepted.push((name, serde_json::from_slice(&out.stdout).unwrap()));
        hexdump(&std::fs::read(&path).unwrap(), &mut hex);
    }
    assert!(
        accepted.len() >= 45,
        "only {} messages accepted",
        accepted.len()
    );
    std::fs::write(tmp.join("all.hex"), hex).unwrap();
    let pcap = tmp.join("all.pcap");
    let status = Command::new("text2pcap")
        .args(["-q", "-4", "127.0.0.1,127.0.0.1", "-u", "5060,5060"])
        .arg(tmp.join("all.hex"))
        .arg(&pcap)
        .status()
        .unwrap();
    assert!(status.success());
    let mut tshark = Command::new("tshark");
    tshark
        .arg("-r")
        .arg(&pcap)
        .args(["-T", "ek", "-e", "frame.number"]);
    for f in FIELDS {
        tshark.args(["-e", f]);
    }
    let out = tshark.stderr(Stdio::null()).output().unwrap();
    assert!(out.status.success());
    let mut theirs: BTreeMap<usize, Value> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"layers\""))
    {
        let v: Value = serde_json::from_str(line).unwrap();
        let n: usize = v["layers"]["frame_number"][0]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        theirs.insert(n, v["layers"].clone());
    }
    assert_eq!(theirs.len(), accepted.len(), "one frame per message");

    let mut found: BTreeMap<(String, String), String> = BTreeMap::new();
    for (i, (name, json)) in accepted.iter().enumerate() {
        let layers = &theirs[&(i + 1)];
        for (field, mine) in ours(json) {
            let key = field.replace('.', "_");
            let theirs = layers[&key][0]
                .as_str()
                .map(str::to_string)
                .filter(|s| !s.is_empty());
            if mine != theirs {
                found.insert(
                    (name.clone(), field.to_string()),
                    format!("ours {mine:?}, tshark {theirs:?}"),
                );
            }
        }
    }

    let allow_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tshark-allowlist.tsv"),
    )
    .unwrap();
    let allowed: BTreeMap<(String, String), String> = allow_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (file, field, reason) = (
                cols.next().unwrap(),
                cols.next().unwrap(),
                cols.next().unwrap_or(""),
            );
            assert!(
                !reason.trim().is_empty(),
                "allow-list entry without a reason: {l}"
            );
            ((file.to_string(), field.to_string()), reason.to_string())
        })
        .collect();
    let new: Vec<String> = found
        .iter()
        .filter(|(k, _)| !allowed.contains_key(*k))
        .map(|((f, fld), d)| format!("{f}\t{fld}\t{d}"))
        .collect();
    let stale: Vec<String> = allowed
        .keys()
        .filter(|k| !found.contains_key(*k))
        .map(|(f, fld)| format!("{f}\t{fld}"))
        .collect();
    assert!(
        new.is_empty() && stale.is_empty(),
        "new disagreements:\n{}\nstale allow-list entries:\n{}",
        new.join("\n"),
        stale.join("\n")
    );
    eprintln!(
        "{} messages compared on {} fields; {} known disagreements",
        accepted.len(),
        FIELDS.len(),
        found.len()
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
