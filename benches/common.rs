//! Set-up shared by the bench targets: a temporary SQLite database loaded with the real seeds.

// Cargo also builds this file as a bench of its own (it sits in benches/).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edustats::db::{Db, PoolOptions};
use edustats::ingest::write::LoadSummary;

/// A migrated SQLite database in a temporary folder (kept alive by the returned guard), loaded
/// with `seeds/`.
pub fn seeded_sqlite() -> (tempfile::TempDir, Db, LoadSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite3").display());
    let db = Db::connect(&url, PoolOptions::default()).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("connection");
    let summary =
        edustats::ingest::seed::load(&mut conn, &edustats::config::default_seeds_dir(), false)
            .expect("seeds load");
    drop(conn);
    (dir, db, summary)
}
