//! Slow export clients cannot starve queries of connections: the CSV export checks a pooled
//! connection out per page and gives it back before writing, so exports whose bodies nobody
//! reads hold no connection while they wait.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use diesel::prelude::*;
use edustats::db::schema::{observations, sources};
use edustats::db::{now_utc, Db, PoolOptions};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// Adds `n` SYNTHETIC observations (invented values, source `synthetic-export-test`, in this
/// test's own temporary database) so the export is larger than what its channel buffers.
fn add_synthetic(db: &Db, n: usize) {
    let mut conn = db.get().expect("connection");
    let now = now_utc();
    let t: (i32, i32, i32, i32) = observations::table
        .select((
            observations::district_id,
            observations::indicator_id,
            observations::period_id,
            observations::breakdown_id,
        ))
        .first(&mut conn)
        .expect("a seeded observation");
    diesel::insert_into(sources::table)
        .values((
            sources::code.eq("synthetic-export-test"),
            sources::title_zh.eq("合成测试数据（非真实）"),
            sources::title_en.eq("SYNTHETIC test data (not real)"),
            sources::issuer.eq("SYNTHETIC TEST"),
            sources::district_id.eq(t.0),
            sources::kind.eq("self_evaluation"),
            sources::body.eq("SYNTHETIC"),
            sources::created_at.eq(&now),
        ))
        .execute(&mut conn)
        .expect("source");
    let source_id: i32 = sources::table
        .filter(sources::code.eq("synthetic-export-test"))
        .select(sources::id)
        .first(&mut conn)
        .expect("id");
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for i in 0..n {
            diesel::insert_into(observations::table)
                .values((
                    observations::key.eq(format!("synthetic-export-test-{i:06}")),
                    observations::district_id.eq(t.0),
                    observations::indicator_id.eq(t.1),
                    observations::period_id.eq(t.2),
                    observations::breakdown_id.eq(t.3),
                    observations::kind.eq("actual"),
                    observations::value.eq((i % 1000) as f64),
                    observations::value_text.eq(format!("{}", i % 1000)),
                    observations::reported_unit.eq("个"),
                    observations::qualifier.eq("exact"),
                    observations::source_id.eq(source_id),
                    observations::quote.eq("SYNTHETIC"),
                    observations::quote_start.eq(0),
                    observations::quote_end.eq(9),
                    observations::created_at.eq(&now),
                    observations::recorded_at.eq(&now),
                    observations::recorded_by.eq("synthetic-export-test"),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .expect("insert synthetic rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_unread_exports_leave_the_pool_to_queries() {
    let timeout = Duration::from_secs(3);
    let app = TestApp::empty_on(
        common::backend(),
        PoolOptions {
            max_size: 2,
            checkout_timeout: timeout,
            statement_timeout: None,
        },
    );
    {
        let mut conn = app.db.get().expect("connection");
        edustats::ingest::seed::load(&mut conn, &common::seeds_dir(), false).expect("seeds");
    }
    add_synthetic(&app.db, 4000);
    let rows = app.observation_count().await as usize;
    let router = edustats::http::router(app.db.clone());

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
    assert!(
        took < Duration::from_millis(1000),
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
