//! X.509 / PKCS helpers shared by the client and the server side: RSA signature
//! verification by algorithm OID, common names, SAN URIs, time conversion, PEM and base64.

use base64::Engine as _;
use der::asn1::{Any, SetOfVec};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::Digest;
use webticket::UnixTime;
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::time::Time;

use crate::error::{CsrError, Error, MisuseError, build_err};

pub(crate) const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
pub(crate) const SHA1_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
pub(crate) const SHA256_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
pub(crate) const SHA384_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
pub(crate) const SHA512_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
pub(crate) const SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
pub(crate) const PKCS7_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// Why an RSA signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigFailure {
    /// The algorithm is not RSA PKCS#1 v1.5 with SHA-1/256/384/512.
    Algorithm,
    /// The signature does not verify.
    Invalid,
}

/// Verifies an RSA PKCS#1 v1.5 signature over `msg`, with the hash named by `alg`.
pub(crate) fn verify_rsa(
    key: &RsaPublicKey,
    alg: &ObjectIdentifier,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SigFailure> {
    let r = match *alg {
        SHA1_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha1::Sha1>(),
            &sha1::Sha1::digest(msg),
            sig,
        ),
        SHA256_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(msg),
            sig,
        ),
        SHA384_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha2::Sha384>(),
            &sha2::Sha384::digest(msg),
            sig,
        ),
        SHA512_WITH_RSA => key.verify(
            Pkcs1v15Sign::new::<sha2::Sha512>(),
            &sha2::Sha512::digest(msg),
            sig,
        ),
        _ => return Err(SigFailure::Algorithm),
    };
    r.map_err(|_| SigFailure::Invalid)
}

/// The RSA key of a DER `SubjectPublicKeyInfo`.
pub(crate) fn rsa_key_of_spki(spki_der: &[u8]) -> Result<RsaPublicKey, CsrError> {
    RsaPublicKey::from_public_key_der(spki_der).map_err(|_| CsrError::NotRsa)
}

/// The RSA key of a certificate, if it has one.
pub(crate) fn rsa_key_of_cert(cert: &Certificate) -> Option<RsaPublicKey> {
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
    RsaPublicKey::from_public_key_der(&spki).ok()
}

/// Whether `issuer` signed `cert`.
pub(crate) fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let (Some(key), Ok(tbs)) = (rsa_key_of_cert(issuer), cert.tbs_certificate.to_der()) else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify_rsa(&key, &cert.signature_algorithm.oid, &tbs, sig).is_ok()
}

/// A name with one RDN: `CN=<cn>` as a UTF8String (RFC 5280 §4.1.2.6 wants UTF8String for
/// new names). Built structurally, so commas or `=` in `cn` cannot create extra RDNs.
pub(crate) fn cn_name(cn: &str) -> Result<Name, Error> {
    let value =
        Any::new(Tag::Utf8String, cn.as_bytes()).map_err(|e| build_err("subject name", e))?;
    let atv = AttributeTypeAndValue { oid: CN, value };
    let rdn = SetOfVec::try_from(vec![atv]).map_err(|e| build_err("subject name", e))?;
    Ok(RdnSequence(vec![RelativeDistinguishedName(rdn)]))
}

/// The first common name of a name, decoded from any of the string types X.500 allows.
pub(crate) fn common_name(name: &Name) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == CN)
        .and_then(|atv| directory_string(&atv.value))
}

fn directory_string(value: &Any) -> Option<String> {
    let raw = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            std::str::from_utf8(raw).ok().map(str::to_owned)
        }
        Tag::BmpString => {
            if !raw.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// URIs in the subject alternative names of a certificate.
pub(crate) fn san_uris(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Some(exts) = &cert.tbs_certificate.extensions else {
        return Vec::new();
    };
    exts.iter()
        .filter(|e| e.extn_id == SAN)
        .filter_map(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|san| san.0.into_iter())
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .collect()
}

/// Seconds since the epoch of an X.509 time.
pub(crate) fn unix(t: &Time) -> UnixTime {
    UnixTime(t.to_unix_duration().as_secs() as i64)
}

/// An X.509 time (GeneralizedTime; the certificate builder turns years before 2050 into
/// UTCTime as RFC 5280 requires).
pub(crate) fn x509_time(t: UnixTime) -> Result<Time, Error> {
    let secs = u64::try_from(t.0).map_err(|_| MisuseError::InvalidValidity {
        reason: "time before 1970",
    })?;
    der::asn1::GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map(Time::GeneralTime)
        .map_err(|_| {
            MisuseError::InvalidValidity {
                reason: "time after 9999",
            }
            .into()
        })
}

/// Standard base64 wrapped at 76 characters with CRLF, preceded by a CRLF: the layout
/// SIPE sends the PKCS#10 in (`>\r\n<base64 lines>`).
pub(crate) fn base64_crlf_wrapped(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 76 * 2 + 4);
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str("\r\n");
        // The chunk is ASCII base64.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out
}

/// Decodes base64 with the standard alphabet and padding, ignoring XML whitespace (line
/// breaks in long tokens).
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// Standard base64, no wrapping.
pub(crate) fn base64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// PEM with 64-character lines and LF line ends.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER of the first PEM block labelled `label`.
pub(crate) fn pem_decode(label: &str, text: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    base64_decode(&text[start..stop])
}

/// The certificates of a PKCS#7 / CMS `ContentInfo` holding `SignedData` (a "certs-only"
/// degenerate message, what CAs send as a chain), in the order they appear.
pub(crate) fn pkcs7_certificates(der: &[u8]) -> Result<Vec<Vec<u8>>, der::Error> {
    let content_info = Any::from_der(der)?;
    if content_info.tag() != Tag::Sequence {
        return Err(content_info.tag().value_error());
    }
    let mut fields = elements(content_info.value())?.into_iter();
    let (Some(oid), Some(explicit)) = (fields.next(), fields.next()) else {
        return Err(Tag::Sequence.value_error());
    };
    if ObjectIdentifier::from_der(&oid.to_der()?)? != PKCS7_SIGNED_DATA {
        return Err(Tag::ObjectIdentifier.value_error());
    }
    // [0] EXPLICIT SignedData
    let signed_data = Any::from_der(explicit.value())?;
    if !is_context(&explicit, 0) || signed_data.tag() != Tag::Sequence {
        return Err(explicit.tag().value_error());
    }
    let mut certs = Vec::new();
    for field in elements(signed_data.value())? {
        // certificates [0] IMPLICIT CertificateSet
        if is_context(&field, 0) {
            for cert in elements(field.value())? {
                let der = cert.to_der()?;
                Certificate::from_der(&der)?;
                certs.push(der);
            }
        }
    }
    Ok(certs)
}

fn is_context(any: &Any, number: u8) -> bool {
    matches!(any.tag(), Tag::ContextSpecific { constructed: true, number: n } if n.value() == number)
}

/// The TLV elements concatenated in `content`.
fn elements(content: &[u8]) -> Result<Vec<Any>, der::Error> {
    let mut reader = der::SliceReader::new(content)?;
    let mut out = Vec::new();
    while !der::Reader::is_finished(&reader) {
        out.push(der::Reader::decode::<Any>(&mut reader)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_base64_layout() {
        let data = [0xABu8; 100]; // 136 base64 characters: two lines
        let s = base64_crlf_wrapped(&data);
        assert!(s.starts_with("\r\n"));
        let lines: Vec<&str> = s[2..].split("\r\n").collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 76);
        assert_eq!(base64_decode(&s).unwrap(), data);
        assert!(base64_decode("AA=A").is_none());
    }

    #[test]
    fn names_are_built_structurally() {
        let n = cn_name("a,b=c@example.com").unwrap();
        assert_eq!(n.0.len(), 1);
        assert_eq!(common_name(&n).as_deref(), Some("a,b=c@example.com"));
    }

    #[test]
    fn pem_round_trip() {
        let p = pem("CERTIFICATE", &[1, 2, 3]);
        assert_eq!(pem_decode("CERTIFICATE", &p).unwrap(), [1, 2, 3]);
        assert!(pem_decode("PRIVATE KEY", &p).is_none());
    }
}
