//! TLS versions and the cipher suites TLS-DSK peers use.

use std::fmt;

/// A TLS protocol version as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// TLS 1.0 (what SIPE, the Polycom phones and Office 365 use inside TLS-DSK).
    pub const TLS10: Self = Self(0x0301);
    /// TLS 1.1.
    pub const TLS11: Self = Self(0x0302);
    /// TLS 1.2.
    pub const TLS12: Self = Self(0x0303);

    /// True for TLS 1.1 and later: CBC records carry an explicit IV.
    pub(crate) fn explicit_iv(self) -> bool {
        self >= Self::TLS11
    }

    /// True for TLS 1.2: SHA-256 PRF, signature algorithms in CertificateVerify.
    pub(crate) fn is_tls12(self) -> bool {
        self >= Self::TLS12
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TLS10 => f.write_str("TLS 1.0"),
            Self::TLS11 => f.write_str("TLS 1.1"),
            Self::TLS12 => f.write_str("TLS 1.2"),
            Self(0x0300) => f.write_str("SSL 3.0"),
            Self(v) => write!(f, "0x{v:04x}"),
        }
    }
}

/// The record MAC of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA1 (20 bytes).
    Sha1,
    /// HMAC-SHA256 (32 bytes).
    Sha256,
}

impl MacAlgorithm {
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// A cipher suite this engine can run: static RSA key exchange with AES-CBC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CipherSuite {
    /// The IANA number.
    pub id: u16,
    /// The IANA name.
    pub name: &'static str,
    /// AES key length in bytes (16 or 32).
    pub key_len: usize,
    /// Record MAC.
    pub mac: MacAlgorithm,
    /// True if the suite is defined only for TLS 1.2.
    pub tls12_only: bool,
}

impl CipherSuite {
    /// TLS_RSA_WITH_AES_128_CBC_SHA.
    pub const RSA_AES_128_CBC_SHA: Self = Self {
        id: 0x002f,
        name: "TLS_RSA_WITH_AES_128_CBC_SHA",
        key_len: 16,
        mac: MacAlgorithm::Sha1,
        tls12_only: false,
    };
    /// TLS_RSA_WITH_AES_256_CBC_SHA (what Office 365 chose for the Polycom phone).
    pub const RSA_AES_256_CBC_SHA: Self = Self {
        id: 0x0035,
        name: "TLS_RSA_WITH_AES_256_CBC_SHA",
        key_len: 32,
        mac: MacAlgorithm::Sha1,
        tls12_only: false,
    };
    /// TLS_RSA_WITH_AES_128_CBC_SHA256 (TLS 1.2 only).
    pub const RSA_AES_128_CBC_SHA256: Self = Self {
        id: 0x003c,
        name: "TLS_RSA_WITH_AES_128_CBC_SHA256",
        key_len: 16,
        mac: MacAlgorithm::Sha256,
        tls12_only: true,
    };
    /// TLS_RSA_WITH_AES_256_CBC_SHA256 (TLS 1.2 only).
    pub const RSA_AES_256_CBC_SHA256: Self = Self {
        id: 0x003d,
        name: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        key_len: 32,
        mac: MacAlgorithm::Sha256,
        tls12_only: true,
    };

    /// Every suite the engine implements, in the default preference order.
    pub const ALL: [Self; 4] = [
        Self::RSA_AES_256_CBC_SHA,
        Self::RSA_AES_128_CBC_SHA,
        Self::RSA_AES_256_CBC_SHA256,
        Self::RSA_AES_128_CBC_SHA256,
    ];

    /// The suite with this number, if the engine implements it.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id == id)
    }

    pub(crate) fn usable_with(&self, v: ProtocolVersion) -> bool {
        !self.tls12_only || v.is_tls12()
    }
}

/// Human-readable name of any cipher suite number, for the decoder's dump.
pub fn suite_name(id: u16) -> &'static str {
    match id {
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        _ => "unknown",
    }
}
