//! The HTTP surface: `POST /graphql`, GraphiQL on `GET /graphql`, the dashboard at `GET /` and
//! its assets under `/assets/` (embedded, see [`crate::web`]), `GET /healthz`, and the bulk
//! export `GET /export/observations.csv`. Handlers are thin: the GraphQL handler attaches the
//! request context (fresh loaders and the bearer token); the export handler resolves the filter
//! and streams what [`crate::export`] writes.

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::body::Body;
use axum::extract::Query;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

use crate::analytics::FilterCodes;
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::{build_schema, context, EduSchema};

#[derive(Clone)]
struct AppState {
    db: Db,
    schema: EduSchema,
}

/// Builds the router over a database handle.
pub fn router(db: Db) -> Router {
    let schema = build_schema(Some(db.clone()));
    // Only the embedded pages and assets are compressed: GraphQL answers are small, and the
    // CSV export streams as it is written.
    let gzip = tower_http::compression::CompressionLayer::new();
    Router::new()
        .route("/", get(asset).layer(gzip.clone()))
        .route("/graphql", get(asset).layer(gzip.clone()).post(graphql))
        .route("/assets/{*path}", get(asset).layer(gzip))
        .route("/healthz", get(healthz))
        .route("/export/observations.csv", get(export_csv))
        .with_state(AppState { db, schema })
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

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    // The token is only checked by guarded fields (reads stay open).
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let req = context::attach(req.into_inner(), &state.db, token);
    state.schema.execute(req).await.into()
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
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let result = db
            .get()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|mut conn| {
                crate::export::write_csv(
                    &mut conn,
                    &q,
                    crate::export::ChannelWriter::new(tx.clone()),
                )
                .map_err(|e| std::io::Error::other(e.to_string()))
            });
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
