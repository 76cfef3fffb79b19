//! The response cache's data version kept in the process (`db::version`): a cached answer
//! makes no statement; a write through another server over the same database, or by the CLI,
//! is served within a second (PostgreSQL: LISTEN/NOTIFY; SQLite: the `PRAGMA data_version`
//! poll); a lost PostgreSQL listener falls back to reading the version per request, says so in
//! `/metrics`, and takes over again once it is back. And the dashboard's catalogue, requested
//! by `index.html` as a `GET`, is revalidated with a 304 until a write changes its ETag.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel::prelude::*;
use edustats::cache::CacheLimits;
use edustats::db::{Backend, Db, PoolOptions};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::common::{
    import_fixture, import_fixture_into, post_cached as post, synthetic_dir, value_of, watched,
    TestApp,
};

/// Observations with their values: what the writes below change.
const OBS: &str = r#"{ observations(first: 500) { totalCount edges { node { key value } } } }"#;

fn cached_router(db: &Db) -> axum::Router {
    edustats::http::router_with_options(
        db.clone(),
        edustats::http::Options {
            response_cache: Some(CacheLimits::default()),
            ..edustats::http::Options::default()
        },
    )
}

/// The synthetic fixture with its import applied (so `syni-002` exists), on `backend`, behind
/// a router with the cache on.
fn synthetic_on(backend: Backend) -> TestApp {
    let mut app = TestApp::seeded_on(backend, &synthetic_dir());
    import(&app.db);
    app.router = cached_router(&app.db);
    app
}

fn import(db: &Db) {
    import_fixture_into(db, "cache version test");
}

/// Corrects `syni-002` (25 as imported) to `value`, 40 or 25 (the figures its source's text
/// prints), through `router` with an editor key.
async fn correct(router: &axum::Router, key: &str, value: u32) {
    let quote = match value {
        40 => "2024年全区学校数量为40所",
        _ => "其中小学数量为25所",
    };
    let m = format!(
        r#"mutation {{ correctObservation(key: "syni-002", value: "{value}", quote: "{quote}", reason: "cache version test") {{ value }} }}"#
    );
    let (_, r) = post(router, &m, Some(key)).await;
    assert!(r.get("errors").is_none(), "{r}");
}

/// Asks `OBS` through `router` until `check` holds of the answer; how long that took (fails
/// after `limit`).
async fn served_within(
    router: &axum::Router,
    limit: Duration,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let (_, answer) = post(router, OBS, None).await;
        if check(&answer) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "still the old answer after {limit:?}: {}",
            answer["data"]["observations"]["totalCount"]
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A cache hit's statements on `db`'s pool (the watcher's connection is not the pool's).
async fn hit_statements(router: &axum::Router, db: &Db) -> u64 {
    let before = db.statement_count();
    let (cache, _) = post(router, OBS, None).await;
    assert_eq!(cache, "hit");
    db.statement_count() - before
}

#[tokio::test]
async fn a_write_through_one_server_is_served_by_the_other_within_a_second() {
    let a = synthetic_on(crate::common::backend());
    let b_db = Db::connect(&a.url, PoolOptions::default()).expect("second pool");
    let b = cached_router(&b_db);
    watched(&a.db).await;
    watched(&b_db).await;
    for router in [&a.router, &b] {
        let (c1, first) = post(router, OBS, None).await;
        assert_eq!(c1, "miss");
        assert_eq!(value_of(&first, "syni-002"), Some(25.0));
    }
    assert_eq!(
        hit_statements(&a.router, &a.db).await,
        0,
        "a hit makes no statement"
    );
    assert_eq!(hit_statements(&b, &b_db).await, 0);

    let key = a.key("cache-version-editor", edustats::auth::Role::Editor);
    correct(&b, &key, 40).await;
    // The writer's own cache forgot the version when the write committed.
    let (c, own) = post(&b, OBS, None).await;
    assert_eq!(
        (c.as_str(), value_of(&own, "syni-002")),
        ("miss", Some(40.0))
    );
    let took = served_within(&a.router, Duration::from_secs(1), |v| {
        value_of(v, "syni-002") == Some(40.0)
    })
    .await;
    eprintln!("the other server served the write after {took:?}");
    // And the other way round.
    correct(&a.router, &key, 25).await;
    served_within(&b, Duration::from_secs(1), |v| {
        value_of(v, "syni-002") == Some(25.0)
    })
    .await;
    // Settled again: hits without statements on both.
    post(&a.router, OBS, None).await;
    assert_eq!(hit_statements(&a.router, &a.db).await, 0);
}

#[tokio::test]
async fn a_cli_import_is_served_within_a_second() {
    let app = TestApp::synthetic();
    let router = cached_router(&app.db);
    watched(&app.db).await;
    let (_, before) = post(&router, OBS, None).await;
    assert_eq!(post(&router, OBS, None).await.0, "hit");
    let n0 = before["data"]["observations"]["totalCount"].clone();
    let fixture = import_fixture();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args([
            "import",
            fixture.to_str().expect("UTF-8 path"),
            "--reason",
            "cache version test",
        ])
        .env("DATABASE_URL", &app.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run edustats import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = served_within(&router, Duration::from_secs(1), |v| {
        v["data"]["observations"]["totalCount"] != n0
    })
    .await;
    eprintln!("the CLI's import was served after {took:?}");
}

#[derive(QueryableByName)]
struct Terminated {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn a_lost_listener_falls_back_to_reading_the_version_until_it_is_back() {
    let a = synthetic_on(Backend::Postgres);
    let b_db = Db::connect(&a.url, PoolOptions::default()).expect("second pool");
    let b = edustats::http::router(b_db.clone());
    watched(&a.db).await;
    post(&a.router, OBS, None).await;
    assert_eq!(hit_statements(&a.router, &a.db).await, 0);
    let (_, metrics) = a.get("/metrics").await;
    assert_eq!(
        metric(&metrics, "edustats_response_cache_version_watched"),
        Some(1.0)
    );

    // The listener's connection is killed, as a PostgreSQL restart or a proxy would.
    let mut admin = PgConnection::establish(&a.url).expect("connect");
    let killed = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE application_name = 'edustats-listen' AND datname = current_database()",
    )
    .get_result::<Terminated>(&mut admin)
    .expect("terminate");
    assert_eq!(killed.n, 1, "one listener per server");
    let started = Instant::now();
    while a.db.data_version().losses() == 0 {
        assert!(started.elapsed() < Duration::from_secs(2), "loss not seen");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A write by another server while nobody listens: served at once, not from the cache.
    let key = a.key("cache-version-editor", edustats::auth::Role::Editor);
    correct(&b, &key, 40).await;
    let (_, after) = post(&a.router, OBS, None).await;
    assert_eq!(value_of(&after, "syni-002"), Some(40.0), "no stale answer");
    let (_, metrics) = a.get("/metrics").await;
    assert_eq!(
        metric(&metrics, "edustats_response_cache_version_watch_lost_total"),
        Some(1.0)
    );

    // Back within a few seconds: hits are free again, and writes are still seen.
    watched(&a.db).await;
    post(&a.router, OBS, None).await;
    assert_eq!(hit_statements(&a.router, &a.db).await, 0);
    correct(&b, &key, 25).await;
    served_within(&a.router, Duration::from_secs(1), |v| {
        value_of(v, "syni-002") == Some(25.0)
    })
    .await;
}

/// The catalogue query of the dashboard, as `web/app/index.html` sends it (its JavaScript
/// string literals joined).
fn dashboard_catalogue_query() -> String {
    let html = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/app/index.html"),
    )
    .expect("index.html");
    let start = html
        .find("window.edustatsCatalogQuery =")
        .expect("index.html sets edustatsCatalogQuery");
    let rest = &html[start..];
    let statement = &rest[..rest.find(";\n").expect("end of the statement")];
    statement
        .split('"')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .concat()
}

async fn get_catalogue(
    router: &axum::Router,
    query: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, usize) {
    let uri = format!("/graphql?query={}", crate::response_cache::urlencode(query));
    let mut req = Request::get(uri).header("accept-encoding", "gzip");
    if let Some(t) = if_none_match {
        req = req.header("if-none-match", t);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body.len())
}

#[tokio::test]
async fn the_dashboard_catalogue_is_revalidated_with_304_until_a_write() {
    let app = synthetic_on(crate::common::backend());
    watched(&app.db).await;
    let query = dashboard_catalogue_query();
    assert!(query.starts_with("{ indicators {"), "{query}");
    let (status, headers, len) = get_catalogue(&app.router, &query, None).await;
    assert_eq!(status, StatusCode::OK);
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        h("cache-control"),
        "public, max-age=60",
        "the browser keeps it"
    );
    let etag = h("etag");
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    assert!(len > 0);
    // A later visit revalidates: 304, no body, no statement.
    let before = app.db.statement_count();
    let (status, headers, len) = get_catalogue(&app.router, &query, Some(&etag)).await;
    assert_eq!((status, len), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(app.db.statement_count(), before, "a 304 makes no statement");
    assert_eq!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );
    // A write changes the ETag: the old one gets the new answer.
    let key = app.key("cache-version-editor", edustats::auth::Role::Editor);
    correct(&app.router, &key, 40).await;
    let (status, headers, len) = get_catalogue(&app.router, &query, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(len > 0);
    let new = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(!new.is_empty() && new != etag, "{new} vs {etag}");
}
