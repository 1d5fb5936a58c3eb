//! The service side, for emulators and test servers: the same protocols answered instead
//! of asked. Sans-IO like the rest of the crate: a [`ServerRequest`] view goes in (method,
//! target, headers, body, filled in by the caller's HTTP server), a [`ServerResponse`]
//! comes out; time and randomness are passed in.
//!
//! | module | answers |
//! |---|---|
//! | [`autodiscover`] | Root and User resources (XML and JSON), the web-ticket challenge |
//! | [`mex`] | WSDL/MEX documents with ports and supporting-token policies |
//! | [`ticket`] | `IssueToken` (WS-Trust): issues SAML web tickets, bearer and proof-key, and checks them later |
//! | [`orgid`] | realm discovery and the OrgID `RST2.srf` endpoint |
//! | [`device_code`] | an OAuth 2.0 device-code authority (device authorization, token, approval) |
//!
//! Everything here follows `web-services.md` and marks its own UNCONFIRMED choices.

pub mod autodiscover;
pub mod device_code;
pub mod mex;
pub mod orgid;
pub mod ticket;

use std::fmt;

/// One HTTP request as the caller's server received it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerRequest<'a> {
    /// `GET`, `POST`, ... as received.
    pub method: &'a str,
    /// The request target: path and query (`/path?query`), as received.
    pub target: &'a str,
    /// Header fields in order, repeated names kept.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body.
    pub body: &'a [u8],
}

impl<'a> ServerRequest<'a> {
    /// A request with no headers and an empty body.
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self {
            method,
            target,
            headers: Vec::new(),
            body: &[],
        }
    }

    /// Adds a header (builder style).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets the body (builder style).
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The first header named `name` (case-insensitive), trimmed.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The path (the target before `?`).
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The raw query (after `?`), if any.
    pub fn query(&self) -> Option<&'a str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
}

impl fmt::Debug for ServerRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The answer for the caller's server to send.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerResponse {
    /// The status code.
    pub status: u16,
    /// Header fields in order (the caller adds `Content-Length`, `Date`, `Server`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ServerResponse {
    /// A response with no headers and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (builder style).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body and its `Content-Type` (builder style).
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("Content-Type".to_string(), content_type.to_string()));
        self.body = body.into();
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}
