//! GraphQL over HTTP: `POST /graphql` (one request or a batch), `GET /graphql?query=…` (reads
//! only, cacheable, with ETags), GraphiQL on `GET /graphql` without a query, and the
//! subscriptions over WebSocket at `/graphql/ws`. The handlers attach the request context
//! (fresh loaders, the bearer token, a per-request statement counter) and consult the response
//! cache; the body, the time limit and the metrics are the layer's ([`super::layers`]).

use std::collections::HashMap;

use async_graphql::BatchRequest;
use async_graphql_axum::GraphQLResponse;
use axum::body::{Body, Bytes};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Extension, Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::layers::{ReadBody, Tally};
use super::{bearer, error_response, graphql_error, AppState, GET_CACHE_CONTROL};
use crate::cache;
use crate::db::version::Lookup;
use crate::error::{ApiError, ErrorCode};
use crate::graphql::context;
use crate::graphql::gate::{Incoming, IncomingBatch};

/// The metric outcome of a response error without `extensions.code` (every error the gate
/// passes has one: this is a label, never sent).
const NO_CODE: &str = "UNKNOWN";

/// Subscriptions over WebSocket (graphql-transport-ws, and the older graphql-ws protocol that
/// async-graphql also speaks), served by [`crate::ws`] with its caps. The upgrade passes the
/// rate limits like any request, and is refused with 503 `TOO_MANY_CONNECTIONS` when
/// `max_ws_connections` are open; after it, the connection holds no database connection and no
/// writer ever waits for it (see [`crate::notify`]).
pub(super) async fn graphql_ws(
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
            "extensions": {"code": ErrorCode::TooManyConnections.as_str()},
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

/// `POST /graphql`: one request object, or a JSON array of them (a batch).
pub(super) async fn graphql_post(
    State(state): State<AppState>,
    Extension(tally): Extension<Tally>,
    Extension(ReadBody(bytes)): Extension<ReadBody>,
    headers: HeaderMap,
) -> Response {
    let limits = state.limits;
    let refused = |e: ApiError| {
        tally.refused(e.code());
        graphql_error(e)
    };
    // Decided on the first byte: serde would also read `[]` as a request object with every
    // field defaulted.
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
        tally.answered_unrun(state.metrics.operation_label(r.operation_name.as_deref()));
        return json_answer(body.clone(), "hit");
    }
    let query = query_of(&cached, &batch);
    // The token is only checked by guarded fields (reads stay open).
    let batch = attach_all(&state, &tally, batch, bearer(&headers), false);
    let response = state.endpoint.execute_batch(batch).await;
    tally.answered(outcomes(&response));
    answer(&state, &cached, query, response)
}

/// Attaches the request context to every operation of the batch, each with its own statement
/// counter (a per-request clone of the database handle) started in the tally; `read_only` for
/// `GET` requests.
fn attach_all(
    state: &AppState,
    tally: &Tally,
    batch: BatchRequest,
    token: Option<String>,
    read_only: bool,
) -> IncomingBatch {
    let one = |r: async_graphql::Request| {
        let n = tally.started(state.metrics.operation_label(r.operation_name.as_deref()));
        let db = state.db.for_request(n);
        Incoming {
            request: context::attach(r, &db, token.clone()),
            db,
            read_only,
        }
    };
    match batch {
        BatchRequest::Single(r) => IncomingBatch::Single(Box::new(one(r))),
        BatchRequest::Batch(rs) => IncomingBatch::Batch(rs.into_iter().map(one).collect()),
    }
}

/// The outcome code of one response: `OK`, or its first error's `extensions.code`.
fn outcome(r: &async_graphql::Response) -> String {
    match r.errors.first() {
        None => "OK".into(),
        Some(e) => match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
            _ => NO_CODE.into(),
        },
    }
}

/// The outcome of each operation of an answered batch, in order.
fn outcomes(response: &async_graphql::BatchResponse) -> Vec<String> {
    match response {
        async_graphql::BatchResponse::Single(r) => vec![outcome(r)],
        async_graphql::BatchResponse::Batch(rs) => rs.iter().map(outcome).collect(),
    }
}

/// `GET /graphql`: with `query` (or a persisted query's hash in `extensions`), runs a read
/// and lets caches keep the answer; without, the GraphiQL page.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    Extension(tally): Extension<Tally>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !params.contains_key("query") && !params.contains_key("extensions") {
        return if state.pages {
            super::pages::asset(uri, headers).await
        } else {
            error_response(ApiError::NotFound {
                kind: "page",
                code: uri.path().to_string(),
            })
        };
    }
    let request = match get_request(&params) {
        Ok(r) => r,
        Err(e) => {
            tally.refused(e.code());
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
        tally.answered_unrun(
            state
                .metrics
                .operation_label(request.operation_name.as_deref()),
        );
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
    let batch = attach_all(&state, &tally, batch, bearer(&headers), true);
    let response = state.endpoint.execute_batch(batch).await;
    let outcomes = outcomes(&response);
    let write_on_get = outcomes
        .first()
        .is_some_and(|o| o == ErrorCode::MethodNotAllowed.as_str());
    let ok = match &response {
        async_graphql::BatchResponse::Single(r) => r.errors.is_empty(),
        async_graphql::BatchResponse::Batch(_) => false,
    };
    tally.answered(outcomes);
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

/// The GraphQL request a `GET` carries in its parameters (`query`, `operationName`, and
/// `variables` and `extensions` as JSON).
fn get_request(params: &HashMap<String, String>) -> Result<async_graphql::Request, ApiError> {
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
    let mut r = async_graphql::Request::new(params.get("query").cloned().unwrap_or_default());
    r.operation_name = params.get("operationName").cloned();
    if let Some(v) = json_param("variables")? {
        r.variables = async_graphql::Variables::from_json(v);
    }
    if let Some(serde_json::Value::Object(ext)) = json_param("extensions")? {
        for (k, v) in ext {
            let v = async_graphql::Value::from_json(v)
                .map_err(|e| ApiError::BadRequest(format!("the `extensions` parameter: {e}")))?;
            r.extensions.insert(k, v);
        }
    }
    Ok(r)
}
