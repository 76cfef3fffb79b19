//! Benchmark: memory and time of the streaming CSV export as the row count grows.
//!
//! Run: `cargo bench --bench export_stream`. Data: the real seeds plus N SYNTHETIC observations
//! generated here (source `synthetic-bench`, labelled SYNTHETIC in its title and issuer, with
//! invented values); nothing of it is written outside a temporary directory.
//!
//! For each N it reports the export time and the growth of the process's peak resident memory
//! (VmHWM, reset through /proc/self/clear_refs before each export) while the whole body is
//! consumed chunk by chunk, as an HTTP client would.

// A bench is a test harness: a failed set-up stops it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common.rs"]
mod common;

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use diesel::prelude::*;
use edustats::db::schema::{observations, sources};
use edustats::db::{now_utc, Db};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn add_synthetic(db: &Db, from: usize, to: usize) {
    let mut conn = db.get().expect("connection");
    let now = now_utc();
    let template: (i32, i32, i32, i32, i32) = observations::table
        .select((
            observations::district_id,
            observations::indicator_id,
            observations::period_id,
            observations::breakdown_id,
            observations::source_id,
        ))
        .first(&mut conn)
        .expect("a seeded observation");
    let source_id: i32 = match sources::table
        .filter(sources::code.eq("synthetic-bench"))
        .select(sources::id)
        .first(&mut conn)
    {
        Ok(id) => id,
        Err(_) => {
            diesel::insert_into(sources::table)
                .values((
                    sources::code.eq("synthetic-bench"),
                    sources::title_zh.eq("合成基准数据（非真实）"),
                    sources::title_en.eq("SYNTHETIC benchmark data (not real)"),
                    sources::issuer.eq("SYNTHETIC BENCHMARK"),
                    sources::district_id.eq(template.0),
                    sources::kind.eq("self_evaluation"),
                    sources::body.eq("SYNTHETIC"),
                    sources::created_at.eq(&now),
                ))
                .execute(&mut conn)
                .expect("source");
            sources::table
                .filter(sources::code.eq("synthetic-bench"))
                .select(sources::id)
                .first(&mut conn)
                .expect("id")
        }
    };
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for i in from..to {
            let key = format!("synthetic-bench-{i:07}");
            let text = format!("{}", i % 1000);
            diesel::insert_into(observations::table)
                .values((
                    observations::key.eq(&key),
                    observations::district_id.eq(template.0),
                    observations::indicator_id.eq(template.1),
                    observations::period_id.eq(template.2),
                    observations::breakdown_id.eq(template.3),
                    observations::kind.eq("actual"),
                    observations::value.eq((i % 1000) as f64),
                    observations::value_text.eq(&text),
                    observations::reported_unit.eq("个"),
                    observations::qualifier.eq("exact"),
                    observations::source_id.eq(source_id),
                    observations::quote.eq("SYNTHETIC"),
                    observations::quote_start.eq(0),
                    observations::quote_end.eq(9),
                    observations::created_at.eq(&now),
                    observations::recorded_at.eq(&now),
                    observations::recorded_by.eq("synthetic-bench"),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .expect("insert synthetic rows");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` also starts bench binaries; the benchmark runs only under
        // `cargo bench`.
        println!("export_stream: run with `cargo bench --bench export_stream`");
        return;
    }
    let (_dir, db, seeded) = common::seeded_sqlite();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("rows\texport_ms\tbytes\tpeak_rss_growth_kib");
    let mut have = 0;
    for n in [10_000usize, 50_000, 200_000] {
        add_synthetic(&db, have, n);
        have = n;
        let router = edustats::http::router(db.clone());
        reset_hwm();
        let base = vm_hwm_kib();
        let start = Instant::now();
        let bytes = runtime.block_on(async {
            let resp = router
                .oneshot(
                    Request::get("/export/observations.csv")
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            let mut body = resp.into_body();
            let mut total = 0usize;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.expect("frame").into_data() {
                    total += data.len();
                }
            }
            total
        });
        let elapsed = start.elapsed().as_millis();
        let growth = vm_hwm_kib().saturating_sub(base);
        println!("{}\t{elapsed}\t{bytes}\t{growth}", n + seeded.observations);
    }
}
