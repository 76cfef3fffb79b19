//! Operating the server: the probes (`/livez`, `/readyz`), request ids, `/metrics` series that
//! move with the traffic, CORS origins, introspection and pages switched off, rate limits (per address, per key, behind a proxy),
//! `extensions.cost`, and `GET /graphql` with `Cache-Control` and persisted queries. JSON logs
//! are tested in `tests/logging.rs`, the configuration in `tests/config.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::TestApp;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use edustats::db::{Db, PoolOptions};
use edustats::http::{Cors, Options, RateLimits};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn send(router: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let resp = router.clone().oneshot(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn post(query: &str, operation: Option<&str>) -> Request<Body> {
    let body = json!({ "query": query, "operationName": operation }).to_string();
    Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// The value of one series in a Prometheus text exposition (0 if absent: a counter not yet
/// touched is not printed).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' '])
                .next()
                .is_some_and(|metric| metric == name)
        })
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no value: {l}"))
        })
        .sum()
}

async fn scrape(router: &axum::Router) -> String {
    let (status, headers, text) = send(router, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain")),
        "{headers:?}"
    );
    text
}

/// A migrated database with no data, and a path for an unmigrated one.
fn unmigrated() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bare.sqlite3").display());
    let db = Db::connect(&url, PoolOptions::default()).expect("connect");
    (dir, db)
}

#[tokio::test]
async fn livez_and_readyz_tell_the_process_from_the_database() {
    let app = TestApp::empty();
    let router = edustats::http::router(app.db.clone());
    let (status, _, body) = send(&router, get("/livez")).await;
    assert_eq!(
        (status, json_of(&body)["status"].clone()),
        (StatusCode::OK, json!("ok"))
    );
    let (status, _, body) = send(&router, get("/readyz")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json_of(&body)["status"], "ready");
    // /healthz is kept.
    let (status, _, _) = send(&router, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);

    // A database whose migrations were not applied: alive, not ready.
    let (_dir, bare) = unmigrated();
    let router = edustats::http::router(bare);
    let (status, _, _) = send(&router, get("/livez")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&router, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let v = json_of(&body);
    assert_eq!(v["status"], "unavailable");
    assert!(
        v["reason"]
            .as_str()
            .is_some_and(|r| r.contains("migration(s) not applied")),
        "{v}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_insane_ones_are_replaced() {
    let app = TestApp::empty();
    let router = edustats::http::router(app.db.clone());
    let id_of = |h: &HeaderMap| h["x-request-id"].to_str().expect("ascii").to_string();

    let (_, h, _) = send(&router, get("/livez")).await;
    let generated = id_of(&h);
    assert_eq!(generated.len(), 32, "{generated}");
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
    let (_, h, _) = send(&router, get("/livez")).await;
    assert_ne!(id_of(&h), generated, "ids are not reused");

    let with = |id: &str| {
        Request::get("/livez")
            .header("x-request-id", id)
            .body(Body::empty())
            .expect("request")
    };
    let (_, h, _) = send(&router, with("client-7f3a.2:x_1")).await;
    assert_eq!(id_of(&h), "client-7f3a.2:x_1");
    for insane in ["has space", "quote\"d", &"x".repeat(129)] {
        let (_, h, _) = send(&router, with(insane)).await;
        let got = id_of(&h);
        assert_ne!(got, insane);
        assert_eq!(got.len(), 32, "{got}");
    }
    // Also on errors and on the GraphQL endpoint.
    let (status, h, _) = send(&router, post("{ nope", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(id_of(&h).len(), 32);
}

#[tokio::test]
async fn metrics_count_operations_codes_latency_statements_and_the_pool() {
    let app = TestApp::seeded();
    let router = edustats::http::router(app.db.clone());
    let before = scrape(&router).await;
    let ops = ("operation", "Districts");
    assert_eq!(
        sample(
            &before,
            "edustats_graphql_requests_total",
            &[ops, ("code", "OK")]
        ),
        0.0
    );
    for _ in 0..2 {
        let (status, _, body) = send(
            &router,
            post("query Districts { districts { code } }", Some("Districts")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, _, body) = send(&router, post("{ districts { code ", None)).await;
    assert_eq!(code(&json_of(&body)), "GRAPHQL_PARSE_FAILED");
    let (_, _, body) = send(
        &router,
        post(
            r#"query One { district(code: "000000") { code } }"#,
            Some("One"),
        ),
    )
    .await;
    assert_eq!(code(&json_of(&body)), "NOT_FOUND", "{body}");

    let after = scrape(&router).await;
    let count = |labels: &[(&str, &str)]| sample(&after, "edustats_graphql_requests_total", labels);
    assert_eq!(count(&[ops, ("code", "OK")]), 2.0, "{after}");
    assert_eq!(
        count(&[("operation", "anonymous"), ("code", "GRAPHQL_PARSE_FAILED")]),
        1.0
    );
    assert_eq!(count(&[("operation", "One"), ("code", "NOT_FOUND")]), 1.0);
    assert_eq!(
        sample(
            &after,
            "edustats_graphql_request_duration_seconds_count",
            &[ops]
        ),
        2.0
    );
    assert!(
        sample(
            &after,
            "edustats_graphql_request_duration_seconds_sum",
            &[ops]
        ) > 0.0
    );
    // Statements: exactly what the pool's own counter saw for a request run alone.
    let pool_before = app.db.statement_count();
    let (_, _, body) = send(
        &router,
        post("query Alone { districts { code } }", Some("Alone")),
    )
    .await;
    assert!(json_of(&body)["errors"].is_null(), "{body}");
    let ran = app.db.statement_count() - pool_before;
    let text = scrape(&router).await;
    let alone = sample(
        &text,
        "edustats_db_statements_per_request_sum",
        &[("operation", "Alone")],
    );
    assert!(ran >= 1);
    assert_eq!(alone, ran as f64, "{text}");
    // The same query twice ran the same number, at least one each.
    let statements = sample(&after, "edustats_db_statements_per_request_sum", &[ops]);
    assert!(statements >= 2.0 && statements % 2.0 == 0.0, "{statements}");
    assert_eq!(
        sample(&after, "edustats_db_statements_per_request_count", &[ops]),
        2.0
    );
    // HTTP latency by route and status: 4 POSTs answered 200 (GraphQL errors are 200 too).
    assert_eq!(
        sample(
            &after,
            "edustats_http_request_duration_seconds_count",
            &[("route", "/graphql"), ("status", "200")]
        ),
        4.0
    );
    // The pool, read at scrape time: default max 8, nothing checked out now.
    let pool = |state: &str| sample(&after, "edustats_db_pool_connections", &[("state", state)]);
    assert_eq!(pool("max"), 8.0);
    assert_eq!(pool("in_use"), 0.0);
    assert_eq!(pool("waiting"), 0.0);
    assert!(pool("idle") >= 1.0);
    assert_eq!(
        sample(&after, "edustats_export_streams_in_flight", &[]),
        0.0
    );
}

/// Polls `/metrics` until `name{labels}` equals `want` (or fails after 10 s).
async fn wait_for(router: &axum::Router, name: &str, labels: &[(&str, &str)], want: f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = sample(&scrape(router).await, name, labels);
        if got == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name}{labels:?} stayed {got}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_waiting_callers_and_export_streams_in_flight() {
    let app = TestApp::seeded();
    // SYNTHETIC rows, so the export is far larger than its channel holds: with the seeds alone
    // it can fit and the writer finish before a loaded machine's first scrape.
    crate::common::add_synthetic(&app.db, 20_000);
    let router = edustats::http::router(app.db.clone());
    // An export whose body nobody reads: the writer blocks on its bounded channel, and the
    // stream stays in flight until the client goes away.
    let resp = router
        .clone()
        .oneshot(get("/export/observations.csv"))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    wait_for(&router, "edustats_export_streams_in_flight", &[], 1.0).await;
    drop(resp);
    wait_for(&router, "edustats_export_streams_in_flight", &[], 0.0).await;

    // Every connection held: a query waits for one, and the gauge says so.
    let held: Vec<_> = (0..8).map(|_| app.db.get().expect("connection")).collect();
    let r = router.clone();
    let waiting = tokio::spawn(async move { send(&r, post("{ districts { code } }", None)).await });
    wait_for(
        &router,
        "edustats_db_pool_connections",
        &[("state", "waiting")],
        1.0,
    )
    .await;
    let text = scrape(&router).await;
    assert_eq!(
        sample(
            &text,
            "edustats_db_pool_connections",
            &[("state", "in_use")]
        ),
        8.0
    );
    drop(held);
    let (status, _, body) = waiting.await.expect("task");
    assert_eq!(status, StatusCode::OK);
    assert!(json_of(&body)["errors"].is_null(), "{body}");
    wait_for(
        &router,
        "edustats_db_pool_connections",
        &[("state", "waiting")],
        0.0,
    )
    .await;
}

#[tokio::test]
async fn operation_labels_are_bounded() {
    let app = TestApp::empty();
    let router = edustats::http::router(app.db.clone());
    for i in 0..edustats::observe::MAX_OPERATION_LABELS + 5 {
        let name = format!("Op{i}");
        send(
            &router,
            post(&format!("query {name} {{ __typename }}"), Some(&name)),
        )
        .await;
    }
    let text = scrape(&router).await;
    assert_eq!(
        sample(
            &text,
            "edustats_graphql_requests_total",
            &[("operation", "other")]
        ),
        5.0
    );
}

#[tokio::test]
async fn the_cost_is_reported_requested_and_actual() {
    let app = TestApp::seeded();
    let v = app.graphql("{ districts { code } }", json!({})).await;
    let cost = &v["extensions"]["cost"];
    // Requested: `districts` and `code`, each 1. Actual: `districts` once, then per district
    // the list item and its `code`.
    assert_eq!(cost["requested"], 2, "{v}");
    let n = v["data"]["districts"]
        .as_array()
        .map(Vec::len)
        .expect("list") as u64;
    assert_eq!(cost["actual"], json!(1 + 2 * n), "{v}");
    assert_eq!(cost["limit"], edustats::graphql::MAX_COMPLEXITY);
    // Refused before execution: no cost.
    let v = app.graphql("{ nope }", json!({})).await;
    assert!(v["extensions"]["cost"].is_null(), "{v}");
}

fn with_options(app: &TestApp, options: Options) -> axum::Router {
    edustats::http::router_with_options(app.db.clone(), options)
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::empty();
    let preflight = |origin: &str| {
        Request::options("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .expect("request")
    };
    let allowed = |h: &HeaderMap| {
        h.get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or("").to_string())
    };
    // Default: any origin.
    let any = edustats::http::router(app.db.clone());
    let (_, h, _) = send(&any, preflight("https://elsewhere.example")).await;
    assert_eq!(allowed(&h).as_deref(), Some("*"));

    let cors =
        edustats::config::cors_origins(&["https://stats.example.org".into()]).expect("valid");
    assert!(matches!(cors, Cors::Origins(_)));
    let strict = with_options(
        &app,
        Options {
            cors,
            ..Options::default()
        },
    );
    let (_, h, _) = send(&strict, preflight("https://stats.example.org")).await;
    assert_eq!(allowed(&h).as_deref(), Some("https://stats.example.org"));
    let (_, h, _) = send(&strict, preflight("https://evil.example")).await;
    assert_eq!(allowed(&h), None, "{h:?}");
    // A plain request from another origin is answered (CORS is the browser's check) but
    // carries no permission for the browser to read it.
    let mut req = post("{ __typename }", None);
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().expect("header"));
    let (status, h, _) = send(&strict, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allowed(&h), None);

    for bad in [
        "https://stats.example.org/",
        "stats.example.org",
        "ftp://x.org",
    ] {
        assert!(
            edustats::config::cors_origins(&[bad.into()]).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn introspection_and_pages_can_be_switched_off() {
    let app = TestApp::seeded();
    let on = edustats::http::router(app.db.clone());
    let off = with_options(
        &app,
        Options {
            introspection: false,
            pages: false,
            ..Options::default()
        },
    );
    let intro = "{ __schema { queryType { name } } }";
    let (_, _, body) = send(&on, post(intro, None)).await;
    assert_eq!(
        json_of(&body)["data"]["__schema"]["queryType"]["name"],
        "QueryRoot"
    );
    let (_, _, body) = send(&off, post(intro, None)).await;
    // async-graphql answers a disabled introspection field with null, not an error.
    let v = json_of(&body);
    assert!(v["data"]["__schema"].is_null(), "{v}");
    // Data queries still work.
    let (_, _, body) = send(&off, post("{ districts { code } }", None)).await;
    assert_eq!(
        json_of(&body)["data"]["districts"].as_array().map(Vec::len),
        Some(39)
    );
    // Pages: served by default, 404 when off.
    for path in ["/", "/graphql", "/review"] {
        let (status, _, _) = send(&on, get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (status, _, _) = send(&off, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let addr: SocketAddr = addr.parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

#[tokio::test]
async fn rate_limits_per_address_answer_429_with_retry_after() {
    let app = TestApp::empty();
    let router = with_options(
        &app,
        Options {
            rate: RateLimits {
                per_address_per_minute: 2,
                per_key_per_minute: 0,
                trusted_proxies: 0,
            },
            ..Options::default()
        },
    );
    let q = "{ __typename }";
    for _ in 0..2 {
        let (status, _, body) = send(&router, from("10.0.0.1:5000", post(q, None))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, h, body) = send(&router, from("10.0.0.1:5001", post(q, None))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let v = json_of(&body);
    assert_eq!(code(&v), "RATE_LIMITED");
    let retry: u64 = h["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    // 2 per minute: the next one is allowed in about 30 s.
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(v["errors"][0]["extensions"]["retryAfter"], retry);
    // The export is limited too; other addresses are not.
    let (status, _, _) = send(
        &router,
        from("10.0.0.1:5002", get("/export/observations.csv")),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _) = send(&router, from("10.0.0.2:5000", post(q, None))).await;
    assert_eq!(status, StatusCode::OK);
    // Probes and metrics are not limited; the refusals are counted.
    let (status, _, _) = send(&router, from("10.0.0.1:5003", get("/livez"))).await;
    assert_eq!(status, StatusCode::OK);
    let text = scrape(&router).await;
    assert_eq!(
        sample(
            &text,
            "edustats_rate_limited_total",
            &[("limit", "address")]
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            "edustats_graphql_requests_total",
            &[("code", "RATE_LIMITED")]
        ),
        1.0
    );
}

#[tokio::test]
async fn forwarded_for_is_trusted_only_when_configured() {
    let app = TestApp::empty();
    let limited = |trusted_proxies| {
        with_options(
            &app,
            Options {
                rate: RateLimits {
                    per_address_per_minute: 1,
                    per_key_per_minute: 0,
                    trusted_proxies,
                },
                ..Options::default()
            },
        )
    };
    let behind_proxy = |xff: &str| {
        let mut req = from("192.168.0.10:443", post("{ __typename }", None));
        req.headers_mut()
            .insert("x-forwarded-for", xff.parse().expect("header"));
        req
    };
    // Not trusted: every client behind the proxy is the proxy.
    let router = limited(0);
    let (status, _, _) = send(&router, behind_proxy("203.0.113.1")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&router, behind_proxy("203.0.113.2")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // One trusted proxy: the entry it appended (the last) is the client.
    let router = limited(1);
    let (status, _, _) = send(&router, behind_proxy("203.0.113.1")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&router, behind_proxy("203.0.113.2")).await;
    assert_eq!(status, StatusCode::OK);
    // What the client wrote itself (further left) does not make it someone else.
    let (status, _, _) = send(&router, behind_proxy("198.51.100.7, 203.0.113.1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn rate_limits_per_api_key() {
    let app = TestApp::empty();
    let router = with_options(
        &app,
        Options {
            rate: RateLimits {
                per_address_per_minute: 100,
                per_key_per_minute: 1,
                trusted_proxies: 0,
            },
            ..Options::default()
        },
    );
    let with_key = |key: &str| {
        let mut req = from("10.0.0.1:5000", post("{ __typename }", None));
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {key}").parse().expect("header"),
        );
        req
    };
    let (status, _, _) = send(&router, with_key("key-a")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&router, with_key("key-a")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("per API key"), "{body}");
    let (status, _, _) = send(&router, with_key("key-b")).await;
    assert_eq!(status, StatusCode::OK);
    // Without a key, the same address still has its own quota.
    let (status, _, _) = send(&router, from("10.0.0.1:5000", post("{ __typename }", None))).await;
    assert_eq!(status, StatusCode::OK);
}

fn get_query(params: &[(&str, &str)]) -> Request<Body> {
    let qs = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    get(&format!("/graphql?{qs}"))
}

#[tokio::test]
async fn get_runs_reads_with_cache_control_and_refuses_mutations() {
    let app = TestApp::seeded();
    let router = edustats::http::router(app.db.clone());
    let (status, h, body) = send(&router, get_query(&[("query", "{ districts { code } }")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json_of(&body)["data"]["districts"].as_array().map(Vec::len),
        Some(39)
    );
    assert_eq!(h["cache-control"], edustats::http::GET_CACHE_CONTROL);
    // With variables and an operation name.
    let (_, _, body) = send(
        &router,
        get_query(&[
            (
                "query",
                "query D($c: String!) { district(code: $c) { code } } query E { __typename }",
            ),
            ("operationName", "D"),
            ("variables", r#"{"c": "500101"}"#),
        ]),
    )
    .await;
    assert_eq!(
        json_of(&body)["data"]["district"]["code"],
        "500101",
        "{body}"
    );
    // An error is not cached.
    let (status, h, body) = send(&router, get_query(&[("query", "{ nope }")])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&json_of(&body)), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(h["cache-control"], "no-store");
    // A mutation by GET: refused before it runs.
    let (status, h, body) = send(
        &router,
        get_query(&[(
            "query",
            "mutation { discardDraft(draft: 1) { __typename } }",
        )]),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(code(&json_of(&body)), "METHOD_NOT_ALLOWED");
    assert_eq!(h["allow"], "POST");
    // Bad variables: a precise error.
    let (status, _, body) = send(
        &router,
        get_query(&[("query", "{ __typename }"), ("variables", "{not json")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&json_of(&body)), "BAD_REQUEST");
    // No query: the GraphiQL page, as before.
    let (status, h, _) = send(&router, get("/graphql")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/html")));
}

#[tokio::test]
async fn persisted_queries_by_hash() {
    use sha2::Digest;
    let app = TestApp::seeded();
    let router = edustats::http::router(app.db.clone());
    let query = "{ districts { code } }";
    let hash = hex::encode(sha2::Sha256::digest(query.as_bytes()));
    let ext = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
    // Unknown hash: the client is told to send the document.
    let (_, _, body) = send(&router, get_query(&[("extensions", &ext)])).await;
    assert_eq!(code(&json_of(&body)), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    // Sent once with the document...
    let req = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"query": query, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}})
                .to_string(),
        ))
        .expect("request");
    let (_, _, body) = send(&router, req).await;
    assert!(json_of(&body)["errors"].is_null(), "{body}");
    // ... then by hash alone, over GET, cacheable.
    let (status, h, body) = send(&router, get_query(&[("extensions", &ext)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json_of(&body)["data"]["districts"].as_array().map(Vec::len),
        Some(39)
    );
    assert_eq!(h["cache-control"], edustats::http::GET_CACHE_CONTROL);
}
