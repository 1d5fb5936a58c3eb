//! OpenSSL as an independent checker: it must accept our PKCS#10 requests and read our
//! certificates with the expected subject, key, validity and extensions; and our side must
//! accept OpenSSL's requests. Runs the `openssl` CLI on temporary files. Without OpenSSL
//! the tests are skipped, except under `CI=true`, where they fail.

mod common;

use std::path::Path;

use certprov::{Csr, IssuedCertificate, SignatureHash};
use common::*;

fn run(args: &[&str]) -> Option<(bool, String)> {
    let out = openssl(args)?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("$ openssl {}\n{text}", args.join(" "));
    Some((out.status.success(), text))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn openssl_verifies_our_requests() {
    let dir = scratch("csr");
    for (hash, name) in [
        (SignatureHash::Sha1, "sha1WithRSAEncryption"),
        (SignatureHash::Sha256, "sha256WithRSAEncryption"),
    ] {
        let csr = csr(hash);
        let file = dir.join(format!("{name}.csr"));
        std::fs::write(&file, csr.to_pem()).unwrap();
        let Some((ok, out)) = run(&["req", "-in", path(&file), "-noout", "-verify"]) else {
            return;
        };
        assert!(ok && out.contains("verify OK"), "{out}");
        let (ok, out) = run(&[
            "req",
            "-in",
            path(&file),
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253",
        ])
        .unwrap();
        assert!(ok);
        assert_eq!(out.trim(), "subject=CN=alice@contoso.com");
        let (ok, out) = run(&["req", "-in", path(&file), "-noout", "-text"]).unwrap();
        assert!(ok);
        assert!(
            out.contains(&format!("Signature Algorithm: {name}")),
            "{out}"
        );
        assert!(out.contains("Public-Key: (2048 bit)"), "{out}");
        assert!(out.contains("Version: 1 (0x0)"), "{out}");
        // No attributes and no extensions (OpenSSL 3.0 prints an empty "Requested
        // Extensions:" heading even then).
        let attrs = &out[out.find("Attributes:").expect("attributes section")..];
        assert!(attrs.contains("(none)") && !out.contains("X509v3"), "{out}");
        // OpenSSL's view of the key is ours.
        let (_, ours) = run(&["req", "-in", path(&file), "-noout", "-pubkey"]).unwrap();
        let key_file = dir.join("client.key");
        std::fs::write(&key_file, tls_data("client.key")).unwrap();
        let (_, theirs) = run(&["pkey", "-in", path(&key_file), "-pubout"]).unwrap();
        assert_eq!(ours, theirs);

        // And it refuses a tampered one.
        let mut der = csr.as_der().to_vec();
        *der.last_mut().unwrap() ^= 1;
        let bad = dir.join(format!("{name}-bad.der"));
        std::fs::write(&bad, der).unwrap();
        let (ok, out) = run(&[
            "req",
            "-in",
            path(&bad),
            "-inform",
            "DER",
            "-noout",
            "-verify",
        ])
        .unwrap();
        assert!(!ok || out.contains("verify failure"), "{out}");
        assert!(!out.contains("verify OK"), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openssl_reads_our_certificate() {
    let dir = scratch("cert");
    let ca = ca();
    let body = with_service(&ca, true, |s| {
        s.handle(&data("request.xml"), ISSUED_AT, &mut rng(40))
    })
    .body;
    let cert = certprov::CertResponse::parse(body.as_bytes())
        .unwrap()
        .verify(&csr(SignatureHash::Sha1), NOW)
        .unwrap();
    let leaf = dir.join("leaf.pem");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&leaf, cert.to_pem()).unwrap();
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();

    let Some((ok, out)) = run(&[
        "x509",
        "-in",
        path(&leaf),
        "-noout",
        "-subject",
        "-issuer",
        "-startdate",
        "-enddate",
        "-nameopt",
        "RFC2253",
    ]) else {
        return;
    };
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "subject=CN=alice@contoso.com",
            "issuer=CN=certprov test CA",
            "notBefore=Jan  1 00:00:00 2026 GMT",
            "notAfter=Jan  1 08:00:00 2026 GMT",
        ]
    );
    let (ok, out) = run(&[
        "x509",
        "-in",
        path(&leaf),
        "-noout",
        "-ext",
        "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints",
    ])
    .unwrap();
    assert!(ok, "{out}");
    for want in [
        "URI:sip:alice@contoso.com",
        "TLS Web Client Authentication",
        "Digital Signature",
        "CA:FALSE",
    ] {
        assert!(out.contains(want), "{want} missing in {out}");
    }
    let (_, pubkey) = run(&["x509", "-in", path(&leaf), "-noout", "-pubkey"]).unwrap();
    let key_file = dir.join("client.key");
    std::fs::write(&key_file, tls_data("client.key")).unwrap();
    let (_, expected) = run(&["pkey", "-in", path(&key_file), "-pubout"]).unwrap();
    assert_eq!(pubkey, expected, "the certificate carries alice's key");

    // Chain and purpose, at NOW and after expiry.
    let at = NOW.0.to_string();
    let (ok, out) = run(&[
        "verify",
        "-CAfile",
        path(&ca_file),
        "-attime",
        &at,
        "-purpose",
        "sslclient",
        path(&leaf),
    ])
    .unwrap();
    assert!(ok && out.contains(": OK"), "{out}");
    let late = (NOW + 9 * 3600).0.to_string();
    let (ok, out) = run(&[
        "verify",
        "-CAfile",
        path(&ca_file),
        "-attime",
        &late,
        path(&leaf),
    ])
    .unwrap();
    assert!(!ok && out.contains("certificate has expired"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn openssl_requests_are_accepted_by_our_service() {
    let dir = scratch("openssl-req");
    let key_file = dir.join("client.key");
    std::fs::write(&key_file, tls_data("client.key")).unwrap();
    for (digest, hash) in [
        ("-sha1", SignatureHash::Sha1),
        ("-sha256", SignatureHash::Sha256),
    ] {
        let out_file = dir.join(format!("req{digest}.der"));
        let Some((ok, out)) = run(&[
            "req",
            "-new",
            "-key",
            path(&key_file),
            "-subj",
            "/CN=alice@contoso.com",
            digest,
            "-outform",
            "DER",
            "-out",
            path(&out_file),
        ]) else {
            return;
        };
        assert!(ok, "{out}");
        let der = std::fs::read(&out_file).unwrap();
        let csr = Csr::from_der(&der).unwrap();
        assert_eq!(csr.subject_cn(), ALICE);
        assert_eq!(csr.signature_hash(), hash);
        assert_eq!(csr.public_key(), &client_key().public_key());
        let issued = ca().issue(&csr, &policy(), NOW, &mut rng(41)).unwrap();
        assert_eq!(
            IssuedCertificate::from_der(&issued).unwrap().subject_cn(),
            ALICE
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
