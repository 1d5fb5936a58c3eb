//! The `GetAndPublishCert` request ([MS-OCAUTHWS] 3.1.4.1; `web-services.md` §4.3).
//!
//! ```text
//!  POST <CertProv port location>            Content-Type: text/xml; charset=utf-8
//!  SOAPAction: "http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert"
//!  soap:Envelope (SOAP 1.1)
//!   soap:Header  wsa:To · wsa:ReplyTo(anonymous) · wsa:MessageID uuid:… · wsa:Action
//!                wsse:Security = wsu:Timestamp + saml:Assertion + ds:Signature (HMAC-SHA1, proof key)
//!   soap:Body    GetAndPublishCert DeviceId="{uuid}" Entity="user@domain"
//!                 wst:RequestSecurityToken
//!                  wst:TokenType   …x509-token-profile-1.0#X509v3
//!                  wst:RequestType http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue
//!                  wsse:BinarySecurityToken ValueType=…#PKCS10  CRLF + base64(CSR) in 76-char CRLF lines
//!                  wstep:RequestID <uuid>
//! ```
//!
//! The envelope, the WS-Addressing headers, the signed web ticket and the HTTP request all
//! come from `webticket` ([`SoapMessage`], [`WebTicket::security_header`],
//! [`soap_http_request`]); this module only writes the body. The body's namespace
//! declarations are SIPE's, including the trailing slash of the `wst` URI
//! (`…/ws-trust/200512/`), which servers accept.

use rand_core::CryptoRngCore;
use webticket::http::HttpRequest;
use webticket::soap::{
    Addressing, SecurityHeader, SoapMessage, SoapVersion, Uuid, soap_http_request,
};
use webticket::webticket::WebTicket;
use webticket::xml::XmlWriter;

use crate::csr::Csr;
use crate::error::{Error, MisuseError, from_webticket};

/// `SOAPAction` and `wsa:Action` of the request.
pub const ACTION: &str = "http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert";
/// Namespace of `GetAndPublishCert` / `GetAndPublishCertResponse` (with the trailing slash
/// SIPE and the WSDL use).
pub const NS_AUTHWS: &str = "http://schemas.microsoft.com/OCS/AuthWebServices/";
/// The WS-Trust 1.3 namespace as SIPE declares it in this body (trailing slash).
pub const NS_WST_SLASH: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/";
/// The WS-Trust X.509 enrollment extensions namespace (`wstep:RequestID`).
pub const NS_WSTEP: &str = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment";
/// `wst:TokenType` of the request and the response: an X.509 v3 certificate.
pub const TOKEN_TYPE_X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
/// `wst:RequestType`: the WS-Trust 1.3 issue request.
pub const REQUEST_TYPE_ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue";
/// `ValueType` of the PKCS#10 `BinarySecurityToken`.
pub const VALUE_TYPE_PKCS10: &str = "http://schemas.microsoft.com/OCS/AuthWebServices.xsd#PKCS10";
/// `EncodingType` of every `BinarySecurityToken` here.
pub const ENCODING_BASE64: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#Base64Binary";

/// A `GetAndPublishCert` request: build it, send [`http_request`](Self::http_request) with
/// any HTTP client, and keep the value to check the answer
/// ([`CertResponse::verify`](crate::CertResponse::verify) with [`csr`](Self::csr)).
///
/// `Debug` does not show the security header (it holds the web ticket).
#[derive(Clone, Debug)]
pub struct GetAndPublishCert<'a> {
    endpoint: &'a str,
    csr: &'a Csr,
    security: SecurityHeader,
    device_id: Uuid,
    message_id: Uuid,
    request_id: Uuid,
}

impl<'a> GetAndPublishCert<'a> {
    /// A request to `endpoint` (the `CertProvisioningServiceWebTicketProof_SHA1` port
    /// location from the service MEX) for `csr`, authenticated by `security` (the signed
    /// web-ticket header).
    ///
    /// `device_id` identifies the client endpoint and should stay the same across requests
    /// (SIPE uses its endpoint GUID); it is sent in braces. The `wsa:MessageID` and the
    /// `wstep:RequestID` are drawn from `rng` (override them with
    /// [`message_id`](Self::message_id) / [`request_id`](Self::request_id)).
    pub fn new(
        endpoint: &'a str,
        csr: &'a Csr,
        security: SecurityHeader,
        device_id: Uuid,
        rng: &mut dyn CryptoRngCore,
    ) -> Self {
        let mut ids = [0u8; 32];
        rng.fill_bytes(&mut ids);
        let (m, r) = ids.split_at(16);
        Self {
            endpoint,
            csr,
            security,
            device_id,
            message_id: Uuid::from_random_bytes(m.try_into().unwrap_or_default()),
            request_id: Uuid::from_random_bytes(r.try_into().unwrap_or_default()),
        }
    }

    /// As [`new`](Self::new), with the `wsse:Security` header from a holder-of-key web
    /// ticket ([`WebTicket::security_header`]: the ticket lifetime as timestamp, the
    /// assertion, and the HMAC-SHA1 signature with the proof key, as SIPE sends it).
    ///
    /// # Errors
    ///
    /// [`MisuseError::TicketWithoutProofKey`] for a bearer ticket: the certificate
    /// service's policy requires the signature.
    pub fn with_ticket(
        endpoint: &'a str,
        csr: &'a Csr,
        ticket: &WebTicket,
        device_id: Uuid,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, Error> {
        if ticket.proof_key().is_none() {
            return Err(MisuseError::TicketWithoutProofKey.into());
        }
        let security = ticket.security_header().map_err(from_webticket)?;
        Ok(Self::new(endpoint, csr, security, device_id, rng))
    }

    /// Sets the `wsa:MessageID`.
    pub fn message_id(mut self, id: Uuid) -> Self {
        self.message_id = id;
        self
    }

    /// Sets the `wstep:RequestID`.
    pub fn request_id(mut self, id: Uuid) -> Self {
        self.request_id = id;
        self
    }

    /// The request whose answer this is.
    pub fn csr(&self) -> &'a Csr {
        self.csr
    }

    /// The `wstep:RequestID` sent.
    pub fn request_id_value(&self) -> Uuid {
        self.request_id
    }

    /// The SOAP body content (`GetAndPublishCert` element).
    ///
    /// # Errors
    ///
    /// [`MisuseError::Soap`] when a value cannot be written as XML.
    pub fn body_xml(&self) -> Result<String, Error> {
        let device_id = format!("{{{}}}", self.device_id);
        let request_id = self.request_id.to_string();
        let mut w = XmlWriter::with_capacity(2600);
        w.open(
            "GetAndPublishCert",
            &[
                ("xmlns", NS_AUTHWS),
                ("xmlns:wst", NS_WST_SLASH),
                ("xmlns:wstep", NS_WSTEP),
                ("DeviceId", &device_id),
                ("Entity", self.csr.subject_cn()),
            ],
        )
        .open("wst:RequestSecurityToken", &[])
        .leaf("wst:TokenType", &[], TOKEN_TYPE_X509V3)
        .leaf("wst:RequestType", &[], REQUEST_TYPE_ISSUE)
        .open(
            "wsse:BinarySecurityToken",
            &[
                ("ValueType", VALUE_TYPE_PKCS10),
                ("EncodingType", ENCODING_BASE64),
            ],
        )
        // Base64 and CRLF only: nothing to escape. Written raw so that the CR reaches the
        // wire as SIPE sends it, not as `&#xD;`.
        .raw(&self.csr.to_base64_wrapped())
        .close("wsse:BinarySecurityToken")
        .leaf("wstep:RequestID", &[], &request_id)
        .close("wst:RequestSecurityToken")
        .close("GetAndPublishCert");
        w.finish().map_err(|e| MisuseError::Soap(e).into())
    }

    /// The whole envelope.
    ///
    /// # Errors
    ///
    /// [`MisuseError::Soap`] when a value cannot be written as XML.
    pub fn to_xml(&self) -> Result<String, Error> {
        let body = self.body_xml()?;
        SoapMessage {
            version: SoapVersion::Soap11,
            namespaces: &[],
            addressing: Some(Addressing {
                to: self.endpoint,
                action: ACTION,
                message_id: self.message_id,
            }),
            security: Some(&self.security),
            body: &body,
        }
        .to_xml()
        .map_err(|e| MisuseError::Soap(e).into())
    }

    /// The HTTP `POST` to send.
    ///
    /// # Errors
    ///
    /// [`MisuseError::Soap`] for an endpoint that is not an absolute `http(s)` URL or a
    /// value XML cannot carry.
    pub fn http_request(&self) -> Result<HttpRequest, Error> {
        let xml = self.to_xml()?;
        soap_http_request(
            self.endpoint,
            SoapVersion::Soap11.default_content_type(),
            ACTION,
            xml,
        )
        .map_err(|e| MisuseError::Soap(e).into())
    }
}
