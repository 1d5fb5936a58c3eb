//! Our client against our server, in memory: every version and suite, and the failure
//! cases, each a specific error with no panic.

mod common;

use common::*;
use tls_dsk::tls::{
    CipherSuite, ClientHandshake, ProtocolVersion, ServerHandshake, TlsError, decode_flight,
};

/// Runs a whole handshake; returns both outcomes' key pairs.
fn run(
    client: tls_dsk::ClientConfig,
    server: tls_dsk::ServerConfig,
) -> Result<(ClientHandshake, ServerHandshake), TlsError> {
    let mut rng = rng(1);
    let (mut c, hello) = ClientHandshake::start(client, &mut rng);
    let mut s = ServerHandshake::new(server, NOW);
    let flight1 = s.handle(&hello, &mut rng)?;
    let flight2 = c.handle(&flight1, &mut rng)?.expect("client second flight");
    let flight3 = s.handle(&flight2, &mut rng)?;
    assert_eq!(c.handle(&flight3, &mut rng)?, None);
    Ok((c, s))
}

#[test]
fn every_version_and_suite() {
    for version in [
        ProtocolVersion::TLS10,
        ProtocolVersion::TLS11,
        ProtocolVersion::TLS12,
    ] {
        for suite in CipherSuite::ALL {
            if suite.tls12_only && version != ProtocolVersion::TLS12 {
                continue;
            }
            let mut client = client_config();
            client.max_version = version;
            let mut server = server_config();
            server.suites = vec![suite];
            let (c, s) =
                run(client, server).unwrap_or_else(|e| panic!("{version} {}: {e}", suite.name));
            let (co, so) = (c.outcome().unwrap(), s.outcome().unwrap());
            assert_eq!((co.version, co.suite), (version, suite));
            assert_eq!(
                co.keys.dangerous_client_key(),
                so.keys.dangerous_client_key()
            );
            assert_eq!(
                co.keys.dangerous_server_key(),
                so.keys.dangerous_server_key()
            );
            assert_ne!(
                co.keys.dangerous_client_key(),
                co.keys.dangerous_server_key()
            );
            let id = so.client_identity.as_ref().unwrap();
            assert!(id.names("alice@contoso.com") && id.names("sip:ALICE@contoso.com"));
            assert!(!id.names("bob@contoso.com"));
        }
    }
}

#[test]
fn version_negotiation_falls_back_to_tls10() {
    let mut server = server_config();
    server.max_version = ProtocolVersion::TLS10;
    let (c, _) = run(client_config(), server).unwrap();
    assert_eq!(c.outcome().unwrap().version, ProtocolVersion::TLS10);
    // A client that insists on 1.2 refuses a 1.0 server.
    let mut client = client_config();
    client.min_version = ProtocolVersion::TLS12;
    let mut server = server_config();
    server.max_version = ProtocolVersion::TLS10;
    assert_eq!(run(client, server).unwrap_err(), TlsError::NoCommonVersion);
}

#[test]
fn server_first_flight_is_one_record() {
    // SIPE fails unless ServerHello..ServerHelloDone share one record (tls-dsk.md).
    let mut rng = rng(2);
    let (_, hello) = ClientHandshake::start(client_config(), &mut rng);
    let mut s = ServerHandshake::new(server_config(), NOW);
    let flight = s.handle(&hello, &mut rng).unwrap();
    let dump = decode_flight(&flight);
    assert!(dump.error.is_none(), "{dump}");
    assert_eq!(dump.text.matches("record handshake").count(), 1, "{dump}");
    for m in [
        "ServerHello",
        "Certificate (11)",
        "CertificateRequest",
        "ServerHelloDone",
    ] {
        assert!(dump.text.contains(m), "{m} missing:\n{dump}");
    }
    assert!(
        dump.text.contains("renegotiation_info"),
        "SCSV from the client is answered"
    );
}

#[test]
fn untrusted_client_certificate_is_rejected() {
    let err = run(rogue_config(), server_config()).unwrap_err();
    assert!(
        matches!(&err, TlsError::Certificate(why) if why.contains("trusted")),
        "{err}"
    );
}

#[test]
fn expired_client_certificate_is_rejected() {
    let mut rng = rng(3);
    let (mut c, hello) = ClientHandshake::start(client_config(), &mut rng);
    let mut s = ServerHandshake::new(server_config(), tls_dsk::UnixTime(4_000_000_000));
    let f1 = s.handle(&hello, &mut rng).unwrap();
    let f2 = c.handle(&f1, &mut rng).unwrap().unwrap();
    let err = s.handle(&f2, &mut rng).unwrap_err();
    assert!(
        matches!(&err, TlsError::Certificate(why) if why.contains("not valid at")),
        "{err}"
    );
}

#[test]
fn wrong_client_key_fails_certificate_verify() {
    // The trusted certificate with another key: CertificateVerify cannot verify.
    let mut client = client_config();
    client.key = key("rogue.key");
    assert_eq!(
        run(client, server_config()).unwrap_err(),
        TlsError::BadCertificateVerify
    );
}

#[test]
fn tampering_is_detected() {
    let mut rng = rng(4);
    let (mut c, hello) = ClientHandshake::start(client_config(), &mut rng);
    let mut s = ServerHandshake::new(server_config(), NOW);
    let f1 = s.handle(&hello, &mut rng).unwrap();
    let mut f2 = c.handle(&f1, &mut rng).unwrap().unwrap();
    // Flip a bit inside the encrypted client Finished (the last bytes of the flight).
    let n = f2.len();
    f2[n - 20] ^= 0x01;
    assert_eq!(s.handle(&f2, &mut rng).unwrap_err(), TlsError::BadRecordMac);
    // The failed handshake stays failed.
    assert!(s.handle(&f2, &mut rng).is_err());
    assert!(!s.is_done());

    // A changed ServerHello random makes the server's Finished wrong for the client.
    let mut rng = common::rng(5);
    let (mut c, hello) = ClientHandshake::start(client_config(), &mut rng);
    let mut s = ServerHandshake::new(server_config(), NOW);
    let mut f1 = s.handle(&hello, &mut rng).unwrap();
    f1[5 + 4 + 2 + 10] ^= 0xff; // record header, handshake header, version, inside the random
    let f2 = c.handle(&f1, &mut rng).unwrap().unwrap();
    let err = s.handle(&f2, &mut rng).unwrap_err();
    assert!(
        matches!(err, TlsError::BadFinished | TlsError::BadCertificateVerify),
        "{err}"
    );
}

#[test]
fn garbage_and_truncation_are_errors_not_panics() {
    let mut rng = rng(6);
    let (_, hello) = ClientHandshake::start(client_config(), &mut rng);
    for cut in 0..hello.len() {
        let mut s = ServerHandshake::new(server_config(), NOW);
        assert!(s.handle(&hello[..cut], &mut rng).is_err(), "cut at {cut}");
    }
    let mut s = ServerHandshake::new(server_config(), NOW);
    let f1 = s.handle(&hello, &mut rng).unwrap();
    for cut in [0, 3, 5, 40, f1.len() / 2, f1.len() - 1] {
        let (mut c, _) = ClientHandshake::start(client_config(), &mut rng);
        assert!(c.handle(&f1[..cut], &mut rng).is_err(), "cut at {cut}");
    }
    let mut s = ServerHandshake::new(server_config(), NOW);
    assert!(matches!(
        s.handle(b"\x15\x03\x01\x00\x02\x02\x28", &mut rng),
        Err(TlsError::PeerAlert(2, 40))
    ));
}
