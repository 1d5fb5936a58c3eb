//! Issued credentials (key + certificate) per (user, `targetname`), and the hand-over to
//! tls-dsk.
//!
//! SIPE keeps one certificate per TLS-DSK `targetname` and reuses it only while it stays
//! valid for at least one more hour; below that it provisions a new one through the
//! challenge's `sts-uri` (`tls-dsk.md` §1.3, `web-services.md` §4.1). [`CredentialStore`]
//! does the same with a configurable margin ([`DEFAULT_RENEWAL_MARGIN`] = 1 h). It holds
//! no clock: every query takes `now`.
//!
//! ```text
//!  401 TLS-DSK targetname=T, sts-uri=U
//!     │ store.needs_renewal(user, T, now)? ── yes ─► provision via U (GetAndPublishCert) ─► store.insert(user, T, credential)
//!     ▼ no
//!  store.tls_client_config(user, T, now) ─► tls_dsk::ClientSa / ClientHandshake
//! ```

use std::collections::HashMap;
use std::fmt;

use webticket::UnixTime;

use crate::error::{Error, KeyError};
use crate::key::ClientKey;
use crate::response::IssuedCertificate;

/// Renew when less than this much validity is left: 1 hour, as SIPE does.
pub const DEFAULT_RENEWAL_MARGIN: i64 = 3600;

/// A private key with the certificate issued for it. `Debug` shows the certificate only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    key: ClientKey,
    cert: IssuedCertificate,
}

impl Credential {
    /// Pairs a key with its certificate.
    ///
    /// # Errors
    ///
    /// [`KeyError::CertificateMismatch`] when the certificate is for another key.
    pub fn new(key: ClientKey, cert: IssuedCertificate) -> Result<Self, Error> {
        if key.public_key() != *cert.public_key() {
            return Err(KeyError::CertificateMismatch.into());
        }
        Ok(Self { key, cert })
    }

    /// The private key.
    pub fn key(&self) -> &ClientKey {
        &self.key
    }

    /// The certificate.
    pub fn certificate(&self) -> &IssuedCertificate {
        &self.cert
    }

    /// Whether the certificate should be replaced at `now`: it has `margin` seconds or
    /// less of validity left (or has expired).
    pub fn needs_renewal(&self, now: UnixTime, margin: i64) -> bool {
        self.cert.not_after().since(now) <= margin
    }

    /// The configuration tls-dsk's client handshake takes: the certificate chain (leaf
    /// first) and the RSA key, with tls-dsk's default versions and suites.
    pub fn to_tls_client_config(&self) -> tls_dsk::ClientConfig {
        tls_dsk::ClientConfig::new(self.cert.cert_chain(), self.key.dangerous_rsa_key().clone())
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

/// tls-dsk counts time as unsigned seconds; times before 1970 become 0.
pub fn tls_time(now: UnixTime) -> tls_dsk::UnixTime {
    tls_dsk::UnixTime(u64::try_from(now.0).unwrap_or(0))
}

/// Credentials by (SIP user, TLS-DSK `targetname`).
///
/// The user is compared without a `sip:` prefix and both parts ignore ASCII case.
///
/// ```
/// # fn demo(cred: certprov::Credential, now: certprov::UnixTime) {
/// use certprov::CredentialStore;
///
/// let mut store = CredentialStore::new();
/// assert!(store.needs_renewal("alice@contoso.com", "sipfed2a.online.lync.com", now));
/// store.insert("sip:alice@contoso.com", "sipfed2a.online.lync.com", cred);
/// if let Some(config) = store.tls_client_config("ALICE@contoso.com", "SIPFED2A.online.lync.com", now) {
///     // tls_dsk::ClientSa::new(config, ...)
/// #   let _ = config;
/// }
/// # }
/// ```
#[derive(Clone, Default)]
pub struct CredentialStore {
    entries: HashMap<(String, String), Credential>,
    margin: Option<i64>,
}

impl CredentialStore {
    /// An empty store renewing [`DEFAULT_RENEWAL_MARGIN`] before expiry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the renewal margin in seconds.
    pub fn with_renewal_margin(mut self, secs: i64) -> Self {
        self.margin = Some(secs);
        self
    }

    /// The renewal margin in seconds.
    pub fn renewal_margin(&self) -> i64 {
        self.margin.unwrap_or(DEFAULT_RENEWAL_MARGIN)
    }

    fn key(user: &str, targetname: &str) -> (String, String) {
        let user = user.trim();
        let user = match user.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("sip:") => &user[4..],
            _ => user,
        };
        (
            user.to_ascii_lowercase(),
            targetname.trim().to_ascii_lowercase(),
        )
    }

    /// Stores a credential, returning the one it replaces.
    pub fn insert(
        &mut self,
        user: &str,
        targetname: &str,
        credential: Credential,
    ) -> Option<Credential> {
        self.entries.insert(Self::key(user, targetname), credential)
    }

    /// The stored credential, whatever its validity.
    pub fn get(&self, user: &str, targetname: &str) -> Option<&Credential> {
        self.entries.get(&Self::key(user, targetname))
    }

    /// The stored credential if it is usable at `now` without renewal (valid, and more
    /// than the margin left).
    pub fn get_valid(&self, user: &str, targetname: &str, now: UnixTime) -> Option<&Credential> {
        self.get(user, targetname).filter(|c| {
            c.certificate().is_valid_at(now) && !c.needs_renewal(now, self.renewal_margin())
        })
    }

    /// Whether a certificate must be provisioned before a TLS-DSK handshake with
    /// `targetname`: none is stored, or it is not valid at `now`, or it has no more than
    /// the renewal margin left.
    pub fn needs_renewal(&self, user: &str, targetname: &str, now: UnixTime) -> bool {
        self.get_valid(user, targetname, now).is_none()
    }

    /// tls-dsk's client configuration for `targetname`, if a credential is usable at
    /// `now` (see [`get_valid`](Self::get_valid)).
    pub fn tls_client_config(
        &self,
        user: &str,
        targetname: &str,
        now: UnixTime,
    ) -> Option<tls_dsk::ClientConfig> {
        self.get_valid(user, targetname, now)
            .map(Credential::to_tls_client_config)
    }

    /// Removes and returns a credential.
    pub fn remove(&mut self, user: &str, targetname: &str) -> Option<Credential> {
        self.entries.remove(&Self::key(user, targetname))
    }

    /// Drops every credential that has expired at `now`.
    pub fn purge_expired(&mut self, now: UnixTime) {
        self.entries
            .retain(|_, c| now < c.certificate().not_after());
    }

    /// Number of stored credentials.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("renewal_margin", &self.renewal_margin())
            .field("entries", &self.entries)
            .finish()
    }
}
