//! Known-answer tests for the proof key and the timestamp signature.
//!
//! The expected values were computed independently of this crate:
//!
//! - `P_SHA1`: Python 3 `hmac`/`hashlib` (a direct transcription of RFC 2246 §5) and
//!   `openssl kdf -kdfopt digest:SHA1 … TLS1-PRF` (OpenSSL 3.0; with `digest:SHA1` the
//!   TLS 1.0 PRF is exactly `P_SHA1(secret, seed)`); both agree.
//! - Canonical forms: Python's `xml.etree.ElementTree.canonicalize` applied to a
//!   non-canonical spelling (self-closing tags, other attribute order) gives exactly the
//!   strings below.
//! - Digest and HMAC: `openssl dgst -sha1` and `openssl dgst -sha1 -mac HMAC`.

use webticket::UnixTime;
use webticket::crypto::{ClientEntropy, ProofKey, hmac_sha1, p_sha1, sha1};
use webticket::soap::{SecurityHeader, Timestamp, ns, signed_info_c14n};
use webticket::xml::{Document, XmlLimits};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// Client entropy 0x00..0x1f (spec F6), server entropy 0x20..0x01 (spec F7).
const CLIENT: [u8; 32] = {
    let mut a = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        a[i] = i as u8;
        i += 1;
    }
    a
};
const SERVER_HEX: &str = "201f1e1d1c1b1a191817161514131211100f0e0d0c0b0a090807060504030201";
const KEY32: &str = "c8958347a1e6d158a8dcbcab17b988b2fbe29fcce7b1afdb9c0e3f86ebf451d5";
const KEY64: &str = "c8958347a1e6d158a8dcbcab17b988b2fbe29fcce7b1afdb9c0e3f86ebf451d5c2b4b12905da68e75d60509f5c4c939b47e024d08cd49512b9cf050112247e22";

const TS_C14N: &str = "<wsu:Timestamp xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"timestamp\"><wsu:Created>2026-01-01T00:00:00Z</wsu:Created><wsu:Expires>2026-01-01T08:00:00Z</wsu:Expires></wsu:Timestamp>";
const TS_DIGEST: &str = "9sc0UsQ2DVLkLaDIcuiaCse5b5k=";
const SIGNED_INFO_C14N: &str = "<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></CanonicalizationMethod><SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#hmac-sha1\"></SignatureMethod><Reference URI=\"#timestamp\"><Transforms><Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></Transform></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"></DigestMethod><DigestValue>9sc0UsQ2DVLkLaDIcuiaCse5b5k=</DigestValue></Reference></SignedInfo>";
const SIGNATURE: &str = "eT9q2N5pOdcNijs9Y1Ibdbzb6K0=";

#[test]
fn p_sha1_known_answers() {
    let server = unhex(SERVER_HEX);
    assert_eq!(hex(&p_sha1(&CLIENT, &server, 32)), KEY32);
    assert_eq!(hex(&p_sha1(&CLIENT, &server, 64)), KEY64);
    // Second vector: secret 0xaa × 32, seed 0x55 × 32 (Python and OpenSSL).
    assert_eq!(
        hex(&p_sha1(&[0xaa; 32], &[0x55; 32], 32)),
        "55a078d4874f1b22058aee028e5c157c2caabb09ba63f0b6bf2a556cbeb4fab1"
    );
    // Third: empty seed, 20-byte secret (one block).
    assert_eq!(
        hex(&p_sha1(&[0x0b; 20], b"", 20)),
        "d8cbefdc134217f5fbec8c80ae038350e8fecb13"
    );

    let key = ProofKey::compute_psha1(&ClientEntropy::from_bytes(CLIENT), &server);
    assert_eq!(hex(key.dangerous_as_bytes()), KEY32);
}

#[test]
fn hmac_and_sha1_known_answers() {
    // RFC 2202 test case 2 (HMAC-SHA1) and FIPS 180 "abc" (SHA-1): the primitives are wired right.
    assert_eq!(
        hex(&hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
    assert_eq!(
        hex(&sha1(b"abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

#[test]
fn timestamp_signature_known_answers() {
    let ts = Timestamp::new(UnixTime(1_767_225_600), UnixTime(1_767_254_400));
    assert_eq!(ts.to_xml(), TS_C14N);
    assert_eq!(b64(&sha1(TS_C14N.as_bytes())), TS_DIGEST);
    assert_eq!(signed_info_c14n(TS_DIGEST), SIGNED_INFO_C14N);
    let key = ProofKey::from_issued(unhex(KEY32));
    assert_eq!(b64(&key.sign(SIGNED_INFO_C14N.as_bytes())), SIGNATURE);

    let assertion = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="SamlSecurityToken-1"></saml:Assertion>"#;
    let sec = SecurityHeader::signed(&ts, assertion, "SamlSecurityToken-1", &key).unwrap();
    let s = sec.dangerous_as_str();
    assert!(s.starts_with(&format!("{TS_C14N}{assertion}<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">{SIGNED_INFO_C14N}")));
    assert!(s.contains(&format!("<SignatureValue>{SIGNATURE}</SignatureValue>")));
    assert_eq!(format!("{sec:?}"), "SecurityHeader([redacted])");
}

/// What a server emulator does: take the header out of a full envelope, recompute the
/// digest from the Timestamp bytes and the HMAC from the SignedInfo bytes, and compare.
#[test]
fn emulator_side_verification() {
    let key = ProofKey::compute_psha1(&ClientEntropy::from_bytes(CLIENT), &unhex(SERVER_HEX));
    let ts = Timestamp::from_lexical("2026-01-01T00:00:00Z", "2026-01-01T08:00:00Z").unwrap();
    let assertion =
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="A-7"/>"#;
    let sec = SecurityHeader::signed(&ts, assertion, "A-7", &key).unwrap();
    let envelope = webticket::soap::SoapMessage {
        version: webticket::soap::SoapVersion::Soap11,
        namespaces: &[],
        addressing: None,
        security: Some(&sec),
        body: "<x/>",
    }
    .to_xml()
    .unwrap();
    let doc = Document::parse(envelope.as_bytes(), &XmlLimits::default()).unwrap();
    let security = doc.root().find(ns::WSSE, "Security").unwrap();
    let timestamp = security.child(ns::WSU, "Timestamp").unwrap();
    let signature = security.child(ns::DS, "Signature").unwrap();
    let signed_info = signature.child(ns::DS, "SignedInfo").unwrap();
    let digest = signed_info.find(ns::DS, "DigestValue").unwrap().text();
    assert_eq!(b64(&sha1(timestamp.raw().as_bytes())), digest);
    let value = signature.child(ns::DS, "SignatureValue").unwrap().text();
    let mac: Vec<u8> = {
        // Decode base64 independently via the known encoder: compare encodings instead.
        let computed = key.sign(signed_info.raw().as_bytes());
        assert_eq!(b64(&computed), value);
        computed.to_vec()
    };
    assert!(key.verify(signed_info.raw().as_bytes(), &mac));
    assert!(!key.verify(b"tampered", &mac));
    let id = signature.find(ns::WSSE, "KeyIdentifier").unwrap();
    assert_eq!(id.text(), "A-7");
    assert_eq!(
        id.attr("", "ValueType"),
        Some("http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID")
    );
}
