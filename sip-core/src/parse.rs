//! The borrowed message parser: start line, header lines, framing.

use crate::chars::{self, is_token};
use crate::config::{Framing, ParserConfig};
use crate::error::{ErrorKind, ParseError, err};
use crate::header::{HeaderSlot, KnownHeader};
use crate::message::Message;

/// The result of a parse that may need more input.
///
/// `Partial` is not an error: on a stream, read more bytes and parse again from the start
/// of the message. It only occurs with [`Framing::Stream`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole message was parsed.
    Complete(T),
    /// More bytes are needed.
    Partial,
}

impl<T> Status<T> {
    /// True for `Complete`.
    pub fn is_complete(&self) -> bool {
        matches!(self, Self::Complete(_))
    }
    /// True for `Partial`.
    pub fn is_partial(&self) -> bool {
        matches!(self, Self::Partial)
    }
    /// The complete value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete(t) => Some(t),
            Self::Partial => None,
        }
    }
    /// Maps the complete value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Self::Complete(t) => Status::Complete(f(t)),
            Self::Partial => Status::Partial,
        }
    }
}

/// A byte range of the message buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }
    pub(crate) fn of(self, buf: &[u8]) -> &[u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }
}

/// Where the start-line elements are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartLine {
    Request {
        method: Span,
        uri: Span,
        version: Span,
    },
    Response {
        version: Span,
        code: u16,
        reason: Span,
    },
}

/// What [`frame`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameStatus {
    Complete(Framed),
    /// The header section is incomplete.
    NeedHeaders,
    /// The header section is complete; the message ends at this offset.
    NeedBody(usize),
}

/// Everything but the headers, which went to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Framed {
    pub(crate) start: StartLine,
    pub(crate) wire: Span,
    pub(crate) body: Span,
    pub(crate) consumed: usize,
}

/// Where header slots go while parsing.
pub(crate) trait Sink {
    /// Stores a slot; false when there is no room.
    fn add(&mut self, slot: HeaderSlot) -> bool;
    fn last_mut(&mut self) -> Option<&mut HeaderSlot>;
    fn slots(&self) -> &[HeaderSlot];
}

/// The caller's slot array.
pub(crate) struct SliceSink<'h> {
    pub(crate) slots: &'h mut [HeaderSlot],
    pub(crate) len: usize,
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn add(&mut self, slot: HeaderSlot) -> bool {
        match self.slots.get_mut(self.len) {
            Some(s) => {
                *s = slot;
                self.len += 1;
                true
            }
            None => false,
        }
    }
    #[inline]
    fn last_mut(&mut self) -> Option<&mut HeaderSlot> {
        let i = self.len.checked_sub(1)?;
        self.slots.get_mut(i)
    }
    fn slots(&self) -> &[HeaderSlot] {
        &self.slots[..self.len]
    }
}

impl Sink for Vec<HeaderSlot> {
    fn add(&mut self, slot: HeaderSlot) -> bool {
        self.push(slot);
        true
    }
    fn last_mut(&mut self) -> Option<&mut HeaderSlot> {
        <[HeaderSlot]>::last_mut(self)
    }
    fn slots(&self) -> &[HeaderSlot] {
        self
    }
}

/// Parses one message from `buf` with the default configuration (strict, stream framing),
/// storing header positions in `slots`.
///
/// Returns `Status::Partial` if `buf` ends before the message does; read more and call
/// again with the longer buffer. [`Message::consumed`] says how many bytes the message
/// used (leading CRLFs included), so the next message starts there.
///
/// # Errors
///
/// A [`ParseError`] naming the problem and its byte offset. See [`ParseError`] for what to
/// do; on a stream the connection cannot be resynchronised after an error.
///
/// # Example
///
/// ```
/// use sip_core::{parse, Status, EMPTY_HEADER, Method};
/// let buf = b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
///             Call-ID: a1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
///             Content-Length: 0\r\n\r\n";
/// let mut slots = [EMPTY_HEADER; 16];
/// let Status::Complete(msg) = parse(buf, &mut slots)? else { unreachable!() };
/// assert_eq!(msg.method(), Some(Method::Options));
/// assert_eq!(msg.consumed(), buf.len());
/// # Ok::<(), sip_core::ParseError>(())
/// ```
pub fn parse<'a>(
    buf: &'a [u8],
    slots: &'a mut [HeaderSlot],
) -> Result<Status<Message<'a>>, ParseError> {
    parse_with(buf, slots, &ParserConfig::default())
}

/// [`parse`] with an explicit configuration (strictness, framing, limits).
///
/// # Errors
///
/// As [`parse`]; [`ErrorKind::TooManyHeaders`] also when `slots` is full.
pub fn parse_with<'a>(
    buf: &'a [u8],
    slots: &'a mut [HeaderSlot],
    config: &ParserConfig,
) -> Result<Status<Message<'a>>, ParseError> {
    let mut sink = SliceSink { slots, len: 0 };
    let framed = match frame(buf, config, &mut sink)? {
        FrameStatus::Complete(f) => f,
        FrameStatus::NeedHeaders | FrameStatus::NeedBody(_) => return Ok(Status::Partial),
    };
    let len = sink.len;
    let slots: &'a [HeaderSlot] = sink.slots;
    let msg = Message::from_parts(buf, framed, &slots[..len]);
    if config.strict() {
        crate::check::validate(&msg)?;
    }
    Ok(Status::Complete(msg))
}

enum Line {
    /// `content_end` is where the line's text ends, `next` where the next line starts.
    Found {
        content_end: usize,
        next: usize,
    },
    NeedMore,
}

#[inline(always)]
fn next_line(
    buf: &[u8],
    pos: usize,
    max: usize,
    strict: bool,
    too_long: ErrorKind,
) -> Result<Line, ParseError> {
    let window_end = buf.len().min(pos.saturating_add(max).saturating_add(2));
    let Some(window) = buf.get(pos..window_end) else {
        return Ok(Line::NeedMore);
    };
    let Some(i) = chars::find_eol(window) else {
        return if window_end < buf.len() || window.len() > max {
            err(too_long, pos)
        } else {
            Ok(Line::NeedMore)
        };
    };
    let at = pos + i;
    if i > max {
        return err(too_long, pos);
    }
    if buf[at] == b'\n' {
        return if strict {
            err(ErrorKind::BareLf, at)
        } else {
            Ok(Line::Found {
                content_end: at,
                next: at + 1,
            })
        };
    }
    match buf.get(at + 1) {
        Some(b'\n') => Ok(Line::Found {
            content_end: at,
            next: at + 2,
        }),
        Some(_) => err(ErrorKind::BareCr, at),
        None => Ok(Line::NeedMore),
    }
}

/// Finds the message boundaries and fills the sink; does not validate header values.
pub(crate) fn frame<S: Sink>(
    buf: &[u8],
    cfg: &ParserConfig,
    sink: &mut S,
) -> Result<FrameStatus, ParseError> {
    frame_with::<S, true>(buf, cfg, sink)
}

/// [`frame`]; `PLAIN` is false only in the tests that check [`plain_line`] against the
/// general header-line parse.
pub(crate) fn frame_with<S: Sink, const PLAIN: bool>(
    buf: &[u8],
    cfg: &ParserConfig,
    sink: &mut S,
) -> Result<FrameStatus, ParseError> {
    let strict = cfg.strict();
    let datagram = cfg.framing == Framing::Datagram;
    let limits = &cfg.limits;
    // Offsets are stored as u32, so the header section must stay below 4 GiB.
    let max_section = limits.max_header_section.min(u32::MAX as usize - 1);
    // Lenient datagram: a CR that ends the datagram ends the last line (a cut CRLF); it is
    // not part of the line (fuzz-regressions/round_trip-lenient-datagram-trailing-cr.bin).
    let eof_line_end = buf.len() - usize::from(buf.last() == Some(&b'\r'));

    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    let mut pos = 0;
    loop {
        match buf.get(pos..pos + 2) {
            Some(b"\r\n") => pos += 2,
            _ if !strict && buf.get(pos) == Some(&b'\n') => pos += 1,
            _ => break,
        }
        if pos > max_section {
            return err(ErrorKind::HeaderSectionTooLarge, pos);
        }
    }
    let wire_start = pos;
    if pos >= buf.len() || (buf.len() - pos == 1 && buf[pos] == b'\r') {
        return if datagram {
            err(ErrorKind::Empty, pos)
        } else {
            Ok(FrameStatus::NeedHeaders)
        };
    }

    // Start line.
    let (content_end, next) = match next_line(
        buf,
        pos,
        limits.max_start_line,
        strict,
        ErrorKind::StartLineTooLong,
    )? {
        Line::Found { content_end, next } => (content_end, next),
        Line::NeedMore if !datagram => return Ok(FrameStatus::NeedHeaders),
        Line::NeedMore if strict => return err(ErrorKind::MissingEmptyLine, buf.len()),
        Line::NeedMore => (eof_line_end, buf.len()),
    };
    let start = parse_start_line(buf, pos, content_end, strict)?;
    pos = next;

    // Header lines.
    let mut count = 0usize;
    let mut current_start = 0usize;
    // A buffer shorter than the limit cannot exceed it: no check per line then.
    let section_fits = buf.len() - wire_start <= max_section;
    let body_start = loop {
        if !section_fits && pos - wire_start > max_section {
            return err(ErrorKind::HeaderSectionTooLarge, pos);
        }
        if PLAIN && let Some((slot, next)) = plain_line(buf, pos, limits.max_header_line) {
            count += 1;
            if count > limits.max_headers {
                return err(ErrorKind::TooManyHeaders, pos);
            }
            if !sink.add(slot) {
                return err(ErrorKind::TooManyHeaders, pos);
            }
            current_start = pos;
            pos = next;
            continue;
        }
        let (content_end, next) = match next_line(
            buf,
            pos,
            limits.max_header_line,
            strict,
            ErrorKind::HeaderLineTooLong,
        )? {
            Line::Found { content_end, next } => (content_end, next),
            Line::NeedMore if !datagram => return Ok(FrameStatus::NeedHeaders),
            Line::NeedMore if strict => return err(ErrorKind::MissingEmptyLine, buf.len()),
            Line::NeedMore if pos >= buf.len() => break buf.len(),
            Line::NeedMore => (eof_line_end, buf.len()),
        };
        if content_end == pos {
            break next;
        }
        let line = &buf[pos..content_end];
        if matches!(line[0], b' ' | b'\t') {
            // A folded continuation of the previous header.
            let Some(last) = sink.last_mut() else {
                return err(ErrorKind::UnexpectedContinuation, pos);
            };
            if content_end - current_start > limits.max_header_line {
                return err(ErrorKind::HeaderLineTooLong, current_start);
            }
            let text_end = content_end - trailing_ws(line);
            if text_end > pos {
                if last.value_start == last.value_end {
                    let lead = line
                        .iter()
                        .take_while(|b| matches!(b, b' ' | b'\t'))
                        .count();
                    last.value_start = (pos + lead) as u32;
                }
                last.value_end = text_end as u32;
            }
        } else {
            let name_len = line.iter().take_while(|&&b| is_token(b)).count();
            if name_len == 0 {
                return err(ErrorKind::InvalidHeaderName, pos);
            }
            let mut i = name_len;
            while matches!(line.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if line.get(i) != Some(&b':') {
                let kind = if i == name_len && i < line.len() {
                    ErrorKind::InvalidHeaderName
                } else {
                    ErrorKind::MissingColon
                };
                return err(kind, pos + i);
            }
            i += 1;
            while matches!(line.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            let value_end = (content_end - trailing_ws(line)).max(pos + i);
            count += 1;
            if count > limits.max_headers {
                return err(ErrorKind::TooManyHeaders, pos);
            }
            let slot = HeaderSlot {
                name_start: pos as u32,
                name_len: name_len as u32,
                value_start: (pos + i) as u32,
                value_end: value_end as u32,
                known: match buf
                    .get(pos..pos + 16)
                    .and_then(|w| <&[u8; 16]>::try_from(w).ok())
                {
                    Some(window) => KnownHeader::lookup(&line[..name_len], window),
                    None => KnownHeader::from_name(&line[..name_len]),
                },
            };
            if !sink.add(slot) {
                return err(ErrorKind::TooManyHeaders, pos);
            }
            current_start = pos;
        }
        pos = next;
    };

    // Body.
    let (content_length, conflict) = content_length(buf, sink.slots())?;
    let rest = buf.len() - body_start;
    let body_len = match (content_length, datagram) {
        (Some(_), false) if conflict => {
            return err(ErrorKind::ConflictingContentLength, body_start);
        }
        (Some(n), _) if n > limits.max_body as u64 => {
            return err(ErrorKind::BodyTooLarge, body_start);
        }
        (Some(n), false) => n as usize,
        (None, false) if strict => return err(ErrorKind::MissingContentLength, body_start),
        (None, false) => 0,
        (Some(n), true) if !conflict => {
            if n as usize > rest {
                return err(ErrorKind::BodyShorterThanContentLength, buf.len());
            }
            n as usize
        }
        // No usable Content-Length in a datagram: the body is the rest of it.
        (_, true) => {
            if rest > limits.max_body {
                return err(ErrorKind::BodyTooLarge, body_start);
            }
            rest
        }
    };
    let end = body_start + body_len;
    if end > buf.len() {
        return Ok(FrameStatus::NeedBody(end));
    }
    if end > u32::MAX as usize {
        return err(ErrorKind::MessageTooLarge, 0);
    }
    Ok(FrameStatus::Complete(Framed {
        start,
        wire: Span::new(wire_start, end),
        body: Span::new(body_start, end),
        consumed: if datagram { buf.len() } else { end },
    }))
}

/// A header line as every sender writes it, `Name: value CRLF` (a token name directly
/// followed by the colon within the first 24 bytes, no bare CR or LF, at most `max`
/// bytes): its slot and the start of the next line, as the general parse would find
/// them. `None` for any other line (folds, white space before the colon, errors ...),
/// which the general parse then reads.
#[inline(always)]
fn plain_line(buf: &[u8], pos: usize, max: usize) -> Option<(HeaderSlot, usize)> {
    let window = buf.get(pos..)?.first_chunk::<24>()?;
    let (head, third) = window.split_first_chunk::<16>()?;
    let word = |w: &[u8]| u64::from_le_bytes(w.first_chunk::<8>().copied().unwrap_or_default());
    let colon = |x: u64| chars::zero_lanes(x ^ chars::lanes(b':'));
    let (a, b) = (word(&head[..8]), word(&head[8..]));
    let (lo, hi) = (colon(a), colon(b));
    let name_len = if lo != 0 {
        (lo.trailing_zeros() / 8) as usize
    } else if hi != 0 {
        8 + (hi.trailing_zeros() / 8) as usize
    } else {
        let c = colon(word(third));
        if c == 0 {
            return None;
        }
        16 + (c.trailing_zeros() / 8) as usize
    };
    let name = buf.get(pos..pos + name_len)?;
    let known = match KnownHeader::lookup(name, head) {
        Some(known) => Some(known),
        None if chars::all_token(name) => None,
        None => return None,
    };
    // The line must not end in the name (`lookup` takes CR for `-`).
    let at = pos + chars::find_eol(buf.get(pos..)?)?;
    if at <= pos + name_len || at - pos > max || buf.get(at..at + 2) != Some(b"\r\n") {
        return None;
    }
    let value_at = pos + name_len + 1;
    let rest = buf.get(value_at..at)?;
    // Most values follow exactly one space and end without white space.
    let lead = match rest {
        [b' ', b, ..] if *b > b' ' => 1,
        _ => rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count(),
    };
    let value = &rest[lead..];
    let trail = match value.last() {
        Some(b' ' | b'\t') => trailing_ws(value),
        _ => 0,
    };
    let value_start = value_at + lead;
    let value_end = at - trail;
    let slot = HeaderSlot {
        name_start: pos as u32,
        name_len: name_len as u32,
        value_start: value_start as u32,
        value_end: value_end as u32,
        known,
    };
    Some((slot, at + 2))
}

fn trailing_ws(line: &[u8]) -> usize {
    line.iter()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// The Content-Length value, and whether several headers disagree.
fn content_length(buf: &[u8], slots: &[HeaderSlot]) -> Result<(Option<u64>, bool), ParseError> {
    let mut found: Option<u64> = None;
    let mut conflict = false;
    for s in slots
        .iter()
        .filter(|s| s.known == Some(KnownHeader::ContentLength))
    {
        let v = chars::trim_lws(buf.get(s.value_range()).unwrap_or(&[]));
        let n = chars::parse_decimal(v, u64::from(u32::MAX)).map_err(|too_big| {
            let kind = if too_big {
                ErrorKind::BodyTooLarge
            } else {
                ErrorKind::InvalidContentLength
            };
            ParseError::new(kind, s.value_start as usize)
                .in_header(Some(KnownHeader::ContentLength))
        })?;
        match found {
            Some(f) if f != n => conflict = true,
            _ => found = Some(n),
        }
    }
    Ok((found, conflict))
}

fn parse_start_line(
    buf: &[u8],
    start: usize,
    end: usize,
    strict: bool,
) -> Result<StartLine, ParseError> {
    let line = &buf[start..end];
    match plain_request_line(line, start).or_else(|| plain_status_line(line, start)) {
        Some(plain) => Ok(plain),
        None => full_start_line(buf, start, end, strict),
    }
}

/// [`parse_start_line`] for every form the plain scanners leave.
fn full_start_line(
    buf: &[u8],
    start: usize,
    end: usize,
    strict: bool,
) -> Result<StartLine, ParseError> {
    let line = &buf[start..end];
    // The line ends at the first CR or LF, so only NUL needs looking for.
    if let Some(at) = memchr::memchr(0, line) {
        return err(ErrorKind::InvalidByte, start + at);
    }
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    if line.first().is_some_and(is_ws) {
        return err(
            if strict {
                ErrorKind::StartLineWhitespace
            } else {
                ErrorKind::InvalidStartLine
            },
            start,
        );
    }
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let v_end = line.iter().position(is_ws).unwrap_or(line.len());
        check_version(buf, start, start + v_end)?;
        let mut i = v_end;
        let ws = line[i..].iter().take_while(|b| is_ws(b)).count();
        if ws == 0 || (strict && (ws != 1 || line[i] != b' ')) {
            return err(
                if ws == 0 {
                    ErrorKind::InvalidStartLine
                } else {
                    ErrorKind::StartLineWhitespace
                },
                start + i,
            );
        }
        i += ws;
        let code_len = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let code_end = i + code_len;
        if code_len != 3 || line.get(code_end).is_some_and(|b| !is_ws(b)) {
            return err(ErrorKind::InvalidStatusCode, start + i);
        }
        let code = (u16::from(line[i] - b'0')) * 100
            + u16::from(line[i + 1] - b'0') * 10
            + u16::from(line[i + 2] - b'0');
        if !(100..=699).contains(&code) {
            return err(ErrorKind::InvalidStatusCode, start + i);
        }
        let mut r = code_end;
        if r < line.len() {
            if strict && line[r] != b' ' {
                return err(ErrorKind::StartLineWhitespace, start + r);
            }
            r += 1;
            if !strict {
                r += line[r..].iter().take_while(|b| is_ws(b)).count();
            }
        } else if strict {
            // RFC 3261 requires the SP before an (even empty) Reason-Phrase.
            return err(ErrorKind::InvalidStartLine, start + r);
        }
        let reason = &line[r..];
        let mut reason_end = line.len();
        if !strict {
            reason_end -= trailing_ws(reason);
        }
        if reason
            .iter()
            .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
            || (strict && std::str::from_utf8(reason).is_err())
        {
            return err(ErrorKind::InvalidReasonPhrase, start + r);
        }
        return Ok(StartLine::Response {
            version: Span::new(start, start + v_end),
            code,
            reason: Span::new(start + r, start + reason_end.max(r)),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let m_len = line.iter().take_while(|&&b| is_token(b)).count();
    if m_len == 0 || line.get(m_len).is_some_and(|b| !is_ws(b)) {
        return err(ErrorKind::InvalidMethod, start + m_len);
    }
    if m_len == line.len() {
        return err(ErrorKind::InvalidStartLine, end);
    }
    let trailing = trailing_ws(line);
    if trailing > 0 && strict {
        return err(ErrorKind::StartLineWhitespace, end - trailing);
    }
    let text = &line[..line.len() - trailing];
    let Some(last_ws) = text.iter().rposition(is_ws) else {
        return err(ErrorKind::InvalidStartLine, end);
    };
    if last_ws <= m_len {
        return err(ErrorKind::InvalidStartLine, start + m_len);
    }
    let mut uri = &text[m_len + 1..last_ws];
    let mut uri_start = m_len + 1;
    if strict {
        if line[m_len] != b' '
            || line[last_ws] != b' '
            || uri.first().is_some_and(is_ws)
            || uri.last().is_some_and(is_ws)
        {
            let at = if line[m_len] != b' ' || uri.first().is_some_and(is_ws) {
                m_len
            } else {
                last_ws
            };
            return err(ErrorKind::StartLineWhitespace, start + at);
        }
        if let Some(bad) = uri.iter().position(is_ws) {
            return err(ErrorKind::InvalidRequestUri, start + uri_start + bad);
        }
    } else {
        let lead = uri.iter().take_while(|b| is_ws(b)).count();
        uri_start += lead;
        uri = &uri[lead..];
        uri = &uri[..uri.len() - trailing_ws(uri)];
    }
    if uri.is_empty() {
        return err(ErrorKind::InvalidRequestUri, start + uri_start);
    }
    check_version(buf, start + last_ws + 1, start + text.len())?;
    Ok(StartLine::Request {
        method: Span::new(start, start + m_len),
        uri: Span::new(start + uri_start, start + uri_start + uri.len()),
        version: Span::new(start + last_ws + 1, start + text.len()),
    })
}

/// The request line every sender writes, `Method SP Request-URI SP SIP/2.0` (single
/// spaces, no NUL), found in one scan of the URI; `None` for anything else, which the full
/// parse then reads (and reports errors for) in either mode.
#[inline]
fn plain_request_line(line: &[u8], start: usize) -> Option<StartLine> {
    let m_len = line.iter().position(|&b| !is_token(b))?;
    if m_len == 0 || line[m_len] != b' ' {
        return None;
    }
    let u = m_len + 1;
    // The URI ends at the first byte below `!`; one that is not a space (tab, NUL, other
    // controls) leaves the line to the full parse.
    let u_len = chars::find_below_bang(&line[u..])?;
    let v = u + u_len;
    if u_len == 0 || line[v] != b' ' || &line[v + 1..] != b"SIP/2.0" {
        return None;
    }
    Some(StartLine::Request {
        method: Span::new(start, start + m_len),
        uri: Span::new(start + u, start + v),
        version: Span::new(start + v + 1, start + line.len()),
    })
}

/// The status line every sender writes, `SIP/2.0 SP 3DIGIT SP Reason-Phrase` with a
/// reason of printable ASCII that neither starts nor ends with a space (so both modes
/// read it alike); `None` for anything else.
#[inline]
fn plain_status_line(line: &[u8], start: usize) -> Option<StartLine> {
    let (Some(b"SIP/2.0 "), Some(&[a, b, c, b' ']), Some(reason)) =
        (line.get(..8), line.get(8..12), line.get(12..))
    else {
        return None;
    };
    if ![a, b, c].iter().all(u8::is_ascii_digit)
        || reason.first() == Some(&b' ')
        || reason.last() == Some(&b' ')
        || !reason.iter().all(|&r| (0x20..0x7f).contains(&r))
    {
        return None;
    }
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    (100..=699).contains(&code).then(|| StartLine::Response {
        version: Span::new(start, start + 7),
        code,
        reason: Span::new(start + 12, start + line.len()),
    })
}

/// `SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT`, and it must be 2.0.
fn check_version(buf: &[u8], start: usize, end: usize) -> Result<(), ParseError> {
    let v = &buf[start..end];
    let well_formed = v.len() > 4 && v[..4].eq_ignore_ascii_case(b"SIP/") && {
        let rest = &v[4..];
        match rest.iter().position(|&b| b == b'.') {
            Some(dot) => {
                dot > 0
                    && dot + 1 < rest.len()
                    && rest[..dot].iter().all(u8::is_ascii_digit)
                    && rest[dot + 1..].iter().all(u8::is_ascii_digit)
            }
            None => false,
        }
    };
    if !well_formed {
        return err(ErrorKind::InvalidVersion, start);
    }
    if &v[4..] != b"2.0" {
        return err(ErrorKind::UnsupportedVersion, start);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain start-line scanners give what the full parse gives, in both modes.
    #[test]
    fn plain_start_lines_agree_with_the_full_parse() {
        let lines: &[&[u8]] = &[
            b"OPTIONS sip:carol@chicago.example.com SIP/2.0",
            b"INVITE sip:b@c;transport=tcp SIP/2.0",
            b"!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
            b"SIP/2.0 200 OK",
            b"SIP/2.0 401 Unauthorized",
            b"SIP/2.0 699 ",
            b"SIP/2.0 100 Trying hard",
            b"SIP/2.0 183 Session Progress",
        ];
        for line in lines {
            let plain = plain_request_line(line, 0).or_else(|| plain_status_line(line, 0));
            assert!(plain.is_some(), "{}", String::from_utf8_lossy(line));
            for strict in [true, false] {
                assert_eq!(
                    plain,
                    full_start_line(line, 0, line.len(), strict).ok(),
                    "{}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        let others: &[&[u8]] = &[
            b"SIP/2.0 200  OK",
            b"SIP/2.0 200 OK ",
            b"SIP/2.0 099 OK",
            b"SIP/2.0 700 OK",
            b"SIP/2.0 20 OK",
            b"SIP/2.0 200",
            b"SIP/2.0 200 caf\xc3\xa9",
            b"SIP/2.0 200 a\x7f",
            b"sip/2.0 200 OK",
            b"SIP/2.1 200 OK",
            b"INVITE  sip:b@c SIP/2.0",
            b"INVITE sip:b@c  SIP/2.0",
            b"INVITE sip:b@c SIP/2.0 ",
            b"INVITE sip:b\0c SIP/2.0",
            b"INVITE sip:b@c\tSIP/2.0",
            b"INVITE sip:b@c sip/2.0",
            b"INVITE sip:b@c",
            b"INVITE  SIP/2.0",
        ];
        for line in others {
            let plain = plain_request_line(line, 0).or_else(|| plain_status_line(line, 0));
            assert_eq!(plain, None, "{}", String::from_utf8_lossy(line));
        }
    }
}
