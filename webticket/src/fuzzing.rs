//! Entry points for the cargo-fuzz targets. Compiled only with `--cfg fuzzing`; not a
//! public API. Each function must never panic, whatever the input.

use crate::UnixTime;
use crate::autodiscover::{AutodiscoverResponse, Challenge, LinkKind};
use crate::crypto::ClientEntropy;
use crate::device_code::{
    DeviceAuthorization, DeviceCodeConfig, DeviceConfig, DevicePoller, PollStep, TokenResponse,
};
use crate::http::HttpResponse;
use crate::orgid::{OrgIdToken, RealmInfo};
use crate::soap::{MsDiagnostics, SoapFault};
use crate::webticket::{Metadata, PORT_CERTPROV_PROOF, WebTicket};
use crate::xml::{Document, XmlLimits};

/// The safe XML reader: spans stay inside the input, traversal terminates.
pub fn xml_document(data: &[u8]) {
    let limits = XmlLimits::default().max_size(64 * 1024);
    if let Ok(doc) = Document::parse(data, &limits) {
        let src = doc.source();
        let root = doc.root();
        assert!(src.contains(root.raw()));
        let mut n = 0;
        for el in std::iter::once(root).chain(root.descendants()) {
            n += 1;
            assert!(el.raw().starts_with('<') && el.raw().ends_with('>'));
            let _ = el.raw_standalone();
            let _ = el.text_trimmed();
            for a in el.attributes() {
                assert!(!a.local_name.is_empty());
            }
        }
        assert_eq!(n, doc.element_count());
        let _ = SoapFault::from_document(&doc);
    }
}

/// Autodiscover XML (and the same bytes as `WWW-Authenticate` / `X-Ms-diagnostics`).
pub fn autodiscover_xml(data: &[u8]) {
    if let Ok(r) = AutodiscoverResponse::parse_xml(data) {
        for p in r.sip_pools() {
            assert!(p.port != 0 && !p.host.is_empty());
        }
        let _ = r.link(LinkKind::User);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        for c in Challenge::parse_all(s) {
            assert!(!c.scheme.is_empty());
        }
        let _ = MsDiagnostics::parse(s);
    }
}

/// Autodiscover JSON.
pub fn autodiscover_json(data: &[u8]) {
    if let Ok(r) = AutodiscoverResponse::parse_json(data) {
        for p in r.sip_pools() {
            assert!(p.port != 0 && !p.host.is_empty());
        }
        let _ = r.redirect();
    }
}

/// MEX / WSDL.
pub fn mex(data: &[u8]) {
    if let Ok(m) = Metadata::parse(data) {
        let _ = m.web_ticket_endpoints();
        if let Some(req) = m.service_requirements(PORT_CERTPROV_PROOF) {
            assert!(m.port(PORT_CERTPROV_PROOF).is_some());
            assert!(!req.issuer.is_empty());
        }
    }
}

/// WS-Trust responses: web-ticket RSTR (with and without client entropy), OrgID RSTR,
/// RealmInfo.
pub fn rstr(data: &[u8]) {
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    for e in [None, Some(&entropy)] {
        if let Ok(t) = WebTicket::parse(data, e) {
            assert!(!t.assertion_id().is_empty());
            assert!(t.lifetime().expires > t.lifetime().created);
            assert!(t.header_value().starts_with("opaque="));
            let sec = t
                .security_header()
                .expect("a parsed ticket can be presented");
            assert!(sec.dangerous_as_str().contains(t.assertion_xml()));
        }
    }
    if let Ok(t) = OrgIdToken::parse(data) {
        assert!(
            t.security_header()
                .dangerous_as_str()
                .ends_with(t.token_xml())
        );
    }
    let _ = RealmInfo::parse(data);
}

/// Device-code JSON: bootstrap, authorization, token response, and the poller fed with the
/// bytes as an error answer.
pub fn device_code_json(data: &[u8]) {
    let _ = DeviceConfig::parse(data);
    let now = UnixTime(1_767_225_600);
    if let Ok(t) = TokenResponse::parse(data, now) {
        assert!(!t.access_token.is_empty());
    }
    let cfg = DeviceCodeConfig::aad_v1("https://login.example/common", "c", "https://r/");
    if let Ok(auth) = DeviceAuthorization::parse(data) {
        assert!(auth.interval >= 1);
        let mut p = DevicePoller::new(cfg.clone(), auth, now);
        let _ = p.poll(now);
    }
    let auth = DeviceAuthorization::parse(
        br#"{"user_code":"U","device_code":"D","verification_uri":"https://v/","expires_in":60}"#,
    )
    .expect("static json");
    let t = now.plus(5);
    for status in [200u16, 400] {
        let mut p = DevicePoller::new(cfg.clone(), auth.clone(), now);
        if let Ok(PollStep::Send(_)) = p.poll(t) {
            p.handle_response(&HttpResponse::new(status, data), t)
                .expect("a request is outstanding");
            let _ = p.poll(t);
            let _ = p.poll(t.plus(100));
        }
    }
}
