//! The response cache and GET ETags: a repeated anonymous read is a hit with the same answer;
//! any write (here a correction and an import) changes the data version, so the next read is
//! a miss that sees the new figure; keyed requests, mutations and batches are never cached;
//! the off switch turns all of it off; `If-None-Match` with the current ETag is a 304, with an
//! ETag from before a write a 200.

use crate::common::{import_fixture_into, post_cached as post, value_of, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use edustats::cache::CacheLimits;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn app(cache: bool) -> TestApp {
    TestApp::seeded().with_options(edustats::http::Options {
        response_cache: cache.then(CacheLimits::default),
        ..edustats::http::Options::default()
    })
}

const RANK: &str = r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true) { entries { value district { code } observation { key } } } }"#;

/// GETs `query` with an optional If-None-Match; returns status, cache header, ETag, body.
async fn get(
    app: &TestApp,
    query: &str,
    inm: Option<&str>,
) -> (StatusCode, String, String, String) {
    let uri = format!("/graphql?query={}", urlencode(query));
    let mut req = Request::get(uri);
    if let Some(t) = inm {
        req = req.header("if-none-match", t);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let (cache, etag) = (header(&res, "x-response-cache"), header(&res, "etag"));
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        cache,
        etag,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn header(res: &axum::response::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// `s` percent-encoded for a query string (unreserved characters kept).
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Observations with their values: what the writes below change.
const OBS: &str = r#"{ observations(first: 500) { totalCount edges { node { key value } } } }"#;

/// The synthetic fixture with its import applied (so `syni-002` exists), behind a router with
/// the cache on.
fn synthetic_app() -> TestApp {
    let app = TestApp::synthetic().with_options(edustats::http::Options {
        response_cache: Some(CacheLimits::default()),
        ..edustats::http::Options::default()
    });
    import_fixture(&app);
    app
}

fn import_fixture(app: &TestApp) {
    import_fixture_into(&app.db, "cache test");
}

/// Corrects `syni-002` from 25 to 40 through the API (a write like any other).
async fn correct(app: &TestApp) {
    let key = app.key("cache-editor", edustats::auth::Role::Editor);
    let r = app
        .graphql_as(
            &key,
            r#"mutation { correctObservation(key: "syni-002", value: "40", quote: "2024年全区学校数量为40所", reason: "cache test") { value } }"#,
            json!({}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
}

#[tokio::test]
async fn a_write_invalidates_and_the_new_figure_is_served() {
    let app = synthetic_app();
    let (c1, first) = post(&app.router, OBS, None).await;
    let (c2, again) = post(&app.router, OBS, None).await;
    assert_eq!((c1.as_str(), c2.as_str()), ("miss", "hit"));
    assert_eq!(first, again, "a hit is the same answer");
    assert_eq!(value_of(&first, "syni-002"), Some(25.0));
    correct(&app).await;
    let (c3, after) = post(&app.router, OBS, None).await;
    assert_eq!(c3, "miss", "the correction changed the data version");
    assert_eq!(
        value_of(&after, "syni-002"),
        Some(40.0),
        "the corrected figure, not the cached one"
    );
    assert_eq!(post(&app.router, OBS, None).await.0, "hit");
    // A seed load (a write like any other) on the other app: its import also invalidates.
    let seeded = app_with_cache();
    let (_, n0) = post(&seeded.router, OBS, None).await;
    assert_eq!(post(&seeded.router, OBS, None).await.0, "hit");
    import_fixture(&seeded);
    let (c4, n1) = post(&seeded.router, OBS, None).await;
    assert_eq!(c4, "miss", "after an import");
    assert_ne!(
        n0["data"]["observations"]["totalCount"],
        n1["data"]["observations"]["totalCount"]
    );
}

fn app_with_cache() -> TestApp {
    TestApp::synthetic().with_options(edustats::http::Options {
        response_cache: Some(CacheLimits::default()),
        ..edustats::http::Options::default()
    })
}

#[tokio::test]
async fn keyed_requests_mutations_and_errors_are_not_cached() {
    let app = app(true);
    let reader = app.key("cache-reader", edustats::auth::Role::Editor);
    assert_eq!(post(&app.router, RANK, Some(&reader)).await.0, "bypass");
    assert_eq!(post(&app.router, RANK, Some(&reader)).await.0, "bypass");
    // An answer with an error is not stored: asked twice, it is a miss twice.
    let bad = r#"{ ranking(indicator: "no_such", year: 2022) { coverage } }"#;
    assert_eq!(post(&app.router, bad, None).await.0, "miss");
    assert_eq!(post(&app.router, bad, None).await.0, "miss");
    // A mutation is never stored (here one refused for want of a key).
    let m = r#"mutation { correctObservation(key: "x", value: "1", reason: "r") { key } }"#;
    assert_eq!(post(&app.router, m, None).await.0, "miss");
    assert_eq!(post(&app.router, m, None).await.0, "miss");
}

#[tokio::test]
async fn the_off_switch_turns_the_cache_and_etags_off() {
    let app = app(false);
    for _ in 0..2 {
        assert_eq!(post(&app.router, RANK, None).await.0, "bypass");
    }
    let (status, cache, etag, _) = get(&app, RANK, None).await;
    assert_eq!(
        (status, cache.as_str(), etag.as_str()),
        (StatusCode::OK, "bypass", "")
    );
    let (status, ..) = get(&app, RANK, Some("*")).await;
    assert_eq!(status, StatusCode::OK, "no 304 without the cache");
}

#[tokio::test]
async fn get_answers_304_on_a_matching_etag_until_a_write() {
    let app = synthetic_app();
    let (status, cache, etag, body) = get(&app, OBS, None).await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "miss"));
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    let (status, _, etag2, body2) = get(&app, OBS, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!((etag2.as_str(), body2.as_str()), (etag.as_str(), ""));
    // Another ETag: the answer itself, from the cache.
    let (status, cache, _, hit) = get(&app, OBS, Some("\"other\"")).await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "hit"));
    assert_eq!(hit, body);
    // After a write the old ETag no longer matches.
    correct(&app).await;
    let (status, cache, etag3, after) = get(&app, OBS, Some(&etag)).await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "miss"));
    assert_ne!(etag3, etag);
    let after: Value = serde_json::from_str(&after).expect("JSON");
    assert_eq!(value_of(&after, "syni-002"), Some(40.0));
}
