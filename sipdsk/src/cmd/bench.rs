//! `sipdsk bench-signin`: N concurrent password sign-ins (and unregisters) against an
//! in-process emulator; reports sign-ins per second and the share of CPU time that the
//! RSA operations of a sign-in take.
//!
//! The RSA share is computed, not sampled: the RSA operations one sign-in performs (client
//! key generation, CSR signature, certificate signature by the CA, TLS-DSK premaster
//! encryption and decryption, CertificateVerify signature and their checks) are run alone
//! after the sign-ins, 20 times, and their mean CPU time (this thread's, from
//! `/proc/thread-self/stat`) times the number of sign-ins is divided by the CPU time the
//! process spent on the sign-ins (`/proc/self/stat`). CPU time, not wall time, so other
//! load on the machine does not skew it; RSA key generation time varies a lot from key to
//! key, so expect a few percent of noise. Outer TLS (rustls, ECDHE) is not counted as RSA
//! although the server certificate is RSA.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand_core::OsRng;
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::signature::{RandomizedSigner, Verifier};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use sha2::Sha256;

use crate::client::{Credentials, SigninConfig, signin};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::net::Trust;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Concurrent clients (each its own user, connection, key and certificate).
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Worker threads of the runtime (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Seconds the whole run may take.
    #[arg(long, default_value_t = 600)]
    limit: u64,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        args.threads
    };
    let rt = match super::runtime("bench-signin", threads) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(bench(
        args.clients,
        threads,
        Duration::from_secs(args.limit),
    )) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sipdsk bench-signin: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the benchmark; returns the number of failed sign-ins.
async fn bench(clients: usize, threads: usize, limit: Duration) -> Result<usize, String> {
    let mut config = EmulatorConfig::new("contoso.com");
    for i in 0..clients {
        config = config.user(&format!("user{i}@contoso.com"), &format!("pw{i}"));
    }
    let emulator = Emulator::start(config).await?;
    let trust = Trust::from_ca_pem(emulator.ca_pem())?;
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let cpu_before = cpu_time("/proc/self/stat");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..clients {
        let mut c = SigninConfig::new(
            &format!("user{i}@contoso.com"),
            Credentials::Password(format!("pw{i}").into()),
        );
        c.trust = Some(trust.clone());
        c.overrides = emulator.overrides();
        c.timeout = limit;
        let failures = failures.clone();
        tasks.spawn(async move {
            let outcome = match signin(c).await {
                Ok(r) => r.unregister().await,
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                failures.fetch_add(1, Ordering::Relaxed);
                eprintln!("user{i}: {e}");
            }
        });
    }
    let all = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limit, all).await.is_err() {
        return Err(format!("not finished within {limit:?}"));
    }
    let wall = started.elapsed();
    let cpu = cpu_time("/proc/self/stat")
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let failed = failures.load(Ordering::Relaxed);
    let rsa = tokio::task::spawn_blocking(rsa_cost_per_signin)
        .await
        .map_err(|e| e.to_string())??;
    println!(
        "{clients} sign-ins ({failed} failed) in {:.2} s on {threads} threads: {:.1} sign-ins/s",
        wall.as_secs_f64(),
        (clients - failed) as f64 / wall.as_secs_f64()
    );
    match (rsa, cpu) {
        (Some(rsa), Some(cpu)) if !cpu.is_zero() => println!(
            "CPU {:.1} s ({:.0} ms per sign-in); RSA {:.0} ms per sign-in (measured alone) = {:.0}% of it",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1000.0 / clients as f64,
            rsa.as_secs_f64() * 1000.0,
            rsa.as_secs_f64() * clients as f64 / cpu.as_secs_f64() * 100.0
        ),
        _ => println!("RSA share not measured: no /proc CPU times on this system"),
    }
    Ok(failed)
}

/// CPU time (user + system) from a `/proc/.../stat` file, in USER_HZ ticks of 10 ms.
fn cpu_time(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The RSA work of one sign-in: mean CPU time of 20 runs on this thread.
fn rsa_cost_per_signin() -> Result<Option<Duration>, String> {
    let err = |e: rsa::Error| e.to_string();
    let ca = RsaPrivateKey::new(&mut OsRng, 2048).map_err(err)?;
    let server = RsaPrivateKey::new(&mut OsRng, 2048).map_err(err)?;
    const RUNS: u32 = 20;
    let Some(before) = cpu_time("/proc/thread-self/stat") else {
        return Ok(None);
    };
    for _ in 0..RUNS {
        let client = RsaPrivateKey::new(&mut OsRng, 2048).map_err(err)?;
        let csr_sig = SigningKey::<Sha256>::new(client.clone()).sign_with_rng(&mut OsRng, b"csr");
        let cert_sig = SigningKey::<Sha256>::new(ca.clone()).sign_with_rng(&mut OsRng, b"tbs");
        let pms = server
            .to_public_key()
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, &[7u8; 48])
            .map_err(err)?;
        server.decrypt(Pkcs1v15Encrypt, &pms).map_err(err)?;
        let cv = SigningKey::<Sha256>::new(client.clone()).sign_with_rng(&mut OsRng, b"handshake");
        VerifyingKey::<Sha256>::new(client.to_public_key())
            .verify(b"handshake", &cv)
            .map_err(|e| e.to_string())?;
        VerifyingKey::<Sha256>::new(ca.to_public_key())
            .verify(b"tbs", &cert_sig)
            .map_err(|e| e.to_string())?;
        VerifyingKey::<Sha256>::new(client.to_public_key())
            .verify(b"csr", &csr_sig)
            .map_err(|e| e.to_string())?;
    }
    let after = cpu_time("/proc/thread-self/stat").unwrap_or(before);
    Ok(Some(after.saturating_sub(before) / RUNS))
}
