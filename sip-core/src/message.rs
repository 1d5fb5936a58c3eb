//! A parsed message: the borrowed view every accessor works on.

use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::chars::utf8;
use crate::error::{ErrorKind, ParseError};
use crate::header::{HeaderSlot, Headers, KnownHeader};
use crate::method::Method;
use crate::parse::{Framed, Span, StartLine};
use crate::typed::{
    self, Authentication, AuthenticationInfo, CSeq, Challenges, Contact, Date, Event, MediaType,
    NameAddr, Via,
};
use crate::uri::Uri;

/// Request or response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A request.
    Request,
    /// A response.
    Response,
}

/// A parsed SIP message borrowing its input: the result of [`parse`](crate::parse), or
/// the view of an owned [`SipMessage`](crate::SipMessage).
///
/// Cheap to copy. The start line and header positions were found while parsing; header
/// values are parsed into typed form only when an accessor asks, and nothing is copied.
///
/// Accessors for headers that must appear exactly once (`from`, `to`, `call_id`, `cseq`)
/// return [`ErrorKind::MissingHeader`] or [`ErrorKind::DuplicateHeader`] when the message
/// breaks that rule; optional single headers return `Ok(None)` when absent. List accessors
/// yield one `Result` per value.
#[derive(Clone, Copy)]
pub struct Message<'a> {
    buf: &'a [u8],
    framed: Framed,
    slots: &'a [HeaderSlot],
}

impl<'a> Message<'a> {
    pub(crate) fn from_parts(buf: &'a [u8], framed: Framed, slots: &'a [HeaderSlot]) -> Self {
        Self { buf, framed, slots }
    }

    /// The buffer, the header slots and the start line, for the strict checks.
    pub(crate) fn parts(&self) -> (&'a [u8], &'a [HeaderSlot], StartLine) {
        (self.buf, self.slots, self.framed.start)
    }

    // --- start line -------------------------------------------------------------------

    /// Request or response.
    pub fn kind(&self) -> Kind {
        match self.framed.start {
            StartLine::Request { .. } => Kind::Request,
            StartLine::Response { .. } => Kind::Response,
        }
    }

    /// True for requests.
    pub fn is_request(&self) -> bool {
        self.kind() == Kind::Request
    }

    /// True for responses.
    pub fn is_response(&self) -> bool {
        self.kind() == Kind::Response
    }

    fn text(&self, s: Span) -> &'a str {
        utf8(s.of(self.buf)).unwrap_or_default()
    }

    /// The request method.
    pub fn method(&self) -> Option<Method<'a>> {
        match self.framed.start {
            StartLine::Request { method, .. } => Some(Method::from_token(self.text(method))),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI exactly as on the wire.
    pub fn request_uri(&self) -> Option<&'a str> {
        match self.framed.start {
            StartLine::Request { uri, .. } => Some(self.text(uri)),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI, parsed.
    pub fn request_uri_parsed(&self) -> Option<Result<Uri<'a>, ParseError>> {
        match self.framed.start {
            StartLine::Request { uri, .. } => {
                Some(Uri::parse_with(uri.of(self.buf), uri.start as usize, false))
            }
            StartLine::Response { .. } => None,
        }
    }

    /// The SIP-Version as on the wire (`SIP/2.0`).
    pub fn version(&self) -> &'a str {
        match self.framed.start {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => {
                self.text(version)
            }
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.framed.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response, raw (UTF-8 in strict mode; may be empty).
    pub fn reason(&self) -> Option<&'a [u8]> {
        match self.framed.start {
            StartLine::Response { reason, .. } => Some(reason.of(self.buf)),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase as text, if it is UTF-8.
    pub fn reason_str(&self) -> Option<&'a str> {
        self.reason().and_then(utf8)
    }

    // --- framing ----------------------------------------------------------------------

    /// All header lines in order, unknown ones included.
    pub fn headers(&self) -> Headers<'a> {
        Headers {
            buf: self.buf,
            slots: self.slots,
        }
    }

    /// The body (Content-Length bytes, or the rest of a datagram without Content-Length).
    pub fn body(&self) -> &'a [u8] {
        self.framed.body.of(self.buf)
    }

    /// Bytes of the input this message used: leading CRLFs, the message, and in datagram
    /// framing any trailing bytes that were discarded.
    pub fn consumed(&self) -> usize {
        self.framed.consumed
    }

    /// The message exactly as received, from the start line to the end of the body.
    /// Writing these bytes back reproduces the message byte for byte.
    pub fn wire_bytes(&self) -> &'a [u8] {
        self.framed.wire.of(self.buf)
    }

    /// Offset of the start line in the input (after leading CRLFs).
    pub fn wire_offset(&self) -> usize {
        self.framed.wire.start as usize
    }

    // --- typed access -----------------------------------------------------------------

    /// The single value of a header that must not repeat.
    fn single(&self, name: KnownHeader) -> Result<Option<(&'a [u8], usize)>, ParseError> {
        let mut values = self.headers().values(name);
        let first = values.next();
        if let Some((_, off)) = values.next() {
            return Err(ParseError::new(ErrorKind::DuplicateHeader, off).in_header(Some(name)));
        }
        Ok(first)
    }

    fn required(&self, name: KnownHeader) -> Result<(&'a [u8], usize), ParseError> {
        self.single(name)?.ok_or_else(|| {
            ParseError::new(ErrorKind::MissingHeader, self.framed.body.start as usize)
                .in_header(Some(name))
        })
    }

    fn each<T: 'a>(
        &self,
        name: KnownHeader,
        f: impl Fn(&'a [u8], usize) -> Result<T, ParseError> + 'a,
    ) -> impl Iterator<Item = Result<T, ParseError>> + 'a {
        self.headers()
            .values(name)
            .map(move |(v, off)| f(v, off).map_err(|e| e.in_header(Some(name))))
    }

    fn optional<T>(
        &self,
        name: KnownHeader,
        f: impl FnOnce(&'a [u8], usize) -> Result<T, ParseError>,
    ) -> Result<Option<T>, ParseError> {
        match self.single(name)? {
            Some((v, off)) => f(v, off).map(Some).map_err(|e| e.in_header(Some(name))),
            None => Ok(None),
        }
    }

    /// Every Via value in order (all Via lines, comma-separated values split).
    pub fn via(&self) -> impl Iterator<Item = Result<Via<'a>, ParseError>> + 'a {
        self.each(KnownHeader::Via, |v, off| Via::parse_at(v, off, false))
    }

    /// The topmost Via value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingHeader`] if there is none, or the parse error of the value.
    pub fn top_via(&self) -> Result<Via<'a>, ParseError> {
        self.via().next().unwrap_or_else(|| {
            Err(
                ParseError::new(ErrorKind::MissingHeader, self.framed.body.start as usize)
                    .in_header(Some(KnownHeader::Via)),
            )
        })
    }

    /// The From address.
    ///
    /// # Errors
    ///
    /// Missing, duplicate or malformed From.
    pub fn from(&self) -> Result<NameAddr<'a>, ParseError> {
        let (v, off) = self.required(KnownHeader::From)?;
        NameAddr::parse_at(v, off, false).map_err(|e| e.in_header(Some(KnownHeader::From)))
    }

    /// The To address.
    ///
    /// # Errors
    ///
    /// Missing, duplicate or malformed To.
    pub fn to(&self) -> Result<NameAddr<'a>, ParseError> {
        let (v, off) = self.required(KnownHeader::To)?;
        NameAddr::parse_at(v, off, false).map_err(|e| e.in_header(Some(KnownHeader::To)))
    }

    /// The Call-ID.
    ///
    /// # Errors
    ///
    /// Missing, duplicate or malformed Call-ID.
    pub fn call_id(&self) -> Result<&'a str, ParseError> {
        let (v, off) = self.required(KnownHeader::CallId)?;
        typed::parse_call_id(v, off).map_err(|e| e.in_header(Some(KnownHeader::CallId)))
    }

    /// The CSeq.
    ///
    /// # Errors
    ///
    /// Missing, duplicate or malformed CSeq.
    pub fn cseq(&self) -> Result<CSeq<'a>, ParseError> {
        let (v, off) = self.required(KnownHeader::CSeq)?;
        CSeq::parse_at(v, off).map_err(|e| e.in_header(Some(KnownHeader::CSeq)))
    }

    /// Every Contact value in order.
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'a>, ParseError>> + 'a {
        self.each(KnownHeader::Contact, |v, off| {
            typed::parse_contact(v, off, false)
        })
    }

    fn name_addrs(
        &self,
        name: KnownHeader,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 'a {
        self.each(name, |v, off| NameAddr::parse_at(v, off, false))
    }

    /// Every Route value in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 'a {
        self.name_addrs(KnownHeader::Route)
    }

    /// Every Record-Route value in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 'a {
        self.name_addrs(KnownHeader::RecordRoute)
    }

    /// Every P-Asserted-Identity value (RFC 3325) in order.
    pub fn p_asserted_identities(
        &self,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 'a {
        self.name_addrs(KnownHeader::PAssertedIdentity)
    }

    /// Every P-Preferred-Identity value (RFC 3325) in order.
    pub fn p_preferred_identities(
        &self,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 'a {
        self.name_addrs(KnownHeader::PPreferredIdentity)
    }

    /// Max-Forwards (0-255).
    ///
    /// # Errors
    ///
    /// Duplicate, malformed or above 255.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.optional(KnownHeader::MaxForwards, |v, off| {
            typed::parse_number(v, off, 255).map(|n| n as u8)
        })
    }

    /// Content-Length.
    ///
    /// # Errors
    ///
    /// Duplicate (conflicting values were already an error in stream framing) or malformed.
    pub fn content_length(&self) -> Result<Option<u32>, ParseError> {
        self.optional(KnownHeader::ContentLength, |v, off| {
            typed::parse_number(v, off, u64::from(u32::MAX)).map(|n| n as u32)
        })
    }

    /// Content-Type.
    ///
    /// # Errors
    ///
    /// Duplicate or malformed.
    pub fn content_type(&self) -> Result<Option<MediaType<'a>>, ParseError> {
        self.optional(KnownHeader::ContentType, MediaType::parse_at)
    }

    /// Expires, in seconds (at most 2^32-1).
    ///
    /// # Errors
    ///
    /// Duplicate, malformed or out of range.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.optional(KnownHeader::Expires, |v, off| {
            typed::parse_number(v, off, u64::from(u32::MAX)).map(|n| n as u32)
        })
    }

    /// Date.
    ///
    /// # Errors
    ///
    /// Duplicate, or not an RFC 1123 date in GMT.
    pub fn date(&self) -> Result<Option<Date>, ParseError> {
        self.optional(KnownHeader::Date, Date::parse_at)
    }

    /// Event (RFC 6665).
    ///
    /// # Errors
    ///
    /// Duplicate or malformed.
    pub fn event(&self) -> Result<Option<Event<'a>>, ParseError> {
        self.optional(KnownHeader::Event, Event::parse_at)
    }

    fn text_header(&self, name: KnownHeader) -> Result<Option<&'a str>, ParseError> {
        self.optional(name, |v, off| {
            utf8(v).ok_or_else(|| ParseError::new(ErrorKind::InvalidUtf8, off))
        })
    }

    /// User-Agent, raw text.
    ///
    /// # Errors
    ///
    /// Duplicate or not UTF-8.
    pub fn user_agent(&self) -> Result<Option<&'a str>, ParseError> {
        self.text_header(KnownHeader::UserAgent)
    }

    /// Server, raw text.
    ///
    /// # Errors
    ///
    /// Duplicate or not UTF-8.
    pub fn server(&self) -> Result<Option<&'a str>, ParseError> {
        self.text_header(KnownHeader::Server)
    }

    /// Every method in Allow.
    pub fn allow(&self) -> impl Iterator<Item = Result<Method<'a>, ParseError>> + 'a {
        self.each(KnownHeader::Allow, |v, off| {
            typed::parse_token(v, off).map(Method::from_token)
        })
    }

    /// Every option tag in Supported.
    pub fn supported(&self) -> impl Iterator<Item = Result<&'a str, ParseError>> + 'a {
        self.each(KnownHeader::Supported, typed::parse_token)
    }

    /// Every option tag in Require.
    pub fn require(&self) -> impl Iterator<Item = Result<&'a str, ParseError>> + 'a {
        self.each(KnownHeader::Require, typed::parse_token)
    }

    /// Every option tag in Proxy-Require.
    pub fn proxy_require(&self) -> impl Iterator<Item = Result<&'a str, ParseError>> + 'a {
        self.each(KnownHeader::ProxyRequire, typed::parse_token)
    }

    fn auth_lines(
        &self,
        name: KnownHeader,
    ) -> impl Iterator<Item = Result<Authentication<'a>, ParseError>> + 'a {
        self.headers().of(name).flat_map(move |h| {
            Challenges::new(h.value(), h.value_offset())
                .map(move |r| r.map_err(|e| e.in_header(Some(name))))
        })
    }

    /// Every challenge in every WWW-Authenticate line (several schemes may be offered, in
    /// several lines or in one).
    pub fn www_authenticate(
        &self,
    ) -> impl Iterator<Item = Result<Authentication<'a>, ParseError>> + 'a {
        self.auth_lines(KnownHeader::WwwAuthenticate)
    }

    /// Every challenge in every Proxy-Authenticate line.
    pub fn proxy_authenticate(
        &self,
    ) -> impl Iterator<Item = Result<Authentication<'a>, ParseError>> + 'a {
        self.auth_lines(KnownHeader::ProxyAuthenticate)
    }

    /// Every Authorization value.
    pub fn authorization(
        &self,
    ) -> impl Iterator<Item = Result<Authentication<'a>, ParseError>> + 'a {
        self.auth_lines(KnownHeader::Authorization)
    }

    /// Every Proxy-Authorization value.
    pub fn proxy_authorization(
        &self,
    ) -> impl Iterator<Item = Result<Authentication<'a>, ParseError>> + 'a {
        self.auth_lines(KnownHeader::ProxyAuthorization)
    }

    fn auth_info(&self, name: KnownHeader) -> Result<Option<AuthenticationInfo<'a>>, ParseError> {
        let mut lines = self.headers().of(name);
        let Some(h) = lines.next() else {
            return Ok(None);
        };
        if let Some(dup) = lines.next() {
            return Err(
                ParseError::new(ErrorKind::DuplicateHeader, dup.value_offset())
                    .in_header(Some(name)),
            );
        }
        AuthenticationInfo::parse_at(h.value(), h.value_offset())
            .map(Some)
            .map_err(|e| e.in_header(Some(name)))
    }

    /// Authentication-Info (RFC 3261 form or Microsoft's scheme-first form).
    ///
    /// # Errors
    ///
    /// Duplicate or malformed.
    pub fn authentication_info(&self) -> Result<Option<AuthenticationInfo<'a>>, ParseError> {
        self.auth_info(KnownHeader::AuthenticationInfo)
    }

    /// Proxy-Authentication-Info (Microsoft).
    ///
    /// # Errors
    ///
    /// Duplicate or malformed.
    pub fn proxy_authentication_info(&self) -> Result<Option<AuthenticationInfo<'a>>, ParseError> {
        self.auth_info(KnownHeader::ProxyAuthenticationInfo)
    }

    // --- serialization ----------------------------------------------------------------

    /// Writes the message in canonical form: one SP between start-line elements, known
    /// headers under their full canonical names (compact forms expanded), unknown names as
    /// received, values with folds replaced by one space, CRLF line endings, then the
    /// body. Header order, values and the body are unchanged, so parsing the output gives
    /// a message equal (`==`) to this one.
    pub fn write_canonical<B: BufMut>(&self, out: &mut B) {
        match self.framed.start {
            StartLine::Request { method, uri, .. } => {
                out.put_slice(method.of(self.buf));
                out.put_u8(b' ');
                out.put_slice(uri.of(self.buf));
                out.put_slice(b" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason, .. } => {
                out.put_slice(b"SIP/2.0 ");
                let digits = [
                    b'0' + (code / 100) as u8,
                    b'0' + (code / 10 % 10) as u8,
                    b'0' + (code % 10) as u8,
                ];
                out.put_slice(&digits);
                out.put_u8(b' ');
                out.put_slice(reason.of(self.buf));
                out.put_slice(b"\r\n");
            }
        }
        for h in self.headers() {
            match h.known() {
                Some(k) => out.put_slice(k.as_str().as_bytes()),
                None => out.put_slice(h.name().as_bytes()),
            }
            out.put_slice(b": ");
            for chunk in h.value_unfolded() {
                out.put_slice(chunk);
            }
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        out.put_slice(self.body());
    }

    /// [`Message::write_canonical`] into a new buffer.
    pub fn to_canonical_bytes(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(self.wire_bytes().len() + 64);
        self.write_canonical(&mut out);
        out
    }
}

/// Semantic equality: same start line, same headers in the same order (names compared
/// case-insensitively with compact forms resolved, values compared with folds unfolded),
/// same body. Two messages that differ only in line folding, header-name spelling or
/// start-line spacing are equal, so `parse(canonical(m)) == m`.
impl PartialEq for Message<'_> {
    fn eq(&self, other: &Self) -> bool {
        let start_eq = match (self.framed.start, other.framed.start) {
            (
                StartLine::Request {
                    method: m1,
                    uri: u1,
                    version: v1,
                },
                StartLine::Request {
                    method: m2,
                    uri: u2,
                    version: v2,
                },
            ) => {
                m1.of(self.buf) == m2.of(other.buf)
                    && u1.of(self.buf) == u2.of(other.buf)
                    && v1.of(self.buf).eq_ignore_ascii_case(v2.of(other.buf))
            }
            (
                StartLine::Response {
                    code: c1,
                    reason: r1,
                    ..
                },
                StartLine::Response {
                    code: c2,
                    reason: r2,
                    ..
                },
            ) => c1 == c2 && r1.of(self.buf) == r2.of(other.buf),
            _ => false,
        };
        start_eq
            && self.body() == other.body()
            && self.slots.len() == other.slots.len()
            && self
                .headers()
                .iter()
                .zip(other.headers().iter())
                .all(|(a, b)| {
                    let names = match (a.known(), b.known()) {
                        (Some(x), Some(y)) => x == y,
                        (None, None) => a.name().eq_ignore_ascii_case(b.name()),
                        _ => false,
                    };
                    names && a.value_unfolded().eq_bytes(b.value_unfolded())
                })
    }
}

impl Eq for Message<'_> {}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Message");
        match self.kind() {
            Kind::Request => d
                .field("method", &self.method())
                .field("uri", &self.request_uri()),
            Kind::Response => d
                .field("status", &self.status())
                .field("reason", &self.reason().map(String::from_utf8_lossy)),
        };
        d.field("headers", &self.headers())
            .field("body_len", &self.body().len())
            .finish()
    }
}
