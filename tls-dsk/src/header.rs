//! The TLS-DSK header values: challenge (`WWW-Authenticate`), credentials
//! (`Authorization`) and `Authentication-Info`, exactly in the forms Microsoft peers and
//! SIPE use (`tls-dsk.md` §1).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sip_core::{Authentication, AuthenticationInfo, Message};

use crate::error::HeaderError;

/// The scheme name.
pub const SCHEME: &str = "TLS-DSK";

/// Appends `name="value"` with the quoted-string escaped.
fn quoted(out: &mut String, name: &str, value: &str) {
    if !out.ends_with(' ') {
        out.push_str(", ");
    }
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn bare(out: &mut String, name: &str, value: &str) {
    if !out.ends_with(' ') {
        out.push_str(", ");
    }
    out.push_str(name);
    out.push('=');
    out.push_str(value);
}

/// The first TLS-DSK header among `headers`, read with `read`; other schemes are skipped.
fn first_tls_dsk<'a, T>(
    headers: impl Iterator<Item = Result<Authentication<'a>, sip_core::ParseError>>,
    read: impl Fn(&Authentication<'a>) -> Result<T, HeaderError>,
) -> Result<Option<T>, HeaderError> {
    for a in headers {
        let a = a.map_err(HeaderError::Parse)?;
        if a.is_scheme(SCHEME) {
            return read(&a).map(Some);
        }
    }
    Ok(None)
}

/// Reads the known parameters of an auth header; unknown ones are kept in order.
struct Params {
    known: Vec<(&'static str, String)>,
    other: Vec<(String, String)>,
}

const KNOWN: [&str; 13] = [
    "realm",
    "targetname",
    "version",
    "sts-uri",
    "opaque",
    "gssapi-data",
    "qop",
    "crand",
    "cnum",
    "response",
    "srand",
    "snum",
    "rspauth",
];

impl Params {
    fn read(params: &sip_core::AuthParams<'_>) -> Self {
        let mut known = Vec::new();
        let mut other = Vec::new();
        for p in params.iter() {
            match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(p.name)) {
                Some(k) => known.push((*k, p.unquoted().into_owned())),
                None => other.push((p.name.to_string(), p.value.to_string())),
            }
        }
        Self { known, other }
    }
    fn get(&self, name: &str) -> Option<String> {
        self.known
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
    fn version(&self) -> Result<Option<u32>, HeaderError> {
        self.get("version")
            .map(|v| v.parse().map_err(|_| HeaderError::Invalid("version")))
            .transpose()
    }
    fn gssapi(&self) -> Result<Option<Vec<u8>>, HeaderError> {
        self.get("gssapi-data")
            .map(|v| {
                B64.decode(v.as_bytes())
                    .map_err(|_| HeaderError::Invalid("gssapi-data base64"))
            })
            .transpose()
    }
}

/// A `TLS-DSK` challenge from `WWW-Authenticate` or `Proxy-Authenticate`.
///
/// ```
/// use tls_dsk::Challenge;
/// let c = Challenge::initial("SIP Communications Service", "fe.contoso.com", Some("https://fe.contoso.com/CertProv/CertProvisioningService.svc"));
/// assert_eq!(
///     c.to_value(),
///     r#"TLS-DSK realm="SIP Communications Service", targetname="fe.contoso.com", version=4, sts-uri="https://fe.contoso.com/CertProv/CertProvisioningService.svc""#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    /// `realm` (always "SIP Communications Service" in Microsoft deployments).
    pub realm: String,
    /// `targetname`: the server FQDN.
    pub targetname: String,
    /// `version` (4 for TLS-DSK).
    pub version: Option<u32>,
    /// `sts-uri`: the certificate provisioning service to get a client certificate from.
    pub sts_uri: Option<String>,
    /// `opaque`: the security association handle, from the second challenge on.
    pub opaque: Option<String>,
    /// `gssapi-data`, base64-decoded: a server TLS flight.
    pub gssapi_data: Option<Vec<u8>>,
    /// Parameters this crate does not interpret, raw.
    pub other: Vec<(String, String)>,
}

impl Challenge {
    /// The first challenge of a sign-in: realm, targetname, version 4 and the optional
    /// certificate provisioning URL.
    pub fn initial(realm: &str, targetname: &str, sts_uri: Option<&str>) -> Self {
        Self {
            realm: realm.into(),
            targetname: targetname.into(),
            version: Some(4),
            sts_uri: sts_uri.map(Into::into),
            ..Self::default()
        }
    }

    /// Reads a parsed challenge.
    ///
    /// # Errors
    ///
    /// [`HeaderError::NotTlsDsk`] for another scheme, [`HeaderError::Missing`] without
    /// realm or targetname, [`HeaderError::Invalid`] for a bad version or base64.
    pub fn from_auth(a: &Authentication<'_>) -> Result<Self, HeaderError> {
        if !a.is_scheme(SCHEME) {
            return Err(HeaderError::NotTlsDsk);
        }
        let p = Params::read(&a.params);
        Ok(Self {
            realm: p.get("realm").ok_or(HeaderError::Missing("realm"))?,
            targetname: p
                .get("targetname")
                .ok_or(HeaderError::Missing("targetname"))?,
            version: p.version()?,
            sts_uri: p.get("sts-uri"),
            opaque: p.get("opaque"),
            gssapi_data: p.gssapi()?,
            other: p.other,
        })
    }

    /// The first TLS-DSK challenge of a 401 (`WWW-Authenticate`) or 407
    /// (`Proxy-Authenticate`), skipping NTLM and Kerberos ones.
    ///
    /// # Errors
    ///
    /// As [`Challenge::from_auth`], or a malformed header.
    pub fn find(msg: &Message<'_>) -> Result<Option<Self>, HeaderError> {
        first_tls_dsk(
            msg.www_authenticate().chain(msg.proxy_authenticate()),
            Self::from_auth,
        )
    }

    /// The header value, in the order Microsoft servers use.
    pub fn to_value(&self) -> String {
        let mut s = String::from("TLS-DSK ");
        if let Some(o) = &self.opaque {
            quoted(&mut s, "opaque", o);
        }
        if let Some(g) = &self.gssapi_data {
            quoted(&mut s, "gssapi-data", &B64.encode(g));
        }
        quoted(&mut s, "realm", &self.realm);
        quoted(&mut s, "targetname", &self.targetname);
        if let Some(v) = self.version {
            bare(&mut s, "version", &v.to_string());
        }
        if let Some(u) = &self.sts_uri {
            quoted(&mut s, "sts-uri", u);
        }
        for (n, v) in &self.other {
            bare(&mut s, n, v);
        }
        s
    }
}

/// `TLS-DSK` credentials from `Authorization` or `Proxy-Authorization`: a handshake leg
/// (`gssapi-data`) or a signed request (`crand`, `cnum`, `response`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `qop`, always "auth".
    pub qop: Option<String>,
    /// `opaque`, echoed from the latest challenge.
    pub opaque: Option<String>,
    /// `realm`.
    pub realm: String,
    /// `targetname`.
    pub targetname: String,
    /// `gssapi-data`, base64-decoded: a client TLS flight.
    pub gssapi_data: Option<Vec<u8>>,
    /// `version`.
    pub version: Option<u32>,
    /// `crand`: the client's salt for this signature.
    pub crand: Option<String>,
    /// `cnum`: the client's sequence number.
    pub cnum: Option<String>,
    /// `response`: the signature, hex.
    pub response: Option<String>,
    /// Parameters this crate does not interpret, raw.
    pub other: Vec<(String, String)>,
}

impl Credentials {
    /// Reads parsed credentials.
    ///
    /// # Errors
    ///
    /// As [`Challenge::from_auth`].
    pub fn from_auth(a: &Authentication<'_>) -> Result<Self, HeaderError> {
        if !a.is_scheme(SCHEME) {
            return Err(HeaderError::NotTlsDsk);
        }
        let p = Params::read(&a.params);
        Ok(Self {
            qop: p.get("qop"),
            opaque: p.get("opaque"),
            realm: p.get("realm").ok_or(HeaderError::Missing("realm"))?,
            targetname: p
                .get("targetname")
                .ok_or(HeaderError::Missing("targetname"))?,
            gssapi_data: p.gssapi()?,
            version: p.version()?,
            crand: p.get("crand"),
            cnum: p.get("cnum"),
            response: p.get("response"),
            other: p.other,
        })
    }

    /// The TLS-DSK credentials of a request (`Authorization`, else `Proxy-Authorization`).
    ///
    /// # Errors
    ///
    /// As [`Credentials::from_auth`], or a malformed header.
    pub fn find(msg: &Message<'_>) -> Result<Option<Self>, HeaderError> {
        first_tls_dsk(
            msg.authorization().chain(msg.proxy_authorization()),
            Self::from_auth,
        )
    }

    /// The header value in SIPE's parameter order (`tls-dsk.md` §1.2):
    /// `qop, opaque, realm, targetname, gssapi-data, version, crand, cnum, response`.
    pub fn to_value(&self) -> String {
        let mut s = String::from("TLS-DSK ");
        if let Some(q) = &self.qop {
            quoted(&mut s, "qop", q);
        }
        if let Some(o) = &self.opaque {
            quoted(&mut s, "opaque", o);
        }
        quoted(&mut s, "realm", &self.realm);
        quoted(&mut s, "targetname", &self.targetname);
        if let Some(g) = &self.gssapi_data {
            quoted(&mut s, "gssapi-data", &B64.encode(g));
        }
        if let Some(v) = self.version {
            bare(&mut s, "version", &v.to_string());
        }
        for (name, v) in [
            ("crand", &self.crand),
            ("cnum", &self.cnum),
            ("response", &self.response),
        ] {
            if let Some(v) = v {
                quoted(&mut s, name, v);
            }
        }
        for (n, v) in &self.other {
            bare(&mut s, n, v);
        }
        s
    }
}

/// `Authentication-Info: TLS-DSK ...`: the server's signature on a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthInfo {
    /// `qop`.
    pub qop: Option<String>,
    /// `opaque`.
    pub opaque: Option<String>,
    /// `srand`: the server's salt.
    pub srand: String,
    /// `snum`: the server's sequence number.
    pub snum: String,
    /// `rspauth`: the signature, hex.
    pub rspauth: String,
    /// `targetname`.
    pub targetname: String,
    /// `realm`.
    pub realm: String,
    /// `version`.
    pub version: Option<u32>,
}

impl AuthInfo {
    /// Reads `Authentication-Info` (or `Proxy-Authentication-Info`).
    ///
    /// # Errors
    ///
    /// [`HeaderError::NotTlsDsk`] for another scheme, [`HeaderError::Missing`] for a
    /// missing parameter.
    pub fn from_info(a: &AuthenticationInfo<'_>) -> Result<Self, HeaderError> {
        if !a.scheme.is_some_and(|s| s.eq_ignore_ascii_case(SCHEME)) {
            return Err(HeaderError::NotTlsDsk);
        }
        let p = Params::read(&a.params);
        let need = |n: &'static str| p.get(n).ok_or(HeaderError::Missing(n));
        Ok(Self {
            qop: p.get("qop"),
            opaque: p.get("opaque"),
            srand: need("srand")?,
            snum: need("snum")?,
            rspauth: need("rspauth")?,
            targetname: need("targetname")?,
            realm: need("realm")?,
            version: p.version()?,
        })
    }

    /// The Authentication-Info of a message, if it has a TLS-DSK one.
    ///
    /// # Errors
    ///
    /// As [`AuthInfo::from_info`], or a malformed header.
    pub fn find(msg: &Message<'_>) -> Result<Option<Self>, HeaderError> {
        let info = match msg.authentication_info().map_err(HeaderError::Parse)? {
            Some(i) => Some(i),
            None => msg
                .proxy_authentication_info()
                .map_err(HeaderError::Parse)?,
        };
        match info {
            Some(i) if i.scheme.is_some_and(|s| s.eq_ignore_ascii_case(SCHEME)) => {
                Self::from_info(&i).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The header value in the order of the [MS-OCPSTN] 4.7.2.1 example.
    pub fn to_value(&self) -> String {
        let mut s = String::from("TLS-DSK ");
        if let Some(q) = &self.qop {
            quoted(&mut s, "qop", q);
        }
        if let Some(o) = &self.opaque {
            quoted(&mut s, "opaque", o);
        }
        quoted(&mut s, "srand", &self.srand);
        quoted(&mut s, "snum", &self.snum);
        quoted(&mut s, "rspauth", &self.rspauth);
        quoted(&mut s, "targetname", &self.targetname);
        quoted(&mut s, "realm", &self.realm);
        if let Some(v) = self.version {
            bare(&mut s, "version", &v.to_string());
        }
        s
    }
}
