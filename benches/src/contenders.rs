//! One parse entry point per contender, and a way to run each one monomorphized.
//!
//! Every peer is called through its own message-parse entry point and then asked, through
//! its own API, for the answers of [`crate::visit`]: start line, top Via branch, From and To
//! tags, Call-ID and CSeq. sip-core has four rows: the borrowed parse (framing + strict
//! validation, the default configuration), the same in lenient mode, the owned parse from
//! `Bytes`, and the borrowed parse followed by typed access to the same answers.
//!
//! | contender | entry point |
//! |---|---|
//! | memchr line split | `memchr::memchr_iter(b'\n', ..)`: every line end found, nothing checked |
//! | sip-core | `sip_core::parse_with(buf, &mut slots, &ParserConfig::default())` |
//! | rsip | `rsip::SipMessage::try_from(&[u8])`, then `via_header()?.typed()` and friends |
//! | ezk-sip-types | `PullParser` + `MessageLine::parse` + `Line::parse` into `Headers`, as ezk-sip-core's transport does ([`ezk_parse`]); typed values via `Headers::get` |
//! | rsipstack | `rsipstack::sip::parser::parse_message(&[u8])`, then `top_via_header()?.typed()` and friends |
//! | sipmsg | `SipRequest::parse` / `SipResponse::parse` (`NomParser`), then `get_rfc_s` |
//! | rvoip-sip-core | `rvoip_sip_core::parse_message(&[u8])`, then `first_via()`, `from()`, ... |

use std::fmt::Display;

use sip_core::{EMPTY_HEADER, HeaderSlot, Message, Mode, ParserConfig, SipMessage, Status};

use crate::data::Sample;
use crate::visit::{Answers, Field, Start, Touch, Visit};

/// What kind of row a contender is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The physical limit: a bare line split.
    Baseline,
    /// A sip-core configuration.
    SipCore,
    /// Another Rust SIP parser.
    Peer,
}

/// Every contender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Id {
    /// `memchr_iter(b'\n')` over the whole message: the physical limit.
    Memchr,
    /// sip-core borrowed parse, strict (the default configuration).
    SipCore,
    /// sip-core borrowed parse, `Mode::Lenient`.
    SipCoreLenient,
    /// sip-core owned parse from `Bytes` (strict).
    SipCoreOwned,
    /// sip-core borrowed parse (strict) plus typed top Via, From, To, CSeq and Call-ID.
    SipCoreTyped,
    /// rsip.
    Rsip,
    /// ezk-sip-types.
    Ezk,
    /// rsipstack's parser.
    Rsipstack,
    /// sipmsg.
    Sipmsg,
    /// rvoip-sip-core.
    Rvoip,
}

/// Runs one contender's parse function; implemented by the report's timer and by the
/// criterion benches. `f` is monomorphized per contender, so nothing is called through a
/// pointer in the timed loop.
pub trait Runner {
    /// What a run produces.
    type Output;
    /// Runs `f`, which parses `sample` and touches the answers, as often as the runner
    /// wants. Setup (a reused header-slot array, the parser configuration) happens before
    /// `f` is built.
    fn run<F: FnMut(&Sample) -> Result<u64, String>>(&mut self, f: F) -> Self::Output;
}

impl Id {
    /// Every contender, in report order.
    pub const ALL: [Self; 10] = [
        Self::Memchr,
        Self::SipCore,
        Self::SipCoreLenient,
        Self::SipCoreOwned,
        Self::SipCoreTyped,
        Self::Rsip,
        Self::Ezk,
        Self::Rsipstack,
        Self::Sipmsg,
        Self::Rvoip,
    ];

    /// Row label.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memchr => "memchr line split",
            Self::SipCore => "sip-core borrowed",
            Self::SipCoreLenient => "sip-core borrowed lenient",
            Self::SipCoreOwned => "sip-core owned",
            Self::SipCoreTyped => "sip-core borrowed + typed",
            Self::Rsip => "rsip",
            Self::Ezk => "ezk-sip-types",
            Self::Rsipstack => "rsipstack",
            Self::Sipmsg => "sipmsg",
            Self::Rvoip => "rvoip-sip-core",
        }
    }

    /// A short name usable as a criterion bench id.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Memchr => "memchr_lines",
            Self::SipCore => "sip_core_borrowed",
            Self::SipCoreLenient => "sip_core_lenient",
            Self::SipCoreOwned => "sip_core_owned",
            Self::SipCoreTyped => "sip_core_typed",
            Self::Rsip => "rsip",
            Self::Ezk => "ezk_sip_types",
            Self::Rsipstack => "rsipstack",
            Self::Sipmsg => "sipmsg",
            Self::Rvoip => "rvoip_sip_core",
        }
    }

    /// Baseline, sip-core or peer.
    pub fn kind(self) -> Kind {
        match self {
            Self::Memchr => Kind::Baseline,
            Self::SipCore | Self::SipCoreLenient | Self::SipCoreOwned | Self::SipCoreTyped => {
                Kind::SipCore
            }
            _ => Kind::Peer,
        }
    }

    /// Whether the timed work includes finding the answers (typed access). The plain
    /// sip-core rows only parse; the peers and "sip-core borrowed + typed" also read top
    /// Via, From, To, Call-ID and CSeq.
    pub fn reads_answers(self) -> bool {
        !matches!(
            self,
            Self::Memchr | Self::SipCore | Self::SipCoreLenient | Self::SipCoreOwned
        )
    }

    /// Parses `sample` once and collects the answers as strings (never timed). `Ok(None)`
    /// for the baseline, which gives no answers.
    ///
    /// # Errors
    ///
    /// The contender's parse or accessor error, as text.
    pub fn answers(self, sample: &Sample) -> Result<Option<Answers>, String> {
        let mut a = Answers::default();
        let buf = sample.as_slice();
        let strict = ParserConfig::default();
        let lenient = ParserConfig::default().mode(Mode::Lenient);
        let mut slots = [EMPTY_HEADER; 64];
        match self {
            Self::Memchr => return Ok(None),
            Self::SipCore | Self::SipCoreTyped => {
                visit_sip_core(&sip_core_parse(buf, &mut slots, &strict)?, &mut a)?;
            }
            Self::SipCoreLenient => {
                visit_sip_core(&sip_core_parse(buf, &mut slots, &lenient)?, &mut a)?;
            }
            Self::SipCoreOwned => {
                let m = SipMessage::parse_with(sample.bytes.clone(), &strict)
                    .map_err(|e| e.to_string())?;
                visit_sip_core(&m.message(), &mut a)?;
            }
            Self::Rsip => rsip_impl::parse(buf, &mut a)?,
            Self::Ezk => ezk_impl::parse(&sample.bytes, &mut a)?,
            Self::Rsipstack => rsipstack_impl::parse(buf, &mut a)?,
            Self::Sipmsg => sipmsg_impl::parse(buf, &mut a)?,
            Self::Rvoip => rvoip_impl::parse(buf, &mut a)?,
        }
        Ok(Some(a))
    }

    /// Hands this contender's timed parse function to `runner`.
    pub fn run<R: Runner>(self, runner: &mut R) -> R::Output {
        let strict = ParserConfig::default();
        let lenient = ParserConfig::default().mode(Mode::Lenient);
        let mut slots = [EMPTY_HEADER; 64];
        match self {
            Self::Memchr => runner.run(|s| Ok(memchr_lines(s.as_slice()))),
            Self::SipCore => runner.run(|s| {
                let m = sip_core_parse(s.as_slice(), &mut slots, &strict)?;
                Ok(m.headers().len() as u64)
            }),
            Self::SipCoreLenient => runner.run(|s| {
                let m = sip_core_parse(s.as_slice(), &mut slots, &lenient)?;
                Ok(m.headers().len() as u64)
            }),
            Self::SipCoreOwned => runner.run(|s| {
                let m =
                    SipMessage::parse_with(s.bytes.clone(), &strict).map_err(|e| e.to_string())?;
                Ok(m.headers().len() as u64)
            }),
            Self::SipCoreTyped => runner.run(|s| {
                let m = sip_core_parse(s.as_slice(), &mut slots, &strict)?;
                let mut t = Touch::default();
                visit_sip_core(&m, &mut t)?;
                Ok(t.finish())
            }),
            Self::Rsip => runner.run(|s| touched(|t| rsip_impl::parse(s.as_slice(), t))),
            Self::Ezk => runner.run(|s| touched(|t| ezk_impl::parse(&s.bytes, t))),
            Self::Rsipstack => runner.run(|s| touched(|t| rsipstack_impl::parse(s.as_slice(), t))),
            Self::Sipmsg => runner.run(|s| touched(|t| sipmsg_impl::parse(s.as_slice(), t))),
            Self::Rvoip => runner.run(|s| touched(|t| rvoip_impl::parse(s.as_slice(), t))),
        }
    }
}

#[inline(always)]
fn touched(f: impl FnOnce(&mut Touch) -> Result<(), String>) -> Result<u64, String> {
    let mut t = Touch::default();
    f(&mut t)?;
    Ok(t.finish())
}

/// Maps an accessor error after a successful parse, so the report can tell "cannot parse"
/// from "parsed, but cannot give this answer".
fn after<E: Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("parsed, but {what}: {e}")
}

/// `Some(&value)` as a `Display` trait object.
#[inline(always)]
fn shown<T: Display>(value: &Option<T>) -> Option<&dyn Display> {
    value.as_ref().map(|v| v as &dyn Display)
}

/// The physical limit: finds every line end of the whole message (header section and
/// body) with `memchr`, and sums the line lengths. Checks nothing.
#[inline]
pub fn memchr_lines(buf: &[u8]) -> u64 {
    let mut start = 0;
    let mut lines = 0u64;
    let mut bytes = 0u64;
    for end in memchr::memchr_iter(b'\n', buf) {
        lines += 1;
        bytes += (end - start) as u64;
        start = end + 1;
    }
    (lines << 32) | bytes
}

/// sip-core's borrowed parse of one complete message.
///
/// # Errors
///
/// The parse error as text; "incomplete" for `Status::Partial`.
#[inline]
pub fn sip_core_parse<'a>(
    buf: &'a [u8],
    slots: &'a mut [HeaderSlot],
    config: &ParserConfig,
) -> Result<Message<'a>, String> {
    match sip_core::parse_with(buf, slots, config) {
        Ok(Status::Complete(m)) => Ok(m),
        Ok(Status::Partial) => Err("incomplete".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Reads the answers from a sip-core message through its typed accessors.
///
/// # Errors
///
/// A typed accessor's error, as text.
#[inline]
pub fn visit_sip_core<V: Visit>(m: &Message<'_>, v: &mut V) -> Result<(), String> {
    match m.method() {
        Some(method) => v.start(Start::Method(&method.as_str())),
        None => v.start(Start::Status(m.status().unwrap_or(0))),
    }
    let e = |e: sip_core::ParseError| e.to_string();
    let via = m.top_via().map_err(e)?;
    v.text(Field::ViaBranch, shown(&via.branch()));
    let from = m.from().map_err(e)?;
    v.text(Field::FromTag, shown(&from.tag()));
    let to = m.to().map_err(e)?;
    v.text(Field::ToTag, shown(&to.tag()));
    let call_id = m.call_id().map_err(e)?;
    v.text(Field::CallId, Some(&call_id));
    let cseq = m.cseq().map_err(e)?;
    v.cseq(cseq.seq);
    v.text(Field::CSeqMethod, Some(&cseq.method.as_str()));
    Ok(())
}

mod rsip_impl {
    use rsip::prelude::*;

    use super::{after, shown};
    use crate::visit::{Field, Start, Visit};

    #[inline]
    pub(super) fn parse<V: Visit>(buf: &[u8], v: &mut V) -> Result<(), String> {
        let e = |e: rsip::Error| e.to_string();
        let msg = rsip::SipMessage::try_from(buf).map_err(e)?;
        match &msg {
            rsip::SipMessage::Request(r) => v.start(Start::Method(&r.method)),
            rsip::SipMessage::Response(r) => v.start(Start::Status(r.status_code.code())),
        }
        let via = msg
            .via_header()
            .map_err(after("Via"))?
            .typed()
            .map_err(after("Via"))?;
        v.text(Field::ViaBranch, shown(&via.branch()));
        let from = msg
            .from_header()
            .map_err(after("From"))?
            .typed()
            .map_err(after("From"))?;
        v.text(Field::FromTag, shown(&from.tag()));
        let to = msg
            .to_header()
            .map_err(after("To"))?
            .typed()
            .map_err(after("To"))?;
        v.text(Field::ToTag, shown(&to.tag()));
        let call_id = msg.call_id_header().map_err(after("Call-ID"))?.value();
        v.text(Field::CallId, Some(&call_id));
        let cseq = msg
            .cseq_header()
            .map_err(after("CSeq"))?
            .typed()
            .map_err(after("CSeq"))?;
        v.cseq(cseq.seq);
        v.text(Field::CSeqMethod, Some(&cseq.method));
        Ok(())
    }
}

mod rsipstack_impl {
    use rsipstack::sip::prelude::*;

    use super::{after, shown};
    use crate::visit::{Field, Start, Visit};

    #[inline]
    pub(super) fn parse<V: Visit>(buf: &[u8], v: &mut V) -> Result<(), String> {
        let e = |e: rsipstack::sip::Error| e.to_string();
        let msg = rsipstack::sip::parser::parse_message(buf).map_err(e)?;
        match &msg {
            rsipstack::sip::SipMessage::Request(r) => v.start(Start::Method(&r.method)),
            rsipstack::sip::SipMessage::Response(r) => {
                v.start(Start::Status(r.status_code.code()));
            }
        }
        let via = msg
            .top_via_header()
            .map_err(after("Via"))?
            .typed()
            .map_err(after("Via"))?;
        v.text(Field::ViaBranch, shown(&via.branch()));
        let from = msg
            .from_header()
            .map_err(after("From"))?
            .typed()
            .map_err(after("From"))?;
        v.text(Field::FromTag, shown(&from.tag()));
        let to = msg
            .to_header()
            .map_err(after("To"))?
            .typed()
            .map_err(after("To"))?;
        v.text(Field::ToTag, shown(&to.tag()));
        let call_id = msg.call_id_header().map_err(after("Call-ID"))?.value();
        v.text(Field::CallId, Some(&call_id));
        let cseq = msg
            .cseq_header()
            .map_err(after("CSeq"))?
            .typed()
            .map_err(after("CSeq"))?;
        v.cseq(cseq.seq);
        v.text(Field::CSeqMethod, Some(&cseq.method));
        Ok(())
    }
}

/// ezk-sip-types has no one-call message parser: ezk-sip-core's transport layer drives
/// its `PullParser`. [`ezk_parse`] repeats what ezk-sip-core's `parse_complete_sip` does
/// (minus its copy of the input into a fresh `Bytes`), with only ezk-sip-types' public API.
mod ezk_impl {
    use bytes::Bytes;
    use ezk_sip_types::Name;
    use ezk_sip_types::header::typed::{CSeq, CallID, FromTo, Via};
    use ezk_sip_types::msg::MessageLine;

    use super::after;
    use crate::visit::{Field, Start, Visit};

    #[inline]
    pub(super) fn parse<V: Visit>(buf: &Bytes, v: &mut V) -> Result<(), String> {
        let (line, headers, _body) = super::ezk_parse(buf)?;
        match &line {
            MessageLine::Request(r) => v.start(Start::Method(&r.method)),
            MessageLine::Response(r) => v.start(Start::Status(r.code.into_u16())),
        }
        let via: Via = headers.get_named().map_err(after("Via"))?;
        v.text(
            Field::ViaBranch,
            via.params
                .get_val("branch")
                .map(|b| b as &dyn std::fmt::Display),
        );
        let from: FromTo = headers.get(Name::FROM).map_err(after("From"))?;
        v.text(Field::FromTag, super::shown(&from.tag));
        let to: FromTo = headers.get(Name::TO).map_err(after("To"))?;
        v.text(Field::ToTag, super::shown(&to.tag));
        let call_id: CallID = headers.get_named().map_err(after("Call-ID"))?;
        v.text(Field::CallId, Some(&call_id.0));
        let cseq: CSeq = headers.get_named().map_err(after("CSeq"))?;
        v.cseq(cseq.cseq);
        v.text(Field::CSeqMethod, Some(&cseq.method));
        Ok(())
    }
}

/// Parses one complete message with ezk-sip-types the way ezk-sip-core's transport does:
/// `PullParser` splits (and joins folded) lines, the first is a `MessageLine`, the others
/// `Line`s inserted into `Headers`; the body is Content-Length bytes after the head.
///
/// # Errors
///
/// Incomplete input, invalid UTF-8, or a start or header line ezk cannot parse.
pub fn ezk_parse(
    buf: &bytes::Bytes,
) -> Result<
    (
        ezk_sip_types::msg::MessageLine,
        ezk_sip_types::Headers,
        bytes::Bytes,
    ),
    String,
> {
    use ezk_sip_types::header::typed::ContentLength;
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;

    let mut parser = PullParser::new(buf, 0);
    let mut message_line = None;
    let mut headers = ezk_sip_types::Headers::new();
    for item in &mut parser {
        let line = item.map_err(|_| "incomplete message head".to_string())?;
        let line = std::str::from_utf8(line).map_err(|e| e.to_string())?;
        if message_line.is_none() {
            let (_, l) = MessageLine::parse(buf)(line).map_err(|e| format!("start line: {e}"))?;
            message_line = Some(l);
        } else {
            let (_, l) = Line::parse(buf, line).map_err(|e| format!("header line: {e}"))?;
            headers.insert(l.name, l.value);
        }
    }
    let head_end = parser.head_end();
    let body = match headers.get_named::<ContentLength>() {
        Ok(len) if len.0 == 0 => bytes::Bytes::new(),
        Ok(len) if buf.len() >= head_end + len.0 => buf.slice(head_end..head_end + len.0),
        Ok(_) => return Err("incomplete body".into()),
        Err(_) => buf.slice(head_end..),
    };
    Ok((
        message_line.ok_or_else(|| "no start line".to_string())?,
        headers,
        body,
    ))
}

mod sipmsg_impl {
    use sipmsg::{
        NomParser, SipHeaderTagType, SipHeaders, SipMessageType, SipRFCHeader, SipRequest,
        SipResponse,
    };

    use crate::visit::{Field, Start, Visit};

    struct Utf8<'a>(&'a [u8]);

    impl std::fmt::Display for Utf8<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&String::from_utf8_lossy(self.0))
        }
    }

    #[inline]
    pub(super) fn parse<V: Visit>(buf: &[u8], v: &mut V) -> Result<(), String> {
        match sipmsg::get_sip_message_type(buf) {
            SipMessageType::Request => {
                let (_, req) = SipRequest::parse(buf).map_err(|e| format!("{e:?}"))?;
                v.start(Start::Method(&req.rl.method.as_str()));
                headers(&req.headers, v)
            }
            SipMessageType::Response => {
                let (_, resp) = SipResponse::parse(buf).map_err(|e| format!("{e:?}"))?;
                v.start(Start::Status(resp.sl.status_code as u16));
                headers(&resp.headers, v)
            }
            SipMessageType::Unknown => Err("unknown message type".into()),
        }
    }

    #[inline]
    fn headers<V: Visit>(h: &SipHeaders<'_>, v: &mut V) -> Result<(), String> {
        let missing = |name: &str| format!("parsed, but {name}: missing or repeated");
        let via = h
            .get_rfc(SipRFCHeader::Via)
            .and_then(|d| d.front())
            .ok_or_else(|| missing("Via"))?;
        let branch = via
            .params()
            .and_then(|p| p.get("branch"))
            .copied()
            .flatten();
        v.text(Field::ViaBranch, super::shown(&branch));
        let from = h
            .get_rfc_s(SipRFCHeader::From)
            .ok_or_else(|| missing("From"))?;
        let tag = from.params().and_then(|p| p.get("tag")).copied().flatten();
        v.text(Field::FromTag, super::shown(&tag));
        let to = h.get_rfc_s(SipRFCHeader::To).ok_or_else(|| missing("To"))?;
        let tag = to.params().and_then(|p| p.get("tag")).copied().flatten();
        v.text(Field::ToTag, super::shown(&tag));
        let call_id = h
            .get_rfc_s(SipRFCHeader::CallID)
            .ok_or_else(|| missing("Call-ID"))?;
        v.text(Field::CallId, Some(&call_id.value.vstr));
        let cseq = h
            .get_rfc_s(SipRFCHeader::CSeq)
            .ok_or_else(|| missing("CSeq"))?;
        let tags = cseq.value.tags().ok_or_else(|| missing("CSeq tags"))?;
        let number = tags
            .get(&SipHeaderTagType::Number)
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| "parsed, but CSeq: bad number".to_string())?;
        v.cseq(number);
        let method = tags.get(&SipHeaderTagType::Method).map(|m| Utf8(m));
        v.text(Field::CSeqMethod, super::shown(&method));
        Ok(())
    }
}

mod rvoip_impl {
    use rvoip_sip_core::{CSeq, Message};

    use crate::visit::{Field, Start, Visit};

    #[inline]
    pub(super) fn parse<V: Visit>(buf: &[u8], v: &mut V) -> Result<(), String> {
        let msg = rvoip_sip_core::parse_message(buf).map_err(|e| e.to_string())?;
        match &msg {
            Message::Request(r) => v.start(Start::Method(&r.method())),
            Message::Response(r) => v.start(Start::Status(r.status_code())),
        }
        let missing = |name: &str| format!("parsed, but {name}: missing");
        let via = msg.first_via().ok_or_else(|| missing("Via"))?;
        v.text(Field::ViaBranch, super::shown(&via.branch()));
        let from = msg.from().ok_or_else(|| missing("From"))?;
        v.text(Field::FromTag, super::shown(&from.tag()));
        let to = msg.to().ok_or_else(|| missing("To"))?;
        v.text(Field::ToTag, super::shown(&to.tag()));
        let call_id = msg.call_id().ok_or_else(|| missing("Call-ID"))?;
        v.text(Field::CallId, Some(&call_id.0));
        let cseq = msg.typed_header::<CSeq>().ok_or_else(|| missing("CSeq"))?;
        v.cseq(cseq.seq);
        v.text(Field::CSeqMethod, Some(&cseq.method));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::samples;

    #[test]
    fn sip_core_rows_agree_on_every_sample() {
        for s in samples() {
            let reference = Id::SipCoreTyped.answers(&s).unwrap().unwrap();
            for id in [Id::SipCore, Id::SipCoreLenient, Id::SipCoreOwned] {
                assert_eq!(
                    id.answers(&s).unwrap().unwrap(),
                    reference,
                    "{} {}",
                    s.name,
                    id.name()
                );
            }
        }
    }

    #[test]
    fn peers_agree_on_the_invite() {
        let s = samples()
            .into_iter()
            .find(|s| s.name == "invite_sdp.sip")
            .unwrap();
        let reference = Id::SipCoreTyped.answers(&s).unwrap().unwrap();
        assert_eq!(reference.via_branch.as_deref(), Some("z9hG4bK74bf9"));
        for id in Id::ALL.into_iter().filter(|id| id.kind() == Kind::Peer) {
            let a = id.answers(&s).unwrap().unwrap();
            assert_eq!(a, reference, "{}", id.name());
        }
    }
}
