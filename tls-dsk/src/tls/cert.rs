//! Certificates: public keys, and the client-certificate verifier a registrar supplies.

use std::fmt;

use rsa::RsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::Digest;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use super::error::TlsError;

/// Seconds since the Unix epoch. The caller passes the current time in; nothing here reads
/// a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

/// Who a verified client certificate names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The subject common name, if any.
    pub common_name: Option<String>,
    /// URIs in the subject alternative names (`sip:alice@contoso.com`).
    pub san_uris: Vec<String>,
    /// End of the certificate's validity, Unix seconds.
    pub not_after: u64,
}

impl ClientIdentity {
    /// True if the certificate names this SIP address-of-record (`alice@contoso.com` or
    /// `sip:alice@contoso.com`), in a SAN URI or the common name, ignoring case.
    pub fn names(&self, aor: &str) -> bool {
        let bare = |s: &str| {
            let s = s.trim();
            let s = s
                .strip_prefix("sip:")
                .or_else(|| s.strip_prefix("SIP:"))
                .unwrap_or(s);
            s.to_ascii_lowercase()
        };
        let want = bare(aor);
        self.san_uris
            .iter()
            .chain(self.common_name.iter())
            .any(|n| bare(n) == want)
    }
}

/// Checks a client certificate chain for a TLS-DSK server.
///
/// Implement it to plug in your own PKI; [`CaVerifier`] checks against a set of CA
/// certificates.
pub trait ClientCertVerifier: Send + Sync + fmt::Debug {
    /// Verifies `chain` (leaf first, DER) at time `now` and returns who it names.
    ///
    /// # Errors
    ///
    /// [`TlsError::Certificate`] saying why the chain is not acceptable.
    fn verify(&self, chain: &[Vec<u8>], now: UnixTime) -> Result<ClientIdentity, TlsError>;
}

fn cert_err(why: impl Into<String>) -> TlsError {
    TlsError::Certificate(why.into())
}

pub(crate) fn parse(der: &[u8]) -> Result<Certificate, TlsError> {
    Certificate::from_der(der).map_err(|e| cert_err(format!("unparsable certificate: {e}")))
}

/// The RSA public key of a certificate.
pub(crate) fn rsa_public_key(cert: &Certificate) -> Result<RsaPublicKey, TlsError> {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| cert_err(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| cert_err("certificate key is not RSA"))
}

pub(crate) fn leaf_public_key(der: &[u8]) -> Result<RsaPublicKey, TlsError> {
    rsa_public_key(&parse(der)?)
}

const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const CN: &str = "2.5.4.3";
const SAN: &str = "2.5.29.17";

/// Verifies that `issuer` signed `cert` (RSA PKCS#1 v1.5 with SHA-1/256/384).
fn check_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), TlsError> {
    let key = rsa_public_key(issuer)?;
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| cert_err(e.to_string()))?;
    let sig = cert.signature.raw_bytes();
    let oid = cert.signature_algorithm.oid.to_string();
    let result = match oid.as_str() {
        SHA256_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(&tbs),
            sig,
        ),
        SHA384_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha2::Sha384>(),
            &sha2::Sha384::digest(&tbs),
            sig,
        ),
        SHA1_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha1::Sha1>(),
            &sha1::Sha1::digest(&tbs),
            sig,
        ),
        other => return Err(cert_err(format!("unsupported signature algorithm {other}"))),
    };
    result.map_err(|_| cert_err("signature by the issuer does not verify"))
}

fn validity(cert: &Certificate) -> (u64, u64) {
    let v = &cert.tbs_certificate.validity;
    (
        v.not_before.to_unix_duration().as_secs(),
        v.not_after.to_unix_duration().as_secs(),
    )
}

/// The subject common name of a certificate, if it has one.
pub fn common_name(cert_der: &[u8]) -> Option<String> {
    parse(cert_der).ok().and_then(|c| subject_cn(&c))
}

fn subject_cn(cert: &Certificate) -> Option<String> {
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid.to_string() == CN)
        .and_then(|atv| {
            let raw = atv.value.value();
            std::str::from_utf8(raw).ok().map(str::to_string)
        })
}

fn san_uris(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Some(exts) = &cert.tbs_certificate.extensions else {
        return Vec::new();
    };
    exts.iter()
        .filter(|e| e.extn_id.to_string() == SAN)
        .filter_map(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|san| san.0.into_iter())
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            GeneralName::Rfc822Name(u) => Some(u.to_string()),
            _ => None,
        })
        .collect()
}

/// A verifier that accepts chains issued by one of a set of CA certificates, valid at the
/// given time. Intermediates may follow the leaf in the chain.
#[derive(Clone)]
pub struct CaVerifier {
    roots: Vec<Certificate>,
}

impl fmt::Debug for CaVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.roots.iter().map(subject_cn).collect();
        f.debug_struct("CaVerifier").field("roots", &names).finish()
    }
}

impl CaVerifier {
    /// A verifier trusting these CA certificates (DER).
    ///
    /// # Errors
    ///
    /// [`TlsError::Certificate`] if one does not parse.
    pub fn new(roots_der: &[Vec<u8>]) -> Result<Self, TlsError> {
        Ok(Self {
            roots: roots_der
                .iter()
                .map(|d| parse(d))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl ClientCertVerifier for CaVerifier {
    fn verify(&self, chain: &[Vec<u8>], now: UnixTime) -> Result<ClientIdentity, TlsError> {
        let parsed: Vec<Certificate> = chain.iter().map(|d| parse(d)).collect::<Result<_, _>>()?;
        let leaf = parsed
            .first()
            .ok_or_else(|| cert_err("the client sent no certificate"))?;
        let mut current = leaf;
        // Walk up: at most chain length + 1 steps, so a loop in a bad chain terminates.
        for _ in 0..=parsed.len() {
            let (nb, na) = validity(current);
            if now.0 < nb || now.0 > na {
                let who = subject_cn(current).unwrap_or_default();
                return Err(cert_err(format!(
                    "certificate {who:?} is not valid at {} (valid {nb}..{na})",
                    now.0
                )));
            }
            if let Some(root) = self
                .roots
                .iter()
                .find(|r| r.tbs_certificate.subject == current.tbs_certificate.issuer)
            {
                check_signature(current, root)?;
                let (rnb, rna) = validity(root);
                if now.0 < rnb || now.0 > rna {
                    return Err(cert_err("the issuing ca certificate is not valid now"));
                }
                return Ok(ClientIdentity {
                    common_name: subject_cn(leaf),
                    san_uris: san_uris(leaf),
                    not_after: validity(leaf).1,
                });
            }
            let Some(parent) = parsed.iter().find(|c| {
                c.tbs_certificate.subject == current.tbs_certificate.issuer
                    && !std::ptr::eq(*c, current)
            }) else {
                return Err(cert_err("the chain does not lead to a trusted ca"));
            };
            check_signature(current, parent)?;
            current = parent;
        }
        Err(cert_err("certificate chain too long"))
    }
}
