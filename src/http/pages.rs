//! The web pages and their files, all embedded ([`crate::web`]): the dashboard at `/`, the
//! review page, the embeddable view, the favicon and everything under `/assets/`. Nothing a
//! page loads comes from another host.

use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;

use super::{error_response, AppState};
use crate::error::ApiError;

/// Adds the page routes to `app`; the pages and assets go out through `gzip` (the favicon is
/// already compressed).
pub(super) fn routes(app: Router<AppState>, gzip: CompressionLayer) -> Router<AppState> {
    app.route("/", get(asset).layer(gzip.clone()))
        .route("/review", get(asset).layer(gzip.clone()))
        .route("/embed", get(asset).layer(gzip.clone()))
        .route("/favicon.ico", get(asset))
        .route("/assets/{*path}", get(asset).layer(gzip))
}

/// One embedded file by its path, or 404 `NOT_FOUND`.
pub(super) async fn asset(uri: Uri, headers: HeaderMap) -> Response {
    match crate::web::find(uri.path()) {
        Some(a) => crate::web::respond(a, &headers),
        None => error_response(ApiError::NotFound {
            kind: "asset",
            code: uri.path().to_string(),
        }),
    }
}
