//! `sipdsk signin`: the whole sign-in, then staying registered until Ctrl-C.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::client::{Credentials, Event, SigninConfig, signin};
use crate::net::Override;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The SIP address, `alice@contoso.com`.
    #[arg(long)]
    user: String,
    /// Read the password from the first line of stdin (OrgID / Basic).
    #[arg(
        long,
        conflicts_with = "device_code",
        required_unless_present = "device_code"
    )]
    password_stdin: bool,
    /// Use the OAuth 2.0 device-code grant: approve the printed code elsewhere.
    #[arg(long)]
    device_code: bool,
    /// CA certificate(s) (PEM) to trust for HTTPS and SIP over TLS.
    #[arg(long)]
    ca: PathBuf,
    /// Send connections for HOST:PORT to ADDR (`HOST:PORT:ADDR`, ADDR may carry a port;
    /// PORT may be `*`). Repeatable.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    resolve: Vec<Override>,
    /// The OrgID / OAuth authority.
    #[arg(long, default_value = webticket::orgid::LOGIN_BASE)]
    login_url: String,
    /// Seconds each HTTP request or SIP response may take.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
    /// Seconds to wait for a device code to be approved.
    #[arg(long, default_value_t = 300)]
    device_code_timeout: u64,
    /// Registration time to ask for, seconds.
    #[arg(long, default_value_t = 3600)]
    expires: u32,
    /// Stay registered this many seconds, then unregister (0: until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    stay: u64,
    /// Print events as JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn printer(json: bool) -> Arc<dyn Fn(&Event) + Send + Sync> {
    Arc::new(move |e: &Event| {
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", e.to_json())
        } else {
            match e {
                Event::Progress {
                    step,
                    detail,
                    elapsed,
                } => writeln!(
                    out,
                    "[{:>7.3}s] {:<13} {detail}",
                    elapsed.as_secs_f64(),
                    step.name()
                ),
                Event::DeviceCode {
                    verification_uri,
                    user_code,
                    message,
                } => writeln!(
                    out,
                    "\n  >> {}\n  >> go to {verification_uri} and enter {user_code}\n",
                    message.as_deref().unwrap_or("approve this device")
                ),
                Event::SignedIn {
                    aor,
                    expires,
                    elapsed,
                } => writeln!(
                    out,
                    "[{:>7.3}s] signed in as {aor}, registered for {expires} s",
                    elapsed.as_secs_f64()
                ),
            }
        };
        let _ = out.flush();
    })
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let credentials = if args.device_code {
        Credentials::DeviceCode
    } else {
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() || line.trim().is_empty() {
            eprintln!("sipdsk signin: --password-stdin: no password on stdin");
            return ExitCode::from(2);
        }
        Credentials::Password(line.trim_end_matches(['\r', '\n']).into())
    };
    let mut config = SigninConfig::new(&args.user, credentials);
    config.ca_file = Some(args.ca.clone());
    config.overrides = args.resolve.clone();
    config.login_base = args.login_url.clone();
    config.timeout = Duration::from_secs(args.timeout.max(1));
    config.device_code_timeout = Duration::from_secs(args.device_code_timeout);
    config.expires = args.expires;
    config.events = Some(printer(args.json));
    let rt = match super::runtime("signin", 2) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let stay = args.stay;
    let json = args.json;
    let result = rt.block_on(async move {
        let registration = signin(config).await?;
        let stop = async move {
            if stay == 0 {
                let _ = tokio::signal::ctrl_c().await;
            } else {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    () = tokio::time::sleep(Duration::from_secs(stay)) => {}
                }
            }
        };
        registration.stay_until(stop).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"event": "error", "step": e.step.name(), "message": e.message, "server_said": e.server_said, "hint": e.hint})
                );
            }
            eprintln!("sipdsk signin: {e}");
            ExitCode::from(1)
        }
    }
}
