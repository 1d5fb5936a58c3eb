use std::borrow::Cow;
use std::fmt;

use crate::chars::{is_token, trim_lws, utf8};
use crate::error::{ErrorKind, ParseError};
use crate::scan::{CommaSplit, Cursor, unquote};

/// A challenge (`WWW-Authenticate`, `Proxy-Authenticate`) or credentials
/// (`Authorization`, `Proxy-Authorization`): a scheme and its parameters.
///
/// Schemes are kept as sent (`Digest`, `NTLM`, `Kerberos`, `TLS-DSK`, anything else);
/// parameters are kept in order with their raw values, quoted or not, so signatures over
/// them can be checked byte for byte. Every parameter may be quoted or not: Microsoft
/// servers quote `qop` and leave `version` bare.
///
/// ```
/// use sip_core::Authentication;
/// let a = Authentication::parse(br#"TLS-DSK qop="auth", realm="SIP Communications Service", targetname="fe.contoso.com", gssapi-data="FgMBAEQ=", version=4"#)?;
/// assert_eq!(a.scheme, "TLS-DSK");
/// assert_eq!(a.params.get("gssapi-data"), Some(r#""FgMBAEQ=""#));
/// assert_eq!(a.params.get_unquoted("realm").as_deref(), Some("SIP Communications Service"));
/// assert_eq!(a.params.get("version"), Some("4"));
/// # Ok::<(), sip_core::ParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authentication<'a> {
    /// The scheme as on the wire.
    pub scheme: &'a str,
    /// The parameters.
    pub params: AuthParams<'a>,
}

/// The parameter list of an authentication header.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthParams<'a> {
    raw: &'a str,
}

/// One `name=value` authentication parameter; `value` is raw (quotes kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// The name as on the wire.
    pub name: &'a str,
    /// The raw value, quotes kept.
    pub value: &'a str,
}

impl<'a> AuthParam<'a> {
    /// The value without quotes and escapes.
    pub fn unquoted(&self) -> Cow<'a, str> {
        unquote(self.value)
    }
}

impl fmt::Debug for AuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> AuthParams<'a> {
    /// The raw text of the parameter list.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The parameters in order. A `token68` credential (`Bearer abc==`) is not a
    /// parameter; see [`AuthParams::token68`].
    pub fn iter(&self) -> impl Iterator<Item = AuthParam<'a>> + 'a {
        let raw = self.raw;
        CommaSplit::new(raw.as_bytes(), 0).filter_map(move |(item, at)| {
            let item = raw.get(at..at + item.len())?;
            let (n, v) = item.split_once('=')?;
            Some(AuthParam {
                name: n.trim_end(),
                value: v.trim_start_matches(|c: char| c.is_ascii_whitespace()),
            })
        })
    }

    /// The raw value of the first parameter with this name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// The value of the first parameter with this name, without quotes and escapes.
    pub fn get_unquoted(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).map(unquote)
    }

    /// A `token68` blob instead of parameters (RFC 7235), if that is what was sent.
    pub fn token68(&self) -> Option<&'a str> {
        let first = self.raw.split(',').next()?.trim();
        (!first.is_empty() && !first.contains('=')
            || first.ends_with('=') && !first.trim_end_matches('=').contains('='))
        .then_some(first)
    }
}

fn value_char(b: u8) -> bool {
    is_token(b) || matches!(b, b'/' | b':' | b'@' | b'=')
}

/// Reads one `scheme [params]` from the cursor; stops before a comma that starts the next
/// challenge.
fn read_one<'a>(
    c: &mut Cursor<'a>,
    scheme_required: bool,
) -> Result<(Option<&'a str>, AuthParams<'a>), ParseError> {
    c.skip_lws();
    let start = c.pos();
    let first = c.take_while(is_token);
    if first.is_empty() {
        return Err(c.err(ErrorKind::InvalidAuth));
    }
    let mut probe = c.clone();
    probe.skip_lws();
    let scheme = if !scheme_required && probe.peek() == Some(b'=') {
        c.reset_to(start);
        None
    } else {
        if !c.eof() && !c.skip_lws() {
            return Err(c.err(ErrorKind::InvalidAuth));
        }
        Some(utf8(first).unwrap_or_default())
    };
    let params_start = c.pos();
    let mut params_end = params_start;
    let mut first_item = true;
    loop {
        c.skip_lws();
        if c.eof() {
            break;
        }
        let item = c.pos();
        let name = c.take_while(is_token);
        if name.is_empty() {
            return Err(c.err(ErrorKind::InvalidAuth));
        }
        if c.eat_sep(b'=') {
            if c.peek() == Some(b'"') {
                c.quoted()?;
            } else if c.take_while(value_char).is_empty() {
                return Err(c.err(ErrorKind::InvalidAuth));
            }
        } else if first_item && scheme.is_some() {
            // token68 credentials: `Bearer abc==`.
            c.take_while(|b| b == b'=');
        } else {
            // A token without `=` after a comma starts the next challenge.
            c.reset_to(item);
            break;
        }
        first_item = false;
        params_end = c.pos();
        c.skip_lws();
        if c.eof() {
            break;
        }
        if !c.eat(b',') {
            return Err(c.err(ErrorKind::InvalidAuth));
        }
        // Empty list elements (`a=1,,b=2`) are tolerated, as RFC 7230 §7 asks.
        while c.eat_sep(b',') {}
    }
    let raw = c.range(params_start, params_end);
    let raw = utf8(trim_lws(raw)).ok_or_else(|| c.err_at(ErrorKind::InvalidUtf8, params_start))?;
    Ok((scheme, AuthParams { raw }))
}

impl<'a> Authentication<'a> {
    /// Parses a value holding exactly one challenge or credentials.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAuth`] for a malformed value or a second challenge in the
    /// value (use [`Authentication::parse_all`] for those),
    /// [`ErrorKind::UnterminatedQuotedString`] for an open quote.
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        let mut all = Self::parse_all(value);
        let first = all
            .next()
            .unwrap_or_else(|| Err(ParseError::new(ErrorKind::InvalidAuth, 0)))?;
        match all.next() {
            None => Ok(first),
            Some(_) => Err(ParseError::new(ErrorKind::InvalidAuth, 0)),
        }
    }

    /// Parses every challenge in one header value (`Digest realm="a", NTLM realm="b"`).
    pub fn parse_all(value: &'a [u8]) -> Challenges<'a> {
        Challenges::new(value, 0)
    }

    /// Shorthand for `self.params.get(name)`.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }

    /// True if the scheme is `scheme`, ignoring case.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// Iterator over the challenges in one or more header values; stops after the first error.
#[derive(Clone, Debug)]
pub struct Challenges<'a> {
    cursor: Cursor<'a>,
    done: bool,
}

impl<'a> Challenges<'a> {
    pub(crate) fn new(value: &'a [u8], base: usize) -> Self {
        let mut cursor = Cursor::new(value, base);
        cursor.skip_lws();
        Self {
            done: cursor.eof(),
            cursor,
        }
    }
}

impl<'a> Iterator for Challenges<'a> {
    type Item = Result<Authentication<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = read_one(&mut self.cursor, true).map(|(scheme, params)| Authentication {
            scheme: scheme.unwrap_or_default(),
            params,
        });
        self.cursor.skip_lws();
        self.done = r.is_err() || self.cursor.eof();
        Some(r)
    }
}

/// `Authentication-Info` / `Proxy-Authentication-Info`. RFC 3261 sends bare parameters;
/// Microsoft servers put the scheme first
/// (`TLS-DSK qop="auth", opaque="...", srand="...", snum="1", rspauth="...", ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticationInfo<'a> {
    /// The scheme, if the value starts with one.
    pub scheme: Option<&'a str>,
    /// The parameters.
    pub params: AuthParams<'a>,
}

impl<'a> AuthenticationInfo<'a> {
    /// Parses the value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAuth`] or [`ErrorKind::UnterminatedQuotedString`].
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        let (scheme, params) = read_one(&mut c, false)?;
        super::expect_end(&mut c, ErrorKind::InvalidAuth)?;
        Ok(Self { scheme, params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_forms() {
        let v = br#"TLS-DSK opaque="E30C2F6B", gssapi-data="FgMBEpUCAABNAwFYrSE9", targetname="SG20F03FES06.infra.lync.com", realm="SIP Communications Service", version=4, sts-uri="https://webpoolsg20f03.infra.lync.com:443/CertProv/CertProvisioningService.svc""#;
        let a = Authentication::parse(v).unwrap();
        assert_eq!(a.params.iter().count(), 6);
        assert_eq!(
            a.params.get_unquoted("sts-uri").as_deref(),
            Some("https://webpoolsg20f03.infra.lync.com:443/CertProv/CertProvisioningService.svc")
        );
        let info = AuthenticationInfo::parse(br#"TLS-DSK qop="auth", opaque="F755045D", srand="1D9666D9", snum="17", rspauth="3359c8ac2e6229b2eb9738ac707dc8c3e54f65f0", targetname="PROXY.company1", realm="SIP Communications Service", version=4"#).unwrap();
        assert_eq!(info.scheme, Some("TLS-DSK"));
        assert_eq!(info.params.get_unquoted("snum").as_deref(), Some("17"));
        let info =
            AuthenticationInfo::parse(br#"nextnonce="47364c23432d2e131a5fb210812c", qop=auth"#)
                .unwrap();
        assert_eq!(info.scheme, None);
        assert_eq!(info.params.get("qop"), Some("auth"));
    }

    #[test]
    fn several_challenges_in_one_value() {
        let v = br#"Digest realm="atlanta.com", nonce="a,b", qop="auth", NTLM realm="SIP Communications Service", targetname="fe.contoso.com", version=4, Negotiate"#;
        let all: Vec<_> = Authentication::parse_all(v)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].param("nonce"), Some("\"a,b\""));
        assert_eq!(all[1].scheme, "NTLM");
        assert_eq!(all[1].param("version"), Some("4"));
        assert_eq!(all[2].scheme, "Negotiate");
        assert!(Authentication::parse(v).is_err());
    }

    #[test]
    fn odd_and_bad() {
        let a = Authentication::parse(b"NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(a.param("opaque-data"), Some("here"));
        let a = Authentication::parse(b"Bearer eyJ0eXAi.eyJh-_bG==").unwrap();
        assert_eq!(a.params.token68(), Some("eyJ0eXAi.eyJh-_bG=="));
        assert_eq!(
            Authentication::parse(b"Digest realm=\"x")
                .unwrap_err()
                .kind(),
            ErrorKind::UnterminatedQuotedString
        );
        assert_eq!(
            Authentication::parse(b"").unwrap_err().kind(),
            ErrorKind::InvalidAuth
        );
        assert_eq!(
            Authentication::parse(b"Digest realm=\"x\" nonce=\"y\"")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidAuth
        );
    }
}
