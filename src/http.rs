//! The HTTP surface: `POST /graphql` (and `GET /graphql?query=…` for reads, cacheable),
//! GraphiQL on `GET /graphql` without a query, the dashboard at `GET /` and its assets under
//! `/assets/` (embedded, see [`crate::web`]), the probes `GET /livez`, `/readyz` and `/healthz`,
//! `GET /metrics` (Prometheus, see [`crate::observe`]), the bulk exports
//! `GET /export/observations.csv` and `GET /export/observations.sdmx.csv`, the SDMX REST
//! resources `GET /sdmx/structure/…` and `GET /sdmx/data/…` and the JSON-stat dataset
//! `GET /export/dataset.jsonstat`, the Model Context Protocol at `POST`/`GET /mcp` (see
//! [`crate::mcp`]) and the GraphQL subscriptions over WebSocket at `/graphql/ws`
//! (graphql-transport-ws; see [`crate::notify`]). Handlers are thin: the GraphQL handler attaches the request
//! context (fresh loaders, the bearer token, a per-request statement counter); the export
//! handlers parse one set of filter parameters ([`ExportParams`]), resolve it, and stream or
//! send what [`crate::export`] writes.
//!
//! Around every request: a request id (the client's `x-request-id` if sane, else a new one),
//! returned as a header and recorded in the request's log span; a per-route latency histogram;
//! on `/graphql`, `/mcp` and the exports, the rate limits ([`RateLimits`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::BatchRequest;
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tower_http::request_id::{PropagateRequestIdLayer, RequestId, SetRequestIdLayer};

use crate::analytics::FilterCodes;
use crate::cache::{self, CacheLimits, ResponseCache};
use crate::db::queries::ObservationQuery;
use crate::db::version::Lookup;
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::gate::{Endpoint, Incoming, IncomingBatch};
use crate::graphql::limits::{InputLimits, METHOD_NOT_ALLOWED};
use crate::graphql::{context, SchemaOptions};
use crate::notify::Notifier;
use crate::observe::{sane_request_id, MakeId, Metrics};
pub use crate::ws::NotifyLimits;

/// The server's request limits (see [`crate::config::LimitArgs`] for the flags).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Time limit of one GraphQL request (a batch counts as one).
    pub request_timeout: Duration,
    /// Most operations in one batched request.
    pub max_batch: usize,
    /// Most exports (CSV, SDMX, JSON-stat) running at once.
    pub max_exports: usize,
    /// Most observations an SDMX-JSON data message or a JSON-stat dataset holds: they are
    /// built in memory (the SDMX-CSV export streams any number).
    pub max_message_observations: usize,
    /// Bounds on string and list values in read documents.
    pub input: InputLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch: 10,
            max_exports: 4,
            max_message_observations: 50_000,
            input: InputLimits::default(),
        }
    }
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, Default)]
pub enum Cors {
    /// Any origin (the default: writes authenticate with a bearer token, never a cookie, so a
    /// page on another origin can do nothing a direct request could not).
    #[default]
    Any,
    /// Only these (`scheme://host[:port]`); others get no CORS headers, so browsers refuse.
    Origins(Vec<HeaderValue>),
}

/// Rate limits, in requests per minute (0: none). A request counts against its client
/// address; one with a bearer token also against its key, so random tokens cannot escape the
/// address's limit.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Per client address.
    pub per_address_per_minute: u32,
    /// Per API key (bearer token).
    pub per_key_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` entries are trusted (0: the header is ignored).
    pub trusted_proxies: usize,
}

impl Default for RateLimits {
    /// No limits: what an embedded router (the tests, a library user) starts with. `serve`
    /// turns them on by default (see [`crate::config::RateArgs`]).
    fn default() -> Self {
        RateLimits {
            per_address_per_minute: 0,
            per_key_per_minute: 0,
            trusted_proxies: 0,
        }
    }
}

/// Everything the router is configured with (see [`crate::config::ServeArgs`]).
#[derive(Debug, Clone)]
pub struct Options {
    /// Request limits.
    pub limits: Limits,
    /// Allowed browser origins.
    pub cors: Cors,
    /// Whether introspection is answered.
    pub introspection: bool,
    /// Whether the web pages (dashboard, GraphiQL, review) and their assets are served.
    pub pages: bool,
    /// Rate limits.
    pub rate: RateLimits,
    /// The response cache and GET ETags (see [`crate::cache`]); `None`: off.
    pub response_cache: Option<CacheLimits>,
    /// The caps of `/graphql/ws`.
    pub notify: NotifyLimits,
}

impl Default for Options {
    /// The cache is off for an embedded router (tests, library users): `serve` turns it on by
    /// default (see [`crate::config::ServeArgs`]).
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            cors: Cors::Any,
            introspection: true,
            pages: true,
            rate: RateLimits::default(),
            response_cache: None,
            notify: NotifyLimits::DEFAULT,
        }
    }
}

/// `Cache-Control` of a successful `GET /graphql` read: the data changes only on imports, and
/// a minute of staleness is what a dashboard behind a caching proxy can live with.
pub const GET_CACHE_CONTROL: &str = "public, max-age=60";

/// How often (in checks) the rate limiters forget keys that are back to a full quota, so
/// the key tables stay as small as the set of recently active clients.
const RATE_SWEEP_EVERY: u64 = 4096;

/// The two keyed limiters.
struct RateLimiter {
    limits: RateLimits,
    by_address: Option<DefaultKeyedRateLimiter<Option<IpAddr>>>,
    by_key: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    checks: AtomicU64,
}

impl RateLimiter {
    fn new(limits: RateLimits) -> RateLimiter {
        let quota = |per_minute: u32| NonZeroU32::new(per_minute).map(Quota::per_minute);
        RateLimiter {
            limits,
            by_address: quota(limits.per_address_per_minute).map(governor::RateLimiter::keyed),
            by_key: quota(limits.per_key_per_minute).map(governor::RateLimiter::keyed),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err((which limit, seconds to wait))` when a limit refuses the request.
    fn check(
        &self,
        address: Option<IpAddr>,
        token: Option<&str>,
    ) -> Result<(), (&'static str, u64)> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RATE_SWEEP_EVERY == RATE_SWEEP_EVERY - 1 {
            for l in self.by_address.iter() {
                l.retain_recent();
                l.shrink_to_fit();
            }
            for l in self.by_key.iter() {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        let wait = |e: governor::NotUntil<_>| {
            let d = e.wait_time_from(DefaultClock::default().now());
            // Retry-After is whole seconds; rounding down would invite a retry that fails.
            d.as_secs() + u64::from(d.subsec_nanos() > 0)
        };
        // An IPv6 client usually holds a whole /64 and can take a new address per request:
        // the limit counts the /64, as a v4 address counts one host.
        let address = address.map(|a| match a {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
            v4 => v4,
        });
        if let Some(l) = &self.by_address {
            l.check_key(&address)
                .map_err(|e| ("address", wait(e).max(1)))?;
        }
        if let (Some(l), Some(token)) = (&self.by_key, token) {
            // Keyed by the token's hash: the table never holds a usable secret.
            use sha2::Digest;
            let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
            l.check_key(&key).map_err(|e| ("key", wait(e).max(1)))?;
        }
        Ok(())
    }

    /// The client's address: the connection's, or with trusted proxies the entry of
    /// `X-Forwarded-For` that the outermost trusted proxy wrote (entries further left were
    /// written by the client and prove nothing).
    fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let n = self.limits.trusted_proxies;
        if n == 0 {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        entries
            .len()
            .checked_sub(n)
            .and_then(|i| entries.get(i))
            .and_then(|e| e.parse::<IpAddr>().ok())
            .or(peer)
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
    /// The schema behind its gate: every GraphQL request is executed through it.
    endpoint: Arc<Endpoint>,
    limits: Limits,
    metrics: Metrics,
    rate: Arc<RateLimiter>,
    pages: bool,
    /// One permit per export being streamed: a stalled client holds a blocking-pool thread
    /// (the export waits for it to read), so their number is bounded.
    exports: Arc<tokio::sync::Semaphore>,
    /// One permit: the probes (`/readyz`, `/healthz`) are unauthenticated and unlimited, so at
    /// most one of them at a time uses a database connection; a flood of probes queues here
    /// instead of taking the pool from queries.
    probes: Arc<tokio::sync::Semaphore>,
    /// The response cache, when on.
    cache: Option<Arc<ResponseCache>>,
    /// The caps of `/graphql/ws`.
    notify: NotifyLimits,
    /// One permit per open `/graphql/ws` connection.
    ws_slots: Arc<tokio::sync::Semaphore>,
}

/// GraphQL answers this large or larger are gzipped for clients that accept it.
const GZIP_GRAPHQL_ABOVE: u16 = 8 * 1024;

/// Builds the router over a database handle, with the default options.
pub fn router(db: Db) -> Router {
    router_with_options(db, Options::default())
}

/// Builds the router over a database handle with other limits (other options default).
pub fn router_with(db: Db, limits: Limits) -> Router {
    router_with_options(
        db,
        Options {
            limits,
            ..Options::default()
        },
    )
}

/// Builds the router over a database handle.
pub fn router_with_options(db: Db, options: Options) -> Router {
    router_and_notifier(db, options).0
}

/// Builds the router over a database handle, and returns the event channel its writes send
/// on (see [`crate::notify`]; the webhook dispatcher receives from it).
pub fn router_and_notifier(db: Db, options: Options) -> (Router, Notifier) {
    let metrics = Metrics::new();
    let notifier = Notifier::new(metrics.clone());
    let endpoint = Endpoint::with_notifier(
        Some(db.clone()),
        SchemaOptions {
            input: options.limits.input,
            introspection: options.introspection,
        },
        Some(notifier.clone()),
    );
    let state = AppState {
        db,
        endpoint: Arc::new(endpoint),
        limits: options.limits,
        metrics,
        rate: Arc::new(RateLimiter::new(options.rate)),
        pages: options.pages,
        exports: Arc::new(tokio::sync::Semaphore::new(
            options.limits.max_exports.max(1),
        )),
        probes: Arc::new(tokio::sync::Semaphore::new(1)),
        cache: options
            .response_cache
            .map(|l| Arc::new(ResponseCache::new(l))),
        notify: options.notify,
        ws_slots: Arc::new(tokio::sync::Semaphore::new(
            options.notify.max_ws_connections.max(1),
        )),
    };
    state
        .metrics
        .set_limit("max_ws_connections", options.notify.max_ws_connections);
    state.metrics.set_limit(
        "max_subscriptions_per_connection",
        options.notify.max_subscriptions_per_connection,
    );
    if state.cache.is_some() {
        // The cache's data version, known without a round trip while this watches.
        state.db.watch_data_version();
    }
    // The embedded pages and assets are compressed, and GraphQL answers of 8 KiB or more (a
    // dashboard's catalogue is about 180 KB of JSON, 20 KB gzipped: on a phone's slow link
    // that is seconds); smaller answers are sent as they are, the compression would cost more
    // than it saves. The CSV export streams as it is written.
    let gzip = tower_http::compression::CompressionLayer::new();
    use tower_http::compression::Predicate as _;
    let gzip_large = tower_http::compression::CompressionLayer::new().compress_when(
        tower_http::compression::predicate::SizeAbove::new(GZIP_GRAPHQL_ABOVE)
            .and(tower_http::compression::predicate::NotForContentType::GRPC),
    );
    // The MCP tools execute through the same endpoint, so they share its limits; the route
    // below shares the rate limits and latency metric of the other API routes.
    let mcp_service = crate::mcp::http_service(
        crate::mcp::McpContext {
            endpoint: state.endpoint.clone(),
            db: state.db.clone(),
            metrics: state.metrics.clone(),
            timeout: options.limits.request_timeout,
        },
        match &options.cors {
            Cors::Any => None,
            Cors::Origins(list) => Some(
                list.iter()
                    .filter_map(|o| o.to_str().ok().map(str::to_string))
                    .collect(),
            ),
        },
        options.limits.body_bytes,
    );
    let limited = Router::new()
        .route("/graphql", get(graphql_get).post(graphql).layer(gzip_large))
        .route("/graphql/ws", get(graphql_ws))
        .route("/export/observations.csv", get(export_csv))
        .route("/export/observations.sdmx.csv", get(export_sdmx_csv))
        .route("/export/dataset.jsonstat", get(export_jsonstat))
        .route("/sdmx/structure/{*path}", get(sdmx_structure))
        .route("/sdmx/data/{*path}", get(sdmx_data))
        .route_service("/mcp", mcp_service)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit,
        ));
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text));
    if options.pages {
        app = app
            .route("/", get(asset).layer(gzip.clone()))
            .route("/review", get(asset).layer(gzip.clone()))
            .route("/embed", get(asset).layer(gzip.clone()))
            .route("/favicon.ico", get(asset))
            .route("/assets/{*path}", get(asset).layer(gzip));
    }
    let cors = tower_http::cors::CorsLayer::new()
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::DELETE,
        ])
        .allow_headers([
            CONTENT_TYPE,
            AUTHORIZATION,
            X_REQUEST_ID,
            MCP_SESSION_ID,
            MCP_PROTOCOL_VERSION,
        ])
        .expose_headers([
            CONTENT_DISPOSITION,
            X_REQUEST_ID,
            RETRY_AFTER,
            MCP_SESSION_ID,
        ]);
    let cors = match options.cors {
        Cors::Any => cors.allow_origin(tower_http::cors::Any),
        Cors::Origins(list) => cors.allow_origin(list),
    };
    let router = app
        .merge(limited)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            time_route,
        ))
        .with_state(state)
        .layer(cors)
        // Outermost last: the id is cleaned, set, put in the log span, and copied to the
        // response, whatever the inner layers answer.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(log_response)
                // The "answered" line has the status; causes are logged where they happen.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeId))
        .layer(axum::middleware::map_request(drop_insane_request_id));
    (router, notifier)
}

/// Subscriptions over WebSocket (graphql-transport-ws, and the older graphql-ws protocol that
/// async-graphql also speaks), served by [`crate::ws`] with its caps. The upgrade passes the
/// rate limits like any request, and is refused with 503 `TOO_MANY_CONNECTIONS` when
/// `max_ws_connections` are open; after it, the connection holds no database connection and no
/// writer ever waits for it (see [`crate::notify`]).
async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The subprotocol the client offers first among those async-graphql speaks.
    let protocol = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| {
            offered.split(',').find_map(|p| {
                p.trim()
                    .parse::<async_graphql::http::WebSocketProtocols>()
                    .ok()
            })
        });
    let Some(protocol) = protocol else {
        return graphql_error(ApiError::BadRequest(
            "no supported WebSocket subprotocol: offer graphql-transport-ws (or graphql-ws)".into(),
        ));
    };
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        state.metrics.subscription_refused("ws_connections");
        let max = state.notify.max_ws_connections;
        let body = serde_json::json!({"errors": [{
            "message": format!("at most {max} WebSocket connections may be open on /graphql/ws; retry later"),
            "extensions": {"code": "TOO_MANY_CONNECTIONS"},
        }]});
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, HeaderValue::from_static("5"))],
            Json(body),
        )
            .into_response();
    };
    let executor = crate::ws::Subscriptions::new(
        state.endpoint.clone(),
        state.notify.max_subscriptions_per_connection,
        state.metrics.clone(),
    );
    let metrics = state.metrics.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _open = metrics.ws_connection_opened();
            crate::ws::serve(socket, executor, protocol).await;
            drop(slot);
        })
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The streamable HTTP transport's session header (`/mcp`), which browser clients must send
/// and read.
const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// The MCP protocol version header of every request after the first.
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// Removes a client's `x-request-id` that [`sane_request_id`] refuses, so a fresh one is made.
async fn drop_insane_request_id(mut req: Request) -> Request {
    let insane = req
        .headers()
        .get_all(&X_REQUEST_ID)
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !sane_request_id(v));
    if insane {
        req.headers_mut().remove(&X_REQUEST_ID);
    }
    req
}

/// The request's span: every log line of the request carries its id.
fn request_span(req: &axum::http::Request<Body>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}

/// One line per answered request (the query string is left out: it may hold a document).
fn log_response(res: &Response, latency: Duration, _span: &tracing::Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "answered"
    );
}

/// Observes every matched route's latency.
async fn time_route(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let res = next.run(req).await;
    state
        .metrics
        .http_answered(&route, res.status().as_u16(), started.elapsed());
    res
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Applies the rate limits; a refusal is 429 with `Retry-After` and code `RATE_LIMITED`.
async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let address = state.rate.client_address(req.headers(), peer);
    let token = bearer(req.headers());
    match state.rate.check(address, token.as_deref()) {
        Ok(()) => next.run(req).await,
        Err((which, seconds)) => {
            state.metrics.rate_limited(which);
            if req.uri().path() == "/graphql" {
                state
                    .metrics
                    .graphql_answered("unparsed", "RATE_LIMITED", Duration::ZERO, None);
            }
            let per_minute = match which {
                "key" => state.rate.limits.per_key_per_minute,
                _ => state.rate.limits.per_address_per_minute,
            };
            let message =
                format!(
                "rate limit: at most {per_minute} requests per minute per {}; retry in {seconds} s",
                if which == "key" { "API key" } else { "client address" }
            );
            if req.uri().path() == "/mcp" {
                // An MCP client reads JSON-RPC: the refusal names the request it answers. The
                // body is read within the usual size and time limits; one that cannot be read
                // is answered with a null id.
                let (parts, body) = req.into_parts();
                let id = match read_body(&parts.headers, body, &state.limits).await {
                    Ok(bytes) => crate::mcp::refusal::request_id(&bytes),
                    Err(_) => serde_json::Value::Null,
                };
                tracing::info!(
                    limit = which,
                    retry_after = seconds,
                    "mcp request rate limited"
                );
                return crate::mcp::refusal::rate_limited(id, &message, seconds);
            }
            let e = ApiError::RateLimited {
                message,
                retry_after: seconds,
            };
            let mut res = graphql_error(e);
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
            res
        }
    }
}

/// A GraphQL-shaped error response (`{"errors": [{message, extensions: {code}}]}`) for what
/// fails before the schema runs: the body, the batch, the time limit.
fn graphql_error(e: ApiError) -> Response {
    e.log();
    let mut extensions = serde_json::json!({"code": e.code()});
    if let ApiError::RateLimited { retry_after, .. } = &e {
        extensions["retryAfter"] = serde_json::json!(retry_after);
    }
    let body = serde_json::json!({
        "errors": [{"message": e.to_string(), "extensions": extensions}]
    });
    (e.status(), Json(body)).into_response()
}

/// Reads the body up to the limit, within the request's time limit. A declared length over the
/// limit is refused before reading; a body without one (chunked) is refused as soon as it passes
/// the limit, so a client can never make the server hold more than `limit` bytes of it. A body
/// that does not arrive in time is `TIMEOUT` (a client that declares a length and sends nothing
/// would otherwise hold its connection for as long as it likes: the request limit only starts
/// once the body is read); a body that is not valid HTTP (a malformed chunk) is `BAD_REQUEST`.
async fn read_body(headers: &HeaderMap, body: Body, limits: &Limits) -> Result<Bytes, ApiError> {
    let limit = limits.body_bytes;
    let too_large = || ApiError::TooLarge(format!("the request body is larger than {limit} bytes"));
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(limits.request_timeout, http_body_util::BodyExt::collect(limited))
        .await
    {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => {
            // A malformed body (bad chunk framing, a length that does not match) or a client
            // that hung up mid-body; in the second case nobody reads the answer.
            tracing::debug!(error = %e, "request body not read");
            Err(ApiError::BadRequest(
                "the request body could not be read: it is not valid HTTP (malformed chunked encoding, or shorter than its Content-Length)".into(),
            ))
        }
        Err(_) => Err(ApiError::Timeout(format!(
            "the request body did not arrive within the server's time limit of {} ms; nothing was done",
            limits.request_timeout.as_millis()
        ))),
    }
}

/// What the response cache says of a request (see [`crate::cache`]).
enum Cached {
    /// Not consulted: the cache is off, the request has a key or is a batch, or the version
    /// could not be read (the request then runs and reports its own error).
    Bypass,
    /// The answer, stored under this key.
    Hit(Bytes, cache::Key),
    /// Not stored yet; the answer goes under this key (computed at this data version) if it is
    /// a clean query answer.
    Miss(cache::Key, i64),
}

impl Cached {
    fn label(&self) -> &'static str {
        match self {
            Cached::Bypass => "bypass",
            Cached::Hit(..) => "hit",
            Cached::Miss(..) => "miss",
        }
    }

    fn key(&self) -> Option<&cache::Key> {
        match self {
            Cached::Bypass => None,
            Cached::Hit(_, k) | Cached::Miss(k, _) => Some(k),
        }
    }
}

/// Looks an anonymous request up in the cache. The data version comes from the process
/// ([`crate::db::version`]) while a watcher keeps it current: no statement. Otherwise it is
/// read (one statement, on the blocking pool like every other) where reads go (the replica,
/// when there is one): only a document without a mutation is ever stored, and its answer comes
/// from there, so the key never runs ahead of the data it names.
async fn consult(state: &AppState, headers: &HeaderMap, r: &async_graphql::Request) -> Cached {
    let Some(store) = &state.cache else {
        return Cached::Bypass;
    };
    if headers.contains_key(AUTHORIZATION) || r.query.is_empty() {
        return Cached::Bypass;
    }
    let version = match state.db.data_version().lookup() {
        Lookup::Known(v) => v,
        Lookup::Read(ticket) => {
            let read = state
                .db
                .run_read(|c| {
                    crate::db::queries::data_version(c).map_err(crate::db::DbError::Query)
                })
                .await;
            match read {
                Ok(v) => {
                    state.db.data_version().learned(ticket, v);
                    v
                }
                Err(e) => {
                    tracing::debug!(error = %e, "data version not read; the request runs uncached");
                    return Cached::Bypass;
                }
            }
        }
    };
    let key = cache::key(version, r);
    match store.get(&key) {
        Some(body) => Cached::Hit(body, key),
        None => Cached::Miss(key, version),
    }
}

/// An answer from its serialized body (what a hit sends, and what a miss stores and sends).
fn json_answer(body: Bytes, cached: &'static str) -> Response {
    let mut res = Response::new(Body::from(body));
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    h.insert(cache::HEADER, HeaderValue::from_static(cached));
    res
}

/// Stores a clean answer of a query under `key` and sends it; anything else is sent as is.
fn answer(
    state: &AppState,
    cached: &Cached,
    query: Option<(String, Option<String>)>,
    response: async_graphql::BatchResponse,
) -> Response {
    if let (Some(store), Cached::Miss(key, version), Some((query, operation))) =
        (&state.cache, cached, query)
    {
        if response.is_ok() && cache::is_query(&query, operation.as_deref()) {
            if let Ok(body) = serde_json::to_vec(&response) {
                let body = Bytes::from(body);
                store.put(*key, *version, body.clone());
                return json_answer(body, "miss");
            }
        }
    }
    let mut res = GraphQLResponse::from(response).into_response();
    res.headers_mut()
        .insert(cache::HEADER, HeaderValue::from_static(cached.label()));
    res
}

/// The query text and operation name a miss needs to decide whether its answer is stored.
fn query_of(cached: &Cached, batch: &BatchRequest) -> Option<(String, Option<String>)> {
    match (cached, batch) {
        (Cached::Miss(..), BatchRequest::Single(r)) => {
            Some((r.query.clone(), r.operation_name.clone()))
        }
        _ => None,
    }
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let limits = state.limits;
    let refused = |e: ApiError| {
        state
            .metrics
            .graphql_answered("unparsed", e.code(), started.elapsed(), None);
        graphql_error(e)
    };
    let bytes = match read_body(&headers, body, &limits).await {
        Ok(b) => b,
        Err(e) => return refused(e),
    };
    // One request object, or a JSON array of them (a batch). Decided on the first byte:
    // serde would also read `[]` as a request object with every field defaulted.
    let is_batch = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let parsed = if is_batch {
        serde_json::from_slice::<Vec<async_graphql::Request>>(&bytes).map(BatchRequest::Batch)
    } else {
        serde_json::from_slice::<async_graphql::Request>(&bytes).map(BatchRequest::Single)
    };
    let batch = match parsed {
        Ok(b) => b,
        Err(e) => {
            return refused(ApiError::BadRequest(format!(
                "the body is not a GraphQL request (a JSON object with `query`, or an array of them): {e}"
            )))
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if items.is_empty() || items.len() > limits.max_batch {
            return refused(ApiError::BadRequest(format!(
                "a batch holds 1 to {} requests; this one holds {}",
                limits.max_batch,
                items.len()
            )));
        }
    }
    let cached = match &batch {
        BatchRequest::Single(r) => consult(&state, &headers, r).await,
        BatchRequest::Batch(_) => Cached::Bypass,
    };
    if let (Cached::Hit(body, _), BatchRequest::Single(r)) = (&cached, &batch) {
        let op = state.metrics.operation_label(r.operation_name.as_deref());
        state
            .metrics
            .graphql_answered(&op, "OK", started.elapsed(), Some(0));
        return json_answer(body.clone(), "hit");
    }
    let query = query_of(&cached, &batch);
    // The token is only checked by guarded fields (reads stay open).
    let token = bearer(&headers);
    let (batch, counted) = attach_all(&state, batch, token, false);
    match tokio::time::timeout(limits.request_timeout, state.endpoint.execute_batch(batch)).await {
        Ok(response) => {
            record(&state.metrics, &counted, &response, started.elapsed());
            answer(&state, &cached, query, response)
        }
        // Dropping the execution stops it at its next await; a statement already running on
        // the blocking pool finishes (PostgreSQL's statement_timeout bounds it) and its result
        // is discarded. Writes are single transactions, so none is left half done.
        Err(_) => {
            for (op, n) in &counted {
                let n = n.load(Ordering::Relaxed);
                state
                    .metrics
                    .graphql_answered(op, "TIMEOUT", started.elapsed(), Some(n));
            }
            graphql_error(ApiError::Timeout(format!(
                "the request ran past the server's time limit of {} ms; a write it had started may still complete (each write is one transaction: all of it or none), so check before retrying one",
                limits.request_timeout.as_millis()
            )))
        }
    }
}

/// Each operation with its metric label and its statement counter.
type Counted = Vec<(String, Arc<AtomicU64>)>;

/// Attaches the request context to every operation of the batch, each with its own statement
/// counter (a per-request clone of the database handle); `read_only` for `GET` requests.
fn attach_all(
    state: &AppState,
    batch: BatchRequest,
    token: Option<String>,
    read_only: bool,
) -> (IncomingBatch, Counted) {
    let mut counted = Vec::new();
    let mut one = |r: async_graphql::Request| {
        let op = state.metrics.operation_label(r.operation_name.as_deref());
        let n = Arc::new(AtomicU64::new(0));
        counted.push((op, n.clone()));
        let db = state.db.for_request(n);
        Incoming {
            request: context::attach(r, &db, token.clone()),
            db,
            read_only,
        }
    };
    let batch = match batch {
        BatchRequest::Single(r) => IncomingBatch::Single(Box::new(one(r))),
        BatchRequest::Batch(rs) => IncomingBatch::Batch(rs.into_iter().map(&mut one).collect()),
    };
    (batch, counted)
}

/// The outcome code of one response: `OK`, or its first error's `extensions.code`.
fn outcome(r: &async_graphql::Response) -> String {
    match r.errors.first() {
        None => "OK".into(),
        Some(e) => match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
            _ => "UNKNOWN".into(),
        },
    }
}

/// Counts each operation of an answered batch (a batch's operations share its latency).
fn record(
    metrics: &Metrics,
    counted: &Counted,
    response: &async_graphql::BatchResponse,
    elapsed: Duration,
) {
    let responses: Vec<&async_graphql::Response> = match response {
        async_graphql::BatchResponse::Single(r) => vec![r],
        async_graphql::BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    for ((op, n), r) in counted.iter().zip(responses) {
        metrics.graphql_answered(op, &outcome(r), elapsed, Some(n.load(Ordering::Relaxed)));
    }
}

/// `GET /graphql`: with `query` (or a persisted query's hash in `extensions`), runs a read
/// and lets caches keep the answer; without, the GraphiQL page.
async fn graphql_get(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !params.contains_key("query") && !params.contains_key("extensions") {
        return if state.pages {
            asset(uri, headers).await
        } else {
            error_response(ApiError::NotFound {
                kind: "page",
                code: uri.path().to_string(),
            })
        };
    }
    let started = Instant::now();
    let json_param = |name: &str| -> Result<Option<serde_json::Value>, ApiError> {
        params
            .get(name)
            .map(|v| {
                serde_json::from_str(v).map_err(|e| {
                    ApiError::BadRequest(format!("the `{name}` parameter is not JSON: {e}"))
                })
            })
            .transpose()
    };
    let request = (|| {
        let mut r = async_graphql::Request::new(params.get("query").cloned().unwrap_or_default());
        r.operation_name = params.get("operationName").cloned();
        if let Some(v) = json_param("variables")? {
            r.variables = async_graphql::Variables::from_json(v);
        }
        if let Some(serde_json::Value::Object(ext)) = json_param("extensions")? {
            for (k, v) in ext {
                let v = async_graphql::Value::from_json(v).map_err(|e| {
                    ApiError::BadRequest(format!("the `extensions` parameter: {e}"))
                })?;
                r.extensions.insert(k, v);
            }
        }
        Ok::<_, ApiError>(r)
    })();
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            state
                .metrics
                .graphql_answered("unparsed", e.code(), started.elapsed(), None);
            return graphql_error(e);
        }
    };
    let cached = consult(&state, &headers, &request).await;
    let etag = cached.key().map(cache::etag);
    let not_modified = match (&etag, headers.get(axum::http::header::IF_NONE_MATCH)) {
        (Some(tag), Some(inm)) => inm.to_str().is_ok_and(|inm| cache::matches(inm, tag)),
        _ => false,
    };
    if not_modified || matches!(cached, Cached::Hit(..)) {
        let op = state
            .metrics
            .operation_label(request.operation_name.as_deref());
        state
            .metrics
            .graphql_answered(&op, "OK", started.elapsed(), Some(0));
        // A matching If-None-Match is answered from the version and the request alone.
        let mut res = match &cached {
            Cached::Hit(body, _) if !not_modified => json_answer(body.clone(), "hit"),
            _ => {
                let mut res = StatusCode::NOT_MODIFIED.into_response();
                res.headers_mut()
                    .insert(cache::HEADER, HeaderValue::from_static(cached.label()));
                res
            }
        };
        if let Some(tag) = etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
            res.headers_mut().insert(axum::http::header::ETAG, tag);
        }
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(GET_CACHE_CONTROL));
        return res;
    }
    let batch = BatchRequest::Single(request);
    let query = query_of(&cached, &batch);
    let (batch, counted) = attach_all(&state, batch, bearer(&headers), true);
    let limit = state.limits.request_timeout;
    let response = match tokio::time::timeout(limit, state.endpoint.execute_batch(batch)).await {
        Ok(r) => r,
        Err(_) => {
            for (op, n) in &counted {
                let n = n.load(Ordering::Relaxed);
                state
                    .metrics
                    .graphql_answered(op, "TIMEOUT", started.elapsed(), Some(n));
            }
            return graphql_error(ApiError::Timeout(format!(
                "the request ran past the server's time limit of {} ms; a write it had started may still complete (each write is one transaction: all of it or none), so check before retrying one",
                limit.as_millis()
            )));
        }
    };
    record(&state.metrics, &counted, &response, started.elapsed());
    let (ok, write_on_get) = match &response {
        async_graphql::BatchResponse::Single(r) => {
            (r.errors.is_empty(), outcome(r) == METHOD_NOT_ALLOWED)
        }
        async_graphql::BatchResponse::Batch(_) => (false, false),
    };
    let mut res = answer(&state, &cached, query, response);
    if ok {
        if let Some(tag) = etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
            res.headers_mut().insert(axum::http::header::ETAG, tag);
        }
    }
    if write_on_get {
        *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        res.headers_mut()
            .insert(axum::http::header::ALLOW, HeaderValue::from_static("POST"));
    }
    // Only a clean answer may be cached: an error (a timeout, the database away) is not the
    // data, and a request with a key may see what others may not.
    let cache = if ok && !headers.contains_key(AUTHORIZATION) {
        GET_CACHE_CONTROL
    } else {
        "no-store"
    };
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// The pages and their files, all embedded: nothing a page loads comes from another host.
async fn asset(uri: Uri, headers: HeaderMap) -> Response {
    match crate::web::find(uri.path()) {
        Some(a) => crate::web::respond(a, &headers),
        None => error_response(ApiError::NotFound {
            kind: "asset",
            code: uri.path().to_string(),
        }),
    }
}

/// Liveness: the process answers. Nothing else is checked, so an orchestrator does not
/// restart a server whose database is away (that is what `/readyz` reports).
async fn livez() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers and every migration this build embeds is applied; 503
/// otherwise, with the reason (no driver message: those stay in the log).
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // The semaphore is never closed; were it, the probe would simply run unguarded.
    let _probe = state.probes.acquire().await.ok();
    let db = state.db.clone();
    let pending = tokio::task::spawn_blocking(move || db.pending_migrations()).await;
    let unavailable = |reason: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
    };
    match pending {
        Ok(Ok(0)) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ready", "backend": state.db.backend().name()})),
        ),
        Ok(Ok(n)) => {
            tracing::warn!(pending = n, "not ready: migrations pending");
            unavailable(&format!("{n} migration(s) not applied"))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: database");
            unavailable("the database does not answer")
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness task failed");
            unavailable("internal error")
        }
    }
}

/// Prometheus text exposition.
async fn metrics_text(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state.db) {
        Ok(text) => ([(CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response(),
        Err(e) => error_response(ApiError::Internal(e.to_string())),
    }
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let _probe = state.probes.acquire().await.ok();
    let ok = state
        .db
        .run(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SELECT 1")
                .map_err(crate::db::DbError::Query)
        })
        .await;
    match ok {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "backend": state.db.backend().name()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
        }
    }
}

/// Query parameters of every export (CSV, SDMX, JSON-stat): comma-separated lists, like the
/// `observations` filter.
#[derive(Debug, Default, serde::Deserialize)]
struct ExportParams {
    indicator: Option<String>,
    district: Option<String>,
    year: Option<String>,
    kind: Option<String>,
    source: Option<String>,
}

impl ExportParams {
    /// The filter the parameters name (codes not yet resolved).
    fn codes(&self) -> Result<FilterCodes, ApiError> {
        Ok(FilterCodes {
            districts: list("district", &self.district)?,
            indicators: list("indicator", &self.indicator)?,
            years: list("year", &self.year)?,
            kinds: list("kind", &self.kind)?,
            sources: list("source", &self.source)?,
            breakdown: None,
        })
    }
}

/// The query parameters of an export, or `BAD_USER_INPUT` saying why they cannot be read (a
/// parameter given twice, say) instead of axum's plain-text refusal.
fn params<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(p)| p).map_err(|e| {
        ApiError::BadInput(format!(
            "the query string cannot be read: {}",
            e.body_text()
        ))
    })
}

/// Resolves a filter's codes to ids on the blocking pool (unknown codes are `NOT_FOUND`).
async fn resolve(state: &AppState, codes: FilterCodes) -> Result<ObservationQuery, ApiError> {
    state
        .db
        .run(move |c| crate::analytics::resolve_observation_filter(c, &codes))
        .await
        .map_err(ApiError::from)
}

/// One of the export permits, held until the export ends however it ends; when all are taken,
/// 503 `TOO_MANY_EXPORTS` with `Retry-After`.
fn export_permit(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    state.exports.clone().try_acquire_owned().map_err(|_| {
        ApiError::TooManyExports(format!(
            "{} exports are running, the most this server runs at once; retry shortly",
            state.limits.max_exports
        ))
    })
}

/// The permit and the resolved filter of an export request.
async fn start_export(
    state: &AppState,
    codes: Result<FilterCodes, ApiError>,
) -> Result<(tokio::sync::OwnedSemaphorePermit, ObservationQuery), ApiError> {
    let permit = export_permit(state)?;
    let q = resolve(state, codes?).await?;
    Ok((permit, q))
}

/// A streaming writer of an export (see [`crate::export::write_csv`]).
type StreamWriter = fn(
    &mut Db,
    &ObservationQuery,
    crate::export::ChannelWriter,
) -> Result<usize, crate::export::ExportError>;

/// Streams what `write` writes as the response body: the export runs on the blocking pool and
/// hands 64 KiB chunks to the body through a small bounded channel, so memory stays flat
/// whatever the number of rows, and a client that stops reading stops the export. The export
/// checks a connection out per page (see [`crate::export`]): a client that stops reading blocks
/// only this task, never a pooled connection.
fn stream_export(
    state: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    q: ObservationQuery,
    write: StreamWriter,
    content_type: &'static str,
    disposition: &'static str,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let mut db = state.db.clone();
    let in_flight = state.metrics.export_started();
    tokio::task::spawn_blocking(move || {
        // Counted until the stream ends, however it ends (done, failed, client gone).
        let _in_flight = in_flight;
        let _permit = permit;
        let result = write(&mut db, &q, crate::export::ChannelWriter::new(tx.clone()))
            .map_err(|e| std::io::Error::other(e.to_string()));
        if let Err(e) = result {
            tracing::error!(error = %e, "export stopped");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, content_type)
        .header(CONTENT_DISPOSITION, disposition)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error_response(ApiError::Internal("response builder".into())))
}

/// A message as JSON bytes.
fn to_json(v: &impl serde::Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::Internal(format!("json: {e}")))
}

/// Builds a JSON answer on the blocking pool with the export permit held and the export counted
/// in flight (the SDMX-JSON data message, the JSON-stat dataset: built in memory, bounded by
/// [`Limits::max_message_observations`]).
async fn json_export(
    state: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    content_type: &'static str,
    build: impl FnOnce(&mut Db) -> Result<Vec<u8>, ApiError> + Send + 'static,
) -> Response {
    let mut db = state.db.clone();
    let in_flight = state.metrics.export_started();
    let built = tokio::task::spawn_blocking(move || {
        let _in_flight = in_flight;
        let _permit = permit;
        build(&mut db)
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Internal(format!("export task: {e}"))));
    match built {
        Ok(body) => ([(CONTENT_TYPE, content_type)], body).into_response(),
        Err(e) => error_response(e),
    }
}

/// A comma-separated parameter, each item parsed; a bad item is `BAD_USER_INPUT` naming it.
fn list<T>(name: &str, v: &Option<String>) -> Result<Option<Vec<T>>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    v.as_ref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.parse::<T>().map_err(|e| {
                        // Vocabulary errors already quote the value; number errors do not.
                        let reason = e.to_string();
                        let message = if reason.contains(&format!("{x:?}")) {
                            reason
                        } else {
                            format!("invalid {name} {x:?}: {reason}")
                        };
                        ApiError::BadInput(message)
                    })
                })
                .collect()
        })
        .transpose()
}

fn error_response(e: ApiError) -> Response {
    e.log();
    let body = serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}});
    let mut response = (e.status(), Json(body)).into_response();
    if matches!(e, ApiError::TooManyExports(_)) {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

async fn export_csv(
    State(state): State<AppState>,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let codes = params(query).and_then(|p| p.codes());
    match start_export(&state, codes).await {
        Ok((permit, q)) => stream_export(
            &state,
            permit,
            q,
            crate::export::write_csv,
            "text/csv; charset=utf-8",
            "attachment; filename=\"observations.csv\"",
        ),
        Err(e) => error_response(e),
    }
}

/// `GET /export/observations.sdmx.csv`: the same filters and stream as the CSV export, in
/// SDMX-CSV 2.0 (see [`crate::export::sdmx`]).
async fn export_sdmx_csv(
    State(state): State<AppState>,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let codes = params(query).and_then(|p| p.codes());
    match start_export(&state, codes).await {
        Ok((permit, q)) => stream_export(
            &state,
            permit,
            q,
            crate::export::sdmx::write_csv,
            crate::export::sdmx::CSV_MEDIA_TYPE,
            "attachment; filename=\"observations.sdmx.csv\"",
        ),
        Err(e) => error_response(e),
    }
}

/// Parameters of the JSON-stat dataset: the export's filters (`indicator` required) and the
/// labels' language.
#[derive(Debug, Default, serde::Deserialize)]
struct JsonStatParams {
    #[serde(flatten)]
    filter: ExportParams,
    lang: Option<String>,
}

/// `GET /export/dataset.jsonstat?indicator=…`: a JSON-stat 2.0 dataset (see
/// [`crate::export::jsonstat`]).
async fn export_jsonstat(
    State(state): State<AppState>,
    query: Result<Query<JsonStatParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| {
        if p.filter.indicator.as_deref().is_none_or(|i| i.trim().is_empty()) {
            return Err(ApiError::BadInput(
                "indicator is required: a JSON-stat dataset is a cube over the indicators it is asked for (indicator=code[,code…])".into(),
            ));
        }
        let lang = p
            .lang
            .as_deref()
            .map(str::parse::<crate::export::cube::Lang>)
            .transpose()
            .map_err(ApiError::BadInput)?
            .unwrap_or_default();
        Ok((p.filter.codes()?, lang))
    });
    let (codes, lang) = match parsed {
        Ok((c, l)) => (Ok(c), l),
        Err(e) => (Err(e), Default::default()),
    };
    let (permit, q) = match start_export(&state, codes).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let limit = state.limits.max_message_observations;
    json_export(
        &state,
        permit,
        crate::export::jsonstat::MEDIA_TYPE,
        move |db| {
            let cube = crate::export::cube::load(db, &q, limit, "JSON-stat")?;
            let dataset = crate::export::jsonstat::dataset(&cube, lang, &crate::db::now_utc())
                .map_err(|e| ApiError::TooLarge(e.to_string()))?;
            to_json(&dataset)
        },
    )
    .await
}

/// Parameters of an SDMX structure query.
#[derive(Debug, Default, serde::Deserialize)]
struct StructureParams {
    references: Option<String>,
    /// Accepted and ignored: every artefact is returned in full.
    #[allow(dead_code)]
    detail: Option<String>,
}

/// An SDMX path refusal as the API error: 404 `NOT_FOUND` for what is not held, 400
/// `BAD_USER_INPUT` for what is malformed.
fn path_error(e: crate::export::sdmx::PathError) -> ApiError {
    match e {
        crate::export::sdmx::PathError::NotFound(kind, code) => ApiError::NotFound {
            kind: if kind == "structure type" {
                "structure type"
            } else {
                "SDMX artefact"
            },
            code: if kind == "structure type" {
                code
            } else {
                format!("{kind}={code}")
            },
        },
        crate::export::sdmx::PathError::Bad(m) => ApiError::BadInput(m),
    }
}

/// `GET /sdmx/structure/{type}/{agency}/{id}/{version}`: an SDMX-JSON 2.0 structure message.
async fn sdmx_structure(
    State(state): State<AppState>,
    Path(path): Path<String>,
    query: Result<Query<StructureParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| {
        crate::export::sdmx::StructureQuery::parse(&path, p.references.as_deref())
            .map_err(path_error)
    });
    let q = match parsed {
        Ok(q) => q,
        Err(e) => return error_response(e),
    };
    let mut db = state.db.clone();
    let built = tokio::task::spawn_blocking(move || {
        let cat = crate::export::cube::catalogue(&mut db)?;
        let msg = crate::export::sdmx::structure_message(&q, &cat, &crate::db::now_utc());
        serde_json::to_vec(&msg).map_err(crate::export::ExportError::from)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("structure task: {e}")))
    .and_then(|r| r.map_err(ApiError::from));
    match built {
        Ok(body) => (
            [(CONTENT_TYPE, crate::export::sdmx::STRUCTURE_MEDIA_TYPE)],
            body,
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}

/// Parameters of an SDMX data query: the export's filters, and `dimensionAtObservation`
/// (only `TIME_PERIOD`, the default, is offered).
#[derive(Debug, Default, serde::Deserialize)]
struct DataParams {
    #[serde(flatten)]
    filter: ExportParams,
    #[serde(rename = "dimensionAtObservation")]
    dimension_at_observation: Option<String>,
}

/// The filter of an SDMX data query: the key's and the parameters', a dimension named in both
/// refused.
fn data_filter(path: &str, p: &DataParams) -> Result<(FilterCodes, Option<Vec<u32>>), ApiError> {
    use crate::export::sdmx::DataQuery;
    if let Some(d) = p.dimension_at_observation.as_deref() {
        if d != "TIME_PERIOD" {
            return Err(ApiError::BadInput(format!(
                "dimensionAtObservation {d:?} is not offered: observations are by TIME_PERIOD (for a flat table, use /export/observations.sdmx.csv)"
            )));
        }
    }
    let key = DataQuery::parse(path).map_err(path_error)?;
    let mut codes = p.filter.codes()?;
    let both = |name: &str| {
        ApiError::BadInput(format!(
            "{name} is given both in the key and as a parameter: give it once"
        ))
    };
    if let Some(d) = key.districts {
        if codes.districts.is_some() {
            return Err(both("district"));
        }
        codes.districts = Some(d);
    }
    if let Some(i) = key.indicators {
        if codes.indicators.is_some() {
            return Err(both("indicator"));
        }
        codes.indicators = Some(i);
    }
    if let Some(k) = key.kinds {
        if codes.kinds.is_some() {
            return Err(both("kind"));
        }
        codes.kinds = Some(
            k.iter()
                .map(|k| {
                    k.parse()
                        .map_err(|e: crate::domain::UnknownTerm| ApiError::BadInput(e.to_string()))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(b) = key.breakdown {
        codes.breakdown = Some(
            b.parse()
                .map_err(|e: crate::domain::BreakdownError| ApiError::BadInput(e.to_string()))?,
        );
    }
    Ok((codes, key.figures))
}

/// `GET /sdmx/data/{context}/{agency}/{id}/{version}/{key}`: an SDMX-JSON data message, 2.0,
/// or 1.0 when `Accept` asks for `application/vnd.sdmx.data+json;version=1.0.0`.
async fn sdmx_data(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
    query: Result<Query<DataParams>, QueryRejection>,
) -> Response {
    let parsed = params(query).and_then(|p| data_filter(&path, &p));
    let (codes, figures) = match parsed {
        Ok((c, f)) => (Ok(c), f),
        Err(e) => (Err(e), None),
    };
    let (permit, q) = match start_export(&state, codes).await {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let version = crate::export::sdmx::JsonVersion::from_accept(
        headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let limit = state.limits.max_message_observations;
    json_export(&state, permit, version.media_type(), move |db| {
        let mut cube = crate::export::cube::load(db, &q, limit, "SDMX-JSON")?;
        if let Some(f) = figures {
            cube.cells.retain(|c| f.contains(&c.figure));
        }
        to_json(&crate::export::sdmx::data_message(
            &cube,
            version,
            &crate::db::now_utc(),
        ))
    })
    .await
}
