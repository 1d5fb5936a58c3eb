//! Interop with SIPE (Debian `pidgin-sipe`), the independent Lync client, through
//! `../shared/interop/sipe/run-against.sh`: it runs our emulator in a private network
//! namespace and signs in with SIPE once. SIPE signs in with an explicit server and by
//! autodiscover, fails cleanly with a wrong password, and signs in after our own client
//! on the same emulator. The harness log must show every incoming signature validated and
//! no response ignored.
//!
//! Needs root (network namespaces) and the harness packages (`run-against.sh install`,
//! which `.ci/run` does). Under CI (`CI=true`) a missing harness fails the test;
//! elsewhere the test says it is skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/interop/sipe/run-against.sh")
}

fn available() -> bool {
    let ok = harness().exists()
        && Command::new("pkg-config")
            .args(["--exists", "purple"])
            .status()
            .is_ok_and(|s| s.success())
        && Command::new("unshare")
            .args(["-n", "-m", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "the SIPE harness cannot run: needs root and `run-against.sh install` (scripts/test does it)"
        );
        eprintln!("SKIPPED: SIPE harness not installed or not root");
    }
    ok
}

struct Run {
    code: i32,
    harness_log: String,
    server_log: String,
    work: PathBuf,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipdsk-sipe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One run of the harness: `args` before `--`, then the server command.
fn run(name: &str, password: &str, args: &[&str], server: &[&str]) -> Run {
    let work = scratch(name);
    let state = work.join("state");
    let out: Output = Command::new("bash")
        .arg(harness())
        .args(args)
        .arg("--")
        .args(
            server
                .iter()
                .map(|a| a.replace("{STATE}", state.to_str().unwrap())),
        )
        .env("WORK", &work)
        .env("SIPE_CA_FILE", state.join("ca.pem"))
        .env("SIPE_PASSWORD", password)
        .env("SIPE_TIMEOUT", "30")
        .env("PAIR_OUT", work.join("ours.log"))
        .output()
        .unwrap();
    let read = |f: &str| std::fs::read_to_string(work.join(f)).unwrap_or_default();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        harness_log: read("harness.log"),
        server_log: read("server.log"),
        work,
    };
    eprintln!(
        "{name}: exit {} ({})\n{}",
        r.code,
        String::from_utf8_lossy(&out.stdout),
        r.server_log
    );
    r
}

fn emulate(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec![
        env!("CARGO_BIN_EXE_sipdsk"),
        "emulate",
        "--domain",
        "contoso.com",
        "--user",
        "alice@contoso.com:Pa55-word",
        "--sip-port",
        "5061",
        "--https-port",
        "8443",
        "--state-dir",
        "{STATE}",
    ];
    v.extend_from_slice(extra);
    v
}

/// Signed on, every incoming message's signature validated, nothing ignored.
fn assert_clean_sign_on(r: &Run) {
    assert_eq!(r.code, 0, "harness log in {}", r.work.display());
    assert!(r.harness_log.contains("HARNESS: SIGNED ON"));
    let validated = r
        .harness_log
        .matches("signature of incoming message validated")
        .count();
    // The REGISTER 200 and the answers to the SUBSCRIBEs, SERVICEs and INVITE after it.
    assert!(validated >= 5, "only {validated} signatures validated");
    for bad in [
        "signature of incoming message INVALID",
        "invalid signature",
        "ignoring",
        "discarding",
    ] {
        assert!(
            !r.harness_log
                .to_ascii_lowercase()
                .contains(&bad.to_ascii_lowercase()),
            "harness log says {bad:?} ({})",
            r.work.display()
        );
    }
    assert!(r.server_log.contains("registered sip:alice@contoso.com"));
    assert!(r.server_log.contains("certprov: certificate issued"));
    for event in ["roaming-contacts", "roaming-self", "provisioning-v2"] {
        assert!(
            r.harness_log
                .contains("process_subscribe_response: subscription")
                && r.harness_log.contains(event),
            "no answer processed for {event}"
        );
    }
}

#[test]
fn sipe_signs_in_with_an_explicit_server() {
    if !available() {
        return;
    }
    let r = run("explicit", "Pa55-word", &["--ready", "5061"], &emulate(&[]));
    assert_clean_sign_on(&r);
    assert!(
        r.server_log
            .contains("WinNegotiate port: alice@contoso.com authenticated")
    );
}

#[test]
fn sipe_signs_in_by_autodiscover() {
    if !available() {
        return;
    }
    let r = run(
        "autodiscover",
        "Pa55-word",
        &["--autodiscover", "--ready", "443"],
        &emulate(&["--autodiscover-port", "443"]),
    );
    assert_clean_sign_on(&r);
    assert!(
        r.server_log
            .contains("GET /Autodiscover/AutodiscoverService.svc/root/user -> 200")
    );
}

#[test]
fn sipe_with_a_wrong_password_fails_cleanly() {
    if !available() {
        return;
    }
    let r = run(
        "wrong",
        "not-the-password",
        &["--ready", "5061"],
        &emulate(&[]),
    );
    assert_eq!(r.code, 2, "harness log in {}", r.work.display());
    assert!(r.harness_log.contains("Web ticket request to"));
    assert!(
        r.server_log
            .contains("WinNegotiate port: refused Basic(\"alice@contoso.com\", [redacted]): The credentials are not valid."),
        "{}",
        r.server_log
    );
    assert!(!r.server_log.contains("registered"));
}

#[test]
fn our_client_then_sipe_on_the_same_emulator() {
    if !available() {
        return;
    }
    let pair = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipe/pair.sh");
    let r = run(
        "pair",
        "Pa55-word",
        &[
            "--autodiscover",
            "--hosts",
            "lyncdiscoverinternal.contoso.com lyncdiscover.contoso.com sip.contoso.com webpool.contoso.com login.microsoftonline.com",
            "--ready",
            "5999",
        ],
        &[
            "bash",
            pair.to_str().unwrap(),
            env!("CARGO_BIN_EXE_sipdsk"),
            "{STATE}",
            "5999",
        ],
    );
    let ours = std::fs::read_to_string(r.work.join("ours.log")).unwrap_or_default();
    let rc = std::fs::read_to_string(r.work.join("ours.log.rc")).unwrap_or_default();
    assert_eq!(rc.trim(), "0", "our client:\n{ours}");
    assert!(ours.contains("signed in as sip:bob@contoso.com"), "{ours}");
    assert!(ours.contains("unregistered"), "{ours}");
    assert_clean_sign_on(&r);
    let bob = r.server_log.find("registered sip:bob@contoso.com").unwrap();
    let alice = r
        .server_log
        .find("registered sip:alice@contoso.com")
        .unwrap();
    assert!(bob < alice, "our client signed in first");
}
