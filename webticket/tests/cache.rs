//! The ticket cache with passed-in time.

use webticket::UnixTime;
use webticket::cache::{Expiring, Lookup, TicketCache};
use webticket::crypto::ClientEntropy;
use webticket::webticket::WebTicket;

#[derive(Debug, Clone, PartialEq)]
struct Tok(&'static str, UnixTime);

impl Expiring for Tok {
    fn expires(&self) -> UnixTime {
        self.1
    }
}

const URL: &str = "https://pool.contoso.com/CertProv/CertProvisioningService.svc";

#[test]
fn hit_refresh_and_pending() {
    let mut c: TicketCache<Tok> = TicketCache::new(60);
    assert!(c.is_empty());
    assert!(matches!(c.lookup(URL, UnixTime(0)), Lookup::Fetch));
    assert!(
        matches!(c.lookup(URL, UnixTime(10)), Lookup::Pending),
        "concurrent callers coalesce"
    );
    c.insert(URL, Tok("a", UnixTime(1000)));
    // Scheme and host are case-insensitive.
    assert!(matches!(
        c.lookup(
            "HTTPS://POOL.contoso.com/CertProv/CertProvisioningService.svc",
            UnixTime(100)
        ),
        Lookup::Hit(Tok("a", _))
    ));
    assert!(!c.needs_refresh(URL, UnixTime(939)));
    assert!(c.needs_refresh(URL, UnixTime(940)));
    assert!(
        matches!(c.lookup(URL, UnixTime(940)), Lookup::Fetch),
        "refresh 60 s before expiry"
    );
    // The old value stays usable until it really expires.
    assert_eq!(
        c.get_unexpired(URL, UnixTime(950)),
        Some(&Tok("a", UnixTime(1000)))
    );
    assert_eq!(c.get_unexpired(URL, UnixTime(1000)), None);
    assert!(matches!(c.lookup(URL, UnixTime(941)), Lookup::Pending));
    c.fetch_failed(URL);
    assert!(matches!(c.lookup(URL, UnixTime(942)), Lookup::Fetch));
    c.insert(URL, Tok("b", UnixTime(5000)));
    assert!(matches!(
        c.lookup(URL, UnixTime(943)),
        Lookup::Hit(Tok("b", _))
    ));
    assert_eq!(c.remove(URL), Some(Tok("b", UnixTime(5000))));
    assert!(c.needs_refresh(URL, UnixTime(0)));
}

#[test]
fn lost_fetch_times_out_and_purge() {
    let mut c: TicketCache<Tok> = TicketCache::new(60).with_pending_timeout(30);
    assert!(matches!(c.lookup(URL, UnixTime(0)), Lookup::Fetch));
    assert!(matches!(c.lookup(URL, UnixTime(29)), Lookup::Pending));
    assert!(
        matches!(c.lookup(URL, UnixTime(30)), Lookup::Fetch),
        "a lost fetch is handed out again"
    );
    c.fetch_failed(URL);
    assert!(
        c.is_empty(),
        "a failed fetch without a value leaves nothing behind"
    );

    c.insert("https://a/", Tok("a", UnixTime(100)));
    c.insert("https://b/", Tok("b", UnixTime(300)));
    assert!(matches!(c.lookup("https://c/", UnixTime(0)), Lookup::Fetch));
    c.purge_expired(UnixTime(200));
    assert_eq!(c.len(), 2, "b and the pending c stay");
    assert!(c.get_unexpired("https://a/", UnixTime(0)).is_none());
}

#[test]
fn caches_real_web_tickets() {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rstr_proof.xml"
    ))
    .unwrap();
    let e = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    let t = WebTicket::parse(&body, Some(&e)).unwrap();
    let mut c = TicketCache::default();
    let created = t.lifetime().created;
    c.insert(URL, t);
    assert!(matches!(c.lookup(URL, created), Lookup::Hit(_)));
    assert!(matches!(
        c.lookup(URL, created + 8 * 3600 - 60),
        Lookup::Fetch
    ));
}
