//! `sipdsk emulate`: the loopback Skype for Business server ([`crate::emulator`]) as a
//! process, logging one line per event to stdout.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::emulator::{Emulator, EmulatorConfig, LogSink, User};
use crate::tlsconf;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The SIP domain served.
    #[arg(long, default_value = "contoso.com")]
    domain: String,
    /// A user, `alice@contoso.com:PASSWORD`. Repeatable.
    #[arg(long = "user", value_name = "ADDRESS:PASSWORD")]
    users: Vec<User>,
    /// A file of users, one `ADDRESS:PASSWORD` per line (`#` starts a comment).
    #[arg(long)]
    users_file: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// SIP port (0 picks a free one; the chosen addresses are printed).
    #[arg(long, default_value_t = 5061)]
    sip_port: u16,
    /// HTTPS port of the web services (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    https_port: u16,
    /// Also serve autodiscover on this port (443 for clients that look up
    /// `lyncdiscover.<domain>` by name).
    #[arg(long)]
    autodiscover_port: Option<u16>,
    /// Host name for the URLs the web services hand out (default: the bind address).
    #[arg(long)]
    web_host: Option<String>,
    /// Keep the CA here (`ca.pem`, written before listening, and `ca.key`); reused when
    /// present.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Use this server certificate (PEM) instead of one from the emulator's CA; it must be
    /// RSA, for TLS-DSK's static RSA key exchange.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The key of `--tls-cert` (PKCS#8 PEM, RSA).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Also accept TLS-DSK client certificates issued by this CA (PEM). Repeatable.
    #[arg(long)]
    client_ca: Vec<PathBuf>,
    /// Plain TCP instead of TLS for SIP (for tests and sipp).
    #[arg(long)]
    tcp: bool,
    /// Approve every device code at once for this user.
    #[arg(long)]
    auto_approve: Option<String>,
    /// Longest registration granted, seconds.
    #[arg(long, default_value_t = 3600)]
    max_expires: u32,
    /// Stop after this many seconds (0 = until killed).
    #[arg(long, default_value_t = 0)]
    duration: u64,
}

fn read_users(path: &PathBuf) -> Result<Vec<User>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.parse())
        .collect()
}

fn config(args: &Args) -> Result<EmulatorConfig, String> {
    let mut c = EmulatorConfig::new(&args.domain);
    c.bind = args.bind;
    c.sip_port = args.sip_port;
    c.https_port = args.https_port;
    c.autodiscover_port = args.autodiscover_port;
    c.web_host = args.web_host.clone();
    c.users = args.users.clone();
    if let Some(f) = &args.users_file {
        c.users.extend(read_users(f)?);
    }
    c.state_dir = args.state_dir.clone();
    c.sip_tcp = args.tcp;
    c.auto_approve = args.auto_approve.clone();
    c.max_expires = args.max_expires;
    for ca in &args.client_ca {
        c.client_cas
            .extend(tlsconf::certs(ca)?.into_iter().map(|d| d.to_vec()));
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let chain = tlsconf::certs(cert)?
            .into_iter()
            .map(|d| d.to_vec())
            .collect();
        let pem = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
        let der = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
            .and_then(|k| k.to_pkcs8_der())
            .map_err(|e| format!("{}: not an RSA PKCS#8 key: {e}", key.display()))?;
        c.server_identity = Some((chain, der.as_bytes().to_vec()));
    }
    c.log = Some(LogSink(Arc::new(|line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    })));
    Ok(c)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sipdsk emulate: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match super::runtime("emulate", 0) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let duration = args.duration;
    let ca_hint = match &args.state_dir {
        Some(d) => format!("trust {}", d.join(crate::emulator::CA_CERT_FILE).display()),
        None => "pass --state-dir to get the CA certificate clients must trust".into(),
    };
    rt.block_on(async move {
        let emulator = match Emulator::start(config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("sipdsk emulate: {e}");
                return ExitCode::from(2);
            }
        };
        let n = emulator.names();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "names: {} {} {} {} {} -> this host; {ca_hint}",
            n.sip, n.web, n.autodiscover, n.autodiscover_internal, n.login,
        )
        .and_then(|()| out.flush());
        drop(out);
        if duration == 0 {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = tokio::time::sleep(Duration::from_secs(duration)) => {}
            }
        }
        emulator.shutdown();
        ExitCode::SUCCESS
    })
}
