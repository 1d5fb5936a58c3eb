//! The SIP half of a sign-in: REGISTER over TLS, the TLS-DSK rounds, and staying
//! registered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand_core::{OsRng, RngCore};
use sip_core::{Frame, KnownHeader as H, MessageBuilder, Method, SipCodec, SipMessage};
use tls_dsk::{Challenge, ClientSa, ClientStep};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_util::codec::Framed;
use webticket::autodiscover::SipPool;

use super::web::{Web, web_now};
use super::{Context, Event, SigninError, Step};

type Conn = Framed<TlsStream<TcpStream>, SipCodec>;

/// One message of the SIP exchange, for tests and `-v` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchanged {
    /// `true` for what the client sent.
    pub sent: bool,
    /// `REGISTER` or the status code.
    pub what: String,
    /// Whether it carried TLS-DSK credentials (`Authorization` or `Authentication-Info`).
    pub authenticated: bool,
}

/// A live registration: the connection, the security association and the certificate.
pub struct Registration {
    ctx: Arc<Context>,
    web: Web,
    pool: SipPool,
    conn: Conn,
    sa: Option<ClientSa>,
    credential: Option<certprov::Credential>,
    local: SocketAddr,
    call_id: String,
    tag: String,
    cseq: u32,
    expires: u32,
    transcript: Vec<Exchanged>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("aor", &self.aor())
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

fn hex_id() -> String {
    format!("{:016x}{:016x}", OsRng.next_u64(), OsRng.next_u64())
}

fn status_line(m: &SipMessage) -> String {
    let msg = m.message();
    format!(
        "{} {}",
        msg.status().unwrap_or(0),
        msg.reason_str().unwrap_or_default()
    )
}

/// Changes one hex digit of `response="…"` (test hook for tampered requests).
fn tamper(value: &str) -> String {
    match value.find("response=\"") {
        Some(i) => {
            let at = i + 10;
            let mut v = value.as_bytes().to_vec();
            if at < v.len() {
                v[at] = if v[at] == b'0' { b'1' } else { b'0' };
            }
            String::from_utf8(v).unwrap_or_else(|_| value.to_string())
        }
        None => value.to_string(),
    }
}

impl Registration {
    /// Connects and signs in, retrying broken connections with doubling backoff.
    pub(crate) async fn establish(
        ctx: Arc<Context>,
        web: Web,
        pool: SipPool,
    ) -> Result<Self, SigninError> {
        let conn_and_local = connect(&ctx, &pool).await;
        let (conn, local) = match conn_and_local {
            Ok(c) => c,
            Err(e) if e.retryable => retry_connect(&ctx, &pool, e).await?,
            Err(e) => return Err(e),
        };
        let mut reg = Self {
            sa: None,
            ctx,
            web,
            pool,
            conn,
            credential: None,
            local,
            call_id: hex_id(),
            tag: hex_id()[..10].to_string(),
            cseq: 0,
            expires: 0,
            transcript: Vec::new(),
        };
        reg.sign_in_with_retries(true).await?;
        Ok(reg)
    }

    /// The address of record, `sip:alice@contoso.com`.
    pub fn aor(&self) -> String {
        format!("sip:{}", self.ctx.config.user)
    }

    /// Seconds granted by the last `200 OK`.
    pub fn expires(&self) -> u32 {
        self.expires
    }

    /// Every SIP message exchanged so far, in order (keep-alives excluded).
    pub fn transcript(&self) -> &[Exchanged] {
        &self.transcript
    }

    /// When the client certificate lapses (Unix seconds), once there is one.
    pub fn certificate_expires(&self) -> Option<i64> {
        self.credential
            .as_ref()
            .map(|c| c.certificate().not_after().0)
    }

    fn is_signed_in(&self) -> bool {
        self.sa.as_ref().is_some_and(ClientSa::is_established)
    }

    fn sa_mut(&mut self, step: Step) -> Result<&mut ClientSa, SigninError> {
        self.sa
            .as_mut()
            .ok_or_else(|| SigninError::new(step, "no TLS-DSK association yet"))
    }

    /// Signs in, on the current connection when `connected`, else on a new one; a broken
    /// connection (or a refused one) is retried with doubling backoff up to the
    /// configured number of attempts.
    async fn sign_in_with_retries(&mut self, mut connected: bool) -> Result<(), SigninError> {
        let attempts = self.ctx.config.attempts.max(1);
        let mut delay = self.ctx.config.backoff;
        for attempt in 1..=attempts {
            let result = if connected {
                self.sign_in().await
            } else {
                match connect(&self.ctx, &self.pool).await {
                    Ok((conn, local)) => {
                        self.conn = conn;
                        self.local = local;
                        self.sign_in().await
                    }
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) if e.retryable && attempt < attempts => {
                    self.ctx.progress(
                        e.step,
                        format!(
                            "{}; attempt {} of {attempts} in {delay:?}",
                            e.message,
                            attempt + 1
                        ),
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    connected = false;
                }
                Err(e) => return Err(e),
            }
        }
        Err(SigninError::new(Step::SipConnect, "no attempt left"))
    }

    fn register(&mut self, expires: u32) -> Result<SipMessage, SigninError> {
        self.cseq += 1;
        let user = self.aor();
        let domain = self.ctx.config.user.split_once('@').map_or("", |(_, d)| d);
        MessageBuilder::request(Method::Register, &format!("sip:{domain}"))
            .header(
                H::Via,
                format!(
                    "SIP/2.0/TLS {};branch=z9hG4bK{:08x}{}",
                    self.local,
                    OsRng.next_u32(),
                    self.cseq
                ),
            )
            .header(H::MaxForwards, "70")
            .header(H::From, format!("<{user}>;tag={};epid={}", self.tag, &self.call_id[..10]))
            .header(H::To, format!("<{user}>"))
            .header(H::CallId, &self.call_id)
            .header(H::CSeq, format!("{} REGISTER", self.cseq))
            .header(
                H::Contact,
                format!(
                    "<sip:{};transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:{}>\"",
                    self.local,
                    &self.call_id[..32.min(self.call_id.len())]
                ),
            )
            .header(H::Expires, expires.to_string())
            .header(H::Supported, "gruu-10")
            .header(H::UserAgent, concat!("sipdsk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SigninError::new(Step::Register, e.to_string()))
    }

    /// Sends a request and waits for its final response, answering keep-alives.
    async fn exchange(&mut self, step: Step, req: SipMessage) -> Result<SipMessage, SigninError> {
        let m = req.message();
        let cseq = m
            .cseq()
            .map_err(|e| SigninError::new(step, e.to_string()))?
            .seq;
        self.transcript.push(Exchanged {
            sent: true,
            what: m.method().map_or("?", |x| x.as_str()).to_string(),
            authenticated: m.headers().first(H::Authorization).is_some(),
        });
        self.conn
            .send(Frame::Message(req))
            .await
            .map_err(|e| SigninError::transport(step, format!("send failed: {e}")))?;
        let timeout = self.ctx.config.timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.conn.next())
                .await
                .map_err(|_| {
                    SigninError::transport(step, format!("no response within {timeout:?}"))
                })?;
            match frame {
                Some(Ok(Frame::Message(m))) if m.message().is_response() => {
                    let msg = m.message();
                    if msg.cseq().is_ok_and(|c| c.seq == cseq)
                        && msg.status().is_some_and(|s| s >= 200)
                    {
                        self.transcript.push(Exchanged {
                            sent: false,
                            what: msg.status().unwrap_or(0).to_string(),
                            authenticated: msg.headers().first(H::AuthenticationInfo).is_some()
                                || msg
                                    .headers()
                                    .first(H::WwwAuthenticate)
                                    .and_then(|h| h.value_str())
                                    .is_some_and(|v| v.contains("gssapi-data")),
                        });
                        return Ok(m);
                    }
                }
                Some(Ok(Frame::Ping)) => {
                    self.conn
                        .send(Frame::Pong)
                        .await
                        .map_err(|e| SigninError::transport(step, e.to_string()))?;
                }
                Some(Ok(Frame::Message(m))) if m.message().is_request() && self.is_signed_in() => {
                    self.answer(step, m).await?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    return Err(SigninError::transport(
                        step,
                        format!("connection failed: {e}"),
                    ));
                }
                None => {
                    return Err(SigninError::transport(
                        step,
                        "the registrar closed the connection",
                    ));
                }
            }
        }
    }

    /// The whole TLS-DSK sign-in on the current connection.
    async fn sign_in(&mut self) -> Result<(), SigninError> {
        let first = self.register(self.ctx.config.expires)?;
        self.ctx
            .progress(Step::Register, "REGISTER without credentials");
        let resp = self.exchange(Step::Register, first).await?;
        let challenge = expect_challenge(&resp, Step::Register)?;
        self.ctx.progress(
            Step::Register,
            format!(
                "401 TLS-DSK targetname={} sts-uri={}",
                challenge.targetname,
                challenge.sts_uri.as_deref().unwrap_or("?")
            ),
        );
        let renew_margin = self.ctx.config.renew_margin.as_secs() as i64;
        if self
            .credential
            .as_ref()
            .is_none_or(|c| c.needs_renewal(web_now(), renew_margin))
        {
            let sts = challenge.sts_uri.clone().ok_or_else(|| {
                SigninError::new(Step::Certificate, "the challenge names no sts-uri")
                    .hint("this registrar wants a certificate from somewhere else; use `sipdsk register --cert`")
            })?;
            self.credential = Some(self.web.provision_certificate(&sts).await?);
        }
        let config = self
            .credential
            .as_ref()
            .map(certprov::Credential::to_tls_client_config)
            .ok_or_else(|| SigninError::new(Step::Certificate, "no certificate"))?;
        self.sa = Some(ClientSa::new(config));
        self.handshake(challenge).await
    }

    /// The three TLS-DSK rounds from a bare challenge, then the signed REGISTER.
    async fn handshake(&mut self, mut challenge: Challenge) -> Result<(), SigninError> {
        let step = Step::TlsDsk;
        for round in 1..=4 {
            match self
                .sa_mut(step)?
                .handle_challenge(&challenge, &mut OsRng)
                .map_err(|e| SigninError::new(step, e.to_string()))?
            {
                ClientStep::Authorize(creds) => {
                    let req = MessageBuilder::from_message(
                        &self.register(self.ctx.config.expires)?.message(),
                    )
                    .header(H::Authorization, creds.to_value())
                    .build()
                    .map_err(|e| SigninError::new(step, e.to_string()))?;
                    self.ctx.progress(
                        step,
                        format!("round {round}: REGISTER with TLS handshake data"),
                    );
                    let resp = self.exchange(step, req).await?;
                    challenge = expect_challenge(&resp, step).map_err(|e| {
                        e.hint("the registrar refused the handshake: is the client certificate expired or from an untrusted CA?")
                    })?;
                }
                ClientStep::Established => {
                    let (v, s) = self
                        .sa_mut(step)?
                        .negotiated()
                        .ok_or_else(|| SigninError::new(step, "no keys after the handshake"))?;
                    self.ctx
                        .progress(step, format!("established: {v}, {}", s.name));
                    let expires = self.ctx.config.expires;
                    let granted = self.signed_register(step, expires).await?;
                    self.expires = granted;
                    self.ctx.emit(Event::SignedIn {
                        aor: self.aor(),
                        expires: granted,
                        elapsed: self.ctx.started.elapsed(),
                    });
                    return Ok(());
                }
                _ => return Err(SigninError::new(step, "unexpected TLS-DSK step")),
            }
        }
        Err(SigninError::new(step, "too many 401 rounds"))
    }

    /// `unsigned` with our TLS-DSK signature added as `Authorization`.
    fn sign(&mut self, step: Step, unsigned: &SipMessage) -> Result<SipMessage, SigninError> {
        let creds = self
            .sa_mut(step)?
            .sign(&unsigned.message(), &mut OsRng)
            .map_err(|e| SigninError::new(step, e.to_string()))?;
        let mut value = creds.to_value();
        if self.ctx.config.tamper_requests {
            value = tamper(&value);
        }
        MessageBuilder::from_message(&unsigned.message())
            .header(H::Authorization, value)
            .build()
            .map_err(|e| SigninError::new(step, e.to_string()))
    }

    /// Answers a request the registrar sent us, signed, after checking its signature.
    /// Unsigned or badly signed requests are dropped unanswered, as Lync clients do.
    /// This client only stays registered, so it accepts OPTIONS and NOTIFY (200), takes
    /// BENOTIFY and ACK without an answer, has no dialogs to end (481) and refuses the
    /// rest with 405 and the methods it allows.
    async fn answer(&mut self, step: Step, req: SipMessage) -> Result<(), SigninError> {
        let m = req.message();
        let method = m.method().map_or("?", |x| x.as_str()).to_string();
        if let Err(e) = self.sa_mut(step)?.verify(&m) {
            self.ctx
                .progress(step, format!("ignored a {method} from the registrar: {e}"));
            return Ok(());
        }
        self.transcript.push(Exchanged {
            sent: false,
            what: method.clone(),
            authenticated: true,
        });
        let (code, reason) = match m.method() {
            Some(Method::Ack | Method::Benotify) => return Ok(()),
            Some(Method::Options | Method::Notify) => (200, "OK"),
            Some(Method::Bye | Method::Cancel) => (481, "Call/Transaction Does Not Exist"),
            _ => (405, "Method Not Allowed"),
        };
        let mut b = MessageBuilder::response_to(&m, code, reason, Some(&self.tag));
        if code != 481 {
            b = b.header(H::Allow, "OPTIONS, NOTIFY, BENOTIFY, ACK, BYE, CANCEL");
        }
        let unsigned = b
            .build()
            .map_err(|e| SigninError::new(step, e.to_string()))?;
        let signed = self.sign(step, &unsigned)?;
        self.transcript.push(Exchanged {
            sent: true,
            what: code.to_string(),
            authenticated: true,
        });
        self.conn
            .send(Frame::Message(signed))
            .await
            .map_err(|e| SigninError::transport(step, format!("send failed: {e}")))?;
        self.ctx.progress(
            step,
            format!("answered the registrar's {method} with {code} {reason} (signed)"),
        );
        Ok(())
    }

    /// One signed REGISTER and its verified 200; returns the seconds granted.
    async fn signed_register(&mut self, step: Step, expires: u32) -> Result<u32, SigninError> {
        let unsigned = self.register(expires)?;
        let signed = self.sign(step, &unsigned)?;
        let resp = self.exchange(step, signed).await?;
        let m = resp.message();
        if m.status() != Some(200) {
            let said = status_line(&resp);
            return Err(SigninError::new(step, "the signed REGISTER was refused")
                .said(said)
                .hint("the registrar did not accept our signature; sign in again"));
        }
        self.sa_mut(step)?.verify(&m).map_err(|e| {
            SigninError::new(step, format!("the 200 OK failed verification: {e}"))
                .hint("the response's signature is wrong: someone on the path changed it, or the server is broken; do not trust this connection")
        })?;
        let granted = m.expires().ok().flatten().unwrap_or(expires);
        self.ctx.progress(
            step,
            format!("200 OK (Expires {granted}), server signature verified"),
        );
        Ok(granted)
    }

    /// A signed re-REGISTER. When the registrar has forgotten the association (it
    /// answers 401), the whole TLS-DSK handshake runs again on this connection.
    ///
    /// # Errors
    ///
    /// The registrar refused, or a response failed verification.
    pub async fn refresh(&mut self) -> Result<(), SigninError> {
        let step = Step::Refresh;
        let renew_margin = self.ctx.config.renew_margin.as_secs() as i64;
        if self
            .credential
            .as_ref()
            .is_some_and(|c| c.needs_renewal(web_now(), renew_margin))
        {
            self.ctx
                .progress(Step::Certificate, "certificate close to expiry: renewing");
            return self.sign_in().await;
        }
        let unsigned = self.register(self.ctx.config.expires)?;
        let signed = self.sign(step, &unsigned)?;
        let resp = self.exchange(step, signed).await?;
        let m = resp.message();
        match m.status() {
            Some(200) => {
                self.sa_mut(step)?.verify(&m).map_err(|e| {
                    SigninError::new(step, format!("the 200 OK failed verification: {e}"))
                })?;
                self.expires = m
                    .expires()
                    .ok()
                    .flatten()
                    .unwrap_or(self.ctx.config.expires);
                self.ctx.progress(
                    step,
                    format!("re-REGISTER: 200 OK (Expires {}), verified", self.expires),
                );
                Ok(())
            }
            Some(401) => {
                self.ctx
                    .progress(step, "the registrar forgot our association: new handshake");
                let challenge = expect_challenge(&resp, step)?;
                let config = self
                    .credential
                    .as_ref()
                    .map(certprov::Credential::to_tls_client_config)
                    .ok_or_else(|| SigninError::new(step, "no certificate"))?;
                self.sa = Some(ClientSa::new(config));
                self.handshake(challenge).await
            }
            _ => Err(SigninError::new(step, "re-REGISTER refused").said(status_line(&resp))),
        }
    }

    /// Unregisters (signed `REGISTER` with `Expires: 0`) and closes the connection.
    ///
    /// # Errors
    ///
    /// The registrar refused or the response failed verification; the registration then
    /// lapses at its expiry anyway.
    pub async fn unregister(mut self) -> Result<(), SigninError> {
        let granted = self.signed_register(Step::Unregister, 0).await?;
        self.ctx.progress(
            Step::Unregister,
            format!("unregistered (Expires {granted})"),
        );
        let _ = tokio::io::AsyncWriteExt::shutdown(self.conn.get_mut()).await;
        Ok(())
    }

    /// Stays registered until `stop` completes, then unregisters: re-REGISTER at 80% of
    /// the granted time (renewing the certificate first when it is close to expiry),
    /// a CRLF keep-alive every `keepalive`, pongs for the server's pings, and a new
    /// connection and handshake (bounded retries with backoff) when the connection
    /// breaks.
    ///
    /// # Errors
    ///
    /// A refresh or reconnection that failed for good, or the final unregister.
    pub async fn stay_until(mut self, stop: impl Future<Output = ()>) -> Result<(), SigninError> {
        let mut stop = std::pin::pin!(stop);
        let mut keepalive = tokio::time::interval(self.ctx.config.keepalive);
        keepalive.tick().await;
        loop {
            let refresh_in = Duration::from_millis(u64::from(self.expires.max(1)) * 800);
            let refresh_at = tokio::time::Instant::now() + refresh_in;
            let outcome = loop {
                tokio::select! {
                    () = &mut stop => return self.unregister().await,
                    () = tokio::time::sleep_until(refresh_at) => break None,
                    _ = keepalive.tick() => {
                        if let Err(e) = self.conn.send(Frame::Ping).await {
                            break Some(SigninError::transport(Step::Refresh, format!("keep-alive failed: {e}")));
                        }
                    }
                    frame = self.conn.next() => match frame {
                        Some(Ok(Frame::Ping)) => {
                            if let Err(e) = self.conn.send(Frame::Pong).await {
                                break Some(SigninError::transport(Step::Refresh, e.to_string()));
                            }
                        }
                        Some(Ok(Frame::Message(m))) if m.message().is_request() => {
                            if let Err(e) = self.answer(Step::Refresh, m).await {
                                break Some(e);
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break Some(SigninError::transport(Step::Refresh, format!("connection failed: {e}"))),
                        None => break Some(SigninError::transport(Step::Refresh, "the registrar closed the connection")),
                    },
                }
            };
            let result = match outcome {
                None => self.refresh().await,
                Some(e) => Err(e),
            };
            if let Err(e) = result {
                if !e.retryable {
                    return Err(e);
                }
                self.ctx
                    .progress(Step::Refresh, format!("{}: reconnecting", e.message));
                tokio::time::sleep(self.ctx.config.backoff).await;
                self.sign_in_with_retries(false).await?;
                self.ctx.progress(Step::Refresh, "signed in again");
            }
        }
    }
}

/// The TLS-DSK challenge of a 401, or why there is none.
fn expect_challenge(resp: &SipMessage, step: Step) -> Result<Challenge, SigninError> {
    let m = resp.message();
    if m.status() != Some(401) {
        return Err(
            SigninError::new(step, "expected 401 with a TLS-DSK challenge").said(status_line(resp)),
        );
    }
    Challenge::find(&m)
        .map_err(|e| SigninError::new(step, e.to_string()))?
        .ok_or_else(|| {
            SigninError::new(step, "401 without a TLS-DSK challenge").said(status_line(resp))
        })
}

/// TCP + TLS to the pool.
async fn connect(ctx: &Context, pool: &SipPool) -> Result<(Conn, SocketAddr), SigninError> {
    let step = Step::SipConnect;
    let tcp = ctx
        .resolver
        .connect(&pool.host, pool.port, ctx.config.timeout)
        .await
        .map_err(|e| SigninError::transport(step, e))?;
    let local = tcp
        .local_addr()
        .map_err(|e| SigninError::transport(step, e.to_string()))?;
    let tls = tokio::time::timeout(ctx.config.timeout, ctx.trust.connect(&pool.host, tcp))
        .await
        .map_err(|_| SigninError::transport(step, "TLS handshake timed out"))?
        .map_err(|e| SigninError::new(step, e))?;
    ctx.progress(
        step,
        format!("TLS to {}:{} from {local}", pool.host, pool.port),
    );
    Ok((Framed::new(tls, SipCodec::default()), local))
}

/// [`connect`] with doubling backoff, after a first failure.
async fn retry_connect(
    ctx: &Context,
    pool: &SipPool,
    first: SigninError,
) -> Result<(Conn, SocketAddr), SigninError> {
    let mut delay = ctx.config.backoff;
    let mut last = first;
    for attempt in 2..=ctx.config.attempts.max(1) {
        ctx.progress(
            last.step,
            format!(
                "{}; attempt {attempt} of {} in {delay:?}",
                last.message, ctx.config.attempts
            ),
        );
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
        match connect(ctx, pool).await {
            Ok(c) => return Ok(c),
            Err(e) if e.retryable => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}
