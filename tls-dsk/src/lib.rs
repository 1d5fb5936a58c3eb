//! The TLS-DSK SIP authentication scheme of Microsoft Lync / Skype for Business
//! ([MS-SIPAE]), for both roles: the client (what a desk phone or desktop client does) and
//! the server (what a registrar does).
//!
//! What this crate does **not** do: no sockets, no SIP transport, no clock reads, no global
//! random number generator. Time ([`UnixTime`]) and randomness (a
//! [`rand_core::CryptoRngCore`]) are passed in; SIP messages come from and go to
//! [`sip_core`]. It does not obtain the client certificate either: that is certificate
//! provisioning (the `certprov` crate); here it is an input.
//!
//! ```text
//!  client                                   registrar
//!  REGISTER ───────────────────────────────► handle_request → Challenge (realm, targetname, sts-uri)
//!  ClientSa::handle_challenge → ClientHello ─► handle_request → 401 gssapi-data=ServerHello..Done
//!  handle_challenge → Cert,CKE,CV,CCS,Fin ──► handle_request → 401 gssapi-data=CCS,Finished
//!  handle_challenge → Established
//!  sign(REGISTER) → crand,cnum,response ───► handle_request → Authenticated
//!  verify(200 OK) ◄──────────────────────── sign_response → Authentication-Info rspauth
//! ```
//!
//! The TLS handshake inside `gssapi-data` is run by a purpose-built engine ([`tls`]): TLS
//! 1.0 to 1.2, static RSA key exchange, client certificates, AES-CBC suites. rustls cannot
//! do this (TLS 1.0, static RSA and CBC are outside it). Every primitive (RSA, hashes,
//! HMAC, AES) comes from RustCrypto.
//!
//! # Example: the signature known-answer test of `tls-dsk.md` §6.3
//!
//! ```
//! use tls_dsk::{DskKeys, SignatureAlgorithm, SignatureParams, sign};
//! use tls_dsk::tls::ProtocolVersion;
//! let cr: [u8; 32] = std::array::from_fn(|i| i as u8);
//! let sr: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
//! let ms: [u8; 48] = std::array::from_fn(|i| 0x40 + i as u8);
//! let block = tls_dsk::dangerous_key_block(ProtocolVersion::TLS10, &ms, &cr, &sr);
//! let keys = DskKeys::from_key_block(&block, SignatureAlgorithm::HmacSha1);
//!
//! let register = sip_core::SipMessage::parse(bytes::Bytes::from_static(
//!     b"REGISTER sip:contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\n\
//!       From: <sip:alice@contoso.com>;tag=22fafb15b8\r\nTo: <sip:alice@contoso.com>\r\n\
//!       Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\nCSeq: 3 REGISTER\r\nContent-Length: 0\r\n\r\n",
//! ))?;
//! let params = SignatureParams {
//!     protocol: "TLS-DSK", rand: "41c8a5e2", num: "1",
//!     realm: "SIP Communications Service", targetname: "server.contoso.com", version: 4,
//! };
//! let buffer = sign::signature_buffer(&register.message(), &params)?;
//! assert_eq!(sign::to_hex(&sign::mac(&keys, false, &buffer)), "8fc12fb8bba3482a1dbef6e93b9d2714ffcb3e56");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security notes
//!
//! - Keys never appear in `Debug` output; the only ways to read them are the `dangerous_*`
//!   functions.
//! - The server decrypts the pre-master secret with implicit rejection (RFC 5246
//!   §7.4.7.1): any failure continues with a random secret, selected without a
//!   data-dependent branch. The RSA private-key operation itself is from `rsa` 0.9, which
//!   is not constant-time (RUSTSEC-2023-0071, "Marvin"); a registrar exposed to untrusted
//!   networks should weigh that until a fixed release exists.
//! - The client does not validate the server's certificate: TLS-DSK runs inside the
//!   outer SIP-over-TLS connection, which authenticated the server (as SIPE does).
//! - RC4, export and NULL suites are not implemented, so they can never be negotiated.
//!
//! # Interpretations of UNCONFIRMED points (see `tls-dsk.md`)
//!
//! - SIP signature MAC for the TLS 1.2 SHA-256 suites: HMAC-SHA1 by default,
//!   switchable with [`SignatureMac`].
//! - Replay rule for `cnum`/`snum`: a 64-number sliding window ([`ReplayWindow`]).
//! - A failed signature or handshake is answered with a fresh 401 challenge; the
//!   association survives a bad signature.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
// Also in unit tests, which generate and check the seeds of the `dsk_*` fuzz targets.
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod keys;
mod sa;
pub mod sign;
pub mod tls;

pub use error::{HeaderError, SaError, SignError};
pub use header::{AuthInfo, Challenge, Credentials, SCHEME};
pub use keys::{DskKeys, KEY_BLOCK_LABEL, SignatureAlgorithm, SignatureMac, dangerous_key_block};
pub use sa::{ClientSa, ClientStep, Decision, ServerAuth, ServerAuthConfig, VERSION};
pub use sign::{ReplayWindow, SignatureParams};
pub use tls::{
    CaVerifier, ClientCertVerifier, ClientConfig, ClientIdentity, ServerConfig, UnixTime,
};
