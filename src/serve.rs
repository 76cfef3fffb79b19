//! The accept loop: how TCP connections become HTTP/1.1 connections to the router, with the
//! limits that keep slow or many clients from taking the server down.
//!
//! `axum::serve` has no header read timeout and no cap on connections: a client that opens a
//! connection and sends half a request line holds a socket and a task for as long as it likes,
//! and a few hundred of them exhaust the process's file descriptors, after which nothing is
//! accepted, `/livez` included. This loop adds, as the hardened servers do (nginx's
//! `client_header_timeout` and `limit_conn`):
//! - a header read timeout ([`ConnectionLimits::header_timeout`]), which also bounds an idle
//!   keep-alive connection (hyper arms it while waiting for the next request's head);
//! - a cap on open connections, and a smaller cap per client address, so one address cannot take
//!   every slot;
//! - graceful refusal over the caps: a connection accepted past a cap is answered at once with
//!   503, code `TOO_MANY_CONNECTIONS`, `Connection: close` (never left to time out); the health
//!   endpoints `/livez` and `/readyz` are still answered on such a connection, so an orchestrator
//!   does not restart a server that is merely busy. Refusals in flight are capped too; past that
//!   the socket is closed unanswered;
//! - an answer given before the request body was read says `Connection: close` (see [`route`]);
//! - accept errors (out of file descriptors) back off instead of spinning.
//!
//! The body read deadline lives in `http::layers::read_body` (it needs the request's limits), and the
//! request time limit in the GraphQL handler.
//!
//! Error policy: nothing here fails a request with an error of its own; connection-level
//! problems are logged at debug level (they are the client's) and accept failures at warn.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};

/// The connection limits of [`serve`] (see `crate::config::LimitArgs` for the flags).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's head (request line and headers), from the connection's
    /// first byte or from the end of the previous response on a keep-alive connection.
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections open at once from one client address.
    pub max_per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_per_address: 256,
        }
    }
}

impl ConnectionLimits {
    /// The limits, with the connection cap lowered to what the process's open-file limit
    /// allows (a cap above it would be reached by `accept` failing instead, with no refusal
    /// sent). Some descriptors are kept for the database, the log and the refusals themselves.
    pub fn within_file_limit(self) -> ConnectionLimits {
        let Some(files) = open_file_limit() else {
            return self;
        };
        let room =
            usize::try_from(files.saturating_sub(RESERVED_FILES).max(8)).unwrap_or(usize::MAX);
        if self.max_connections <= room {
            return self;
        }
        tracing::warn!(
            max_connections = self.max_connections,
            open_file_limit = files,
            "max_connections lowered to {room} to fit the open-file limit (raise it with `ulimit -n`)"
        );
        // One address may not take every slot of a lowered cap either: a quarter stays for
        // the others (the health checker among them).
        ConnectionLimits {
            max_connections: room,
            max_per_address: self.max_per_address.min(room - room / 4).max(1),
            ..self
        }
    }
}

/// File descriptors kept out of the connection cap: pooled database connections, the SQLite
/// file and its journal, the listener, logs and the refusals in flight.
const RESERVED_FILES: u64 = 64 + MAX_REFUSALS as u64;

/// Refusals being written at once; past this a connection over the cap is closed unanswered.
const MAX_REFUSALS: usize = 32;

/// How long a refused connection may take to send its request head and read the refusal. Short:
/// a client that means it sends its head in one packet, and a slow one must not hold the few
/// refusal places the health checks need.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// The soft `RLIMIT_NOFILE` of this process, where the platform tells it.
fn open_file_limit() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own and reads nothing else.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        if rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY {
            return Some(limit.rlim_cur);
        }
    }
    None
}

/// Open connections, in all and per address. A [`Slot`] holds one place and frees it on drop.
#[derive(Default)]
struct Occupancy {
    total: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    refusals: AtomicUsize,
}

/// One connection's place in [`Occupancy`].
struct Slot {
    occupancy: Arc<Occupancy>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.occupancy.total.fetch_sub(1, Ordering::AcqRel);
        let mut map = self
            .occupancy
            .per_address
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(n) = map.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.address);
            }
        }
    }
}

/// Why a connection was not given a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    /// The server's cap.
    Total,
    /// The client address's cap.
    Address,
}

impl Occupancy {
    /// A slot for a connection from `address`, unless a cap is reached.
    fn take(self: &Arc<Self>, address: IpAddr, limits: &ConnectionLimits) -> Result<Slot, Over> {
        let mut map = self
            .per_address
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.total.load(Ordering::Acquire) >= limits.max_connections {
            return Err(Over::Total);
        }
        let n = map.entry(address).or_insert(0);
        if *n >= limits.max_per_address {
            return Err(Over::Address);
        }
        *n += 1;
        self.total.fetch_add(1, Ordering::AcqRel);
        Ok(Slot {
            occupancy: self.clone(),
            address,
        })
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open connections finish
/// their requests (graceful shutdown) and returns.
///
/// At the signal, connections the kernel completed but the loop had not yet accepted are taken
/// from the listener's backlog and served (closing the listener would reset them), and
/// connections taken whose first request has not reached the router get up to
/// [`FIRST_REQUEST_GRACE`] for it: hyper's graceful shutdown closes a connection with no request
/// in flight as idle, so a request already sent on a just-accepted connection would otherwise
/// be dropped unread, and its client could not tell it from a lost write.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = limits.within_file_limit();
    let occupancy = Arc::new(Occupancy::default());
    let unstarted = Arc::new(AtomicUsize::new(0));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let admit = |stream: TcpStream, peer: SocketAddr| match occupancy.take(peer.ip(), &limits) {
        Ok(slot) => {
            let awaiting = Arc::new(Awaiting::new(&unstarted));
            let connection =
                builder.serve_connection(TokioIo::new(stream), service(&router, peer, awaiting));
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                drop(slot);
            });
        }
        Err(over) => refuse(stream, peer, over, &router, &occupancy, &limits),
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and the like: wait for connections to close instead of spinning.
                    tracing::warn!(error = %e, "accept failed; pausing new connections briefly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        admit(stream, peer);
    }
    for (stream, peer) in backlog(listener) {
        admit(stream, peer);
    }
    let deadline = tokio::time::Instant::now() + FIRST_REQUEST_GRACE;
    while unstarted.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    graceful.shutdown().await;
    Ok(())
}

/// How long a shutdown waits for the first request of connections already accepted (see
/// [`serve`]). A client that connected and sent nothing for this long is closed as idle.
const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(1);

/// Most connections taken from the backlog at shutdown: a flood of new connections cannot keep
/// the server from closing its listener.
const MAX_BACKLOG: usize = 1024;

/// The connections waiting in `listener`'s backlog, taken without waiting (the listener is
/// closed when this returns, and later connections are refused by the kernel).
fn backlog(listener: TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    let mut out = Vec::new();
    // Through std: tokio's accept waits for the reactor to report readiness, which a
    // connection completed a moment ago may not have yet; the socket is non-blocking already.
    let Ok(listener) = listener.into_std() else {
        return out;
    };
    while out.len() < MAX_BACKLOG {
        match listener.accept() {
            Ok((stream, peer)) => match TcpStream::from_std(stream) {
                Ok(stream) => out.push((stream, peer)),
                Err(e) => tracing::debug!(error = %e, %peer, "a backlog connection was dropped"),
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    out
}

/// One connection counted in `unstarted` until its first request reaches the router or the
/// connection ends (see [`serve`]).
struct Awaiting {
    unstarted: Arc<AtomicUsize>,
    done: AtomicBool,
}

impl Awaiting {
    fn new(unstarted: &Arc<AtomicUsize>) -> Awaiting {
        unstarted.fetch_add(1, Ordering::AcqRel);
        Awaiting {
            unstarted: unstarted.clone(),
            done: AtomicBool::new(false),
        }
    }

    fn started(&self) {
        if !self.done.swap(true, Ordering::AcqRel) {
            self.unstarted.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Awaiting {
    fn drop(&mut self) {
        self.started();
    }
}

/// The router as a hyper service for one connection (see [`route`]).
fn service(
    router: &Router,
    peer: SocketAddr,
    awaiting: Arc<Awaiting>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    let router = router.clone();
    hyper::service::service_fn(move |req| {
        awaiting.started();
        route(router.clone(), peer, req)
    })
}

/// One request through the router, with the peer address in its extensions (the per-address
/// rate limit reads it as `ConnectInfo`).
///
/// An answer given before the request's body was read to its end (a rate-limit refusal, a body
/// over the size limit, a body that stopped arriving) says `Connection: close`: the unread rest
/// of the body is still on the connection, hyper will close it rather than read it, and a
/// keep-alive client that was not told would send its next request into a closed socket.
async fn route(
    router: Router,
    peer: SocketAddr,
    mut req: hyper::Request<Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    use hyper::body::Body as _;
    use tower::ServiceExt;
    req.extensions_mut().insert(ConnectInfo(peer));
    let had_body = !req.body().is_end_stream();
    let read = Arc::new(AtomicBool::new(false));
    let req = req.map(|inner| {
        axum::body::Body::new(Tracked {
            inner,
            read: read.clone(),
        })
    });
    let mut res = router.oneshot(req).await?;
    if had_body && !read.load(Ordering::Acquire) {
        res.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    Ok(res)
}

/// A request body that notes when it has been read to its end (see [`route`]).
struct Tracked {
    inner: Incoming,
    read: Arc<AtomicBool>,
}

impl hyper::body::Body for Tracked {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Answers a connection over a cap: the health endpoints as usual, anything else 503
/// `TOO_MANY_CONNECTIONS`; then closes it. Bounded in time and in number.
fn refuse(
    stream: TcpStream,
    peer: SocketAddr,
    over: Over,
    router: &Router,
    occupancy: &Arc<Occupancy>,
    limits: &ConnectionLimits,
) {
    if occupancy.refusals.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSALS {
        occupancy.refusals.fetch_sub(1, Ordering::AcqRel);
        tracing::debug!(%peer, "over the connection cap with refusals in flight: closed");
        return;
    }
    let message = match over {
        Over::Total => format!(
            "the server has its maximum of {} connections open; retry shortly",
            limits.max_connections
        ),
        Over::Address => format!(
            "this client address has its maximum of {} connections open; close some and retry",
            limits.max_per_address
        ),
    };
    tracing::info!(%peer, ?over, "connection refused: over the cap");
    let router = router.clone();
    let occupancy = occupancy.clone();
    let refusal = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (router, message) = (router.clone(), message.clone());
        async move {
            if matches!(req.uri().path(), "/livez" | "/readyz") {
                return route(router, peer, req).await;
            }
            Ok(too_many_connections(&message))
        }
    });
    tokio::spawn(async move {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(REFUSAL_TIMEOUT)
            .keep_alive(false);
        let connection = builder.serve_connection(TokioIo::new(stream), refusal);
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT * 2, connection).await;
        occupancy.refusals.fetch_sub(1, Ordering::AcqRel);
    });
}

/// The refusal: 503 with a GraphQL-shaped error, `Retry-After` and `Connection: close`.
fn too_many_connections(message: &str) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let body = serde_json::json!({
        "errors": [{"message": message, "extensions": {"code": crate::error::ErrorCode::TooManyConnections.as_str()}}]
    });
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(1),
            max_connections: total,
            max_per_address: per_address,
        }
    }

    #[test]
    fn slots_are_capped_per_address_and_in_all_and_freed_on_drop() {
        let occupancy = Arc::new(Occupancy::default());
        let l = limits(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = occupancy.take(a, &l).expect("first from a");
        let _a2 = occupancy.take(a, &l).expect("second from a");
        assert_eq!(occupancy.take(a, &l).err(), Some(Over::Address));
        let _b1 = occupancy.take(b, &l).expect("b has its own allowance");
        assert_eq!(occupancy.take(b, &l).err(), Some(Over::Total));
        drop(a1);
        assert!(occupancy.take(b, &l).is_ok(), "a freed slot is free again");
    }

    #[test]
    fn the_map_forgets_addresses_without_connections() {
        let occupancy = Arc::new(Occupancy::default());
        let l = limits(10, 10);
        for i in 0..5u8 {
            drop(occupancy.take([10, 0, 0, i].into(), &l).expect("slot"));
        }
        assert_eq!(occupancy.total.load(Ordering::Acquire), 0);
        assert!(occupancy.per_address.lock().expect("lock").is_empty());
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        let l = limits(usize::MAX / 2, usize::MAX / 2).within_file_limit();
        if let Some(files) = open_file_limit() {
            assert!((l.max_connections as u64) < files, "{l:?} vs {files}");
            assert!(
                l.max_per_address < l.max_connections,
                "one address never takes every slot of a lowered cap: {l:?}"
            );
        }
    }
}
