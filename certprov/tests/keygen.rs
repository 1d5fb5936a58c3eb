//! RSA-2048 generation from the caller's RNG. One key only: generation is slow in debug
//! builds.

mod common;

use certprov::{ClientKey, Csr, SignatureHash};
use common::*;
use rsa::BigUint;
use rsa::traits::PublicKeyParts;

#[test]
fn generated_key_is_rsa_2048_and_usable() {
    let started = std::time::Instant::now();
    let key = ClientKey::generate(&mut rng(42)).unwrap();
    eprintln!("RSA-2048 generation took {:?}", started.elapsed());
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.public_key().e(), &BigUint::from(65_537u32));
    // Export and import; it is not the fixture key.
    let pem = key.to_pkcs8_pem().unwrap();
    assert_eq!(ClientKey::from_pem(&pem).unwrap(), key);
    assert_ne!(key.public_key(), client_key().public_key());

    let csr = Csr::new(&key, ALICE, SignatureHash::Sha1, &mut rng(43)).unwrap();
    assert_eq!(
        Csr::from_der(csr.as_der()).unwrap().public_key(),
        &key.public_key()
    );
    // The service issues for it, and the certificate pairs with the key.
    let der = ca().issue(&csr, &policy(), NOW, &mut rng(44)).unwrap();
    let cert = certprov::IssuedCertificate::from_der(&der).unwrap();
    certprov::Credential::new(key, cert).unwrap();

    // OpenSSL agrees that the request is well signed.
    let dir = scratch("keygen");
    let file = dir.join("gen.csr");
    std::fs::write(&file, csr.to_pem()).unwrap();
    if let Some(out) = openssl(&["req", "-in", file.to_str().unwrap(), "-noout", "-verify"]) {
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("verify OK"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
