//! The layers written once and put around routes by the router ([`super::router_and_notifier`]):
//! the request id and the request's log span and line, the per-route latency histogram, the
//! request body read within its size and time limits, and around `/graphql` the request time
//! limit with the per-operation metrics ([`graphql_request`], fed by the handlers through a
//! [`Tally`]). The rate limits are a layer of their own ([`super::rate`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;

use super::{graphql_error, AppState, Limits, X_REQUEST_ID};
use crate::error::{ApiError, ErrorCode};
use crate::observe::{sane_request_id, Metrics};

/// Removes a client's `x-request-id` that [`sane_request_id`] refuses, so a fresh one is made.
pub(super) async fn drop_insane_request_id(mut req: Request) -> Request {
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
pub(super) fn request_span(req: &axum::http::Request<Body>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}

/// One line per answered request (the query string is left out: it may hold a document).
pub(super) fn log_response(res: &Response, latency: Duration, _span: &tracing::Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "answered"
    );
}

/// Observes every matched route's latency.
pub(super) async fn time_route(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
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

/// Reads the body up to the limit, within the request's time limit. A declared length over the
/// limit is refused before reading; a body without one (chunked) is refused as soon as it passes
/// the limit, so a client can never make the server hold more than `limit` bytes of it. A body
/// that does not arrive in time is `TIMEOUT` (a client that declares a length and sends nothing
/// would otherwise hold its connection for as long as it likes: the request limit only starts
/// once the body is read); a body that is not valid HTTP (a malformed chunk) is `BAD_REQUEST`.
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
) -> Result<Bytes, ApiError> {
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

/// The metric label of a request refused before its operations were known.
const UNPARSED: &str = "unparsed";

/// One operation of a GraphQL request as the metrics count it.
struct Operation {
    /// Its metric label (see [`Metrics::operation_label`]).
    label: String,
    /// Its statement counter; `None` before the request parsed.
    statements: Option<Arc<AtomicU64>>,
    /// `OK` or its error code; `None` while it runs.
    outcome: Option<String>,
}

/// What a GraphQL handler tells [`graphql_request`] of its operations: their labels and
/// statement counters as soon as they exist (so a request stopped at the time limit is still
/// counted, with the statements it ran), and their outcomes once answered.
#[derive(Clone, Default)]
pub(super) struct Tally(Arc<Mutex<Vec<Operation>>>);

impl Tally {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<Operation>) -> T) -> T {
        // A handler that panicked mid-push leaves a list that is still a list.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A request refused before it parsed (`code`: why).
    pub(super) fn refused(&self, code: ErrorCode) {
        self.with(|ops| {
            ops.push(Operation {
                label: UNPARSED.into(),
                statements: None,
                outcome: Some(code.as_str().into()),
            })
        });
    }

    /// An operation about to run; its statements are counted on the returned counter.
    pub(super) fn started(&self, label: String) -> Arc<AtomicU64> {
        let n = Arc::new(AtomicU64::new(0));
        self.with(|ops| {
            ops.push(Operation {
                label,
                statements: Some(n.clone()),
                outcome: None,
            })
        });
        n
    }

    /// An operation answered without running (from the response cache, or a matching ETag).
    pub(super) fn answered_unrun(&self, label: String) {
        self.started(label);
        self.with(|ops| {
            if let Some(op) = ops.last_mut() {
                op.outcome = Some("OK".into());
            }
        });
    }

    /// The outcomes of the operations started, in order.
    pub(super) fn answered(&self, outcomes: impl IntoIterator<Item = String>) {
        self.with(|ops| {
            let running = ops.iter_mut().filter(|op| op.outcome.is_none());
            for (op, outcome) in running.zip(outcomes) {
                op.outcome = Some(outcome);
            }
        });
    }

    /// Counts every operation that has an outcome (`timed_out`: those still running, as
    /// `TIMEOUT`); a batch's operations share its latency.
    fn record(&self, metrics: &Metrics, elapsed: Duration, timed_out: bool) {
        self.with(|ops| {
            for op in ops.iter() {
                let outcome = match (&op.outcome, timed_out) {
                    (Some(o), _) => o.as_str(),
                    (None, true) => ErrorCode::Timeout.as_str(),
                    (None, false) => continue,
                };
                let n = op.statements.as_ref().map(|n| n.load(Ordering::Relaxed));
                metrics.graphql_answered(&op.label, outcome, elapsed, n);
            }
            if timed_out && ops.is_empty() {
                metrics.graphql_answered(UNPARSED, ErrorCode::Timeout.as_str(), elapsed, None);
            }
        });
    }
}

/// The body of a `POST /graphql`, read by [`graphql_request`] within its limits.
#[derive(Clone)]
pub(super) struct ReadBody(pub(super) Bytes);

/// Around both methods of `/graphql`: reads a `POST` body within its size and time limits,
/// runs the handler within the request time limit, and counts each operation in the metrics
/// (`graphql_requests_total` and its latency and statement histograms) from the handler's
/// [`Tally`]. Past the limit the handler is dropped, which stops the execution at its next
/// await; a statement already running on the blocking pool finishes (PostgreSQL's
/// statement_timeout bounds it) and its result is discarded. Writes are single transactions,
/// so none is left half done.
pub(super) async fn graphql_request(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let tally = Tally::default();
    let (mut parts, mut body) = req.into_parts();
    if parts.method == Method::POST {
        match read_body(&parts.headers, body, &state.limits).await {
            Ok(bytes) => {
                parts.extensions.insert(ReadBody(bytes));
                body = Body::empty();
            }
            Err(e) => {
                tally.refused(e.code());
                tally.record(&state.metrics, started.elapsed(), false);
                return graphql_error(e);
            }
        }
    }
    parts.extensions.insert(tally.clone());
    let req = Request::from_parts(parts, body);
    let limit = state.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => {
            tally.record(&state.metrics, started.elapsed(), false);
            res
        }
        Err(_) => {
            tally.record(&state.metrics, started.elapsed(), true);
            graphql_error(ApiError::Timeout(format!(
                "the request ran past the server's time limit of {} ms; a write it had started may still complete (each write is one transaction: all of it or none), so check before retrying one",
                limit.as_millis()
            )))
        }
    }
}
