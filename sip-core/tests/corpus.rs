//! Table-driven tests over the RFC 4475 and RFC 5118 torture corpora in `../shared/corpus`
//! (override with `SIP_CORPUS_DIR`). Digests are checked first, so a checkout that rewrote
//! line endings fails loudly instead of testing the wrong bytes.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use sip_core::{
    EMPTY_HEADER, ErrorKind, Framing, KnownHeader, Mode, ParserConfig, Status, parse_with,
};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SIP_CORPUS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

fn read(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "corpus file {} is missing ({e}); set SIP_CORPUS_DIR",
            path.display()
        )
    })
}

/// Expected outcome in strict mode, from the corpus README.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Parse,
    Reject(ErrorKind),
}
use Expect::*;

const TABLE: &[(&str, Expect)] = &[
    // RFC 4475 §3.1.1: valid.
    ("rfc4475/wsinv.dat", Parse),
    ("rfc4475/intmeth.dat", Parse),
    ("rfc4475/esc01.dat", Parse),
    ("rfc4475/escnull.dat", Parse),
    ("rfc4475/esc02.dat", Parse),
    ("rfc4475/lwsdisp.dat", Parse),
    ("rfc4475/longreq.dat", Parse),
    ("rfc4475/dblreq.dat", Parse),
    ("rfc4475/semiuri.dat", Parse),
    ("rfc4475/transports.dat", Parse),
    ("rfc4475/mpart01.dat", Parse),
    ("rfc4475/unreason.dat", Parse),
    ("rfc4475/noreason.dat", Parse),
    // RFC 4475 §3.1.2: invalid.
    ("rfc4475/badinv01.dat", Reject(ErrorKind::InvalidParam)),
    (
        "rfc4475/clerr.dat",
        Reject(ErrorKind::BodyShorterThanContentLength),
    ),
    ("rfc4475/ncl.dat", Reject(ErrorKind::InvalidContentLength)),
    ("rfc4475/scalar02.dat", Reject(ErrorKind::NumberOutOfRange)),
    ("rfc4475/scalarlg.dat", Reject(ErrorKind::NumberOutOfRange)),
    (
        "rfc4475/quotbal.dat",
        Reject(ErrorKind::UnterminatedQuotedString),
    ),
    ("rfc4475/ltgtruri.dat", Reject(ErrorKind::InvalidRequestUri)),
    ("rfc4475/lwsruri.dat", Reject(ErrorKind::InvalidRequestUri)),
    (
        "rfc4475/lwsstart.dat",
        Reject(ErrorKind::StartLineWhitespace),
    ),
    ("rfc4475/trws.dat", Reject(ErrorKind::StartLineWhitespace)),
    ("rfc4475/escruri.dat", Reject(ErrorKind::InvalidRequestUri)),
    ("rfc4475/baddate.dat", Reject(ErrorKind::InvalidDate)),
    ("rfc4475/regbadct.dat", Reject(ErrorKind::InvalidNameAddr)),
    ("rfc4475/badaspec.dat", Reject(ErrorKind::InvalidNameAddr)),
    ("rfc4475/baddn.dat", Reject(ErrorKind::InvalidDisplayName)),
    ("rfc4475/badvers.dat", Reject(ErrorKind::UnsupportedVersion)),
    (
        "rfc4475/mismatch01.dat",
        Reject(ErrorKind::CSeqMethodMismatch),
    ),
    (
        "rfc4475/mismatch02.dat",
        Reject(ErrorKind::CSeqMethodMismatch),
    ),
    ("rfc4475/bigcode.dat", Reject(ErrorKind::InvalidStatusCode)),
    // RFC 4475 §3.2-3.4: parse, semantics above the parser.
    ("rfc4475/badbranch.dat", Parse),
    ("rfc4475/insuf.dat", Parse),
    ("rfc4475/unkscm.dat", Parse),
    ("rfc4475/novelsc.dat", Parse),
    ("rfc4475/unksm2.dat", Parse),
    ("rfc4475/bext01.dat", Parse),
    ("rfc4475/invut.dat", Parse),
    ("rfc4475/regaut01.dat", Parse),
    ("rfc4475/multi01.dat", Parse),
    ("rfc4475/mcl01.dat", Parse),
    ("rfc4475/bcast.dat", Parse),
    ("rfc4475/zeromf.dat", Parse),
    ("rfc4475/cparam01.dat", Parse),
    ("rfc4475/cparam02.dat", Parse),
    ("rfc4475/regescrt.dat", Parse),
    ("rfc4475/sdp01.dat", Parse),
    ("rfc4475/inv2543.dat", Parse),
    // RFC 5118.
    ("rfc5118/ipv6-good", Parse),
    ("rfc5118/ipv6-bad", Reject(ErrorKind::InvalidRequestUri)),
    ("rfc5118/port-ambiguous", Parse),
    ("rfc5118/port-unambiguous", Parse),
    ("rfc5118/via-received-param-with-delim", Parse),
    ("rfc5118/via-received-param-no-delim", Parse),
    ("rfc5118/ipv6-in-sdp", Parse),
    ("rfc5118/mult-ip-in-header", Parse),
    ("rfc5118/mult-ip-in-sdp", Parse),
    ("rfc5118/ipv4-mapped-ipv6", Parse),
    // Contested (RFC 5118 §4.10): our policy is strict reject, lenient accept.
    (
        "rfc5118/ipv6-bug-abnf-3-colons",
        Reject(ErrorKind::InvalidRequestUri),
    ),
    ("rfc5118/ipv6-correct-abnf-2-colons", Parse),
];

/// Invalid messages that lenient mode still rejects, and why.
const LENIENT_REJECTS: &[(&str, ErrorKind)] = &[
    ("rfc4475/clerr.dat", ErrorKind::BodyShorterThanContentLength),
    ("rfc4475/ncl.dat", ErrorKind::InvalidContentLength),
    ("rfc4475/badvers.dat", ErrorKind::UnsupportedVersion),
    ("rfc4475/bigcode.dat", ErrorKind::InvalidStatusCode),
];

fn datagram(mode: Mode) -> ParserConfig {
    ParserConfig::default()
        .framing(Framing::Datagram)
        .mode(mode)
}

#[test]
fn digests_match_sha256sums() {
    let sums = String::from_utf8(read("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hex, name) = line.split_once(char::is_whitespace).unwrap();
        let name = name.trim().trim_start_matches('*');
        let digest = Sha256::digest(read(name));
        let got: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            got, hex,
            "{name}: digest mismatch (line endings rewritten?)"
        );
        checked += 1;
    }
    assert_eq!(checked, 61, "SHA256SUMS should list all 61 corpus files");
}

#[test]
fn table_covers_every_corpus_file() {
    let mut files = Vec::new();
    for sub in ["rfc4475", "rfc5118"] {
        for e in std::fs::read_dir(corpus_dir().join(sub)).expect("corpus directory") {
            files.push(format!(
                "{sub}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    files.sort();
    let mut listed: Vec<String> = TABLE.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn strict_outcomes() {
    let mut failures = Vec::new();
    for &(name, expect) in TABLE {
        let data = read(name);
        let mut slots = [EMPTY_HEADER; 64];
        let got = parse_with(&data, &mut slots, &datagram(Mode::Strict));
        match (expect, &got) {
            (Parse, Ok(Status::Complete(_))) => {}
            (Reject(kind), Err(e)) if e.kind() == kind => {
                assert!(e.offset() <= data.len(), "{name}: offset {e:?}")
            }
            _ => failures.push(format!("{name}: expected {expect:?}, got {got:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lenient_outcomes() {
    for &(name, _) in TABLE {
        let data = read(name);
        let mut slots = [EMPTY_HEADER; 64];
        let got = parse_with(&data, &mut slots, &datagram(Mode::Lenient));
        match LENIENT_REJECTS.iter().find(|(n, _)| *n == name) {
            Some(&(_, kind)) => assert_eq!(got.map(|_| ()).unwrap_err().kind(), kind, "{name}"),
            None => assert!(
                matches!(got, Ok(Status::Complete(_))),
                "{name}: lenient mode should accept it: {got:?}"
            ),
        }
    }
}

#[test]
fn every_valid_message_round_trips() {
    for &(name, expect) in TABLE {
        if !matches!(expect, Parse) {
            continue;
        }
        let data = read(name);
        let mut slots = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(m)) = parse_with(&data, &mut slots, &datagram(Mode::Strict)) else {
            panic!("{name}")
        };
        // Byte-for-byte: the wire bytes reparse to the same message.
        let mut slots2 = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(again)) =
            parse_with(m.wire_bytes(), &mut slots2, &datagram(Mode::Strict))
        else {
            panic!("{name}")
        };
        assert_eq!(m, again, "{name}");
        // Canonical: parse(serialize(m)) == m, and the canonical form is a fixed point.
        let canonical = m.to_canonical_bytes();
        let mut slots3 = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(c)) = parse_with(&canonical, &mut slots3, &datagram(Mode::Strict))
        else {
            panic!(
                "{name}: canonical form does not parse:\n{}",
                String::from_utf8_lossy(&canonical)
            )
        };
        assert_eq!(m, c, "{name}");
        assert_eq!(
            c.to_canonical_bytes(),
            canonical,
            "{name}: canonical form is not stable"
        );
    }
}

/// Parses a corpus file in strict datagram mode and runs `f` on it.
fn with<R>(name: &str, f: impl FnOnce(sip_core::Message<'_>) -> R) -> R {
    let data = read(name);
    let mut slots = [EMPTY_HEADER; 64];
    match parse_with(&data, &mut slots, &datagram(Mode::Strict)) {
        Ok(Status::Complete(m)) => f(m),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn wsinv_details() {
    with("rfc4475/wsinv.dat", |m| {
        assert_eq!(
            m.request_uri(),
            Some("sip:vivekg@chair-dnrc.example.com;unknownparam")
        );
        assert_eq!(m.to().unwrap().tag(), Some("1918181833n"));
        let from = m.from().unwrap();
        assert_eq!(from.tag(), Some("98asjd8"));
        assert_eq!(
            from.display_name_unquoted().as_deref(),
            Some("J Rosenberg \\\"")
        );
        assert_eq!(m.max_forwards().unwrap(), Some(68));
        assert_eq!(m.cseq().unwrap().seq, 9);
        let vias: Vec<_> = m.via().map(Result::unwrap).collect();
        assert_eq!(vias.len(), 3);
        assert_eq!(
            (vias[0].transport, vias[0].branch()),
            ("UDP", Some("390skdjuw"))
        );
        assert_eq!(
            (vias[1].transport, vias[1].host.as_str()),
            ("TCP", "spindle.example.com")
        );
        assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
        assert_eq!(
            m.headers().first(KnownHeader::Subject).unwrap().value(),
            b""
        );
        let unusual = m
            .headers()
            .named("UnknownHeaderWithUnusualValue")
            .next()
            .unwrap();
        assert_eq!(unusual.value(), b";;,,;;,;");
        let newfangled = m.headers().named("newfangledheader").next().unwrap();
        assert_eq!(
            newfangled.value_unfolded().to_string_lossy(),
            "newfangled value continued newfangled value"
        );
        let contact = m.contacts().next().unwrap().unwrap();
        assert_eq!(contact.address().unwrap().q(), Some("0.33"));
        assert_eq!(
            m.routes()
                .next()
                .unwrap()
                .unwrap()
                .uri
                .as_sip()
                .unwrap()
                .params
                .get("lr"),
            Some(None)
        );
        assert_eq!(m.body().len(), 150);
        assert_eq!(m.headers().len(), 14);
    });
}

#[test]
fn valid_message_details() {
    with("rfc4475/intmeth.dat", |m| {
        assert_eq!(
            m.method().unwrap().as_str(),
            "!interesting-Method0123456789_*+`.%indeed'~"
        );
        assert_eq!(m.cseq().unwrap().method, m.method().unwrap());
        assert!(m.to().unwrap().display_name.unwrap().contains('\0'));
        assert_eq!(m.from().unwrap().tag(), Some("_token~1'+`*%!-."));
        assert_eq!(
            m.call_id().unwrap(),
            "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
        );
        let ext = m
            .headers()
            .named("extensionHeader-!.%*+_`'~")
            .next()
            .unwrap();
        assert_eq!(ext.value_str(), Some("\u{FEFF}\u{5927}\u{505C}\u{96FB}"));
    });
    with("rfc4475/esc01.dat", |m| {
        let uri = m.request_uri_parsed().unwrap().unwrap();
        assert_eq!(
            &*uri.as_sip().unwrap().user_decoded().unwrap(),
            b"sips:user@example.com"
        );
        assert_eq!(m.content_type().unwrap().unwrap().subtype, "sdp");
    });
    with("rfc4475/escnull.dat", |m| {
        let contacts: Vec<_> = m.contacts().map(Result::unwrap).collect();
        assert_eq!(contacts.len(), 2);
        let Some(sip_core::Uri::Sip(u)) = contacts[1].address().map(|a| a.uri) else {
            panic!()
        };
        assert_eq!(&*u.user_decoded().unwrap(), b"\0\0");
    });
    with("rfc4475/esc02.dat", |m| {
        assert_eq!(
            m.method(),
            Some(sip_core::Method::Extension("RE%47IST%45R"))
        );
        assert_eq!(
            m.contacts().count(),
            2,
            "C%6Fntact is an unknown header, not Contact"
        );
        assert_eq!(m.headers().named("C%6Fntact").count(), 1);
    });
    with("rfc4475/dblreq.dat", |m| {
        assert_eq!(m.method(), Some(sip_core::Method::Register));
        assert!(m.body().is_empty());
        assert_eq!(
            m.consumed(),
            read("rfc4475/dblreq.dat").len(),
            "the trailing INVITE is discarded"
        );
    });
    with("rfc4475/transports.dat", |m| {
        let t: Vec<_> = m.via().map(|v| v.unwrap().transport).collect();
        assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    });
    with("rfc4475/mpart01.dat", |m| {
        assert_eq!(m.body().len(), 553);
        assert!(m.content_type().unwrap().unwrap().is("multipart", "mixed"));
    });
    with("rfc4475/unreason.dat", |m| {
        assert_eq!(m.status(), Some(200));
        assert!(
            m.reason_str()
                .unwrap()
                .starts_with("= 2**3 * 5**2 \u{43d}\u{43e}")
        );
    });
    with("rfc4475/noreason.dat", |m| {
        assert_eq!((m.status(), m.reason()), (Some(100), Some(&b""[..])))
    });
    with("rfc4475/longreq.dat", |m| {
        assert!(m.to().unwrap().display_name.unwrap().len() > 100);
        assert_eq!(m.via().count(), 34);
    });
    with("rfc4475/semiuri.dat", |m| {
        assert_eq!(
            m.request_uri_parsed()
                .unwrap()
                .unwrap()
                .as_sip()
                .unwrap()
                .user,
            Some("user;par=u%40example.net")
        )
    });
    with("rfc4475/lwsdisp.dat", |m| {
        assert_eq!(m.from().unwrap().display_name, Some("caller"))
    });
}

#[test]
fn app_layer_cases_are_visible_to_the_application() {
    with("rfc4475/insuf.dat", |m| {
        assert_eq!(m.from().unwrap_err().kind(), ErrorKind::MissingHeader);
        assert_eq!(m.call_id().unwrap_err().kind(), ErrorKind::MissingHeader);
        assert_eq!(m.call_id().unwrap_err().header(), Some(KnownHeader::CallId));
    });
    with("rfc4475/multi01.dat", |m| {
        assert_eq!(m.cseq().unwrap_err().kind(), ErrorKind::DuplicateHeader);
        assert_eq!(m.to().unwrap_err().kind(), ErrorKind::DuplicateHeader);
    });
    with("rfc4475/mcl01.dat", |m| {
        assert_eq!(
            m.content_length().unwrap_err().kind(),
            ErrorKind::DuplicateHeader
        );
        assert_eq!(
            m.body().len(),
            67,
            "conflicting Content-Length: the body is the rest of the datagram"
        );
    });
    with("rfc4475/badbranch.dat", |m| {
        assert!(!m.top_via().unwrap().has_rfc3261_branch())
    });
    with("rfc4475/unkscm.dat", |m| {
        assert_eq!(
            m.request_uri_parsed().unwrap().unwrap().scheme(),
            "nobodyKnowsThisScheme"
        )
    });
    with("rfc4475/novelsc.dat", |m| {
        assert_eq!(
            m.request_uri_parsed().unwrap().unwrap().scheme(),
            "soap.beep"
        )
    });
    with("rfc4475/unksm2.dat", |m| {
        assert_eq!(m.to().unwrap().uri.scheme(), "isbn");
        assert_eq!(m.from().unwrap().uri.scheme(), "http");
        assert_eq!(
            m.contacts()
                .next()
                .unwrap()
                .unwrap()
                .address()
                .unwrap()
                .uri
                .scheme(),
            "name"
        );
    });
    with("rfc4475/bext01.dat", |m| {
        assert_eq!(
            m.require().map(Result::unwrap).collect::<Vec<_>>(),
            ["nothingSupportsThis", "nothingSupportsThisEither"]
        );
        assert_eq!(m.proxy_require().count(), 2);
    });
    with("rfc4475/regaut01.dat", |m| {
        assert_eq!(
            m.authorization().next().unwrap().unwrap().scheme,
            "NoOneKnowsThisScheme"
        )
    });
    with("rfc4475/zeromf.dat", |m| {
        assert_eq!(m.max_forwards().unwrap(), Some(0))
    });
    with("rfc4475/cparam01.dat", |m| {
        let c = m.contacts().next().unwrap().unwrap();
        assert!(
            c.address().unwrap().params.contains("unknownparam"),
            "header param in addr-spec form"
        );
    });
    with("rfc4475/cparam02.dat", |m| {
        let c = m.contacts().next().unwrap().unwrap();
        assert!(
            c.address()
                .unwrap()
                .uri
                .as_sip()
                .unwrap()
                .params
                .contains("unknownparam"),
            "URI param inside <>"
        );
    });
    with("rfc4475/regescrt.dat", |m| {
        let c = m.contacts().next().unwrap().unwrap();
        assert_eq!(
            c.address().unwrap().uri.as_sip().unwrap().headers,
            Some("Route=%3Csip:sip.example.com%3E")
        );
    });
    with("rfc4475/inv2543.dat", |m| {
        assert_eq!(m.content_length().unwrap(), None);
        assert_eq!(
            m.body().len(),
            read("rfc4475/inv2543.dat").len()
                - m.wire_offset()
                - (m.body().as_ptr() as usize - m.wire_bytes().as_ptr() as usize)
        );
        assert_eq!(m.top_via().unwrap().branch(), None);
    });
    with("rfc4475/bcast.dat", |m| {
        assert_eq!(
            m.via().nth(1).unwrap().unwrap().host.as_str(),
            "255.255.255.255"
        )
    });
}

#[test]
fn ipv6_cases() {
    use sip_core::Host;
    with("rfc5118/ipv6-good", |m| {
        let u = m.request_uri_parsed().unwrap().unwrap();
        assert_eq!(u.as_sip().unwrap().host, Host::Ipv6("2001:db8::10"));
    });
    with("rfc5118/port-ambiguous", |m| {
        let u = m.request_uri_parsed().unwrap().unwrap();
        assert_eq!(
            (u.as_sip().unwrap().host, u.as_sip().unwrap().port),
            (Host::Ipv6("2001:db8::10:5070"), None)
        );
    });
    with("rfc5118/port-unambiguous", |m| {
        let u = m.request_uri_parsed().unwrap().unwrap();
        assert_eq!(
            (u.as_sip().unwrap().host, u.as_sip().unwrap().port),
            (Host::Ipv6("2001:db8::10"), Some(5070))
        );
    });
    with("rfc5118/via-received-param-no-delim", |m| {
        assert_eq!(m.top_via().unwrap().received(), Some("2001:db8::9:255"))
    });
    with("rfc5118/via-received-param-with-delim", |m| {
        assert_eq!(m.top_via().unwrap().received(), Some("[2001:db8::9:255]"))
    });
    with("rfc5118/mult-ip-in-header", |m| {
        let hosts: Vec<_> = m.via().map(|v| v.unwrap().host).collect();
        assert_eq!(
            hosts,
            [
                Host::Ipv6("2001:db8::9:1"),
                Host::Ipv4("192.0.2.1"),
                Host::Ipv6("2001:db8::9:255")
            ]
        );
        assert_eq!(m.top_via().unwrap().port, Some(6050));
    });
    with("rfc5118/ipv4-mapped-ipv6", |m| {
        assert_eq!(
            m.top_via().unwrap().host.ip(),
            "::ffff:192.0.2.10".parse().ok()
        );
        // The corpus Content-Length counts LF line endings (see the corpus README): the
        // datagram carries 9 more bytes, which are discarded.
        assert_eq!(m.body().len(), 236);
    });
    // The contested three-colon form: readable in lenient mode, host not an address.
    let data = read("rfc5118/ipv6-bug-abnf-3-colons");
    let mut slots = [EMPTY_HEADER; 64];
    let Ok(Status::Complete(m)) = parse_with(&data, &mut slots, &datagram(Mode::Lenient)) else {
        panic!()
    };
    let u = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(u.as_sip().unwrap().host, Host::Ipv6("2001:db8:::192.0.2.1"));
    assert_eq!(u.as_sip().unwrap().host.ip(), None);
}

#[test]
fn stream_framing_over_the_corpus() {
    // Every valid message with a correct Content-Length, fed to the stream parser one byte
    // at a time, reports Partial until the last byte and then the same message.
    for &(name, expect) in TABLE {
        if !matches!(expect, Parse)
            || name.contains("dblreq")
            || name.contains("inv2543")
            || name.contains("mcl01")
            || name.contains("sdp")
            || name.contains("ipv4-mapped")
        {
            continue;
        }
        let data = read(name);
        let cfg = ParserConfig::default();
        for end in 0..data.len() {
            let mut slots = [EMPTY_HEADER; 64];
            match parse_with(&data[..end], &mut slots, &cfg) {
                Ok(Status::Partial) => {}
                other => panic!("{name}: prefix of {end} bytes gave {other:?}"),
            }
        }
        let mut slots = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(m)) = parse_with(&data, &mut slots, &cfg) else {
            panic!("{name}")
        };
        assert_eq!(m.consumed(), data.len(), "{name}");
    }
}
