//! PKCS#10 certificate requests (RFC 2986) as certificate provisioning uses them.
//!
//! What the client sends (`web-services.md` §4.3, from SIPE's OpenSSL backend): an RSA-2048
//! key, subject `CN=<user@domain>` (the SIP address without `sip:`), **no** attributes and
//! no extensions (the `[0]` attribute set is present and empty, as DER requires), signed
//! with SHA-1 with RSA by default. SHA-256 with RSA is available
//! ([`SignatureHash::Sha256`]); whether Microsoft's service accepts it is UNCONFIRMED (SIPE's
//! NSS backend used "the NSS default", the OpenSSL backend SHA-1).
//!
//! The reader ([`Csr::from_der`]) is lenient where deployed clients deviate: SIPE's OpenSSL
//! backend writes version **2** instead of 0, so any version number is accepted (and
//! reported by [`Csr::version`]); a missing attribute set is tolerated. It always verifies
//! the self-signature over the request info **as received**.
//!
//! ```
//! use certprov::{ClientKey, Csr, SignatureHash};
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tls-dsk/tests/data/client.key"))?;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
//! let key = ClientKey::from_pem(&pem)?;
//! let csr = Csr::new(&key, "sip:alice@contoso.com", SignatureHash::Sha1, &mut rng)?;
//! assert_eq!(csr.subject_cn(), "alice@contoso.com");
//! let parsed = Csr::from_der(csr.as_der())?; // verifies the self-signature
//! assert_eq!(parsed.public_key_der(), key.public_key_der());
//! assert!(csr.to_pem().starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use der::asn1::{Any, AnyRef, BitString, SetOfVec};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use rand_core::CryptoRngCore;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use webticket::autodiscover::SipAddress;
use x509_cert::attr::Attributes;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::error::{CsrError, Error, MalformedError, MisuseError, build_err, der_err};
use crate::key::{ClientKey, spki_der};
use crate::x509::{self, SigFailure};

/// The hash of an RSA PKCS#1 v1.5 signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureHash {
    /// `sha1WithRSAEncryption` (1.2.840.113549.1.1.5): what SIPE's OpenSSL backend sends
    /// and therefore known to be accepted. The default.
    #[default]
    Sha1,
    /// `sha256WithRSAEncryption` (1.2.840.113549.1.1.11). Acceptance by Microsoft's
    /// service is UNCONFIRMED; this crate's server accepts it.
    Sha256,
    /// `sha384WithRSAEncryption` (read only).
    Sha384,
    /// `sha512WithRSAEncryption` (read only).
    Sha512,
}

impl SignatureHash {
    pub(crate) fn oid(self) -> der::oid::ObjectIdentifier {
        match self {
            Self::Sha1 => x509::SHA1_WITH_RSA,
            Self::Sha256 => x509::SHA256_WITH_RSA,
            Self::Sha384 => x509::SHA384_WITH_RSA,
            Self::Sha512 => x509::SHA512_WITH_RSA,
        }
    }

    fn from_oid(oid: &der::oid::ObjectIdentifier) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.oid() == *oid)
    }

    /// The algorithm identifier with the `NULL` parameters RFC 4055 prescribes.
    pub(crate) fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(Any::null()),
        }
    }
}

/// `CertificationRequestInfo` with a free version number (SIPE writes 2) and an optional
/// attribute set.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
struct RequestInfo {
    version: u32,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    attributes: Option<Attributes>,
}

/// `CertificationRequest`, keeping the info as received for signature verification.
#[derive(Sequence)]
struct Request<'a> {
    info: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A PKCS#10 certificate request whose self-signature has been verified.
#[derive(Clone, PartialEq, Eq)]
pub struct Csr {
    der: Vec<u8>,
    subject_cn: String,
    public_key: RsaPublicKey,
    public_key_der: Vec<u8>,
    hash: SignatureHash,
    version: u32,
}

impl Csr {
    /// Builds and signs a request for `entity` (`user@domain`, an optional `sip:` prefix is
    /// removed): version 0, subject `CN=<entity>` as UTF8String, no attributes.
    ///
    /// The RNG blinds the RSA private-key operation; PKCS#1 v1.5 signatures are
    /// deterministic, so the output depends only on the key, entity and hash.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidEntity`] for an entity that is not `user@domain`.
    pub fn new(
        key: &ClientKey,
        entity: &str,
        hash: SignatureHash,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, Error> {
        let addr = SipAddress::parse(entity).map_err(MisuseError::InvalidEntity)?;
        Self::build(key, addr.as_str(), hash, 0, rng)
    }

    /// Builds a request with any version number (tests of the lenient reader).
    pub(crate) fn build(
        key: &ClientKey,
        cn: &str,
        hash: SignatureHash,
        version: u32,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, Error> {
        let public_key = SubjectPublicKeyInfoOwned::from_der(&key.public_key_der())
            .map_err(|e| build_err("subject public key info", e))?;
        let info = RequestInfo {
            version,
            subject: x509::cn_name(cn)?,
            public_key,
            attributes: Some(SetOfVec::new()),
        };
        let info_der = info
            .to_der()
            .map_err(|e| build_err("certification request", e))?;
        let signature = sign(key, hash, &info_der, rng)?;
        let req = Request {
            info: AnyRef::try_from(info_der.as_slice())
                .map_err(|e| build_err("certification request", e))?,
            algorithm: hash.algorithm_identifier(),
            signature: BitString::from_bytes(&signature)
                .map_err(|e| build_err("certification request", e))?,
        };
        let der = req
            .to_der()
            .map_err(|e| build_err("certification request", e))?;
        Ok(Self {
            der,
            subject_cn: cn.to_owned(),
            public_key: key.public_key(),
            public_key_der: key.public_key_der(),
            hash,
            version,
        })
    }

    /// Parses a DER request and verifies its self-signature.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Der`] when it does not decode; [`CsrError::NotRsa`],
    /// [`CsrError::UnsupportedSignatureAlgorithm`], [`CsrError::BadSignature`],
    /// [`CsrError::MissingCommonName`].
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let req = Request::from_der(der).map_err(|e| der_err("certification request", e))?;
        if req.info.tag() != Tag::Sequence {
            return Err(MalformedError::Der {
                what: "certification request",
                reason: "request info is not a sequence".into(),
            }
            .into());
        }
        // The exact bytes the signature covers.
        let info_der = req
            .info
            .to_der()
            .map_err(|e| der_err("certification request", e))?;
        let info = RequestInfo::from_der(&info_der)
            .map_err(|e| der_err("certification request info", e))?;
        let public_key_der = info
            .public_key
            .to_der()
            .map_err(|e| der_err("subject public key info", e))?;
        let public_key = x509::rsa_key_of_spki(&public_key_der)?;
        let hash = SignatureHash::from_oid(&req.algorithm.oid).ok_or_else(|| {
            CsrError::UnsupportedSignatureAlgorithm {
                oid: req.algorithm.oid.to_string(),
            }
        })?;
        let sig = req.signature.as_bytes().ok_or(CsrError::BadSignature)?;
        x509::verify_rsa(&public_key, &req.algorithm.oid, &info_der, sig).map_err(|f| match f {
            SigFailure::Algorithm => CsrError::UnsupportedSignatureAlgorithm {
                oid: req.algorithm.oid.to_string(),
            },
            SigFailure::Invalid => CsrError::BadSignature,
        })?;
        let subject_cn = x509::common_name(&info.subject).ok_or(CsrError::MissingCommonName)?;
        Ok(Self {
            der: der.to_vec(),
            subject_cn,
            public_key_der: spki_der(&public_key),
            public_key,
            hash,
            version: info.version,
        })
    }

    /// Parses a PEM request (`CERTIFICATE REQUEST`, or `NEW CERTIFICATE REQUEST` as some
    /// tools write) and verifies it as [`from_der`](Self::from_der) does.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Missing`] without a PEM block, else as [`from_der`](Self::from_der).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let der = x509::pem_decode("CERTIFICATE REQUEST", pem)
            .or_else(|| x509::pem_decode("NEW CERTIFICATE REQUEST", pem))
            .ok_or(MalformedError::Missing {
                what: "PEM certificate request",
            })?;
        Self::from_der(&der)
    }

    /// The DER encoding, as sent.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// PEM (`-----BEGIN CERTIFICATE REQUEST-----`, 64-character lines, LF).
    pub fn to_pem(&self) -> String {
        x509::pem("CERTIFICATE REQUEST", &self.der)
    }

    /// Base64 of the DER in SIPE's layout: a leading CRLF, then lines of 76 characters
    /// separated by CRLF (the `wsse:BinarySecurityToken` content of the request).
    pub fn to_base64_wrapped(&self) -> String {
        x509::base64_crlf_wrapped(&self.der)
    }

    /// The subject common name (for a request from [`new`](Self::new): `user@domain`).
    pub fn subject_cn(&self) -> &str {
        &self.subject_cn
    }

    /// The requested public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// The requested public key as DER `SubjectPublicKeyInfo` (canonical RSA form).
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// The RSA modulus size in bits.
    pub fn key_bits(&self) -> usize {
        self.public_key.n().bits()
    }

    /// The signature hash.
    pub fn signature_hash(&self) -> SignatureHash {
        self.hash
    }

    /// The version field as received (0 per RFC 2986; SIPE's OpenSSL backend writes 2).
    pub fn version(&self) -> u32 {
        self.version
    }
}

impl fmt::Debug for Csr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csr")
            .field("subject_cn", &self.subject_cn)
            .field("key_bits", &self.key_bits())
            .field("hash", &self.hash)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn sign(
    key: &ClientKey,
    hash: SignatureHash,
    msg: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let rsa = key.dangerous_rsa_key().clone();
    let mut rng = rng;
    let sig = match hash {
        SignatureHash::Sha1 => SigningKey::<sha1::Sha1>::new(rsa).try_sign_with_rng(&mut rng, msg),
        SignatureHash::Sha256 => {
            SigningKey::<sha2::Sha256>::new(rsa).try_sign_with_rng(&mut rng, msg)
        }
        SignatureHash::Sha384 => {
            SigningKey::<sha2::Sha384>::new(rsa).try_sign_with_rng(&mut rng, msg)
        }
        SignatureHash::Sha512 => {
            SigningKey::<sha2::Sha512>::new(rsa).try_sign_with_rng(&mut rng, msg)
        }
    };
    sig.map(|s| s.to_vec())
        .map_err(|e| build_err("signature", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn key() -> ClientKey {
        ClientKey::from_pem(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tls-dsk/tests/data/client.key"
            ))
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn builds_what_sipe_sends_and_reads_it_back() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = key();
        for hash in [SignatureHash::Sha1, SignatureHash::Sha256] {
            let csr = Csr::new(&key, "SIP:alice@contoso.com", hash, &mut rng).unwrap();
            assert_eq!(csr.subject_cn(), "alice@contoso.com");
            let back = Csr::from_der(csr.as_der()).unwrap();
            assert_eq!(back, csr);
            assert_eq!(back.version(), 0);
            assert_eq!(back.signature_hash(), hash);
            assert_eq!(Csr::from_pem(&csr.to_pem()).unwrap(), csr);
            // Deterministic: the RNG only blinds.
            assert_eq!(
                Csr::new(&key, "alice@contoso.com", hash, &mut rng)
                    .unwrap()
                    .as_der(),
                csr.as_der()
            );
        }
        // The attribute set is present and empty: `a0 00` right before the signature algorithm.
        let csr = Csr::new(&key, "alice@contoso.com", SignatureHash::Sha1, &mut rng).unwrap();
        let der = csr.as_der();
        let alg = [
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05,
            0x00,
        ];
        let at = der.windows(alg.len()).position(|w| w == alg).unwrap();
        assert_eq!(&der[at - 2..at], &[0xa0, 0x00]);
    }

    #[test]
    fn sipe_version_two_is_accepted() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let csr = Csr::build(
            &key(),
            "alice@contoso.com",
            SignatureHash::Sha1,
            2,
            &mut rng,
        )
        .unwrap();
        // x509-cert's strict reader refuses it; ours verifies it.
        assert!(<x509_cert::request::CertReq as Decode>::from_der(csr.as_der()).is_err());
        let back = Csr::from_der(csr.as_der()).unwrap();
        assert_eq!(back.version(), 2);
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let csr = Csr::new(&key(), "alice@contoso.com", SignatureHash::Sha256, &mut rng).unwrap();
        let mut der = csr.as_der().to_vec();
        // Change one letter of the common name ("alice" -> "blice").
        let at = der.windows(5).position(|w| w == b"alice").unwrap();
        der[at] = b'b';
        assert!(matches!(
            Csr::from_der(&der),
            Err(Error::Csr(CsrError::BadSignature))
        ));
        // Flip a signature bit.
        let mut der = csr.as_der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 1;
        assert!(matches!(
            Csr::from_der(&der),
            Err(Error::Csr(CsrError::BadSignature))
        ));
        // Truncated / garbage.
        assert!(matches!(
            Csr::from_der(&csr.as_der()[..100]),
            Err(Error::Malformed(MalformedError::Der { .. }))
        ));
        assert!(matches!(
            Csr::from_der(b""),
            Err(Error::Malformed(MalformedError::Der { .. }))
        ));
        assert!(matches!(
            Csr::from_pem("nothing"),
            Err(Error::Malformed(MalformedError::Missing { .. }))
        ));
    }

    #[test]
    fn entity_must_be_a_sip_address() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(10);
        for bad in ["alice", "@contoso.com", "alice@", "al ice@contoso.com"] {
            assert!(
                matches!(
                    Csr::new(&key(), bad, SignatureHash::Sha1, &mut rng),
                    Err(Error::Misuse(MisuseError::InvalidEntity(_)))
                ),
                "{bad}"
            );
        }
    }
}
