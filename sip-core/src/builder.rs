//! Building requests and responses in canonical form.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::chars::all_token;
use crate::error::ParseError;
use crate::header::KnownHeader;
use crate::message::Message;
use crate::method::Method;
use crate::owned::SipMessage;

/// Why a message could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The method is not a token.
    InvalidMethod,
    /// The Request-URI is empty or holds white space or control characters.
    InvalidUri,
    /// The status code is outside 100-699.
    InvalidStatus(u16),
    /// The reason phrase holds CR, LF or other control characters.
    InvalidReason,
    /// A header name is not a token.
    InvalidHeaderName(String),
    /// A header value holds CR or LF (folding is not produced by this builder) or other
    /// control characters outside quoted text.
    InvalidHeaderValue(String),
    /// A Content-Length header was set that differs from the body length.
    ContentLengthMismatch,
    /// The assembled message does not pass the strict parser (for example a malformed
    /// From); fix the offending header value.
    Invalid(ParseError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMethod => f.write_str("method is not a token"),
            Self::InvalidUri => f.write_str("request-uri is empty or holds white space"),
            Self::InvalidStatus(c) => write!(f, "status code {c} is outside 100-699"),
            Self::InvalidReason => f.write_str("reason phrase holds control characters"),
            Self::InvalidHeaderName(n) => write!(f, "header name {n:?} is not a token"),
            Self::InvalidHeaderValue(n) => {
                write!(f, "value of header {n} holds cr, lf or control characters")
            }
            Self::ContentLengthMismatch => f.write_str("content-length does not match the body"),
            Self::Invalid(e) => write!(f, "built message is invalid: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds a request or response in canonical form: `Name: value` lines with CRLF, a
/// Content-Length matching the body added unless one was given, then the body.
///
/// [`MessageBuilder::build`] parses the result with the strict parser, so a built message
/// is always valid and `SipMessage::parse(built.wire()) == built`.
///
/// ```
/// use sip_core::{KnownHeader as H, MessageBuilder, Method};
/// let req = MessageBuilder::request(Method::Register, "sip:contoso.com")
///     .header(H::Via, "SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds")
///     .header(H::From, "<sip:alice@contoso.com>;tag=22fafb15b8")
///     .header(H::To, "<sip:alice@contoso.com>")
///     .header(H::CallId, "d5f2b95d5be64c2cbfb38aa5d3a87ae7")
///     .header(H::CSeq, "1 REGISTER")
///     .header_named("ms-keep-alive", "UAC;hop-hop=yes")
///     .build()?;
/// let ok = MessageBuilder::response_to(&req.message(), 200, "OK", Some("9588410E"))
///     .header(H::Expires, "7200")
///     .build()?;
/// assert_eq!(ok.message().to()?.tag(), Some("9588410E"));
/// assert_eq!(ok.message().cseq()?.seq, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MessageBuilder {
    out: BytesMut,
    body: Bytes,
    content_length: Option<u64>,
    error: Option<BuildError>,
}

fn bad_value(v: &[u8]) -> bool {
    v.iter()
        .any(|&b| b == b'\r' || b == b'\n' || b == 0 || b == 0x7f)
}

impl MessageBuilder {
    fn start() -> Self {
        Self {
            out: BytesMut::with_capacity(512),
            body: Bytes::new(),
            content_length: None,
            error: None,
        }
    }

    fn fail(&mut self, e: BuildError) {
        self.error.get_or_insert(e);
    }

    /// Starts a request.
    pub fn request(method: Method<'_>, uri: &str) -> Self {
        let mut b = Self::start();
        if !all_token(method.as_str().as_bytes()) {
            b.fail(BuildError::InvalidMethod);
        }
        if uri.is_empty() || uri.bytes().any(|c| c <= b' ' || c == 0x7f) {
            b.fail(BuildError::InvalidUri);
        }
        b.out.put_slice(method.as_str().as_bytes());
        b.out.put_u8(b' ');
        b.out.put_slice(uri.as_bytes());
        b.out.put_slice(b" SIP/2.0\r\n");
        b
    }

    /// Starts a response.
    pub fn response(status: u16, reason: &str) -> Self {
        Self::response_bytes(status, reason.as_bytes())
    }

    /// Starts a response with a reason phrase given as raw bytes (as a lenient parse may
    /// hold it). Control characters are refused; a phrase that is not UTF-8 is written
    /// as is, and [`MessageBuilder::build`] then refuses it because the strict parser
    /// requires UTF-8 (use [`MessageBuilder::into_bytes`] to send it anyway).
    pub fn response_bytes(status: u16, reason: &[u8]) -> Self {
        let mut b = Self::start();
        if !(100..=699).contains(&status) {
            b.fail(BuildError::InvalidStatus(status));
        }
        if reason
            .iter()
            .any(|&c| (c < b' ' && c != b'\t') || c == 0x7f)
        {
            b.fail(BuildError::InvalidReason);
        }
        b.out.put_slice(format!("SIP/2.0 {status} ").as_bytes());
        b.out.put_slice(reason);
        b.out.put_slice(b"\r\n");
        b
    }

    /// Starts a response to `request` as RFC 3261 §8.2.6.2 says: every Via line, From,
    /// To, Call-ID, CSeq and Timestamp are copied in order, byte for byte (folds
    /// unfolded), and `to_tag` is added to To if it has no tag yet.
    pub fn response_to(
        request: &Message<'_>,
        status: u16,
        reason: &str,
        to_tag: Option<&str>,
    ) -> Self {
        let mut b = Self::response(status, reason);
        for h in request.headers() {
            let Some(k) = h.known() else { continue };
            if !matches!(
                k,
                KnownHeader::Via
                    | KnownHeader::From
                    | KnownHeader::To
                    | KnownHeader::CallId
                    | KnownHeader::CSeq
                    | KnownHeader::Timestamp
            ) {
                continue;
            }
            let mut value: Vec<u8> = h.value_unfolded().flat_map(|c| c.iter().copied()).collect();
            if k == KnownHeader::To
                && let Some(tag) = to_tag
                && request.to().is_ok_and(|t| t.tag().is_none())
            {
                value.extend_from_slice(b";tag=");
                value.extend_from_slice(tag.as_bytes());
            }
            b = b.header(k, value);
        }
        b
    }

    /// Starts from a copy of `message`: the same start line, every header line in order
    /// (folds unfolded, names as received) and the same body. Add headers (an
    /// `Authorization` after signing, for example) and build.
    pub fn from_message(message: &Message<'_>) -> Self {
        let mut b = match (message.method(), message.status()) {
            (Some(method), _) => Self::request(method, message.request_uri().unwrap_or_default()),
            (None, Some(status)) => {
                Self::response_bytes(status, message.reason().unwrap_or_default())
            }
            (None, None) => Self::start(),
        };
        for h in message.headers() {
            let value: Vec<u8> = h.value_unfolded().flat_map(|c| c.iter().copied()).collect();
            b = match h.known() {
                Some(k) => b.header(k, value),
                None => b.header_named(h.name(), value),
            };
        }
        b.body(Bytes::copy_from_slice(message.body()))
    }

    /// Adds a known header under its canonical name.
    pub fn header(mut self, name: KnownHeader, value: impl AsRef<[u8]>) -> Self {
        let value = value.as_ref();
        if name == KnownHeader::ContentLength {
            match crate::chars::parse_decimal(value, u64::MAX) {
                Ok(n) => self.content_length = Some(n),
                Err(_) => self.fail(BuildError::InvalidHeaderValue(name.as_str().into())),
            }
        }
        self.line(name.as_str().as_bytes(), value);
        self
    }

    /// Adds a header by name, known or not (`ms-keep-alive`, `X-Foo`). Known names are
    /// written in the canonical spelling.
    pub fn header_named(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        match KnownHeader::from_name(name.as_bytes()) {
            Some(k) => self.header(k, value),
            None => {
                let mut b = self;
                if !all_token(name.as_bytes()) {
                    b.fail(BuildError::InvalidHeaderName(name.into()));
                }
                b.line(name.as_bytes(), value.as_ref());
                b
            }
        }
    }

    fn line(&mut self, name: &[u8], value: &[u8]) {
        if bad_value(value) {
            self.fail(BuildError::InvalidHeaderValue(
                String::from_utf8_lossy(name).into_owned(),
            ));
        }
        self.out.reserve(name.len() + value.len() + 4);
        self.out.put_slice(name);
        self.out.put_slice(b": ");
        self.out.put_slice(value);
        self.out.put_slice(b"\r\n");
    }

    /// Sets the body. Content-Type is not added: set it with [`MessageBuilder::header`].
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Finishes the message bytes without parsing them back.
    ///
    /// # Errors
    ///
    /// The first invalid part given to the builder.
    pub fn into_bytes(mut self) -> Result<BytesMut, BuildError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.content_length {
            Some(n) if n != self.body.len() as u64 => {
                return Err(BuildError::ContentLengthMismatch);
            }
            Some(_) => {}
            None => {
                let len = self.body.len().to_string();
                self.line(b"Content-Length", len.as_bytes());
            }
        }
        self.out.put_slice(b"\r\n");
        self.out.put_slice(&self.body);
        Ok(self.out)
    }

    /// Finishes the message and parses it (strict) into a [`SipMessage`].
    ///
    /// # Errors
    ///
    /// The first invalid part given to the builder, or [`BuildError::Invalid`] if the
    /// result does not pass the strict parser.
    pub fn build(self) -> Result<SipMessage, BuildError> {
        let bytes = self.into_bytes()?.freeze();
        SipMessage::parse(bytes).map_err(BuildError::Invalid)
    }
}
