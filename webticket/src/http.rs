//! Plain HTTP request and response values exchanged with the caller's HTTP client.
//!
//! This crate never performs HTTP. Builders return an [`HttpRequest`] (method, absolute
//! URL, headers, body) that the caller sends with any client; the caller then describes
//! the answer as an [`HttpResponse`] view and hands it back to a parser or state machine.
//!
//! The caller's client should not follow redirects for autodiscover requests on its own
//! (the [`AutodiscoverClient`](crate::autodiscover::AutodiscoverClient) follows them with a
//! hop limit and a visited set) and must not add credentials this crate did not put in.

use std::fmt;

use crate::error::{Error, MisuseError};

/// HTTP request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header names this crate treats as secret in `Debug` output.
const SENSITIVE: [&str; 3] = ["authorization", "x-ms-webticket", "cookie"];

/// A request for the caller to send.
///
/// `Debug` redacts credential headers (`Authorization`, `X-MS-WebTicket`) and prints only the
/// body length, because bodies can hold passwords (OrgID) or tokens.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL (`https://host[:port]/path?query`).
    pub url: String,
    /// Header fields in order. Names are in their conventional spelling; values never
    /// contain CR or LF.
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Appends a header.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidHeaderValue`] when the value contains a control character
    /// (CR/LF would allow header injection).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        check_header_value("header value", &value)?;
        self.headers.push((name.to_owned(), value));
        Ok(self)
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (bodies built by this crate are UTF-8).
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut m = f.debug_map();
                for (n, v) in self.0 {
                    if SENSITIVE.iter().any(|s| n.eq_ignore_ascii_case(s)) {
                        m.entry(n, &"[redacted]");
                    } else {
                        m.entry(n, v);
                    }
                }
                m.finish()
            }
        }
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &Headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A view of an HTTP response, filled in by the caller.
///
/// ```
/// use webticket::http::HttpResponse;
///
/// let resp = HttpResponse::new(401, b"")
///     .header("X-MS-WebTicketURL", "https://pool/WebTicket/WebTicketService.svc")
///     .header("WWW-Authenticate", "Bearer")
///     .header("www-authenticate", "NTLM");
/// assert_eq!(resp.get("x-ms-webticketurl"), Some("https://pool/WebTicket/WebTicketService.svc"));
/// assert_eq!(resp.get_all("WWW-Authenticate").count(), 2);
/// ```
///
/// `Debug` prints the body length only: response bodies carry tokens (RSTR assertions,
/// OAuth access tokens).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpResponse<'a> {
    /// The status code.
    pub status: u16,
    /// Header fields as received, in order, repeated names kept.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body, already de-chunked and decompressed.
    pub body: &'a [u8],
}

impl<'a> HttpResponse<'a> {
    /// A response with no headers.
    pub fn new(status: u16, body: &'a [u8]) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header (builder style).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The first header named `name` (case-insensitive), trimmed.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.get_all(name).next()
    }

    /// Every header named `name` (case-insensitive), trimmed, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The media type of `Content-Type`, lower-cased, without parameters (`""` if absent).
    pub fn media_type(&self) -> String {
        self.get("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for HttpResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

pub(crate) fn check_header_value(what: &'static str, v: &str) -> Result<(), Error> {
    if v.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        Err(MisuseError::InvalidHeaderValue { what }.into())
    } else {
        Ok(())
    }
}

/// Characters left alone by [`percent_encode`]: RFC 3986 unreserved.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes `s` for a query value or form field; `keep` lists extra bytes left as
/// they are (e.g. `@` for the `sipuri` parameter, as Lync clients send it).
pub(crate) fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        if is_unreserved(b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds an `application/x-www-form-urlencoded` body (spaces as `%20`, which every
/// form parser accepts).
pub(crate) fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k, &[]), percent_encode(v, &[])))
        .collect::<Vec<_>>()
        .join("&")
}

/// A parsed absolute `http(s)` URL, as far as this crate needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) authority: &'a str,
    pub(crate) rest: &'a str,
}

impl<'a> Url<'a> {
    /// Splits an absolute `http://` or `https://` URL. Userinfo is refused.
    pub(crate) fn parse(url: &'a str) -> Option<Self> {
        let (scheme, after) = url.split_once("://")?;
        if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
            return None;
        }
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = &after[..end];
        if authority.is_empty()
            || authority.contains('@')
            || authority.bytes().any(|b| b.is_ascii_control() || b == b' ')
            || url.bytes().any(|b| b.is_ascii_control() || b == b' ')
        {
            return None;
        }
        Some(Self {
            scheme,
            authority,
            rest: &after[end..],
        })
    }

    pub(crate) fn is_https(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("https")
    }

    /// Resolves a `Location` value against this URL: absolute URLs, network-path
    /// (`//host/...`) and absolute-path (`/...`) references. Relative-path references are
    /// not used by the servers this crate talks to and are refused.
    pub(crate) fn resolve(&self, location: &str) -> Option<String> {
        let location = location.trim();
        if Url::parse(location).is_some() {
            return Some(location.to_owned());
        }
        if let Some(rest) = location.strip_prefix("//") {
            let candidate = format!("{}://{rest}", self.scheme);
            return Url::parse(&candidate).is_some().then_some(candidate);
        }
        if location.starts_with('/') {
            let candidate = format!("{}://{}{location}", self.scheme, self.authority);
            return Url::parse(&candidate).is_some().then_some(candidate);
        }
        None
    }

    /// A comparison key: scheme and authority lower-cased, path kept.
    pub(crate) fn key(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme.to_ascii_lowercase(),
            self.authority.to_ascii_lowercase(),
            self.rest
        )
    }
}

pub(crate) fn require_url(url: &str) -> Result<Url<'_>, Error> {
    Url::parse(url).ok_or_else(|| {
        MisuseError::InvalidUrl {
            url: url.to_owned(),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parsing_and_resolution() {
        let u = Url::parse("https://Pool.Contoso.com:443/a/b?x=1").unwrap();
        assert_eq!(u.key(), "https://pool.contoso.com:443/a/b?x=1");
        assert_eq!(
            u.resolve("/root?sipuri=a@b").as_deref(),
            Some("https://Pool.Contoso.com:443/root?sipuri=a@b")
        );
        assert_eq!(u.resolve("//other/x").as_deref(), Some("https://other/x"));
        assert_eq!(u.resolve("http://x/y").as_deref(), Some("http://x/y"));
        assert_eq!(u.resolve("relative"), None);
        assert!(Url::parse("ftp://x/").is_none());
        assert!(Url::parse("https://user@x/").is_none());
        assert!(Url::parse("https:///path").is_none());
        assert!(Url::parse("https://x/\r\nInjected: 1").is_none());
        assert!(Url::parse("https://[::1]:8443/").is_some());
    }

    #[test]
    fn encoding() {
        assert_eq!(percent_encode("a b&c@d", b"@"), "a%20b%26c@d");
        assert_eq!(
            form_encode(&[("grant_type", "device_code"), ("resource", "https://x/")]),
            "grant_type=device_code&resource=https%3A%2F%2Fx%2F"
        );
    }

    #[test]
    fn debug_redacts_credentials() {
        let r = HttpRequest::new(Method::Get, "https://x/")
            .with_header("Authorization", "Bearer secret-token")
            .unwrap()
            .with_header("X-MS-WebTicket", "opaque=c2VjcmV0")
            .unwrap()
            .with_body(b"password".to_vec());
        let s = format!("{r:?}");
        assert!(!s.contains("secret-token") && !s.contains("c2VjcmV0") && !s.contains("password"));
        assert!(s.contains("body_len: 8"));
        let resp = HttpResponse::new(200, br#"{"access_token":"secret-token"}"#);
        assert!(!format!("{resp:?}").contains("secret-token"));
        assert!(
            HttpRequest::new(Method::Get, "https://x/")
                .with_header("X", "a\r\nB: c")
                .is_err()
        );
    }
}
