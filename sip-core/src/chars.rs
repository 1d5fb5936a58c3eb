//! Byte classes from the RFC 3261 §25 grammar, as lookup tables.

const fn table(extra: &[u8], alnum: bool) -> [bool; 256] {
    let mut t = [false; 256];
    if alnum {
        let mut c = b'0';
        while c <= b'9' {
            t[c as usize] = true;
            c += 1;
        }
        c = b'a';
        while c <= b'z' {
            t[c as usize] = true;
            t[(c - 32) as usize] = true;
            c += 1;
        }
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )`
pub(crate) const TOKEN_SET: [bool; 256] = table(b"-.!%*_+`'~", true);
static TOKEN: [bool; 256] = TOKEN_SET;

/// `word` of Call-ID: token characters plus `( ) < > : \ " / [ ] ? { }`.
pub(crate) const WORD_SET: [bool; 256] = table(b"-.!%*_+`'~()<>:\\\"/[]?{}", true);
static WORD: [bool; 256] = WORD_SET;

/// Characters allowed (unescaped) in the user part of a SIP URI:
/// unreserved / user-unreserved, plus `%` for escapes.
pub(crate) const SIP_USER_SET: [bool; 256] = table(b"-_.!~*'()&=+$,;?/%", true);
static SIP_USER: [bool; 256] = SIP_USER_SET;

/// Characters allowed in the password part of a SIP URI.
pub(crate) const SIP_PASSWORD_SET: [bool; 256] = table(b"-_.!~*'()&=+$,%", true);
static SIP_PASSWORD: [bool; 256] = SIP_PASSWORD_SET;

/// `paramchar` of SIP URI parameters, plus `%`.
pub(crate) const URI_PARAM_SET: [bool; 256] = table(b"[]/:&+$-_.!~*'()%", true);
static URI_PARAM: [bool; 256] = URI_PARAM_SET;

/// Header characters of SIP URI headers (`hname`/`hvalue`), plus `%` and `=`/`&` separators.
static URI_HEADER: [bool; 256] = table(b"[]/?:+$-_.!~*'()%=&", true);

/// `uric` of an absolute URI (RFC 2396): reserved / unreserved / escaped.
static URIC: [bool; 256] = table(b";/?:@&=+$,-_.!~*'()%[]#", true);

/// Scheme characters after the first letter.
static SCHEME: [bool; 256] = table(b"+-.", true);

/// Host name characters (and IPv4 digits).
pub(crate) const HOSTNAME_SET: [bool; 256] = table(b"-.", true);
static HOSTNAME: [bool; 256] = HOSTNAME_SET;

#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    WORD[b as usize]
}
#[inline]
pub(crate) fn is_sip_user(b: u8) -> bool {
    SIP_USER[b as usize]
}
#[inline]
pub(crate) fn is_sip_password(b: u8) -> bool {
    SIP_PASSWORD[b as usize]
}
#[inline]
pub(crate) fn is_uri_param(b: u8) -> bool {
    URI_PARAM[b as usize]
}
#[inline]
pub(crate) fn is_uri_header(b: u8) -> bool {
    URI_HEADER[b as usize]
}
#[inline]
pub(crate) fn is_uric(b: u8) -> bool {
    URIC[b as usize]
}
#[inline]
pub(crate) fn is_scheme(b: u8) -> bool {
    SCHEME[b as usize]
}
#[inline]
pub(crate) fn is_hostname(b: u8) -> bool {
    HOSTNAME[b as usize]
}
/// Linear white space inside a header value: folding has already been checked by the
/// message parser, so a CR or LF inside a value is always part of a fold.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// True if every byte is a token character and the slice is not empty.
pub(crate) fn all_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token(b))
}

/// Trims linear white space (including folds) from both ends.
pub(crate) fn trim_lws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_lws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_lws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Converts a slice the grammar has already restricted to ASCII (or that must be UTF-8)
/// into `&str`; `None` when it is not UTF-8.
#[inline]
pub(crate) fn utf8(s: &[u8]) -> Option<&str> {
    std::str::from_utf8(s).ok()
}

/// The first `needle` in `s`: a plain loop for the short slices of header values (where
/// `memchr`'s dispatch and setup cost more than the search), `memchr` for long ones.
#[inline]
pub(crate) fn find_byte(needle: u8, s: &[u8]) -> Option<usize> {
    if s.len() < 64 {
        s.iter().position(|&b| b == needle)
    } else {
        memchr::memchr(needle, s)
    }
}

/// Eight copies of `b`.
pub(crate) const fn lanes(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// High bit of each byte lane of `x` below `n` (at most 0x80); exact for the lowest such
/// lane (a borrow only flags lanes above a flagged one).
#[inline]
pub(crate) fn lanes_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(lanes(n)) & !x & lanes(0x80)
}

/// High bit of each byte lane of `x` that is zero; exact for the lowest such lane.
#[inline]
pub(crate) fn zero_lanes(x: u64) -> u64 {
    lanes_below(x, 1)
}

/// The first byte of `s` below `!` (space, tab, CR, LF, NUL, other controls), eight bytes
/// a step.
#[inline]
pub(crate) fn find_below_bang(s: &[u8]) -> Option<usize> {
    let (words, tail) = s.as_chunks::<8>();
    for (k, w) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*w);
        let below = lanes_below(x, b'!');
        if below != 0 {
            return Some(k * 8 + (below.trailing_zeros() / 8) as usize);
        }
    }
    tail.iter()
        .position(|&b| b < b'!')
        .map(|j| words.len() * 8 + j)
}

/// The first CR or LF in `s`, as `memchr::memchr2(b'\r', b'\n', s)`: sixteen bytes a
/// step for the first 128 (most header lines are a few dozen bytes, too short for
/// `memchr`'s setup to pay off), then `memchr`.
#[inline(always)]
pub(crate) fn find_eol(s: &[u8]) -> Option<usize> {
    // Bytes below 0x0e (CR, LF, but also tab and other controls) flag a word; only then
    // are CR and LF told apart.
    let low = |x: u64| lanes_below(x, 0x0e);
    let exact = |x: u64| zero_lanes(x ^ lanes(b'\r')) | zero_lanes(x ^ lanes(b'\n'));
    let (chunks, tail) = s.as_chunks::<16>();
    for (k, c) in chunks.iter().enumerate() {
        if k == 8 {
            // A long line (an auth header, a long URI list): `memchr` pays off now.
            let rest = s.get(128..)?;
            return memchr::memchr2(b'\r', b'\n', rest).map(|j| 128 + j);
        }
        let [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            b0,
            b1,
            b2,
            b3,
            b4,
            b5,
            b6,
            b7,
        ] = *c;
        let a = u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]);
        let b = u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]);
        if low(a) | low(b) != 0 {
            let (ea, eb) = (exact(a), exact(b));
            if ea != 0 {
                return Some(k * 16 + (ea.trailing_zeros() / 8) as usize);
            }
            if eb != 0 {
                return Some(k * 16 + 8 + (eb.trailing_zeros() / 8) as usize);
            }
        }
    }
    tail.iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .map(|j| chunks.len() * 16 + j)
}

/// Parses an unsigned decimal number of 1 to 19 digits that must fit `max`.
/// Returns `Err(true)` when the digits are valid but the value exceeds `max`,
/// `Err(false)` when the text is not a number.
pub(crate) fn parse_decimal(s: &[u8], max: u64) -> Result<u64, bool> {
    // Nineteen digits always fit a u64: one pass, no overflow checks.
    if !s.is_empty() && s.len() <= 19 {
        let mut v = 0u64;
        for &d in s {
            let digit = d.wrapping_sub(b'0');
            if digit > 9 {
                return Err(false);
            }
            v = v * 10 + u64::from(digit);
        }
        return if v > max { Err(true) } else { Ok(v) };
    }
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(false);
    }
    let mut v: u64 = 0;
    for &d in s {
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
        {
            Some(v) => v,
            None => return Err(true),
        };
        if v > max {
            return Err(true);
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(all_token(b"!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!all_token(b"a b"));
        assert!(!all_token(b""));
        assert!(
            b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
                .iter()
                .all(|&b| b == b'@' || is_word(b))
        );
        assert_eq!(trim_lws(b" \r\n\t a b \r\n "), b"a b");
        assert_eq!(trim_lws(b"  "), b"");
    }

    #[test]
    fn find_eol_matches_memchr2() {
        let mut buf = [b'a'; 100];
        for len in [0, 1, 7, 15, 16, 17, 31, 63, 64, 65, 79, 80, 100] {
            for at in 0..len {
                for b in [b'\r', b'\n', b'\t', 0, 0x0d + 1, 0x8d, 0x8a] {
                    buf[at] = b;
                    for extra in [None, Some(at / 2), Some((at + len) / 2)] {
                        let keep = extra.map(|e| (e, buf[e]));
                        if let Some(e) = extra {
                            buf[e] = b'\t';
                        }
                        let s = &buf[..len];
                        assert_eq!(find_eol(s), memchr::memchr2(b'\r', b'\n', s), "{s:?}");
                        if let Some((e, k)) = keep {
                            buf[e] = k;
                        }
                    }
                    buf[at] = b'a';
                }
            }
        }
    }

    #[test]
    fn find_below_bang_matches_a_loop() {
        let mut buf = [b'a'; 40];
        for len in [0, 1, 7, 8, 9, 16, 23, 40] {
            for at in 0..len {
                for b in [b' ', b'\t', 0, b'!', 0x20 + 0x80, 0x7f, 0xa0] {
                    buf[at] = b;
                    let s = &buf[..len];
                    assert_eq!(
                        find_below_bang(s),
                        s.iter().position(|&b| b < b'!'),
                        "{s:?}"
                    );
                    buf[at] = b'a';
                }
            }
        }
    }

    #[test]
    fn decimal() {
        assert_eq!(parse_decimal(b"0068", 255), Ok(68));
        assert_eq!(parse_decimal(b"300", 255), Err(true));
        assert_eq!(
            parse_decimal(b"36893488147419103232", u64::from(u32::MAX)),
            Err(true)
        );
        assert_eq!(parse_decimal(b"-1", 10), Err(false));
        assert_eq!(parse_decimal(b"", 10), Err(false));
    }
}
