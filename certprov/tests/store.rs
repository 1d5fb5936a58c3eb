//! The credential store: keys by (user, targetname), renewal margin, hand-over to tls-dsk.

mod common;

use certprov::store::{DEFAULT_RENEWAL_MARGIN, tls_time};
use certprov::{
    CertResponse, Credential, CredentialStore, Error, IssuedCertificate, KeyError, SignatureHash,
    UnixTime,
};
use common::*;

/// The fixture certificate: valid 2026-01-01T00:00:00Z .. 08:00:00Z.
fn cert() -> IssuedCertificate {
    CertResponse::parse(&data("response.xml"))
        .unwrap()
        .verify(&csr(SignatureHash::Sha1), NOW)
        .unwrap()
}

const EXPIRY: UnixTime = UnixTime(1_767_254_400);

#[test]
fn key_and_certificate_must_match() {
    assert!(Credential::new(client_key(), cert()).is_ok());
    let err = Credential::new(rogue_key(), cert()).unwrap_err();
    assert!(
        matches!(err, Error::Key(KeyError::CertificateMismatch)),
        "{err}"
    );
}

#[test]
fn renewal_follows_the_margin() {
    let cred = Credential::new(client_key(), cert()).unwrap();
    assert_eq!(DEFAULT_RENEWAL_MARGIN, 3600);
    assert!(!cred.needs_renewal(NOW, 3600));
    assert!(!cred.needs_renewal(EXPIRY - 3601, 3600));
    assert!(cred.needs_renewal(EXPIRY - 3600, 3600));
    assert!(cred.needs_renewal(EXPIRY, 0));
    assert!(!cred.needs_renewal(EXPIRY - 1, 0));

    let mut store = CredentialStore::new();
    assert!(store.is_empty() && store.needs_renewal(ALICE, "fe.contoso.com", NOW));
    assert!(
        store
            .insert("sip:Alice@Contoso.com", "FE.contoso.com", cred.clone())
            .is_none()
    );
    assert_eq!(store.len(), 1);
    // User without `sip:` and any case, targetname any case.
    assert!(store.get(ALICE, "fe.contoso.com").is_some());
    assert!(
        store
            .get("SIP:ALICE@CONTOSO.COM", "Fe.Contoso.Com")
            .is_some()
    );
    assert!(store.get(ALICE, "other.contoso.com").is_none());
    assert!(store.get("bob@contoso.com", "fe.contoso.com").is_none());

    assert!(!store.needs_renewal(ALICE, "fe.contoso.com", NOW));
    assert!(store.needs_renewal(ALICE, "fe.contoso.com", EXPIRY - 3600));
    // Not yet valid (beyond the skew) also means: do not use, provision.
    assert!(store.needs_renewal(ALICE, "fe.contoso.com", UnixTime(1_767_225_600 - 301)));
    let lenient = store.clone().with_renewal_margin(60);
    assert_eq!(lenient.renewal_margin(), 60);
    assert!(!lenient.needs_renewal(ALICE, "fe.contoso.com", EXPIRY - 3600));
    assert!(lenient.needs_renewal(ALICE, "fe.contoso.com", EXPIRY - 60));

    // Replacing returns the old one; purge drops expired ones only.
    assert!(
        store
            .insert(ALICE, "fe.contoso.com", cred.clone())
            .is_some()
    );
    store.insert(ALICE, "edge.contoso.com", cred);
    store.purge_expired(EXPIRY - 1);
    assert_eq!(store.len(), 2);
    store.purge_expired(EXPIRY);
    assert!(store.is_empty());
}

#[test]
fn tls_dsk_gets_the_pair() {
    let key = client_key();
    let mut store = CredentialStore::new();
    store.insert(
        ALICE,
        "fe.contoso.com",
        Credential::new(key.clone(), cert()).unwrap(),
    );
    let config = store
        .tls_client_config(ALICE, "fe.contoso.com", NOW)
        .unwrap();
    assert_eq!(config.cert_chain, [cert().der().to_vec()]);
    assert_eq!(&config.key, key.dangerous_rsa_key());
    assert!(
        store
            .tls_client_config(ALICE, "fe.contoso.com", EXPIRY - 60)
            .is_none()
    );
    assert_eq!(tls_time(NOW), tls_dsk::UnixTime(1_767_229_200));
    assert_eq!(tls_time(UnixTime(-1)), tls_dsk::UnixTime(0));
    // A chain travels with the leaf.
    let chained = CertResponse::parse(&data("response-chain.xml"))
        .unwrap()
        .verify(&csr(SignatureHash::Sha1), NOW)
        .unwrap();
    let cred = Credential::new(key, chained).unwrap();
    assert_eq!(cred.to_tls_client_config().cert_chain.len(), 2);
}

#[test]
fn debug_shows_no_key_material() {
    let key = client_key();
    let mut store = CredentialStore::new();
    store.insert(
        ALICE,
        "fe.contoso.com",
        Credential::new(key.clone(), cert()).unwrap(),
    );
    let dbg = format!("{store:?}");
    assert!(
        dbg.contains("alice@contoso.com") && dbg.contains("[redacted]"),
        "{dbg}"
    );
    let d = key.dangerous_rsa_key();
    use rsa::traits::PrivateKeyParts;
    let secret = d.d().to_str_radix(10);
    assert!(!dbg.contains(&secret[..12]), "{dbg}");
    let pem = key.to_pkcs8_pem().unwrap();
    assert!(!dbg.contains(&pem[40..80]));
}
