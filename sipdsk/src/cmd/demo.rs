//! `sipdsk demo`: the emulator in-process on ephemeral loopback ports, one user signed in
//! with a password and one with a device code (approved by the demo itself), each staying
//! through one re-REGISTER and then unregistering.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{Credentials, Event, SigninConfig, signin};
use crate::emulator::{Emulator, EmulatorConfig, LogSink};
use crate::net::Trust;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Also print the emulator's log lines.
    #[arg(long)]
    server_log: bool,
    /// Print events as JSON lines.
    #[arg(long)]
    json: bool,
}

const DOMAIN: &str = "contoso.com";
/// Short registrations, so the demo shows a re-REGISTER within seconds.
const EXPIRES: u32 = 4;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let rt = match super::runtime("demo", 2) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sipdsk demo: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let mut config = EmulatorConfig::new(DOMAIN)
        .user("alice@contoso.com", "correct horse battery staple")
        .user("bob@contoso.com", "phone-pin-2468");
    config.max_expires = EXPIRES;
    config.device_code_interval = 1;
    if args.server_log {
        config.log = Some(LogSink(Arc::new(|l: &str| {
            say(&format!("            server | {l}"))
        })));
    }
    say("== starting the emulator (new CA, server certificate, loopback ports)");
    let emulator = Arc::new(Emulator::start(config).await?);
    say(&format!(
        "   SIP/TLS {}  HTTPS {}  ({:.2} s)",
        emulator.sip_addr(),
        emulator.https_addr(),
        started.elapsed().as_secs_f64()
    ));
    let trust = Trust::from_ca_pem(emulator.ca_pem())?;

    for (user, credentials) in [
        (
            "alice@contoso.com",
            Credentials::Password("correct horse battery staple".into()),
        ),
        ("bob@contoso.com", Credentials::DeviceCode),
    ] {
        let how = match credentials {
            Credentials::Password(_) => "password (OrgID)",
            _ => "device code (OAuth 2.0, as desk phones do)",
        };
        say(&format!("\n== {user}: sign-in with a {how}"));
        let mut c = SigninConfig::new(user, credentials);
        c.trust = Some(trust.clone());
        c.overrides = emulator.overrides();
        c.expires = 3600;
        let printer = super::signin::printer(args.json);
        let approver = emulator.clone();
        let approving_user = user.to_string();
        c.events = Some(Arc::new(move |e: &Event| {
            printer(e);
            if let Event::DeviceCode { user_code, .. } = e {
                // The demo plays the user who opens the page and approves the code.
                match approver.approve_device_code(user_code, &approving_user) {
                    Ok(()) => say(&format!(
                        "            (demo: approved {user_code} for {approving_user} as the user would on the page)"
                    )),
                    Err(err) => say(&format!("            (demo: could not approve: {err})")),
                }
            }
        }));
        let t = Instant::now();
        let registration = signin(c).await.map_err(|e| e.to_string())?;
        say(&format!(
            "   signed in in {:.2} s; staying through one re-REGISTER (the emulator grants {} s)",
            t.elapsed().as_secs_f64(),
            registration.expires()
        ));
        let bindings = emulator.bindings();
        say(&format!(
            "   registrar bindings: {}",
            bindings
                .iter()
                .map(|b| b.aor.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let stay = Duration::from_millis(u64::from(registration.expires()) * 1000 * 4 / 5 + 1500);
        registration
            .stay_until(tokio::time::sleep(stay))
            .await
            .map_err(|e| e.to_string())?;
    }
    say(&format!(
        "\n== done in {:.2} s: two users signed in, refreshed and unregistered; registrar bindings left: {}",
        started.elapsed().as_secs_f64(),
        emulator.bindings().len()
    ));
    Ok(())
}
