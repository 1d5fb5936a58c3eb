//! OrgID: realm discovery, RST2.srf / ADFS requests (credentials escaped), responses,
//! faults, and the token's use as the web-ticket credential.

mod common;

use common::{assert_matches_file, data};
use webticket::Error;
use webticket::UnixTime;
use webticket::crypto::SecretString;
use webticket::error::{MalformedError, MisuseError, ServerError};
use webticket::http::{HttpResponse, Method};
use webticket::orgid::{
    OrgIdRequest, OrgIdToken, OrgIdTokenKind, Realm, RealmInfo, realm_request, realm_request_at,
};
use webticket::soap::{Uuid, ns};
use webticket::xml::{Document, XmlLimits};

const WS_FED: &str = "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer";
const JAN1: UnixTime = UnixTime(1_767_225_600);

#[test]
fn realm_requests() {
    let r = realm_request("alice@contoso.com").unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "https://login.microsoftonline.com/getuserrealm.srf?login=alice@contoso.com&xml=1"
    );
    let r = realm_request_at("http://127.0.0.1:8080/", "a b&c@x.com").unwrap();
    assert_eq!(
        r.url,
        "http://127.0.0.1:8080/getuserrealm.srf?login=a%20b%26c@x.com&xml=1"
    );
    assert!(matches!(
        realm_request(" "),
        Err(Error::Misuse(MisuseError::Empty { .. }))
    ));
}

#[test]
fn realm_info_fixtures() {
    let r = RealmInfo::parse(&data("realm_managed.xml")).unwrap();
    assert_eq!(r.realm, Realm::Managed);
    assert_eq!(r.namespace_type.as_deref(), Some("Managed"));
    assert_eq!(r.domain_name.as_deref(), Some("contoso.com"));
    assert_eq!(
        r.cloud_instance_name.as_deref(),
        Some("microsoftonline.com")
    );

    let r = RealmInfo::parse(&data("realm_federated.xml")).unwrap();
    assert_eq!(
        r.realm,
        Realm::Federated {
            sts_auth_url: Some(
                "https://sts.fabrikam.com/adfs/services/trust/2005/usernamemixed".into()
            )
        }
    );
    assert_eq!(r.federation_brand_name.as_deref(), Some("Fabrikam"));

    assert_eq!(
        RealmInfo::parse(&data("realm_unknown.xml")).unwrap().realm,
        Realm::Unknown
    );
    assert_eq!(
        RealmInfo::parse(b"<RealmInfo><NameSpaceType>federated</NameSpaceType></RealmInfo>")
            .unwrap()
            .realm,
        Realm::Federated { sts_auth_url: None }
    );
    assert!(matches!(
        RealmInfo::parse(&data("ad_root.xml")),
        Err(Error::Malformed(MalformedError::UnexpectedRoot { .. }))
    ));
}

#[test]
fn rst2_password_request() {
    let pw = SecretString::new("p&ss<w>\"o'rd");
    let req = OrgIdRequest::password(
        "alice@contoso.com",
        &pw,
        WS_FED,
        Uuid::from_bytes([0x11; 16]),
    )
    .build()
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://login.microsoftonline.com:443/RST2.srf");
    assert_eq!(req.header("Content-Type"), Some("text/xml; charset=utf-8"));
    assert_eq!(
        req.header("SOAPAction"),
        Some("\"http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue\"")
    );
    assert_matches_file("rst2_request.xml", &req.body);
    assert!(
        req.body_str()
            .unwrap()
            .contains("<wsse:Password>p&amp;ss&lt;w&gt;\"o'rd</wsse:Password>")
    );
    assert!(!format!("{req:?}").contains("p&ss"));

    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let env = doc.root();
    assert!(env.is(ns::SOAP12, "Envelope"));
    let header = env.child(ns::SOAP12, "Header").unwrap();
    assert_eq!(
        header.child(ns::WSA, "To").unwrap().text(),
        "https://login.microsoftonline.com:443/RST2.srf"
    );
    assert_eq!(
        header.child(ns::WSA, "Action").unwrap().text(),
        "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"
    );
    assert_eq!(
        header.child(ns::WSA, "MessageID").unwrap().text(),
        "uuid:11111111-1111-1111-1111-111111111111"
    );
    let token = header
        .path(&[(ns::WSSE, "Security"), (ns::WSSE, "UsernameToken")])
        .unwrap();
    assert_eq!(
        token.child(ns::WSSE, "Username").unwrap().text(),
        "alice@contoso.com"
    );
    assert_eq!(
        token.child(ns::WSSE, "Password").unwrap().text(),
        "p&ss<w>\"o'rd"
    );
    let rst = env
        .path(&[(ns::SOAP12, "Body"), (ns::WST_2005, "RequestSecurityToken")])
        .unwrap();
    assert_eq!(
        rst.child(ns::WST_2005, "RequestType").unwrap().text(),
        "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"
    );
    assert_eq!(rst.find(ns::WSA, "Address").unwrap().text(), WS_FED);
    assert!(rst.child(ns::WST_2005, "KeyType").is_none());

    let bad = SecretString::new("nul\0");
    assert!(matches!(
        OrgIdRequest::password("alice@contoso.com", &bad, WS_FED, Uuid::from_bytes([0; 16]))
            .build(),
        Err(Error::Misuse(MisuseError::InvalidXmlChar {
            what: "password"
        }))
    ));
    let emulator =
        OrgIdRequest::password("alice@contoso.com", &pw, WS_FED, Uuid::from_bytes([0; 16]))
            .url("http://127.0.0.1:9/RST2.srf")
            .build()
            .unwrap();
    assert_eq!(emulator.url, "http://127.0.0.1:9/RST2.srf");
}

#[test]
fn adfs_and_federated_requests() {
    let pw = SecretString::new("secret");
    let sts = "https://sts.fabrikam.com/adfs/services/trust/2005/usernamemixed";
    let req = OrgIdRequest::adfs(sts, "bob@fabrikam.com", &pw, Uuid::from_bytes([0x22; 16]))
        .build()
        .unwrap();
    assert_eq!(req.url, sts);
    assert_eq!(
        req.header("Content-Type"),
        Some(
            "application/soap+xml; charset=utf-8; action=\"http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue\""
        )
    );
    assert_eq!(req.header("SOAPAction"), None);
    assert_matches_file("adfs_request.xml", &req.body);
    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let rst = doc
        .root()
        .find(ns::WST_2005, "RequestSecurityToken")
        .unwrap();
    assert_eq!(
        rst.find(ns::WSA, "Address").unwrap().text(),
        "urn:federation:MicrosoftOnline"
    );
    assert_eq!(
        rst.child(ns::WST_2005, "KeyType").unwrap().text(),
        "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
    );

    // Second hop: the ADFS assertion goes to RST2.srf.
    let adfs = OrgIdToken::parse(&data("adfs_response.xml")).unwrap();
    assert_eq!(adfs.kind(), OrgIdTokenKind::Assertion);
    assert_eq!(adfs.lifetime().expires, JAN1 + 3600);
    let req = OrgIdRequest::federated(&adfs, WS_FED, Uuid::from_bytes([0x33; 16]))
        .build()
        .unwrap();
    assert_eq!(req.url, "https://login.microsoftonline.com:443/RST2.srf");
    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let sec = doc.root().find(ns::WSSE, "Security").unwrap();
    assert_eq!(
        sec.child(ns::WSU, "Timestamp")
            .unwrap()
            .child(ns::WSU, "Created")
            .unwrap()
            .text(),
        "2026-01-01T00:00:00.000Z"
    );
    assert_eq!(
        sec.child(ns::SAML1, "Assertion").unwrap().raw(),
        adfs.token_xml()
    );
    assert!(sec.find(ns::WSSE, "UsernameToken").is_none());
}

#[test]
fn rst2_response_fixture() {
    let body = data("rst2_response.xml");
    let t = OrgIdToken::parse(&body).unwrap();
    assert_eq!(t.kind(), OrgIdTokenKind::EncryptedData);
    let src = std::str::from_utf8(&body).unwrap();
    let start = src.find("<EncryptedData").unwrap();
    let end = src.find("</EncryptedData>").unwrap() + "</EncryptedData>".len();
    assert_eq!(t.token_xml(), &src[start..end], "kept verbatim");
    assert_eq!(t.lifetime().created, JAN1);
    assert_eq!(t.lifetime().expires, JAN1 + 8 * 3600);
    assert!(t.is_valid_at(JAN1, 60));
    assert!(!t.is_valid_at(JAN1 + 8 * 3600 - 30, 60));
    assert_eq!(
        t.security_header().dangerous_as_str(),
        format!("{}{}", t.lifetime().timestamp.to_xml(), t.token_xml())
    );
    assert!(!format!("{t:?}").contains("CipherValue"));
    assert_eq!(
        OrgIdToken::from_response(&HttpResponse::new(200, &body)).unwrap(),
        t
    );

    // F9 as printed in the spec omits the wsu declaration: not namespace-well-formed.
    assert!(matches!(
        OrgIdToken::parse(&data("rst2_response_undeclared_wsu.xml")),
        Err(Error::Malformed(MalformedError::UnboundPrefix { prefix })) if prefix == "wsu"
    ));
}

#[test]
fn rst2_fault_fixture() {
    let body = data("rst2_fault.xml");
    for status in [200, 500] {
        let err = OrgIdToken::from_response(&HttpResponse::new(status, &body)).unwrap_err();
        let Error::Server(ServerError::Fault(f)) = err else {
            panic!("{err:?}")
        };
        assert_eq!(f.code, "S:Sender");
        assert_eq!(f.code_namespace.as_deref(), Some(ns::SOAP12));
        assert_eq!(f.subcodes, ["wst:FailedAuthentication"]);
        assert_eq!(f.reason, "Authentication Failure");
        let p = f.passport_error.as_ref().unwrap();
        assert_eq!(p.text, "The entered and stored passwords do not match.");
        assert_eq!(p.value.as_deref(), Some("0x80048821"));
        assert_eq!(p.code.as_deref(), Some("0x80041012"));
        assert_eq!(
            f.message(),
            "The entered and stored passwords do not match."
        );
        assert_eq!(f.http_status, Some(status));
        assert!(f.detail_xml.as_deref().unwrap().starts_with(
            "<S:Detail xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:psf="
        ));
    }
    assert!(matches!(
        OrgIdToken::parse(&body),
        Err(Error::Server(ServerError::Fault(_)))
    ));
}
