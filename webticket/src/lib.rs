//! Lync autodiscover and the web-ticket service (MEX + WS-Trust), OrgID and OAuth2 device code.
//!
//! **Status: not implemented.** This crate is an empty placeholder in the workspace so that
//! the layout is visible from the start. It contains no functionality yet.
//!
//! When it lands it will be sans-IO: it builds HTTP requests (method, URL, headers, body) and
//! parses responses; the caller performs the HTTP exchange. No HTTP client, no clock reads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
