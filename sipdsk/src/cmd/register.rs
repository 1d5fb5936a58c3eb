//! `sipdsk register`: only the TLS-DSK REGISTER exchange, with a certificate and key the
//! caller already holds. For testing registrars and independent TLS-DSK peers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand_core::OsRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use sip_core::{Frame, KnownHeader as H, MessageBuilder, Method, SipCodec, SipMessage};
use tls_dsk::{Challenge, ClientConfig, ClientSa, ClientStep};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use crate::tlsconf;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The registrar, HOST:PORT.
    #[arg(long)]
    registrar: SocketAddr,
    /// Plain TCP.
    #[arg(long, conflicts_with = "tls")]
    tcp: bool,
    /// SIP over TLS (the default), trusting the CA in `--ca`.
    #[arg(long)]
    tls: bool,
    /// CA certificate (PEM) that issued the registrar's TLS certificate.
    #[arg(long, required_unless_present = "tcp")]
    ca: Option<PathBuf>,
    /// Name to check in the registrar's certificate (defaults to the SIP domain's
    /// `sip.` host).
    #[arg(long)]
    server_name: Option<String>,
    /// The user, `sip:alice@contoso.com`.
    #[arg(long)]
    user: String,
    /// The TLS-DSK client certificate (PEM), from certificate provisioning.
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PKCS#8 PEM, RSA).
    #[arg(long)]
    key: PathBuf,
    /// Stay registered this many seconds, sending one signed re-REGISTER, then
    /// unregister.
    #[arg(long, default_value_t = 0)]
    stay: u64,
    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

struct Session<S> {
    conn: Framed<S, SipCodec>,
    sa: ClientSa,
    user: String,
    local: SocketAddr,
    transport: &'static str,
    call_id: String,
    cseq: u32,
    timeout: Duration,
}

fn step(arrow: &str, text: &str) {
    println!("{arrow} {text}");
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    fn register(&mut self, expires: u32) -> Result<SipMessage, String> {
        self.cseq += 1;
        let uri = match self.user.split_once('@') {
            Some((_, domain)) => format!("sip:{domain}"),
            None => return Err(format!("--user {} is not sip:user@domain", self.user)),
        };
        MessageBuilder::request(Method::Register, &uri)
            .header(
                H::Via,
                format!(
                    "SIP/2.0/{} {};branch=z9hG4bK{:08x}{}",
                    self.transport,
                    self.local,
                    rand_core::RngCore::next_u32(&mut OsRng),
                    self.cseq
                ),
            )
            .header(H::MaxForwards, "70")
            .header(
                H::From,
                format!(
                    "<{}>;tag={};epid=5dc1a9ab5f",
                    self.user,
                    &self.call_id[..10]
                ),
            )
            .header(H::To, format!("<{}>", self.user))
            .header(H::CallId, &self.call_id)
            .header(H::CSeq, format!("{} REGISTER", self.cseq))
            .header(
                H::Contact,
                format!(
                    "<sip:{};transport={}>;+sip.instance=\"<urn:uuid:{}>\"",
                    self.local,
                    self.transport.to_ascii_lowercase(),
                    self.call_id
                ),
            )
            .header(H::Expires, expires.to_string())
            .header(H::UserAgent, concat!("sipdsk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())
    }

    async fn exchange(&mut self, req: SipMessage) -> Result<SipMessage, String> {
        let cseq = req.message().cseq().map_err(|e| e.to_string())?.seq;
        self.conn
            .send(Frame::Message(req))
            .await
            .map_err(|e| format!("send failed: {e}"))?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.conn.next())
                .await
                .map_err(|_| format!("no response within {:?}", self.timeout))?;
            match frame {
                Some(Ok(Frame::Message(m)))
                    if m.message().is_response()
                        && m.message()
                            .cseq()
                            .is_ok_and(|c| c.seq == cseq && c.method == Method::Register) =>
                {
                    if m.message().status().is_some_and(|s| s >= 200) {
                        return Ok(m);
                    }
                }
                Some(Ok(Frame::Ping)) => self
                    .conn
                    .send(Frame::Pong)
                    .await
                    .map_err(|e| e.to_string())?,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("connection failed: {e}")),
                None => return Err("registrar closed the connection".into()),
            }
        }
    }

    /// One signed REGISTER (after the handshake) and its verified answer.
    async fn signed_register(&mut self, expires: u32) -> Result<SipMessage, String> {
        let unsigned = self.register(expires)?;
        let creds = self
            .sa
            .sign(&unsigned.message(), &mut OsRng)
            .map_err(|e| e.to_string())?;
        let signed = MessageBuilder::from_message(&unsigned.message())
            .header(H::Authorization, creds.to_value())
            .build()
            .map_err(|e| e.to_string())?;
        step(
            "->",
            &format!(
                "REGISTER signed (cnum {}, Expires {expires})",
                creds.cnum.unwrap_or_default()
            ),
        );
        let resp = self.exchange(signed).await?;
        let m = resp.message();
        if m.status() != Some(200) {
            return Err(format!(
                "registrar answered {} {}",
                m.status().unwrap_or(0),
                m.reason_str().unwrap_or_default()
            ));
        }
        self.sa
            .verify(&m)
            .map_err(|e| format!("200 OK rejected: {e}"))?;
        step("<-", "200 OK, server signature verified");
        Ok(resp)
    }

    async fn sign_in(&mut self) -> Result<(), String> {
        let mut request = self.register(3600)?;
        step("->", "REGISTER without credentials");
        for _ in 0..4 {
            let resp = self.exchange(request).await?;
            let m = resp.message();
            if m.status() != Some(401) {
                return Err(format!(
                    "expected 401, registrar answered {} {}",
                    m.status().unwrap_or(0),
                    m.reason_str().unwrap_or_default()
                ));
            }
            let challenge = Challenge::find(&m)
                .map_err(|e| e.to_string())?
                .ok_or("401 without a TLS-DSK challenge")?;
            step(
                "<-",
                &format!(
                    "401 TLS-DSK{}",
                    if challenge.gssapi_data.is_some() {
                        " with server flight"
                    } else {
                        " challenge"
                    }
                ),
            );
            match self
                .sa
                .handle_challenge(&challenge, &mut OsRng)
                .map_err(|e| e.to_string())?
            {
                ClientStep::Authorize(creds) => {
                    request = MessageBuilder::from_message(&self.register(3600)?.message())
                        .header(H::Authorization, creds.to_value())
                        .build()
                        .map_err(|e| e.to_string())?;
                    step("->", "REGISTER with client flight (gssapi-data)");
                }
                ClientStep::Established => {
                    let (v, s) = self.sa.negotiated().ok_or("no keys")?;
                    step("  ", &format!("TLS-DSK established: {v}, {}", s.name));
                    self.signed_register(3600).await?;
                    return Ok(());
                }
                _ => return Err("unexpected step".into()),
            }
        }
        Err("too many 401 rounds".into())
    }
}

async fn run_session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    local: SocketAddr,
    transport: &'static str,
    args: &Args,
    config: ClientConfig,
) -> Result<(), String> {
    let mut s = Session {
        conn: Framed::new(stream, SipCodec::default()),
        sa: ClientSa::new(config),
        user: args.user.clone(),
        local,
        transport,
        call_id: format!(
            "{:016x}{:016x}",
            rand_core::RngCore::next_u64(&mut OsRng),
            rand_core::RngCore::next_u64(&mut OsRng)
        ),
        cseq: 0,
        timeout: Duration::from_secs(args.timeout),
    };
    s.sign_in().await?;
    if args.stay > 0 {
        tokio::time::sleep(Duration::from_secs(args.stay)).await;
        s.signed_register(3600).await?;
        s.signed_register(0).await?;
        step("  ", "unregistered");
    }
    // Close the connection cleanly (TLS close_notify, then FIN).
    let _ = tokio::io::AsyncWriteExt::shutdown(s.conn.get_mut()).await;
    Ok(())
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let config = match load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sipdsk register: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match super::runtime("register", 1) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(async {
        let tcp = TcpStream::connect(args.registrar)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", args.registrar))?;
        let local = tcp.local_addr().map_err(|e| e.to_string())?;
        if args.tcp {
            return run_session(tcp, local, "TCP", args, config).await;
        }
        let ca = args.ca.as_ref().ok_or("--ca is required for TLS")?;
        let connector = tlsconf::connector(ca)?;
        let domain = args
            .user
            .split_once('@')
            .map(|(_, d)| d)
            .unwrap_or("localhost");
        let name = args
            .server_name
            .clone()
            .unwrap_or_else(|| format!("sip.{domain}"));
        let tls = connector
            .connect(tlsconf::server_name(&name)?, tcp)
            .await
            .map_err(|e| format!("tls to {name} failed: {e}"))?;
        run_session(tls, local, "TLS", args, config).await
    });
    match result {
        Ok(()) => {
            println!("ok: every response verified");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sipdsk register: {e}");
            ExitCode::from(1)
        }
    }
}

fn load(args: &Args) -> Result<ClientConfig, String> {
    let pem =
        std::fs::read_to_string(&args.key).map_err(|e| format!("{}: {e}", args.key.display()))?;
    let key = RsaPrivateKey::from_pkcs8_pem(&pem)
        .map_err(|e| format!("{}: not an RSA PKCS#8 key: {e}", args.key.display()))?;
    let chain = tlsconf::certs(&args.cert)?
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    Ok(ClientConfig::new(chain, key))
}
