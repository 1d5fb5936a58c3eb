//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with `--cfg fuzzing`;
//! not a public API.

use bytes::Bytes;

use crate::{
    Authentication, EMPTY_HEADER, Framing, Message, Mode, ParserConfig, SipMessage, Status, Uri,
    parse_with,
};

const CONFIGS: [(Mode, Framing); 4] = [
    (Mode::Strict, Framing::Stream),
    (Mode::Strict, Framing::Datagram),
    (Mode::Lenient, Framing::Stream),
    (Mode::Lenient, Framing::Datagram),
];

fn config(mode: Mode, framing: Framing) -> ParserConfig {
    ParserConfig::default().mode(mode).framing(framing)
}

/// Borrowed parse in every mode; a complete message must stay within the input.
pub fn parse_borrowed(data: &[u8]) {
    for (mode, framing) in CONFIGS {
        let mut slots = [EMPTY_HEADER; 64];
        if let Ok(Status::Complete(m)) = parse_with(data, &mut slots, &config(mode, framing)) {
            assert!(m.consumed() <= data.len());
            assert!(m.wire_bytes().len() <= m.consumed());
            touch_typed(&m);
        }
    }
}

/// Owned parse; must agree with the borrowed parse.
pub fn parse_owned(data: &[u8]) {
    for (mode, framing) in CONFIGS {
        let cfg = config(mode, framing);
        let owned = SipMessage::parse_with(Bytes::copy_from_slice(data), &cfg);
        let mut slots = vec![EMPTY_HEADER; cfg.get_limits().max_headers];
        let borrowed = parse_with(data, &mut slots, &cfg);
        match (owned, borrowed) {
            (Ok(o), Ok(Status::Complete(b))) => assert!(o.message() == b),
            (Err(_), Err(_) | Ok(Status::Partial)) => {}
            (o, b) => panic!("owned {o:?} but borrowed {b:?}"),
        }
    }
}

/// URI parser.
pub fn uri(data: &[u8]) {
    if let Ok(u) = Uri::parse(data) {
        assert_eq!(u.as_str().as_bytes(), data);
        if let Uri::Sip(s) = u {
            let _ = (s.user_decoded(), s.params.iter().count(), s.host.ip());
        }
    }
}

/// Every typed accessor on a leniently parsed datagram.
pub fn typed_headers(data: &[u8]) {
    let mut slots = [EMPTY_HEADER; 64];
    let cfg = config(Mode::Lenient, Framing::Datagram);
    if let Ok(Status::Complete(m)) = parse_with(data, &mut slots, &cfg) {
        touch_typed(&m);
    }
    for c in Authentication::parse_all(data).flatten() {
        let _ = c.params.iter().count();
    }
}

fn touch_typed(m: &Message<'_>) {
    let _ = (
        m.method(),
        m.request_uri_parsed(),
        m.status(),
        m.reason_str(),
        m.body().len(),
    );
    for v in m.via().flatten() {
        let _ = (
            v.branch(),
            v.received(),
            v.rport(),
            v.maddr(),
            v.ttl(),
            v.sent_by(),
        );
    }
    let _ = (
        m.from(),
        m.to(),
        m.call_id(),
        m.cseq(),
        m.max_forwards(),
        m.content_length(),
    );
    let _ = (
        m.content_type(),
        m.expires(),
        m.date(),
        m.event(),
        m.user_agent(),
        m.server(),
    );
    let _ = (
        m.authentication_info(),
        m.proxy_authentication_info(),
        m.top_via(),
    );
    let _ = m.contacts().count() + m.routes().count() + m.record_routes().count();
    let _ = m.p_asserted_identities().count() + m.p_preferred_identities().count();
    let _ =
        m.allow().count() + m.supported().count() + m.require().count() + m.proxy_require().count();
    for a in m.www_authenticate().chain(m.authorization()).flatten() {
        let _ = a.params.iter().map(|p| p.unquoted().len()).sum::<usize>();
    }
    for h in m.headers() {
        let _ = h.value_unfolded().count();
    }
}

/// `parse -> canonical -> parse` gives an equal message, and writing the wire bytes back
/// reparses to the same message.
pub fn round_trip(data: &[u8]) {
    for (mode, framing) in CONFIGS {
        let cfg = config(mode, framing);
        let mut slots = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(m)) = parse_with(data, &mut slots, &cfg) else {
            continue;
        };
        let canonical = m.to_canonical_bytes();
        // The canonical form is always CRLF-framed and single-spaced, so it must parse in
        // lenient mode with the same framing.
        let lenient = config(Mode::Lenient, framing);
        let mut slots2 = [EMPTY_HEADER; 64];
        match parse_with(&canonical, &mut slots2, &lenient) {
            Ok(Status::Complete(m2)) => {
                assert!(m == m2, "canonical form differs:\n{m:?}\n{m2:?}");
                assert_eq!(m2.consumed(), canonical.len());
            }
            other => panic!(
                "canonical form does not parse: {other:?}\n{:?}",
                String::from_utf8_lossy(&canonical)
            ),
        }
        let wire = m.wire_bytes();
        let mut slots3 = [EMPTY_HEADER; 64];
        if let Ok(Status::Complete(m3)) = parse_with(wire, &mut slots3, &cfg) {
            assert!(m == m3);
        }
    }
}
