//! The HTTP surface: `POST /graphql`, GraphiQL on `GET /graphql`, and `GET /healthz`.
//! Handlers are thin: the GraphQL handler only attaches a fresh DataLoader to each request.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};

use crate::db::Db;
use crate::graphql::loaders::new_loaders;
use crate::graphql::{build_schema, EduSchema};

#[derive(Clone)]
struct AppState {
    db: Db,
    schema: EduSchema,
}

/// Builds the router over a database handle.
pub fn router(db: Db) -> Router {
    let schema = build_schema(Some(db.clone()));
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .with_state(AppState { db, schema })
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

async fn graphql(State(state): State<AppState>, req: GraphQLRequest) -> GraphQLResponse {
    // Loaders are per request: batching within a request, no cache shared between requests.
    let req = req.into_inner().data(new_loaders(state.db.clone()));
    state.schema.execute(req).await.into()
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
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
