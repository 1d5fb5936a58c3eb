use std::borrow::Cow;

use crate::chars::{self, is_lws, is_token};
use crate::error::{ErrorKind, ParseError};
use crate::scan::{Cursor, ParamSyntax, Params, unquote};
use crate::uri::Uri;

/// A `name-addr` or `addr-spec` with header parameters: the value of From, To, Contact,
/// Route, Record-Route, P-Asserted-Identity and similar headers.
///
/// ```
/// use sip_core::NameAddr;
/// let f = NameAddr::parse(br#""vvx" <sip:vvx@ucprimer.com>;tag=B9A92F89-6F6343CE;epid=0004f2ae4b0d"#)?;
/// assert_eq!(f.display_name, Some(r#""vvx""#));
/// assert_eq!(f.display_name_unquoted().as_deref(), Some("vvx"));
/// assert_eq!(f.uri.as_str(), "sip:vvx@ucprimer.com");
/// assert_eq!(f.tag(), Some("B9A92F89-6F6343CE"));
/// assert_eq!(f.params.value("epid"), Some("0004f2ae4b0d"));
/// # Ok::<(), sip_core::ParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as on the wire: a quoted string with its quotes, or a sequence of
    /// tokens. `None` if absent.
    pub display_name: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// True if the URI was enclosed in `<...>`.
    pub bracketed: bool,
    /// Header parameters after the address (`;tag=...`), in order.
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses one value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnterminatedQuotedString`], [`ErrorKind::InvalidDisplayName`],
    /// [`ErrorKind::InvalidNameAddr`], a URI error kind, or [`ErrorKind::InvalidParam`].
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0, false)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize, strict: bool) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        c.skip_lws();
        let start = c.pos();
        let mut display: Option<&'a [u8]> = None;
        let bracketed;
        match c.peek() {
            Some(b'"') => {
                display = Some(c.quoted()?);
                c.skip_lws();
                if c.peek() != Some(b'<') {
                    return Err(c.err(ErrorKind::InvalidNameAddr));
                }
                bracketed = true;
            }
            Some(b'<') => bracketed = true,
            _ => {
                // Either `*(token LWS) <` or an addr-spec: a token directly followed by ':'
                // is a URI scheme.
                let first = c.take_while(is_token);
                if c.peek() == Some(b':') && !first.is_empty() {
                    c.reset_to(start);
                    bracketed = false;
                } else {
                    loop {
                        c.skip_lws();
                        match c.peek() {
                            Some(b'<') => break,
                            Some(b) if is_token(b) => {
                                c.take_while(is_token);
                            }
                            _ => return Err(c.err(ErrorKind::InvalidDisplayName)),
                        }
                    }
                    let text = chars::trim_lws(c.slice(start));
                    if text.is_empty() {
                        return Err(c.err(ErrorKind::InvalidDisplayName));
                    }
                    display = Some(text);
                    bracketed = true;
                }
            }
        }
        let uri = if bracketed {
            c.bump();
            let uri_start = c.pos();
            let Some(len) = chars::find_byte(b'>', c.rest()) else {
                return Err(c.err(ErrorKind::InvalidNameAddr));
            };
            let text = c.rest().get(..len).unwrap_or(&[]);
            if let Some(ws) = text.iter().position(|&b| is_lws(b)) {
                return Err(c.err_at(ErrorKind::InvalidNameAddr, uri_start + ws));
            }
            let text = c
                .str_range(uri_start, uri_start + text.len())
                .ok_or_else(|| c.err_at(ErrorKind::InvalidUri, uri_start))?;
            let uri = Uri::parse_str(text, base + uri_start, strict)?;
            c.reset_to(uri_start + len + 1);
            uri
        } else {
            let uri_start = c.pos();
            let text = c.take_while(|b| !is_lws(b) && b != b';');
            if let Some(bad) = text
                .iter()
                .position(|&b| matches!(b, b'?' | b',' | b'<' | b'>' | b'"'))
            {
                return Err(c.err_at(ErrorKind::InvalidNameAddr, uri_start + bad));
            }
            let text = c
                .str_range(uri_start, uri_start + text.len())
                .ok_or_else(|| c.err_at(ErrorKind::InvalidUri, uri_start))?;
            Uri::parse_str(text, base + uri_start, strict)?
        };
        let params = Params::read(&mut c, ParamSyntax::Header)?;
        super::expect_end(&mut c, ErrorKind::InvalidNameAddr)?;
        let display_name = match display {
            Some(d) => {
                // `d` is a piece of `value`; its offset lets the cursor's checked text serve.
                let at = d.as_ptr() as usize - value.as_ptr() as usize;
                Some(
                    c.str_range(at, at + d.len())
                        .ok_or_else(|| ParseError::new(ErrorKind::InvalidUtf8, base + start))?,
                )
            }
            None => None,
        };
        Ok(Self {
            display_name,
            uri,
            bracketed,
            params,
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.value("tag")
    }

    /// The display name without quotes and escapes.
    pub fn display_name_unquoted(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(unquote)
    }

    /// The `expires` parameter of a Contact.
    pub fn expires(&self) -> Option<u32> {
        self.params.value("expires").and_then(|v| v.parse().ok())
    }

    /// The `q` parameter of a Contact, as on the wire (`0.33`).
    pub fn q(&self) -> Option<&'a str> {
        self.params.value("q")
    }

    /// The `+sip.instance` parameter (RFC 5626), without quotes: `<urn:uuid:...>`.
    pub fn sip_instance(&self) -> Option<&'a str> {
        self.params
            .value("+sip.instance")
            .map(|v| v.trim_matches('"'))
    }

    /// The Microsoft endpoint id (`epid`, [MS-SIPRE] §3.2).
    pub fn epid(&self) -> Option<&'a str> {
        self.params.value("epid")
    }
}

/// One Contact value: `*` or an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *` (remove all bindings, RFC 3261 §10.2.2).
    Wildcard,
    /// An address with its parameters (`expires`, `q`, `+sip.instance`, ...).
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one Contact value.
    ///
    /// # Errors
    ///
    /// As [`NameAddr::parse`], plus [`ErrorKind::NumberOutOfRange`] for an `expires`
    /// parameter above 2^32-1 and [`ErrorKind::InvalidParam`] for a malformed `q`.
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        parse_contact(value, 0, false)
    }

    /// The address, unless this is the wildcard.
    pub fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Self::Wildcard => None,
            Self::Address(a) => Some(a),
        }
    }
}

pub(crate) fn parse_contact(
    value: &[u8],
    base: usize,
    strict: bool,
) -> Result<Contact<'_>, ParseError> {
    if chars::trim_lws(value) == b"*" {
        return Ok(Contact::Wildcard);
    }
    let a = NameAddr::parse_at(value, base, strict)?;
    if let Some(e) = a.params.value("expires") {
        chars::parse_decimal(e.as_bytes(), u64::from(u32::MAX)).map_err(|too_big| {
            let kind = if too_big {
                ErrorKind::NumberOutOfRange
            } else {
                ErrorKind::InvalidNumber
            };
            ParseError::new(kind, base)
        })?;
    }
    if let Some(q) = a.q() {
        let ok = match q.split_once('.') {
            None => q == "0" || q == "1",
            Some(("0", f)) => f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()),
            Some(("1", f)) => f.len() <= 3 && f.bytes().all(|b| b == b'0'),
            _ => false,
        };
        if !ok {
            return Err(ParseError::new(ErrorKind::InvalidParam, base));
        }
    }
    Ok(Contact::Address(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let a = NameAddr::parse(b"sip:caller@example.net;tag=134161461246").unwrap();
        assert!(!a.bracketed);
        assert_eq!(
            (a.uri.as_str(), a.tag()),
            ("sip:caller@example.net", Some("134161461246"))
        );
        let a = NameAddr::parse(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(a.display_name, Some("caller"));
        let a = NameAddr::parse(
            b"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .unwrap();
        assert_eq!(
            a.display_name_unquoted().as_deref(),
            Some("J Rosenberg \\\"")
        );
        assert_eq!(a.tag(), Some("98asjd8"));
        let a =
            NameAddr::parse(b"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>").unwrap();
        assert_eq!(a.display_name, Some("token1~` token2'+_ token3*%!.-"));
        let a = NameAddr::parse(b"\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n")
            .unwrap();
        assert_eq!(a.tag(), Some("1918181833n"));
        let a = NameAddr::parse(b"<http://www.example.com>;tag=3234233").unwrap();
        assert_eq!(a.uri.scheme(), "http");
        let a = NameAddr::parse(b"isbn:2983792873").unwrap();
        assert_eq!(a.uri.as_str(), "isbn:2983792873");
    }

    #[test]
    fn invalid() {
        let kind = |v: &[u8]| NameAddr::parse(v).unwrap_err().kind();
        assert_eq!(
            kind(b"\"Mr. J. User <sip:j.user@example.com>"),
            ErrorKind::UnterminatedQuotedString
        );
        assert_eq!(
            kind(b"\"Watson, Thomas\" < sip:t.watson@example.org >"),
            ErrorKind::InvalidNameAddr
        );
        assert_eq!(
            kind(b"Bell, Alexander <sip:a.g.bell@example.com>;tag=43"),
            ErrorKind::InvalidDisplayName
        );
        assert_eq!(
            kind(b"sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
            ErrorKind::InvalidNameAddr
        );
        assert_eq!(
            kind(b"\"Joe\" <sip:joe@example.org>;;;;"),
            ErrorKind::InvalidParam
        );
        assert_eq!(kind(b"<sip:a@b"), ErrorKind::InvalidNameAddr);
        assert_eq!(kind(b"<sip:a@b> junk"), ErrorKind::InvalidNameAddr);
    }

    #[test]
    fn contacts() {
        assert_eq!(Contact::parse(b" * ").unwrap(), Contact::Wildcard);
        let c = Contact::parse(b"<sip:vvx@10.222.202.232:60618;transport=tls>;methods=\"INVITE, ACK, BYE\";proxy=replace;+sip.instance=\"<urn:uuid:43a160e1-13ce-5cc6-804c-4a288a2c1873>\"").unwrap();
        let a = c.address().unwrap();
        assert_eq!(
            a.sip_instance(),
            Some("<urn:uuid:43a160e1-13ce-5cc6-804c-4a288a2c1873>")
        );
        assert_eq!(a.params.value("proxy"), Some("replace"));
        let c = Contact::parse(b"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33").unwrap();
        assert_eq!(c.address().unwrap().q(), Some("0.33"));
        assert_eq!(
            Contact::parse(b"<sip:user@host129.example.com>\r\n  ;expires=280297596632815")
                .unwrap_err()
                .kind(),
            ErrorKind::NumberOutOfRange
        );
        assert_eq!(
            Contact::parse(b"<sip:a@b>;expires=3600")
                .unwrap()
                .address()
                .unwrap()
                .expires(),
            Some(3600)
        );
    }
}
