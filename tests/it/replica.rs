//! Read replicas (`--read-database-url`): a private PostgreSQL primary and a streaming replica
//! made from it with `pg_basebackup -R`, and the real router over a `Db` holding both pools.
//!
//! What it shows: GraphQL reads are answered by the replica (with the replica's WAL replay
//! paused, a read does not see a write the primary already committed; the replica's own
//! `pg_stat_activity` holds the read's statements), mutations go to the primary (the replica
//! would refuse them: it is read-only), and a write becomes visible through a read once the
//! replica has replayed it.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use edustats::auth::Role;
use edustats::db::{Db, PoolOptions};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::pg_server::PrivatePg;

const READ_APP: &str = "edustats-read";

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    v: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn post(router: &axum::Router, key: Option<&str>, query: &str, variables: Value) -> Value {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let resp = router
        .clone()
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON response")
}

const IMPORT: &str =
    r#"mutation($input: ImportInput!) { importReport(input: $input) { sourceCreated created } }"#;
const READ: &str = r#"{ source(code: "synthetic-import-2024") { code observations { key } } }"#;

/// Waits until the replica has replayed everything the primary has written so far.
fn wait_for_replay(primary: &mut PgConnection, replica: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Lsn {
        #[diesel(sql_type = Text)]
        lsn: String,
    }
    let target = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result::<Lsn>(primary)
        .expect("primary LSN")
        .lsn;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = diesel::sql_query(format!(
            "SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn AS v"
        ))
        .get_result::<Flag>(replica)
        .expect("replay LSN")
        .v;
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica did not replay up to {target} in 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup); run with --include-ignored"]
async fn reads_go_to_the_replica_and_writes_to_the_primary() {
    let primary = PrivatePg::start_new();
    let replica = PrivatePg::replica_of(&primary);
    let primary_url = format!("{}?application_name=edustats-write", primary.url());
    let replica_url = format!("{}?application_name={READ_APP}", replica.url());

    let mut on_replica = PgConnection::establish(&replica.url()).expect("replica");
    let recovering = diesel::sql_query("SELECT pg_is_in_recovery() AS v")
        .get_result::<Flag>(&mut on_replica)
        .expect("pg_is_in_recovery")
        .v;
    assert!(recovering, "the replica is not in recovery (not a standby)");

    let options = PoolOptions::default();
    let db = Db::connect(&primary_url, options)
        .expect("primary")
        .with_read_replica(&replica_url, options)
        .expect("replica");
    let expected_target = format!("postgres://127.0.0.1:{}/postgres", replica.port());
    assert_eq!(db.replica_target(), Some(expected_target.as_str()));
    db.migrate().expect("migrations on the primary");
    let key = {
        let mut conn = db.get().expect("primary connection");
        edustats::ingest::seed::load(&mut conn, &crate::common::synthetic_dir(), false)
            .expect("synthetic seeds load");
        edustats::auth::create_key(&mut conn, "replica-test", Role::Editor, "test").expect("key")
    };
    let mut on_primary = PgConnection::establish(&primary.url()).expect("primary");
    wait_for_replay(&mut on_primary, &mut on_replica);
    let router = edustats::http::router(db.clone());

    // The replica answers reads: its sessions opened by edustats ran the read's statements.
    let v = post(&router, None, "{ districts { code } }", json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert!(
        !v["data"]["districts"].as_array().expect("list").is_empty(),
        "{v}"
    );
    let served = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = '{READ_APP}' AND query ILIKE '%districts%'"
    ))
    .get_result::<Count>(&mut on_replica)
    .expect("replica activity")
    .n;
    assert!(
        served >= 1,
        "no edustats session on the replica ran the read"
    );

    // Replay paused: the primary commits the import, the replica does not show it yet.
    diesel::sql_query("SELECT pg_wal_replay_pause()")
        .execute(&mut on_replica)
        .expect("pause replay");
    let v = post(
        &router,
        Some(&key),
        IMPORT,
        json!({"input": crate::common::import_input(&crate::common::import_bundle())}),
    )
    .await;
    assert!(
        v.get("errors").is_none(),
        "the mutation (which must go to the primary) failed: {v}"
    );
    assert_eq!(
        v["data"]["importReport"]["sourceCreated"],
        "synthetic-import-2024"
    );
    let on_primary_now =
        diesel::sql_query("SELECT count(*) AS n FROM sources WHERE code = 'synthetic-import-2024'")
            .get_result::<Count>(&mut on_primary)
            .expect("primary count")
            .n;
    assert_eq!(on_primary_now, 1, "the write is on the primary");
    let v = post(&router, None, READ, json!({})).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "with replay paused, a read must come from the replica and not see the new source: {v}"
    );

    // Replay resumed: the same read sees the write.
    diesel::sql_query("SELECT pg_wal_replay_resume()")
        .execute(&mut on_replica)
        .expect("resume replay");
    wait_for_replay(&mut on_primary, &mut on_replica);
    let v = post(&router, None, READ, json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(v["data"]["source"]["code"], "synthetic-import-2024");
    assert_eq!(
        v["data"]["source"]["observations"]
            .as_array()
            .expect("list")
            .len(),
        4,
        "{v}"
    );
}

/// Without a replica every request stays on the primary, and a replica is refused for SQLite.
#[test]
fn a_replica_needs_postgresql() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("a.sqlite3").display());
    let db = Db::connect(&url, PoolOptions::default()).expect("sqlite");
    assert_eq!(db.replica_target(), None);
    let e = match db.with_read_replica("postgres://postgres@127.0.0.1:1/x", PoolOptions::default())
    {
        Ok(_) => panic!("a replica for SQLite was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("needs PostgreSQL"), "{e}");
}
