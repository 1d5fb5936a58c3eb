//! Errors of the TLS handshake engine, split by cause.

use std::fmt;

/// Why a TLS-DSK handshake failed.
///
/// The variants say whose fault it was: malformed input (`Truncated`, `TrailingData`,
/// `Malformed`), a peer that broke the protocol (`Unexpected`, `PeerAlert`, `BadFinished`,
/// ...), an incompatible peer (`NoCommonVersion`, `NoCommonSuite`), or a certificate
/// problem (`Certificate`). None of them can be retried on the same handshake: start a new
/// security association (a fresh unsigned REGISTER).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// A structure ended early; the name says which. The peer sent a cut flight.
    Truncated(&'static str),
    /// Bytes were left after a structure.
    TrailingData(&'static str),
    /// A field holds a value TLS does not allow.
    Malformed(&'static str),
    /// A message or record arrived that the handshake state does not expect.
    Unexpected(&'static str),
    /// The peer sent a TLS alert (level, description).
    PeerAlert(u8, u8),
    /// No TLS version both sides allow. Check the version range in the configuration.
    NoCommonVersion,
    /// No cipher suite both sides allow (export, NULL and, unless enabled, RC4 suites are
    /// never chosen). Check the suite list.
    NoCommonSuite,
    /// The server did not send a CertificateRequest; TLS-DSK needs a client certificate.
    NoCertificateRequest,
    /// The peer's Finished did not verify: wrong keys or a tampered handshake.
    BadFinished,
    /// A record's MAC or padding did not verify.
    BadRecordMac,
    /// The client's CertificateVerify signature did not verify with its certificate key.
    BadCertificateVerify,
    /// A certificate was missing, unparsable, not RSA, or rejected by the verifier.
    Certificate(String),
    /// An RSA operation failed (key too small for the message, for example).
    Rsa(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(w) => write!(f, "truncated {w}"),
            Self::TrailingData(w) => write!(f, "trailing data after {w}"),
            Self::Malformed(w) => write!(f, "malformed {w}"),
            Self::Unexpected(w) => write!(f, "unexpected {w}"),
            Self::PeerAlert(level, desc) => write!(f, "peer sent alert {desc} (level {level})"),
            Self::NoCommonVersion => f.write_str("no common tls version"),
            Self::NoCommonSuite => f.write_str("no common cipher suite"),
            Self::NoCertificateRequest => {
                f.write_str("server did not request a client certificate")
            }
            Self::BadFinished => f.write_str("finished message did not verify"),
            Self::BadRecordMac => f.write_str("record mac or padding did not verify"),
            Self::BadCertificateVerify => {
                f.write_str("certificate verify signature did not verify")
            }
            Self::Certificate(why) => write!(f, "certificate rejected: {why}"),
            Self::Rsa(why) => write!(f, "rsa operation failed: {why}"),
        }
    }
}

impl std::error::Error for TlsError {}
