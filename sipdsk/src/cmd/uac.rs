//! `sipdsk uac`: a minimal user agent client that places calls (INVITE, ACK, BYE) over UDP
//! or TCP and reports how many completed. It exists to prove `sip-core` against sipp.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use sip_core::{KnownHeader as H, MessageBuilder, Method, SipMessage};

use crate::transport::{Conn, Transport};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The UAS to call, e.g. 127.0.0.1:5070.
    #[arg(long)]
    target: SocketAddr,
    /// Transport.
    #[arg(long, value_enum, default_value = "udp")]
    transport: Transport,
    /// Number of calls, one after another.
    #[arg(long, default_value_t = 1)]
    calls: u32,
    /// Local address (UDP), port 0 for any.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Seconds to wait for each final response.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// Seconds to keep the connection open after the last call, so the peer can finish
    /// its own end-of-call timers (sipp's `uas` scenario pauses 4 s and counts a TCP close
    /// during that pause as a failed call).
    #[arg(long, default_value_t = 0)]
    linger: u64,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let rt = match super::runtime("uac", 1) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let mut conn = match Conn::connect(args.transport, args.bind, args.target).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("sipdsk uac: cannot reach {}: {e}", args.target);
                return ExitCode::from(1);
            }
        };
        let (mut ok, mut failed) = (0u32, 0u32);
        for n in 0..args.calls {
            match call(&mut conn, args, n).await {
                Ok(()) => ok += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("sipdsk uac: call {n} failed: {e}");
                }
            }
        }
        println!("calls: {ok} successful, {failed} failed");
        tokio::time::sleep(Duration::from_secs(args.linger)).await;
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    })
}

/// Identifiers unique to this process and call.
fn ids(n: u32) -> (String, String) {
    let pid = std::process::id();
    (format!("{pid:x}-{n}@sipdsk"), format!("{pid:x}{n:x}"))
}

struct Dialog {
    call_id: String,
    from_tag: String,
    to: String,
    remote_target: String,
    via_host: String,
}

impl Dialog {
    fn request(
        &self,
        method: Method<'_>,
        uri: &str,
        cseq: u32,
        branch: &str,
        to: &str,
        transport: Transport,
    ) -> MessageBuilder {
        MessageBuilder::request(method, uri)
            .header(
                H::Via,
                format!(
                    "SIP/2.0/{} {};branch=z9hG4bK{branch};rport",
                    transport.via_token(),
                    self.via_host
                ),
            )
            .header(H::MaxForwards, "70")
            .header(
                H::From,
                format!("<sip:uac@{}>;tag={}", self.via_host, self.from_tag),
            )
            .header(H::To, to)
            .header(H::CallId, &self.call_id)
            .header(H::CSeq, format!("{cseq} {method}"))
    }
}

/// Sends `request` and waits for its final response, retransmitting over UDP
/// (RFC 3261 §17.1.1.2 timer A, doubling from 500 ms) until the timeout.
async fn transaction(
    conn: &mut Conn,
    request: &SipMessage,
    udp: bool,
    timeout: Duration,
) -> Result<SipMessage, String> {
    let want = request.message().cseq().map_err(|e| e.to_string())?;
    let call_id = request
        .message()
        .call_id()
        .map_err(|e| e.to_string())?
        .to_string();
    conn.send(request).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut interval = Duration::from_millis(500);
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(format!(
                "no final response to {} within {timeout:?}",
                want.method
            ));
        }
        let wait = if udp {
            interval.min(deadline - now)
        } else {
            deadline - now
        };
        match conn.recv(wait).await {
            Ok(resp) => {
                let m = resp.message();
                let same = m.status().is_some()
                    && m.cseq().is_ok_and(|c| c == want)
                    && m.call_id().is_ok_and(|c| c == call_id);
                if same && m.status().is_some_and(|s| s >= 200) {
                    return Ok(resp);
                }
            }
            Err(e) if !udp => return Err(e),
            Err(_) => {
                conn.send(request).await?;
                interval = (interval * 2).min(Duration::from_secs(4));
            }
        }
    }
}

async fn call(conn: &mut Conn, args: &Args, n: u32) -> Result<(), String> {
    let udp = args.transport == Transport::Udp;
    let timeout = Duration::from_secs(args.timeout);
    let local = conn.local_addr().map_err(|e| e.to_string())?;
    let (call_id, from_tag) = ids(n);
    let uri = format!(
        "sip:service@{};transport={}",
        args.target,
        args.transport.param()
    );
    let mut dialog = Dialog {
        call_id,
        from_tag,
        to: format!("<sip:service@{}>", args.target),
        remote_target: uri.clone(),
        via_host: local.to_string(),
    };
    let sdp = format!(
        "v=0\r\no=sipdsk 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio 6002 RTP/AVP 0\r\n",
        ip = local.ip()
    );
    let invite = dialog
        .request(
            Method::Invite,
            &uri,
            1,
            &format!("{}i", dialog.from_tag),
            &dialog.to,
            args.transport,
        )
        .header(
            H::Contact,
            format!("<sip:uac@{local};transport={}>", args.transport.param()),
        )
        .header(H::ContentType, "application/sdp")
        .body(sdp)
        .build()
        .map_err(|e| e.to_string())?;
    let ok = transaction(conn, &invite, udp, timeout).await?;
    let m = ok.message();
    if m.status() != Some(200) {
        return Err(format!(
            "INVITE answered {} {}",
            m.status().unwrap_or(0),
            m.reason_str().unwrap_or("")
        ));
    }
    let to = m
        .headers()
        .first(H::To)
        .and_then(|h| h.value_str())
        .ok_or("200 without To")?
        .to_string();
    if let Some(Ok(c)) = m.contacts().next()
        && let Some(a) = c.address()
    {
        dialog.remote_target = a.uri.as_str().to_string();
    }
    let ack = dialog
        .request(
            Method::Ack,
            &dialog.remote_target,
            1,
            &format!("{}a", dialog.from_tag),
            &to,
            args.transport,
        )
        .build()
        .map_err(|e| e.to_string())?;
    conn.send(&ack).await?;
    let bye = dialog
        .request(
            Method::Bye,
            &dialog.remote_target,
            2,
            &format!("{}b", dialog.from_tag),
            &to,
            args.transport,
        )
        .build()
        .map_err(|e| e.to_string())?;
    let done = transaction(conn, &bye, udp, timeout).await?;
    match done.message().status() {
        Some(200) => Ok(()),
        other => Err(format!("BYE answered {other:?}")),
    }
}
