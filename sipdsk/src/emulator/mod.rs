//! A loopback Skype for Business server: everything a client needs to sign in, built on
//! the server sides of the workspace's crates.
//!
//! | listener | serves |
//! |---|---|
//! | HTTPS (`https_port`, host `webpool.<domain>`) | autodiscover, web-ticket service (MEX, WinNegotiate with Basic, WsFedBearer, OAuth), OrgID realm + `RST2.srf` (as `login.microsoftonline.com`), device code (`/common/oauth2/devicecode`, `/common/oauth2/token`, `/devicelogin`), certificate provisioning (MEX + `WebTicket_Proof_SHA1`) |
//! | autodiscover (`autodiscover_port`, optional) | the same HTTPS service, for `lyncdiscover[internal].<domain>` on a fixed port (443 for SIPE) |
//! | SIP (`sip_port`, host `sip.<domain>`) | a registrar over TLS (or TCP) running the TLS-DSK server role: verifies every signed request, signs its responses, keeps bindings with expiry |
//!
//! One CA (made at start, or kept in `state_dir`) signs the server certificate (names:
//! `sip.`, `webpool.`, `lyncdiscover.`, `lyncdiscoverinternal.<domain>`,
//! `login.microsoftonline.com`, `localhost`, `127.0.0.1`) and every user certificate.
//! Clients reach the names through overrides ([`Emulator::overrides`]) or a hosts file;
//! the URLs the web services hand out use the bind address unless
//! [`EmulatorConfig::web_host`] names a host.
//!
//! Not a real server: users come from the configuration, tickets and tokens live in
//! memory, nothing is federated, and the assertion it issues is not XML-signed (it is only
//! accepted back byte for byte).

mod pki;
pub(crate) mod registrar;
mod sip;
mod web;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};

use rand_core::OsRng;
use sip_core::Method;
use tls_dsk::{CaVerifier, ServerAuth, ServerAuthConfig, ServerConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use pki::CA_CERT_FILE;
pub use registrar::Binding;
pub use web::PendingCode;

use crate::net::Override;
use crate::tlsconf;
use registrar::Registrar;

/// One user account.
#[derive(Clone)]
pub struct User {
    /// The SIP address without scheme, `alice@contoso.com`.
    pub address: String,
    /// The password (OrgID, Basic, device-code approval page).
    pub password: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for User {
    type Err = String;

    /// `alice@contoso.com:PASSWORD`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (address, password) = s
            .split_once(':')
            .ok_or_else(|| format!("user {s:?}: expected ADDRESS:PASSWORD"))?;
        let address = address.trim_start_matches("sip:");
        if !address.contains('@') || password.is_empty() {
            return Err(format!("user {s:?}: expected user@domain:PASSWORD"));
        }
        Ok(Self {
            address: address.to_ascii_lowercase(),
            password: password.into(),
        })
    }
}

/// Faults to inject, switchable while the emulator runs (tests).
#[derive(Debug, Default)]
pub struct Faults {
    /// The web-ticket service answers every IssueToken with a SOAP fault.
    pub web_ticket_fault: AtomicBool,
    /// Certificate provisioning answers with `ErrorInfo` instead of a certificate.
    pub certprov_error: AtomicBool,
    /// The registrar judges client certificates as if nine hours had passed: every
    /// certificate it issued has expired.
    pub expired_certificates: AtomicBool,
    /// The registrar changes one digit of `rspauth` in every signed response, and in the
    /// requests it sends to clients ([`Emulator::send_to_client`]).
    pub tamper_response_signature: AtomicBool,
    /// The registrar drops this many connections right after their ClientHello.
    pub drop_on_client_hello: AtomicU32,
}

/// Emulator settings. [`EmulatorConfig::new`] gives loopback, ephemeral ports.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The SIP domain.
    pub domain: String,
    /// Where every listener binds.
    pub bind: IpAddr,
    /// SIP port (0: any free port).
    pub sip_port: u16,
    /// HTTPS port of the web services (0: any free port).
    pub https_port: u16,
    /// An extra HTTPS port for autodiscover only (e.g. 443).
    pub autodiscover_port: Option<u16>,
    /// The host name in the URLs the services hand out (web-ticket service, `sts-uri`,
    /// certificate provisioning). `None`: the bind address, which needs no name
    /// resolution on the client (a loopback emulator has no DNS).
    pub web_host: Option<String>,
    /// The accounts.
    pub users: Vec<User>,
    /// Where the CA is kept (`ca.pem`, `ca.key`); `None`: a fresh CA in memory.
    pub state_dir: Option<PathBuf>,
    /// Extra CAs (DER) whose certificates the registrar accepts for TLS-DSK.
    pub client_cas: Vec<Vec<u8>>,
    /// Use this server certificate chain and PKCS#8 RSA key instead of issuing one.
    pub server_identity: Option<(Vec<Vec<u8>>, Vec<u8>)>,
    /// Plain TCP instead of TLS for SIP.
    pub sip_tcp: bool,
    /// Web-ticket lifetime, seconds.
    pub ticket_lifetime: i64,
    /// User-certificate lifetime, seconds.
    pub cert_lifetime: i64,
    /// Longest registration granted, seconds.
    pub max_expires: u32,
    /// Device-code polling interval, seconds.
    pub device_code_interval: i64,
    /// Device-code lifetime, seconds.
    pub device_code_expires: i64,
    /// Approve every device code as soon as it is issued, for this user.
    pub auto_approve: Option<String>,
    /// Faults to inject.
    pub faults: Arc<Faults>,
    /// Where log lines go (`None`: `tracing` at debug level).
    pub log: Option<LogSink>,
}

/// Where the emulator's log lines go.
#[derive(Clone)]
pub struct LogSink(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

impl EmulatorConfig {
    /// Loopback, ephemeral ports, no users yet, a fresh CA, 8 h tickets and certificates,
    /// registrations up to an hour, device codes every 5 s for 15 min.
    pub fn new(domain: &str) -> Self {
        Self {
            domain: domain.to_ascii_lowercase(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            sip_port: 0,
            https_port: 0,
            autodiscover_port: None,
            web_host: None,
            users: Vec::new(),
            state_dir: None,
            client_cas: Vec::new(),
            server_identity: None,
            sip_tcp: false,
            ticket_lifetime: 8 * 3600,
            cert_lifetime: 8 * 3600,
            max_expires: 3600,
            device_code_interval: 5,
            device_code_expires: 900,
            auto_approve: None,
            faults: Arc::default(),
            log: None,
        }
    }

    /// Adds a user.
    pub fn user(mut self, address: &str, password: &str) -> Self {
        self.users.push(User {
            address: address.to_ascii_lowercase(),
            password: password.into(),
        });
        self
    }
}

/// The host names the emulator answers for.
#[derive(Clone, Debug)]
pub struct Names {
    /// The SIP pool, `sip.<domain>`.
    pub sip: String,
    /// The web services, `webpool.<domain>`.
    pub web: String,
    /// `lyncdiscover.<domain>`.
    pub autodiscover: String,
    /// `lyncdiscoverinternal.<domain>`.
    pub autodiscover_internal: String,
    /// The OrgID and device-code authority, `login.microsoftonline.com`.
    pub login: String,
}

impl Names {
    fn new(domain: &str) -> Self {
        Self {
            sip: format!("sip.{domain}"),
            web: format!("webpool.{domain}"),
            autodiscover: format!("lyncdiscover.{domain}"),
            autodiscover_internal: format!("lyncdiscoverinternal.{domain}"),
            login: "login.microsoftonline.com".into(),
        }
    }

    fn all(&self) -> Vec<String> {
        vec![
            self.sip.clone(),
            self.web.clone(),
            self.autodiscover.clone(),
            self.autodiscover_internal.clone(),
            self.login.clone(),
            "localhost".into(),
            "127.0.0.1".into(),
            "::1".into(),
        ]
    }
}

/// State shared by the listeners.
pub(crate) struct Shared {
    pub(crate) registrar: Mutex<Registrar>,
    /// The connection of each registered address of record, for requests to clients; an
    /// entry goes when its address unregisters or its connection closes.
    pub(crate) clients: Mutex<HashMap<String, tokio::sync::mpsc::UnboundedSender<sip::Outgoing>>>,
    pub(crate) web: Mutex<web::WebState>,
    pub(crate) faults: Arc<Faults>,
    log: Option<LogSink>,
}

impl Shared {
    pub(crate) fn log(&self, line: std::fmt::Arguments<'_>) {
        match &self.log {
            Some(sink) => (sink.0)(&line.to_string()),
            None => tracing::debug!("{line}"),
        }
    }
}

pub(crate) fn unix_now() -> tls_dsk::UnixTime {
    tls_dsk::UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

pub(crate) fn web_now() -> webticket::UnixTime {
    webticket::UnixTime(unix_now().0 as i64)
}

/// A running emulator. Dropping it stops every listener.
pub struct Emulator {
    shared: Arc<Shared>,
    names: Names,
    ca_pem: String,
    sip_addr: SocketAddr,
    https_addr: SocketAddr,
    autodiscover_addr: Option<SocketAddr>,
    sip_tcp: bool,
    sip_acceptor: Option<tokio_rustls::TlsAcceptor>,
    sip_stop: Mutex<CancellationToken>,
    stop: CancellationToken,
    auth_config: ServerAuthConfig,
    max_expires: u32,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("sip_addr", &self.sip_addr)
            .field("https_addr", &self.https_addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.cancel();
        self.sip_stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cancel();
    }
}

async fn bind(ip: IpAddr, port: u16, what: &str) -> Result<TcpListener, String> {
    TcpListener::bind((ip, port))
        .await
        .map_err(|e| format!("cannot listen on {ip}:{port} for {what}: {e}"))
}

impl Emulator {
    /// Makes the certificates, binds every listener and starts serving on the current
    /// tokio runtime. When `state_dir` is set, `ca.pem` is written before any listener
    /// accepts.
    ///
    /// # Errors
    ///
    /// A port in use, unreadable or unwritable state, bad extra CA certificates.
    pub async fn start(config: EmulatorConfig) -> Result<Self, String> {
        let names = Names::new(&config.domain);
        let (state_dir, all_names) = (config.state_dir.clone(), names.all());
        let pki = tokio::task::spawn_blocking(move || {
            pki::Pki::load_or_create(state_dir.as_deref(), &all_names, web_now(), &mut OsRng)
        })
        .await
        .map_err(|e| format!("certificate setup: {e}"))??;
        let (chain, key_pkcs8, tls_key) = match &config.server_identity {
            Some((chain, key)) => {
                use rsa::pkcs8::DecodePrivateKey;
                let rsa = rsa::RsaPrivateKey::from_pkcs8_der(key)
                    .map_err(|e| format!("server key: not an RSA PKCS#8 key: {e}"))?;
                (chain.clone(), key.clone(), rsa)
            }
            None => (
                pki.server_chain.clone(),
                pki.server_key_pkcs8.clone(),
                pki.server_key.clone(),
            ),
        };
        let acceptor = tlsconf::acceptor_from_der(&chain, &key_pkcs8)?;
        let mut roots = vec![pki.ca.cert_der().to_vec()];
        roots.extend(config.client_cas.iter().cloned());
        let verifier = CaVerifier::new(&roots).map_err(|e| format!("client CAs: {e}"))?;

        let sip_listener = bind(config.bind, config.sip_port, "SIP").await?;
        let https_listener = bind(config.bind, config.https_port, "HTTPS").await?;
        let ad_listener = match config.autodiscover_port {
            Some(p) => Some(bind(config.bind, p, "autodiscover").await?),
            None => None,
        };
        let sip_addr = sip_listener.local_addr().map_err(|e| e.to_string())?;
        let https_addr = https_listener.local_addr().map_err(|e| e.to_string())?;
        let autodiscover_addr = match &ad_listener {
            Some(l) => Some(l.local_addr().map_err(|e| e.to_string())?),
            None => None,
        };

        let web_host = match &config.web_host {
            Some(h) => h.clone(),
            None if https_addr.is_ipv6() => format!("[{}]", https_addr.ip()),
            None => https_addr.ip().to_string(),
        };
        let web_base = format!("https://{web_host}:{}", https_addr.port());
        let sts_uri = format!("{web_base}{}", web::CERTPROV_PATH);
        let tls = ServerConfig::new(chain.clone(), tls_key, Arc::new(verifier));
        let auth_config = ServerAuthConfig::new(tls, &names.sip, Some(&sts_uri));
        let mut registrar = Registrar::new(ServerAuth::new(auth_config.clone()), &names.sip);
        registrar.set_max_expires(config.max_expires);
        let web = web::WebState::new(&config, &names, &web_base, sip_addr.port(), pki.ca)?;
        let shared = Arc::new(Shared {
            registrar: Mutex::new(registrar),
            clients: Mutex::new(HashMap::new()),
            web: Mutex::new(web),
            faults: config.faults.clone(),
            log: config.log.clone(),
        });

        let stop = CancellationToken::new();
        let handler = web::handler(shared.clone());
        for listener in std::iter::once(https_listener).chain(ad_listener) {
            let (handler, acceptor, stop) = (handler.clone(), acceptor.clone(), stop.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = crate::http::serve(listener, Some(acceptor), handler) => {}
                }
            });
        }
        let sip_acceptor = (!config.sip_tcp).then(|| acceptor.clone());
        let sip_stop = stop.child_token();
        tokio::spawn(sip::serve(
            sip_listener,
            sip_acceptor.clone(),
            shared.clone(),
            sip_stop.clone(),
        ));
        shared.log(format_args!(
            "listening: sip {sip_addr} ({}), https {https_addr}{}",
            if config.sip_tcp { "tcp" } else { "tls" },
            autodiscover_addr.map_or(String::new(), |a| format!(", autodiscover {a}"))
        ));
        Ok(Self {
            shared,
            ca_pem: chain_ca_pem(&config, &chain).unwrap_or_else(|| pki_ca_pem(&roots)),
            names,
            sip_addr,
            https_addr,
            autodiscover_addr,
            sip_tcp: config.sip_tcp,
            sip_acceptor,
            sip_stop: Mutex::new(sip_stop),
            stop,
            auth_config,
            max_expires: config.max_expires,
        })
    }

    /// The CA certificate clients must trust (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The SIP listener.
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    /// The HTTPS listener of the web services.
    pub fn https_addr(&self) -> SocketAddr {
        self.https_addr
    }

    /// The extra autodiscover listener, if any.
    pub fn autodiscover_addr(&self) -> Option<SocketAddr> {
        self.autodiscover_addr
    }

    /// The names served.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The faults switchboard.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Name overrides that send a client's autodiscover (port 443), web, login and SIP
    /// requests here.
    pub fn overrides(&self) -> Vec<Override> {
        let ad = self.autodiscover_addr.unwrap_or(self.https_addr);
        let to = |host: &str, port: Option<u16>, addr: SocketAddr| Override {
            host: host.into(),
            port,
            addr,
        };
        let ip = SocketAddr::new(self.https_addr.ip(), 0);
        vec![
            to(&self.names.autodiscover, Some(443), ad),
            to(&self.names.autodiscover_internal, Some(443), ad),
            to(
                &self.names.autodiscover,
                Some(80),
                SocketAddr::new(ad.ip(), 9),
            ),
            to(
                &self.names.autodiscover_internal,
                Some(80),
                SocketAddr::new(ad.ip(), 9),
            ),
            to(&self.names.login, Some(443), self.https_addr),
            to(&self.names.web, None, ip),
            to(
                &self.names.sip,
                None,
                SocketAddr::new(self.sip_addr.ip(), 0),
            ),
        ]
    }

    /// Device codes waiting for approval.
    pub fn pending_device_codes(&self) -> Vec<PendingCode> {
        self.shared
            .web
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending_codes(web_now())
    }

    /// Approves a device code for `user` (what the user would do on the verification
    /// page).
    ///
    /// # Errors
    ///
    /// Unknown or expired code, unknown user.
    pub fn approve_device_code(&self, user_code: &str, user: &str) -> Result<(), String> {
        self.shared
            .web
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .approve(user_code, user, web_now())
    }

    /// Declines a device code.
    ///
    /// # Errors
    ///
    /// Unknown code.
    pub fn decline_device_code(&self, user_code: &str) -> Result<(), String> {
        self.shared
            .web
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .decline(user_code, web_now())
    }

    /// The registrar's live bindings.
    pub fn bindings(&self) -> Vec<Binding> {
        self.shared
            .registrar
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bindings(unix_now())
    }

    /// The addresses of record [`Emulator::send_to_client`] can reach now: bound (not
    /// lapsed) over a connection that is still open. Sorted.
    pub fn reachable(&self) -> Vec<String> {
        let bound = self.bindings();
        let clients = self
            .shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        bound
            .into_iter()
            .map(|b| b.aor)
            .filter(|aor| clients.contains_key(aor))
            .collect()
    }

    /// Sends a signed request (`OPTIONS`, `NOTIFY`, ...) to the registered client `aor`
    /// (`sip:alice@contoso.com`) over its connection and returns the status code of its
    /// answer once the client's signature on it verified.
    ///
    /// # Errors
    ///
    /// `aor` is not registered or its connection is gone; no final answer within
    /// `timeout` (a client ignores requests whose signature fails, and sends nothing for
    /// BENOTIFY or ACK); the answer's signature did not verify.
    pub async fn send_to_client(
        &self,
        aor: &str,
        method: Method<'_>,
        timeout: std::time::Duration,
    ) -> Result<u16, String> {
        let request = self
            .shared
            .registrar
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .request_to(aor, method, unix_now(), &mut OsRng)
            .ok_or_else(|| format!("{aor} is not registered"))?;
        let outbox = self
            .shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(aor)
            .cloned()
            .ok_or_else(|| format!("no connection for {aor}"))?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        outbox
            .send(sip::Outgoing {
                aor: aor.to_string(),
                request,
                answer,
            })
            .map_err(|_| format!("the connection of {aor} is closed"))?;
        match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(format!("the connection of {aor} closed before it answered")),
            Err(_) => Err(format!("{aor} did not answer within {timeout:?}")),
        }
    }

    /// Restarts the registrar as a crashed server would come back: every SIP connection
    /// is closed, every security association and binding is forgotten, and the listener
    /// is bound again on the same port.
    ///
    /// # Errors
    ///
    /// The port cannot be bound again.
    pub async fn restart_registrar(&self) -> Result<(), String> {
        let new_stop = self.stop.child_token();
        let old = std::mem::replace(
            &mut *self.sip_stop.lock().unwrap_or_else(|p| p.into_inner()),
            new_stop.clone(),
        );
        old.cancel();
        {
            let mut r = Registrar::new(ServerAuth::new(self.auth_config.clone()), &self.names.sip);
            r.set_max_expires(self.max_expires);
            *self
                .shared
                .registrar
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = r;
        }
        let mut listener = None;
        for _ in 0..50 {
            match TcpListener::bind(self.sip_addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        let listener =
            listener.ok_or_else(|| format!("cannot listen on {} again", self.sip_addr))?;
        tokio::spawn(sip::serve(
            listener,
            if self.sip_tcp {
                None
            } else {
                self.sip_acceptor.clone()
            },
            self.shared.clone(),
            new_stop,
        ));
        self.shared.log(format_args!(
            "sip: registrar restarted on {}",
            self.sip_addr
        ));
        Ok(())
    }

    /// Stops every listener.
    pub fn shutdown(self) {
        drop(self);
    }
}

/// With an external server identity, the CA clients trust is the last certificate of the
/// given chain.
fn chain_ca_pem(config: &EmulatorConfig, chain: &[Vec<u8>]) -> Option<String> {
    config.server_identity.as_ref()?;
    chain.last().map(|der| pem("CERTIFICATE", der))
}

fn pki_ca_pem(roots: &[Vec<u8>]) -> String {
    pem("CERTIFICATE", &roots[0])
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
