//! Framing SIP over streams (TCP, TLS) and datagrams (UDP), sans-IO.

use bytes::{Buf, Bytes, BytesMut};

use crate::config::{Framing, Mode, ParserConfig};
use crate::error::{ErrorKind, ParseError};
use crate::header::HeaderSlot;
use crate::owned::SipMessage;
use crate::parse::{FrameStatus, frame};

/// One unit read from a transport.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A complete, valid message.
    Message(SipMessage),
    /// A message that was framed correctly but failed strict validation (for example a
    /// CSeq method that differs from the request method). The stream is still in sync;
    /// a server should answer `error.suggested_status()` using the message's Via, From,
    /// To, Call-ID and CSeq where they are readable, and carry on.
    Invalid {
        /// The message as framed.
        message: SipMessage,
        /// Why strict validation rejected it.
        error: ParseError,
    },
    /// A double-CRLF keep-alive "ping" (RFC 5626 §3.5.1). A server answers with a single
    /// CRLF ([`Frame::Pong`]).
    Ping,
    /// A single-CRLF keep-alive "pong" (RFC 5626 §3.5.1).
    Pong,
}

impl From<SipMessage> for Frame {
    fn from(m: SipMessage) -> Self {
        Self::Message(m)
    }
}

/// Why a stream can no longer be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// The bytes are not a SIP message (bad start line, bad header line, bad or conflicting
    /// Content-Length) or a limit was exceeded.
    Parse(ParseError),
    /// The framer already failed; a stream cannot be resynchronised after a framing error.
    /// Close the connection.
    Failed,
}

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Parse(e) => write!(f, "framing failed: {e}"),
            Self::Failed => f.write_str("stream already failed to frame; close the connection"),
        }
    }
}

impl std::error::Error for FramingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Parse(e) => Some(e),
            Self::Failed => None,
        }
    }
}

impl From<ParseError> for FramingError {
    fn from(e: ParseError) -> Self {
        Self::Parse(e)
    }
}

/// Turns a byte stream into [`Frame`]s.
///
/// Feed it bytes as they arrive, in chunks of any size, and take frames out until it
/// returns `None`. Each message comes out as a [`SipMessage`] that shares the stream
/// buffer's memory (`BytesMut::split_to(n).freeze()`), with no copy.
///
/// Keep-alives (RFC 5626 §3.5.1) between messages are events, not errors: `CRLFCRLF` is a
/// [`Frame::Ping`], a lone `CRLF` a [`Frame::Pong`]. A ping that arrives split across two
/// reads as `CRLF` + `CRLF` is reported as two pongs; RFC 3261 §7.5 says such CRLFs are to
/// be ignored anyway.
///
/// # Bounded memory
///
/// The framer holds at most [`StreamFramer::max_buffered`] bytes (by default the largest
/// header section plus the largest body allowed by the [`Limits`](crate::Limits), plus
/// 64 KiB). A peer that sends an endless header section gets
/// [`ErrorKind::HeaderSectionTooLarge`] as soon as the section passes the limit; one that
/// announces a huge Content-Length gets [`ErrorKind::BodyTooLarge`] before the body arrives.
///
/// # Errors are final
///
/// After an error the stream cannot be resynchronised: the framer drops its buffer and
/// every later call returns [`FramingError::Failed`]. Close the connection.
///
/// ```
/// use sip_core::{Frame, ParserConfig, StreamFramer};
/// let mut framer = StreamFramer::new(ParserConfig::default());
/// let wire = b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\nSIP/2.0 200 OK\r\nl: 2\r\n\r\nhi";
/// for chunk in wire.chunks(7) {
///     assert_eq!(framer.feed(chunk), chunk.len());
/// }
/// assert_eq!(framer.next_frame()?, Some(Frame::Ping));
/// let Some(Frame::Message(m)) = framer.next_frame()? else { panic!() };
/// assert!(m.message().is_request());
/// let Some(Frame::Message(m)) = framer.next_frame()? else { panic!() };
/// assert_eq!(&m.body()[..], b"hi");
/// assert_eq!(framer.next_frame()?, None);
/// # Ok::<(), sip_core::FramingError>(())
/// ```
#[derive(Debug)]
pub struct StreamFramer {
    config: ParserConfig,
    max_buffered: usize,
    buf: BytesMut,
    /// Bytes of the current message already searched for the end of its header section.
    scanned: usize,
    /// Once the header section is complete: where the message ends.
    need: Option<usize>,
    failed: bool,
    slots: Vec<HeaderSlot>,
}

impl StreamFramer {
    /// A framer with the given configuration; its framing is forced to
    /// [`Framing::Stream`].
    pub fn new(config: ParserConfig) -> Self {
        let config = config.framing(Framing::Stream);
        let max_buffered = config
            .limits
            .max_header_section
            .saturating_add(config.limits.max_body)
            .saturating_add(64 * 1024);
        Self {
            config,
            max_buffered,
            buf: BytesMut::new(),
            scanned: 0,
            need: None,
            failed: false,
            slots: Vec::new(),
        }
    }

    /// Changes the buffer bound (see the type docs). It never goes below one largest
    /// header section plus one largest body.
    pub fn with_max_buffered(mut self, max: usize) -> Self {
        let floor = self
            .config
            .limits
            .max_header_section
            .saturating_add(self.config.limits.max_body);
        self.max_buffered = max.max(floor);
        self
    }

    /// The most bytes [`StreamFramer::feed`] will hold.
    pub fn max_buffered(&self) -> usize {
        self.max_buffered
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True after a framing error.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Appends bytes to the internal buffer and returns how many were taken: fewer than
    /// `data.len()` when the buffer is full. Take frames out with
    /// [`StreamFramer::next_frame`] and feed the rest. Nothing is taken after a failure.
    pub fn feed(&mut self, data: &[u8]) -> usize {
        if self.failed {
            return 0;
        }
        let n = data
            .len()
            .min(self.max_buffered - self.buf.len().min(self.max_buffered));
        self.buf.extend_from_slice(&data[..n]);
        n
    }

    /// The next frame from the internal buffer, or `None` if more bytes are needed.
    ///
    /// # Errors
    ///
    /// [`FramingError::Parse`] when the stream is not SIP or breaks a limit, then
    /// [`FramingError::Failed`] forever.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.decode(&mut buf);
        self.buf = buf;
        r
    }

    /// The next frame from a caller-owned buffer (the tokio codec uses this). Consumed
    /// bytes are removed from `buf`. The caller must not modify `buf` other than by
    /// appending between calls.
    ///
    /// # Errors
    ///
    /// As [`StreamFramer::next_frame`]; also [`ErrorKind::HeaderSectionTooLarge`] when
    /// `buf` holds more than [`StreamFramer::max_buffered`] bytes without a complete frame.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FramingError> {
        if self.failed {
            return Err(FramingError::Failed);
        }
        match self.decode_inner(buf) {
            Ok(None) if buf.len() > self.max_buffered => self.fail(
                buf,
                ParseError::new(ErrorKind::HeaderSectionTooLarge, buf.len()),
            ),
            Ok(frame) => Ok(frame),
            Err(e) => self.fail(buf, e),
        }
    }

    fn fail(&mut self, buf: &mut BytesMut, e: ParseError) -> Result<Option<Frame>, FramingError> {
        self.failed = true;
        *buf = BytesMut::new();
        self.slots = Vec::new();
        Err(FramingError::Parse(e))
    }

    fn decode_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ParseError> {
        let lenient = self.config.mode == Mode::Lenient;
        if self.need.is_none() && self.scanned == 0 {
            if buf.starts_with(b"\r\n\r\n") {
                buf.advance(4);
                return Ok(Some(Frame::Ping));
            }
            if buf.starts_with(b"\r\n") {
                if buf.len() == 3 && buf[2] == b'\r' {
                    return Ok(None);
                }
                buf.advance(2);
                return Ok(Some(Frame::Pong));
            }
            if lenient && buf.starts_with(b"\n") {
                buf.advance(1);
                return Ok(Some(Frame::Pong));
            }
            if buf.is_empty() || buf.as_ref() == b"\r" {
                return Ok(None);
            }
        }
        match self.need {
            Some(end) if buf.len() < end => return Ok(None),
            Some(_) => {}
            None => {
                let from = self.scanned.saturating_sub(3);
                let window = &buf[from..];
                let mut found = memchr::memmem::find(window, b"\r\n\r\n");
                if lenient && let Some(i) = memchr::memmem::find(window, b"\n\n") {
                    found = Some(found.map_or(i, |f| f.min(i)));
                }
                if found.is_none() {
                    self.scanned = buf.len();
                    if buf.len() > self.config.limits.max_header_section {
                        return Err(ParseError::new(
                            ErrorKind::HeaderSectionTooLarge,
                            self.config.limits.max_header_section,
                        ));
                    }
                    return Ok(None);
                }
            }
        }
        self.slots.clear();
        match frame(buf, &self.config, &mut self.slots)? {
            FrameStatus::NeedHeaders => {
                self.scanned = buf.len();
                Ok(None)
            }
            FrameStatus::NeedBody(end) => {
                self.need = Some(end);
                Ok(None)
            }
            FrameStatus::Complete(framed) => {
                let bytes = buf.split_to(framed.consumed).freeze();
                self.scanned = 0;
                self.need = None;
                let message = SipMessage::from_parts(bytes, framed, self.slots.as_slice().to_vec());
                Ok(Some(classify(message, &self.config)))
            }
        }
    }
}

fn classify(message: SipMessage, config: &ParserConfig) -> Frame {
    if config.strict()
        && let Err(error) = crate::check::validate(&message.message())
    {
        return Frame::Invalid { message, error };
    }
    Frame::Message(message)
}

/// Frames one UDP datagram: a message (trailing bytes after a Content-Length body are
/// discarded), or a keep-alive if the datagram is only `CRLFCRLF` or `CRLF`. Every
/// datagram stands alone, so an error affects only this one.
///
/// # Errors
///
/// A [`ParseError`] if the datagram is not a SIP message. Messages that are framed but
/// fail strict validation come back as [`Frame::Invalid`].
pub fn decode_datagram(datagram: Bytes, config: &ParserConfig) -> Result<Frame, ParseError> {
    match datagram.as_ref() {
        b"\r\n\r\n" => return Ok(Frame::Ping),
        b"\r\n" => return Ok(Frame::Pong),
        _ => {}
    }
    let config = config.framing(Framing::Datagram);
    let mut slots = Vec::new();
    match frame(&datagram, &config, &mut slots)? {
        FrameStatus::Complete(framed) => Ok(classify(
            SipMessage::from_parts(datagram, framed, slots),
            &config,
        )),
        FrameStatus::NeedHeaders | FrameStatus::NeedBody(_) => {
            Err(ParseError::new(ErrorKind::Incomplete, datagram.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 0\r\n\r\n";

    #[test]
    fn keepalives_and_leading_crlf() {
        let mut f = StreamFramer::new(ParserConfig::default());
        f.feed(b"\r\n\r\n\r\n");
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Ping));
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Pong));
        assert_eq!(f.next_frame().unwrap(), None);
        f.feed(b"\r\n\r");
        assert_eq!(f.next_frame().unwrap(), None, "could still become a ping");
        f.feed(b"\n");
        assert_eq!(f.next_frame().unwrap(), Some(Frame::Ping));
        f.feed(OPTIONS);
        assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(_))));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn invalid_message_keeps_the_stream() {
        let mut f = StreamFramer::new(ParserConfig::default());
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n");
        f.feed(OPTIONS);
        let Some(Frame::Invalid { error, message }) = f.next_frame().unwrap() else {
            panic!()
        };
        assert_eq!(error.kind(), ErrorKind::CSeqMethodMismatch);
        assert_eq!(message.message().cseq().unwrap().seq, 1);
        assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(_))));
    }

    #[test]
    fn errors_are_final_and_release_memory() {
        let mut f = StreamFramer::new(ParserConfig::default());
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\nBad Header\r\n\r\n");
        assert!(
            matches!(f.next_frame(), Err(FramingError::Parse(e)) if e.kind() == ErrorKind::MissingColon)
        );
        assert_eq!(f.buffered(), 0);
        assert_eq!(f.feed(OPTIONS), 0);
        assert_eq!(f.next_frame(), Err(FramingError::Failed));
        assert!(f.is_failed());
    }

    #[test]
    fn endless_header_section_is_cut_at_the_limit() {
        let limits = crate::Limits {
            max_header_section: 4096,
            max_body: 1024,
            ..Default::default()
        };
        let mut f = StreamFramer::new(ParserConfig::default().limits(limits));
        let line = b"X-Filler: 0123456789abcdef0123456789abcdef0123456789abcdef\r\n";
        let mut max_seen = 0;
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\n");
        let err = loop {
            assert_eq!(f.feed(line), line.len());
            max_seen = max_seen.max(f.buffered());
            match f.next_frame() {
                Ok(None) => continue,
                Err(e) => break e,
                Ok(Some(other)) => panic!("{other:?}"),
            }
        };
        assert!(
            matches!(err, FramingError::Parse(e) if e.kind() == ErrorKind::HeaderSectionTooLarge)
        );
        assert!(max_seen <= 4096 + line.len(), "held {max_seen} bytes");
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn huge_content_length_is_refused_early() {
        let mut f = StreamFramer::new(ParserConfig::default());
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 999999999\r\n\r\nabc");
        assert!(
            matches!(f.next_frame(), Err(FramingError::Parse(e)) if e.kind() == ErrorKind::BodyTooLarge)
        );
    }

    #[test]
    fn feed_stops_at_the_bound() {
        let limits = crate::Limits {
            max_header_section: 1000,
            max_body: 1000,
            ..Default::default()
        };
        let mut f = StreamFramer::new(ParserConfig::default().limits(limits)).with_max_buffered(0);
        assert_eq!(f.max_buffered(), 2000);
        assert_eq!(f.feed(&[b'x'; 5000]), 2000);
        assert_eq!(f.feed(b"y"), 0);
    }

    #[test]
    fn datagrams() {
        let cfg = ParserConfig::default();
        assert_eq!(
            decode_datagram(Bytes::from_static(b"\r\n\r\n"), &cfg).unwrap(),
            Frame::Ping
        );
        let mut d = OPTIONS.to_vec();
        d.extend_from_slice(b"trailing junk");
        let Frame::Message(m) = decode_datagram(Bytes::from(d), &cfg).unwrap() else {
            panic!()
        };
        assert_eq!(m.wire().len(), OPTIONS.len());
        assert_eq!(
            decode_datagram(Bytes::from_static(b"garbage"), &cfg)
                .unwrap_err()
                .kind(),
            ErrorKind::MissingEmptyLine
        );
        // The next datagram parses normally.
        assert!(matches!(
            decode_datagram(Bytes::from_static(OPTIONS), &cfg),
            Ok(Frame::Message(_))
        ));
    }
}
