//! The HTTP listener under the routes of `server.rs`: its own accept loop over hyper, so that
//! no client can hold the daemon's sockets. Each connection is in one of three phases:
//!
//! - **head**: from accept (or from the first byte after an idle spell) until the request's
//!   head is read, at most `header_timeout_secs`: silent and half-header connections close;
//! - **busy**: a request is being served; its body must arrive within `body_timeout_secs`
//!   ([`TimedBody`], 408), a `Content-Length` above `max_body_bytes` is answered 413 before any
//!   of the body is read;
//! - **idle**: kept alive between requests, at most `idle_timeout_secs`.
//!
//! At most `max_connections` are served at once; further ones wait in the listen queue until
//! one closes, so the requests in flight finish. Stopping lets requests in flight finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::App;
use super::faults::{Backoff, repeated};

/// What the listener enforces; from `server:` in the configuration (the body timeout is
/// [`TimedBody`]'s).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_body_bytes: usize,
}

impl Limits {
    pub fn from_config(c: &switchyard_core::config::ServerConfig) -> Self {
        Self {
            header_timeout: Duration::from_secs(c.header_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(c.idle_timeout_secs.max(1)),
            max_connections: c.max_connections.max(1),
            max_body_bytes: c.max_body_bytes,
        }
    }
}

/// File descriptors kept for everything but client connections (database, channels' APIs,
/// partners, logs).
const RESERVED_FDS: u64 = 256;

/// Raises the open-file limit to its hard maximum and returns how many connections it leaves
/// room for (`None` when it cannot be read).
#[cfg(unix)]
pub fn connection_room() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct passed by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    // `rlim_t` is u64 on Linux but not on every unix.
    #[allow(clippy::unnecessary_cast)]
    let room = (lim.rlim_cur as u64).saturating_sub(RESERVED_FDS).max(1);
    Some(usize::try_from(room).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
pub fn connection_room() -> Option<usize> {
    None
}

/// Serves `router` on `listener` until `stopped`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut accept_backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        // A slot first: at the limit, new connections wait in the kernel's listen queue.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => break,
        };
        match accepted {
            Ok((stream, _peer)) => {
                accept_backoff.reset();
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(
                    stream,
                    router.clone(),
                    limits,
                    permit,
                    stopped.clone(),
                ));
            }
            // The peer went away between SYN and accept: nothing to do.
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // Out of file descriptors or memory: wait for connections to close.
                drop(permit);
                repeated!(app.repeats, error, format!("accept\0{e}"), error = %e, "accepting a connection failed");
                if !accept_backoff.wait(&mut stopped).await {
                    break;
                }
            }
        }
    }
    // Let requests in flight finish (each connection closes itself on `stopped`).
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(15), permits.acquire_many(all)).await;
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// One connection's phase and since when (ms after it opened). Only the connection's own task
/// touches it (hyper polls the reads and the service on that task).
struct Phase {
    opened: Instant,
    phase: AtomicU8,
    since_ms: AtomicU64,
}

impl Phase {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    fn busy(&self) {
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    fn idle(&self) {
        self.since_ms.store(self.now_ms(), Ordering::Relaxed);
        self.phase.store(IDLE, Ordering::Relaxed);
    }

    /// Bytes arrived: an idle connection starts its next request's head.
    fn bytes_read(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE {
            self.since_ms.store(self.now_ms(), Ordering::Relaxed);
            self.phase.store(HEAD, Ordering::Relaxed);
        }
    }

    /// When the connection is to be closed, unless it changes phase first (busy: never).
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let since = self.opened + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        match self.phase.load(Ordering::Relaxed) {
            HEAD => Some(since + limits.header_timeout),
            IDLE => Some(since + limits.idle_timeout),
            _ => None,
        }
    }
}

/// The socket, telling its [`Phase`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    phase: Arc<Phase>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.phase.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

type Served = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Serves one connection until it closes, times out, or the daemon stops.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    _permit: tokio::sync::OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let phase = Arc::new(Phase::new());
    let io = TokioIo::new(Watched {
        stream,
        phase: phase.clone(),
    });
    let on_request = phase.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| -> Served {
        on_request.busy();
        let phase = on_request.clone();
        let mut router = router.clone();
        Box::pin(async move {
            let response = match oversized(&req, limits.max_body_bytes) {
                Some(refused) => refused,
                None => {
                    let req = req.map(Body::new);
                    match tower_service::Service::call(&mut router, req).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    }
                }
            };
            phase.idle();
            Ok(response)
        })
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // The phases above time the head; hyper's own timer would also cut idle keep-alives.
    http.header_read_timeout(None);
    let serving = http.serve_connection(io, service);
    tokio::pin!(serving);
    let mut stopping = *stopped.borrow();
    if stopping {
        serving.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = phase.deadline(&limits);
        let check_at = deadline.unwrap_or_else(|| Instant::now() + limits.header_timeout);
        tokio::select! {
            done = serving.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = tokio::time::sleep_until(check_at.into()) => {
                // The phase may have moved on meanwhile; only a deadline still passed closes.
                if phase.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!("connection timed out; closing it");
                    return;
                }
            }
            _ = stopped.changed(), if !stopping => {
                stopping = true;
                serving.as_mut().graceful_shutdown();
            }
        }
    }
}

/// 413 for a request whose `Content-Length` is above the limit, before any of it is read.
fn oversized(req: &Request<Incoming>, limit: usize) -> Option<Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    (declared > limit as u64)
        .then(|| closing((StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response()))
}

/// Tells the client (and hyper) that the connection closes after this response: its body was
/// not read to the end, so the connection cannot carry another request.
fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A request body read in full within `body_timeout_secs` (408 otherwise) and within
/// `max_body_bytes` (413 otherwise).
pub struct TimedBody(pub Bytes);

impl FromRequest<Arc<App>> for TimedBody {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let wait = Duration::from_secs(app.config.server.body_timeout_secs.max(1));
        match tokio::time::timeout(wait, Bytes::from_request(req, app)).await {
            Ok(Ok(body)) => Ok(TimedBody(body)),
            Ok(Err(refused)) => Err(closing(refused.into_response())),
            Err(_) => Err(closing(
                (StatusCode::REQUEST_TIMEOUT, "body not received in time").into_response(),
            )),
        }
    }
}
