//! `sipdsk parse FILE`: parse one message and print a summary or a JSON object.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use serde_json::{Value, json};
use sip_core::{
    Contact, Framing, Message, Mode, NameAddr, ParseError, ParserConfig, SipMessage, Via,
};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The message file, or `-` for standard input.
    file: PathBuf,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    /// Accept what real deployments send (bare LF, extra white space, no value checks).
    #[arg(long)]
    lenient: bool,
    /// Frame as a stream message (Content-Length required) instead of a datagram.
    #[arg(long)]
    stream: bool,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let data = match read_input(&args.file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("sipdsk: cannot read {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let config = ParserConfig::default()
        .mode(if args.lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        })
        .framing(if args.stream {
            Framing::Stream
        } else {
            Framing::Datagram
        });
    // The owned parser reports a stream message that ends early as `incomplete`.
    let parsed = SipMessage::parse_with(Bytes::from(data), &config);
    let result = parsed.as_ref().map(SipMessage::message);
    let mut out = std::io::stdout().lock();
    let written = match &result {
        Ok(m) if args.json => writeln!(out, "{}", to_json(m)),
        Ok(m) => out.write_all(summary(m).as_bytes()),
        Err(e) if args.json => writeln!(
            out,
            "{}",
            json!({"error": {"kind": e.kind().id(), "message": e.to_string(), "offset": e.offset()}})
        ),
        Err(_) => Ok(()),
    };
    if let Err(e) = written {
        eprintln!("sipdsk: cannot write output: {e}");
        return ExitCode::from(2);
    }
    match parsed {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sipdsk: {}: {e}", args.file.display());
            ExitCode::from(1)
        }
    }
}

fn read_input(path: &PathBuf) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn name_addr(r: Result<NameAddr<'_>, ParseError>) -> Value {
    match r {
        Ok(a) => json!({
            "display_name": a.display_name_unquoted(),
            "uri": a.uri.as_str(),
            "tag": a.tag(),
        }),
        Err(_) => Value::Null,
    }
}

fn via(v: &Via<'_>) -> Value {
    json!({
        "transport": v.transport,
        "host": v.host.as_str(),
        "port": v.port,
        "branch": v.branch(),
        "received": v.received(),
        "rport": match v.rport() {
            None => Value::Null,
            Some(None) => Value::Bool(true),
            Some(Some(p)) => json!(p),
        },
    })
}

fn contact(c: &Contact<'_>) -> Value {
    match c {
        Contact::Wildcard => json!({"display_name": null, "uri": "*", "expires": null, "q": null}),
        Contact::Address(a) => json!({
            "display_name": a.display_name_unquoted(),
            "uri": a.uri.as_str(),
            "expires": a.expires(),
            "q": a.q(),
        }),
    }
}

/// The JSON object of `sipdsk parse --json`. Typed fields whose header is absent or
/// malformed are `null`; `headers` always lists every line as received (folds unfolded).
pub(crate) fn to_json(m: &Message<'_>) -> Value {
    let headers: Vec<Value> = m
        .headers()
        .iter()
        .map(|h| json!({"name": h.name(), "value": h.value_unfolded().to_string_lossy()}))
        .collect();
    json!({
        "kind": if m.is_request() { "request" } else { "response" },
        "method": m.method().map(|x| x.as_str()),
        "uri": m.request_uri(),
        "status": m.status(),
        "reason": m.reason().map(String::from_utf8_lossy),
        "version": m.version(),
        "headers": headers,
        "call_id": m.call_id().ok(),
        "cseq": m.cseq().ok().map(|c| json!({"seq": c.seq, "method": c.method.as_str()})),
        "from": name_addr(m.from()),
        "to": name_addr(m.to()),
        "via": m.via().map(|v| v.map_or(Value::Null, |v| via(&v))).collect::<Vec<_>>(),
        "contact": m.contacts().map(|c| c.map_or(Value::Null, |c| contact(&c))).collect::<Vec<_>>(),
        "max_forwards": m.max_forwards().ok().flatten(),
        "content_length": m.content_length().ok().flatten(),
        "content_type": m.content_type().ok().flatten().map(|t| format!("{}/{}", t.kind, t.subtype)),
        "body_len": m.body().len(),
    })
}

fn summary(m: &Message<'_>) -> String {
    let mut s = String::new();
    match (m.method(), m.status()) {
        (Some(method), _) => s.push_str(&format!(
            "request  {} {} {}\n",
            method,
            m.request_uri().unwrap_or_default(),
            m.version()
        )),
        (None, Some(code)) => s.push_str(&format!(
            "response {} {} {}\n",
            m.version(),
            code,
            String::from_utf8_lossy(m.reason().unwrap_or_default())
        )),
        (None, None) => {}
    }
    let field = |name: &str, value: String| format!("  {name:<12} {value}\n");
    if let Ok(id) = m.call_id() {
        s.push_str(&field("call-id", id.to_string()));
    }
    if let Ok(c) = m.cseq() {
        s.push_str(&field("cseq", format!("{} {}", c.seq, c.method)));
    }
    for (label, addr) in [("from", m.from()), ("to", m.to())] {
        if let Ok(a) = addr {
            let tag = a.tag().map(|t| format!(" tag={t}")).unwrap_or_default();
            s.push_str(&field(label, format!("{}{tag}", a.uri)));
        }
    }
    for v in m.via().flatten() {
        s.push_str(&field(
            "via",
            format!(
                "{} {} branch={}",
                v.transport,
                v.sent_by(),
                v.branch().unwrap_or("-")
            ),
        ));
    }
    s.push_str(&format!("headers ({}):\n", m.headers().len()));
    for h in m.headers() {
        s.push_str(&format!(
            "  {}: {}\n",
            h.name(),
            h.value_unfolded().to_string_lossy()
        ));
    }
    s.push_str(&format!("body: {} bytes\n", m.body().len()));
    s
}
