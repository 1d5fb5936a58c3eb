//! Structured (`Arbitrary`) inputs for the `build_parse` target.
//!
//! The types here only generate and render text; every check lives in
//! `sip_core::fuzzing::build_parse`, which takes plain values. Generators lean towards
//! values the strict parser accepts (token alphabets, well-formed URIs, Via, name-addr,
//! CSeq matching the method) so that `MessageBuilder::build` succeeds often, and keep a
//! raw variant everywhere so malformed input is still reached.
//!
//! [`xml_diff`] is the check of the `webticket_xml_diff` target (webticket's XML reader
//! against quick-xml), kept in webticket's tests so `cargo test` runs it too.

use std::fmt::Write as _;

use arbitrary::{Arbitrary, Result, Unstructured};
use sip_core::KnownHeader;
use sip_core::fuzzing::{BuildHeader, BuildReply, BuildSpec, BuildStart, build_parse};

const METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
    "SERVICE",
    "BENOTIFY",
    "NEGOTIATE",
    "invite",
];

const TOKEN: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
const HOST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
const USER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()&=+$,;?/%";

/// Up to `max` bytes from `alphabet`, at least one.
fn from_alphabet(u: &mut Unstructured<'_>, alphabet: &[u8], max: usize) -> Result<String> {
    let len = u.int_in_range(1..=max)?;
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        s.push(char::from(*u.choose(alphabet)?));
    }
    Ok(s)
}

/// A non-empty token (RFC 3261 `token`).
#[derive(Debug)]
pub struct Tok(String);

impl<'a> Arbitrary<'a> for Tok {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        from_alphabet(u, TOKEN, 16).map(Tok)
    }
}

/// A host name made of letters, digits, `-` and `.`.
#[derive(Debug)]
pub struct HostName(String);

impl<'a> Arbitrary<'a> for HostName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        from_alphabet(u, HOST, 24).map(HostName)
    }
}

/// A SIP URI user part (percent signs included, so escapes are reached).
#[derive(Debug)]
pub struct User(String);

impl<'a> Arbitrary<'a> for User {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        from_alphabet(u, USER, 16).map(User)
    }
}

#[derive(Arbitrary, Debug)]
enum MethodIn {
    Known(u8),
    Token(Tok),
    Raw(String),
}

impl MethodIn {
    fn render(&self) -> String {
        match self {
            Self::Known(i) => METHODS[usize::from(*i) % METHODS.len()].to_owned(),
            Self::Token(t) => t.0.clone(),
            Self::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum HostIn {
    Name(HostName),
    V4([u8; 4]),
    V6([u16; 8]),
    Raw(String),
}

impl HostIn {
    fn render(&self, out: &mut String) {
        match self {
            Self::Name(h) => out.push_str(&h.0),
            Self::V4(a) => {
                let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            }
            Self::V6(a) => {
                let _ = write!(out, "[{}]", std::net::Ipv6Addr::from(*a));
            }
            Self::Raw(s) => out.push_str(s),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum UriIn {
    Sip {
        secure: bool,
        user: Option<User>,
        password: Option<Tok>,
        host: HostIn,
        port: Option<u16>,
        params: Vec<(Tok, Option<Tok>)>,
        headers: Vec<(Tok, Tok)>,
    },
    Tel {
        number: Tok,
        params: Vec<(Tok, Option<Tok>)>,
    },
    Other {
        scheme: HostName,
        rest: Tok,
    },
    Raw(String),
}

impl UriIn {
    fn render(&self, out: &mut String) {
        match self {
            Self::Sip {
                secure,
                user,
                password,
                host,
                port,
                params,
                headers,
            } => {
                out.push_str(if *secure { "sips:" } else { "sip:" });
                if let Some(user) = user {
                    out.push_str(&user.0);
                    if let Some(p) = password {
                        out.push(':');
                        out.push_str(&p.0);
                    }
                    out.push('@');
                }
                host.render(out);
                if let Some(p) = port {
                    let _ = write!(out, ":{p}");
                }
                render_params(params, out);
                for (i, (n, v)) in headers.iter().enumerate() {
                    out.push(if i == 0 { '?' } else { '&' });
                    let _ = write!(out, "{}={}", n.0, v.0);
                }
            }
            Self::Tel { number, params } => {
                out.push_str("tel:");
                out.push_str(&number.0);
                render_params(params, out);
            }
            Self::Other { scheme, rest } => {
                let _ = write!(out, "{}:{}", scheme.0, rest.0);
            }
            Self::Raw(s) => out.push_str(s),
        }
    }
}

fn render_params(params: &[(Tok, Option<Tok>)], out: &mut String) {
    for (n, v) in params {
        out.push(';');
        out.push_str(&n.0);
        if let Some(v) = v {
            out.push('=');
            out.push_str(&v.0);
        }
    }
}

/// A header value, rendered with the request method at hand (for CSeq).
#[derive(Arbitrary, Debug)]
enum ValueIn {
    Raw(Vec<u8>),
    Text(String),
    Token(Tok),
    Number(u32),
    NameAddr {
        display: Option<DisplayIn>,
        angle: bool,
        uri: UriIn,
        tag: Option<Tok>,
        params: Vec<(Tok, Option<Tok>)>,
    },
    Via {
        transport: u8,
        host: HostIn,
        port: Option<u16>,
        branch: Option<Tok>,
        params: Vec<(Tok, Option<Tok>)>,
    },
    CSeq {
        seq: u32,
        method: Option<MethodIn>,
    },
    Auth {
        scheme: u8,
        params: Vec<(Tok, AuthValue)>,
    },
    List(Vec<Tok>),
    Padded {
        lead: u8,
        inner: Box<ValueIn>,
        trail: u8,
    },
}

#[derive(Arbitrary, Debug)]
enum DisplayIn {
    Token(Tok),
    Quoted(String),
}

#[derive(Arbitrary, Debug)]
enum AuthValue {
    Token(Tok),
    Quoted(String),
}

const TRANSPORTS: &[&str] = &["UDP", "TCP", "TLS", "SCTP", "WS", "tls", "X-FOO"];
const SCHEMES: &[&str] = &["Digest", "NTLM", "Kerberos", "TLS-DSK", "Bearer", "Basic"];

/// Writes `s` as a quoted-string body, escaping `"` and `\`.
fn quote(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

impl ValueIn {
    fn render(&self, method: &str, out: &mut Vec<u8>) {
        let mut s = String::new();
        match self {
            Self::Raw(v) => return out.extend_from_slice(v),
            Self::Text(t) => s.push_str(t),
            Self::Token(t) => s.push_str(&t.0),
            Self::Number(n) => {
                let _ = write!(s, "{n}");
            }
            Self::NameAddr {
                display,
                angle,
                uri,
                tag,
                params,
            } => {
                match display {
                    Some(DisplayIn::Token(t)) => {
                        s.push_str(&t.0);
                        s.push(' ');
                    }
                    Some(DisplayIn::Quoted(q)) => {
                        let mut v = Vec::new();
                        quote(q, &mut v);
                        out.extend_from_slice(&v);
                        out.push(b' ');
                    }
                    None => {}
                }
                let angle = *angle || display.is_some();
                if angle {
                    s.push('<');
                }
                uri.render(&mut s);
                if angle {
                    s.push('>');
                }
                if let Some(t) = tag {
                    let _ = write!(s, ";tag={}", t.0);
                }
                render_params(params, &mut s);
            }
            Self::Via {
                transport,
                host,
                port,
                branch,
                params,
            } => {
                let t = TRANSPORTS[usize::from(*transport) % TRANSPORTS.len()];
                let _ = write!(s, "SIP/2.0/{t} ");
                host.render(&mut s);
                if let Some(p) = port {
                    let _ = write!(s, ":{p}");
                }
                if let Some(b) = branch {
                    let _ = write!(s, ";branch=z9hG4bK{}", b.0);
                }
                render_params(params, &mut s);
            }
            Self::CSeq { seq, method: m } => {
                let m = m
                    .as_ref()
                    .map_or_else(|| method.to_owned(), MethodIn::render);
                let _ = write!(s, "{seq} {m}");
            }
            Self::Auth { scheme, params } => {
                s.push_str(SCHEMES[usize::from(*scheme) % SCHEMES.len()]);
                out.extend_from_slice(s.as_bytes());
                for (i, (n, v)) in params.iter().enumerate() {
                    out.extend_from_slice(if i == 0 { b" " } else { b", " });
                    out.extend_from_slice(n.0.as_bytes());
                    out.push(b'=');
                    match v {
                        AuthValue::Token(t) => out.extend_from_slice(t.0.as_bytes()),
                        AuthValue::Quoted(q) => quote(q, out),
                    }
                }
                return;
            }
            Self::List(items) => {
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&t.0);
                }
            }
            Self::Padded { lead, inner, trail } => {
                let pad = |n: u8, out: &mut Vec<u8>| {
                    for i in 0..n % 4 {
                        out.push(if i % 2 == 0 { b' ' } else { b'\t' });
                    }
                };
                pad(*lead, out);
                inner.render(method, out);
                pad(*trail, out);
                return;
            }
        }
        out.extend_from_slice(s.as_bytes());
    }
}

#[derive(Arbitrary, Debug)]
enum NameIn {
    /// `MessageBuilder::header(KnownHeader::ALL[i], ..)`.
    Known(u8),
    /// `header_named` with a known name in odd case, or its compact form.
    KnownSpelled {
        index: u8,
        upper: bool,
        compact: bool,
    },
    /// `header_named` with any token (mostly unknown headers).
    Token(Tok),
    /// `header_named` with any text (mostly rejected).
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct HeaderIn {
    name: NameIn,
    value: ValueIn,
}

#[derive(Arbitrary, Debug)]
enum StartIn {
    Request {
        method: MethodIn,
        uri: UriIn,
    },
    Response {
        status: u16,
        raw: bool,
        reason: String,
    },
}

#[derive(Arbitrary, Debug)]
struct ReplyIn {
    status: u16,
    reason: String,
    to_tag: Option<String>,
}

/// One `build_parse` case: a message built from parts, plus an optional reply.
#[derive(Arbitrary, Debug)]
pub struct BuildInput {
    start: StartIn,
    headers: Vec<HeaderIn>,
    body: Vec<u8>,
    reply: Option<ReplyIn>,
}

fn known(i: u8) -> KnownHeader {
    KnownHeader::ALL[usize::from(i) % KnownHeader::ALL.len()]
}

impl BuildInput {
    /// Renders the input and runs `sip_core::fuzzing::build_parse`; returns whether the
    /// builder produced a message.
    pub fn run(&self) -> bool {
        let (method, uri, status, reason) = match &self.start {
            StartIn::Request { method, uri } => {
                let mut s = String::new();
                uri.render(&mut s);
                (method.render(), s, 0, String::new())
            }
            StartIn::Response {
                status,
                raw,
                reason,
            } => {
                let code = if *raw { *status } else { 100 + *status % 600 };
                (String::new(), String::new(), code, reason.clone())
            }
        };
        let names: Vec<String> = self
            .headers
            .iter()
            .map(|h| match &h.name {
                NameIn::Known(_) => String::new(),
                NameIn::KnownSpelled {
                    index,
                    upper,
                    compact,
                } => {
                    let k = known(*index);
                    match k.compact() {
                        Some(c) if *compact => char::from(c).to_string(),
                        _ if *upper => k.as_str().to_ascii_uppercase(),
                        _ => k.as_str().to_ascii_lowercase(),
                    }
                }
                NameIn::Token(t) => t.0.clone(),
                NameIn::Raw(s) => s.clone(),
            })
            .collect();
        let values: Vec<Vec<u8>> = self
            .headers
            .iter()
            .map(|h| {
                let mut v = Vec::new();
                h.value.render(&method, &mut v);
                v
            })
            .collect();
        let headers = self
            .headers
            .iter()
            .zip(names.iter().zip(&values))
            .map(|(h, (name, value))| match h.name {
                NameIn::Known(i) => BuildHeader::Known(known(i), value),
                _ => BuildHeader::Named(name, value),
            })
            .collect();
        let start = match self.start {
            StartIn::Request { .. } => BuildStart::Request {
                method: &method,
                uri: &uri,
            },
            StartIn::Response { .. } => BuildStart::Response {
                status,
                reason: &reason,
            },
        };
        let reply = self.reply.as_ref().map(|r| BuildReply {
            status: 100 + r.status % 600,
            reason: &r.reason,
            to_tag: r.to_tag.as_deref(),
        });
        build_parse(&BuildSpec {
            start,
            headers,
            body: &self.body,
            reply,
        })
    }
}

/// The differential check of `webticket`'s XML reader against quick-xml, shared with
/// webticket's `xml_diff` test (the `webticket_xml_diff` target).
#[path = "../../webticket/tests/support/xml_diff.rs"]
pub mod xml_diff;
