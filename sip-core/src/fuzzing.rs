//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with `--cfg fuzzing`;
//! not a public API.

use bytes::Bytes;

use crate::{
    Authentication, EMPTY_HEADER, Framing, KnownHeader, Message, MessageBuilder, Method, Mode,
    ParserConfig, SipMessage, Status, Uri, parse_with,
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
        // lenient mode with the same framing. Lenient mode drops SP/HT around the reason
        // phrase, which strict mode keeps (fuzz-regressions/round_trip-reason-outer-
        // whitespace.bin), so such a message is reparsed strictly.
        let reason_ws = m.reason().is_some_and(|r| trim_sp_ht(r).len() != r.len());
        let lenient = config(if reason_ws { mode } else { Mode::Lenient }, framing);
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

/// `MessageBuilder::from_message` on every configuration's parse of `data`: when the copy
/// builds, it is the message's canonical form byte for byte (a message without
/// Content-Length gains one at the end, so only the rest is compared).
pub fn from_message(data: &[u8]) {
    for (mode, framing) in CONFIGS {
        let mut slots = [EMPTY_HEADER; 64];
        let Ok(Status::Complete(m)) = parse_with(data, &mut slots, &config(mode, framing)) else {
            continue;
        };
        // A reason phrase that is not UTF-8 (lenient mode) is copied byte for byte, and
        // the strict `build()` refuses it instead of changing it
        // (fuzz-regressions/from_message-reason-not-utf8.bin).
        let builder = MessageBuilder::from_message(&m);
        if m.reason().is_some() && m.reason_str().is_none() {
            // Other parts may still be refused by the builder (control characters in a
            // header value, for example); when it accepts, the reason is there unchanged.
            if let Ok(bytes) = builder.into_bytes() {
                let reason = m.reason().unwrap_or_default();
                assert!(
                    bytes.windows(reason.len().max(1)).any(|w| w == reason),
                    "reason phrase changed"
                );
            }
            continue;
        }
        let Ok(copy) = builder.build() else {
            continue;
        };
        let canonical = m.to_canonical_bytes();
        let wire = copy.wire();
        if m.headers().of(KnownHeader::ContentLength).next().is_some() {
            assert!(
                wire == canonical,
                "{mode:?}/{framing:?}: copy differs:\n{m:?}\n{copy:?}"
            );
        } else {
            let c = copy.message();
            let n = m.headers().len();
            assert_eq!(c.headers().len(), n + 1, "{m:?}\n{copy:?}");
            let cl = c.headers().get(n).expect("added Content-Length");
            assert_eq!(cl.known(), Some(KnownHeader::ContentLength));
            assert_eq!(cl.value(), m.body().len().to_string().as_bytes());
            assert_eq!(c.body(), m.body());
            let head = canonical.len() - m.body().len() - 2;
            assert!(
                wire.starts_with(&canonical[..head]),
                "{mode:?}/{framing:?}: copy differs:\n{m:?}\n{copy:?}"
            );
        }
    }
}

/// The start line for [`build_parse`].
#[derive(Clone, Copy, Debug)]
pub enum BuildStart<'a> {
    /// `MessageBuilder::request(Method::from_token(method), uri)`.
    Request {
        /// Method token (known or extension; not validated here).
        method: &'a str,
        /// Request-URI.
        uri: &'a str,
    },
    /// `MessageBuilder::response(status, reason)`.
    Response {
        /// Status code (any `u16`; the builder rejects codes outside 100-699).
        status: u16,
        /// Reason phrase.
        reason: &'a str,
    },
}

/// One header for [`build_parse`].
#[derive(Clone, Copy, Debug)]
pub enum BuildHeader<'a> {
    /// `MessageBuilder::header(name, value)`.
    Known(KnownHeader, &'a [u8]),
    /// `MessageBuilder::header_named(name, value)`.
    Named(&'a str, &'a [u8]),
}

/// A `MessageBuilder::response_to` call made on the built request.
#[derive(Clone, Copy, Debug)]
pub struct BuildReply<'a> {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: &'a str,
    /// Tag to add to To.
    pub to_tag: Option<&'a str>,
}

/// Everything [`build_parse`] builds, as plain values (the `Arbitrary` input type lives in
/// the fuzz crate, so this crate needs no `arbitrary` dependency).
#[derive(Clone, Debug)]
pub struct BuildSpec<'a> {
    /// Start line.
    pub start: BuildStart<'a>,
    /// Header lines, in order.
    pub headers: Vec<BuildHeader<'a>>,
    /// Body.
    pub body: &'a [u8],
    /// For requests: a response to build from the request.
    pub reply: Option<BuildReply<'a>>,
}

/// What the parser reports for a value the builder wrote after `Name: `: leading and
/// trailing SP/HT are not part of the value (see `Header::value`).
fn trim_sp_ht(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// Builds a message with [`MessageBuilder`]; when `build()` succeeds, the parser must read
/// back exactly what was built (start line, every header name and value in order, the
/// body), every parser configuration must agree, the built message must already be in
/// canonical form, and the typed accessors of every header strict mode validated must
/// succeed. For requests, a `response_to` reply must copy the dialog headers.
///
/// Returns whether `build()` succeeded (for corpus statistics).
pub fn build_parse(spec: &BuildSpec<'_>) -> bool {
    let mut builder = match spec.start {
        BuildStart::Request { method, uri } => {
            MessageBuilder::request(Method::from_token(method), uri)
        }
        BuildStart::Response { status, reason } => MessageBuilder::response(status, reason),
    };
    // (canonical name, known, value as written)
    let mut expected: Vec<(&str, Option<KnownHeader>, &[u8])> = Vec::new();
    for h in &spec.headers {
        builder = match *h {
            BuildHeader::Known(k, v) => {
                expected.push((k.as_str(), Some(k), v));
                builder.header(k, v)
            }
            BuildHeader::Named(n, v) => {
                let k = KnownHeader::from_name(n.as_bytes());
                expected.push((k.map_or(n, |k| k.as_str()), k, v));
                builder.header_named(n, v)
            }
        };
    }
    let body_len = spec.body.len().to_string();
    if !expected
        .iter()
        .any(|h| h.1 == Some(KnownHeader::ContentLength))
    {
        expected.push((
            "Content-Length",
            Some(KnownHeader::ContentLength),
            body_len.as_bytes(),
        ));
    }
    let builder = builder.body(Bytes::copy_from_slice(spec.body));
    let Ok(built) = builder.build() else {
        return false;
    };
    let m = built.message();

    // Start line.
    match spec.start {
        BuildStart::Request { method, uri } => {
            assert_eq!(m.method(), Some(Method::from_token(method)));
            assert_eq!(m.method().map(|x| x.as_str()), Some(method));
            assert_eq!(m.request_uri(), Some(uri));
            assert!(matches!(m.request_uri_parsed(), Some(Ok(_))));
        }
        BuildStart::Response { status, reason } => {
            assert_eq!(m.status(), Some(status));
            assert_eq!(m.reason(), Some(reason.as_bytes()));
        }
    }
    assert_eq!(m.version(), "SIP/2.0");

    // Headers, in order, names canonical, values as given (minus outer SP/HT).
    assert_eq!(m.headers().len(), expected.len(), "{m:?}");
    let mut canonical_expected = true;
    for (h, (name, known, value)) in m.headers().iter().zip(&expected) {
        assert_eq!(h.name(), *name);
        assert_eq!(h.known(), *known);
        let trimmed = trim_sp_ht(value);
        canonical_expected &= trimmed.len() == value.len();
        assert_eq!(h.value(), trimmed, "header {name}");
    }

    // Body and framing.
    assert_eq!(m.body(), spec.body);
    let wire = built.wire();
    assert_eq!(&wire[..], &built.buffer()[..]);
    assert_eq!(m.consumed(), wire.len());
    assert_eq!(m.wire_bytes(), &wire[..]);

    // Every configuration reads the same message. Lenient mode drops white space around
    // the reason phrase (documented), so it can only differ there.
    let reason_ws = matches!(spec.start, BuildStart::Response { reason, .. }
        if trim_sp_ht(reason.as_bytes()).len() != reason.len());
    for (mode, framing) in CONFIGS {
        let cfg = config(mode, framing);
        let again = SipMessage::parse_with(wire.clone(), &cfg)
            .unwrap_or_else(|e| panic!("built message fails {mode:?}/{framing:?}: {e:?}"));
        if mode == Mode::Strict || !reason_ws {
            assert!(again.message() == m, "{mode:?}/{framing:?}");
        }
        assert_eq!(again.consumed(), wire.len());
    }

    // The builder writes canonical form.
    if canonical_expected {
        assert_eq!(&m.to_canonical_bytes()[..], &wire[..]);
    }

    // Strict mode validated these headers, so their typed accessors must succeed.
    let count = |k: KnownHeader| m.headers().of(k).count();
    assert!(m.via().all(|v| v.is_ok()), "via: {m:?}");
    assert!(m.contacts().all(|v| v.is_ok()), "contact: {m:?}");
    assert!(m.routes().all(|v| v.is_ok()), "route: {m:?}");
    assert!(m.record_routes().all(|v| v.is_ok()), "record-route: {m:?}");
    if count(KnownHeader::From) == 1 {
        assert!(m.from().is_ok(), "from: {m:?}");
    }
    if count(KnownHeader::To) == 1 {
        assert!(m.to().is_ok(), "to: {m:?}");
    }
    if count(KnownHeader::CallId) == 1 {
        assert!(m.call_id().is_ok(), "call-id: {m:?}");
    }
    if count(KnownHeader::CSeq) == 1 {
        let cseq = m.cseq();
        assert!(cseq.is_ok(), "cseq: {m:?}");
    }
    if count(KnownHeader::MaxForwards) == 1 {
        assert!(m.max_forwards().is_ok(), "max-forwards: {m:?}");
    }
    if count(KnownHeader::Expires) == 1 {
        assert!(m.expires().is_ok(), "expires: {m:?}");
    }
    if count(KnownHeader::Date) == 1 {
        assert!(m.date().is_ok(), "date: {m:?}");
    }
    touch_typed(&m);

    if let (Some(reply), true) = (spec.reply, m.is_request()) {
        check_reply(&m, reply);
    }
    true
}

fn check_reply(req: &Message<'_>, reply: BuildReply<'_>) {
    let Ok(resp) =
        MessageBuilder::response_to(req, reply.status, reply.reason, reply.to_tag).build()
    else {
        return;
    };
    let r = resp.message();
    assert_eq!(r.status(), Some(reply.status));
    assert_eq!(r.reason(), Some(reply.reason.as_bytes()));
    let add_tag = reply.to_tag.is_some() && req.to().is_ok_and(|t| t.tag().is_none());
    let copied = req.headers().iter().filter(|h| {
        matches!(
            h.known(),
            Some(
                KnownHeader::Via
                    | KnownHeader::From
                    | KnownHeader::To
                    | KnownHeader::CallId
                    | KnownHeader::CSeq
                    | KnownHeader::Timestamp
            )
        )
    });
    let mut got = r.headers().iter();
    for h in copied {
        let out = got.next().expect("reply lost a header");
        assert_eq!(out.known(), h.known());
        let mut value: Vec<u8> = h.value_unfolded().flatten().copied().collect();
        if h.known() == Some(KnownHeader::To)
            && add_tag
            && let Some(tag) = reply.to_tag
        {
            value.extend_from_slice(b";tag=");
            value.extend_from_slice(tag.as_bytes());
        }
        assert_eq!(out.value(), trim_sp_ht(&value), "{:?}", out.name());
    }
    let cl = got.next().expect("reply has no Content-Length");
    assert_eq!(cl.known(), Some(KnownHeader::ContentLength));
    assert_eq!(cl.value(), b"0");
    assert!(got.next().is_none());
    assert!(r.body().is_empty());
    if let Some(tag) = reply.to_tag
        && add_tag
        && crate::chars::all_token(tag.as_bytes())
    {
        assert_eq!(r.to().ok().and_then(|t| t.tag()), Some(tag));
    }
}

/// The stream framer fed in fuzzer-chosen chunks must yield the same messages (byte for
/// byte) as when fed everything at once, fail exactly when that fails, and never hold more
/// than its bound. The first two bytes pick the chunk sizes and the mode.
pub fn framer(data: &[u8]) {
    let [seed, mode, rest @ ..] = data else {
        return;
    };
    let cfg = config(
        if mode & 1 == 0 {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        Framing::Stream,
    );
    let run = |chunked: bool| {
        let mut f = crate::StreamFramer::new(cfg);
        let mut out = Vec::new();
        let mut failed = false;
        let mut pos = 0;
        let mut step = 0usize;
        while pos < rest.len() && !failed {
            let n = if chunked {
                1 + (usize::from(*seed) + step * 7) % 13
            } else {
                rest.len()
            };
            step += 1;
            let end = (pos + n).min(rest.len());
            let taken = f.feed(&rest[pos..end]);
            assert!(f.buffered() <= f.max_buffered());
            pos += taken;
            loop {
                match f.next_frame() {
                    Ok(Some(crate::Frame::Message(m))) => out.push(m.wire().to_vec()),
                    Ok(Some(crate::Frame::Invalid { message, .. })) => {
                        out.push(message.wire().to_vec())
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            if taken == 0 && !failed {
                break;
            }
        }
        (out, failed)
    };
    let (whole, whole_failed) = run(false);
    let (chunked, chunked_failed) = run(true);
    assert_eq!(whole, chunked, "chunking changed the messages");
    assert_eq!(
        whole_failed, chunked_failed,
        "chunking changed whether framing fails"
    );
}

/// Strict validation from the raw bytes (`check`) and through the typed parsers
/// (`validate_typed`) give the same result (accept, or the same error) on every message
/// the input frames to, in every configuration.
pub fn validate_diff(data: &[u8]) {
    crate::check::assert_same(data);
}
