//! The error type of this crate, split by cause.
//!
//! [`Error`] is what every fallible function returns. Its variants group the causes so that
//! a caller can react per group:
//!
//! | variant | cause | typical reaction |
//! |---|---|---|
//! | [`Error::Malformed`] | the peer sent something this crate cannot read | try the next server / report a server bug |
//! | [`Error::Limit`] | the input exceeds a safety limit (size, depth, DTD) | drop the response; do not retry the same server |
//! | [`Error::Server`] | the server answered with a fault, an HTTP error or an OAuth error | show the reason; maybe retry later |
//! | [`Error::Auth`] | credentials were rejected or the sign-in was declined/expired | ask the user again / restart the flow |
//! | [`Error::Discovery`] | autodiscover found no usable SIP pool | fall back to DNS SRV |
//! | [`Error::Misuse`] | the caller passed invalid input or called a method out of order | fix the calling code |

use std::fmt;

use crate::soap::{MsDiagnostics, SoapFault};

/// Every error of this crate. See the [module documentation](self) for the grouping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A response could not be parsed. Treat the server as broken for this request: try the
    /// next autodiscover URL or report the failure; retrying the same request rarely helps.
    #[error(transparent)]
    Malformed(#[from] MalformedError),
    /// A response exceeded a safety limit or used a forbidden XML construct. Drop it; raise
    /// the limit only for trusted servers that legitimately send larger documents.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The server answered with an error (SOAP fault, HTTP error status with
    /// `X-Ms-diagnostics`, OAuth error). Show the reason to the user or log it.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Authentication failed or cannot proceed. Ask the user for new credentials or restart
    /// the sign-in flow; do not loop.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Autodiscover did not reach a SIP pool. Fall back to DNS SRV or manual configuration.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The caller passed invalid input or called a method in the wrong state. Fix the caller.
    #[error(transparent)]
    Misuse(#[from] MisuseError),
}

/// A response body or header could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedError {
    /// The XML is not well-formed (or not namespace-well-formed). `offset` is the byte
    /// offset in the body. The server sent garbage: try another server.
    #[error("invalid xml at byte {offset}: {reason}")]
    Xml {
        /// Byte offset of the problem in the parsed body.
        offset: usize,
        /// What the XML reader complained about.
        reason: String,
    },
    /// The body is not UTF-8. Only UTF-8 documents are supported (every Lync and Azure AD
    /// endpoint sends UTF-8); report the server.
    #[error("body is not valid utf-8")]
    NotUtf8,
    /// An element or attribute uses a namespace prefix that is not declared. The document
    /// is not namespace-well-formed; report the server.
    #[error("undeclared namespace prefix `{prefix}`")]
    UnboundPrefix {
        /// The prefix that has no `xmlns:` declaration in scope.
        prefix: String,
    },
    /// An entity reference other than the five predefined ones or a character reference.
    /// Custom entities need a DTD, which this crate never processes.
    #[error("undeclared entity reference `&{name};`")]
    UndeclaredEntity {
        /// The entity name between `&` and `;`.
        name: String,
    },
    /// The JSON body could not be parsed. Report the server.
    #[error("invalid json: {reason}")]
    Json {
        /// What the JSON parser complained about.
        reason: String,
    },
    /// A required element, attribute or field is missing. The response does not have the
    /// expected shape (wrong endpoint, or an unsupported server version).
    #[error("missing {what}")]
    Missing {
        /// The missing item, named as in the protocol (`wst:Lifetime`, `device_code`, ...).
        what: &'static str,
    },
    /// An item is present but its value is unusable (bad base64, bad date, bad port, ...).
    /// Values are not echoed because some of them are secrets.
    #[error("invalid {what}")]
    Invalid {
        /// The invalid item, named as in the protocol.
        what: &'static str,
    },
    /// The document element is not what this parser expects (e.g. an HTML login page
    /// instead of a SOAP envelope). Check the URL the request went to.
    #[error("unexpected document element `{found}`, expected `{expected}`")]
    UnexpectedRoot {
        /// The expected local name.
        expected: &'static str,
        /// The local name that was found.
        found: String,
    },
    /// The response has a content type this parser does not accept (captive portals and
    /// proxies answer with `text/html`). Try the next URL.
    #[error("unexpected content type `{content_type}`")]
    UnexpectedContentType {
        /// The `Content-Type` header value (empty when absent).
        content_type: String,
    },
}

/// A safety limit was exceeded or a forbidden construct was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The body is larger than the configured limit. Raise
    /// [`XmlLimits::max_size`](crate::xml::XmlLimits) for trusted servers.
    #[error("document of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Size of the body in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Elements nest deeper than the configured limit.
    #[error("element nesting exceeds the depth limit of {limit}")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// More elements than the configured limit.
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The configured limit.
        limit: usize,
    },
    /// An element carries more attributes than the configured limit.
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// The configured limit.
        limit: usize,
    },
    /// More namespace declarations are in scope at one element (declared on it and on its
    /// ancestors) than the configured limit. Raise
    /// [`XmlLimits::max_namespace_declarations`](crate::xml::XmlLimits) for trusted
    /// servers.
    #[error("more than {limit} namespace declarations in scope")]
    TooManyNamespaceDeclarations {
        /// The configured limit.
        limit: usize,
    },
    /// The document has a `<!DOCTYPE>`. DTDs are never processed (no entity expansion,
    /// no external resources), so such a document is refused outright. No Lync or Azure
    /// endpoint sends one; treat it as an attack.
    #[error("document type declarations are not allowed")]
    DtdForbidden,
}

/// The server reported an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A SOAP fault, found in the body whatever the HTTP status was. Show
    /// [`SoapFault::message`] to the user; [`SoapFault::ocs_diagnostics`] carries the
    /// Lync error id when present.
    #[error("soap fault: {0}")]
    Fault(Box<SoapFault>),
    /// An HTTP error status without a SOAP fault. `diagnostics` is the parsed
    /// `X-Ms-diagnostics` header when the server sent one (e.g. `28000` "User is not SIP
    /// enabled."). Report it; retrying rarely helps for 4xx.
    #[error("http status {status}{}", DiagSuffix(.diagnostics.as_deref()))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The parsed `X-Ms-diagnostics` header, if any.
        diagnostics: Option<Box<MsDiagnostics>>,
    },
    /// An OAuth 2.0 error response (`{"error": ..., "error_description": ...}`) that is
    /// not one of the device-code outcomes mapped to [`AuthError`]. Show the description.
    #[error("oauth error `{error}`{}", OptSuffix(.description.as_deref()))]
    OAuth {
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
}

/// Authentication was refused, declined or expired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The server answered `401` again although the request carried a credential. The
    /// credential (web ticket or bearer token) is not accepted for this resource: get a new
    /// one, or ask the user to sign in again. The client does not retry by itself.
    #[error("credential rejected by {url}")]
    CredentialRejected {
        /// The URL that rejected the credential.
        url: String,
    },
    /// A `401` challenge offered no scheme this crate supports (no `X-MS-WebTicketURL`, no
    /// `MsRtcOAuth`, no `Bearer`). Integrated Windows authentication must be done by the
    /// caller's HTTP stack.
    #[error("no supported authentication scheme in the challenge")]
    NoSupportedScheme,
    /// A credential would be sent over plain `http://`. Refused; the server should have
    /// redirected to HTTPS.
    #[error("refusing to send a credential over plain http to {url}")]
    InsecureUrl {
        /// The plain-HTTP URL.
        url: String,
    },
    /// The device code expired before the user completed sign-in (`expired_token`, or the
    /// `expires_in` window elapsed). Start a new device authorization and show the new code.
    #[error("device code expired")]
    DeviceCodeExpired,
    /// The user declined the sign-in (`access_denied` / `authorization_declined`). Do not
    /// retry without user action.
    #[error("sign-in declined by the user")]
    AccessDenied,
    /// The server did not recognise the device code (`bad_verification_code`). Start a new
    /// device authorization.
    #[error("device code not recognised")]
    BadVerificationCode,
    /// A token's lifetime has already ended (or ends within the refresh margin). Request a
    /// new one.
    #[error("token expired")]
    TokenExpired,
}

/// Autodiscover could not reach a SIP pool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// More redirects than the hop limit. A misconfigured deployment; try another entry URL
    /// or fall back to DNS SRV.
    #[error("more than {limit} autodiscover redirects")]
    TooManyHops {
        /// The configured hop limit.
        limit: usize,
    },
    /// A redirect pointed back to a URL that was already visited.
    #[error("autodiscover redirect loop at {url}")]
    RedirectLoop {
        /// The URL visited twice.
        url: String,
    },
    /// A redirect from `https://` to `http://` was refused.
    #[error("refusing https to http redirect to {url}")]
    SchemeDowngrade {
        /// The plain-HTTP redirect target.
        url: String,
    },
    /// The User resource answered `404`: the user is unknown to this deployment. Check the
    /// SIP address.
    #[error("user not found by autodiscover")]
    UserNotFound,
    /// The User resource listed no SIP access entry usable from this access location.
    #[error("autodiscover returned no usable sip access entry")]
    NoSipAccess,
    /// A redirect target is not an absolute `http(s)` URL.
    #[error("invalid redirect target `{url}`")]
    InvalidRedirect {
        /// The unusable target.
        url: String,
    },
    /// The request could not be sent or answered below HTTP (DNS, TCP, TLS), as reported
    /// by the caller.
    #[error("could not reach {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The caller's description of the failure.
        reason: String,
    },
    /// Every entry URL failed. `last` is the failure of the last URL tried. Fall back to DNS
    /// SRV (`_sipinternaltls._tcp`, `_sip._tls`) or manual configuration.
    #[error("autodiscover failed on all {tried} entry urls{}", LastSuffix(.last.as_deref()))]
    Exhausted {
        /// How many entry URLs were tried.
        tried: usize,
        /// The error of the last attempt, if any.
        #[source]
        last: Option<Box<Error>>,
    },
}

/// The caller used the API incorrectly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MisuseError {
    /// The SIP address is not of the form `user@domain` (an optional `sip:` prefix is
    /// accepted).
    #[error("invalid sip address: {reason}")]
    InvalidSipAddress {
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A URL passed in is not an absolute `http://` or `https://` URL.
    #[error("invalid url `{url}`")]
    InvalidUrl {
        /// The rejected URL.
        url: String,
    },
    /// A value to be inserted into XML contains a character XML 1.0 cannot represent
    /// (control characters other than tab, CR, LF). Such a value cannot be sent.
    #[error("{what} contains a character that xml cannot represent")]
    InvalidXmlChar {
        /// Which value.
        what: &'static str,
    },
    /// A value to be inserted into an HTTP header contains CR, LF or another control
    /// character.
    #[error("{what} cannot be used in an http header")]
    InvalidHeaderValue {
        /// Which value.
        what: &'static str,
    },
    /// A required input is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// Which value.
        what: &'static str,
    },
    /// A state machine method was called in a state where it makes no sense, e.g.
    /// `handle_response` with no request outstanding. Follow the call order documented on
    /// the type.
    #[error("{call} is not allowed now: {state}")]
    UnexpectedCall {
        /// The method that was called.
        call: &'static str,
        /// The state the machine is in.
        state: &'static str,
    },
    /// The proof key cannot be computed: the response carries server entropy but no client
    /// entropy was passed, or the other way round.
    #[error("proof key material does not match the request: {reason}")]
    ProofKeyMismatch {
        /// What is missing.
        reason: &'static str,
    },
}

struct DiagSuffix<'a>(Option<&'a MsDiagnostics>);

impl fmt::Display for DiagSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

struct OptSuffix<'a>(Option<&'a str>);

impl fmt::Display for OptSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, ": {d}"),
            None => Ok(()),
        }
    }
}

struct LastSuffix<'a>(Option<&'a Error>);

impl fmt::Display for LastSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(e) => write!(f, "; last error: {e}"),
            None => Ok(()),
        }
    }
}

impl From<SoapFault> for Error {
    fn from(f: SoapFault) -> Self {
        Self::Server(ServerError::Fault(Box::new(f)))
    }
}

/// Shorthand for a missing item.
pub(crate) fn missing(what: &'static str) -> Error {
    Error::Malformed(MalformedError::Missing { what })
}

/// Shorthand for an invalid item.
pub(crate) fn invalid(what: &'static str) -> Error {
    Error::Malformed(MalformedError::Invalid { what })
}
