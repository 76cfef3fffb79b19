//! The HTTP surface: its options and the router that puts the routes and their layers
//! together. The routes live by concern:
//!
//! - [`graphql`]: `POST /graphql` (and `GET /graphql?query=…` for reads, cacheable), GraphiQL
//!   on `GET /graphql` without a query, and the subscriptions over WebSocket at `/graphql/ws`
//!   (graphql-transport-ws; see [`crate::notify`]);
//! - [`pages`]: the dashboard at `GET /` and its assets under `/assets/` (embedded, see
//!   [`crate::web`]);
//! - [`probes`]: `GET /livez`, `/readyz`, `/healthz` and `/metrics` (Prometheus, see
//!   [`crate::observe`]);
//! - [`export`]: the bulk exports `GET /export/observations.csv` and
//!   `GET /export/observations.sdmx.csv`, the SDMX REST resources `GET /sdmx/structure/…` and
//!   `GET /sdmx/data/…`, and the JSON-stat dataset `GET /export/dataset.jsonstat`;
//! - the Model Context Protocol at `POST`/`GET /mcp` (see [`crate::mcp`]).
//!
//! What every request or a whole group of routes goes through is a layer, written once
//! ([`layers`], [`rate`]): a request id (the client's `x-request-id` if sane, else a new one),
//! returned as a header and recorded in the request's log span; a per-route latency histogram;
//! on `/graphql`, `/mcp` and the exports, the rate limits ([`RateLimits`]); on `/graphql`, the
//! body limits, the request time limit and the per-operation metrics. Handlers are thin: they
//! attach the request context or parse one set of filter parameters, and send what the layers
//! below them answer.

mod export;
mod graphql;
mod layers;
mod pages;
mod probes;
mod rate;

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};

use crate::cache::{CacheLimits, ResponseCache};
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::gate::Endpoint;
use crate::graphql::limits::InputLimits;
use crate::graphql::SchemaOptions;
use crate::notify::Notifier;
use crate::observe::{MakeId, Metrics};
pub use crate::ws::NotifyLimits;
pub use rate::{RateLimits, Refusal};

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

#[derive(Clone)]
struct AppState {
    db: Db,
    /// The schema behind its gate: every GraphQL request is executed through it.
    endpoint: Arc<Endpoint>,
    limits: Limits,
    metrics: Metrics,
    rate: Arc<rate::RateLimiter>,
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

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The streamable HTTP transport's session header (`/mcp`), which browser clients must send
/// and read.
const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// The MCP protocol version header of every request after the first.
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

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
        rate: Arc::new(rate::RateLimiter::new(options.rate)),
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
    // Both methods of `/graphql` share one layer for their body, time limit and metrics.
    let graphql_routes = get(graphql::graphql_get)
        .post(graphql::graphql_post)
        .layer::<_, std::convert::Infallible>(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::graphql_request,
        ))
        .layer(gzip_large);
    let limited = Router::new()
        .route("/graphql", graphql_routes)
        .route("/graphql/ws", get(graphql::graphql_ws))
        .route("/export/observations.csv", get(export::export_csv))
        .route(
            "/export/observations.sdmx.csv",
            get(export::export_sdmx_csv),
        )
        .route("/export/dataset.jsonstat", get(export::export_jsonstat))
        .route("/sdmx/structure/{*path}", get(export::sdmx_structure))
        .route("/sdmx/data/{*path}", get(export::sdmx_data))
        .route_service("/mcp", mcp_service)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate::rate_limit,
        ));
    let mut app = Router::new()
        .route("/healthz", get(probes::healthz))
        .route("/livez", get(probes::livez))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(probes::metrics_text));
    if options.pages {
        app = pages::routes(app, gzip);
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
            layers::time_route,
        ))
        .with_state(state)
        .layer(cors)
        // Outermost last: the id is cleaned, set, put in the log span, and copied to the
        // response, whatever the inner layers answer.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(layers::request_span)
                .on_response(layers::log_response)
                // The "answered" line has the status; causes are logged where they happen.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeId))
        .layer(axum::middleware::map_request(
            layers::drop_insane_request_id,
        ));
    (router, notifier)
}

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A GraphQL-shaped error response (`{"errors": [{message, extensions: {code}}]}`) for what
/// fails before the schema runs: the body, the batch, the time limit.
fn graphql_error(e: ApiError) -> Response {
    e.log();
    let mut extensions = serde_json::json!({"code": e.code().as_str()});
    if let ApiError::RateLimited { retry_after, .. } = &e {
        extensions["retryAfter"] = serde_json::json!(retry_after);
    }
    let body = serde_json::json!({
        "errors": [{"message": e.to_string(), "extensions": extensions}]
    });
    (e.status(), Json(body)).into_response()
}

/// The error of a route that is not GraphQL (`{"error": {code, message}}`), with `Retry-After`
/// when retrying shortly can succeed.
fn error_response(e: ApiError) -> Response {
    e.log();
    let body = serde_json::json!({"error": {"code": e.code().as_str(), "message": e.to_string()}});
    let mut response = (e.status(), Json(body)).into_response();
    if matches!(e, ApiError::TooManyExports(_)) {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}
