//! Strict-mode validation of the core headers (RFC 3261 / RFC 4475) through the typed
//! parsers: the reference for [`crate::check`], which answers the common forms from the
//! raw bytes and comes here for everything else, so errors are always reported from here.

use crate::error::{ErrorKind, ParseError};
use crate::header::KnownHeader;
use crate::message::Message;
use crate::method::Method;
use crate::typed::{self, CSeq, Date, NameAddr, Via};
use crate::uri::Uri;

type ValueCheck = dyn Fn(&[u8], usize) -> Result<(), ParseError>;

/// Checks what strict mode promises: the Request-URI and every value of Via, From, To,
/// Contact, Route, Record-Route, Call-ID, CSeq (and its method), Max-Forwards, Expires and
/// Date. Presence and uniqueness are not checked: RFC 4475 §3.3 leaves those to the
/// application (typed accessors report them).
#[cfg(any(test, fuzzing))]
pub(crate) fn validate_typed(msg: &Message<'_>) -> Result<(), ParseError> {
    if let Some(raw) = msg.request_uri() {
        request_uri(msg, raw)?;
    }
    let method = msg.method();
    for h in msg.headers() {
        if let Some(known) = h.known() {
            header(known, h.value(), h.value_offset(), method)?;
        }
    }
    Ok(())
}

/// The Request-URI `raw` of `msg`.
pub(crate) fn request_uri(msg: &Message<'_>, raw: &str) -> Result<(), ParseError> {
    let at = msg.wire_offset() + msg.method().map_or(0, |m| m.as_str().len() + 1);
    // `raw` is already text: no second UTF-8 check.
    let uri = Uri::parse_str(raw, at, true)
        .map_err(|e| ParseError::new(ErrorKind::InvalidRequestUri, e.offset()))?;
    // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
    if let Uri::Sip(sip) = uri
        && sip.headers.is_some()
    {
        let q = raw.find('?').unwrap_or(0);
        return Err(ParseError::new(ErrorKind::InvalidRequestUri, at + q));
    }
    Ok(())
}

/// One header line's value (at message offset `off`) of a message whose request method,
/// if any, is `method`.
pub(crate) fn header(
    known: KnownHeader,
    value: &[u8],
    off: usize,
    method: Option<Method<'_>>,
) -> Result<(), ParseError> {
    let tag = |e: ParseError| e.in_header(Some(known));
    let each = |f: &ValueCheck| -> Result<(), ParseError> {
        for (v, o) in crate::scan::CommaSplit::new(value, off) {
            if v.is_empty() {
                return Err(ParseError::new(ErrorKind::EmptyListElement, o));
            }
            f(v, o)?;
        }
        Ok(())
    };
    match known {
        KnownHeader::Via => each(&|v, o| Via::parse_at(v, o, true).map(drop)).map_err(tag),
        KnownHeader::Contact => {
            each(&|v, o| typed::parse_contact(v, o, true).map(drop)).map_err(tag)
        }
        KnownHeader::Route | KnownHeader::RecordRoute => {
            each(&|v, o| NameAddr::parse_at(v, o, true).map(drop)).map_err(tag)
        }
        KnownHeader::From | KnownHeader::To => {
            NameAddr::parse_at(value, off, true).map(drop).map_err(tag)
        }
        KnownHeader::CallId => typed::parse_call_id(value, off).map(drop).map_err(tag),
        KnownHeader::CSeq => {
            let cseq = CSeq::parse_at(value, off).map_err(tag)?;
            match method {
                Some(m) if m != cseq.method => {
                    Err(tag(ParseError::new(ErrorKind::CSeqMethodMismatch, off)))
                }
                _ => Ok(()),
            }
        }
        KnownHeader::MaxForwards => typed::parse_number(value, off, 255).map(drop).map_err(tag),
        KnownHeader::Expires => typed::parse_number(value, off, u64::from(u32::MAX))
            .map(drop)
            .map_err(tag),
        KnownHeader::Date => Date::parse_at(value, off).map(drop).map_err(tag),
        _ => Ok(()),
    }
}
