//! Certificate provisioning for TLS-DSK: the client certificate that Lync / Skype for
//! Business registrars ask for, obtained with [MS-OCAUTHWS] `GetAndPublishCert` — and the
//! service side that issues it, for emulators and test registrars.
//!
//! What this crate does **not** do: it sends no HTTP request, opens no socket, reads no
//! clock and has no random number generator of its own. Requests come out as
//! `webticket::http::HttpRequest` values for the caller's HTTP client; answers go in as
//! `HttpResponse` views. The current time ([`UnixTime`]) and randomness (a
//! `&mut dyn rand_core::CryptoRngCore`) are passed in. It does not fetch the web ticket
//! (that is the `webticket` crate) nor run the TLS-DSK handshake (that is `tls-dsk`); it
//! sits between them.
//!
//! ```text
//!  SIP 401 TLS-DSK targetname=T, sts-uri=U            (tls-dsk)
//!    │ CredentialStore::needs_renewal(user, T, now)
//!    ▼
//!  ClientKey::generate(rng) ─► Csr::new(key, "user@domain", SHA-1)          PKCS#10, CN=user@domain
//!  webticket: MEX(U) ─► IssueToken(proof key) ─► WebTicket ─┐
//!  GetAndPublishCert::with_ticket(endpoint, &csr, &ticket) ─┴► HttpRequest ─► POST ─┐
//!                                                     server::CertProvService::handle ◄┘
//!                                                       ParsedRequest ─► WsSecurity::verify(proof key)
//!                                                       ─► csr() ─► CertAuthority::issue ─► response
//!  CertResponse::from_http ─► verify(&csr, now) ─► IssuedCertificate ◄──────────────┘
//!    ▼
//!  Credential::new(key, cert) ─► CredentialStore::insert(user, T)
//!  store.tls_client_config(user, T, now) ─► tls_dsk::ClientConfig ─► TLS-DSK handshake
//! ```
//!
//! # Example
//!
//! The whole round trip in memory: client request, the service issuing from a test CA,
//! the client checking the answer and handing it to tls-dsk.
//!
//! ```
//! use certprov::server::{CertAuthority, CertProvService, IssuePolicy, KnownTicket};
//! use certprov::{CertResponse, ClientKey, Credential, CredentialStore, Csr, GetAndPublishCert, SignatureHash, UnixTime};
//! use rand_core::SeedableRng;
//! use webticket::crypto::{ClientEntropy, ProofKey};
//! use webticket::http::HttpResponse;
//! use webticket::soap::Uuid;
//! use webticket::webticket::WebTicket;
//! # let data = |f: &str| std::fs::read_to_string(format!("{}/../tls-dsk/tests/data/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
//!
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1); // production: rand::rngs::OsRng
//! let now = UnixTime(1_767_229_200); // 2026-01-01T01:00:00Z, from the caller's clock
//!
//! // The key: `ClientKey::generate(&mut rng)` in production. A fixture here, because
//! // RSA-2048 generation can take seconds in a debug build.
//! let key = ClientKey::from_pem(&data("client.key"))?;
//! let csr = Csr::new(&key, "alice@contoso.com", SignatureHash::Sha1, &mut rng)?;
//!
//! // A holder-of-key web ticket for the CertProv endpoint (see the webticket crate).
//! let entropy = ClientEntropy::from_bytes(std::array::from_fn(|i| i as u8));
//! let rstr = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
//! <wst:RequestSecurityTokenResponse xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
//!  <wst:RequestedSecurityToken><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="SamlSecurityToken-1">...</saml:Assertion></wst:RequestedSecurityToken>
//!  <wst:RequestedProofToken><wst:ComputedKey>http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1</wst:ComputedKey></wst:RequestedProofToken>
//!  <wst:Entropy><wst:BinarySecret>IB8eHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=</wst:BinarySecret></wst:Entropy>
//!  <wst:Lifetime xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsu:Created>2026-01-01T00:00:00Z</wsu:Created><wsu:Expires>2026-01-01T08:00:00Z</wsu:Expires></wst:Lifetime>
//! </wst:RequestSecurityTokenResponse></s:Body></s:Envelope>"#;
//! let ticket = WebTicket::parse(rstr, Some(&entropy))?;
//!
//! // The request.
//! let endpoint = "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";
//! let device_id = Uuid::from_random_bytes([7; 16]); // the endpoint GUID, stable per device
//! let request = GetAndPublishCert::with_ticket(endpoint, &csr, &ticket, device_id, &mut rng)?;
//! let http = request.http_request()?;
//! assert_eq!(http.header("SOAPAction"), Some("\"http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert\""));
//!
//! // The service (an emulator): a CA made from a fixture key, the web-ticket service's
//! // record of the ticket, and the policy (8 h certificates).
//! let ca_key = ClientKey::from_pem(&data("server.key"))?.dangerous_rsa_key().clone();
//! let ca = CertAuthority::self_signed(ca_key, "CertProv test CA", now - 3600, now + 365 * 86_400, &mut rng)?;
//! let server_entropy: Vec<u8> = (1..=32u8).rev().collect();
//! let tickets = |id: &str| {
//!     (id == "SamlSecurityToken-1").then(|| KnownTicket {
//!         proof_key: ProofKey::compute_psha1(&entropy, &server_entropy),
//!         user: "alice@contoso.com".into(),
//!     })
//! };
//! let service = CertProvService {
//!     ca: &ca,
//!     policy: IssuePolicy::default(),
//!     ticket: &tickets,
//!     user_enabled: &|_| true,
//!     clock_skew: 300,
//! };
//! let reply = service.handle(&http.body, now, &mut rng);
//! assert_eq!(reply.status, 200, "{:?}", reply.error);
//!
//! // The client checks the answer against its request and stores it per targetname.
//! let cert = CertResponse::from_http(&HttpResponse::new(reply.status, reply.body.as_bytes()))?.verify(&csr, now)?;
//! assert_eq!(cert.subject_cn(), "alice@contoso.com");
//! assert_eq!(cert.not_after(), now + 8 * 3600);
//! let mut store = CredentialStore::new();
//! store.insert("alice@contoso.com", "sipfed2a.online.lync.com", Credential::new(key, cert)?);
//! let config: tls_dsk::ClientConfig = store
//!     .tls_client_config("alice@contoso.com", "sipfed2a.online.lync.com", now)
//!     .expect("a fresh certificate");
//! assert_eq!(config.cert_chain.len(), 1);
//! // Seven hours later less than the 1 h margin is left: provision again.
//! assert!(store.needs_renewal("alice@contoso.com", "sipfed2a.online.lync.com", now + 7 * 3600));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Reuse, not copies.** The SOAP envelope, WS-Addressing, the signed `wsse:Security`
//!   header (timestamp, assertion, HMAC-SHA1 with the P_SHA1 proof key), the XML reader and
//!   writer, faults and `X-Ms-diagnostics` all come from `webticket`; this crate writes only
//!   the `GetAndPublishCert` body and reads only its answer.
//! - **One crypto generation.** RustCrypto throughout: `rsa` 0.9 (keys, PKCS#1 v1.5
//!   signatures with blinding from the caller's RNG), `x509-cert` 0.2 (its
//!   `CertificateBuilder` issues; the PKCS#10 is written with `der` directly, because
//!   `RequestBuilder` always adds an `extensionRequest` attribute), `der` 0.7, `pkcs8`.
//!   tls-dsk uses the same `rsa`, so the key moves over without conversion.
//! - **Lenient where deployed clients deviate**, strict on signatures: the CSR reader accepts
//!   SIPE's version 2 and verifies the signature over the bytes received; the response
//!   reader matches local names as SIPE does and accepts single certificates, chains,
//!   PKCS#7 and PKIPath.
//! - **Errors say what to do** ([`error`]): new web ticket, retry later, user not
//!   enabled, or a certificate that must not be used.
//! - **Secrets are wrapped.** [`ClientKey`] is zeroized on drop (by `rsa`), exports are
//!   `Zeroizing`, and `Debug` of keys, credentials, CAs and requests shows no key
//!   material or ticket.
//!
//! Choices where the sources are silent are marked UNCONFIRMED in the item docs: the
//! `ErrorInfo` layout and error ids, SHA-256 acceptance by Microsoft's service, the
//! response namespaces, the issued certificate's extensions and the server's fault/status
//! conventions.
//!
//! # Crate features
//!
//! None. The crate is `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod csr;
pub mod error;
pub mod key;
pub mod request;
pub mod response;
pub mod server;
pub mod store;
mod x509;

#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use csr::{Csr, SignatureHash};
pub use error::{
    CertificateError, CsrError, Error, KeyError, MalformedError, MisuseError, ServiceError,
    TicketError,
};
pub use key::ClientKey;
pub use request::GetAndPublishCert;
pub use response::{CertResponse, IssuedCertificate};
pub use store::{Credential, CredentialStore};
pub use webticket::UnixTime;
