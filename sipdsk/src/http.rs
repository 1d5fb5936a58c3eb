//! HTTP/1.1 over TLS (hyper on tokio-rustls) for the sans-IO web crates: the client sends
//! a `webticket::http::HttpRequest` and hands back a response the crates can read; the
//! server turns each request into a `webticket::server::ServerRequest` for a handler.
//!
//! One connection per client request: a sign-in makes a handful of requests, and a fresh
//! connection keeps the client free of pool state. Redirects are never followed here (the
//! autodiscover state machine follows them itself, with a hop limit).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use webticket::http::{HttpRequest, HttpResponse};
use webticket::server::{ServerRequest, ServerResponse};

use crate::net::{Resolver, Trust};

/// Largest response or request body read, bytes.
pub const MAX_BODY: usize = 4 << 20;

/// A response read in full.
#[derive(Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The view the sans-IO crates parse.
    pub fn view(&self) -> HttpResponse<'_> {
        let mut r = HttpResponse::new(self.status, &self.body);
        for (n, v) in &self.headers {
            r = r.header(n, v);
        }
        r
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP(S) client with name overrides and a trust anchor.
#[derive(Clone, Debug)]
pub struct HttpClient {
    resolver: Resolver,
    trust: Trust,
    timeout: Duration,
}

impl HttpClient {
    /// A client resolving through `resolver`, trusting `trust`, giving each request
    /// `timeout` from connect to the last body byte.
    pub fn new(resolver: Resolver, trust: Trust, timeout: Duration) -> Self {
        Self {
            resolver,
            trust,
            timeout,
        }
    }

    /// Sends one request and reads the whole answer.
    ///
    /// # Errors
    ///
    /// A message naming the URL: bad URL, resolution, connection, TLS, timeout, or a body
    /// over [`MAX_BODY`].
    pub async fn send(&self, req: &HttpRequest) -> Result<Response, String> {
        tokio::time::timeout(self.timeout, self.send_inner(req))
            .await
            .map_err(|_| {
                format!(
                    "{} {}: no answer within {:?}",
                    req.method, req.url, self.timeout
                )
            })?
            .map_err(|e| format!("{} {}: {e}", req.method, req.url))
    }

    async fn send_inner(&self, req: &HttpRequest) -> Result<Response, String> {
        let uri: hyper::Uri = req.url.parse().map_err(|e| format!("bad URL: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("only http and https URLs are supported".into()),
        };
        let host = uri.host().ok_or("URL without a host")?.to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = self.resolver.connect(&host, port, self.timeout).await?;
        let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let authority = uri
            .authority()
            .map_or_else(|| host.clone(), |a| a.to_string());
        if tls {
            let stream = self.trust.connect(&host, tcp).await?;
            exchange(stream, req, &target, &authority).await
        } else {
            exchange(tcp, req, &target, &authority).await
        }
    }
}

async fn exchange<S>(
    stream: S,
    req: &HttpRequest,
    target: &str,
    authority: &str,
) -> Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let mut builder = hyper::Request::builder()
        .method(req.method.as_str())
        .uri(target)
        .header(hyper::header::HOST, authority);
    for (n, v) in &req.headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    let request = builder
        .body(Full::new(Bytes::from(req.body.clone())))
        .map_err(|e| e.to_string())?;
    let resp = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = header_pairs(resp.headers());
    let body = Limited::new(resp.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    driver.abort();
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn header_pairs(map: &hyper::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// One request received by [`serve`], owned.
#[derive(Clone)]
pub struct Received {
    /// Method as received.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
    /// The local port it arrived on.
    pub local_port: u16,
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Received {
    /// The view the sans-IO services read.
    pub fn view(&self) -> ServerRequest<'_> {
        let mut r = ServerRequest::new(&self.method, &self.target).body(&self.body);
        for (n, v) in &self.headers {
            r = r.header(n, v);
        }
        r
    }
}

/// What answers requests: synchronous, because every service behind it is sans-IO.
pub type Handler = Arc<dyn Fn(&Received) -> ServerResponse + Send + Sync>;

/// Serves HTTP/1.1 (over TLS when `acceptor` is given) on `listener` until the task is
/// dropped. Bodies over [`MAX_BODY`] get 413.
pub async fn serve(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    handler: Handler,
) {
    let local_port = listener.local_addr().map_or(0, |a| a.port());
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let handler = handler.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                Some(a) => {
                    match tokio::time::timeout(Duration::from_secs(10), a.accept(tcp)).await {
                        Ok(Ok(tls)) => connection(tls, peer, local_port, handler).await,
                        Ok(Err(e)) => tracing::debug!(%peer, "https handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "https handshake timed out"),
                    }
                }
                None => connection(tcp, peer, local_port, handler).await,
            }
        });
    }
}

async fn connection<S>(stream: S, peer: SocketAddr, local_port: u16, handler: Handler)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let handler = handler.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = match Limited::new(body, MAX_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return Ok::<_, std::convert::Infallible>(reply(ServerResponse::new(413)));
                }
            };
            let request = Received {
                method: parts.method.as_str().to_string(),
                target: parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string(),
                headers: header_pairs(&parts.headers),
                body,
                peer,
                local_port,
            };
            let answer = handler(&request);
            tracing::debug!(%peer, method = %request.method, target = %request.target, status = answer.status, "http");
            Ok(reply(answer))
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, "http connection ended: {e}");
    }
}

fn reply(r: ServerResponse) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder().status(r.status);
    for (n, v) in &r.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(r.body))).unwrap_or_else(|_| {
        let mut fallback = hyper::Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
