//! Strict-mode validation without building typed values: byte scanners over the raw
//! values of the headers strict mode checks.
//!
//! Each scanner accepts a subset of what the typed parsers of [`crate::validate`] accept
//! (the forms real traffic uses, folds and odd white space included) and answers "no"
//! for anything else, which then goes through the typed parser. So accept/reject and
//! the error (kind, offset, header) are those of the typed parser by construction; the
//! differential tests and the `validate_diff` fuzz target check that every value a
//! scanner accepts, the typed parser accepts too.

use crate::chars::{self, lanes, trim_lws};
use crate::error::ParseError;
use crate::header::KnownHeader;
use crate::message::Message;
use crate::parse::StartLine;
use crate::typed;
use crate::validate;

/// Checks what strict mode promises (see [`validate::validate_typed`] for the list).
pub(crate) fn validate(msg: &Message<'_>) -> Result<(), ParseError> {
    let (buf, slots, start) = msg.parts();
    let mut method: Option<&[u8]> = None;
    if let StartLine::Request { method: m, uri, .. } = start {
        let raw = uri.of(buf);
        if sip_uri(raw, 0) != Some(raw.len())
            && let Some(raw) = msg.request_uri()
        {
            validate::request_uri(msg, raw)?;
        }
        method = Some(m.of(buf));
    }
    for s in slots {
        let Some(known) = s.known else { continue };
        let value = buf.get(s.value_range()).unwrap_or(&[]);
        if !header(known, value, method) {
            validate::header(known, value, s.value_start as usize, msg.method())?;
        }
    }
    Ok(())
}

/// Whether the scanners accept `value` of a `known` header in a message whose request
/// method, if any, is `method`; false leaves it to the typed check.
#[inline]
fn header(known: KnownHeader, value: &[u8], method: Option<&[u8]>) -> bool {
    match known {
        KnownHeader::Via => list(value, via),
        KnownHeader::Contact => list(value, contact),
        KnownHeader::Route | KnownHeader::RecordRoute => list(value, route),
        KnownHeader::From | KnownHeader::To => {
            route(value, lws(value, 0)).is_some_and(|i| lws(value, i) == value.len())
        }
        KnownHeader::CallId => call_id(value),
        KnownHeader::CSeq => cseq(value, method),
        KnownHeader::Date => date(value),
        KnownHeader::MaxForwards => decimal(value, 255),
        KnownHeader::Expires => decimal(value, u64::from(u32::MAX)),
        _ => true,
    }
}

// Byte classes, one bit each, so that one table load answers every question.
const TOKEN: u16 = 1;
const HOST: u16 = 1 << 1;
/// Host name bytes that are neither digits nor dots: a host with one is a domain name.
const ALPHA: u16 = 1 << 2;
/// SIP URI user, password and parameter bytes without `%`: no escapes to check.
const USER: u16 = 1 << 3;
const PASSWORD: u16 = 1 << 4;
const PARAM: u16 = 1 << 5;
const WORD: u16 = 1 << 6;
const LWS: u16 = 1 << 7;
const DIGIT: u16 = 1 << 8;
/// The inside of an IPv6 reference.
const V6: u16 = 1 << 9;
/// Unquoted header parameter values: token, `:`, `[`, `]`.
const VALUE: u16 = 1 << 10;
/// Printable ASCII and tab inside a quoted string, except `"` and `\`.
const QTEXT: u16 = 1 << 11;

const fn set(on: bool, bit: u16) -> u16 {
    if on { bit } else { 0 }
}

static CLASS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        c |= set(chars::TOKEN_SET[i], TOKEN | VALUE);
        c |= set(chars::HOSTNAME_SET[i], HOST);
        c |= set(b.is_ascii_alphabetic() || b == b'-', ALPHA);
        c |= set(chars::SIP_USER_SET[i] && b != b'%', USER);
        c |= set(chars::SIP_PASSWORD_SET[i] && b != b'%', PASSWORD);
        c |= set(chars::URI_PARAM_SET[i] && b != b'%', PARAM);
        c |= set(chars::WORD_SET[i], WORD);
        c |= set(matches!(b, b' ' | b'\t' | b'\r' | b'\n'), LWS);
        c |= set(b.is_ascii_digit(), DIGIT);
        c |= set(b.is_ascii_hexdigit() || b == b':' || b == b'.', V6);
        c |= set(matches!(b, b':' | b'[' | b']'), VALUE);
        c |= set(
            (b == b'\t' || (b >= 0x20 && b < 0x7f)) && b != b'"' && b != b'\\',
            QTEXT,
        );
        t[i] = c;
        i += 1;
    }
    t
};

#[inline]
fn class(b: u8) -> u16 {
    CLASS[b as usize]
}

/// The end of the run of bytes in any of the classes `bits`, starting at `i`.
#[inline]
fn run(s: &[u8], mut i: usize, bits: u16) -> usize {
    while let Some(&b) = s.get(i) {
        if class(b) & bits == 0 {
            break;
        }
        i += 1;
    }
    i
}

/// [`run`] for classes that hold every letter and digit, where runs are usually long
/// (Call-IDs): letters and digits are skipped eight bytes a step first.
#[inline]
fn long_run(s: &[u8], i: usize, bits: u16) -> usize {
    run(s, skip_words(s, i, alnum_lanes).0, bits)
}

/// A non-empty run of `bits` bytes at `i`: its end.
#[inline]
fn run1(s: &[u8], i: usize, bits: u16) -> Option<usize> {
    let end = run(s, i, bits);
    (end > i).then_some(end)
}

/// The first index at or after `i` that is not linear white space.
#[inline]
fn lws(s: &[u8], i: usize) -> usize {
    // Most separators have no white space at all.
    match s.get(i) {
        Some(&b) if class(b) & LWS != 0 => run(s, i + 1, LWS),
        _ => i,
    }
}

/// `SWS b SWS` at `i`: the index after it.
#[inline]
fn sep(s: &[u8], i: usize, b: u8) -> Option<usize> {
    let j = lws(s, i);
    (s.get(j) == Some(&b)).then(|| lws(s, j + 1))
}

/// A comma-separated list: every element accepted by `one`, none empty. An empty value
/// is an empty list, as the typed check sees it.
#[inline]
fn list(v: &[u8], one: impl Fn(&[u8], usize) -> Option<usize>) -> bool {
    let mut i = lws(v, 0);
    if i == v.len() {
        return true;
    }
    loop {
        let Some(end) = one(v, i) else { return false };
        i = lws(v, end);
        match v.get(i) {
            None => return true,
            Some(b',') => i = lws(v, i + 1),
            Some(_) => return false,
        }
    }
}

/// Digits at `i` forming a number no larger than `max`: the end of the digits.
#[inline]
fn number(s: &[u8], i: usize, max: u64) -> Option<usize> {
    let end = run1(s, i, DIGIT)?;
    let digits = &s[i..end];
    // Twenty digits may overflow u64: leave those to the typed check.
    if digits.len() > 19 {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    (n <= max).then_some(end)
}

/// A value that is only a number no larger than `max`, with white space around it.
fn decimal(v: &[u8], max: u64) -> bool {
    let v = trim_lws(v);
    number(v, 0, max) == Some(v.len())
}

/// A quoted string at `i` (which holds `"`) of printable ASCII: the index after it.
fn quoted(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = run(s, j, QTEXT);
        match s.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' if s.get(j + 1).is_some_and(|&b| (0x20..0x7f).contains(&b)) => j += 2,
            _ => return None,
        }
    }
}

/// A dotted IPv4 address as `Ipv4Addr` reads it, without leading zeros. By hand: Lync
/// clients put their IP address in Via, and `Ipv4Addr::from_str` costs about a hundred
/// instructions more per Via.
fn ipv4(s: &[u8]) -> bool {
    let mut parts = 0;
    for p in s.split(|&b| b == b'.') {
        parts += 1;
        let ok = match p {
            [d] => d.is_ascii_digit(),
            [b'1'..=b'9', rest @ ..] if rest.len() <= 2 => {
                rest.iter().all(u8::is_ascii_digit)
                    && p.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= 255
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    parts == 4
}

/// A host (strict, as `read_host`) at `i`: the index after it.
#[inline(always)]
fn host(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) == Some(&b'[') {
        return ipv6_reference(s, i);
    }
    let end = host_name_end(s, i);
    if end == i || matches!(s[i], b'.' | b'-') {
        return None;
    }
    // A name whose last byte is a letter or `-` is a domain name; otherwise it may be
    // all digits and dots, an IPv4 address.
    if class(s[end - 1]) & ALPHA == 0
        && !s[i..end].iter().any(|&b| class(b) & ALPHA != 0)
        && !ipv4(&s[i..end])
    {
        return None;
    }
    Some(end)
}

/// An IPv6 reference `[...]` at `i` (which holds `[`): the index after it.
#[inline(never)]
fn ipv6_reference(s: &[u8], i: usize) -> Option<usize> {
    let end = run(s, i + 1, V6);
    if s.get(end) != Some(&b']') {
        return None;
    }
    let text = std::str::from_utf8(s.get(i + 1..end)?).ok()?;
    (text.contains(':') && text.parse::<std::net::Ipv6Addr>().is_ok()).then_some(end + 1)
}

/// High bit of each byte lane set where the 7-bit lane value lies in `lo..=hi`.
#[inline]
fn lanes_in(x7: u64, lo: u8, hi: u8) -> u64 {
    // Lane values are at most 0x7f, so no sum carries into the next lane.
    let ge_lo = x7.wrapping_add(lanes(0x80 - lo));
    let gt_hi = x7.wrapping_add(lanes(0x7f - hi));
    ge_lo & !gt_hi & lanes(0x80)
}

/// The end of the run of host-name bytes (letters, digits, `-`, `.`) at `i`, eight
/// bytes a step.
#[inline]
fn host_name_end(s: &[u8], i: usize) -> usize {
    match skip_words(s, i, |x7| alnum_lanes(x7) | lanes_in(x7, b'-', b'.')) {
        (end, true) => end,
        (i, false) => run(s, i, HOST),
    }
}

/// Letters and digits among the 7-bit lanes `x7`.
#[inline]
fn alnum_lanes(x7: u64) -> u64 {
    // OR 0x20 folds only `A-Z` (and `a-z` itself) into `a-z`.
    lanes_in(x7 | lanes(0x20), b'a', b'z') | lanes_in(x7, b'0', b'9')
}

/// Skips from `i`, eight bytes a step, the bytes that `accept` flags (it sees the 7-bit
/// lane values; bytes above 0x7f are never skipped): where it stopped, and whether a
/// byte it refused stopped it (rather than fewer than eight bytes being left).
#[inline(always)]
fn skip_words(s: &[u8], mut i: usize, accept: impl Fn(u64) -> u64) -> (usize, bool) {
    while let Some(w) = s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let x = u64::from_le_bytes(w);
        let other = (!accept(x & lanes(0x7f)) | x) & lanes(0x80);
        if other != 0 {
            return (i + (other.trailing_zeros() / 8) as usize, true);
        }
        i += 8;
    }
    (i, false)
}

/// A `sip:`/`sips:` URI (strict, without `?headers` or `%` escapes) at `i`: the index of
/// the first byte after it, which the caller checks is where the URI must end.
fn sip_uri(s: &[u8], i: usize) -> Option<usize> {
    let j = match s.get(i..)? {
        [b's' | b'S', b'i' | b'I', b'p' | b'P', b':', ..] => i + 4,
        [b's' | b'S', b'i' | b'I', b'p' | b'P', b's' | b'S', b':', ..] => i + 5,
        _ => return None,
    };
    // `userinfo "@"` is there if a run of user bytes (and `":"` password bytes) ends at
    // an `@`. Otherwise the host starts at `j`; the text cannot hold an `@` then, since
    // neither host, port nor parameters take one, so the typed parser finds none either.
    let user_end = run(s, j, USER);
    let mut h = j;
    match s.get(user_end) {
        Some(b'@') => h = user_end + 1,
        Some(b':') => {
            let end = run(s, user_end + 1, PASSWORD);
            if s.get(end) == Some(&b'@') {
                h = end + 1;
            }
        }
        _ => {}
    }
    if h > j && user_end == j {
        return None;
    }
    let mut k = host(s, h)?;
    if s.get(k) == Some(&b':') {
        k = number(s, k + 1, 65535)?;
    }
    while s.get(k) == Some(&b';') {
        k = run1(s, k + 1, PARAM)?;
        if s.get(k) == Some(&b'=') {
            k = run1(s, k + 1, PARAM)?;
        }
    }
    Some(k)
}

/// A header parameter list (`*(SWS ";" SWS token [SWS "=" SWS value])`) at `i`; `each`
/// sees every name and unquoted or quoted value and may refuse it. The index after the
/// last parameter.
#[inline]
fn params(
    s: &[u8],
    mut i: usize,
    mut each: impl FnMut(&[u8], Option<&[u8]>, bool) -> bool,
) -> Option<usize> {
    loop {
        let j = lws(s, i);
        if s.get(j) != Some(&b';') {
            return Some(i);
        }
        let name_at = lws(s, j + 1);
        let name_end = run1(s, name_at, TOKEN)?;
        i = name_end;
        let (mut value, mut token) = (None, false);
        if let Some(v) = sep(s, name_end, b'=') {
            let end = if s.get(v) == Some(&b'"') {
                quoted(s, v)?
            } else {
                // Token bytes first, so that `each` learns whether the value is a token
                // without scanning it again.
                let end = run(s, v, TOKEN);
                token = end > v;
                if matches!(s.get(end), Some(b':' | b'[' | b']')) {
                    token = false;
                    run(s, end, VALUE)
                } else if token {
                    end
                } else {
                    return None;
                }
            };
            value = Some(&s[v..end]);
            i = end;
        }
        if !each(&s[name_at..name_end], value, token) {
            return None;
        }
    }
}

/// One Via value at `i`: the index after it.
fn via(s: &[u8], i: usize) -> Option<usize> {
    let i = match s.get(i..i + 8) {
        Some(b"SIP/2.0/") => i + 8,
        _ => {
            let i = run1(s, i, TOKEN)?;
            let i = sep(s, i, b'/')?;
            let i = run1(s, i, TOKEN)?;
            sep(s, i, b'/')?
        }
    };
    let i = run1(s, i, TOKEN)?;
    let j = lws(s, i);
    if j == i {
        return None;
    }
    let mut i = host(s, j)?;
    if let Some(p) = sep(s, i, b':') {
        i = number(s, p, 65535)?;
    }
    params(s, i, |name, value, token| {
        let limit = |max| value.is_none_or(|v| number(v, 0, max) == Some(v.len()));
        if name.eq_ignore_ascii_case(b"branch") {
            value.is_some() && token
        } else if name.eq_ignore_ascii_case(b"ttl") {
            limit(255)
        } else if name.eq_ignore_ascii_case(b"rport") {
            limit(65535)
        } else {
            true
        }
    })
}

/// One name-addr or addr-spec with header parameters at `i` (Route, Record-Route, From,
/// To): the index after it.
fn route(s: &[u8], i: usize) -> Option<usize> {
    let i = addr(s, i)?;
    params(s, i, |_, _, _| true)
}

/// One Contact value at `i` (not `*`): the first `expires` must fit 32 bits and the
/// first `q` must be a qvalue.
fn contact(s: &[u8], i: usize) -> Option<usize> {
    let i = addr(s, i)?;
    let (mut expires, mut q) = (false, false);
    params(s, i, |name, value, _| {
        if !expires && name.eq_ignore_ascii_case(b"expires") {
            expires = true;
            value.is_none_or(|v| number(v, 0, u64::from(u32::MAX)) == Some(v.len()))
        } else if !q && name.eq_ignore_ascii_case(b"q") {
            q = true;
            value.is_none_or(qvalue)
        } else {
            true
        }
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn qvalue(v: &[u8]) -> bool {
    match v {
        [b'0'] | [b'1'] => true,
        [b'0', b'.', f @ ..] => f.len() <= 3 && f.iter().all(u8::is_ascii_digit),
        [b'1', b'.', f @ ..] => f.len() <= 3 && f.iter().all(|&b| b == b'0'),
        _ => false,
    }
}

/// The address of a name-addr (`"display" <uri>`, `tokens <uri>`, `<uri>`) or an
/// addr-spec with a SIP URI, at `i`: the index after it.
#[inline(always)]
fn addr(s: &[u8], i: usize) -> Option<usize> {
    let lt = match s.get(i)? {
        b'"' => {
            let j = lws(s, quoted(s, i)?);
            (s.get(j) == Some(&b'<')).then_some(j)?
        }
        b'<' => i,
        _ => {
            let first = run1(s, i, TOKEN)?;
            if s.get(first) == Some(&b':') {
                // An addr-spec ends at white space or `;` (its parameters are the
                // header's); `, ? < > "` in it are errors, or end the list element.
                let len = s[i..]
                    .iter()
                    .position(|&b| {
                        class(b) & LWS != 0 || matches!(b, b';' | b',' | b'?' | b'<' | b'>' | b'"')
                    })
                    .unwrap_or(s.len() - i);
                return (sip_uri(&s[i..i + len], 0) == Some(len)).then_some(i + len);
            }
            let mut j = first;
            loop {
                j = lws(s, j);
                match s.get(j) {
                    Some(b'<') => break j,
                    Some(&b) if class(b) & TOKEN != 0 => j = run(s, j, TOKEN),
                    _ => return None,
                }
            }
        }
    };
    // The URI's bytes never include `>`, so a URI that ends at a `>` ends at the first
    // one, where the typed parser cuts it.
    let end = sip_uri(s, lt + 1)?;
    (s.get(end) == Some(&b'>')).then_some(end + 1)
}

/// `Call-ID = word ["@" word]`.
fn call_id(v: &[u8]) -> bool {
    let v = trim_lws(v);
    let end = long_run(v, 0, WORD);
    if end == 0 {
        return false;
    }
    match v.get(end) {
        None => true,
        Some(b'@') => end + 1 < v.len() && long_run(v, end + 1, WORD) == v.len(),
        Some(_) => false,
    }
}

/// `Date: Sat, 13 Nov 2010 23:29:00 GMT` (RFC 1123, GMT only), as `Date::parse` reads it.
fn date(value: &[u8]) -> bool {
    let Ok(v) = <&[u8; 29]>::try_from(trim_lws(value)) else {
        return false;
    };
    // Two digits no larger than `max`.
    let two = |at: usize, max: u8| {
        v[at].is_ascii_digit()
            && v[at + 1].is_ascii_digit()
            && (v[at] - b'0') * 10 + (v[at + 1] - b'0') <= max
    };
    &v[3..5] == b", "
        && v[7] == b' '
        && v[11] == b' '
        && v[16] == b' '
        && v[19] == b':'
        && v[22] == b':'
        && &v[25..] == b" GMT"
        && typed::WEEKDAYS.contains(&&v[..3])
        && typed::MONTHS.contains(&&v[8..11])
        && v[12..16].iter().all(u8::is_ascii_digit)
        && two(5, 31)
        && &v[5..7] != b"00"
        && two(17, 23)
        && two(20, 59)
        && two(23, 60)
}

/// `CSeq = 1*DIGIT LWS Method`, the method equal to the request's.
fn cseq(v: &[u8], method: Option<&[u8]>) -> bool {
    let i = lws(v, 0);
    let Some(digits) = number(v, i, u64::from(u32::MAX)) else {
        return false;
    };
    let m = lws(v, digits);
    let Some(end) = run1(v, m, TOKEN).filter(|_| m > digits) else {
        return false;
    };
    lws(v, end) == v.len() && method.is_none_or(|r| r == &v[m..end])
}

/// Frames `data` in every configuration and asserts that the plain header-line scan
/// frames as the general parse does, and that [`validate`] and the typed
/// [`validate::validate_typed`] agree on every message found (also lenient framings,
/// whose values strict framing would have refused earlier).
#[cfg(any(test, fuzzing))]
pub(crate) fn assert_same(data: &[u8]) {
    use crate::config::{Framing, Mode, ParserConfig};
    use crate::header::EMPTY_HEADER;
    use crate::parse::{FrameStatus, SliceSink, frame, frame_with};

    for mode in [Mode::Strict, Mode::Lenient] {
        for framing in [Framing::Stream, Framing::Datagram] {
            let cfg = ParserConfig::default().mode(mode).framing(framing);
            // The plain header-line scan finds what the general parse finds.
            let mut general = [EMPTY_HEADER; 64];
            let mut sink = SliceSink {
                slots: &mut general,
                len: 0,
            };
            let expected = frame_with::<_, false>(data, &cfg, &mut sink);
            let general_len = sink.len;
            let mut slots = [EMPTY_HEADER; 64];
            let mut sink = SliceSink {
                slots: &mut slots,
                len: 0,
            };
            let framed = frame(data, &cfg, &mut sink);
            assert_eq!(framed, expected, "{mode:?} {framing:?}: {data:?}");
            if framed.is_ok() {
                assert_eq!(sink.len, general_len);
                assert!(sink.slots[..sink.len] == general[..general_len]);
            }
            if let Ok(FrameStatus::Complete(framed)) = framed {
                let len = sink.len;
                let msg = Message::from_parts(data, framed, &slots[..len]);
                assert_eq!(
                    validate(&msg),
                    validate::validate_typed(&msg),
                    "{mode:?} {framing:?}: {:?}",
                    String::from_utf8_lossy(data)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::assert_same;
    use std::path::{Path, PathBuf};

    fn corpus() -> Vec<Vec<u8>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = match std::env::var_os("SIP_CORPUS_DIR") {
            Some(d) => PathBuf::from(d),
            None => root.join("../../shared/corpus"),
        };
        let dirs = [
            shared.join("rfc4475"),
            shared.join("rfc5118"),
            root.join("../benches/data"),
            root.join("tests/data"),
        ];
        let mut out = Vec::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                panic!("{} is missing; set SIP_CORPUS_DIR", dir.display());
            };
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let ext = f.extension().and_then(|e| e.to_str());
                if matches!(ext, Some("dat" | "sip")) {
                    out.push(std::fs::read(&f).expect("readable corpus file"));
                }
            }
        }
        assert!(out.len() > 50, "only {} corpus messages", out.len());
        out
    }

    #[test]
    fn host_name_end_matches_the_table() {
        use super::{HOST, host_name_end, run};
        let mut buf = *b"abcdefghij0123456789";
        for b in 0..=255u8 {
            for at in 0..buf.len() {
                let keep = buf[at];
                buf[at] = b;
                for start in [0, 3, 9] {
                    assert_eq!(
                        host_name_end(&buf, start),
                        run(&buf, start, HOST),
                        "{b} at {at}"
                    );
                }
                buf[at] = keep;
            }
        }
    }

    /// The bench messages other than `wsinv.sip` take no typed fallback.
    #[test]
    fn scanners_take_the_common_forms() {
        use super::*;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/data");
        for name in [
            "options.sip",
            "invite_sdp.sip",
            "ok_invite.sip",
            "register_tls_dsk.sip",
            "unauthorized.sip",
            "forty_headers.sip",
        ] {
            let data = std::fs::read(dir.join(name)).expect("bench message");
            let mut slots = [crate::EMPTY_HEADER; 64];
            let cfg = crate::ParserConfig::default();
            let Ok(crate::Status::Complete(msg)) = crate::parse_with(&data, &mut slots, &cfg)
            else {
                panic!("{name} does not parse");
            };
            let (buf, slots, start) = msg.parts();
            let mut method = None;
            if let StartLine::Request { method: m, uri, .. } = start {
                let raw = uri.of(buf);
                assert_eq!(sip_uri(raw, 0), Some(raw.len()), "{name}: Request-URI");
                method = Some(m.of(buf));
            }
            for s in slots {
                let v = &buf[s.value_range()];
                let ok = s.known.is_none_or(|known| header(known, v, method));
                assert!(ok, "{name}: {}", String::from_utf8_lossy(v));
            }
        }
    }

    #[test]
    fn corpus_agrees() {
        for m in corpus() {
            assert_same(&m);
        }
    }

    /// One-byte replacements, deletions and insertions over every header section.
    #[test]
    fn mutations_agree() {
        const BYTES: &[u8] = b" \t;,\"<>@:=%[].09aZ?\\*/-\x80\r\n";
        for m in corpus() {
            let head = m
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(m.len())
                .min(1200);
            let mut buf = Vec::with_capacity(m.len() + 1);
            for p in 0..head {
                for k in 0..3 {
                    let b = BYTES[(p * 3 + k) % BYTES.len()];
                    buf.clear();
                    buf.extend_from_slice(&m);
                    match k {
                        0 => buf[p] = b,
                        1 => drop(buf.remove(p)),
                        _ => buf.insert(p, b),
                    }
                    assert_same(&buf);
                }
            }
        }
    }

    /// Values near the edges of each scanner, in a request and in a response.
    #[test]
    fn edge_values_agree() {
        const LINES: &[&str] = &[
            "Via: SIP/2.0/UDP 1.2.3.4",
            "Via: SIP/2.0/UDP 1.2.3.04",
            "Via: SIP/2.0/UDP 256.2.3.4:5060",
            "Via: SIP/2.0/UDP 1.2.3",
            "Via: SIP/2.0/UDP 1.2.3.4.5",
            "Via: SIP/2.0/UDP h:65536",
            "Via: SIP/2.0/UDP h:65535;rport;ttl=255;branch=z9hG4bK-1",
            "Via: SIP/2.0/UDP h;ttl=256",
            "Via: SIP/2.0/UDP h;rport=65536",
            "Via: SIP/2.0/UDP h;branch",
            "Via: SIP/2.0/UDP h;branch=\"x\"",
            "Via: SIP/2.0/UDP h;BRANCH=a:b",
            "Via: SIP/2.0/UDP h;branch=[x]",
            "Via: SIP/2.0/UDP h;branch=x;x=:",
            "Via: SIP/2.0/UDP h;x=",
            "Via: sip/2.0/UDP h",
            "Via: SIP/2.0/ UDP h",
            "Via: SIP/2.0/\r\n UDP h",
            "Via: SIP/2.0//UDP h",
            "Via: SIP/2.0/UDP h;received=[::1];x=\"a,b\"",
            "Via: SIP/2.0/UDP [2001:db8::1]:5060, SIP/2.0/TCP h",
            "Via: SIP/2.0/UDP [2001:db8:::1]",
            "Via: SIP/2.0/UDP [::1",
            "Via: SIP / 2.0 / UDP\r\n h ; branch = x , SIP/2.0/UDP g",
            "Via: SIP/2.0/UDP h,",
            "Via: SIP/2.0/UDP h,,SIP/2.0/UDP g",
            "Via: SIP/2.0/UDP -h",
            "Via: SIP/2.0/UDP .h",
            "Via: SIP/2.0/UDPh",
            "Via: SIP/2.0/UDP h;ttl=00000000000000000001",
            "From: <sip:a@b>;tag=1",
            "From: <sip:a@b>, <sip:c@d>",
            "From: \"a\\\"b\" <sip:a@b>",
            "From: \"a\\",
            "From: a b c<sip:a@b>",
            "From: sip:a@b;tag=1",
            "From: sip:a@b?x=y",
            "From: sip:a@b,c",
            "From: <sip:a@b?x=y>",
            "From: <sips:a:pw@b:1;lr;x=%41>",
            "From: <sip:a:p:w@b>",
            "From: <sip:%4@b>",
            "From: <sip:a@b;x=%4>",
            "From: <sip:a@b;=x>",
            "From: <sip:a@b;x=>",
            "From: <sip:a@b:>",
            "From: <tel:+1234>",
            "From: <sip:@b>",
            "From: <sip:b;maddr=a@c>",
            "From: <sip:a@b> ;tag = 1 ; x",
            "From: <sip:a @b>",
            "From: \"\u{e9}\" <sip:a@b>",
            "To: \"x\"<sip:a@b>",
            "To: \"x\" sip:a@b",
            "Contact: *",
            "Contact: <sip:a@b>;expires=4294967295;q=0.5",
            "Contact: <sip:a@b>;expires=4294967296",
            "Contact: <sip:a@b>;expires;expires=x",
            "Contact: <sip:a@b>;expires=1;expires=x",
            "Contact: <sip:a@b>;q=1.000, <sip:c@d>;q=1.001",
            "Contact: <sip:a@b>;q=0.1234",
            "Contact: <sip:a@b>;Q=\"1\"",
            "Contact: <sip:a@b>;expires=\"1\"",
            "Contact: sip:a@b;q=1, sip:c@d",
            "Route: <sip:a@b;lr>,<sip:c;lr>",
            "Route: <sip:a,b@c>",
            "Route: ,<sip:a@b>",
            "Record-Route: <sip:a@b>junk",
            "Call-ID: a@b",
            "Call-ID: a@b@c",
            "Call-ID: @b",
            "Call-ID: a@",
            "Call-ID: a b",
            "CSeq: 1 INVITE",
            "CSeq: 1 OPTIONS",
            "CSeq: 4294967296 INVITE",
            "CSeq: 00000000000000000000001 INVITE",
            "CSeq: 1INVITE",
            "CSeq: 1 INVITE x",
            "CSeq: INVITE",
            "Max-Forwards: 256",
            "Expires: 4294967296",
            "Date: Sat, 13 Nov 2010 23:29:00 GMT",
            "Date: Sat, 00 Nov 2010 23:29:00 GMT",
            "Date: Sat, 32 Nov 2010 23:29:00 GMT",
            "Date: Sat, 13 Nov 2010 24:29:00 GMT",
            "Date: Sat, 13 Nov 2010 23:60:00 GMT",
            "Date: Sat, 13 Nov 2010 23:29:60 GMT",
            "Date: Sat, 13 Nov 2010 23:29:61 GMT",
            "Date: sat, 13 Nov 2010 23:29:00 GMT",
            "Date: Sat, 13 NOV 2010 23:29:00 GMT",
            "Date: Sat, 13 Nov 2010 23:29:00 EST",
            "Date: Sat, 1 Nov 2010 23:29:00 GMT",
            "Date: Sat, 13 Nov 201x 23:29:00 GMT",
        ];
        const STARTS: &[&str] = &[
            "INVITE sip:b@c SIP/2.0",
            "INVITE sip:b@c?x=y SIP/2.0",
            "INVITE sips:b:pw@[::1]:5;lr SIP/2.0",
            "INVITE tel:+123 SIP/2.0",
            "INVITE sip:b@c:99999 SIP/2.0",
            "SIP/2.0 200 OK",
        ];
        for start in STARTS {
            for line in LINES {
                let m = format!("{start}\r\n{line}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
                assert_same(m.as_bytes());
            }
        }
    }
}
