//! Fixture helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use rand_core::SeedableRng;
use webticket::http::HttpResponse;

/// The deterministic RNG of the tests (ChaCha8 from a seed). Production passes a CSPRNG
/// such as `OsRng`.
pub type TestRng = rand_chacha::ChaCha8Rng;

/// A [`TestRng`] from `seed`.
pub fn test_rng(seed: u64) -> TestRng {
    TestRng::seed_from_u64(seed)
}

/// The bytes of `tests/data/<name>`.
pub fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An HTTP/1.1 response stored as `.http`: status line, headers, empty line, body.
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn load(name: &str) -> Self {
        let bytes = data(name);
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header terminator");
        let head = std::str::from_utf8(&bytes[..split]).expect("ascii head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.to_owned(), v.trim().to_owned())
            })
            .collect();
        Self {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    pub fn view(&self) -> HttpResponse<'_> {
        let mut r = HttpResponse::new(self.status, &self.body);
        for (n, v) in &self.headers {
            r = r.header(n, v);
        }
        r
    }
}

pub const XML_TYPE: &str = "application/vnd.microsoft.rtc.autodiscover+xml; charset=utf-8";

/// A 200 autodiscover XML response for fixture `name`.
pub fn ad_xml(body: &[u8]) -> HttpResponse<'_> {
    HttpResponse::new(200, body).header("Content-Type", XML_TYPE)
}

/// Compares `actual` with `tests/data/<name>` byte for byte. With `WEBTICKET_BLESS=1` the
/// file is (re)written instead, for reviewing a deliberate format change.
pub fn assert_matches_file(name: &str, actual: &[u8]) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("WEBTICKET_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if expected != actual {
        panic!(
            "{name} differs\n--- expected\n{}\n--- actual\n{}",
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}
