//! Entry points for the cargo-fuzz targets. Compiled only with `--cfg fuzzing`; not a
//! public API. No input may make these functions panic.

use std::sync::OnceLock;

use webticket::UnixTime;
use webticket::crypto::ProofKey;
use webticket::http::HttpResponse;

use crate::csr::{Csr, SignatureHash};
use crate::key::ClientKey;
use crate::response::{CertResponse, IssuedCertificate};
use crate::server::ParsedRequest;

/// 2026-01-01T01:00:00Z, inside the fixtures' validity.
const NOW: UnixTime = UnixTime(1_767_229_200);

/// A request for the fixture key (`tls-dsk/tests/data/client.key`, also used by the seeds),
/// so that responses can be verified against it.
fn csr() -> &'static Csr {
    static CSR: OnceLock<Csr> = OnceLock::new();
    CSR.get_or_init(|| {
        let key = ClientKey::from_pem(include_str!("../../tls-dsk/tests/data/client.key"))
            .expect("fixture key");
        let mut rng = Blinding(0x9e37_79b9_7f4a_7c15);
        Csr::new(&key, "alice@contoso.com", SignatureHash::Sha1, &mut rng).expect("fixture csr")
    })
}

/// A `GetAndPublishCert` response body, as a 200 and as an error status with the same
/// bytes as `X-Ms-diagnostics`; a parsed certificate is checked against the fixture request.
pub fn parse_response(data: &[u8]) {
    if let Ok(resp) = CertResponse::parse(data) {
        assert!(!resp.certificates().is_empty());
        for der in resp.certificates() {
            let _ = IssuedCertificate::from_der(der);
        }
        if let Ok(cert) = resp.verify(csr(), NOW) {
            assert!(cert.names("alice@contoso.com"));
            assert!(cert.is_valid_at(NOW));
        }
    }
    let diag = std::str::from_utf8(data).unwrap_or("");
    let _ = CertResponse::from_http(&HttpResponse::new(503, data).header("X-Ms-diagnostics", diag));
    let _ = CertResponse::from_http(&HttpResponse::new(200, data));
}

/// A `GetAndPublishCert` request body: envelope, security header (verified with a fixed
/// key), and the PKCS#10 it carries.
pub fn parse_request(data: &[u8]) {
    if let Ok(req) = ParsedRequest::parse(data) {
        let _ = req.csr();
        if let Some(sec) = req.security() {
            let _ = sec.timestamp();
            let _ = sec.verify(&ProofKey::from_issued(vec![0x42; 32]), NOW, 300);
        }
    }
}

/// A DER PKCS#10 request.
pub fn parse_csr(data: &[u8]) {
    if let Ok(csr) = Csr::from_der(data) {
        assert_eq!(csr.as_der(), data);
        let _ = csr.to_pem();
    }
}

/// Only blinds the RSA signature of the fixture request (PKCS#1 v1.5 output does not depend
/// on it), so a fixed sequence is enough here. Never use it for anything else.
struct Blinding(u64);

impl rand_core::RngCore for Blinding {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for Blinding {}
