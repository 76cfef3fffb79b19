//! Notifications (issue 28, item 3): GraphQL subscriptions over graphql-transport-ws at
//! `/graphql/ws`, received by a real client (npm `graphql-ws` over npm `ws`, installed by
//! `scripts/test` into `target/test-env/node`; `EDUSTATS_NODE_MODULES` names another folder),
//! while the test publishes a real report (Rongchang's 2025 rectification report, extracted
//! into a draft and published) and corrects a real seed observation through GraphQL. Events are
//! sent only after a write commits: a dry run and a refused write send none. A subscriber that
//! stops reading is dropped with `SUBSCRIBER_LAGGED` and never holds a writer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{edustats, TestApp};
use async_graphql::futures_util::StreamExt;
use edustats::auth::Role;
use serde_json::{json, Value};

const INSTALL: &str = "scripts/test (it runs npm install --prefix target/test-env/node with tests/clients/package.json), or: mkdir -p target/test-env/node && cp tests/clients/package.json target/test-env/node/ && npm install --prefix target/test-env/node";

/// The folder holding `node_modules` with graphql-ws and ws.
fn node_prefix() -> PathBuf {
    std::env::var("EDUSTATS_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-env/node"))
}

/// Serves the app's own router (so its writes and its subscriptions share one event channel)
/// on a local port.
async fn serve(app: &TestApp) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    (addr, server)
}

/// Starts the Node client on `spec` (see tests/clients/subscribe.mjs).
pub(crate) fn start_client(addr: SocketAddr, spec: &Value) -> std::process::Child {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/subscribe.mjs");
    let modules = node_prefix().join("node_modules");
    assert!(
        modules.join("graphql-ws").is_dir() && modules.join("ws").is_dir(),
        "npm graphql-ws and ws are not installed in {}. Install them: {INSTALL}",
        modules.display()
    );
    Command::new("node")
        .arg(&script)
        .arg(format!("ws://{addr}/graphql/ws"))
        .arg(spec.to_string())
        .env("EDUSTATS_NODE_PREFIX", node_prefix())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node: {e}. Install Node.js 20 or later"))
}

/// The sum of a metric's samples in `/metrics`.
/// Waits for a client of [`start_client`] to end and returns the JSON it printed: one entry
/// per subscription. A client that failed, or found no npm packages, fails the test.
pub(crate) async fn client_results(client: std::process::Child) -> Value {
    let out = tokio::task::spawn_blocking(move || client.wait_with_output())
        .await
        .expect("join")
        .expect("node output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => panic!("npm packages missing ({}). {INSTALL}", stderr.trim()),
        _ => panic!("the client failed ({:?}):\n{stdout}\n{stderr}", out.status),
    }
    serde_json::from_str(stdout.trim()).expect("client JSON")
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let (_, text) = app.get("/metrics").await;
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// Waits until `n` subscriptions are open on the server (their receivers exist, so an event
/// committed from now on reaches them).
async fn until_subscribed(app: &TestApp, n: f64) {
    let started = Instant::now();
    while metric(app, "edustats_subscriptions_active").await < n {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the client did not subscribe within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ok(app: &TestApp, key: &str, query: &str, vars: Value) -> Value {
    let v = app.graphql_as(key, query, vars).await;
    assert!(v.get("errors").is_none(), "unexpected errors: {v}");
    v["data"].clone()
}

/// The observation `key` of `source`, as the API shows it.
async fn stored(app: &TestApp, source: &str, key: &str) -> Value {
    let d = app
        .data(
            "query($s: [String!]) { observations(filter: {sources: $s}, first: 500) { edges { node { key valueText note indicator { code } } } } }",
            json!({"s": [source]}),
        )
        .await;
    d["observations"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["key"] == key)
        .unwrap_or_else(|| panic!("no observation {key} in {source}"))
}

const REPORT: &str = "rongchang-2025-rectification-report";
/// The code the published draft creates.
const CODE: &str = "rongchang-2025-notified";
/// A real seed observation (Changshou's 2023 rectification plan: 392 temporary preschool
/// teachers) whose note the test corrects.
const CORRECTED: &str = "cs23-002";

const PUBLISHED: &str = "subscription { reportPublished { source draft actor at figures { key indicator district period source value unit revision previousValue } } }";
const CHANGED: &str = "subscription($i: String!) { figuresChanged(indicator: $i) { indicator actor figures { key indicator district value unit revision previousValue note previousNote } } }";
const CORRECTION: &str = "subscription($d: String) { correctionMade(district: $d) { actor reason figure { key indicator district period value previousValue note previousNote revision } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graphql_ws_client_receives_what_changed() {
    let seeds = crate::common::seeds_without(REPORT);
    let app = TestApp::seeded_from(seeds.path());
    let key = app.key("notifier-test", Role::Editor);
    let (addr, server) = serve(&app).await;
    let spec = json!([
        {"query": PUBLISHED, "count": 1},
        {"query": CHANGED, "variables": {"i": "temporary_teachers"}, "count": 1},
        {"query": CORRECTION, "variables": {"d": "500115"}, "count": 1},
        // Refusals, each with its code: an unknown indicator, a query on the socket.
        {"query": "subscription { figuresChanged(indicator: \"no_such_indicator\") { indicator } }", "count": 1},
        {"query": "{ indicators { code } }", "count": 1},
        {"query": "subscription { reportPublished { source ", "count": 1},
    ]);
    let client = start_client(addr, &spec);
    until_subscribed(&app, 3.0).await;

    // Writes that do not commit send nothing: a dry run, and a correction that changes nothing.
    let before = stored(&app, "changshou-2023-rectification-plan", CORRECTED).await;
    let text =
        std::fs::read_to_string(crate::common::seeds_dir().join(format!("sources/{REPORT}.txt")))
            .expect("seed report text");
    let draft = ok(
        &app,
        &key,
        "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id } }",
        json!({"t": text, "c": CODE}),
    )
    .await["extractReport"]["id"]
        .as_i64()
        .expect("draft id");
    ok(
        &app,
        &key,
        "mutation($d: Int!) { decidePending(draft: $d, decision: ACCEPTED, minConfidence: 0.5) { position } }",
        json!({"d": draft}),
    )
    .await;
    ok(
        &app,
        &key,
        "mutation($d: Int!) { decidePending(draft: $d, decision: REJECTED, unmatched: true) { position } }",
        json!({"d": draft}),
    )
    .await;
    const PUBLISH: &str = "mutation($d: Int!, $dry: Boolean!) { publishDraft(draft: $d, dryRun: $dry) { sourceCreated created corrected } }";
    ok(&app, &key, PUBLISH, json!({"d": draft, "dry": true})).await;
    let unchanged = app
        .graphql_as(
            &key,
            "mutation($k: String!, $v: String!) { correctObservation(key: $k, value: $v, reason: \"no change\") { revision } }",
            json!({"k": CORRECTED, "v": before["valueText"]}),
        )
        .await;
    assert!(unchanged.get("errors").is_some(), "{unchanged}");
    assert_eq!(metric(&app, "edustats_notifications_total").await, 0.0);

    // The publication and the correction.
    let published =
        ok(&app, &key, PUBLISH, json!({"d": draft, "dry": false})).await["publishDraft"].clone();
    assert_eq!(published["sourceCreated"], CODE, "{published}");
    let note = "SYNTHETIC note: corrected by the notifications test";
    let corrected = ok(
        &app,
        &key,
        "mutation($k: String!, $v: String!, $n: String!) { correctObservation(key: $k, value: $v, note: $n, reason: \"notifications test\") { revision } }",
        json!({"k": CORRECTED, "v": before["valueText"], "n": note}),
    )
    .await["correctObservation"]["revision"]
        .as_i64()
        .expect("revision");

    let got = client_results(client).await;
    server.abort();

    // reportPublished: the draft's source, with every figure it created, from the database.
    let event = &got[0]["next"][0]["data"]["reportPublished"];
    assert_eq!(event["source"], CODE, "{event}");
    assert_eq!(event["draft"], draft, "{event}");
    assert_eq!(event["actor"], "notifier-test", "{event}");
    let figures = event["figures"].as_array().expect("figures");
    let mut keys: Vec<&str> = figures.iter().filter_map(|f| f["key"].as_str()).collect();
    let mut created: Vec<&str> = published["created"]
        .as_array()
        .expect("created")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    keys.sort_unstable();
    created.sort_unstable();
    assert_eq!(keys, created, "{event}");
    assert!(!figures.is_empty());
    for f in figures {
        assert_eq!(f["district"], "500153", "Rongchang: {f}");
        assert_eq!(f["source"], CODE, "{f}");
        assert_eq!(f["revision"], 1, "{f}");
        assert!(f["previousValue"].is_null(), "{f}");
    }
    // Each figure is what the warehouse now holds.
    let first = &figures[0];
    let now = stored(&app, CODE, first["key"].as_str().expect("key")).await;
    assert_eq!(first["value"], now["valueText"], "{first} vs {now}");
    assert_eq!(first["indicator"], now["indicator"]["code"]);

    // figuresChanged(temporary_teachers): the correction of Changshou's figure.
    let event = &got[1]["next"][0]["data"]["figuresChanged"];
    assert_eq!(event["indicator"], "temporary_teachers", "{event}");
    assert_eq!(
        event["figures"],
        json!([{"key": CORRECTED, "indicator": "temporary_teachers", "district": "500115",
            "value": before["valueText"], "unit": "人", "revision": corrected,
            "previousValue": before["valueText"], "note": note, "previousNote": before["note"]}]),
        "{event}"
    );

    // correctionMade(district: Changshou): the same correction, with its reason.
    let event = &got[2]["next"][0]["data"]["correctionMade"];
    assert_eq!(event["actor"], "notifier-test");
    assert_eq!(event["reason"], "notifications test");
    assert_eq!(event["figure"]["key"], CORRECTED);
    assert_eq!(event["figure"]["note"], note);
    assert_eq!(event["figure"]["previousNote"], before["note"]);
    assert_eq!(event["figure"]["period"], "2023");

    // The refusals, coded.
    let code = |i: usize| got[i]["next"][0]["errors"][0]["extensions"]["code"].clone();
    assert_eq!(code(3), "NOT_FOUND", "{}", got[3]);
    assert_eq!(code(4), "BAD_REQUEST", "{}", got[4]);
    assert_eq!(code(5), "GRAPHQL_PARSE_FAILED", "{}", got[5]);

    // The endpoint and the events in /metrics.
    let (_, text) = app.get("/metrics").await;
    assert!(
        text.contains("edustats_notifications_total{event=\"report_published\"} 1"),
        "{text}"
    );
    assert!(text.contains("edustats_notifications_total{event=\"correction_made\"} 1"));
    assert!(text.contains("route=\"/graphql/ws\""), "{text}");
}

/// A subscriber that stops reading: the writers' sends never wait, and once it is more than the
/// channel's capacity behind, it gets one `SUBSCRIBER_LAGGED` error and its stream ends.
#[tokio::test]
async fn a_subscriber_that_stops_reading_is_dropped_and_never_holds_a_writer() {
    let app = TestApp::empty();
    let notifier = edustats::notify::Notifier::new(edustats::observe::Metrics::new());
    let endpoint = edustats::graphql::gate::Endpoint::with_notifier(
        Some(app.db.clone()),
        edustats::graphql::SchemaOptions {
            input: Default::default(),
            introspection: true,
        },
        Some(notifier.clone()),
    );
    let mut stream = endpoint.subscribe(async_graphql::Request::new(
        "subscription { reportPublished { source } }",
    ));
    // The first poll runs the resolver (the receiver now exists) and waits for an event.
    let first = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(first.is_err(), "no event yet: {first:?}");
    let event = |n: usize| {
        edustats::notify::Event::ReportPublished(edustats::notify::ReportPublished {
            source: format!("SYNTHETIC-lag-{n}"),
            draft: None,
            actor: "SYNTHETIC".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            figures: Vec::new(),
        })
    };
    let started = Instant::now();
    let n = edustats::notify::CHANNEL_CAPACITY + 10;
    notifier.send((0..n).map(event).collect());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "sending waited for the subscriber"
    );
    let lagged = stream.next().await.expect("an answer");
    assert_eq!(
        lagged.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code")),
        Some(&async_graphql::Value::from("SUBSCRIBER_LAGGED")),
        "{lagged:?}"
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the lag"
    );
    // A subscriber that keeps up gets every event in order.
    let mut stream = endpoint.subscribe(async_graphql::Request::new(
        "subscription { reportPublished { source } }",
    ));
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    notifier.send((0..3).map(event).collect());
    for i in 0..3 {
        let r = stream.next().await.expect("event");
        assert_eq!(
            r.data.into_json().expect("json")["reportPublished"]["source"],
            format!("SYNTHETIC-lag-{i}")
        );
    }
}

/// One request the receiver got: event, delivery id, whether the signature verified, the
/// body, and what it answered.
type Seen = (String, String, bool, Value, u16);

/// A local webhook receiver that checks every signature and answers 500 to the first attempt
/// of each delivery (so each is retried), 204 to the next.
async fn receiver(
    secret: &'static str,
) -> (
    SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    tokio::task::JoinHandle<()>,
) {
    use axum::http::{HeaderMap, StatusCode};
    use edustats::notify::webhook;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>> = Default::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let verified = webhook::verify(
                    secret,
                    &h(webhook::TIMESTAMP_HEADER),
                    &h(webhook::SIGNATURE_HEADER),
                    &body,
                    chrono::Utc::now().timestamp(),
                );
                let delivery = h(webhook::DELIVERY_HEADER);
                let mut log = log.lock().expect("log");
                let first = !log.iter().any(|s| s.1 == delivery);
                let status = if !verified {
                    StatusCode::UNAUTHORIZED
                } else if first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                };
                let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                log.push((
                    h(webhook::EVENT_HEADER),
                    delivery,
                    verified,
                    json,
                    status.as_u16(),
                ));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen, server)
}

/// Webhooks: registered with the CLI (bad input refused with exit code 2 and a message),
/// delivered signed after a real correction commits, retried after a failure with the same
/// delivery id, logged (`webhooks deliveries`), given up after the last attempt on a receiver
/// that never answers, and silent once removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_and_logged() {
    use axum::body::Body;
    use axum::http::Request;
    use edustats::notify::deliver::{self, DeliveryOptions};
    use edustats::notify::webhook;
    use tower::ServiceExt;
    const SECRET: &str = "SYNTHETIC-test-secret-0123456789";
    let app = TestApp::seeded();
    let key = app.key("webhook-test", Role::Editor);
    let (addr, seen, receiver_server) = receiver(SECRET).await;
    let url = &app.url;

    // Refusals: exit code 2 and what is wrong.
    for (args, says) in [
        (
            vec!["--url", "ftp://127.0.0.1/hook", "--events", "all"],
            "the scheme must be http",
        ),
        (
            vec!["--url", "ws://example.org/hook", "--events", "all"],
            "the scheme must be http or https, not ws",
        ),
        (
            vec!["--url", "not a url", "--events", "all"],
            "invalid webhook URL",
        ),
        (
            vec!["--url", "http://127.0.0.1/hook", "--events", "published"],
            "unknown event \"published\"",
        ),
        (
            vec![
                "--url",
                "http://127.0.0.1/hook",
                "--events",
                "all",
                "--secret",
                "short",
            ],
            "at least 16 characters",
        ),
    ] {
        let mut full = vec!["webhooks", "add", "--name", "refused"];
        full.extend(args);
        let (code, _, err) = edustats(url, &full);
        assert_eq!(code, Some(2), "{full:?}: {err}");
        assert!(err.contains(says), "{full:?}: {err}");
    }
    let hook = format!("http://{addr}/hook");
    let (code, out, err) = edustats(
        url,
        &[
            "webhooks",
            "add",
            "--name",
            "receiver",
            "--url",
            &hook,
            "--events",
            "correction_made,figures_changed",
            "--secret",
            SECRET,
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), SECRET);
    let (code, _, err) = edustats(
        url,
        &[
            "webhooks", "add", "--name", "receiver", "--url", &hook, "--events", "all",
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("already exists"), "{err}");
    // A receiver that never answers: a port that was free a moment ago.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let (code, generated, err) = edustats(
        url,
        &[
            "webhooks",
            "add",
            "--name",
            "gone",
            "--url",
            &format!("http://{gone}/hook"),
            "--events",
            "correction_made",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(generated.trim().starts_with("whsec_"), "{generated}");
    let (code, listed, _) = edustats(url, &["webhooks", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        listed.contains(&format!(
            "receiver\t{hook}\tfigures_changed,correction_made\tactive\t"
        )),
        "{listed}"
    );
    assert!(!listed.contains(SECRET), "the secret is never listed");

    // The server with its dispatcher; a real correction through it.
    let (router, notifier) =
        edustats::http::router_and_notifier(app.db.clone(), edustats::http::Options::default());
    let dispatcher = deliver::spawn(
        app.db.clone(),
        &notifier,
        DeliveryOptions {
            attempts: 3,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            timeout: Duration::from_secs(5),
            ..DeliveryOptions::default()
        },
    );
    let correct = |note: &str| {
        let body = json!({
            "query": "mutation($k: String!, $v: String!, $n: String!) { correctObservation(key: $k, value: $v, note: $n, reason: \"webhook test\") { revision } }",
            "variables": {"k": CORRECTED, "v": "392", "n": note},
        });
        Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let res = router
        .clone()
        .oneshot(correct("SYNTHETIC note: webhook test"))
        .await
        .expect("response");
    assert_eq!(res.status(), 200);

    // Two deliveries to the receiver (correction_made, figures_changed), each failed once
    // and retried; three failed attempts to the one that never answers.
    let settled = |db: &edustats::db::Db| {
        let mut conn = db.get().expect("connection");
        webhook::deliveries(&mut conn, None, 100).expect("log")
    };
    let started = Instant::now();
    loop {
        let log = settled(&app.db);
        if log.len() == 3 && log.iter().all(|d| d.status != "pending") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not settled: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = seen.lock().expect("seen").clone();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|s| s.2), "every signature verifies: {got:?}");
    for event in ["correction_made", "figures_changed"] {
        let attempts: Vec<&Seen> = got.iter().filter(|s| s.0 == event).collect();
        assert_eq!(attempts.len(), 2, "{event}: {got:?}");
        assert_eq!(
            attempts[0].1, attempts[1].1,
            "one delivery id across retries"
        );
        assert_eq!((attempts[0].4, attempts[1].4), (500, 204));
        assert_eq!(attempts[1].3["event"], event);
        assert_eq!(attempts[1].3["webhook"], "receiver");
    }
    let body = &got
        .iter()
        .find(|s| s.0 == "correction_made")
        .expect("correction")
        .3;
    assert_eq!(body["data"]["figure"]["key"], CORRECTED, "{body}");
    assert_eq!(body["data"]["figure"]["district"], "500115", "{body}");
    assert_eq!(
        body["data"]["figure"]["note"],
        "SYNTHETIC note: webhook test"
    );
    assert_eq!(body["data"]["reason"], "webhook test");

    let (code, out, err) = edustats(url, &["webhooks", "deliveries", "--name", "receiver"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{out}");
    for l in &lines {
        assert_eq!(
            &l[1..7],
            &["receiver", l[2], "delivered", "2", "204", "-"],
            "{out}"
        );
    }
    let (code, out, _) = edustats(url, &["webhooks", "deliveries", "--name", "gone"]);
    assert_eq!(code, Some(0));
    let l: Vec<&str> = out.trim().split('\t').collect();
    assert_eq!(
        &l[1..5],
        &["gone", "correction_made", "failed", "3"],
        "{out}"
    );
    assert!(l[6].starts_with("no answer"), "{out}");
    let (code, _, err) = edustats(url, &["webhooks", "deliveries", "--name", "nobody"]);
    assert_eq!(code, Some(2), "{err}");

    // In /metrics.
    let res = router
        .clone()
        .oneshot(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("metrics");
    let text = String::from_utf8_lossy(
        &http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body")
            .to_bytes(),
    )
    .into_owned();
    assert!(
        text.contains("edustats_webhook_deliveries_total{outcome=\"delivered\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("edustats_webhook_deliveries_total{outcome=\"failed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("edustats_webhook_deliveries_total{outcome=\"retry\"} 4"),
        "{text}"
    );

    // Removed: nothing more is delivered to it; removing it again is refused.
    let (code, _, err) = edustats(url, &["webhooks", "remove", "receiver"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = edustats(url, &["webhooks", "remove", "receiver"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = edustats(url, &["webhooks", "remove", "gone"]);
    assert_eq!(code, Some(0), "{err}");
    let res = router
        .clone()
        .oneshot(correct("SYNTHETIC note: after removal"))
        .await
        .expect("response");
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(settled(&app.db).len(), 3, "no delivery after removal");
    assert_eq!(seen.lock().expect("seen").len(), 4);
    let (_, listed, _) = edustats(url, &["webhooks", "list"]);
    assert!(listed.contains("\tremoved\t"), "{listed}");
    dispatcher.abort();
    receiver_server.abort();
}
