//! The complete sign-in in-process: our client against our emulator, both credential
//! paths, every fault of the issue, and 50 concurrent sign-ins.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sipdsk::client::{Credentials, Event, SigninConfig, SigninError, Step, signin};
use sipdsk::emulator::{Emulator, EmulatorConfig};
use sipdsk::net::Trust;

const ALICE: &str = "alice@contoso.com";
const PASSWORD: &str = "s3cret & <xml>";

async fn emulator(tweak: impl FnOnce(&mut EmulatorConfig)) -> Arc<Emulator> {
    let mut c = EmulatorConfig::new("contoso.com")
        .user(ALICE, PASSWORD)
        .user("bob@contoso.com", "bobs-pin");
    c.device_code_interval = 1;
    tweak(&mut c);
    Arc::new(Emulator::start(c).await.expect("emulator starts"))
}

fn client(emu: &Emulator, user: &str, credentials: Credentials) -> SigninConfig {
    let mut c = SigninConfig::new(user, credentials);
    c.trust = Some(Trust::from_ca_pem(emu.ca_pem()).unwrap());
    c.overrides = emu.overrides();
    c.timeout = Duration::from_secs(20);
    c.backoff = Duration::from_millis(100);
    c
}

fn password(p: &str) -> Credentials {
    Credentials::Password(p.into())
}

/// Records events; approves device codes through `approve` when given.
fn recorder(
    emu: &Arc<Emulator>,
    approve_as: Option<&str>,
    decline: bool,
) -> (sipdsk::client::EventSink, Arc<Mutex<Vec<Event>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (emu, who, log) = (emu.clone(), approve_as.map(str::to_string), seen.clone());
    let sink: sipdsk::client::EventSink = Arc::new(move |e: &Event| {
        if let Event::DeviceCode { user_code, .. } = e {
            if decline {
                emu.decline_device_code(user_code).unwrap();
            } else if let Some(who) = &who {
                emu.approve_device_code(user_code, who).unwrap();
            }
        }
        log.lock().unwrap().push(e.clone());
    });
    (sink, seen)
}

/// The SIP exchange of a first sign-in: 4 REGISTERs (bare, ClientHello, client flight,
/// signed), 3 401s (challenge, server flight, server Finished) and a signed 200.
fn assert_tls_dsk_exchange(t: &[sipdsk::client::Exchanged]) {
    let what: Vec<&str> = t.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "REGISTER", "401", "REGISTER", "401", "REGISTER", "401", "REGISTER", "200"
        ],
        "{t:?}"
    );
    let auth: Vec<bool> = t.iter().map(|e| e.authenticated).collect();
    // The bare REGISTER and the first 401 carry no handshake data; the 200 carries rspauth.
    assert_eq!(
        auth,
        [false, false, true, true, true, true, true, true],
        "{t:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_sign_in_registers_and_unregisters() {
    let emu = emulator(|_| {}).await;
    let (sink, events) = recorder(&emu, None, false);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.events = Some(sink);
    let reg = signin(c).await.unwrap();
    assert_tls_dsk_exchange(reg.transcript());
    assert_eq!(reg.aor(), "sip:alice@contoso.com");
    assert_eq!(reg.expires(), 3600);
    let bindings = emu.bindings();
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].aor, "sip:alice@contoso.com");
    assert!(bindings[0].contact.contains("transport=tls"));
    let steps: Vec<Step> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Progress { step, .. } => Some(*step),
            _ => None,
        })
        .collect();
    for s in [
        Step::Autodiscover,
        Step::OrgId,
        Step::WebTicket,
        Step::Certificate,
        Step::TlsDsk,
    ] {
        assert!(steps.contains(&s), "{s:?} missing from {steps:?}");
    }
    assert!(reg.certificate_expires().is_some());
    reg.unregister().await.unwrap();
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_sign_in_and_one_refresh() {
    let emu = emulator(|c| c.max_expires = 2).await;
    let (sink, events) = recorder(&emu, Some("bob@contoso.com"), false);
    let mut c = client(&emu, "bob@contoso.com", Credentials::DeviceCode);
    c.events = Some(sink);
    let reg = signin(c).await.unwrap();
    assert_tls_dsk_exchange(reg.transcript());
    assert_eq!(reg.expires(), 2);
    assert_eq!(emu.bindings()[0].aor, "sip:bob@contoso.com");
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::DeviceCode { user_code, .. } if user_code.len() >= 8))
    );
    // Stay through one re-REGISTER (at 80% of 2 s), then unregister.
    reg.stay_until(tokio::time::sleep(Duration::from_millis(2500)))
        .await
        .unwrap();
    let refreshed = events.lock().unwrap().iter().any(|e| {
        matches!(e, Event::Progress { step: Step::Refresh, detail, .. } if detail.contains("re-REGISTER: 200 OK"))
    });
    assert!(refreshed);
    assert!(emu.bindings().is_empty());
}

async fn fails(c: SigninConfig) -> SigninError {
    match tokio::time::timeout(Duration::from_secs(60), signin(c)).await {
        Ok(Ok(_)) => panic!("sign-in should have failed"),
        Ok(Err(e)) => e,
        Err(_) => panic!("sign-in hung"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_an_orgid_error() {
    let emu = emulator(|_| {}).await;
    let e = fails(client(&emu, ALICE, password("wrong"))).await;
    assert_eq!(e.step, Step::OrgId, "{e}");
    assert!(!e.retryable);
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_device_code() {
    let emu = emulator(|_| {}).await;
    let (sink, _) = recorder(&emu, None, true);
    let mut c = client(&emu, "bob@contoso.com", Credentials::DeviceCode);
    c.events = Some(sink);
    let e = fails(c).await;
    assert_eq!(e.step, Step::DeviceCode);
    assert!(e.message.contains("declined"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_device_code() {
    let emu = emulator(|c| c.device_code_expires = 2).await;
    let e = fails(client(&emu, "bob@contoso.com", Credentials::DeviceCode)).await;
    assert_eq!(e.step, Step::DeviceCode);
    assert!(e.message.contains("expired"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_fault_from_the_web_ticket_service() {
    let emu = emulator(|_| {}).await;
    emu.faults().web_ticket_fault.store(true, Ordering::SeqCst);
    let e = fails(client(&emu, ALICE, password(PASSWORD))).await;
    assert_eq!(e.step, Step::WebTicket, "{e}");
    assert!(
        e.server_said
            .as_deref()
            .unwrap_or("")
            .contains("fault injected"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_info_from_certificate_provisioning() {
    let emu = emulator(|_| {}).await;
    emu.faults().certprov_error.store(true, Ordering::SeqCst);
    let e = fails(client(&emu, ALICE, password(PASSWORD))).await;
    assert_eq!(e.step, Step::Certificate, "{e}");
    assert!(e.to_string().contains("fault injected"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_client_certificate_is_refused() {
    let emu = emulator(|_| {}).await;
    emu.faults()
        .expired_certificates
        .store(true, Ordering::SeqCst);
    let e = fails(client(&emu, ALICE, password(PASSWORD))).await;
    assert_eq!(e.step, Step::TlsDsk, "{e}");
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_request_signature_is_rejected_by_the_registrar() {
    let emu = emulator(|_| {}).await;
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.tamper_requests = true;
    let e = fails(c).await;
    assert_eq!(e.step, Step::TlsDsk, "{e}");
    assert!(e.message.contains("refused"), "{e}");
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_response_signature_is_rejected_by_the_client() {
    let emu = emulator(|_| {}).await;
    emu.faults()
        .tamper_response_signature
        .store(true, Ordering::SeqCst);
    let e = fails(client(&emu, ALICE, password(PASSWORD))).await;
    assert_eq!(e.step, Step::TlsDsk, "{e}");
    assert!(e.message.contains("failed verification"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_handshake_is_retried() {
    let emu = emulator(|_| {}).await;
    emu.faults().drop_on_client_hello.store(2, Ordering::SeqCst);
    let (sink, events) = recorder(&emu, None, false);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.events = Some(sink);
    let reg = signin(c).await.unwrap();
    assert_eq!(emu.faults().drop_on_client_hello.load(Ordering::SeqCst), 0);
    let retries = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Progress { detail, .. } if detail.contains("attempt")))
        .count();
    assert_eq!(retries, 2);
    reg.unregister().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_every_time_gives_up() {
    let emu = emulator(|_| {}).await;
    emu.faults()
        .drop_on_client_hello
        .store(100, Ordering::SeqCst);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.attempts = 3;
    let e = fails(c).await;
    assert!(e.retryable, "{e}");
    assert_eq!(emu.faults().drop_on_client_hello.load(Ordering::SeqCst), 97);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrar_restart_is_survived() {
    let emu = emulator(|c| c.max_expires = 3).await;
    let (sink, events) = recorder(&emu, None, false);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.events = Some(sink);
    let reg = signin(c).await.unwrap();
    // The restart runs on its own task: the stop future is only polled between the
    // client's own steps.
    let restarter = emu.clone();
    let restart = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        restarter.restart_registrar().await.unwrap();
        assert!(restarter.bindings().is_empty());
    });
    let watcher = emu.clone();
    let stay = tokio::spawn(reg.stay_until(async move {
        restart.await.unwrap();
        // Wait for the client to notice, sign in again and show up in the new registrar.
        for _ in 0..200 {
            if !watcher.bindings().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }));
    tokio::time::timeout(Duration::from_secs(60), stay)
        .await
        .expect("no hang")
        .unwrap()
        .unwrap();
    assert!(events.lock().unwrap().iter().any(|e| {
        matches!(e, Event::Progress { detail, .. } if detail.contains("signed in again"))
    }));
    // The final unregister reached the restarted registrar.
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_sign_ins() {
    let mut users = Vec::new();
    let emu = emulator(|c| {
        for i in 0..50 {
            let u = format!("user{i}@contoso.com");
            c.users.push(sipdsk::emulator::User {
                address: u.clone(),
                password: "pw".into(),
            });
            users.push(u);
        }
    })
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for u in &users {
        let mut c = client(&emu, u, password("pw"));
        c.timeout = Duration::from_secs(120);
        tasks.spawn(signin(c));
    }
    let mut regs = Vec::new();
    while let Some(r) = tasks.join_next().await {
        regs.push(r.unwrap().unwrap());
    }
    assert_eq!(emu.bindings().len(), 50);
    for r in regs {
        r.unregister().await.unwrap();
    }
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_is_renewed_before_it_lapses() {
    // Certificates live 8 h; a client that renews 9 h ahead renews at every refresh.
    let emu = emulator(|c| c.max_expires = 1).await;
    let (sink, events) = recorder(&emu, None, false);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.events = Some(sink);
    c.renew_margin = Duration::from_secs(9 * 3600);
    let reg = signin(c).await.unwrap();
    reg.stay_until(tokio::time::sleep(Duration::from_millis(1500)))
        .await
        .unwrap();
    let issued: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Progress {
                step: Step::Certificate,
                detail,
                ..
            } if detail.starts_with("certificate ") => Some(detail.clone()),
            _ => None,
        })
        .collect();
    assert!(issued.len() >= 2, "{issued:?}");
    // A new serial each time.
    assert_ne!(issued[0].split(' ').nth(1), issued[1].split(' ').nth(1));
    assert!(emu.bindings().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_the_registrar_are_verified_and_answered_signed() {
    use sip_core::Method;
    let emu = emulator(|_| {}).await;
    let (sink, events) = recorder(&emu, None, false);
    let mut c = client(&emu, ALICE, password(PASSWORD));
    c.events = Some(sink);
    let reg = signin(c).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let staying = tokio::spawn(reg.stay_until(async {
        let _ = stopped.await;
    }));
    let aor = "sip:alice@contoso.com";
    let wait = Duration::from_secs(10);
    assert_eq!(emu.reachable(), [aor]);
    // Each answer is signed by the client and verified by the emulator before it counts.
    assert_eq!(
        emu.send_to_client(aor, Method::Options, wait).await,
        Ok(200)
    );
    assert_eq!(emu.send_to_client(aor, Method::Notify, wait).await, Ok(200));
    assert_eq!(emu.send_to_client(aor, Method::Invite, wait).await, Ok(405));
    assert_eq!(emu.send_to_client(aor, Method::Bye, wait).await, Ok(481));
    // BENOTIFY gets no answer, by definition.
    let silent = emu
        .send_to_client(aor, Method::Benotify, Duration::from_millis(500))
        .await;
    assert!(silent.unwrap_err().contains("did not answer"));
    // A request whose signature fails is dropped unanswered, and the client stays.
    emu.faults()
        .tamper_response_signature
        .store(true, Ordering::SeqCst);
    let forged = emu
        .send_to_client(aor, Method::Options, Duration::from_millis(500))
        .await;
    assert!(forged.unwrap_err().contains("did not answer"));
    emu.faults()
        .tamper_response_signature
        .store(false, Ordering::SeqCst);
    assert_eq!(
        emu.send_to_client(aor, Method::Options, wait).await,
        Ok(200)
    );
    assert!(
        emu.send_to_client("sip:bob@contoso.com", Method::Options, wait)
            .await
            .unwrap_err()
            .contains("not registered")
    );
    stop.send(()).unwrap();
    staying.await.unwrap().unwrap();
    assert!(emu.bindings().is_empty());
    // Unregistering also forgets the connection.
    assert!(emu.reachable().is_empty());
    let details: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Progress { detail, .. } => Some(detail.clone()),
            _ => None,
        })
        .collect();
    for expected in [
        "answered the registrar's OPTIONS with 200 OK (signed)",
        "answered the registrar's INVITE with 405 Method Not Allowed (signed)",
        "ignored a OPTIONS from the registrar: ",
    ] {
        assert!(
            details.iter().any(|d| d.starts_with(expected)),
            "{expected:?} not in {details:#?}"
        );
    }
}
