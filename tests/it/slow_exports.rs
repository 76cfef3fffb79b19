//! Slow export clients cannot starve queries of connections: the CSV export checks a pooled
//! connection out per page and gives it back before writing, so exports whose bodies nobody
//! reads hold no connection while they wait.

use std::time::{Duration, Instant};

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use edustats::db::PoolOptions;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_unread_exports_leave_the_pool_to_queries() {
    let timeout = Duration::from_secs(3);
    let app = TestApp::empty_on(
        crate::common::backend(),
        PoolOptions {
            max_size: 2,
            checkout_timeout: timeout,
            statement_timeout: None,
        },
    );
    {
        let mut conn = app.db.get().expect("connection");
        edustats::ingest::seed::load(&mut conn, &crate::common::seeds_dir(), false).expect("seeds");
    }
    crate::common::add_synthetic(&app.db, 4000);
    let rows = app.observation_count().await as usize;
    // Room for the eight exports (the concurrent-export limit is tested below).
    let router = edustats::http::router_with(
        app.db.clone(),
        edustats::http::Limits {
            max_exports: 8,
            ..Default::default()
        },
    );

    // Eight exports: the headers arrive, the bodies are never read.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let resp = router
            .clone()
            .oneshot(
                Request::get("/export/observations.csv")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        stalled.push(resp);
    }
    // Let every export fill its channel and block on the unread body.
    tokio::time::sleep(Duration::from_millis(800)).await;

    let start = Instant::now();
    let v = app.graphql("{ districts { code } }", json!({})).await;
    let took = start.elapsed();
    assert!(
        v.get("errors").is_none(),
        "query failed beside stalled exports: {v}"
    );
    assert!(
        v["data"]["districts"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{v}"
    );
    // The old export failed here with UNAVAILABLE after the pool's checkout timeout; the
    // bound only says the query did not wait for a connection to come free (kept well below
    // the timeout so a loaded machine does not fail it).
    assert!(
        took < Duration::from_millis(2500),
        "a query waited {took:?} beside eight stalled exports (pool of 2)"
    );
    eprintln!("query beside 8 stalled exports (pool of 2): {took:?}");

    // The exports were really stalled mid-way (their bodies are larger than what the server
    // buffers), and each one resumes and completes once read: every row, once.
    for resp in stalled {
        let bytes = resp
            .into_body()
            .collect()
            .await
            .expect("export body")
            .to_bytes();
        assert!(
            bytes.len() > 6 * 64 * 1024,
            "export of {} bytes fits the buffers",
            bytes.len()
        );
        let mut r = csv::Reader::from_reader(&bytes[..]);
        let keys: std::collections::HashSet<String> = r
            .records()
            .map(|rec| rec.expect("csv row")[0].to_string())
            .collect();
        assert_eq!(keys.len(), rows, "every row exactly once");
    }
}

/// Exports streamed at once are bounded (a stalled client holds a blocking thread while its
/// export waits): one over the bound is HTTP 503 `TOO_MANY_EXPORTS` with `Retry-After`, and a
/// finished export frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_streamed_at_once_are_bounded() {
    let app = TestApp::seeded();
    // Bodies larger than the server buffers: with the seeds alone (454 rows) an export is
    // written out in full before anyone reads it and gives its place back at once, so the
    // third request would be admitted and the test would say nothing about stalled clients.
    crate::common::add_synthetic(&app.db, 4000);
    let router = edustats::http::router_with(
        app.db.clone(),
        edustats::http::Limits {
            max_exports: 2,
            ..Default::default()
        },
    );
    let export = || {
        router.clone().oneshot(
            Request::get("/export/observations.csv")
                .body(Body::empty())
                .expect("request"),
        )
    };
    let first = export().await.expect("response");
    let second = export().await.expect("response");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let third = export().await.expect("response");
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        third
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body = third.into_body().collect().await.expect("body").to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "TOO_MANY_EXPORTS", "{v}");
    // Read one to the end: its place is free again.
    first.into_body().collect().await.expect("export body");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let again = export().await.expect("response");
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the finished export's place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(second);
}
