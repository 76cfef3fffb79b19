//! Benchmark: what knowing the response cache's data version costs a request, per way of
//! knowing it, on a SQLite database loaded with the real seeds (docs/performance.md, "The data
//! version without a round trip"; the choice for another process's writes on SQLite).
//!
//! Run: `cargo bench --bench version_check`. Reports the mean of each in nanoseconds over
//! 200,000 calls (20,000 for the pool reads), and its ratio to the baseline measured in the
//! same run: the per-request read of the version through the pool on the blocking pool (what a
//! cache hit cost before the version was kept in memory).

// A bench is a test harness: a failed set-up stops it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common.rs"]
mod common;

use std::os::unix::fs::FileExt;
use std::time::Instant;

use diesel::prelude::*;

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data_version: i64,
}

fn mean_ns(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..n {
        f();
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("version_check: run with `cargo bench --bench version_check`");
        return;
    }
    let (dir, db, _) = common::seeded_sqlite();
    let path = dir.path().join("bench.sqlite3");
    let wal = dir.path().join("bench.sqlite3-wal");
    let shm = std::fs::File::open(dir.path().join("bench.sqlite3-shm")).expect("-shm file");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut held = SqliteConnection::establish(path.to_str().expect("UTF-8 path")).expect("held");
    let tracker = edustats::db::version::Tracker::new();
    tracker.apply(edustats::db::version::Signal::Watching);
    if let edustats::db::version::Lookup::Read(t) = tracker.lookup() {
        tracker.learned(t, 1);
    }

    let baseline = mean_ns(20_000, || {
        let v = runtime.block_on(db.run_read(|c| {
            edustats::db::queries::data_version(c).map_err(edustats::db::DbError::Query)
        }));
        assert!(v.is_ok());
    });
    let rows: Vec<(&str, f64)> = vec![
        ("read through the pool (baseline)", baseline),
        (
            "PRAGMA data_version, held connection",
            mean_ns(200_000, || {
                let v =
                    diesel::sql_query("PRAGMA data_version").get_result::<DataVersion>(&mut held);
                assert!(v.is_ok_and(|d| d.data_version > 0));
            }),
        ),
        (
            "stat of the database and WAL files",
            mean_ns(200_000, || {
                let a = std::fs::metadata(&path).map(|m| m.len());
                let b = std::fs::metadata(&wal).map(|m| m.len());
                assert!(a.is_ok() && b.is_ok());
            }),
        ),
        (
            "pread of the WAL-index header (-shm, 96 bytes)",
            mean_ns(200_000, || {
                let mut buf = [0u8; 96];
                assert!(shm.read_exact_at(&mut buf, 0).is_ok());
            }),
        ),
        (
            "in-process version (Tracker::lookup)",
            mean_ns(200_000, || {
                assert!(matches!(
                    tracker.lookup(),
                    edustats::db::version::Lookup::Known(1)
                ));
            }),
        ),
    ];
    println!("check\tmean_ns\tratio_to_baseline");
    for (name, ns) in rows {
        println!("{name}\t{ns:.0}\t{:.4}", ns / baseline);
    }
}
