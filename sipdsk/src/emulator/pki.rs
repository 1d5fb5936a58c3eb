//! The emulator's certificates: one CA (made at start, or loaded from the state directory)
//! that issues the server certificate (HTTPS, SIP over TLS and the TLS-DSK server role)
//! and, through certificate provisioning, every user certificate.

use std::path::Path;

use certprov::UnixTime;
use certprov::server::CertAuthority;
use rand_core::CryptoRngCore;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

/// File names in the state directory.
pub const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca.key";

/// CA validity when made here: ten years from an hour ago.
const CA_YEARS: u64 = 10;

/// The emulator's keys and certificates.
pub(super) struct Pki {
    /// Issues user certificates (certificate provisioning).
    pub(super) ca: CertAuthority,
    /// The server certificate, DER, followed by the CA certificate.
    pub(super) server_chain: Vec<Vec<u8>>,
    /// The server key (RSA: TLS-DSK uses static RSA key exchange).
    pub(super) server_key: RsaPrivateKey,
    /// The server key, PKCS#8 DER (for the outer TLS).
    pub(super) server_key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

fn rsa_2048(rng: &mut dyn CryptoRngCore) -> Result<RsaPrivateKey, String> {
    let mut rng = rng;
    RsaPrivateKey::new(&mut rng, 2048).map_err(|e| format!("RSA key generation: {e}"))
}

fn pkcs8(key: &RsaPrivateKey) -> Result<Vec<u8>, String> {
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| format!("PKCS#8: {e}"))?
        .as_bytes()
        .to_vec())
}

impl Pki {
    /// Loads the CA from `state_dir` (`ca.pem`, `ca.key`) or makes a new one (and writes
    /// it there, key readable by the owner only), then issues a server certificate for
    /// `names` (DNS names; IP addresses become IP SANs) valid for a year.
    ///
    /// # Errors
    ///
    /// Unreadable or mismatched CA files, an unwritable state directory.
    pub(super) fn load_or_create(
        state_dir: Option<&Path>,
        names: &[String],
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, String> {
        let (ca, ca_key) = match state_dir {
            Some(dir) if dir.join(CA_CERT_FILE).exists() && dir.join(CA_KEY_FILE).exists() => {
                let read = |f: &str| {
                    std::fs::read_to_string(dir.join(f))
                        .map_err(|e| format!("{}: {e}", dir.join(f).display()))
                };
                let key_pem = read(CA_KEY_FILE)?;
                let key = RsaPrivateKey::from_pkcs8_pem(&key_pem)
                    .map_err(|e| format!("{}: not an RSA PKCS#8 key: {e}", CA_KEY_FILE))?;
                let ca = CertAuthority::from_pem(&read(CA_CERT_FILE)?, &key_pem)
                    .map_err(|e| format!("CA in {}: {e}", dir.display()))?;
                (ca, key)
            }
            _ => {
                let key = rsa_2048(rng)?;
                let ca = CertAuthority::self_signed(
                    key.clone(),
                    "sipdsk emulator CA",
                    UnixTime(now.0 - 3600),
                    UnixTime(now.0 + (CA_YEARS * 365 * 86_400) as i64),
                    rng,
                )
                .map_err(|e| format!("CA certificate: {e}"))?;
                if let Some(dir) = state_dir {
                    write_ca(dir, &ca, &key)?;
                }
                (ca, key)
            }
        };
        let server_key = rsa_2048(rng)?;
        let server_key_pkcs8 = pkcs8(&server_key)?;
        let server = server_cert(&ca, &ca_key, names, &server_key_pkcs8)?;
        Ok(Self {
            server_chain: vec![server, ca.cert_der().to_vec()],
            ca,
            server_key,
            server_key_pkcs8,
        })
    }
}

fn write_ca(dir: &Path, ca: &CertAuthority, key: &RsaPrivateKey) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let key_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("PKCS#8: {e}"))?;
    let key_path = dir.join(CA_KEY_FILE);
    write_private(&key_path, key_pem.as_bytes())?;
    // The certificate last: its presence tells scripts the state is complete.
    let cert_path = dir.join(CA_CERT_FILE);
    let tmp = dir.join(".ca.pem.tmp");
    std::fs::write(&tmp, ca.cert_pem()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &cert_path).map_err(|e| format!("{}: {e}", cert_path.display()))
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(data)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A server certificate for `names`, signed by the CA with rcgen.
fn server_cert(
    ca: &CertAuthority,
    ca_key: &RsaPrivateKey,
    names: &[String],
    key_pkcs8: &[u8],
) -> Result<Vec<u8>, String> {
    let err = |e: rcgen::Error| format!("server certificate: {e}");
    let ca_key_der = pkcs8(ca_key)?;
    let ca_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &ca_key_der.as_slice().into(),
        &rcgen::PKCS_RSA_SHA256,
    )
    .map_err(err)?;
    let issuer =
        rcgen::Issuer::from_ca_cert_der(&ca.cert_der().to_vec().into(), ca_key).map_err(err)?;
    let key =
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&key_pkcs8.into(), &rcgen::PKCS_RSA_SHA256)
            .map_err(err)?;
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(err)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().map_or("localhost", String::as_str),
    );
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(3600)).into();
    params.not_after = (now + std::time::Duration::from_secs(365 * 86_400)).into();
    Ok(params.signed_by(&key, &issuer).map_err(err)?.der().to_vec())
}
