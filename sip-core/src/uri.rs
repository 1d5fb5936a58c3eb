//! URIs: `sip:`, `sips:`, `tel:` and any other scheme as an absolute URI.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::chars::{self, utf8};
use crate::error::{ErrorKind, ParseError, err};
use crate::scan::{Cursor, ParamSyntax, Params};

/// A parsed URI, borrowing from the message. `as_str()` returns the exact wire text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uri<'a> {
    /// `sip:` or `sips:` (RFC 3261 §19.1).
    Sip(SipUri<'a>),
    /// `tel:` (RFC 3966).
    Tel(TelUri<'a>),
    /// Any other scheme, kept as an absolute URI (RFC 4475 §3.3.2 `unkscm`, §3.3.4 `unksm2`).
    Other(AbsoluteUri<'a>),
}

/// A `sip:` or `sips:` URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// The whole URI as on the wire.
    pub raw: &'a str,
    /// `true` for `sips:`.
    pub secure: bool,
    /// User part, still %-escaped (see [`SipUri::user_decoded`]).
    pub user: Option<&'a str>,
    /// Password, still %-escaped.
    pub password: Option<&'a str>,
    /// Host.
    pub host: Host<'a>,
    /// Port, if given.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tls;lr`).
    pub params: Params<'a>,
    /// Raw URI headers after `?`, still %-escaped.
    pub headers: Option<&'a str>,
}

/// A `tel:` URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The whole URI as on the wire.
    pub raw: &'a str,
    /// The number (`+1-201-555-0123`).
    pub number: &'a str,
    /// Parameters (`;phone-context=...`).
    pub params: Params<'a>,
}

/// A URI of a scheme this crate does not interpret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbsoluteUri<'a> {
    /// The whole URI as on the wire.
    pub raw: &'a str,
    /// The scheme, without the colon.
    pub scheme: &'a str,
}

/// The host of a SIP URI or Via, as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name.
    Domain(&'a str),
    /// A dotted IPv4 address.
    Ipv4(&'a str),
    /// An IPv6 address, without the brackets of the IPv6 reference.
    ///
    /// Policy for RFC 5118 §4.10: strict message parsing rejects addresses that RFC 4291
    /// does not allow (such as `2001:db8:::192.0.2.1`); value parsers keep any text made of
    /// hex digits, `:` and `.` so that lenient users can still read such messages, and
    /// [`Host::ip`] then returns `None`.
    Ipv6(&'a str),
}

impl<'a> Host<'a> {
    /// The host text as on the wire (IPv6 without brackets).
    pub fn as_str(&self) -> &'a str {
        match *self {
            Self::Domain(s) | Self::Ipv4(s) | Self::Ipv6(s) => s,
        }
    }

    /// The address, for IP hosts that are valid addresses.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Self::Domain(_) => None,
            Self::Ipv4(s) => s.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            Self::Ipv6(s) => s.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv6(s) => write!(f, "[{s}]"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Reads a host (and leaves the cursor after it).
pub(crate) fn read_host<'a>(c: &mut Cursor<'a>, strict: bool) -> Result<Host<'a>, ParseError> {
    let start = c.pos();
    if c.eat(b'[') {
        let inner = c.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !c.eat(b']') {
            return Err(c.err(ErrorKind::InvalidIpv6));
        }
        let text = c
            .str_range(start + 1, start + 1 + inner.len())
            .unwrap_or_default();
        if inner.is_empty()
            || !inner.contains(&b':')
            || (strict && text.parse::<Ipv6Addr>().is_err())
        {
            return Err(c.err_at(ErrorKind::InvalidIpv6, start));
        }
        return Ok(Host::Ipv6(text));
    }
    let name = c.take_while(chars::is_hostname);
    if name.is_empty() || name.starts_with(b".") || name.starts_with(b"-") {
        return Err(c.err_at(ErrorKind::InvalidUri, start));
    }
    let text = c.str_range(start, start + name.len()).unwrap_or_default();
    let all_numeric = name.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    if all_numeric {
        if text.parse::<Ipv4Addr>().is_err() {
            return Err(c.err_at(ErrorKind::InvalidUri, start));
        }
        return Ok(Host::Ipv4(text));
    }
    Ok(Host::Domain(text))
}

/// Reads `":" port` if present.
pub(crate) fn read_port(c: &mut Cursor<'_>) -> Result<Option<u16>, ParseError> {
    if !c.eat(b':') {
        return Ok(None);
    }
    let start = c.pos();
    let digits = c.take_while(|b| b.is_ascii_digit());
    chars::parse_decimal(digits, 65535)
        .map(|p| Some(p as u16))
        .map_err(|_| c.err_at(ErrorKind::InvalidPort, start))
}

fn check_escapes(s: &[u8], base: usize) -> Result<(), ParseError> {
    let mut i = 0;
    while let Some(p) = chars::find_byte(b'%', &s[i..]) {
        let at = i + p;
        let ok = s
            .get(at + 1..at + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !ok {
            return err(ErrorKind::InvalidUri, base + at);
        }
        i = at + 3;
    }
    Ok(())
}

impl<'a> Uri<'a> {
    /// Parses a URI. The whole input must be the URI (no surrounding white space).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidUri`] (or a more specific kind such as
    /// [`ErrorKind::InvalidPort`]) with the offset of the first bad byte.
    ///
    /// ```
    /// use sip_core::{Host, Uri};
    /// let Uri::Sip(u) = Uri::parse(b"sip:alice@[2001:db8::10]:5070;transport=tls").unwrap() else { panic!() };
    /// assert_eq!(u.user, Some("alice"));
    /// assert_eq!(u.host, Host::Ipv6("2001:db8::10"));
    /// assert_eq!(u.port, Some(5070));
    /// assert_eq!(u.params.value("transport"), Some("tls"));
    /// ```
    pub fn parse(s: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_with(s, 0, false)
    }

    pub(crate) fn parse_with(s: &'a [u8], base: usize, strict: bool) -> Result<Self, ParseError> {
        let raw = utf8(s).ok_or_else(|| ParseError::new(ErrorKind::InvalidUri, base))?;
        Self::parse_str(raw, base, strict)
    }

    /// [`Uri::parse_with`] on text already known to be UTF-8.
    pub(crate) fn parse_str(raw: &'a str, base: usize, strict: bool) -> Result<Self, ParseError> {
        let s = raw.as_bytes();
        let Some(colon) = chars::find_byte(b':', s) else {
            return err(ErrorKind::InvalidUri, base);
        };
        let scheme = &s[..colon];
        let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme.iter().all(|&b| chars::is_scheme(b));
        if !scheme_ok {
            return err(ErrorKind::InvalidUri, base);
        }
        let rest = &s[colon + 1..];
        let rest_base = base + colon + 1;
        if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
            let secure = scheme.len() == 4;
            return parse_sip(raw, secure, colon + 1, rest_base, strict).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case(b"tel") {
            let mut c = Cursor::from_str(raw.get(colon + 1..).unwrap_or_default(), rest_base);
            let number = c.take_while(|b| {
                b.is_ascii_hexdigit() || matches!(b, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#')
            });
            if number.is_empty() {
                return Err(c.err(ErrorKind::InvalidUri));
            }
            let params = Params::read(&mut c, ParamSyntax::Uri)?;
            if !c.eof() {
                return Err(c.err(ErrorKind::InvalidUri));
            }
            return Ok(Uri::Tel(TelUri {
                raw,
                number: raw
                    .get(colon + 1..colon + 1 + number.len())
                    .unwrap_or_default(),
                params,
            }));
        }
        if rest.is_empty() {
            return err(ErrorKind::InvalidUri, rest_base);
        }
        if let Some(bad) = rest.iter().position(|&b| !chars::is_uric(b)) {
            return err(ErrorKind::InvalidUri, rest_base + bad);
        }
        Ok(Uri::Other(AbsoluteUri {
            raw,
            scheme: raw.get(..colon).unwrap_or_default(),
        }))
    }

    /// The URI exactly as on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Sip(u) => u.raw,
            Self::Tel(u) => u.raw,
            Self::Other(u) => u.raw,
        }
    }

    /// The scheme as on the wire (`sip`, `SIPS`, `tel`, `urn` ...).
    pub fn scheme(&self) -> &'a str {
        self.as_str().split(':').next().unwrap_or_default()
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Self::Sip(u) => Some(u),
            _ => None,
        }
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn parse_sip<'a>(
    raw: &'a str,
    secure: bool,
    offset: usize,
    base: usize,
    strict: bool,
) -> Result<SipUri<'a>, ParseError> {
    let text = raw.get(offset..).unwrap_or_default();
    let s = text.as_bytes();
    let (user, password, host_start) = match chars::find_byte(b'@', s) {
        Some(at) => {
            let userinfo = &s[..at];
            let (u, p) = match chars::find_byte(b':', userinfo) {
                Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                None => (userinfo, None),
            };
            if u.is_empty() {
                return err(ErrorKind::InvalidUri, base);
            }
            if let Some(bad) = u.iter().position(|&b| !chars::is_sip_user(b)) {
                return err(ErrorKind::InvalidUri, base + bad);
            }
            check_escapes(u, base)?;
            if let Some(p) = p {
                let pbase = base + u.len() + 1;
                if let Some(bad) = p.iter().position(|&b| !chars::is_sip_password(b)) {
                    return err(ErrorKind::InvalidUri, pbase + bad);
                }
                check_escapes(p, pbase)?;
            }
            (
                text.get(..u.len()),
                p.and_then(|p| text.get(u.len() + 1..u.len() + 1 + p.len())),
                at + 1,
            )
        }
        None => (None, None, 0),
    };
    let mut c = Cursor::from_str(text, base);
    c.reset_to(host_start);
    let host = read_host(&mut c, strict)?;
    let port = read_port(&mut c)?;
    let params_start = c.pos();
    let params = Params::read(&mut c, ParamSyntax::Uri)?;
    check_escapes(params.as_str().as_bytes(), base + params_start)?;
    let headers = if c.eat(b'?') {
        let start = c.pos();
        let h = c.take_while(chars::is_uri_header);
        if h.is_empty() {
            return Err(c.err(ErrorKind::InvalidUri));
        }
        check_escapes(h, base + start)?;
        c.str_range(start, start + h.len())
    } else {
        None
    };
    if !c.eof() {
        return Err(c.err(ErrorKind::InvalidUri));
    }
    Ok(SipUri {
        raw,
        secure,
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

impl<'a> SipUri<'a> {
    /// The user part with %-escapes decoded (may hold any byte, even NUL: RFC 4475
    /// §3.1.1.4). Borrows when there is nothing to decode.
    pub fn user_decoded(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(percent_decode)
    }

    /// `user@host` (or `host`), the address-of-record form without port or parameters.
    pub fn aor(&self) -> String {
        match self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.to_string(),
        }
    }
}

/// Decodes `%HH` escapes. Invalid escapes are kept as they are. Borrows when the input
/// has no `%`.
///
/// ```
/// use sip_core::percent_decode;
/// assert_eq!(&*percent_decode("sips%3Auser%40example.com"), b"sips:user@example.com");
/// assert_eq!(&*percent_decode("null-%00-null"), b"null-\0-null");
/// ```
pub fn percent_decode(s: &str) -> Cow<'_, [u8]> {
    let b = s.as_bytes();
    if !b.contains(&b'%') {
        return Cow::Borrowed(b);
    }
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri<'_> {
        match Uri::parse(s.as_bytes()) {
            Ok(Uri::Sip(u)) => u,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn sip_uris() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user,
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password,
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(u.host, Host::Domain("example.com"));
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user, Some("user;par=u%40example.net"));
        let u = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        assert_eq!(&*u.user_decoded().unwrap(), b"caller");
        assert_eq!(u.params.iter().count(), 2);
        let u = sip("sip:[2001:db8::10:5070]");
        assert_eq!((u.host, u.port), (Host::Ipv6("2001:db8::10:5070"), None));
        let u = sip("sips:[2001:db8::10]:5070");
        assert!(u.secure);
        assert_eq!(u.port, Some(5070));
        let u = sip("sip:user@example.com?Route=%3Csip:example.com%3E");
        assert_eq!(u.headers, Some("Route=%3Csip:example.com%3E"));
        assert_eq!(
            sip("sip:host.example.com").host,
            Host::Domain("host.example.com")
        );
        assert_eq!(sip("sip:192.0.2.1:5060").host, Host::Ipv4("192.0.2.1"));
        assert_eq!(sip("SIP:a@b").host, Host::Domain("b"));
    }

    #[test]
    fn bad_uris() {
        for bad in [
            "sip:2001:db8::10",
            "sip:user@example.com; lr",
            "<sip:a@b>",
            "sip:",
            "sip:a@",
            "sip:a@b:99999",
            "sip:a@b:x",
            "sip:%zz@b",
            "sip:a@[::1",
            "1x:y",
            "sip:a@b?",
        ] {
            assert!(Uri::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(
            Uri::parse(b"sip:2001:db8::10").unwrap_err().kind(),
            ErrorKind::InvalidUri
        );
        // RFC 5118 §4.10: tolerated by value parsing, rejected in strict message parsing.
        assert!(Uri::parse_with(b"sip:user@[2001:db8:::192.0.2.1]", 0, false).is_ok());
        assert_eq!(
            Uri::parse_with(b"sip:user@[2001:db8:::192.0.2.1]", 0, true)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidIpv6
        );
        assert!(Uri::parse_with(b"sip:user@[2001:db8::192.0.2.1]", 0, true).is_ok());
    }

    #[test]
    fn other_schemes() {
        for (s, scheme) in [
            ("isbn:2983792873", "isbn"),
            ("http://www.example.com", "http"),
            ("soap.beep://192.0.2.103:3002", "soap.beep"),
            (
                "nobodyKnowsThisScheme:totallyopaquecontent",
                "nobodyKnowsThisScheme",
            ),
            ("urn:uuid:43a160e1", "urn"),
        ] {
            let u = Uri::parse(s.as_bytes()).unwrap();
            assert_eq!((u.scheme(), u.as_str()), (scheme, s));
            assert!(matches!(u, Uri::Other(_)));
        }
        let Uri::Tel(t) = Uri::parse(b"tel:+1-201-555-0123;phone-context=example.com").unwrap()
        else {
            panic!()
        };
        assert_eq!(t.number, "+1-201-555-0123");
    }
}
