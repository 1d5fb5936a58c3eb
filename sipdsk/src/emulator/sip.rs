//! The registrar behind sockets: SIP over TLS (or TCP), one task per connection, every
//! request through the pure [`Registrar`] state machine.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::{SinkExt, StreamExt};
use rand_core::OsRng;
use sip_core::{Frame, SipCodec, SipMessage};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use super::registrar::Event;
use super::{Shared, unix_now};

/// Accepts SIP connections until `stop` fires; every connection task stops with it.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            () = stop.cancelled() => return,
            a = listener.accept() => match a {
                Ok(x) => x,
                Err(_) => continue,
            },
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let run = async {
                match acceptor {
                    Some(a) => match a.accept(tcp).await {
                        Ok(tls) => connection(tls, peer, &shared).await,
                        Err(e) => {
                            shared.log(format_args!("sip: TLS handshake with {peer} failed: {e}"))
                        }
                    },
                    None => connection(tcp, peer, &shared).await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                () = run => {}
            }
        });
    }
}

/// The address of record a request went to and where its answer goes, by Call-ID.
type Waiting = (String, oneshot::Sender<Result<u16, String>>);

/// A request the registrar sends to a client, and where its answer goes.
pub(crate) struct Outgoing {
    /// The address of record the request goes to; the answer must be signed for it.
    pub(crate) aor: String,
    pub(crate) request: SipMessage,
    pub(crate) answer: oneshot::Sender<Result<u16, String>>,
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    shared: &Shared,
) {
    let mut conn = Framed::new(stream, SipCodec::default());
    let (outbox, mut outgoing) = mpsc::unbounded_channel::<Outgoing>();
    let _forget = ForgetOnClose {
        shared,
        outbox: outbox.clone(),
    };
    let mut waiting: HashMap<String, Waiting> = HashMap::new();
    loop {
        let frame = tokio::select! {
            frame = conn.next() => match frame {
                Some(f) => f,
                None => return,
            },
            Some(out) = outgoing.recv() => {
                let call_id = out.request.message().call_id().unwrap_or_default().to_string();
                let request = tampered(shared, out.request);
                if conn.send(Frame::Message(request)).await.is_err() {
                    let _ = out.answer.send(Err("the connection failed".into()));
                    return;
                }
                waiting.retain(|_, (_, w)| !w.is_closed());
                waiting.insert(call_id, (out.aor, out.answer));
                continue;
            }
        };
        let request = match frame {
            Ok(Frame::Message(m)) if m.message().is_request() => m,
            Ok(Frame::Message(m)) => {
                answered(shared, peer, &m, &mut waiting);
                continue;
            }
            Ok(Frame::Ping) => {
                let _ = conn.send(Frame::Pong).await;
                continue;
            }
            Ok(Frame::Invalid { error, .. }) => {
                shared.log(format_args!("sip: invalid request from {peer}: {error}"));
                continue;
            }
            Ok(_) => continue,
            Err(e) => {
                shared.log(format_args!("sip: closing {peer}: {e}"));
                return;
            }
        };
        let carries_hello = request
            .message()
            .headers()
            .first(sip_core::KnownHeader::Authorization)
            .and_then(|h| h.value_str())
            .is_some_and(|v| v.contains("gssapi-data") && !v.contains("opaque"));
        if carries_hello
            && shared
                .faults
                .drop_on_client_hello
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            shared.log(format_args!(
                "sip: fault injected: dropping {peer} after its ClientHello"
            ));
            return;
        }
        let (responses, event) = {
            let mut r = shared.registrar.lock().unwrap_or_else(|p| p.into_inner());
            let mut now = unix_now();
            if shared.faults.expired_certificates.load(Ordering::SeqCst) {
                // Judge certificates as if their 8 hours had passed.
                now.0 += 9 * 3600;
            }
            r.handle(&request, now, &mut OsRng)
        };
        match &event {
            Event::Challenged { reason: Some(why) } => {
                shared.log(format_args!("sip: {peer}: 401 ({why})"));
            }
            Event::Challenged { reason: None } => {
                shared.log(format_args!("sip: {peer}: 401 challenge"))
            }
            Event::Registered { aor, expires } => {
                shared.log(format_args!(
                    "sip: {peer}: registered {aor} for {expires} s"
                ));
                shared
                    .clients
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(aor.clone(), outbox.clone());
            }
            Event::Unregistered { aor } => {
                shared.log(format_args!("sip: {peer}: unregistered {aor}"));
                let mut clients = shared.clients.lock().unwrap_or_else(|p| p.into_inner());
                if clients.get(aor).is_some_and(|c| c.same_channel(&outbox)) {
                    clients.remove(aor);
                }
            }
            Event::Served { method, aor } => {
                shared.log(format_args!("sip: {peer}: {method} from {aor}"))
            }
        }
        for r in responses {
            if conn
                .send(Frame::Message(tampered(shared, r)))
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// Removes a connection's addresses of record from [`Shared::clients`] however the
/// connection ends: closed by the peer, failed, or its task dropped at shutdown.
struct ForgetOnClose<'a> {
    shared: &'a Shared,
    outbox: mpsc::UnboundedSender<Outgoing>,
}

impl Drop for ForgetOnClose<'_> {
    fn drop(&mut self) {
        self.shared
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, c| !c.same_channel(&self.outbox));
    }
}

/// `m` with its `rspauth` changed when the fault is on.
fn tampered(shared: &Shared, m: SipMessage) -> SipMessage {
    if shared
        .faults
        .tamper_response_signature
        .load(Ordering::SeqCst)
    {
        super::registrar::tamper_rspauth(&m).unwrap_or(m)
    } else {
        m
    }
}

/// A client's answer to one of our requests: verified, then handed to whoever waits.
fn answered(
    shared: &Shared,
    peer: SocketAddr,
    resp: &SipMessage,
    waiting: &mut HashMap<String, Waiting>,
) {
    let m = resp.message();
    let Some(status) = m.status().filter(|s| *s >= 200) else {
        return;
    };
    let Some((expected, answer)) = m.call_id().ok().and_then(|id| waiting.remove(id)) else {
        shared.log(format_args!("sip: {peer}: a response to nothing we sent"));
        return;
    };
    let verified = shared
        .registrar
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .verify_answer(resp, unix_now())
        .map_err(|e| e.to_string())
        .and_then(|aor| {
            if aor == expected {
                Ok(aor)
            } else {
                Err(format!("signed for {aor}, sent to {expected}"))
            }
        });
    let result = match verified {
        Ok(aor) => {
            shared.log(format_args!(
                "sip: {peer}: {aor} answered {status}, signature verified"
            ));
            Ok(status)
        }
        Err(e) => {
            shared.log(format_args!("sip: {peer}: answer {status} refused: {e}"));
            Err(format!("the answer ({status}) failed verification: {e}"))
        }
    };
    let _ = answer.send(result);
}
