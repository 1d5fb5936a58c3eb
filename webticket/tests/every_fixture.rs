//! Every parser on every fixture: no panic, and each fixture is accepted by exactly the
//! parsers it was written for. With `--cfg fuzzing` the fuzz entry points run on every
//! fixture too (the fixtures are the fuzz seeds).

use std::collections::BTreeSet;

use webticket::UnixTime;
use webticket::autodiscover::{AutodiscoverResponse, Challenge};
use webticket::crypto::ClientEntropy;
use webticket::device_code::{DeviceAuthorization, DeviceConfig, TokenResponse};
use webticket::orgid::{OrgIdToken, RealmInfo};
use webticket::soap::{MsDiagnostics, SoapFault};
use webticket::webticket::{Metadata, WebTicket};
use webticket::xml::{Document, XmlLimits};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() > 60, "fixtures found: {}", out.len());
    out
}

/// Which parsers accept which fixture (name → set of parser names).
fn accepted(body: &[u8]) -> BTreeSet<&'static str> {
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    let now = UnixTime(1_767_225_600);
    let mut ok = BTreeSet::new();
    let mut check = |name, r: bool| {
        if r {
            ok.insert(name);
        }
    };
    check(
        "autodiscover_xml",
        AutodiscoverResponse::parse_xml(body).is_ok(),
    );
    check(
        "autodiscover_json",
        AutodiscoverResponse::parse_json(body).is_ok(),
    );
    check("mex", Metadata::parse(body).is_ok());
    check(
        "rstr",
        WebTicket::parse(body, Some(&entropy)).is_ok() || WebTicket::parse(body, None).is_ok(),
    );
    check("orgid", OrgIdToken::parse(body).is_ok());
    check("realm", RealmInfo::parse(body).is_ok());
    check("device_config", DeviceConfig::parse(body).is_ok());
    check(
        "device_authorization",
        DeviceAuthorization::parse(body).is_ok(),
    );
    check("token", TokenResponse::parse(body, now).is_ok());
    if let Ok(doc) = Document::parse(body, &XmlLimits::default()) {
        check("fault", SoapFault::from_document(&doc).is_some());
    }
    if let Ok(s) = std::str::from_utf8(body) {
        let _ = Challenge::parse_all(s);
        let _ = MsDiagnostics::parse(s);
    }
    ok
}

#[test]
fn every_parser_on_every_fixture() {
    let mut mismatches = Vec::new();
    for (name, body) in fixtures() {
        let got = accepted(&body);
        let expected: &[&str] = match name.as_str() {
            n if n.starts_with("ad_") && n.ends_with(".xml") => &["autodiscover_xml"],
            n if n.starts_with("ad_") && n.ends_with(".json") => {
                &["autodiscover_json", "device_config"]
            }
            n if n.starts_with("mex_") && n != "mex_not_wsdl.xml" => &["mex"],
            // A web-ticket RSTR with a wst:Lifetime is also a well-formed OrgID/ADFS-style
            // token response (OrgIdToken accepts any token element).
            "rstr_proof.xml"
            | "rstr_bearer.xml"
            | "rstr_inherited_ns.xml"
            | "rstr_expired.xml"
            | "rstr_issued_key.xml"
            | "rstr_keysize.xml" => &["orgid", "rstr"],
            "rstr_conditions_only.xml" => &["rstr"],
            "rstr_bad_entropy.xml" => &["orgid"],
            "rst2_response.xml" => &["orgid"],
            "adfs_response.xml" => &["orgid", "rstr"],
            n if n.starts_with("realm_") => &["realm"],
            "fault_ocs.xml" => &["fault"],
            "fault_soap12.xml" | "rst2_fault.xml" => &["fault"],
            "device_config.json" | "token_mac.json" | "devicecode_missing_expires.json" => {
                &["device_config"]
            }
            n if n.starts_with("error_") => &["device_config"],
            n if n.starts_with("devicecode_") => &["device_authorization", "device_config"],
            n if n.starts_with("token_") => &["device_config", "token"],
            // Request bodies (envelopes without RSTR/fault), HTTP captures, seeds, broken
            // variants: no response parser accepts them.
            _ => &[],
        };
        let expected: BTreeSet<_> = expected.iter().copied().collect();
        if got != expected {
            mismatches.push(format!(
                "{name}: accepted by {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[cfg(fuzzing)]
#[test]
fn fuzz_entry_points_on_every_fixture() {
    use webticket::fuzzing;
    for (_, body) in fixtures() {
        fuzzing::xml_document(&body);
        fuzzing::autodiscover_xml(&body);
        fuzzing::autodiscover_json(&body);
        fuzzing::mex(&body);
        fuzzing::rstr(&body);
        fuzzing::device_code_json(&body);
    }
}
