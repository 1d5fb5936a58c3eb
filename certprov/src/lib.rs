//! Certificate provisioning for TLS-DSK ([MS-OCAUTHWS] GetAndPublishCert).
//!
//! **Status: not implemented.** This crate is an empty placeholder in the workspace so that
//! the layout is visible from the start. It contains no functionality yet.
//!
//! When it lands it will be sans-IO: RSA key and PKCS#10 request generation from a
//! caller-supplied RNG, the SOAP request, response parsing, and the server side that issues
//! certificates from a caller-supplied CA key.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
