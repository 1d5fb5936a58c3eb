//! The registrar behind sockets: SIP over TLS (or TCP), one task per connection, every
//! request through the pure [`Registrar`] state machine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::{SinkExt, StreamExt};
use rand_core::OsRng;
use sip_core::{Frame, SipCodec};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
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

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    shared: &Shared,
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
            }
            Event::Unregistered { aor } => {
                shared.log(format_args!("sip: {peer}: unregistered {aor}"))
            }
            Event::Served { method, aor } => {
                shared.log(format_args!("sip: {peer}: {method} from {aor}"))
            }
        }
        for r in responses {
            let r = if shared
                .faults
                .tamper_response_signature
                .load(Ordering::SeqCst)
            {
                super::registrar::tamper_rspauth(&r).unwrap_or(r)
            } else {
                r
            };
            if conn.send(Frame::Message(r)).await.is_err() {
                return;
            }
        }
    }
}
