//! Writes the fixtures under `tests/data/`. Ignored by default; after a deliberate change
//! run `cargo test -p certprov --test regenerate -- --ignored` and review the diff.
//!
//! Everything is deterministic (seeded RNG; PKCS#1 v1.5 signatures do not depend on it),
//! except the PKCS#7 fixture, which `openssl crl2pkcs7` produces.

mod common;

use certprov::server::{CertAuthority, IssuePolicy};
use certprov::{ClientKey, Csr, SignatureHash, UnixTime};
use common::*;
use der::{Decode, Encode};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
const BASE64: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#Base64Binary";

fn write(name: &str, content: impl AsRef<[u8]>) {
    std::fs::write(data_path(name), content).unwrap();
}

fn b64(der: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der)
}

fn token(value_type: &str, content: &str) -> String {
    format!(
        r#"<BinarySecurityToken xmlns="{WSSE}" ValueType="{value_type}" EncodingType="{BASE64}">{content}</BinarySecurityToken>"#
    )
}

/// The F10 shape of `web-services.md` §8 around `tokens`.
fn f10(tokens: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
 <GetAndPublishCertResponse xmlns="http://schemas.microsoft.com/OCS/AuthWebServices/">
  <RequestSecurityTokenResponse xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
   <TokenType>{X509V3}</TokenType>
   <RequestedSecurityToken>{tokens}</RequestedSecurityToken>
  </RequestSecurityTokenResponse></GetAndPublishCertResponse></s:Body></s:Envelope>
"#
    )
}

fn f10_cert(der: &[u8]) -> String {
    f10(&token(X509V3, &b64(der)))
}

/// F10b: an `ErrorInfo` answer (children UNCONFIRMED).
fn f10b(info: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
 <GetAndPublishCertResponse xmlns="http://schemas.microsoft.com/OCS/AuthWebServices/">{info}</GetAndPublishCertResponse></s:Body></s:Envelope>
"#
    )
}

fn time(t: UnixTime) -> Time {
    let d = std::time::Duration::from_secs(t.0 as u64);
    Time::UtcTime(der::asn1::UtcTime::from_unix_duration(d).unwrap())
}

/// An intermediate CA `CN=<cn>` for `subject_key`, signed by the root CA (`server.key`).
fn intermediate(cn: &str, subject_key: &ClientKey, root: &CertAuthority) -> Vec<u8> {
    let root_cert = Certificate::from_der(root.cert_der()).unwrap();
    let signer = SigningKey::<sha2::Sha256>::new(ca_key().dangerous_rsa_key().clone());
    let spki = SubjectPublicKeyInfoOwned::from_der(&subject_key.public_key_der()).unwrap();
    let builder = CertificateBuilder::new(
        Profile::SubCA {
            issuer: root_cert.tbs_certificate.subject,
            path_len_constraint: Some(0),
        },
        SerialNumber::from(2u32),
        Validity {
            not_before: time(UnixTime(1_735_689_600)),
            not_after: time(UnixTime(2_051_222_400)),
        },
        Name::from_der(&cn_name_der(cn)).unwrap(),
        spki,
        &signer,
    )
    .unwrap();
    builder
        .build::<rsa::pkcs1v15::Signature>()
        .unwrap()
        .to_der()
        .unwrap()
}

fn cn_name_der(cn: &str) -> Vec<u8> {
    use std::str::FromStr;
    Name::from_str(&format!("CN={cn}"))
        .unwrap()
        .to_der()
        .unwrap()
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A SHA-1 CSR with version 2 in `CertificationRequestInfo`, as SIPE's OpenSSL backend
/// writes it, correctly signed.
fn sipe_v2_csr(key: &ClientKey, cn: &str) -> Vec<u8> {
    let v1 = Csr::new(key, cn, SignatureHash::Sha1, &mut rng(5)).unwrap();
    let outer = der::asn1::AnyRef::from_der(v1.as_der()).unwrap();
    let mut reader = der::SliceReader::new(outer.value()).unwrap();
    let info: der::asn1::AnyRef<'_> = der::Reader::decode(&mut reader).unwrap();
    let mut info_der = info.to_der().unwrap();
    // 30 82 LL LL | 02 01 00
    assert_eq!(&info_der[4..7], &[0x02, 0x01, 0x00]);
    info_der[6] = 0x02;
    let sig = SigningKey::<sha1::Sha1>::new(key.dangerous_rsa_key().clone()).sign(&info_der);
    let alg = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig.to_bytes());
    let mut content = info_der;
    content.extend_from_slice(&alg);
    content.extend(tlv(0x03, &bits));
    tlv(0x30, &content)
}

/// The first substring from `start` through `end` (inclusive).
fn between(text: &str, start: &str, end: &str) -> String {
    let a = text.find(start).unwrap();
    let b = text[a..].find(end).unwrap() + a + end.len();
    text[a..b].to_owned()
}

fn wrap76(der: &[u8]) -> String {
    let s = b64(der);
    s.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
#[ignore = "writes tests/data; run with --ignored after a deliberate change"]
fn regenerate_fixtures() {
    let ca = ca();
    write("ca.pem", ca.cert_pem());

    // Requests.
    let csr = csr(SignatureHash::Sha1);
    write("csr-sha1.der", csr.as_der());
    write(
        "csr-sha256.der",
        common::csr(SignatureHash::Sha256).as_der(),
    );
    write("csr-sipe-v2.der", sipe_v2_csr(&client_key(), ALICE));
    let req = request(&csr).to_xml().unwrap();
    write("request.xml", &req);
    let prefixed = req
        .replace("xmlns:soap=", "xmlns:S=")
        .replace("soap:", "S:")
        .replace("xmlns:wsse=", "xmlns:o=")
        .replace("wsse:", "o:")
        .replace("xmlns:wsu=", "xmlns:u=")
        .replace("wsu:", "u:")
        .replace("xmlns:wsa=", "xmlns:a=")
        .replace("wsa:", "a:")
        .replace("xmlns:wst=", "xmlns:t=")
        .replace("wst:", "t:");
    // Re-sign as a client that canonicalizes with its own prefixes would: the digest over
    // the `u:Timestamp` exactly as sent, the HMAC over the SignedInfo with that digest.
    let ts = between(&prefixed, "<u:Timestamp", "</u:Timestamp>");
    let digest = b64(&webticket::crypto::sha1(ts.as_bytes()));
    let value = b64(&proof_key().sign(webticket::soap::signed_info_c14n(&digest).as_bytes()));
    let prefixed = prefixed
        .replace(
            &between(&prefixed, "<DigestValue>", "</DigestValue>"),
            &format!("<DigestValue>{digest}</DigestValue>"),
        )
        .replace(
            &between(&prefixed, "<SignatureValue>", "</SignatureValue>"),
            &format!("<SignatureValue>{value}</SignatureValue>"),
        );
    write("request-prefixed.xml", prefixed);
    // SIPE's layout (sipe-svc.c): no MessageID, spaces between elements, SOAP prefixes
    // declared on the envelope, a version-2 SHA-1 CSR.
    let security = ticket().security_header().unwrap();
    let sipe = format!(
        "<?xml version=\"1.0\"?>\r\n<soap:Envelope xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" \
xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:wst=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512\" \
xmlns:auth=\"http://schemas.xmlsoap.org/ws/2006/12/authorization\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" \
xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\" xmlns:wsse=\"{WSSE}\" \
xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" >\
<soap:Header> <wsa:To>{ENDPOINT}</wsa:To> <wsa:ReplyTo>  <wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address> </wsa:ReplyTo> \
<wsa:Action>http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert</wsa:Action> <wsse:Security>{sec}</wsse:Security></soap:Header> \
<soap:Body><GetAndPublishCert xmlns=\"http://schemas.microsoft.com/OCS/AuthWebServices/\" \
xmlns:wst=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/\" xmlns:wstep=\"http://schemas.microsoft.com/windows/pki/2009/01/enrollment\" \
DeviceId=\"{{0e9f7d4c-5b3a-4e21-9f80-7a6b5c4d3e2f}}\" Entity=\"{ALICE}\"> <wst:RequestSecurityToken>  \
<wst:TokenType>{X509V3}</wst:TokenType>  <wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</wst:RequestType>  \
<wsse:BinarySecurityToken   ValueType=\"http://schemas.microsoft.com/OCS/AuthWebServices.xsd#PKCS10\"   EncodingType=\"{BASE64}\"  >\r\n{csr}</wsse:BinarySecurityToken>  \
<wstep:RequestID>5f0c8a3e-2d41-4b6f-9e87-1a2b3c4d5e6f</wstep:RequestID> </wst:RequestSecurityToken></GetAndPublishCert></soap:Body></soap:Envelope>",
        sec = security.dangerous_as_str(),
        csr = wrap76(&sipe_v2_csr(&client_key(), ALICE)),
    );
    write("request-sipe.xml", sipe);

    // Responses with certificates.
    let leaf = ca.issue(&csr, &policy(), ISSUED_AT, &mut rng(3)).unwrap();
    write("response.xml", f10_cert(&leaf));
    let lines = wrap76(&leaf).replace("\r\n", "\n");
    write(
        "response-prefixed.xml",
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing">
<soap:Header><a:Action soap:mustUnderstand="1">http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCertResponse</a:Action><a:RelatesTo>uuid:11111111-1111-4111-9111-111111111111</a:RelatesTo></soap:Header>
<soap:Body>
 <p:GetAndPublishCertResponse xmlns:p="http://schemas.microsoft.com/OCS/AuthWebServices/">
  <t:RequestSecurityTokenResponseCollection xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
   <t:RequestSecurityTokenResponse>
    <t:TokenType>{X509V3}</t:TokenType>
    <ep:DispositionMessage xmlns:ep="http://schemas.microsoft.com/windows/pki/2009/01/enrollment" xml:lang="en-US">Issued</ep:DispositionMessage>
    <t:RequestedSecurityToken>
     <o:BinarySecurityToken xmlns:o="{WSSE}" ValueType="{X509V3}" EncodingType="{BASE64}">
{lines}
     </o:BinarySecurityToken>
     <o:SecurityTokenReference xmlns:o="{WSSE}"/>
    </t:RequestedSecurityToken>
    <ep:RequestID xmlns:ep="http://schemas.microsoft.com/windows/pki/2009/01/enrollment">22222222-2222-2222-2222-222222222222</ep:RequestID>
   </t:RequestSecurityTokenResponse>
  </t:RequestSecurityTokenResponseCollection>
 </p:GetAndPublishCertResponse>
</soap:Body>
</soap:Envelope>
"#
        ),
    );

    // A chain: root (server.key) -> intermediate (rogue.key) -> leaf.
    let inter_der = intermediate("certprov test intermediate CA", &rogue_key(), &ca);
    let inter =
        CertAuthority::new(inter_der.clone(), rogue_key().dangerous_rsa_key().clone()).unwrap();
    let chained_leaf = inter
        .issue(&csr, &policy(), ISSUED_AT, &mut rng(4))
        .unwrap();
    // Out of order on purpose, with the root: the parser orders and drops it.
    write(
        "response-chain.xml",
        f10(&[&inter_der, ca.cert_der(), &chained_leaf]
            .iter()
            .map(|d| token(X509V3, &b64(d)))
            .collect::<String>()),
    );
    // PKIPath: SEQUENCE OF Certificate, issuer first.
    let path: Vec<Certificate> = [&inter_der, &chained_leaf]
        .iter()
        .map(|d| Certificate::from_der(d).unwrap())
        .collect();
    write(
        "response-pkipath.xml",
        f10(&token(
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509PKIPathv1",
            &b64(&path.to_der().unwrap()),
        )),
    );
    // PKCS#7 certs-only, made by OpenSSL.
    let dir = scratch("regenerate");
    let chain_pem: String = [&chained_leaf, &inter_der]
        .iter()
        .map(|d| {
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                wrap76(d).replace("\r\n", "\n")
            )
        })
        .collect();
    std::fs::write(dir.join("chain.pem"), chain_pem).unwrap();
    let out = openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        dir.join("chain.pem").to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        dir.join("chain.p7b").to_str().unwrap(),
    ])
    .expect("openssl is needed to regenerate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p7 = std::fs::read(dir.join("chain.p7b")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    write(
        "response-pkcs7.xml",
        f10(&token(
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#PKCS7",
            &b64(&p7),
        )),
    );
    // Same chain, but the "intermediate" has the right name and a different key.
    let impostor = intermediate("certprov test intermediate CA", &client_key(), &ca);
    write(
        "response-broken-chain.xml",
        f10(&[&chained_leaf, &impostor]
            .iter()
            .map(|d| token(X509V3, &b64(d)))
            .collect::<String>()),
    );

    // Certificates that must be refused.
    let bob = Csr::new(
        &client_key(),
        "bob@contoso.com",
        SignatureHash::Sha1,
        &mut rng(6),
    )
    .unwrap();
    write(
        "response-wrong-subject.xml",
        f10_cert(&ca.issue(&bob, &policy(), ISSUED_AT, &mut rng(7)).unwrap()),
    );
    let rogue = Csr::new(&rogue_key(), ALICE, SignatureHash::Sha1, &mut rng(8)).unwrap();
    write(
        "response-wrong-key.xml",
        f10_cert(&ca.issue(&rogue, &policy(), ISSUED_AT, &mut rng(9)).unwrap()),
    );
    // Issued 2025-06-01: long expired at NOW.
    let old = ca
        .issue(&csr, &policy(), UnixTime(1_748_736_000), &mut rng(10))
        .unwrap();
    write("response-expired.xml", f10_cert(&old));
    // Issued two hours after NOW.
    let future = ca
        .issue(&csr, &IssuePolicy::default(), NOW + 7200, &mut rng(11))
        .unwrap();
    write("response-not-yet-valid.xml", f10_cert(&future));

    // Malformed answers.
    write(
        "response-bad-base64.xml",
        f10(&token(X509V3, "MIIC!!not*base64")),
    );
    write("response-bad-der.xml", f10(&token(X509V3, "MAMCAQA=")));
    write(
        "response-unsupported-type.xml",
        f10(&token(
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier",
            "AAAA",
        )),
    );
    write("response-missing-token.xml", f10(""));
    write(
        "response-empty-body.xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>\n",
    );
    write(
        "response-html.html",
        "<html><head><title>Service Unavailable</title></head><body>Service Unavailable</body></html>\n",
    );
    write(
        "response-not-xml.txt",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\n",
    );

    // ErrorInfo (F10b; layout UNCONFIRMED).
    write(
        "response-errorinfo-28000.xml",
        f10b(
            "<ErrorInfo><ErrorId>28000</ErrorId><Reason>User is not SIP enabled.</Reason></ErrorInfo>",
        ),
    );
    write(
        "response-errorinfo-28001.xml",
        f10b("<ErrorInfo><ErrorId>28001</ErrorId><Reason>Internal error.</Reason></ErrorInfo>"),
    );
    write(
        "response-errorinfo-unknown.xml",
        f10b(
            "<ErrorInfo><ErrorCode>28050</ErrorCode><Message>Certificate request rejected by policy.</Message></ErrorInfo>",
        ),
    );
    write(
        "response-errorinfo-text.xml",
        f10b(
            "<e:ErrorInfo xmlns:e=\"urn:example:unconfirmed\">The certificate template is disabled.</e:ErrorInfo>",
        ),
    );

    // SOAP faults.
    let fault11 = |code: &str, text: &str, detail: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="{WSSE}"><s:Body><s:Fault><faultcode>{code}</faultcode><faultstring xml:lang="en-US">{text}</faultstring>{detail}</s:Fault></s:Body></s:Envelope>
"#
        )
    };
    write(
        "response-fault-failedauth.xml",
        fault11(
            "wsse:FailedAuthentication",
            "The security token could not be authenticated or authorized.",
            "",
        ),
    );
    write(
        "response-fault-expired.xml",
        fault11("wsse:MessageExpired", "The message has expired.", ""),
    );
    write(
        "response-fault-28000.xml",
        fault11(
            "s:Client",
            "Authentication failed.",
            r#"<detail><af:OCSDiagnosticsFault xmlns:af="urn:component:Microsoft.Rtc.WebAuthentication.2010"><af:Ms-Diagnostics-Fault><af:ErrorId>28000</af:ErrorId><af:Reason>User is not SIP enabled.</af:Reason></af:Ms-Diagnostics-Fault></af:OCSDiagnosticsFault></detail>"#,
        ),
    );
    write(
        "response-fault-server.xml",
        fault11(
            "s:Server",
            "The server was unable to process the request due to an internal error.",
            "",
        ),
    );
    write(
        "response-fault-other.xml",
        fault11("s:Client", "The request was not understood.", ""),
    );
    write(
        "response-fault-soap12.xml",
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="{WSSE}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>a:InvalidSecurity</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">An error occurred when verifying security for the message.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>
"#
        ),
    );
}
