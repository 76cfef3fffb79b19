//! The notifications' transport and caps (issue 28, review gaps): webhooks delivered over
//! https to a receiver whose certificate is signed by a CA made at test time (rcgen), trusted
//! only when the operator gives that CA; the cap on pending webhook deliveries; the caps on
//! `/graphql/ws` connections and on subscriptions per connection, seen by a real graphql-ws
//! client; and `/mcp`'s rate-limit refusal in JSON-RPC's shape.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use edustats::notify::deliver::{self, DeliveryOptions};
use edustats::notify::webhook;
use edustats::notify::{client, Event, ReportPublished};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::common::TestApp;

const SECRET: &str = "SYNTHETIC-tls-secret-0123456789";

/// A made-up event (no write needed: the dispatcher delivers whatever the notifier sends).
fn event(n: usize) -> Event {
    Event::ReportPublished(ReportPublished {
        source: format!("SYNTHETIC-limits-{n}"),
        draft: None,
        actor: "SYNTHETIC".into(),
        at: "2026-01-01T00:00:00.000Z".into(),
        figures: Vec::new(),
    })
}

/// The sum of a metric's samples whose line starts with `prefix` (name and labels).
async fn metric(router: &axum::Router, prefix: &str) -> f64 {
    let res = router
        .clone()
        .oneshot(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("metrics");
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| l.starts_with(prefix) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// Waits (up to 60 s) until `check` holds.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not within 60 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn deliveries(app: &TestApp, name: &str) -> Vec<webhook::Delivery> {
    let mut conn = app.db.get().expect("connection");
    webhook::deliveries(&mut conn, Some(name), 50).expect("delivery log")
}

/// A CA and a `localhost` server certificate it signed, made now; the CA's PEM is written to
/// a file, as an operator would give it.
struct Pki {
    ca_file: tempfile::NamedTempFile,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "SYNTHETIC edustats test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .expect("server params")
        .signed_by(&key, &*ca)
        .expect("server certificate");
    let ca_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca_file.path(), ca.pem()).expect("write CA");
    Pki {
        ca_file,
        server_cert: cert.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    }
}

/// One request the https receiver got: whether its signature verified, and its body.
type Seen = (bool, Value);

/// An https receiver on 127.0.0.1 (reached as `localhost`) that verifies signatures and
/// answers 204.
async fn https_receiver(
    pki: &Pki,
) -> (
    SocketAddr,
    Arc<Mutex<Vec<Seen>>>,
    tokio::task::JoinHandle<()>,
) {
    // The provider the delivery client uses (see src/notify/client.rs for the deprecation).
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let seen: Arc<Mutex<Vec<Seen>>> = Default::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
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
                        SECRET,
                        &h(webhook::TIMESTAMP_HEADER),
                        &h(webhook::SIGNATURE_HEADER),
                        &body,
                        chrono::Utc::now().timestamp(),
                    );
                    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    log.lock().expect("log").push((verified, json));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                // A client that refuses our certificate ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, seen, server)
}

fn quick(attempts: u32) -> DeliveryOptions {
    DeliveryOptions {
        attempts,
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        ..DeliveryOptions::default()
    }
}

/// https: delivered, signed, when the receiver's CA is given; refused at the handshake, and
/// logged `failed` with the reason, when it is not (certificates are always verified).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_webhooks_are_delivered_only_to_a_trusted_certificate() {
    let app = TestApp::empty();
    let pki = pki();
    let (addr, seen, receiver) = https_receiver(&pki).await;
    let url = format!("https://localhost:{}/hook", addr.port());
    {
        let mut conn = app.db.get().expect("connection");
        let kinds = webhook::parse_events("report_published").expect("events");
        webhook::add(&mut conn, "tls", &url, &kinds, Some(SECRET.into()), "test").expect("add");
    }

    // With the CA given: delivered.
    let trusted = client::build(&client::TlsOptions {
        extra_ca_file: Some(pki.ca_file.path().to_path_buf()),
    })
    .expect("client with the CA");
    let (router, notifier) =
        edustats::http::router_and_notifier(app.db.clone(), edustats::http::Options::default());
    let dispatcher = deliver::spawn_with(app.db.clone(), &notifier, quick(3), trusted);
    notifier.send(vec![event(1)]);
    until("the https delivery", || async {
        deliveries(&app, "tls")
            .first()
            .is_some_and(|d| d.status == "delivered")
    })
    .await;
    let log = deliveries(&app, "tls");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].attempts, log[0].last_status),
        (1, Some(204)),
        "{log:?}"
    );
    {
        let seen = seen.lock().expect("seen");
        assert_eq!(seen.len(), 1);
        assert!(seen[0].0, "the signature verifies over TLS");
        assert_eq!(
            seen[0].1["data"]["source"], "SYNTHETIC-limits-1",
            "{:?}",
            seen[0].1
        );
        assert_eq!(seen[0].1["delivery"], log[0].id);
    }
    dispatcher.abort();

    // Without it: the handshake fails, the delivery is failed with the TLS reason.
    let (router2, notifier2) =
        edustats::http::router_and_notifier(app.db.clone(), edustats::http::Options::default());
    let untrusted = client::build(&client::TlsOptions::default()).expect("default client");
    let dispatcher = deliver::spawn_with(app.db.clone(), &notifier2, quick(2), untrusted);
    notifier2.send(vec![event(2)]);
    until("the refused delivery to be failed", || async {
        deliveries(&app, "tls")
            .first()
            .is_some_and(|d| d.status == "failed")
    })
    .await;
    let failed = deliveries(&app, "tls").remove(0);
    assert_eq!(failed.attempts, 2, "{failed:?}");
    assert_eq!(failed.last_status, None, "{failed:?}");
    let why = failed.last_error.clone().unwrap_or_default();
    assert!(
        why.starts_with("TLS handshake failed: invalid peer certificate")
            && why.contains("UnknownIssuer")
            && why.contains("--webhook-ca-file"),
        "{why}"
    );
    assert_eq!(
        seen.lock().expect("seen").len(),
        1,
        "nothing reached the receiver"
    );
    assert_eq!(
        metric(
            &router2,
            "edustats_webhook_deliveries_total{outcome=\"failed\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(
            &router,
            "edustats_webhook_deliveries_total{outcome=\"delivered\"}"
        )
        .await,
        1.0
    );
    dispatcher.abort();
    receiver.abort();

    // Other schemes are refused at registration, naming the accepted ones.
    let mut conn = app.db.get().expect("connection");
    let kinds = webhook::parse_events("all").expect("events");
    for bad in ["ftp://localhost/hook", "ws://localhost/hook"] {
        let err = webhook::add(&mut conn, "bad", bad, &kinds, None, "test")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("the scheme must be http or https"),
            "{bad}: {err}"
        );
    }
}

/// A receiver that accepts connections and never answers keeps its deliveries pending; past
/// `max_pending`, a delivery is logged `failed` with no attempt and counted `dropped`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_deliveries_are_capped_and_the_overflow_is_logged() {
    let app = TestApp::empty();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = silent.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    {
        let mut conn = app.db.get().expect("connection");
        let kinds = webhook::parse_events("report_published").expect("events");
        let url = format!("http://{addr}/hook");
        webhook::add(
            &mut conn,
            "silent",
            &url,
            &kinds,
            Some(SECRET.into()),
            "test",
        )
        .expect("add");
    }
    let (router, notifier) =
        edustats::http::router_and_notifier(app.db.clone(), edustats::http::Options::default());
    let options = DeliveryOptions {
        attempts: 1,
        timeout: Duration::from_secs(120),
        max_pending: 2,
        ..DeliveryOptions::default()
    };
    let dispatcher = deliver::spawn(app.db.clone(), &notifier, options);
    notifier.send((1..=3).map(event).collect());
    until("two pending and one dropped", || async {
        let log = deliveries(&app, "silent");
        log.len() == 3 && log.iter().filter(|d| d.status == "failed").count() == 1
    })
    .await;
    let log = deliveries(&app, "silent");
    let dropped: Vec<_> = log.iter().filter(|d| d.status == "failed").collect();
    assert_eq!(dropped[0].attempts, 0, "{log:?}");
    assert_eq!(
        dropped[0].last_error.as_deref(),
        Some("dropped without an attempt: 2 deliveries were already pending (max_webhook_deliveries)"),
        "{log:?}"
    );
    assert_eq!(
        log.iter().filter(|d| d.status == "pending").count(),
        2,
        "{log:?}"
    );
    assert_eq!(
        metric(
            &router,
            "edustats_webhook_deliveries_total{outcome=\"dropped\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(&router, "edustats_webhook_deliveries_pending").await,
        2.0
    );
    assert_eq!(
        metric(&router, "edustats_limit{name=\"max_webhook_deliveries\"}").await,
        2.0
    );
    dispatcher.abort();
    held.abort();
}

/// Sends a WebSocket upgrade for graphql-transport-ws and returns the answer's status.
async fn upgrade_status(addr: SocketAddr) -> u16 {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /graphql/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut head = vec![0u8; 12];
    tcp.read_exact(&mut head).await.expect("status line");
    String::from_utf8_lossy(&head[9..12])
        .parse()
        .expect("a status code")
}

/// graphql-ws (npm) on a server capped at one `/graphql/ws` connection and two subscriptions
/// per connection: the third subscription gets a graphql-transport-ws `error` message with
/// `TOO_MANY_SUBSCRIPTIONS` while the two others go on and receive their event; a second
/// connection is refused with 503 until the first closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_and_ws_connections_are_capped() {
    let app = TestApp::empty();
    let (router, notifier) = edustats::http::router_and_notifier(
        app.db.clone(),
        edustats::http::Options {
            notify: edustats::http::NotifyLimits {
                max_ws_connections: 1,
                max_subscriptions_per_connection: 2,
            },
            ..edustats::http::Options::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            served.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    const Q: &str = "subscription { reportPublished { source } }";
    let spec = json!([
        {"query": Q, "count": 1},
        {"query": Q, "count": 1},
        {"query": Q, "count": 1},
    ]);
    let client = crate::notifications::start_client(addr, &spec);
    until("two subscriptions open and one refused", || async {
        metric(&router, "edustats_subscriptions_active").await == 2.0
            && metric(
                &router,
                "edustats_subscriptions_refused_total{cap=\"per_connection\"}",
            )
            .await
                == 1.0
    })
    .await;
    assert_eq!(metric(&router, "edustats_ws_connections_open").await, 1.0);
    assert_eq!(
        upgrade_status(addr).await,
        503,
        "a second connection is refused"
    );
    assert_eq!(
        metric(
            &router,
            "edustats_subscriptions_refused_total{cap=\"ws_connections\"}"
        )
        .await,
        1.0
    );
    notifier.send(vec![event(1)]);
    let got = crate::notifications::client_results(client).await;
    let mut refused = 0;
    for r in got.as_array().expect("results") {
        if r["error"].is_null() {
            assert_eq!(
                r["next"][0]["data"]["reportPublished"]["source"], "SYNTHETIC-limits-1",
                "{r}"
            );
        } else {
            refused += 1;
            assert_eq!(
                r["error"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
                "{r}"
            );
            assert!(r["next"].as_array().is_some_and(Vec::is_empty), "{r}");
        }
    }
    assert_eq!(refused, 1, "{got}");
    assert_eq!(
        metric(
            &router,
            "edustats_limit{name=\"max_subscriptions_per_connection\"}"
        )
        .await,
        2.0
    );
    // The client has closed: its slot is free again.
    until("the connection's slot to be returned", || async {
        metric(&router, "edustats_ws_connections_open").await == 0.0
    })
    .await;
    assert_eq!(upgrade_status(addr).await, 101);
    server.abort();
}

/// `/mcp` refused by the rate limit answers as JSON-RPC: the request's id, an error with
/// `data.code` `RATE_LIMITED`, HTTP 429 and `Retry-After`.
#[tokio::test]
async fn mcp_rate_limit_refusals_are_json_rpc() {
    let app = TestApp::empty().with_options(edustats::http::Options {
        rate: edustats::http::RateLimits {
            per_address_per_minute: 1,
            ..edustats::http::RateLimits::default()
        },
        ..edustats::http::Options::default()
    });
    let call = |body: &str| {
        Request::post("/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"SYNTHETIC","version":"0"}}}"#;
    let first = app.router.clone().oneshot(call(init)).await.expect("first");
    assert_ne!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    for (body, id) in [
        (
            r#"{"jsonrpc":"2.0","id":"call-7","method":"tools/list"}"#,
            json!("call-7"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":42,"method":"tools/list"}"#,
            json!(42),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            Value::Null,
        ),
    ] {
        let res = app
            .router
            .clone()
            .oneshot(call(body))
            .await
            .expect("refused");
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!(retry >= 1, "{retry}");
        let bytes = http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body")
            .to_bytes();
        let v: Value = serde_json::from_slice(&bytes).expect("JSON-RPC");
        assert_eq!(v["jsonrpc"], "2.0", "{v}");
        assert_eq!(v["id"], id, "{v}");
        assert_eq!(v["error"]["code"], -32000, "{v}");
        assert_eq!(v["error"]["data"]["code"], "RATE_LIMITED", "{v}");
        assert_eq!(v["error"]["data"]["retryAfter"], retry, "{v}");
        assert!(v.get("errors").is_none(), "not GraphQL-shaped: {v}");
    }
    // /graphql keeps its own shape.
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"query":"{ __typename }"}"#))
                .expect("request"),
        )
        .await
        .expect("graphql");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(v["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{v}");
}
