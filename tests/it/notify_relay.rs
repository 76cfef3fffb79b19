//! A write made outside the server (`edustats import` on the command line) reaches the
//! server's graphql-ws subscribers, on PostgreSQL: the import stores its events in the
//! notification outbox and announces them with NOTIFY in its transaction; the server's
//! listener (`db::listen`) hears it and the relay (`notify::relay`) sends the events.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use edustats::db::listen::Listener;
use edustats::db::Backend;
use serde_json::{json, Value};

use crate::common::{import_fixture, synthetic_dir, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PARITY_DATABASE_URL (or TEST_DATABASE_URL) and pass --include-ignored"]
async fn a_cli_import_reaches_a_graphql_ws_subscriber_through_listen() {
    assert!(
        crate::common::postgres_url().is_some(),
        "set PARITY_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server"
    );
    let app = TestApp::seeded_on(Backend::Postgres, &synthetic_dir());
    let (router, notifier) =
        edustats::http::router_and_notifier(app.db.clone(), edustats::http::Options::default());
    let listener = Listener::start(&app.url);
    let relay = edustats::notify::relay::spawn(&listener, app.db.clone(), notifier.clone());
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tcp.local_addr().expect("addr");
    let served = router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            tcp,
            served.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let started = Instant::now();
    while !listener.is_listening() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "LISTEN not running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let spec = json!([
        {"query": "subscription { reportPublished { source actor figures { key indicator value revision } } }", "count": 1},
        {"query": "subscription { figuresChanged(indicator: \"synthetic_count\") { indicator figures { key value } } }", "count": 1},
    ]);
    let client = crate::notifications::start_client(addr, &spec);
    let started = Instant::now();
    loop {
        let res = tower::ServiceExt::oneshot(
            router.clone(),
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("metrics");
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body")
            .to_bytes();
        let open: f64 = String::from_utf8_lossy(&body)
            .lines()
            .filter(|l| l.starts_with("edustats_subscriptions_active"))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum();
        if open >= 2.0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not subscribed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The import, by another process, on the same database.
    let out = Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args(["import", import_fixture().to_str().expect("path")])
        .env("DATABASE_URL", &app.url)
        .output()
        .expect("run edustats import");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("import report");
    let mut created: Vec<String> = report["created"]
        .as_array()
        .expect("created")
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    created.sort();
    assert!(!created.is_empty(), "{report}");

    let got = crate::notifications::client_results(client).await;
    let published = &got[0]["next"][0]["data"]["reportPublished"];
    assert_eq!(published["source"], "synthetic-import-2024", "{published}");
    let mut keys: Vec<String> = published["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .filter_map(|f| f["key"].as_str().map(str::to_string))
        .collect();
    keys.sort();
    assert_eq!(keys, created, "{published}");
    let changed = &got[1]["next"][0]["data"]["figuresChanged"];
    assert_eq!(changed["indicator"], "synthetic_count", "{changed}");
    assert!(
        changed["figures"].as_array().is_some_and(|f| !f.is_empty()
            && f.iter()
                .all(|x| created.contains(&x["key"].as_str().unwrap_or_default().to_string()))),
        "{changed}"
    );
    // A dry run announces nothing: the outbox holds the one import's row.
    let out = Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args([
            "import",
            "--dry-run",
            import_fixture().to_str().expect("path"),
        ])
        .env("DATABASE_URL", &app.url)
        .output()
        .expect("run edustats import --dry-run");
    assert!(out.status.code().is_some(), "the dry run ran");
    use diesel::prelude::*;
    let mut conn = app.db.get().expect("connection");
    let rows: i64 = edustats::db::schema::notification_outbox::table
        .count()
        .get_result(&mut conn)
        .expect("outbox count");
    assert_eq!(rows, 1);
    relay.abort();
    server.abort();
}
