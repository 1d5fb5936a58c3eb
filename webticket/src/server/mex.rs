//! WSDL / MEX documents for the services an emulator publishes at `<service>/mex`.
//!
//! [`MexDocument`] writes a reduced WSDL 1.1 document: `wsp:Policy` elements (each with a
//! `wsu:Id`) carrying a WS-SecurityPolicy `IssuedToken` issuer, then one `wsdl:service`
//! with its `wsdl:port`s (name + SOAP 1.1 `soap:address`). The layout is exactly the one
//! SIPE walks by local name (SIPE `service_metadata`, `webticket_metadata`):
//!
//! ```text
//! wsdl:definitions
//!  ├─ wsp:Policy wsu:Id="<Port>_policy" / wsp:ExactlyOne / wsp:All /
//!  │     sp:EndorsingSupportingTokens | sp:SignedSupportingTokens / wsp:Policy /
//!  │     sp:IssuedToken / sp:Issuer / wsa:Address = issuer (the web-ticket service)
//!  └─ wsdl:service / wsdl:port name="<Port>" / soap:address location="…"
//! ```
//!
//! `EndorsingSupportingTokens` ([`TokenUsage::Endorsing`]) tells the client that the web
//! ticket must be signed with its proof key; `SignedSupportingTokens`
//! ([`TokenUsage::Signed`]) that it is presented as a bearer token. The crate's client side
//! reads these documents back with [`Metadata::parse`](crate::webticket::Metadata::parse).
//!
//! What this module does **not** write: `wsdl:types`, messages, `portType`s and
//! `binding`s. Each port's `binding` attribute names `tns:<Port>` without defining it
//! (emulator choice: neither SIPE nor this crate reads bindings). No policy is attached to
//! ports added with [`MexDocument::port`]; the real documents carry transport and
//! `MSWebAuthentication` policies whose schema was not available (UNCONFIRMED).
//!
//! ```
//! use webticket::server::mex::{self, MexDocument};
//! use webticket::webticket::{Metadata, TokenUsage};
//!
//! // The certificate-provisioning MEX: one port whose ticket must be signed.
//! let xml = mex::cert_provisioning(
//!     "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1",
//!     "https://pool.contoso.com/WebTicket/WebTicketService.svc",
//! )
//! .to_xml()?;
//! let m = Metadata::parse(xml.as_bytes())?;
//! let req = m.service_requirements("CertProvisioningServiceWebTicketProof_SHA1").unwrap();
//! assert!(req.proof_required);
//! assert_eq!(req.issuer, "https://pool.contoso.com/WebTicket/WebTicketService.svc");
//!
//! // Any other document.
//! let xml = MexDocument::new("AddressBookWebService")
//!     .port_with_issued_token("AddressBookWebTicketBearer", "https://pool/abs/bearer",
//!         TokenUsage::Signed, "https://pool/WebTicket/WebTicketService.svc")
//!     .to_xml()?;
//! let m = Metadata::parse(xml.as_bytes())?;
//! assert!(!m.service_requirements("AddressBookWebTicketBearer").unwrap().proof_required);
//! # Ok::<(), webticket::Error>(())
//! ```

use crate::error::Error;
use crate::server::ServerResponse;
use crate::soap::ns;
use crate::webticket::{PORT_CERTPROV_PROOF, PORT_WIN_NEGOTIATE, PORT_WS_FED_BEARER, TokenUsage};
use crate::xml::XmlWriter;

/// Name of the OAuth port published by [`web_ticket_service`]. The real port name is
/// UNCONFIRMED; the crate's client takes the first port whose name contains `OAuth`
/// ([`WebTicketEndpoints::oauth`](crate::webticket::WebTicketEndpoints::oauth)).
pub const PORT_OAUTH: &str = "WebTicketServiceOAuth";

/// The `targetNamespace` written on every document: the \[MS-OCAUTHWS\] service namespace.
pub const TARGET_NAMESPACE: &str = "http://schemas.microsoft.com/OCS/AuthWebServices/";

/// The `sp:IncludeToken` value written on every `sp:IssuedToken`.
const INCLUDE_ALWAYS: &str =
    "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient";

/// The media type a MEX document is served with.
pub const MEX_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

#[derive(Clone, Debug, PartialEq, Eq)]
struct MexPort {
    name: String,
    location: String,
    issued_token: Option<(TokenUsage, String)>,
}

/// A WSDL/MEX document under construction (see the [module docs](self)).
///
/// Ports are written in the order they were added; policies (one per port added with
/// [`port_with_issued_token`](Self::port_with_issued_token), id `<Port>_policy`) come
/// first, as direct children of `wsdl:definitions`. Every name and URL is XML-escaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MexDocument {
    name: String,
    ports: Vec<MexPort>,
}

impl MexDocument {
    /// An empty document whose `wsdl:definitions` and `wsdl:service` are named `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ports: Vec::new(),
        }
    }

    /// Adds a port without a policy.
    pub fn port(mut self, name: &str, location: &str) -> Self {
        self.ports.push(MexPort {
            name: name.to_owned(),
            location: location.to_owned(),
            issued_token: None,
        });
        self
    }

    /// Adds a port and its policy `<name>_policy` requiring a token issued by `issuer`
    /// (the web-ticket service URL), either signed with the proof key
    /// ([`TokenUsage::Endorsing`]) or as a bearer token ([`TokenUsage::Signed`]).
    pub fn port_with_issued_token(
        mut self,
        name: &str,
        location: &str,
        usage: TokenUsage,
        issuer: &str,
    ) -> Self {
        self.ports.push(MexPort {
            name: name.to_owned(),
            location: location.to_owned(),
            issued_token: Some((usage, issuer.to_owned())),
        });
        self
    }

    /// Serializes the document (with an XML declaration).
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when a
    /// name or URL holds a character XML cannot carry: fix the configuration.
    pub fn to_xml(&self) -> Result<String, Error> {
        let mut w = XmlWriter::with_capacity(1024 + 512 * self.ports.len());
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.open(
            "wsdl:definitions",
            &[
                ("name", &self.name),
                ("targetNamespace", TARGET_NAMESPACE),
                ("xmlns:wsdl", ns::WSDL),
                ("xmlns:soap", ns::WSDL_SOAP),
                ("xmlns:tns", TARGET_NAMESPACE),
                ("xmlns:wsp", ns::WSP),
                ("xmlns:wsu", ns::WSU),
                ("xmlns:sp", ns::SP),
                ("xmlns:wsa", ns::WSA),
            ],
        );
        for port in &self.ports {
            let Some((usage, issuer)) = &port.issued_token else {
                continue;
            };
            let id = format!("{}_policy", port.name);
            let container = match usage {
                TokenUsage::Endorsing => "sp:EndorsingSupportingTokens",
                _ => "sp:SignedSupportingTokens",
            };
            w.open("wsp:Policy", &[("wsu:Id", &id)])
                .open("wsp:ExactlyOne", &[])
                .open("wsp:All", &[])
                .open(container, &[])
                .open("wsp:Policy", &[])
                .open("sp:IssuedToken", &[("sp:IncludeToken", INCLUDE_ALWAYS)])
                .open("sp:Issuer", &[])
                .leaf("wsa:Address", &[], issuer)
                .close("sp:Issuer")
                .close("sp:IssuedToken")
                .close("wsp:Policy")
                .close(container)
                .close("wsp:All")
                .close("wsp:ExactlyOne")
                .close("wsp:Policy");
        }
        w.open("wsdl:service", &[("name", &self.name)]);
        for port in &self.ports {
            let binding = format!("tns:{}", port.name);
            w.open("wsdl:port", &[("name", &port.name), ("binding", &binding)])
                .leaf("soap:address", &[("location", &port.location)], "")
                .close("wsdl:port");
        }
        w.close("wsdl:service");
        w.close("wsdl:definitions");
        w.finish()
    }

    /// The document as a `200` response (`text/xml`), or a `500` with an empty body when
    /// it cannot be written (see [`to_xml`](Self::to_xml)).
    pub fn to_response(&self) -> ServerResponse {
        match self.to_xml() {
            Ok(xml) => ServerResponse::new(200).body(MEX_CONTENT_TYPE, xml),
            Err(_) => ServerResponse::new(500),
        }
    }
}

/// The web-ticket service's own MEX: ports `WebTicketServiceWinNegotiate` (HTTP-level
/// authentication), `WsFedBearer` (an OrgID token in `wsse:Security`) and, when `oauth`
/// is given, [`PORT_OAUTH`] (`Authorization: Bearer`), in that order. SIPE picks the
/// first two by name; the OAuth port name is UNCONFIRMED.
pub fn web_ticket_service(
    win_negotiate: &str,
    ws_fed_bearer: &str,
    oauth: Option<&str>,
) -> MexDocument {
    let doc = MexDocument::new("WebTicketService")
        .port(PORT_WIN_NEGOTIATE, win_negotiate)
        .port(PORT_WS_FED_BEARER, ws_fed_bearer);
    match oauth {
        Some(o) => doc.port(PORT_OAUTH, o),
        None => doc,
    }
}

/// The certificate-provisioning MEX: port `CertProvisioningServiceWebTicketProof_SHA1` at
/// `port_location` with policy `CertProvisioningServiceWebTicketProof_SHA1_policy`
/// requiring a proof-key ticket ([`TokenUsage::Endorsing`]) from `web_ticket_service_url`.
pub fn cert_provisioning(port_location: &str, web_ticket_service_url: &str) -> MexDocument {
    MexDocument::new("CertProvisioningService").port_with_issued_token(
        PORT_CERTPROV_PROOF,
        port_location,
        TokenUsage::Endorsing,
        web_ticket_service_url,
    )
}
