//! The one error type of this crate.

use std::fmt;

use crate::KnownHeader;

/// Why a message, a header value or a URI could not be parsed.
///
/// The error carries the [`ErrorKind`], the byte offset where the problem was found and,
/// for errors inside a header value, which header it was. It is `Copy` and allocation-free.
///
/// Offsets are counted from the start of the buffer given to [`parse`](crate::parse) (or the
/// slice given to a standalone value parser such as [`Via::parse`](crate::Via::parse)).
/// Lazily parsed header values report offsets in the message buffer as well.
///
/// # What to do
///
/// A server answering a request it cannot parse should reply with
/// [`ParseError::suggested_status`] (400, 413, 505, ...) when it can still find the Via,
/// From, To, Call-ID and CSeq needed for a response, and otherwise drop the message. A
/// response that cannot be parsed is discarded (RFC 3261 §16.7 / RFC 4475 §3.1.2).
/// On a stream transport any error means the framing is lost: close the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    kind: ErrorKind,
    offset: usize,
    header: Option<KnownHeader>,
}

impl ParseError {
    pub(crate) const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            header: None,
        }
    }

    pub(crate) const fn in_header(mut self, header: Option<KnownHeader>) -> Self {
        if self.header.is_none() {
            self.header = header;
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset of the problem in the parsed input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The header whose value was invalid, for errors found inside a known header.
    pub fn header(&self) -> Option<KnownHeader> {
        self.header
    }

    /// The status code a server should answer a request that failed this way with.
    ///
    /// `505` for an unsupported SIP version, `413` for an oversized message, `414` for an
    /// oversized Request-URI, `400` for everything else.
    pub fn suggested_status(&self) -> u16 {
        match self.kind {
            ErrorKind::UnsupportedVersion => 505,
            ErrorKind::BodyTooLarge | ErrorKind::HeaderSectionTooLarge => 413,
            ErrorKind::StartLineTooLong => 414,
            _ => 400,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.header {
            Some(h) => write!(f, "{} in {} at byte {}", self.kind, h.as_str(), self.offset),
            None => write!(f, "{} at byte {}", self.kind, self.offset),
        }
    }
}

impl std::error::Error for ParseError {}

macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $name:ident => $msg:literal, $id:literal; )*) => {
        /// The specific reason a parse failed. New kinds may be added in minor releases.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorKind {
            /// A short lowercase description, the same text as `Display`.
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$name => $msg, )* }
            }

            /// A stable `snake_case` identifier, for logs and machine-readable output.
            pub fn id(self) -> &'static str {
                match self { $( Self::$name => $id, )* }
            }
        }
    };
}

error_kinds! {
    // Limits.
    /// The start line is longer than [`Limits::max_start_line`](crate::Limits). Answer 414
    /// (or raise the limit if the peer is trusted).
    StartLineTooLong => "start line too long", "start_line_too_long";
    /// A header line (including its folded continuation lines) is longer than
    /// [`Limits::max_header_line`](crate::Limits). Raise the limit for peers that send
    /// large `gssapi-data` or certificates in headers.
    HeaderLineTooLong => "header line too long", "header_line_too_long";
    /// More header lines than [`Limits::max_headers`](crate::Limits) or than the header slots
    /// the caller passed in. Pass more slots or raise the limit.
    TooManyHeaders => "too many headers", "too_many_headers";
    /// The header section is larger than [`Limits::max_header_section`](crate::Limits).
    HeaderSectionTooLarge => "header section too large", "header_section_too_large";
    /// Content-Length exceeds [`Limits::max_body`](crate::Limits). Answer 413.
    BodyTooLarge => "body too large", "body_too_large";
    /// The message does not fit the `u32` offsets this crate stores (over 4 GiB).
    MessageTooLarge => "message too large", "message_too_large";

    // Line structure.
    /// The input is empty or holds only line breaks.
    Empty => "empty message", "empty";
    /// A line ends in a bare LF where CRLF is required (strict mode only).
    BareLf => "line ends in bare lf", "bare_lf";
    /// A CR that is not followed by LF.
    BareCr => "bare cr", "bare_cr";
    /// A byte that may not appear at this place of the message, such as a control character
    /// in a header name or start line.
    InvalidByte => "invalid byte", "invalid_byte";
    /// The header section ends without the empty line that separates it from the body
    /// (datagram mode, strict only: lenient mode accepts it).
    MissingEmptyLine => "header section not terminated by an empty line", "missing_empty_line";
    /// The message was required to be complete (owned parse, datagram) but more bytes
    /// are needed.
    Incomplete => "incomplete message", "incomplete";

    // Start line.
    /// The start line is neither a Request-Line nor a Status-Line.
    InvalidStartLine => "invalid start line", "invalid_start_line";
    /// Start-line elements are not separated by exactly one SP, or the line has leading or
    /// trailing white space (RFC 4475 §3.1.2.9, §3.1.2.10). Lenient mode accepts this.
    StartLineWhitespace => "extra whitespace in start line", "start_line_whitespace";
    /// The method is not a token.
    InvalidMethod => "invalid method", "invalid_method";
    /// The Request-URI is not a valid URI (RFC 4475 §3.1.2.7, §3.1.2.8, §3.1.2.11).
    InvalidRequestUri => "invalid request-uri", "invalid_request_uri";
    /// The SIP-Version is not of the form `SIP/1*DIGIT.1*DIGIT`.
    InvalidVersion => "invalid sip version", "invalid_version";
    /// The SIP-Version is well formed but not `SIP/2.0`. Answer 505.
    UnsupportedVersion => "unsupported sip version", "unsupported_version";
    /// The status code is not three digits between 100 and 699 (RFC 4475 §3.1.2.19).
    InvalidStatusCode => "invalid status code", "invalid_status_code";
    /// The reason phrase holds control characters or (strict mode) is not UTF-8.
    InvalidReasonPhrase => "invalid reason phrase", "invalid_reason_phrase";

    // Header lines.
    /// A header name is empty or not a token.
    InvalidHeaderName => "invalid header name", "invalid_header_name";
    /// A header line has no colon after the name.
    MissingColon => "missing colon after header name", "missing_colon";
    /// A continuation line (starting with white space) appears before the first header.
    UnexpectedContinuation => "continuation line without a header", "unexpected_continuation";

    // Framing.
    /// Stream mode needs a Content-Length header to find the end of the body
    /// (RFC 3261 §18.3). Lenient mode treats a missing one as zero.
    MissingContentLength => "missing content-length", "missing_content_length";
    /// Content-Length is not a non-negative decimal number (RFC 4475 §3.1.2.3).
    InvalidContentLength => "invalid content-length", "invalid_content_length";
    /// Several Content-Length headers disagree, so the stream framing is ambiguous
    /// (RFC 4475 §3.3.9). In datagram mode the message still parses and the body is the
    /// rest of the datagram.
    ConflictingContentLength => "conflicting content-length values", "conflicting_content_length";
    /// The datagram holds fewer body bytes than Content-Length announces
    /// (RFC 4475 §3.1.2.2).
    BodyShorterThanContentLength => "body shorter than content-length", "body_shorter_than_content_length";

    // Header values (strict validation and typed access).
    /// A quoted string is not closed (RFC 4475 §3.1.2.6).
    UnterminatedQuotedString => "unterminated quoted string", "unterminated_quoted_string";
    /// A display name is neither a quoted string nor a sequence of tokens (RFC 4475 §3.1.2.15).
    InvalidDisplayName => "invalid display name", "invalid_display_name";
    /// A name-addr or addr-spec is malformed: unbalanced `<>`, white space inside the
    /// URI (RFC 4475 §3.1.2.14), or an unbracketed URI holding `,` `;` or `?`
    /// (RFC 4475 §3.1.2.13).
    InvalidNameAddr => "invalid name-addr", "invalid_name_addr";
    /// A URI is malformed: bad scheme, host, port, escape or character.
    InvalidUri => "invalid uri", "invalid_uri";
    /// An IPv6 reference is malformed (RFC 5118 §4.10: strict mode rejects `:::`).
    InvalidIpv6 => "invalid ipv6 reference", "invalid_ipv6";
    /// A port is not a number between 0 and 65535.
    InvalidPort => "invalid port", "invalid_port";
    /// A header or URI parameter is malformed (for example empty, as in `;;`).
    InvalidParam => "invalid parameter", "invalid_param";
    /// A Via value is malformed.
    InvalidVia => "invalid via", "invalid_via";
    /// A CSeq value is not `number SP method`.
    InvalidCSeq => "invalid cseq", "invalid_cseq";
    /// The CSeq method differs from the request method (RFC 4475 §3.1.2.17, §3.1.2.18).
    CSeqMethodMismatch => "cseq method does not match request method", "cseq_method_mismatch";
    /// A Call-ID is empty or holds characters outside `word ["@" word]`.
    InvalidCallId => "invalid call-id", "invalid_call_id";
    /// A number is malformed.
    InvalidNumber => "invalid number", "invalid_number";
    /// A number is larger than its field allows (RFC 4475 §3.1.2.4, §3.1.2.5).
    NumberOutOfRange => "number out of range", "number_out_of_range";
    /// A Date value is not an RFC 1123 date in GMT (RFC 4475 §3.1.2.12).
    InvalidDate => "invalid date", "invalid_date";
    /// An authentication header (challenge, credentials, Authentication-Info) is malformed.
    InvalidAuth => "invalid authentication header", "invalid_auth";
    /// A media type is not `type/subtype *(;param)`.
    InvalidMediaType => "invalid media type", "invalid_media_type";
    /// A value that must be a token is not.
    InvalidToken => "invalid token", "invalid_token";
    /// A value is not valid UTF-8 where text was asked for.
    InvalidUtf8 => "invalid utf-8", "invalid_utf8";
    /// A list holds an empty element (`a,,b`) where the grammar forbids it.
    EmptyListElement => "empty list element", "empty_list_element";
    /// The header was asked for but is not in the message.
    MissingHeader => "header missing", "missing_header";
    /// A header that may appear only once (CSeq, Call-ID, From, To, ...) appears more than
    /// once (RFC 4475 §3.3.8). Answer 400.
    DuplicateHeader => "header appears more than once", "duplicate_header";
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shorthand used by the value parsers.
pub(crate) fn err<T>(kind: ErrorKind, offset: usize) -> Result<T, ParseError> {
    Err(ParseError::new(kind, offset))
}
