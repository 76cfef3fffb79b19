//! Benchmark: latency of representative GraphQL queries through the full router (HTTP request
//! → GraphQL → DataLoaders → SQLite on the blocking pool → JSON), over the real seeds.
//!
//! Run: `cargo bench --bench queries`. Reports, per query, the median and 95th percentile of
//! 200 sequential requests after 20 warm-up requests, and the SQL statements one request issues.

// A bench is a test harness: a failed set-up stops it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common.rs"]
mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const QUERIES: &[(&str, &str)] = &[
    (
        "ranking",
        r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true) { coverage entries { rank value year district { code nameZh } observation { quote source { code } } } stats { mean median } } }"#,
    ),
    (
        "change",
        r#"{ change(indicator: "student_physical_health_good_rate", from: 2023, to: 2025) { district { code } absoluteChange relativeChange } }"#,
    ),
    (
        "compare 3x3",
        r#"{ compare(districts: ["500104", "500111", "500153"], indicators: ["general_budget_education_spending", "public_kindergarten_enrolment_share", "teachers_in_exchange"], year: 2022, latestOnOrBefore: true) { rows { district { code } cells { value year } } } }"#,
    ),
    (
        "observations page 500, nested",
        r#"{ observations(first: 500) { totalCount edges { node { key value unit year district { code nameZh } indicator { code nameEn dimensions } source { code } breakdown { member } qualityFlags { rule } } } } }"#,
    ),
    (
        "districts with latest value",
        r#"{ districts { code nameEn latestValue(indicator: "teachers_in_exchange") { value year } } }"#,
    ),
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("queries: run with `cargo bench --bench queries`");
        return;
    }
    let (_dir, db, _) = common::seeded_sqlite();
    let router = edustats::http::router(db.clone());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("query\tmedian_ms\tp95_ms\tstatements");
    for (name, q) in QUERIES {
        let body = serde_json::json!({ "query": q }).to_string();
        let once = || {
            let router = router.clone();
            let body = body.clone();
            runtime.block_on(async move {
                let resp = router
                    .oneshot(
                        Request::post("/graphql")
                            .header("content-type", "application/json")
                            .body(Body::from(body))
                            .expect("request"),
                    )
                    .await
                    .expect("response");
                let bytes = resp.into_body().collect().await.expect("body").to_bytes();
                assert!(
                    !bytes.windows(9).any(|w| w == b"\"errors\":"),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            })
        };
        for _ in 0..20 {
            once();
        }
        let before = db.statement_count();
        once();
        let statements = db.statement_count() - before;
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                once();
                t.elapsed()
            })
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}\t{:.2}\t{:.2}\t{statements}",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100])
        );
    }
}
