//! Interop with sipp (Debian `sip-tester`): sipp's built-in `uac` scenario calls our
//! `sipdsk uas`, and our `sipdsk uac` calls sipp's built-in `uas` scenario, over UDP and
//! TCP on loopback. The assertions read sipp's own counters. Under CI (`CI=true`) a
//! missing sipp fails the test; elsewhere the test says it is skipped.

mod common;

use common::{Kill, free_port};

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have_sipp() -> bool {
    let found = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "sipp is not installed (apt-get install sip-tester); scripts/test installs it"
        );
        eprintln!("SKIPPED: sipp not installed");
    }
    found
}

/// sipp's cumulative (successful, failed) call counters from its final screen.
fn counters(output: &str) -> (u64, u64) {
    let grab = |label: &str| {
        output
            .lines()
            .rfind(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split('|').nth(2))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {label:?} counter in sipp output:\n{output}"))
    };
    (grab("Successful call"), grab("Failed call"))
}

fn sipdsk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sipdsk"))
}

/// Starts `sipdsk uas` and waits for its "listening" line.
fn start_uas(transport: &str, port: u16) -> Kill {
    let mut child = sipdsk()
        .args([
            "uas",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--transport",
            transport,
            "--duration",
            "60",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut line = [0u8; 64];
    let n = std::io::Read::read(&mut out, &mut line).unwrap();
    assert!(String::from_utf8_lossy(&line[..n]).starts_with("listening"));
    Kill(child)
}

fn sipp_uac_against_our_uas(transport: &str, sipp_t: &str) {
    if !have_sipp() {
        return;
    }
    let port = free_port();
    let _uas = start_uas(transport, port);
    const CALLS: u64 = 50;
    let out = Command::new("timeout")
        .args([
            "90",
            "sipp",
            "-sn",
            "uac",
            &format!("127.0.0.1:{port}"),
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
        ])
        .args([
            "-t",
            sipp_t,
            "-m",
            &CALLS.to_string(),
            "-r",
            "50",
            "-nostdin",
            "-timeout",
            "60s",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        counters(&text),
        (CALLS, 0),
        "sipp uac over {transport}:\n{text}"
    );
    assert!(out.status.success(), "sipp exit status {:?}", out.status);
}

fn our_uac_against_sipp_uas(transport: &str, sipp_t: &str) {
    if !have_sipp() {
        return;
    }
    const CALLS: u64 = 10;
    let port = free_port();
    let sipp = Command::new("timeout")
        .args([
            "90",
            "sipp",
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            sipp_t,
        ])
        .args(["-m", &CALLS.to_string(), "-nostdin"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let sipp = Kill(sipp);
    // Wait until sipp listens.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let busy = match transport {
            "tcp" => std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            _ => UdpSocket::bind(("127.0.0.1", port)).is_err(),
        };
        if busy {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let ours = sipdsk()
        .args([
            "uac",
            "--target",
            &format!("127.0.0.1:{port}"),
            "--transport",
            transport,
            "--calls",
            &CALLS.to_string(),
            "--linger",
            "5",
        ])
        .output()
        .unwrap();
    let ours_text = String::from_utf8_lossy(&ours.stdout);
    assert!(
        ours.status.success(),
        "our uac: {ours_text}{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert!(
        ours_text.contains(&format!("calls: {CALLS} successful, 0 failed")),
        "{ours_text}"
    );
    let mut sipp = sipp;
    let status = sipp.0.wait().unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(sipp.0.stdout.as_mut().unwrap(), &mut text).unwrap();
    assert_eq!(
        counters(&text),
        (CALLS, 0),
        "sipp uas over {transport}:\n{text}"
    );
    assert!(status.success(), "sipp exit status {status:?}");
}

#[test]
fn sipp_uac_calls_our_uas_over_udp() {
    sipp_uac_against_our_uas("udp", "u1");
}

#[test]
fn sipp_uac_calls_our_uas_over_tcp() {
    sipp_uac_against_our_uas("tcp", "t1");
}

#[test]
fn our_uac_calls_sipp_uas_over_udp() {
    our_uac_against_sipp_uas("udp", "u1");
}

#[test]
fn our_uac_calls_sipp_uas_over_tcp() {
    our_uac_against_sipp_uas("tcp", "t1");
}
