//! Lync / Skype for Business shaped messages (tests/data), built from the sign-in traces
//! and the TLS-DSK spec: the forms a Microsoft peer sends must parse strictly and expose
//! every raw value a TLS-DSK signature covers.

use sip_core::{
    EMPTY_HEADER, KnownHeader, Message, Method, ParserConfig, SipMessage, Status, parse_with,
};

fn load(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Parses a fixture strictly as one stream message and checks it used every byte.
fn with<R>(name: &str, f: impl FnOnce(Message<'_>) -> R) -> R {
    let data = load(name);
    let mut slots = [EMPTY_HEADER; 64];
    match parse_with(&data, &mut slots, &ParserConfig::default()) {
        Ok(Status::Complete(m)) => {
            assert_eq!(m.consumed(), data.len(), "{name}");
            f(m)
        }
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn register_with_client_hello() {
    with("register_tls_dsk.sip", |m| {
        assert_eq!(m.method(), Some(Method::Register));
        assert_eq!(m.request_uri(), Some("sip:ucprimer.com;transport=tls"));
        let auth = m.authorization().next().unwrap().unwrap();
        assert!(auth.is_scheme("tls-dsk"));
        let names: Vec<_> = auth.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            ["qop", "realm", "targetname", "gssapi-data", "version"]
        );
        assert_eq!(auth.params.get("qop"), Some("\"auth\""));
        assert_eq!(auth.params.get("version"), Some("4"));
        let gss = auth.params.get_unquoted("gssapi-data").unwrap();
        assert_eq!(gss.len(), 100);
        assert!(gss.starts_with("FgMBAEQB"));
        let from = m.from().unwrap();
        assert_eq!(
            (from.tag(), from.epid()),
            (Some("B9A92F89-6F6343CE"), Some("0004f2ae4b0d"))
        );
        let contact = m.contacts().next().unwrap().unwrap();
        let c = contact.address().unwrap();
        assert_eq!(
            c.sip_instance(),
            Some("<urn:uuid:43a160e1-13ce-5cc6-804c-4a288a2c1873>")
        );
        assert!(c.params.value("methods").unwrap().contains("BENOTIFY"));
        assert_eq!(m.supported().count(), 6);
        assert_eq!(m.event().unwrap().unwrap().package, "registration");
        assert_eq!(
            m.headers().named("ms-keep-alive").next().unwrap().value(),
            b"UAC;hop-hop=yes"
        );
        assert_eq!(m.headers().named("MS-DEVICE-INFO").count(), 1);
        assert_eq!(
            m.user_agent().unwrap(),
            Some("Polycom/5.5.1.11526 PolycomVVX-VVX_600-UA/5.5.1.11526")
        );
    });
}

#[test]
fn first_401_offers_three_schemes() {
    with("401_challenges.sip", |m| {
        assert_eq!(m.status(), Some(401));
        let schemes: Vec<_> = m.www_authenticate().map(|c| c.unwrap().scheme).collect();
        assert_eq!(schemes, ["TLS-DSK", "Kerberos", "NTLM"]);
        let dsk = m.www_authenticate().next().unwrap().unwrap();
        assert_eq!(
            dsk.params.get_unquoted("sts-uri").as_deref(),
            Some("https://webpoolsg20f03.infra.lync.com:443/CertProv/CertProvisioningService.svc")
        );
        let krb = m.www_authenticate().nth(1).unwrap().unwrap();
        assert_eq!(
            krb.params.get_unquoted("targetname").as_deref(),
            Some("sip/SG20F03FES06.infra.lync.com")
        );
        assert_eq!(m.date().unwrap().unwrap().unix_time(), 1_487_741_245);
        assert_eq!(
            m.top_via().unwrap().params.value("ms-received-cid"),
            Some("1D8C00")
        );
    });
}

#[test]
fn second_401_carries_the_server_flight() {
    with("401_gssapi.sip", |m| {
        let c = m.www_authenticate().next().unwrap().unwrap();
        assert_eq!(c.params.get_unquoted("opaque").as_deref(), Some("E30C2F6B"));
        assert!(
            c.params
                .get_unquoted("gssapi-data")
                .unwrap()
                .starts_with("FgMBEpUCAABNAwFY")
        );
        assert_eq!(c.params.iter().count(), 5);
    });
}

#[test]
fn signed_register_exposes_every_signed_field_raw() {
    // tls-dsk.md §5.1 lists what the signature covers; each must be reachable unmodified.
    with("register_signed.sip", |m| {
        let auth = m.authorization().next().unwrap().unwrap();
        assert_eq!(
            auth.params.get_unquoted("crand").as_deref(),
            Some("41c8a5e2")
        );
        assert_eq!(auth.params.get_unquoted("cnum").as_deref(), Some("1"));
        assert_eq!(auth.params.get_unquoted("response").unwrap().len(), 40);
        assert_eq!(m.call_id().unwrap(), "d5f2b95d5be64c2cbfb38aa5d3a87ae7");
        let cseq = m.cseq().unwrap();
        assert_eq!((cseq.seq, cseq.method), (3, Method::Register));
        let from = m.from().unwrap();
        assert_eq!(
            (from.uri.as_str(), from.tag()),
            ("sip:alice@contoso.com", Some("22fafb15b8"))
        );
        let to = m.to().unwrap();
        assert_eq!((to.uri.as_str(), to.tag()), ("sip:alice@contoso.com", None));
        assert_eq!(m.expires().unwrap(), None);
        let supported: Vec<_> = m.supported().map(Result::unwrap).collect();
        assert_eq!(
            supported,
            [
                "gruu-10",
                "adhoclist",
                "msrtc-event-categories",
                "ms-forking",
                "ms-cluster-failover",
                "ms-userservices-state-notification"
            ]
        );
    });
}

#[test]
fn final_200_carries_rspauth() {
    with("200_register.sip", |m| {
        let info = m.authentication_info().unwrap().unwrap();
        assert_eq!(info.scheme, Some("TLS-DSK"));
        let p = |n| info.params.get_unquoted(n).unwrap().into_owned();
        assert_eq!(
            (p("srand"), p("snum")),
            ("1D9666D9".to_string(), "1".to_string())
        );
        assert_eq!(p("rspauth"), "38c3281f821cce3f0a13ced1d3574778b571ded7");
        assert_eq!(info.params.get("version"), Some("4"));
        assert_eq!(
            m.to().unwrap().tag(),
            Some("9588410E2DA11CEE9D0AE7733E07830F")
        );
        assert_eq!(m.expires().unwrap(), Some(7200));
        let c = m.contacts().next().unwrap().unwrap();
        assert_eq!(c.address().unwrap().expires(), Some(7200));
        assert!(
            c.address()
                .unwrap()
                .params
                .value("gruu")
                .unwrap()
                .contains(";gruu")
        );
        assert_eq!(
            m.headers().of(KnownHeader::Supported).count(),
            3,
            "one option per Supported header, as SIPE wants"
        );
        assert_eq!(m.headers().values(KnownHeader::AllowEvents).count(), 7);
    });
}

#[test]
fn service_and_benotify() {
    with("service.sip", |m| {
        assert_eq!(m.method(), Some(Method::Service));
        assert_eq!(m.cseq().unwrap().method, Method::Service);
        assert!(
            m.content_type()
                .unwrap()
                .unwrap()
                .is("application", "msrtc-category-publish+xml")
        );
        assert!(m.body().starts_with(b"<publish"));
        assert_eq!(
            m.proxy_authorization()
                .next()
                .unwrap()
                .unwrap()
                .params
                .get_unquoted("cnum")
                .as_deref(),
            Some("2")
        );
    });
    with("benotify.sip", |m| {
        assert_eq!(m.method(), Some(Method::Benotify));
        assert_eq!(
            m.authentication_info()
                .unwrap()
                .unwrap()
                .params
                .get_unquoted("snum")
                .as_deref(),
            Some("5")
        );
        let pai: Vec<_> = m
            .p_asserted_identities()
            .map(|a| a.unwrap().uri.scheme())
            .collect();
        assert_eq!(pai, ["sip", "tel"]);
        assert_eq!(
            m.top_via().unwrap().params.value("ms-internal-info"),
            Some("\"cvSOPQRSTUVW\"")
        );
        assert!(
            m.request_uri_parsed()
                .unwrap()
                .unwrap()
                .as_sip()
                .unwrap()
                .params
                .contains("grid")
        );
    });
}

#[test]
fn fixtures_round_trip_and_compact_forms_are_equal() {
    for name in [
        "register_tls_dsk.sip",
        "401_challenges.sip",
        "401_gssapi.sip",
        "register_signed.sip",
        "200_register.sip",
        "service.sip",
        "benotify.sip",
    ] {
        let owned = SipMessage::parse(load(name).into()).unwrap();
        let canonical = owned.message().to_canonical_bytes();
        assert_eq!(
            SipMessage::parse(canonical.clone().freeze()).unwrap(),
            owned,
            "{name}"
        );
        // The same message with compact names and folded lines is equal.
        let text = String::from_utf8(canonical.to_vec()).unwrap();
        let compact = text
            .replace("\r\nVia: ", "\r\nv:\r\n  ")
            .replace("\r\nCall-ID: ", "\r\ni: ")
            .replace("\r\nFrom: ", "\r\nf: ")
            .replace("\r\nTo: ", "\r\nT:   ")
            .replace("\r\nContent-Length: ", "\r\nl: ");
        let other = SipMessage::parse(compact.into_bytes().into()).unwrap();
        assert_eq!(other, owned, "{name}");
        assert_ne!(other.wire(), owned.wire());
    }
}
