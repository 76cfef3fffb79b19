//! The catalogue snapshot (`db::catalogue`): with the data version watched, requests answer
//! exactly as without it, their catalogue look-ups make no statement (a ranking costs its one
//! statement of values, whatever the number of divisions), and a write is seen by the next
//! request.

use edustats::db::{Db, PoolOptions};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::{seeds_dir, watched, TestApp};

/// A second handle on `app`'s database whose data version is watched, behind a router without
/// the response cache (every request runs).
async fn watched_router(app: &TestApp) -> (Db, axum::Router) {
    let db = Db::connect(&app.url, PoolOptions::default()).expect("connect");
    db.watch_data_version();
    watched(&db).await;
    let router = edustats::http::router(db.clone());
    (db, router)
}

async fn post(router: &axum::Router, query: &str) -> Value {
    let req = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({ "query": query }).to_string(),
        ))
        .expect("request");
    let resp = router.clone().oneshot(req).await.expect("response");
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Queries whose answers read the catalogue: indicators and districts by code, breakdowns and
/// their members, the ranked divisions, districts by id through the loader, unknown codes.
const QUERIES: &[&str] = &[
    r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true) { coverage entries { rank value year district { code nameZh nameEn parent { code } } } stats { count mean median min max } missing { code nameEn } } }"#,
    r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true, districts: ["500104", "500153"]) { rankedCount entries { rank district { code } observation { unit indicator { code } } } } }"#,
    r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, breakdown: [{dimension: "school_stage", member: "primary"}]) { coverage entries { rank } } }"#,
    r#"{ ranking(indicator: "no_such_indicator", year: 2022) { coverage } }"#,
    r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, breakdown: [{dimension: "school_stage", member: "no_such_member"}]) { coverage } }"#,
    r#"{ change(indicator: "teachers_in_exchange", from: 2020, to: 2022) { district { code nameZh } fromValue toValue } }"#,
    r#"{ compare(indicators: ["teachers_in_exchange", "public_kindergarten_enrolment_share"], districts: ["500104", "500153"], year: 2022, latestOnOrBefore: true) { rows { district { code } cells { value } } } }"#,
    r#"{ districts { code nameZh level parent { code } latestValue(indicator: "teachers_in_exchange") { value year } } }"#,
    r#"{ observations(first: 30) { edges { node { key district { code nameEn } indicator { code unit } } } } }"#,
];

#[tokio::test]
async fn answers_are_the_same_with_the_catalogue_snapshot() {
    let app = TestApp::seeded();
    let (db, router) = watched_router(&app).await;
    for q in QUERIES {
        let without = app.graphql(q, json!({})).await;
        let with = post(&router, q).await;
        assert_eq!(with, without, "{q}");
    }
    // The look-ups answered from the snapshot: a ranking costs its statement of values only
    // (it costs 5 without the snapshot, see statement_count.rs).
    let ranking = QUERIES[0].replace(" missing { code nameEn }", "");
    post(&router, &ranking).await;
    let before = db.statement_count();
    let v = post(&router, &ranking).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(db.statement_count() - before, 1, "statements of a ranking");
}

#[tokio::test]
async fn a_write_is_seen_by_the_next_request() {
    let app = TestApp::empty();
    let (db, router) = watched_router(&app).await;
    let q = r#"{ districts { code } ranking(indicator: "teachers_in_exchange", year: 2022) { coverage } }"#;
    let empty = post(&router, r#"{ districts { code } }"#).await;
    assert_eq!(empty["data"]["districts"], json!([]), "{empty}");
    // Through this handle's pool: its commit forgets the version at once, so the very next
    // request reads the catalogue again (no waiting for the watcher).
    let mut conn = db.get().expect("connection");
    edustats::ingest::seed::load(&mut conn, &seeds_dir(), false).expect("seed");
    drop(conn);
    let seeded = post(&router, q).await;
    assert!(seeded.get("errors").is_none(), "{seeded}");
    let n = seeded["data"]["districts"].as_array().map_or(0, Vec::len);
    assert_eq!(n, 39, "{seeded}");
    assert_eq!(seeded, app.graphql(q, json!({})).await);
}
