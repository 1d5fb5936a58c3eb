//! `sipdsk emulate`: a loopback Skype for Business server for tests and demos.
//!
//! Today it runs the SIP registrar only: SIP over TLS (or TCP with `--tcp`), the TLS-DSK
//! server role with client certificates from `--client-ca`, signed responses and
//! registrations with expiry. Autodiscover, the web-ticket service and certificate
//! provisioning join it with their crates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use rand_core::OsRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use sip_core::{Frame, SipCodec};
use tls_dsk::{CaVerifier, ServerAuth, ServerAuthConfig, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::codec::Framed;

use crate::registrar::{Event, Registrar};
use crate::tlsconf;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The SIP domain served.
    #[arg(long, default_value = "contoso.com")]
    domain: String,
    /// Address to listen on (loopback only in tests).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// SIP port (0 picks a free one; the chosen address is printed).
    #[arg(long, default_value_t = 5061)]
    sip_port: u16,
    /// Server certificate (PEM), used for SIP over TLS and as the TLS-DSK server
    /// certificate (must be RSA: TLS-DSK uses static RSA key exchange).
    #[arg(long)]
    tls_cert: PathBuf,
    /// The certificate's private key (PKCS#8 PEM, RSA).
    #[arg(long)]
    tls_key: PathBuf,
    /// Accept TLS-DSK client certificates issued by this CA (PEM).
    #[arg(long)]
    client_ca: PathBuf,
    /// The TLS-DSK targetname (defaults to `sip.<domain>`).
    #[arg(long)]
    targetname: Option<String>,
    /// Plain TCP instead of TLS for SIP (for tests and sipp).
    #[arg(long)]
    tcp: bool,
    /// Stop after this many seconds (0 = until killed).
    #[arg(long, default_value_t = 0)]
    duration: u64,
}

/// Writes one log line; a closed stdout must not take the server down.
fn log(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

/// Like [`log`], on stderr.
fn elog(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line).and_then(|()| err.write_all(b"\n"));
}

fn now() -> tls_dsk::UnixTime {
    tls_dsk::UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

fn registrar(args: &Args) -> Result<Registrar, String> {
    let key_pem = std::fs::read_to_string(&args.tls_key)
        .map_err(|e| format!("{}: {e}", args.tls_key.display()))?;
    let key = RsaPrivateKey::from_pkcs8_pem(&key_pem)
        .map_err(|e| format!("{}: not an RSA PKCS#8 key: {e}", args.tls_key.display()))?;
    let chain = tlsconf::certs(&args.tls_cert)?
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let roots: Vec<Vec<u8>> = tlsconf::certs(&args.client_ca)?
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let verifier = CaVerifier::new(&roots).map_err(|e| e.to_string())?;
    let tls = ServerConfig::new(chain, key, Arc::new(verifier));
    let targetname = args
        .targetname
        .clone()
        .unwrap_or_else(|| format!("sip.{}", args.domain));
    Ok(Registrar::new(ServerAuth::new(ServerAuthConfig::new(
        tls,
        &targetname,
        None,
    ))))
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let registrar = match registrar(args) {
        Ok(r) => Arc::new(Mutex::new(r)),
        Err(e) => {
            eprintln!("sipdsk emulate: {e}");
            return ExitCode::from(2);
        }
    };
    let acceptor = if args.tcp {
        None
    } else {
        match tlsconf::acceptor(&args.tls_cert, &args.tls_key) {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("sipdsk emulate: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sipdsk emulate: cannot start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::new(args.bind, args.sip_port);
    let duration = args.duration;
    rt.block_on(async move {
        let listener = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sipdsk emulate: cannot listen on {addr}: {e}");
                return ExitCode::from(2);
            }
        };
        let local = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        log(format_args!(
            "sip registrar listening on {local} ({})",
            if acceptor.is_some() { "tls" } else { "tcp" }
        ));
        let serve = async {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let registrar = registrar.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => match a.accept(stream).await {
                            Ok(tls) => serve_connection(tls, peer, registrar).await,
                            Err(e) => elog(format_args!(
                                "sipdsk emulate: tls handshake with {peer} failed: {e}"
                            )),
                        },
                        None => serve_connection(stream, peer, registrar).await,
                    }
                });
            }
        };
        if duration == 0 {
            serve.await
        } else {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(duration), serve).await;
            ExitCode::SUCCESS
        }
    })
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    registrar: Arc<Mutex<Registrar>>,
) {
    let mut conn = Framed::new(stream, SipCodec::default());
    while let Some(frame) = conn.next().await {
        let request = match frame {
            Ok(Frame::Message(m)) if m.message().is_request() => m,
            Ok(Frame::Ping) => {
                let _ = conn.send(Frame::Pong).await;
                continue;
            }
            Ok(Frame::Invalid { error, .. }) => {
                elog(format_args!(
                    "sipdsk emulate: invalid request from {peer}: {error}"
                ));
                continue;
            }
            Ok(_) => continue,
            Err(e) => {
                elog(format_args!("sipdsk emulate: closing {peer}: {e}"));
                return;
            }
        };
        let (responses, event) = {
            let mut r = registrar.lock().unwrap_or_else(|p| p.into_inner());
            r.handle(&request, now(), &mut OsRng)
        };
        match &event {
            Event::Challenged { reason: Some(why) } => log(format_args!("{peer}: 401 ({why})")),
            Event::Challenged { reason: None } => log(format_args!("{peer}: 401 challenge")),
            Event::Registered { aor, expires } => {
                log(format_args!("{peer}: registered {aor} for {expires} s"))
            }
            Event::Unregistered { aor } => log(format_args!("{peer}: unregistered {aor}")),
            Event::Served { method, aor } => log(format_args!("{peer}: {method} from {aor}")),
        }
        for r in responses {
            if conn.send(Frame::Message(r)).await.is_err() {
                return;
            }
        }
    }
}
