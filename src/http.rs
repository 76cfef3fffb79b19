//! The HTTP surface: `POST /graphql`, GraphiQL on `GET /graphql`, the dashboard at `GET /` and
//! its assets under `/assets/` (embedded, see [`crate::web`]), `GET /healthz`, and the bulk
//! export `GET /export/observations.csv`. Handlers are thin: the GraphQL handler attaches the
//! request context (fresh loaders and the bearer token); the export handler resolves the filter
//! and streams what [`crate::export`] writes.

use std::time::Duration;

use async_graphql::BatchRequest;
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use crate::analytics::FilterCodes;
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::limits::InputLimits;
use crate::graphql::{build_schema_with, context, EduSchema};

/// The server's request limits (see [`crate::config::LimitArgs`] for the flags).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Time limit of one GraphQL request (a batch counts as one).
    pub request_timeout: Duration,
    /// Most operations in one batched request.
    pub max_batch: usize,
    /// Bounds on string and list values in read documents.
    pub input: InputLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch: 10,
            input: InputLimits::default(),
        }
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
    schema: EduSchema,
    limits: Limits,
}

/// Builds the router over a database handle, with the default limits.
pub fn router(db: Db) -> Router {
    router_with(db, Limits::default())
}

/// Builds the router over a database handle.
pub fn router_with(db: Db, limits: Limits) -> Router {
    let schema = build_schema_with(Some(db.clone()), limits.input);
    // Only the embedded pages and assets are compressed: GraphQL answers are small, and the
    // CSV export streams as it is written.
    let gzip = tower_http::compression::CompressionLayer::new();
    Router::new()
        .route("/", get(asset).layer(gzip.clone()))
        .route("/graphql", get(asset).layer(gzip.clone()).post(graphql))
        .route("/review", get(asset).layer(gzip.clone()))
        .route("/assets/{*path}", get(asset).layer(gzip))
        .route("/healthz", get(healthz))
        .route("/export/observations.csv", get(export_csv))
        .with_state(AppState { db, schema, limits })
        // Dashboards call the API from browsers on other origins. Writes authenticate with a
        // bearer token, never with cookies, so allowing any origin exposes nothing a direct
        // request could not already do.
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([CONTENT_TYPE, AUTHORIZATION])
                .expose_headers([CONTENT_DISPOSITION]),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// A GraphQL-shaped error response (`{"errors": [{message, extensions: {code}}]}`) for what
/// fails before the schema runs: the body, the batch, the time limit.
fn graphql_error(e: ApiError) -> Response {
    e.log();
    let body = serde_json::json!({
        "errors": [{"message": e.to_string(), "extensions": {"code": e.code()}}]
    });
    (e.status(), Json(body)).into_response()
}

/// Reads the body up to the limit. A declared length over the limit is refused before
/// reading; a body without one (chunked) is refused as soon as it passes the limit, so a
/// client can never make the server hold more than `limit` bytes of it.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::TooLarge(format!("the request body is larger than {limit} bytes"));
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // The only other cause is a client that hung up mid-body: nobody reads the answer.
        tracing::debug!(error = %e, "request body not read");
        too_large()
    })
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let limits = state.limits;
    let bytes = match read_body(&headers, body, limits.body_bytes).await {
        Ok(b) => b,
        Err(e) => return graphql_error(e),
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
            return graphql_error(ApiError::BadRequest(format!(
                "the body is not a GraphQL request (a JSON object with `query`, or an array of them): {e}"
            )))
        }
    };
    if let BatchRequest::Batch(items) = &batch {
        if items.is_empty() || items.len() > limits.max_batch {
            return graphql_error(ApiError::BadRequest(format!(
                "a batch holds 1 to {} requests; this one holds {}",
                limits.max_batch,
                items.len()
            )));
        }
    }
    // The token is only checked by guarded fields (reads stay open).
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(context::attach(r, &state.db, token)),
        BatchRequest::Batch(rs) => BatchRequest::Batch(
            rs.into_iter()
                .map(|r| context::attach(r, &state.db, token.clone()))
                .collect(),
        ),
    };
    match tokio::time::timeout(limits.request_timeout, state.schema.execute_batch(batch)).await {
        Ok(response) => GraphQLResponse::from(response).into_response(),
        // Dropping the execution stops it at its next await; a statement already running on
        // the blocking pool finishes (PostgreSQL's statement_timeout bounds it) and its result
        // is discarded. Writes are single transactions, so none is left half done.
        Err(_) => graphql_error(ApiError::Timeout(format!(
            "the request ran past the server's time limit of {} ms",
            limits.request_timeout.as_millis()
        ))),
    }
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

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
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

/// Query parameters of the export: comma-separated lists, like the `observations` filter.
#[derive(Debug, Default, serde::Deserialize)]
struct ExportParams {
    indicator: Option<String>,
    district: Option<String>,
    year: Option<String>,
    kind: Option<String>,
    source: Option<String>,
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
    (e.status(), Json(body)).into_response()
}

async fn export_csv(State(state): State<AppState>, Query(params): Query<ExportParams>) -> Response {
    let parsed = (|| {
        Ok::<_, ApiError>(FilterCodes {
            districts: list("district", &params.district)?,
            indicators: list("indicator", &params.indicator)?,
            years: list("year", &params.year)?,
            kinds: list("kind", &params.kind)?,
            sources: list("source", &params.source)?,
            breakdown: None,
        })
    })();
    let codes = match parsed {
        Ok(c) => c,
        Err(e) => return error_response(e),
    };
    let q = match state
        .db
        .run(move |c| crate::analytics::resolve_observation_filter(c, &codes))
        .await
        .map_err(ApiError::from)
    {
        Ok(q) => q,
        Err(e) => return error_response(e),
    };
    // The export runs on the blocking pool and hands 64 KiB chunks to the response body through
    // a small bounded channel: memory stays flat whatever the number of rows, and a client that
    // stops reading stops the export.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    // The export checks a connection out per page (see `crate::export`): a client that stops
    // reading blocks only this task, never a pooled connection.
    let mut db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let result =
            crate::export::write_csv(&mut db, &q, crate::export::ChannelWriter::new(tx.clone()))
                .map_err(|e| std::io::Error::other(e.to_string()));
        if let Err(e) = result {
            tracing::error!(error = %e, "export stopped");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            CONTENT_DISPOSITION,
            "attachment; filename=\"observations.csv\"",
        )
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error_response(ApiError::Internal("response builder".into())))
}
