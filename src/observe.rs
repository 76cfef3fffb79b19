//! Observability: the Prometheus metrics served at `/metrics` ([`Metrics`]), the request id
//! every request carries ([`MakeId`], [`sane_request_id`]) and the log output, text or JSON
//! ([`LogFormat`], [`subscriber`]).
//!
//! The metrics live in a registry per router rather than a process-wide one, so two routers
//! (two tests) never mix their series.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderValue, Request};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::db::Db;

/// Errors of this layer.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// A metric could not be registered or encoded.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The registry could not be set up (logged at start).
    #[error("metrics are disabled: the registry could not be set up")]
    Disabled,
    /// The encoded metrics are not UTF-8 (the text encoder always writes UTF-8).
    #[error("metrics are not UTF-8: {0}")]
    Encoding(#[from] std::string::FromUtf8Error),
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Distinct operation names kept as their own label; later ones count as `other`. Operation
/// names come from clients, and an unbounded label would grow the registry without end.
pub const MAX_OPERATION_LABELS: usize = 200;

/// The server's metrics (cheap to clone). Without a registry (see [`Metrics::new`]) every
/// method does nothing and `/metrics` answers an error.
#[derive(Clone)]
pub struct Metrics(Option<Arc<Inner>>);

struct Inner {
    registry: Registry,
    graphql_requests: IntCounterVec,
    graphql_seconds: HistogramVec,
    http_seconds: HistogramVec,
    statements: HistogramVec,
    pool: IntGaugeVec,
    version_watched: IntGauge,
    version_reads: IntCounter,
    version_losses: IntCounter,
    exports: IntGauge,
    rate_limited: IntCounterVec,
    mcp_calls: IntCounterVec,
    mcp_seconds: HistogramVec,
    notifications: IntCounterVec,
    subscriptions: IntGaugeVec,
    subscribers_dropped: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    webhook_pending: IntGauge,
    ws_connections: IntGauge,
    subscriptions_refused: IntCounterVec,
    limits: IntGaugeVec,
    operations: Mutex<HashSet<String>>,
}

impl Metrics {
    /// Registers every series. Registration fails only on a malformed or duplicate series
    /// name, a bug that the tests would show; the server then runs without metrics (and says
    /// so in its log) rather than not at all.
    pub fn new() -> Metrics {
        match Self::try_new() {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "metrics disabled");
                Metrics(None)
            }
        }
    }

    /// Registers every series, or says why it cannot.
    pub fn try_new() -> Result<Metrics, ObserveError> {
        let registry = Registry::new_custom(Some("edustats".into()), None)?;
        let latency_buckets = vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        let graphql_requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "GraphQL operations answered, by operation name and outcome code (OK or the first error's extensions.code)",
            ),
            &["operation", "code"],
        )?;
        let graphql_seconds = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "Time to answer a GraphQL operation, by operation name",
            )
            .buckets(latency_buckets.clone()),
            &["operation"],
        )?;
        let http_seconds = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request (to the response head), by route and status",
            )
            .buckets(latency_buckets.clone()),
            &["route", "status"],
        )?;
        // MCP tool calls (`src/mcp.rs`), over either transport; the tool names are ours, a
        // fixed set, so the label stays bounded.
        let mcp_calls = IntCounterVec::new(
            Opts::new(
                "mcp_tool_calls_total",
                "MCP tool calls answered, by tool and outcome code (OK or the edustats error code)",
            ),
            &["tool", "code"],
        )?;
        let mcp_seconds = HistogramVec::new(
            HistogramOpts::new(
                "mcp_tool_call_duration_seconds",
                "Time to answer an MCP tool call, by tool",
            )
            .buckets(latency_buckets),
            &["tool"],
        )?;
        let statements = HistogramVec::new(
            HistogramOpts::new(
                "db_statements_per_request",
                "SQL statements one GraphQL operation ran, by operation name",
            )
            .buckets(vec![
                0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 100.0,
            ]),
            &["operation"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool: connections in_use, idle, the max, and callers waiting",
            ),
            &["state"],
        )?;
        // The response cache's data version (`db::version`): read at render time from the
        // pool's tracker, which counts on its own (it lives below this layer).
        let version_watched = IntGauge::new(
            "response_cache_version_watched",
            "1 while a watcher (PostgreSQL LISTEN, SQLite data_version poll) keeps the data version current, so cached answers need no statement; 0 while the version is read per request",
        )?;
        let version_reads = IntCounter::new(
            "response_cache_version_reads_total",
            "Data version reads from the database by the response cache (after a write, or per request while unwatched)",
        )?;
        let version_losses = IntCounter::new(
            "response_cache_version_watch_lost_total",
            "Times the data version watcher lost its database connection (the cache then reads the version per request until it is back)",
        )?;
        let exports = IntGauge::new(
            "export_streams_in_flight",
            "CSV exports being streamed right now",
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests refused with 429, by the limit that refused them (address or key)",
            ),
            &["limit"],
        )?;
        let notifications = IntCounterVec::new(
            Opts::new(
                "notifications_total",
                "Events sent to subscribers and webhooks after a write committed, by event",
            ),
            &["event"],
        )?;
        let subscriptions = IntGaugeVec::new(
            Opts::new(
                "subscriptions_active",
                "GraphQL subscriptions open on /graphql/ws, by field",
            ),
            &["field"],
        )?;
        let subscribers_dropped = IntCounterVec::new(
            Opts::new(
                "subscribers_dropped_total",
                "Subscriptions ended because they fell too far behind the events (SUBSCRIBER_LAGGED), by field",
            ),
            &["field"],
        )?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook delivery attempts, by outcome (delivered, retry, failed), and deliveries not attempted (dropped: the pending queue was full; lost: the dispatcher fell behind the events)",
            ),
            &["outcome"],
        )?;
        let webhook_pending = IntGauge::new(
            "webhook_deliveries_pending",
            "Webhook deliveries waiting for an attempt or a retry (at most limit{name=\"max_webhook_deliveries\"})",
        )?;
        let ws_connections = IntGauge::new(
            "ws_connections_open",
            "WebSocket connections open on /graphql/ws (at most limit{name=\"max_ws_connections\"})",
        )?;
        let subscriptions_refused = IntCounterVec::new(
            Opts::new(
                "subscriptions_refused_total",
                "Subscriptions and /graphql/ws connections refused by a cap, by cap (per_connection: TOO_MANY_SUBSCRIPTIONS, ws_connections: TOO_MANY_CONNECTIONS)",
            ),
            &["cap"],
        )?;
        let limits = IntGaugeVec::new(
            Opts::new(
                "limit",
                "The configured caps of the notifications, by name (max_ws_connections, max_subscriptions_per_connection, max_webhook_deliveries)",
            ),
            &["name"],
        )?;
        for c in [
            Box::new(graphql_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(webhook_pending.clone()),
            Box::new(ws_connections.clone()),
            Box::new(subscriptions_refused.clone()),
            Box::new(limits.clone()),
            Box::new(notifications.clone()),
            Box::new(subscriptions.clone()),
            Box::new(subscribers_dropped.clone()),
            Box::new(webhook_deliveries.clone()),
            Box::new(graphql_seconds.clone()),
            Box::new(http_seconds.clone()),
            Box::new(statements.clone()),
            Box::new(pool.clone()),
            Box::new(version_watched.clone()),
            Box::new(version_reads.clone()),
            Box::new(version_losses.clone()),
            Box::new(exports.clone()),
            Box::new(rate_limited.clone()),
            Box::new(mcp_calls.clone()),
            Box::new(mcp_seconds.clone()),
        ] {
            registry.register(c)?;
        }
        Ok(Metrics(Some(Arc::new(Inner {
            registry,
            graphql_requests,
            graphql_seconds,
            http_seconds,
            statements,
            pool,
            version_watched,
            version_reads,
            version_losses,
            exports,
            rate_limited,
            mcp_calls,
            mcp_seconds,
            notifications,
            subscriptions,
            subscribers_dropped,
            webhook_deliveries,
            webhook_pending,
            ws_connections,
            subscriptions_refused,
            limits,
            operations: Mutex::new(HashSet::new()),
        }))))
    }

    /// The label for a client's operation name: `anonymous` without one; letters, digits and
    /// `_` only (as GraphQL names are), at most 64 characters; `other` once
    /// [`MAX_OPERATION_LABELS`] names are in use.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "anonymous".into();
        };
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        if clean.is_empty() {
            return "other".into();
        }
        let Some(inner) = &self.0 else {
            return "other".into();
        };
        let Ok(mut seen) = inner.operations.lock() else {
            return "other".into();
        };
        if seen.contains(&clean) || seen.len() < MAX_OPERATION_LABELS {
            seen.insert(clean.clone());
            clean
        } else {
            "other".into()
        }
    }

    /// Counts one answered operation.
    pub fn graphql_answered(
        &self,
        operation: &str,
        code: &str,
        elapsed: Duration,
        statements: Option<u64>,
    ) {
        let Some(inner) = &self.0 else { return };
        inner
            .graphql_requests
            .with_label_values(&[operation, code])
            .inc();
        inner
            .graphql_seconds
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
        if let Some(n) = statements {
            inner
                .statements
                .with_label_values(&[operation])
                .observe(n as f64);
        }
    }

    /// Counts one answered MCP tool call and the SQL statements it ran (in the same
    /// statements histogram as GraphQL, under the operation `mcp_<tool>`).
    pub fn mcp_answered(&self, tool: &str, code: &str, elapsed: Duration, statements: u64) {
        let Some(inner) = &self.0 else { return };
        inner.mcp_calls.with_label_values(&[tool, code]).inc();
        inner
            .mcp_seconds
            .with_label_values(&[tool])
            .observe(elapsed.as_secs_f64());
        inner
            .statements
            .with_label_values(&[&format!("mcp_{tool}")])
            .observe(statements as f64);
    }

    /// Times one HTTP response.
    pub fn http_answered(&self, route: &str, status: u16, elapsed: Duration) {
        let Some(inner) = &self.0 else { return };
        inner
            .http_seconds
            .with_label_values(&[route, &status.to_string()])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a request refused by a rate limit (`address` or `key`).
    pub fn rate_limited(&self, limit: &str) {
        if let Some(inner) = &self.0 {
            inner.rate_limited.with_label_values(&[limit]).inc();
        }
    }

    /// Counts an event sent (see [`crate::notify`]).
    pub fn notification_sent(&self, event: &str) {
        if let Some(inner) = &self.0 {
            inner.notifications.with_label_values(&[event]).inc();
        }
    }

    /// Counts a subscription dropped for lagging behind.
    pub fn subscriber_dropped(&self, field: &str) {
        if let Some(inner) = &self.0 {
            inner.subscribers_dropped.with_label_values(&[field]).inc();
        }
    }

    /// Counts a webhook delivery attempt (`delivered`, `retry` or `failed`), or a delivery
    /// dropped by the queue cap (`dropped`) or missed by a lagging dispatcher (`lost`).
    pub fn webhook_delivery(&self, outcome: &str) {
        if let Some(inner) = &self.0 {
            inner.webhook_deliveries.with_label_values(&[outcome]).inc();
        }
    }

    /// Shows a configured cap as `edustats_limit{name}` (set once, where the cap is built).
    pub fn set_limit(&self, name: &str, value: usize) {
        if let Some(inner) = &self.0 {
            inner
                .limits
                .with_label_values(&[name])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
    }

    /// Counts a subscription or a `/graphql/ws` connection refused by `cap`
    /// (`per_connection` or `ws_connections`).
    pub fn subscription_refused(&self, cap: &str) {
        if let Some(inner) = &self.0 {
            inner.subscriptions_refused.with_label_values(&[cap]).inc();
        }
    }

    /// Counts a `/graphql/ws` connection as open until the guard is dropped.
    pub fn ws_connection_opened(&self) -> ExportGuard {
        self.open(|inner| inner.ws_connections.clone())
    }

    /// Counts a webhook delivery as pending until the guard is dropped.
    pub fn webhook_pending(&self) -> ExportGuard {
        self.open(|inner| inner.webhook_pending.clone())
    }

    /// Counts a subscription of `field` as open until the guard is dropped.
    pub fn subscription_started(&self, field: &str) -> ExportGuard {
        self.open(|inner| inner.subscriptions.with_label_values(&[field]))
    }

    /// Marks an export stream as running until the guard is dropped.
    pub fn export_started(&self) -> ExportGuard {
        self.open(|inner| inner.exports.clone())
    }

    /// Raises the gauge `of` picks until the returned guard is dropped (nothing when metrics
    /// are off).
    fn open(&self, of: impl FnOnce(&Inner) -> IntGauge) -> ExportGuard {
        let gauge = self.0.as_deref().map(of);
        if let Some(g) = &gauge {
            g.inc();
        }
        ExportGuard(gauge)
    }

    /// The text exposition, with the pool's state read now.
    pub fn render(&self, db: &Db) -> Result<String, ObserveError> {
        let Some(inner) = &self.0 else {
            return Err(ObserveError::Disabled);
        };
        let s = db.pool_state();
        let pool = &inner.pool;
        pool.with_label_values(&["in_use"]).set(i64::from(s.in_use));
        pool.with_label_values(&["idle"]).set(i64::from(s.idle));
        pool.with_label_values(&["max"]).set(i64::from(s.max));
        pool.with_label_values(&["waiting"])
            .set(i64::try_from(s.waiting).unwrap_or(i64::MAX));
        let v = db.data_version();
        inner.version_watched.set(i64::from(v.watched()));
        // Counters only move forward: add what the tracker counted since the last render.
        inner
            .version_reads
            .inc_by(v.reads().saturating_sub(inner.version_reads.get()));
        inner
            .version_losses
            .inc_by(v.losses().saturating_sub(inner.version_losses.get()));
        let mut out = Vec::new();
        TextEncoder::new().encode(&inner.registry.gather(), &mut out)?;
        Ok(String::from_utf8(out)?)
    }
}

/// Counts an export or a subscription as open while it lives (see [`Metrics::export_started`],
/// [`Metrics::subscription_started`]).
pub struct ExportGuard(Option<IntGauge>);

impl Drop for ExportGuard {
    fn drop(&mut self) {
        if let Some(g) = &self.0 {
            g.dec();
        }
    }
}

/// Whether a client's `x-request-id` is kept: 1 to 128 characters of letters, digits and
/// `-_.:`. Anything else (spaces, quotes, control characters, a 10 KB header) is replaced by a
/// generated id, so a log line can never be forged or bloated through it.
pub fn sane_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    (1..=128).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Generates request ids: 16 random bytes in hex (32 characters).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 16];
        // Without randomness the request goes on without an id rather than failing.
        getrandom::fill(&mut bytes).ok()?;
        HeaderValue::from_str(&hex::encode(bytes))
            .ok()
            .map(RequestId::new)
    }
}

/// How log lines are written.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    serde::Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, with the request's span (and so its `request_id`) in each.
    Json,
}

/// The default log filter when `RUST_LOG` is not set: our own info lines (one per request,
/// see [`crate::http`]) and tower-http's warnings.
pub const DEFAULT_LOG_FILTER: &str = "info,tower_http=warn";

/// The subscriber the server logs through, writing to `writer` (standard error in `main`; a
/// buffer in the tests).
pub fn subscriber<W>(
    format: LogFormat,
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_sets_up() {
        assert!(Metrics::try_new().is_ok());
    }

    #[test]
    fn request_ids() {
        for ok in ["a", "req-1.2:3_x", &"z".repeat(128)] {
            assert!(sane_request_id(&HeaderValue::from_str(ok).unwrap()), "{ok}");
        }
        for bad in ["", "a b", "a\"b", "é", &"z".repeat(129)] {
            let v = HeaderValue::from_bytes(bad.as_bytes()).unwrap();
            assert!(!sane_request_id(&v), "{bad}");
        }
    }
}
