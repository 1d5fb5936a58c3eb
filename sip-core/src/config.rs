//! Parser configuration: strictness, framing and limits.

/// How strictly the message syntax is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// RFC 3261 / RFC 4475: CRLF line endings, exactly one SP between start-line elements,
    /// and the core headers (Request-URI, Via, From, To, Contact, Route, Record-Route,
    /// Call-ID, CSeq and its method, Max-Forwards, Expires, Content-Length, Date) validated
    /// while parsing, so every message RFC 4475 lists as invalid is rejected.
    #[default]
    Strict,
    /// What real deployments send. Relative to [`Mode::Strict`] it:
    ///
    /// - accepts a bare LF as a line ending;
    /// - accepts runs of SP/HT between start-line elements and trailing white space;
    /// - in datagram framing, accepts a header section ended by the end of the datagram
    ///   (no empty line) and a last line without a line ending;
    /// - in stream framing, treats a missing Content-Length as zero;
    /// - does not validate header values while parsing (typed accessors still report
    ///   malformed values when asked) and accepts IPv6 references such as
    ///   `2001:db8:::192.0.2.1` (RFC 5118 §4.10).
    ///
    /// It never relaxes limits, header-name syntax, the SIP version, the status code or
    /// Content-Length syntax.
    Lenient,
}

/// How the end of a message is found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// TCP/TLS: the body length comes from Content-Length (RFC 3261 §18.3); bytes after the
    /// body belong to the next message and are not consumed. Incomplete input gives
    /// [`Status::Partial`](crate::Status::Partial).
    #[default]
    Stream,
    /// UDP: the buffer is one whole datagram. The body is Content-Length bytes if the header
    /// is present (trailing octets are discarded, RFC 4475 §3.1.1.8), otherwise the rest of
    /// the datagram. Never returns `Partial`.
    Datagram,
}

/// Hard limits that bound the work and memory a peer can cause. Exceeding one is an error,
/// never unbounded buffering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest start line, without its CRLF. Default 8 KiB.
    pub max_start_line: usize,
    /// Longest header line including its folded continuation lines. Default 64 KiB, so
    /// TLS-DSK `gssapi-data` carrying a certificate chain fits.
    pub max_header_line: usize,
    /// Most header lines. Default 256.
    pub max_headers: usize,
    /// Largest header section (start line through the empty line). Default 256 KiB.
    pub max_header_section: usize,
    /// Largest body. Default 4 MiB.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_start_line: 8 * 1024,
            max_header_line: 64 * 1024,
            max_headers: 256,
            max_header_section: 256 * 1024,
            max_body: 4 * 1024 * 1024,
        }
    }
}

/// Everything that controls a parse. `ParserConfig::default()` is strict stream parsing
/// with the default [`Limits`].
///
/// ```
/// use sip_core::{Framing, Mode, ParserConfig};
/// let cfg = ParserConfig::default().mode(Mode::Lenient).framing(Framing::Datagram);
/// assert_eq!(cfg.get_mode(), Mode::Lenient);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParserConfig {
    pub(crate) mode: Mode,
    pub(crate) framing: Framing,
    pub(crate) limits: Limits,
}

impl ParserConfig {
    /// Strict stream parsing with default limits.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the strictness.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
    /// Sets the framing.
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }
    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// The strictness.
    pub fn get_mode(&self) -> Mode {
        self.mode
    }
    /// The framing.
    pub fn get_framing(&self) -> Framing {
        self.framing
    }
    /// The limits.
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }
    pub(crate) fn strict(&self) -> bool {
        self.mode == Mode::Strict
    }
}
