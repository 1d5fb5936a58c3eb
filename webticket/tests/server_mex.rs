//! The MEX documents of `webticket::server::mex`, read back by the crate's own client-side
//! parser, plus byte-exact golden files.

mod common;

use common::assert_matches_file;
use webticket::server::mex::{self, MexDocument, PORT_OAUTH};
use webticket::server::ticket::{TicketRoute, TicketService, TicketServiceConfig};
use webticket::webticket::{
    Metadata, PORT_CERTPROV_PROOF, PORT_WIN_NEGOTIATE, PORT_WS_FED_BEARER, TokenUsage,
};
use webticket::xml::{AnyNs, Document, XmlLimits};

const WT: &str = "https://pool.contoso.com/WebTicket/WebTicketService.svc";
const CERTPROV: &str =
    "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";

fn web_ticket_mex() -> String {
    mex::web_ticket_service(
        &format!("{WT}/WinNegotiate"),
        &format!("{WT}/WsFedBearer"),
        Some(&format!("{WT}/OAuth")),
    )
    .to_xml()
    .unwrap()
}

#[test]
fn web_ticket_mex_reads_back() {
    let xml = web_ticket_mex();
    let m = Metadata::parse(xml.as_bytes()).unwrap();
    let names: Vec<_> = m.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, [PORT_WIN_NEGOTIATE, PORT_WS_FED_BEARER, PORT_OAUTH]);
    let e = m.web_ticket_endpoints();
    assert_eq!(
        e.win_negotiate.as_deref(),
        Some(&*format!("{WT}/WinNegotiate"))
    );
    assert_eq!(
        e.ws_fed_bearer.as_deref(),
        Some(&*format!("{WT}/WsFedBearer"))
    );
    assert_eq!(e.oauth.as_deref(), Some(&*format!("{WT}/OAuth")));
    assert!(m.policies.is_empty());
    assert_matches_file("server/mex_webticket.xml", xml.as_bytes());
}

#[test]
fn web_ticket_mex_without_oauth() {
    let xml = mex::web_ticket_service("https://a/w", "https://a/f", None)
        .to_xml()
        .unwrap();
    let m = Metadata::parse(xml.as_bytes()).unwrap();
    assert_eq!(m.ports.len(), 2);
    assert_eq!(m.web_ticket_endpoints().oauth, None);
}

#[test]
fn cert_provisioning_mex_reads_back() {
    let xml = mex::cert_provisioning(CERTPROV, WT).to_xml().unwrap();
    let m = Metadata::parse(xml.as_bytes()).unwrap();
    let req = m.service_requirements(PORT_CERTPROV_PROOF).unwrap();
    assert_eq!(req.endpoint, CERTPROV);
    assert_eq!(req.issuer, WT);
    assert!(req.proof_required);
    let p = m
        .policy("CertProvisioningServiceWebTicketProof_SHA1_policy")
        .unwrap();
    assert_eq!(p.usage, Some(TokenUsage::Endorsing));
    assert_matches_file("server/mex_certprov.xml", xml.as_bytes());
}

/// SIPE walks the document by local names from the root: `Policy` (attribute `Id`) /
/// `ExactlyOne/All/EndorsingSupportingTokens/Policy/IssuedToken/Issuer/Address`, and
/// `service/port` / `address@location`. Check exactly that path, child by child.
#[test]
fn sipe_paths_are_direct_children() {
    let xml = mex::cert_provisioning(CERTPROV, WT).to_xml().unwrap();
    let doc = Document::parse(xml.as_bytes(), &XmlLimits::default()).unwrap();
    let root = doc.root();
    let policy = root
        .children_named(AnyNs, "Policy")
        .find(|p| {
            p.attributes().any(|a| {
                a.local_name == "Id"
                    && a.value == "CertProvisioningServiceWebTicketProof_SHA1_policy"
            })
        })
        .unwrap();
    let steps = [
        "ExactlyOne",
        "All",
        "EndorsingSupportingTokens",
        "Policy",
        "IssuedToken",
        "Issuer",
        "Address",
    ];
    let address = steps
        .iter()
        .try_fold(policy, |el, s| el.child(AnyNs, s))
        .unwrap();
    assert_eq!(address.text(), WT);
    let port = root
        .child(AnyNs, "service")
        .and_then(|s| s.child(AnyNs, "port"))
        .unwrap();
    assert_eq!(port.attr("", "name"), Some(PORT_CERTPROV_PROOF));
    assert_eq!(
        port.child(AnyNs, "address").unwrap().attr("", "location"),
        Some(CERTPROV)
    );
}

#[test]
fn bearer_policy_and_escaping() {
    let nasty = "https://pool/svc?a=1&b=\"2\"";
    let xml = MexDocument::new("Svc <&>")
        .port_with_issued_token("P", nasty, TokenUsage::Signed, nasty)
        .port("Q", "https://pool/q")
        .to_xml()
        .unwrap();
    assert!(xml.contains("&amp;b=&quot;2&quot;"));
    let m = Metadata::parse(xml.as_bytes()).unwrap();
    let req = m.service_requirements("P").unwrap();
    assert!(!req.proof_required);
    assert_eq!(req.issuer, nasty);
    assert_eq!(req.endpoint, nasty);
    assert_eq!(m.port("q").unwrap().location, "https://pool/q");
    assert!(m.service_requirements("Q").is_none());

    let bad = MexDocument::new("x").port("P", "https://pool/\u{1}");
    assert!(bad.to_xml().is_err());
    assert_eq!(bad.to_response().status, 500);
}

#[test]
fn ticket_service_serves_its_mex() {
    let service = TicketService::new(TicketServiceConfig::new(WT).unwrap());
    assert_eq!(
        service.route("/WebTicket/WebTicketService.svc/MEX"),
        Some(TicketRoute::Mex)
    );
    let resp = service.mex().to_response();
    assert_eq!(resp.status, 200);
    assert!(resp.get("content-type").unwrap().starts_with("text/xml"));
    assert_eq!(resp.body, web_ticket_mex().into_bytes());
}
