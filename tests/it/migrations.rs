//! Migrations on a database that holds data: the newest migration is reverted and applied again
//! over the real seeds, and nothing is lost or left dangling. This matters most for SQLite,
//! where changing a CHECK list rebuilds the table that every observation references.

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use edustats::db::DbConnection;
use serde_json::json;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Observations whose source row exists, and sources.
fn counts(conn: &mut DbConnection) -> (i64, i64) {
    let joined: Count = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM observations o JOIN sources s ON s.id = o.source_id",
    )
    .get_result(conn)
    .expect("join");
    let sources: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM sources")
        .get_result(conn)
        .expect("count");
    (joined.n, sources.n)
}

#[derive(QueryableByName)]
struct Kind {
    #[diesel(sql_type = Text)]
    kind: String,
}

#[tokio::test]
async fn the_newest_migration_reverts_and_reapplies_over_the_seeds() {
    let app = crate::common::TestApp::seeded();
    let before_obs = app.observation_count().await;
    let mut conn = app.db.get().expect("connection");
    let before = counts(&mut conn);
    assert_eq!(before.0, before_obs, "every observation joins its source");
    let dir = |backend: &str| {
        FileBasedMigrations::from_path(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend),
        )
        .expect("migrations folder")
    };
    match &mut *conn {
        DbConnection::Sqlite(c) => {
            let m = dir("sqlite");
            c.revert_last_migration(m.clone()).expect("down");
            c.run_pending_migrations(m).expect("up");
            #[derive(QueryableByName)]
            struct Violation {
                #[diesel(sql_type = Text)]
                #[allow(dead_code)]
                table: String,
            }
            let broken: Vec<Violation> = diesel::sql_query("PRAGMA foreign_key_check")
                .load(c)
                .expect("foreign_key_check");
            assert!(broken.is_empty(), "{} dangling references", broken.len());
        }
        DbConnection::Postgres(c) => {
            let m = dir("postgres");
            c.revert_last_migration(m.clone()).expect("down");
            c.run_pending_migrations(m).expect("up");
        }
    }
    assert_eq!(counts(&mut conn), before, "nothing lost");
    let kinds: Vec<Kind> = diesel::sql_query("SELECT DISTINCT kind FROM sources ORDER BY kind")
        .load(&mut conn)
        .expect("kinds");
    assert_eq!(
        kinds.into_iter().map(|k| k.kind).collect::<Vec<_>>(),
        [
            "rectification_plan",
            "rectification_report",
            "self_evaluation"
        ]
    );
    drop(conn);
    // The API still answers from the rebuilt table.
    let data = app.data(r#"{ sources { code kind } }"#, json!({})).await;
    assert_eq!(
        data["sources"].as_array().map(Vec::len),
        Some(before.1 as usize)
    );
}

/// A statistics bulletin is a source kind of its own; an import of one is stored and read back.
#[tokio::test]
async fn a_statistics_source_is_stored() {
    let app = crate::common::TestApp::seeded();
    let key = app.key("stats-editor", edustats::auth::Role::Editor);
    let text = "重庆市荣昌区2023年教育事业发展统计公报\n";
    let r = app
        .graphql_as(
            &key,
            r#"mutation($s: SourceRecordInput!) { importReport(input: { source: $s, observations: [] }) { created } }"#,
            json!({ "s": {
                "code": "rongchang-2023-statistics",
                "titleZh": "重庆市荣昌区2023年教育事业发展统计公报",
                "titleEn": "Rongchang District: education statistics (2023)",
                "issuer": "重庆市荣昌区教育委员会",
                "district": "500153",
                "kind": "statistics",
                "reviewYear": 2023,
                "text": text
            }}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let data = app
        .data(
            r#"{ source(code: "rongchang-2023-statistics") { kind } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["source"]["kind"], "statistics");
}

/// Servers started together over a new database (replicas of the API behind a load balancer,
/// a rolling deploy, a test pool) all come up, and every migration is applied exactly once:
/// the others wait for the first and then find nothing pending.
#[test]
fn servers_started_together_migrate_once() {
    use std::sync::{Arc, Barrier};
    let (url, _guard) = crate::common::unmigrated_database();
    let backend = match crate::common::backend() {
        edustats::db::Backend::Postgres => "postgres",
        edustats::db::Backend::Sqlite => "sqlite",
    };
    let migrations = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend),
    )
    .expect("migrations folder")
    .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
    .count();
    assert!(migrations > 1);
    let servers = 4;
    let start = Arc::new(Barrier::new(servers));
    let handles: Vec<_> = (0..servers)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || {
                let db = edustats::db::Db::connect(&url, edustats::db::PoolOptions::default())
                    .expect("connect");
                start.wait();
                db.migrate()
            })
        })
        .collect();
    let applied: Vec<Vec<String>> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic").expect("every server migrates"))
        .collect();
    let total: usize = applied.iter().map(Vec::len).sum();
    assert_eq!(
        total, migrations,
        "each migration applied once: {applied:?}"
    );
}
