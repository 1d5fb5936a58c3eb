//! The TLS-DSK SIP authentication scheme of Lync / Skype for Business ([MS-SIPAE]).
//!
//! **Status: not implemented.** This crate is an empty placeholder in the workspace so that
//! the layout is visible from the start. It contains no functionality yet; the tracking issue
//! is "tls-dsk: the TLS-DSK authentication scheme, client and server".
//!
//! When it lands it will be sans-IO: the challenge/credential header model, the purpose-built
//! TLS 1.0/1.2 static-RSA handshake carried in `gssapi-data`, the signing-key derivation and SIP
//! message signing over `sip-core` messages. It will never open a socket or read the clock.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
