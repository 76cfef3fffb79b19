//! The embedded web pages and assets over HTTP (content types, cache headers, revalidation),
//! that our own pages name no other host, and that the depth limit lets the standard
//! introspection query through while still refusing deep data queries.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

async fn get(
    app: &TestApp,
    path: &str,
    etag: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(path);
    if let Some(t) = etag {
        req = req.header("if-none-match", t);
    }
    send(app, req.body(Body::empty()).expect("request")).await
}

/// The router's answer to `req`: status, headers and the whole body.
async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = edustats::http::router(app.db.clone())
        .oneshot(req)
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn header<'a>(h: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn pages_revalidate_and_vendored_files_are_immutable() {
    let app = TestApp::synthetic();
    let (status, h, body) = get(&app, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&h, "cache-control"), "no-cache");
    assert!(String::from_utf8_lossy(&body).contains("dashboard.js"));
    let tag = header(&h, "etag").to_string();
    assert!(tag.starts_with("W/\"") && tag.len() > 10, "{tag}");
    let (status, _, body) = get(&app, "/", Some(&tag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, _, _) = get(&app, "/", Some("\"stale\"")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, h, body) = get(
        &app,
        "/assets/vendor/echarts-5.6.0/echarts.dashboard.min.js",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(
        header(&h, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    // The dashboard's own build of ECharts: smaller than the full 5.6.0 bundle (about 1 MB).
    assert!(
        body.len() > 300_000 && body.len() < 700_000,
        "{}",
        body.len()
    );
    let (_, h, _) = get(&app, "/assets/vendor/echarts-4.9.0/chongqing.json", None).await;
    assert_eq!(header(&h, "content-type"), "application/json");
    let (_, h, _) = get(&app, "/assets/vendor/graphiql-3.8.3/graphiql.min.css", None).await;
    assert_eq!(header(&h, "content-type"), "text/css; charset=utf-8");
    let (_, h, body) = get(&app, "/assets/vendor/echarts-5.6.0/LICENSE", None).await;
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    assert!(String::from_utf8_lossy(&body).contains("Apache License"));
    // zrender is bundled into the ECharts build: its BSD licence is served beside it.
    let (status, _, body) = get(&app, "/assets/vendor/zrender-5.6.1/LICENSE", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("Redistribution"));
}

/// The review page is served like the dashboard (HTML, revalidated) and linked from it.
#[tokio::test]
async fn the_review_page_is_served_and_linked_from_the_dashboard() {
    let app = TestApp::synthetic();
    let (status, h, body) = get(&app, "/review", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&h, "cache-control"), "no-cache");
    assert!(String::from_utf8_lossy(&body).contains("/assets/app/review.js"));
    for path in ["/assets/app/review.js", "/assets/app/review.css"] {
        let (status, h, _) = get(&app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&h, "cache-control"), "no-cache", "{path}");
    }
    let (_, _, body) = get(&app, "/", None).await;
    assert!(String::from_utf8_lossy(&body).contains("href=\"/review\""));
}

#[tokio::test]
async fn assets_are_gzipped_for_browsers_that_accept_it() {
    let app = TestApp::synthetic();
    let path = "/assets/vendor/graphiql-3.8.3/graphiql.min.js";
    let req = Request::get(path)
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .expect("request");
    let resp = edustats::http::router(app.db.clone())
        .oneshot(req)
        .await
        .expect("response");
    assert_eq!(header(resp.headers(), "content-encoding"), "gzip");
    let zipped = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len();
    let (_, h, plain) = get(&app, path, None).await;
    assert_eq!(
        header(&h, "content-encoding"),
        "",
        "identity without accept-encoding"
    );
    assert!(
        zipped * 3 < plain.len(),
        "gzip {zipped} bytes vs {}",
        plain.len()
    );
}

#[tokio::test]
async fn an_unknown_asset_is_not_found_with_its_path() {
    let app = TestApp::synthetic();
    let (status, _, body) = get(&app, "/assets/vendor/echarts-5.0.0/echarts.min.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "NOT_FOUND");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("/assets/vendor/echarts-5.0.0/echarts.min.js"));
}

/// Our own pages, scripts and styles name no other host: every URL they load is a path on
/// this server. (The browser test checks what the pages actually request.)
#[tokio::test]
async fn our_pages_load_nothing_from_another_host() {
    let app = TestApp::synthetic();
    for a in edustats::web::ASSETS.iter().filter(|a| !a.immutable) {
        let (status, _, body) = get(&app, a.path, None).await;
        assert_eq!(status, StatusCode::OK, "{}", a.path);
        // The SVG namespace names a standard, not a place: browsers never fetch it (the SVG
        // download declares it). Any other address fails.
        let text = String::from_utf8_lossy(&body).replace("\"http://www.w3.org/2000/svg\"", "");
        for needle in ["http://", "https://", "src=\"//", "href=\"//", "url(//"] {
            assert!(!text.contains(needle), "{} contains {needle}", a.path);
        }
    }
}

/// The query GraphiQL sends for its documentation explorer: `TypeRef` nests `ofType` eight
/// times, 14 levels under `__schema`, deeper than the data limit of 12.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

#[tokio::test]
async fn introspection_passes_the_depth_limit_and_deep_data_queries_do_not() {
    let app = TestApp::synthetic();
    let d = app.data(INTROSPECTION, json!({})).await;
    let types = d["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "Ranking"), "{d}");
    assert_eq!(d["__schema"]["queryType"]["name"], "QueryRoot");

    // Exactly 12 levels of data: accepted.
    let twelve = "{ observations { edges { node { source { observations { source { observations { source { observations { district { parent { code } } } } } } } } } } } }";
    let v = app.graphql(twelve, json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");
    // 13: refused, as before.
    let thirteen = "{ observations { edges { node { source { observations { source { observations { source { observations { district { parent { parent { code } } } } } } } } } } } } }";
    let v = app.graphql(thirteen, json!({})).await;
    assert_eq!(
        v["errors"][0]["message"], "Query is nested too deep.",
        "{v}"
    );
    // Depth through a fragment counts the same.
    let via_fragment = "{ observations { edges { node { ...S } } } } fragment S on Observation { source { observations { source { observations { source { observations { district { parent { parent { code } } } } } } } } } }";
    let v = app.graphql(via_fragment, json!({})).await;
    assert_eq!(
        v["errors"][0]["message"], "Query is nested too deep.",
        "{v}"
    );
    // Data fields do not hide behind introspection: `__typename` beside them changes nothing.
    let mixed = "{ __typename observations { edges { node { source { observations { source { observations { source { observations { district { parent { parent { code } } } } } } } } } } } } }";
    let v = app.graphql(mixed, json!({})).await;
    assert_eq!(
        v["errors"][0]["message"], "Query is nested too deep.",
        "{v}"
    );
}

/// `/favicon.ico` is ours (an ICO holding one 32×32 PNG, drawn by web/make-favicon.py) and
/// every page links it, so no page asks the browser for a file the server does not have.
#[tokio::test]
async fn the_favicon_is_served_and_every_page_links_it() {
    let app = TestApp::synthetic();
    let (status, h, body) = get(&app, "/favicon.ico", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "image/x-icon");
    // ICONDIR: reserved 0, type 1 (icon), one image; the image is a PNG at offset 22.
    assert_eq!(&body[..6], &[0, 0, 1, 0, 1, 0]);
    assert_eq!(&body[22..30], b"\x89PNG\r\n\x1a\n");
    let size = u32::from_le_bytes([body[14], body[15], body[16], body[17]]) as usize;
    assert_eq!(
        size + 22,
        body.len(),
        "the directory entry's size is the PNG's"
    );
    for page in ["/", "/review", "/graphql"] {
        let (status, _, body) = get(&app, page, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains(r#"<link rel="icon" href="/favicon.ico">"#),
            "{page} does not link the favicon"
        );
    }
}

/// GraphQL answers of 8 KiB or more go out gzipped to clients that accept it (the dashboard's
/// catalogue: ~180 KB of JSON); small answers and clients without `Accept-Encoding: gzip` get
/// plain JSON, and the gzipped answer is the same JSON.
#[tokio::test]
async fn large_graphql_answers_are_gzipped_for_clients_that_accept_it() {
    let app = TestApp::seeded();
    let post = |query: &str, gzip: bool| {
        let mut req = Request::post("/graphql").header("content-type", "application/json");
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        req.body(Body::from(json!({ "query": query }).to_string()))
            .expect("request")
    };
    let app = &app;
    let encoded = |req: Request<Body>| async move {
        let (_, headers, body) = send(app, req).await;
        (header(&headers, "content-encoding").to_string(), body)
    };
    let large = "{ indicators { code nameZh nameEn definition definitionZh } }";
    let (encoding, zipped) = encoded(post(large, true)).await;
    assert_eq!(encoding, "gzip");
    let (encoding, plain) = encoded(post(large, false)).await;
    assert_eq!(encoding, "");
    assert!(plain.len() > 8 * 1024, "{} bytes", plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .expect("gunzip");
    assert_eq!(unzipped, plain);
    println!(
        "catalogue answer: {} bytes, {} gzipped",
        plain.len(),
        zipped.len()
    );
    let (encoding, _) = encoded(post("{ __typename }", true)).await;
    assert_eq!(encoding, "", "a small answer is sent as it is");
}
