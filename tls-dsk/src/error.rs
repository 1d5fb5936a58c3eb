//! Errors of the TLS-DSK layer, split by cause.

use std::fmt;

use sip_core::{KnownHeader, ParseError};

use crate::tls::TlsError;

/// A TLS-DSK header is missing, malformed or of another scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is for another scheme (NTLM, Kerberos, Digest); look for the TLS-DSK one.
    NotTlsDsk,
    /// A required parameter is missing.
    Missing(&'static str),
    /// A parameter has a bad value (base64, version number).
    Invalid(&'static str),
    /// The SIP header itself does not parse.
    Parse(ParseError),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTlsDsk => f.write_str("not a tls-dsk header"),
            Self::Missing(p) => write!(f, "tls-dsk header lacks {p}"),
            Self::Invalid(p) => write!(f, "tls-dsk header has an invalid {p}"),
            Self::Parse(e) => write!(f, "authentication header does not parse: {e}"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// A signature could not be made or did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The message lacks a header the signature covers.
    MissingHeader(KnownHeader),
    /// The signature does not match: the message was changed or signed with other keys.
    BadSignature,
    /// The sequence number was used before or is too old (see [`ReplayWindow`](crate::ReplayWindow)).
    Replay(u64),
    /// The sequence number is not a decimal number.
    BadSequenceNumber,
    /// No signature (`response`/`rspauth`) where one is required.
    Unsigned,
    /// realm or targetname differ from the security association's.
    WrongSecurityAssociation,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(f, "message lacks {h}, which the signature covers"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::Replay(n) => write!(f, "sequence number {n} replayed or outside the window"),
            Self::BadSequenceNumber => f.write_str("sequence number is not a decimal number"),
            Self::Unsigned => f.write_str("message is not signed"),
            Self::WrongSecurityAssociation => {
                f.write_str("realm or targetname do not match the security association")
            }
        }
    }
}

impl std::error::Error for SignError {}

/// Why a security association step failed.
///
/// A failed step leaves the association unchanged where it can (a bad signature on one
/// message does not break the association); a failed handshake ends it: start over with
/// an unsigned REGISTER.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaError {
    /// A TLS-DSK header is missing or malformed.
    Header(HeaderError),
    /// The handshake failed.
    Tls(TlsError),
    /// Signing or verification failed.
    Sign(SignError),
    /// The call does not fit the state (signing before the handshake finished, a challenge
    /// after it did, ...). Check the call order documented on the type.
    WrongState(&'static str),
    /// The client certificate does not name the user in From.
    IdentityMismatch,
    /// The security association expired; start a new handshake.
    Expired,
}

impl fmt::Display for SaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(e) => e.fmt(f),
            Self::Tls(e) => write!(f, "tls-dsk handshake failed: {e}"),
            Self::Sign(e) => e.fmt(f),
            Self::WrongState(w) => write!(f, "wrong state: {w}"),
            Self::IdentityMismatch => f.write_str("client certificate does not name the from user"),
            Self::Expired => f.write_str("security association expired"),
        }
    }
}

impl std::error::Error for SaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Header(e) => Some(e),
            Self::Tls(e) => Some(e),
            Self::Sign(e) => Some(e),
            _ => None,
        }
    }
}

impl From<HeaderError> for SaError {
    fn from(e: HeaderError) -> Self {
        Self::Header(e)
    }
}
impl From<TlsError> for SaError {
    fn from(e: TlsError) -> Self {
        Self::Tls(e)
    }
}
impl From<SignError> for SaError {
    fn from(e: SignError) -> Self {
        Self::Sign(e)
    }
}
