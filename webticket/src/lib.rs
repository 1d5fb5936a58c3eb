//! The web side of a Lync / Skype for Business sign-in: Lync autodiscover, the web-ticket
//! service (MEX + WS-Trust), the legacy OrgID sign-in and the OAuth 2.0 device-code flow,
//! plus the WS-Security pieces (proof key, signed timestamp, SOAP envelopes) that
//! certificate provisioning reuses.
//!
//! What this crate does **not** do: it sends no HTTP requests, opens no sockets, reads no
//! clock and draws no random numbers. It builds requests ([`http::HttpRequest`]: method,
//! URL, headers, body) and parses responses ([`http::HttpResponse`], filled in by the
//! caller); the current time ([`UnixTime`]), the client entropy and every UUID are passed in.
//! It never processes DTDs or expands entities, and no XML-library type appears in its API.
//!
//! ```text
//!                 caller's HTTP client (sipdsk)            this crate
//!  SIP address ─────────────────────────────────► autodiscover::AutodiscoverClient
//!      GET lyncdiscover.<domain>/?sipuri=…   ◄─── poll(): Send / NeedCredential / Done(pools)
//!      401 X-MS-WebTicketURL ───────────────────► AuthChallenge
//!      GET <webticket>/mex ─────────────────────► webticket::Metadata (ports, policies)
//!      [OrgID: getuserrealm.srf, RST2.srf ──────► orgid::RealmInfo, orgid::OrgIdToken]
//!      [phone: devicecode, token (polling) ─────► device_code::DevicePoller → TokenResponse]
//!      POST IssueToken (RST) ◄────────────────── webticket::IssueTokenRequest
//!      RSTR ────────────────────────────────────► webticket::WebTicket (assertion, lifetime, P_SHA1 key)
//!      GET …/root/user + X-MS-WebTicket ◄──────── provide_credential()
//!      200 User{SipClientExternalAccess} ───────► Done { pools: [(host, port)] } ─► SIP REGISTER
//!  certprov (later): WebTicket::security_header() = Timestamp + Assertion + HMAC-SHA1 Signature
//! ```
//!
//! # Example
//!
//! A complete autodiscover run against canned answers, with a proof-key web ticket:
//!
//! ```
//! use webticket::autodiscover::{AutodiscoverClient, AutodiscoverConfig, AutodiscoverStep, Credential};
//! use webticket::crypto::ClientEntropy;
//! use webticket::http::HttpResponse;
//! use webticket::soap::Uuid;
//! use webticket::webticket::{IssueTokenRequest, Metadata, WebTicket, mex_request};
//! use webticket::UnixTime;
//!
//! const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; charset=utf-8";
//! let addr = "alice@contoso.com".parse()?;
//! let mut ad = AutodiscoverClient::new(addr, AutodiscoverConfig::default().try_http(false));
//!
//! // Internal DNS name unknown: the client moves on to lyncdiscover.<domain>.
//! let AutodiscoverStep::Send(_) = ad.poll()? else { unreachable!() };
//! ad.handle_transport_error("no such host")?;
//! let AutodiscoverStep::Send(req) = ad.poll()? else { unreachable!() };
//! assert_eq!(req.url, "https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com");
//! let root = br#"<AutodiscoverResponse AccessLocation="External"><Root>
//!   <Link token="User" href="https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"/>
//! </Root></AutodiscoverResponse>"#;
//! ad.handle_response(&HttpResponse::new(200, root).header("Content-Type", XML))?;
//!
//! // The User resource wants a web ticket.
//! let AutodiscoverStep::Send(_) = ad.poll()? else { unreachable!() };
//! ad.handle_response(&HttpResponse::new(401, b"")
//!     .header("X-MS-WebTicketURL", "https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc"))?;
//! let AutodiscoverStep::NeedCredential { user_url, challenge } = ad.poll()? else { unreachable!() };
//!
//! // Web-ticket service: MEX, then IssueToken with 32 bytes of entropy from the caller's RNG.
//! let mex = mex_request(challenge.web_ticket_url.as_deref().unwrap())?;
//! assert_eq!(mex.url, "https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc/mex");
//! let wsdl = br#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/">
//!   <wsdl:service name="WebTicketService"><wsdl:port name="WebTicketServiceWinNegotiate" binding="tns:b1">
//!   <soap:address location="https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc/WinNegotiate"/></wsdl:port></wsdl:service></wsdl:definitions>"#;
//! let endpoint = Metadata::parse(wsdl)?.web_ticket_endpoints().win_negotiate.unwrap();
//! let entropy = ClientEntropy::from_bytes([0x42; 32]);
//! let addr = "alice@contoso.com".parse()?;
//! let rst = IssueTokenRequest::new(&endpoint, &user_url, Uuid::from_random_bytes([1; 16]))
//!     .claims(&addr)
//!     .proof_key(&entropy)
//!     .build()?; // POST it; the HTTP stack does Negotiate on this port
//! assert_eq!(rst.url, endpoint);
//! let rstr = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
//! <wst:RequestSecurityTokenResponseCollection xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><wst:RequestSecurityTokenResponse>
//!  <wst:RequestedSecurityToken><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="SamlSecurityToken-1">...</saml:Assertion></wst:RequestedSecurityToken>
//!  <wst:RequestedProofToken><wst:ComputedKey>http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1</wst:ComputedKey></wst:RequestedProofToken>
//!  <wst:Entropy><wst:BinarySecret>IB8eHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=</wst:BinarySecret></wst:Entropy>
//!  <wst:Lifetime xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsu:Created>2026-01-01T00:00:00Z</wsu:Created><wsu:Expires>2026-01-01T08:00:00Z</wsu:Expires></wst:Lifetime>
//! </wst:RequestSecurityTokenResponse></wst:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"#;
//! let ticket = WebTicket::from_response(&HttpResponse::new(200, rstr), Some(&entropy))?;
//! assert!(ticket.proof_key().is_some());
//! assert!(ticket.is_valid_at(UnixTime(1_767_225_600), 60));
//! ad.provide_credential(Credential::WebTicket(ticket))?;
//!
//! // The User resource again, now with X-MS-WebTicket.
//! let AutodiscoverStep::Send(req) = ad.poll()? else { unreachable!() };
//! assert!(req.header("X-MS-WebTicket").unwrap().starts_with("opaque=PHNhbWw6QXNzZXJ0aW9u"));
//! let user = br#"<AutodiscoverResponse AccessLocation="External"><User>
//!   <SipClientExternalAccess fqdn="sipfed2a.online.lync.com" port="443"/>
//!   <SipServerExternalAccess fqdn="sipfed2a.online.lync.com" port="5061"/>
//! </User></AutodiscoverResponse>"#;
//! ad.handle_response(&HttpResponse::new(200, user).header("Content-Type", XML))?;
//! let AutodiscoverStep::Done(found) = ad.poll()? else { unreachable!() };
//! assert_eq!((found.pools[0].host.as_str(), found.pools[0].port), ("sipfed2a.online.lync.com", 443));
//! # Ok::<(), webticket::Error>(())
//! ```
//!
//! # Design
//!
//! - **State machines take inputs and report outputs.** [`autodiscover::AutodiscoverClient`]
//!   and [`device_code::DevicePoller`] are driven by `poll` → act → `handle_*`; inputs fail
//!   only on API misuse, protocol outcomes come out of the next `poll`.
//! - **Tokens are kept verbatim.** The SAML assertion and the OrgID `EncryptedData` are the
//!   exact bytes the server sent ([`xml::Element::raw`]), because they are signed.
//! - **Secrets are wrapped.** [`crypto::ClientEntropy`], [`crypto::ProofKey`],
//!   [`crypto::SecretString`] and [`soap::SecurityHeader`] are zeroized on drop and
//!   print as `[redacted]`; raw access is through `dangerous_*` methods. `Debug` of
//!   [`http::HttpRequest`] redacts credential headers and bodies.
//! - **XML is read defensively** ([`xml`]): no DTD, bounded size/depth/element count,
//!   namespaces matched by URI, every written value escaped.
//! - **Errors are split by cause** ([`error`]): malformed response, limit, server fault,
//!   authentication, discovery, misuse; each variant says what to do.
//!
//! Choices where the sources are silent are marked UNCONFIRMED in the item docs
//! (autodiscover namespace and JSON user shape, the OAuth web-ticket port, `KeyType Bearer`,
//! the Passport fault namespace, the DeviceConfig keys, ...).
//!
//! # Crate features
//!
//! None. The crate is `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod autodiscover;
pub mod cache;
pub mod crypto;
pub mod device_code;
pub mod error;
pub mod http;
pub mod orgid;
pub mod server;
pub mod soap;
mod time;
pub mod webticket;
pub mod xml;

#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use error::Error;
pub use time::UnixTime;
