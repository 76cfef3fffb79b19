//! The probes an orchestrator and a monitoring system call: liveness (`/livez`), readiness
//! (`/readyz`), health (`/healthz`) and the Prometheus exposition (`/metrics`). They are open
//! and unlimited, so the two that touch the database take turns on one permit.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{error_response, AppState};
use crate::error::ApiError;

/// Liveness: the process answers. Nothing else is checked, so an orchestrator does not
/// restart a server whose database is away (that is what `/readyz` reports).
pub(super) async fn livez() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers and every migration this build embeds is applied; 503
/// otherwise, with the reason (no driver message: those stay in the log).
pub(super) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
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
pub(super) async fn metrics_text(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state.db) {
        Ok(text) => ([(CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response(),
        Err(e) => error_response(ApiError::Internal(e.to_string())),
    }
}

/// Health: one `SELECT 1` through the pool (the connection a query would get).
pub(super) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
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
