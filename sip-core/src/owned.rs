//! The owned message: one shared `Bytes` buffer plus the positions found by the parser.

use std::fmt;

use bytes::Bytes;

use crate::config::ParserConfig;
use crate::error::{ErrorKind, ParseError};
use crate::header::{EMPTY_HEADER, HeaderSlot, Headers};
use crate::message::Message;
use crate::parse::{FrameStatus, Framed, SliceSink, frame};

/// A parsed message that owns its bytes.
///
/// It holds the input `Bytes` (reference-counted, never copied) and a vector of header
/// positions; every field is a slice of that one buffer. Parsing one costs exactly one
/// allocation, the header index. Use [`SipMessage::message`] for all accessors; the
/// common ones are repeated here.
///
/// ```
/// use bytes::Bytes;
/// use sip_core::SipMessage;
/// let m = SipMessage::parse(Bytes::from_static(b"SIP/2.0 200 OK\r\nCall-ID: x@y\r\nContent-Length: 2\r\n\r\nhi"))?;
/// assert_eq!(m.message().status(), Some(200));
/// assert_eq!(&m.body()[..], b"hi");
/// # Ok::<(), sip_core::ParseError>(())
/// ```
#[derive(Clone)]
pub struct SipMessage {
    buf: Bytes,
    framed: Framed,
    slots: Vec<HeaderSlot>,
}

impl SipMessage {
    /// Parses a complete message with the default configuration (strict, stream framing).
    ///
    /// # Errors
    ///
    /// Any [`ParseError`]; [`ErrorKind::Incomplete`] if the buffer ends before the message.
    pub fn parse(buf: Bytes) -> Result<Self, ParseError> {
        Self::parse_with(buf, &ParserConfig::default())
    }

    /// Parses a complete message with an explicit configuration.
    ///
    /// # Errors
    ///
    /// Any [`ParseError`]; [`ErrorKind::Incomplete`] if the buffer ends before the message.
    pub fn parse_with(buf: Bytes, config: &ParserConfig) -> Result<Self, ParseError> {
        // Parse into stack slots first so the index is allocated once, at its final size.
        let mut stack = [EMPTY_HEADER; 48];
        let mut sink = SliceSink {
            slots: &mut stack,
            len: 0,
        };
        let (framed, slots) = match frame(&buf, config, &mut sink) {
            Ok(status) => (status, sink.slots[..sink.len].to_vec()),
            Err(e) if e.kind() == ErrorKind::TooManyHeaders && sink.len == sink.slots.len() => {
                let mut v = Vec::with_capacity(config.limits.max_headers.min(4096));
                (frame(&buf, config, &mut v)?, v)
            }
            Err(e) => return Err(e),
        };
        let FrameStatus::Complete(framed) = framed else {
            return Err(ParseError::new(ErrorKind::Incomplete, buf.len()));
        };
        let msg = Self::from_parts(buf, framed, slots);
        if config.strict() {
            crate::check::validate(&msg.message())?;
        }
        Ok(msg)
    }

    /// Wraps what the parser found in `buf` (no validation).
    pub(crate) fn from_parts(buf: Bytes, framed: Framed, slots: Vec<HeaderSlot>) -> Self {
        Self { buf, framed, slots }
    }

    /// The borrowed view with every accessor.
    pub fn message(&self) -> Message<'_> {
        Message::from_parts(&self.buf, self.framed, &self.slots)
    }

    /// All header lines.
    pub fn headers(&self) -> Headers<'_> {
        self.message().headers()
    }

    /// The whole buffer the message was parsed from.
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }

    /// The message bytes as received (start line through body), sharing the buffer.
    pub fn wire(&self) -> Bytes {
        self.buf
            .slice(self.framed.wire.start as usize..self.framed.wire.end as usize)
    }

    /// The body, sharing the buffer.
    pub fn body(&self) -> Bytes {
        self.buf
            .slice(self.framed.body.start as usize..self.framed.body.end as usize)
    }

    /// Bytes of the buffer the message used (see [`Message::consumed`]).
    pub fn consumed(&self) -> usize {
        self.framed.consumed
    }
}

impl PartialEq for SipMessage {
    fn eq(&self, other: &Self) -> bool {
        self.message() == other.message()
    }
}

impl Eq for SipMessage {}

impl fmt::Debug for SipMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}
