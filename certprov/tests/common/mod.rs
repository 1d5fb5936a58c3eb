//! Fixtures shared by the integration tests.
//!
//! Keys: `tls-dsk/tests/data/client.key` is alice's key; `server.key` doubles as the key of
//! the test CA ("certprov test CA", created here, self-signed), because the key of
//! `tls-dsk/tests/data/ca.pem` was discarded. `rogue.key` is an unrelated key.
#![allow(dead_code)]

use certprov::server::{CertAuthority, CertProvService, IssuePolicy, KnownTicket};
use certprov::{ClientKey, Csr, GetAndPublishCert, SignatureHash, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use webticket::crypto::{ClientEntropy, ProofKey};
use webticket::soap::Uuid;
use webticket::webticket::WebTicket;

/// 2026-01-01T01:00:00Z: one hour into the fixture ticket and certificates.
pub(crate) const NOW: UnixTime = UnixTime(1_767_229_200);
/// 2026-01-01T00:05:00Z: when the fixture certificates were issued (backdated 5 min).
pub(crate) const ISSUED_AT: UnixTime = UnixTime(1_767_225_900);
/// The CertProv port location (`web-services.md` F5).
pub(crate) const ENDPOINT: &str =
    "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";
pub(crate) const ALICE: &str = "alice@contoso.com";

pub(crate) fn tls_data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../tls-dsk/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn data(name: &str) -> Vec<u8> {
    std::fs::read(data_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub(crate) fn client_key() -> ClientKey {
    ClientKey::from_pem(&tls_data("client.key")).unwrap()
}

pub(crate) fn ca_key() -> ClientKey {
    ClientKey::from_pem(&tls_data("server.key")).unwrap()
}

pub(crate) fn rogue_key() -> ClientKey {
    ClientKey::from_pem(&tls_data("rogue.key")).unwrap()
}

/// The client entropy of `web-services.md` F6: bytes 0..31.
pub(crate) fn entropy() -> ClientEntropy {
    ClientEntropy::from_bytes(std::array::from_fn(|i| i as u8))
}

/// The server entropy of F7: bytes 32 down to 1.
pub(crate) fn server_entropy() -> Vec<u8> {
    (1..=32u8).rev().collect()
}

/// F7: the IssueToken answer for the CertProv endpoint (lifetime 00:00..08:00).
pub(crate) const RSTR: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
 <wst:RequestSecurityTokenResponseCollection xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
  <wst:RequestSecurityTokenResponse Context="f81d4fae-7dec-11d0-a765-00a0c91e6bf6">
   <wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1</wst:TokenType>
   <wst:RequestedSecurityToken><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1" AssertionID="SamlSecurityToken-1" Issuer="URI:https://pool.contoso.com/WebTicket/WebTicketService.svc" IssueInstant="2026-01-01T00:00:00Z"><saml:AttributeStatement><saml:Subject><saml:NameIdentifier>sip:alice@contoso.com</saml:NameIdentifier></saml:Subject></saml:AttributeStatement></saml:Assertion></wst:RequestedSecurityToken>
   <wst:RequestedProofToken><wst:ComputedKey>http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1</wst:ComputedKey></wst:RequestedProofToken>
   <wst:Entropy><wst:BinarySecret>IB8eHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=</wst:BinarySecret></wst:Entropy>
   <wst:Lifetime><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2026-01-01T00:00:00Z</wsu:Created><wsu:Expires xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2026-01-01T08:00:00Z</wsu:Expires></wst:Lifetime>
  </wst:RequestSecurityTokenResponse></wst:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"#;

pub(crate) fn ticket() -> WebTicket {
    WebTicket::parse(RSTR.as_bytes(), Some(&entropy())).unwrap()
}

/// What the web-ticket service computed for F7.
pub(crate) fn proof_key() -> ProofKey {
    ProofKey::compute_psha1(&entropy(), &server_entropy())
}

/// The test CA: `server.key`, self-signed, 2025-01-01 .. 2036-01-01. Deterministic.
pub(crate) fn ca() -> CertAuthority {
    CertAuthority::self_signed(
        ca_key().dangerous_rsa_key().clone(),
        "certprov test CA",
        UnixTime(1_735_689_600),
        UnixTime(2_082_758_400),
        &mut rng(100),
    )
    .unwrap()
}

/// Issues 00:00..08:00 when used at [`ISSUED_AT`].
pub(crate) fn policy() -> IssuePolicy {
    IssuePolicy::default()
        .backdate(300)
        .lifetime(8 * 3600 - 300)
}

pub(crate) fn csr(hash: SignatureHash) -> Csr {
    Csr::new(&client_key(), ALICE, hash, &mut rng(1)).unwrap()
}

pub(crate) fn device_id() -> Uuid {
    Uuid::from_bytes(*b"\x6b\x3e\x1c\x2a\x4d\x5f\x40\x61\x87\x92\xa3\xb4\xc5\xd6\xe7\xf8")
}

/// The fixture request: fixed ids, SHA-1 CSR, the F7 ticket.
pub(crate) fn request(csr: &Csr) -> GetAndPublishCert<'_> {
    GetAndPublishCert::with_ticket(ENDPOINT, csr, &ticket(), device_id(), &mut rng(2))
        .unwrap()
        .message_id(Uuid::from_bytes([0x11; 16]))
        .request_id(Uuid::from_bytes([0x22; 16]))
}

/// The emulator with the F7 ticket registered for alice.
pub(crate) fn with_service<R>(
    ca: &CertAuthority,
    enabled: bool,
    f: impl FnOnce(&CertProvService<'_>) -> R,
) -> R {
    let tickets = |id: &str| {
        (id == "SamlSecurityToken-1").then(|| KnownTicket {
            proof_key: proof_key(),
            user: ALICE.to_owned(),
        })
    };
    let user_enabled = move |_: &str| enabled;
    let service = CertProvService {
        ca,
        policy: policy(),
        ticket: &tickets,
        user_enabled: &user_enabled,
        clock_skew: 300,
    };
    f(&service)
}

/// Replaces the first occurrence of `from` (which must exist).
pub(crate) fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found");
    text.replacen(from, to, 1)
}

/// Runs `openssl` with `args`; `None` when it is not installed (a failure under `CI=true`).
pub(crate) fn openssl(args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new("openssl").args(args).output() {
        Ok(out) => Some(out),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "openssl is required under CI=true: {e}"
            );
            eprintln!("openssl not available ({e}); skipping");
            None
        }
    }
}

/// A scratch directory for files handed to `openssl`.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("certprov-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
