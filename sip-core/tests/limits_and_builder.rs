//! Hard limits give typed errors at the limit, and the builder produces messages that
//! round-trip through the strict parser.

use bytes::Bytes;
use sip_core::{
    BuildError, EMPTY_HEADER, ErrorKind, Framing, KnownHeader as H, Limits, MessageBuilder, Method,
    Mode, ParserConfig, SipMessage, Status, parse, parse_with,
};

fn cfg(limits: Limits) -> ParserConfig {
    ParserConfig::default().limits(limits)
}

fn kind(data: &[u8], config: &ParserConfig) -> ErrorKind {
    let mut slots = [EMPTY_HEADER; 300];
    parse_with(data, &mut slots, config)
        .map(|_| ())
        .unwrap_err()
        .kind()
}

#[test]
fn each_limit_is_a_typed_error() {
    let small = Limits {
        max_start_line: 64,
        max_header_line: 64,
        max_headers: 4,
        max_header_section: 256,
        max_body: 16,
    };
    let long_uri = format!("OPTIONS sip:{}@x SIP/2.0\r\n", "a".repeat(100));
    assert_eq!(
        kind(long_uri.as_bytes(), &cfg(small)),
        ErrorKind::StartLineTooLong
    );
    // Even without a line end in sight: the parser stops looking at the limit.
    assert_eq!(
        kind(&long_uri.as_bytes()[..90], &cfg(small)),
        ErrorKind::StartLineTooLong
    );
    let long_header = format!("OPTIONS sip:x SIP/2.0\r\nX-Big: {}\r\n", "b".repeat(100));
    assert_eq!(
        kind(long_header.as_bytes(), &cfg(small)),
        ErrorKind::HeaderLineTooLong
    );
    let folded = format!(
        "OPTIONS sip:x SIP/2.0\r\nX-Big: {0}\r\n {0}\r\n {0}\r\n",
        "b".repeat(30)
    );
    assert_eq!(
        kind(folded.as_bytes(), &cfg(small)),
        ErrorKind::HeaderLineTooLong
    );
    let many = format!("OPTIONS sip:x SIP/2.0\r\n{}\r\n", "A: 1\r\n".repeat(5));
    assert_eq!(
        kind(many.as_bytes(), &cfg(small)),
        ErrorKind::TooManyHeaders
    );
    let section = format!(
        "OPTIONS sip:x SIP/2.0\r\n{}",
        "X-Header-Name: 0123456789012345678901234567890123456789\r\n".repeat(6)
    );
    assert_eq!(
        kind(
            section.as_bytes(),
            &cfg(Limits {
                max_headers: 100,
                ..small
            })
        ),
        ErrorKind::HeaderSectionTooLarge
    );
    let body = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 17\r\n\r\n";
    assert_eq!(kind(body, &cfg(small)), ErrorKind::BodyTooLarge);
    let huge = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n";
    assert_eq!(
        kind(huge, &ParserConfig::default()),
        ErrorKind::BodyTooLarge
    );
    // Too few caller slots is the same error.
    let mut two = [EMPTY_HEADER; 2];
    let three = b"OPTIONS sip:x SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_eq!(
        parse(three, &mut two).unwrap_err().kind(),
        ErrorKind::TooManyHeaders
    );
}

#[test]
fn a_huge_announced_body_is_refused_before_it_arrives() {
    // A peer announcing 4 GiB gets an error at once, not a Partial that invites buffering.
    let data = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 4294967295\r\n\r\nabc";
    assert_eq!(
        kind(data, &ParserConfig::default()),
        ErrorKind::BodyTooLarge
    );
}

#[test]
fn framing_errors() {
    let strict = ParserConfig::default();
    let lenient = ParserConfig::default().mode(Mode::Lenient);
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\nA: 1\n\n", &strict),
        ErrorKind::BareLf
    );
    let mut slots = [EMPTY_HEADER; 8];
    let Ok(Status::Complete(m)) =
        parse_with(b"OPTIONS sip:x SIP/2.0\nA: 1\n\n", &mut slots, &lenient)
    else {
        panic!()
    };
    assert_eq!(m.headers().len(), 1);
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nA: 1\r\n\r\n", &strict),
        ErrorKind::MissingContentLength
    );
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nA: 1\rB\r\n\r\n", &strict),
        ErrorKind::BareCr
    );
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\n l: 0\r\n\r\n", &strict),
        ErrorKind::UnexpectedContinuation
    );
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nBad Name: 0\r\n\r\n", &strict),
        ErrorKind::MissingColon
    );
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nBad@Name: 0\r\n\r\n", &strict),
        ErrorKind::InvalidHeaderName
    );
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", &strict),
        ErrorKind::ConflictingContentLength
    );
    assert_eq!(
        kind(b"SIP/2.0 20 OK\r\n\r\n", &strict),
        ErrorKind::InvalidStatusCode
    );
    assert_eq!(
        kind(b"SIP/2.0 099 OK\r\n\r\n", &strict),
        ErrorKind::InvalidStatusCode
    );
    assert_eq!(
        kind(b"SIP/2.x 200 OK\r\n\r\n", &strict),
        ErrorKind::InvalidVersion
    );
    assert_eq!(
        kind(b"OPTIONS sip:x HTTP/1.1\r\n\r\n", &strict),
        ErrorKind::InvalidVersion
    );
    assert_eq!(
        kind(b"OPT<ONS sip:x SIP/2.0\r\n\r\n", &strict),
        ErrorKind::InvalidMethod
    );
    let dgram = ParserConfig::default().framing(Framing::Datagram);
    assert_eq!(
        kind(b"OPTIONS sip:x SIP/2.0\r\nA: 1\r\n", &dgram),
        ErrorKind::MissingEmptyLine
    );
    assert_eq!(kind(b"\r\n\r\n", &dgram), ErrorKind::Empty);
    // Stream mode: leading CRLFs (keep-alives) are skipped and counted as consumed.
    let mut slots = [EMPTY_HEADER; 8];
    let data = b"\r\n\r\nOPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\nNEXT";
    let Ok(Status::Complete(m)) = parse_with(data, &mut slots, &strict) else {
        panic!()
    };
    assert_eq!((m.wire_offset(), m.consumed()), (4, data.len() - 4));
    assert_eq!(
        parse_with(b"\r\n\r\n", &mut slots, &strict).unwrap(),
        Status::Partial
    );
}

#[test]
fn builder_round_trip_and_errors() {
    let req = MessageBuilder::request(Method::Invite, "sip:bob@biloxi.com")
        .header(
            H::Via,
            "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
        )
        .header(H::Via, "SIP/2.0/UDP proxy.atlanta.com;branch=z9hG4bK1")
        .header(H::MaxForwards, "70")
        .header(H::To, "Bob <sip:bob@biloxi.com>")
        .header(H::From, "Alice <sip:alice@atlanta.com>;tag=1928301774")
        .header(H::CallId, "a84b4c76e66710@pc33.atlanta.com")
        .header(H::CSeq, "314159 INVITE")
        .header(H::Timestamp, "54")
        .header(H::ContentType, "application/sdp")
        .header_named("X-Custom", "anything; goes, here")
        .body(Bytes::from_static(b"v=0\r\n"))
        .build()
        .unwrap();
    assert_eq!(SipMessage::parse(req.wire()).unwrap(), req);
    let m = req.message();
    assert_eq!(m.content_length().unwrap(), Some(5));
    assert_eq!(
        m.headers().named("x-custom").next().unwrap().value(),
        b"anything; goes, here"
    );

    let resp = MessageBuilder::response_to(&m, 180, "Ringing", Some("a6c85cf"))
        .build()
        .unwrap();
    let r = resp.message();
    assert_eq!(r.via().count(), 2, "every Via is copied in order");
    assert_eq!(r.via().nth(1).unwrap().unwrap().branch(), Some("z9hG4bK1"));
    assert_eq!(r.to().unwrap().tag(), Some("a6c85cf"));
    assert_eq!(r.from().unwrap().tag(), Some("1928301774"));
    assert_eq!(r.call_id().unwrap(), "a84b4c76e66710@pc33.atlanta.com");
    assert_eq!(r.cseq().unwrap().seq, 314159);
    assert_eq!(r.headers().first(H::Timestamp).unwrap().value(), b"54");
    assert!(r.headers().first(H::MaxForwards).is_none());
    assert_eq!(
        SipMessage::parse(Bytes::copy_from_slice(&r.to_canonical_bytes())).unwrap(),
        resp
    );

    // A To that already has a tag keeps it.
    let again = MessageBuilder::response_to(&r, 200, "OK", Some("other"))
        .build()
        .unwrap();
    assert_eq!(again.message().to().unwrap().tag(), Some("a6c85cf"));

    assert_eq!(
        MessageBuilder::request(Method::Extension("BAD METHOD"), "sip:x")
            .build()
            .unwrap_err(),
        BuildError::InvalidMethod
    );
    assert_eq!(
        MessageBuilder::request(Method::Options, "sip:a b")
            .build()
            .unwrap_err(),
        BuildError::InvalidUri
    );
    assert_eq!(
        MessageBuilder::response(700, "x").build().unwrap_err(),
        BuildError::InvalidStatus(700)
    );
    assert_eq!(
        MessageBuilder::response(200, "O\r\nK").build().unwrap_err(),
        BuildError::InvalidReason
    );
    assert!(matches!(
        MessageBuilder::response(200, "OK")
            .header_named("Bad Name", "x")
            .build(),
        Err(BuildError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        MessageBuilder::response(200, "OK")
            .header(H::Subject, "a\r\nb")
            .build(),
        Err(BuildError::InvalidHeaderValue(_))
    ));
    assert_eq!(
        MessageBuilder::response(200, "OK")
            .header(H::ContentLength, "3")
            .body(Bytes::from_static(b"ab"))
            .build()
            .unwrap_err(),
        BuildError::ContentLengthMismatch
    );
    let bad_from = MessageBuilder::response(200, "OK")
        .header(H::From, "\"unterminated <sip:a@b>")
        .build()
        .unwrap_err();
    assert!(
        matches!(bad_from, BuildError::Invalid(e) if e.kind() == ErrorKind::UnterminatedQuotedString)
    );
}

#[test]
fn builder_from_message_copies_and_extends() {
    let data = std::fs::read(format!(
        "{}/tests/data/register_tls_dsk.sip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let original = SipMessage::parse(Bytes::from(data)).unwrap();
    let copy = MessageBuilder::from_message(&original.message())
        .build()
        .unwrap();
    assert_eq!(copy, original);
    let extended = MessageBuilder::from_message(&original.message())
        .header_named("X-Added", "1")
        .build()
        .unwrap();
    assert_eq!(extended.headers().len(), original.headers().len() + 1);
    assert_eq!(
        extended
            .headers()
            .get(extended.headers().len() - 1)
            .unwrap()
            .name(),
        "X-Added"
    );
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = format!("{}/tests/data/fuzz-regressions", env!("CARGO_MANIFEST_DIR"));
    let lenient_dgram = ParserConfig::default()
        .mode(Mode::Lenient)
        .framing(Framing::Datagram);
    // A CR that ends a datagram ends the last line; it is not part of the value.
    let data = std::fs::read(format!("{dir}/round_trip-lenient-datagram-trailing-cr.bin")).unwrap();
    let mut slots = [EMPTY_HEADER; 8];
    let Ok(Status::Complete(m)) = parse_with(&data, &mut slots, &lenient_dgram) else {
        panic!()
    };
    assert_eq!(m.headers().get(0).unwrap().value(), b"a");
    // A reason phrase that is not UTF-8 is copied byte for byte, never replaced.
    let data = std::fs::read(format!("{dir}/from_message-reason-not-utf8.bin")).unwrap();
    let mut slots = [EMPTY_HEADER; 8];
    let Ok(Status::Complete(m)) = parse_with(&data, &mut slots, &lenient_dgram) else {
        panic!()
    };
    let reason = m.reason().unwrap();
    assert!(std::str::from_utf8(reason).is_err());
    let bytes = MessageBuilder::from_message(&m).into_bytes().unwrap();
    assert!(bytes.windows(reason.len()).any(|w| w == reason));
    assert!(matches!(
        MessageBuilder::from_message(&m).build(),
        Err(BuildError::Invalid(_))
    ));
    // Strict keeps white space around the reason phrase; the canonical form keeps it too.
    let data = std::fs::read(format!("{dir}/round_trip-reason-outer-whitespace.bin")).unwrap();
    let mut slots = [EMPTY_HEADER; 8];
    let Ok(Status::Complete(m)) = parse_with(
        &data,
        &mut slots,
        &ParserConfig::default().framing(Framing::Datagram),
    ) else {
        panic!()
    };
    let canonical = m.to_canonical_bytes();
    let mut slots2 = [EMPTY_HEADER; 8];
    let Ok(Status::Complete(c)) = parse_with(
        &canonical,
        &mut slots2,
        &ParserConfig::default().framing(Framing::Datagram),
    ) else {
        panic!()
    };
    assert_eq!(c, m);
}
