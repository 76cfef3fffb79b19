//! JSON logs: every line of a request carries its request id. In its own test binary: the
//! test installs a thread-local subscriber, and tracing caches per call site whether anyone
//! listens, which other tests running at the same time in the same process would disturb.

// Tests unwrap: a panic is a failed test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use edustats::db::{Db, PoolOptions};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn json_logs_carry_the_request_id_on_every_line_of_the_request() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = edustats::observe::subscriber(
        edustats::observe::LogFormat::Json,
        tracing_subscriber::EnvFilter::new("info"),
        move || writer.clone(),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    // Not ready: the handler logs a warning of its own, besides the line per response.
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bare.sqlite3").display());
    let bare = Db::connect(&url, PoolOptions::default()).expect("connect");
    let router = edustats::http::router(bare);
    let req = Request::get("/readyz")
        .header("x-request-id", "trace-me-42")
        .body(Body::empty())
        .expect("request");
    let resp = router.oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    resp.into_body().collect().await.expect("body");
    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .collect();
    assert!(lines.len() >= 2, "{text}");
    for line in &lines {
        assert_eq!(line["span"]["request_id"], "trace-me-42", "{line}");
    }
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert!(
        messages.contains(&"not ready: migrations pending"),
        "{messages:?}"
    );
    assert!(messages.contains(&"answered"), "{messages:?}");
    let answered = lines
        .iter()
        .find(|l| l["message"] == "answered")
        .expect("answered");
    assert_eq!(answered["status"], 503);
}
