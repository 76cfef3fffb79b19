//! The web pages in a real browser: headless Chromium driven through chromedriver (WebDriver,
//! `fantoccini`), against the real router on a random localhost port over a freshly seeded
//! database. Asserts on the real seed data, writes a screenshot of each view under
//! `target/screenshots/`, and checks that no page makes a request to another host: Chromium
//! sends everything that is not loopback to a recording proxy (which answers 502), and
//! cannot resolve any host name.
//!
//! Needs Debian's `chromium` and `chromium-driver`, which `scripts/test` installs. Without them
//! the test fails saying so.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver and the Chromium binary. Without them the test fails: a browser test that
/// cannot run is never counted as a pass (`scripts/test` installs both on Debian).
fn browser() -> (PathBuf, PathBuf) {
    let driver = on_path("chromedriver");
    let chromium = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|n| on_path(n));
    match (driver, chromium) {
        (Some(d), Some(c)) => (d, c),
        _ => panic!(
            "the browser tests need Chromium and chromedriver on PATH: run the tests with \
             `scripts/test`, which installs them (Debian: apt-get install -y chromium \
             chromium-driver)"
        ),
    }
}

/// The chromedriver process; killed when dropped.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A proxy that records the first line of every request it gets and answers 502.
async fn recording_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let first = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("<empty>")
                    .to_string();
                log.lock().expect("log").push(first);
                let _ = sock
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (port, seen)
}

async fn serve(app: &TestApp) -> SocketAddr {
    // The server runs until the test's runtime ends.
    crate::common::serve(app).await.0
}

async fn open_browser(driver: &Path, chromium: &Path, proxy: u16) -> (Client, Driver) {
    let port = free_port();
    let child = std::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = Driver(child);
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--lang=zh-CN",
                format!("--proxy-server=http://127.0.0.1:{proxy}"),
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                // Chromium's own traffic (updates, sign-in, autofill, network time), off so
                // that what reaches the recording proxy is the pages' doing.
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-default-apps",
                "--disable-client-side-phishing-detection", "--disable-domain-reliability",
                "--no-pings", "--disable-breakpad", "--safebrowsing-disable-auto-update",
                "--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,CertificateTransparencyComponentUpdater,SignInProfileCreation",
                "--allow-browser-signin=false", "--incognito"
            ]
        }
    });
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!("an object literal"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.clone());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return (c, guard),
            Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until the page says it is ready showing `view` (`data-ready` on the body).
async fn ready(c: &Client, view: &str, what: &str) -> Value {
    let expr = format!("document.body.getAttribute('data-ready') === '{view}'");
    wait_for(c, &expr, what).await
}

/// Clicks the element `css` selects (`what` names it when it is missing).
async fn click(c: &Client, css: &str, what: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {what}: {e}"));
}

/// Polls `expr` until it is truthy; on timeout fails with the page's status line.
async fn wait_for(c: &Client, expr: &str, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let v = js(c, &format!("return ({expr});")).await;
        let truthy =
            !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
        if truthy {
            return v;
        }
        if Instant::now() > deadline {
            let status = js(
                c,
                "var s = document.getElementById('status'); return s ? s.textContent : document.body.innerText.slice(0, 500);",
            )
            .await;
            panic!("timed out waiting for {what} ({expr}); page says: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: screenshots go beside it, in <target>/screenshots.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// Every resource the current page loaded is on `origin`; returns the page weight in bytes
/// (document and resources): as received (gzipped) and decoded.
async fn same_origin_weight(c: &Client, origin: &str, page: &str) -> (u64, u64) {
    let entries = js(
        c,
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))\
         .map(function (e) { return { name: e.name, bytes: e.encodedBodySize || 0, decoded: e.decodedBodySize || 0 }; });",
    )
    .await;
    let entries = entries.as_array().expect("entries").clone();
    assert!(!entries.is_empty());
    let (mut total, mut decoded) = (0, 0);
    for e in &entries {
        let name = e["name"].as_str().unwrap_or("");
        assert!(
            name.starts_with(origin) || name.starts_with("data:") || name.starts_with("blob:"),
            "{page} requested {name}, not on {origin}"
        );
        total += e["bytes"].as_u64().unwrap_or(0);
        decoded += e["decoded"].as_u64().unwrap_or(0);
    }
    (total, decoded)
}

/// `expected` is what the API answers; the page must show the same.
async fn ranking_from_api(app: &TestApp, indicator: &str, year: i32) -> Value {
    app.data(
        "query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, latestOnOrBefore: true) { \
         rankedCount entries { rank value year district { code nameZh nameEn } \
         observation { quote source { titleZh documentNumber } } } missing { code } } }",
        json!({"i": indicator, "y": year}),
    )
    .await["ranking"]
        .clone()
}

/// The host of the control request in [`nothing_left_the_server`].
const CONTROL_HOST: &str = "control-request.invalid";

/// Nothing the pages did left the server: closes the browser, then checks the proxy's record.
/// First a control: a request a page makes to another host does reach the recording proxy
/// (so an empty record means something).
async fn nothing_left_the_server(c: Client, outside: &Mutex<Vec<String>>) {
    // A host under the reserved `.invalid` domain (RFC 2606): it can never be a real
    // dependency, and the proxy sees the attempt all the same.
    js(
        &c,
        &format!("fetch('https://{CONTROL_HOST}/probe.js').catch(function () {{}}); return 1;"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !outside
        .lock()
        .expect("log")
        .iter()
        .any(|l| l.contains(CONTROL_HOST))
    {
        assert!(
            Instant::now() < deadline,
            "the control request never reached the proxy: the check below would prove nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.close().await.expect("close the browser");
    let seen = outside.lock().expect("log").clone();
    let host = |line: &str| -> String {
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let target = target.split("://").nth(1).unwrap_or(target);
        target.split(['/', ':']).next().unwrap_or("").to_string()
    };
    // Chromium's own services, which it contacts whatever page is open even with the flags of
    // `open_browser` (component updates, sign-in): never a page's request, listed so they are visible.
    let browser_own = [
        "update.googleapis.com",
        "accounts.google.com",
        "clients2.google.com",
        "content-autofill.googleapis.com",
    ];
    let (own, pages): (Vec<&String>, Vec<&String>) = seen
        .iter()
        .filter(|l| !l.contains(CONTROL_HOST))
        .partition(|l| browser_own.contains(&host(l).as_str()));
    eprintln!("Chromium's own requests (not the pages'): {own:?}");
    assert!(
        pages.is_empty(),
        "the pages requested other hosts: {pages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_graphiql_work_offline_in_chromium() {
    let (driver, chromium) = browser();
    let app = TestApp::seeded();
    let addr = serve(&app).await;
    let origin = format!("http://{addr}");
    let (proxy, outside) = recording_proxy().await;
    let (c, _driver) = open_browser(&driver, &chromium, proxy).await;

    // --- Ranking: a real indicator whose 2022 ranking falls back to Dadukou's 2020 figure.
    let expected = ranking_from_api(&app, "public_kindergarten_enrolment_share", 2022).await;
    let order: Vec<&str> = expected["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["district"]["code"].as_str().unwrap_or(""))
        .collect();
    // What the seed reports say (README): 大渡口 50.15 % (end of 2020) before 荣昌 50.05 % (2022).
    assert_eq!(order, ["500104", "500153"]);
    let started = Instant::now();
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=public_kindergarten_enrolment_share&year=2022"
    ))
    .await
    .expect("open dashboard");
    ready(&c, "ranking", "the ranking").await;
    let wall_ms = started.elapsed().as_millis();
    let first_view_ms = js(
        &c,
        "return document.body.getAttribute('data-first-view-ms');",
    )
    .await;
    let rows = js(&c, "return Array.from(document.querySelectorAll('#ranking-table tr[data-district]')).map(function (r) { return r.getAttribute('data-district'); });").await;
    assert_eq!(rows, json!(order), "table rows in rank order");
    let bars = js(&c, "return echarts.getInstanceByDom(document.getElementById('chart-ranking')).getOption().yAxis[0].data;").await;
    let bars: Vec<String> = serde_json::from_value(bars).expect("bar labels");
    assert_eq!(bars.len(), 2, "{bars:?}");
    assert!(
        bars[0].starts_with("1. 大渡口区") && bars[0].contains("2020年数据"),
        "{bars:?}"
    );
    assert!(
        bars[1].starts_with("2. 荣昌区") && !bars[1].contains("年数据"),
        "{bars:?}"
    );
    let coverage = js(
        &c,
        "return document.getElementById('coverage').textContent;",
    )
    .await;
    assert_eq!(coverage, "已排名 2 / 38 个区县");
    let missing = js(&c, "return document.getElementById('missing').textContent;").await;
    assert!(
        missing
            .as_str()
            .unwrap_or("")
            .starts_with("无数据的区县（36）"),
        "{missing}"
    );

    // --- The map: all 38 districts and counties, two of them with a value.
    let map = js(
        &c,
        "var s = echarts.getInstanceByDom(document.getElementById('chart-map')).getModel().getSeriesByIndex(0);\
         var d = s.getData(); var withValue = 0; var names = [];\
         for (var i = 0; i < d.count(); i++) { names.push(d.getName(i)); if (!isNaN(d.get('value', i))) withValue++; }\
         return { regions: s.coordinateSystem.regions.length, items: d.count(), withValue: withValue, names: names };",
    )
    .await;
    assert_eq!(map["regions"], 38, "{map}");
    assert_eq!(map["items"], 38, "{map}");
    assert_eq!(map["withValue"], 2, "{map}");
    let names: Vec<String> = serde_json::from_value(map["names"].clone()).expect("names");
    for code in ["500104", "500153", "500155", "500156"] {
        assert!(
            names.iter().any(|n| n == code),
            "{code} not on the map: {names:?}"
        );
    }
    screenshot(&c, "dashboard-ranking-zh").await;
    let ranking_bytes = same_origin_weight(&c, &origin, "the dashboard").await;

    // --- Hovering a bar shows its provenance in the tooltip (quote, report, document number).
    let quote0 = expected["entries"][0]["observation"]["quote"]
        .as_str()
        .unwrap_or("?");
    js(&c, "echarts.getInstanceByDom(document.getElementById('chart-ranking')).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 }); return 1;").await;
    let tip = wait_for(
        &c,
        &format!(
            "document.getElementById('chart-ranking').innerText.indexOf({}) >= 0 && document.getElementById('chart-ranking').innerText",
            json!(quote0)
        ),
        "the bar's tooltip",
    )
    .await;
    let title0 = expected["entries"][0]["observation"]["source"]["titleZh"]
        .as_str()
        .unwrap_or("?");
    assert!(tip.as_str().unwrap_or("").contains(title0), "{tip}");
    js(&c, "echarts.getInstanceByDom(document.getElementById('chart-ranking')).dispatchAction({ type: 'hideTip' }); return 1;").await;

    // --- Provenance of each entry: its quote, report title and document number (大渡口's
    // report has none printed: the panel says "—").
    for (i, e) in expected["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .enumerate()
    {
        let code = e["district"]["code"].as_str().unwrap_or("?");
        let o = &e["observation"];
        let quote = o["quote"].as_str().unwrap_or("?");
        click(
            &c,
            &format!("#ranking-table tr[data-district='{code}']"),
            "ranking row",
        )
        .await;
        let prov = wait_for(
            &c,
            &format!(
                "document.getElementById('provenance').className === 'open' && \
                 document.getElementById('provenance').innerText.indexOf({}) >= 0 && \
                 document.getElementById('provenance').innerText",
                json!(quote)
            ),
            "the provenance panel",
        )
        .await;
        let prov = prov.as_str().unwrap_or("");
        let doc_no = format!(
            "文号：{}",
            o["source"]["documentNumber"].as_str().unwrap_or("—")
        );
        for part in [
            o["source"]["titleZh"].as_str().unwrap_or("?"),
            doc_no.as_str(),
        ] {
            assert!(
                prov.contains(part),
                "provenance of entry {i} lacks {part:?}: {prov}"
            );
        }
        screenshot(&c, &format!("dashboard-provenance-{code}")).await;
    }
    // The panel now shows the last entry (荣昌, 2022): its source view is checked next.
    let last = &expected["entries"][1]["observation"];

    // --- Source view: the report text with the quote highlighted.
    click(&c, "#provenance .open-source", "source link").await;
    ready(&c, "source", "the source view").await;
    let mark = js(
        &c,
        "var m = document.querySelector('#source-text mark'); return m ? m.textContent : null;",
    )
    .await;
    assert_eq!(mark.as_str(), last["quote"].as_str(), "highlighted span");
    screenshot(&c, "dashboard-source-zh").await;

    // --- English: labels change, district names too.
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=public_kindergarten_enrolment_share&year=2022"
    ))
    .await
    .expect("back to the ranking");
    ready(&c, "ranking", "the ranking").await;
    click(&c, "#lang-toggle", "toggle").await;
    wait_for(&c, "document.body.getAttribute('data-ready') === 'ranking' && location.hash.indexOf('lang=en') >= 0", "the English ranking").await;
    let en = js(&c, "return { h1: document.querySelector('h1').textContent, tab: document.querySelector('[data-view=ranking]').textContent, coverage: document.getElementById('coverage').textContent, th: document.querySelector('#ranking-table th').textContent, bars: echarts.getInstanceByDom(document.getElementById('chart-ranking')).getOption().yAxis[0].data, lang: document.documentElement.lang };").await;
    assert_eq!(
        en["h1"], "Education statistics of Chongqing's districts",
        "{en}"
    );
    assert_eq!(en["tab"], "Ranking");
    assert_eq!(en["coverage"], "2 of 38 districts ranked");
    assert_eq!(en["th"], "Rank");
    assert_eq!(en["lang"], "en");
    assert!(
        en["bars"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("1. Dadukou District (2020 value)"),
        "{en}"
    );
    screenshot(&c, "dashboard-ranking-en").await;

    // --- 亿 formatting with the exact value on hover: education spending in yuan.
    let spending = ranking_from_api(&app, "general_budget_education_spending", 2021).await;
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=general_budget_education_spending&year=2021&lang=zh"
    ))
    .await
    .expect("spending");
    ready(&c, "ranking", "the spending ranking").await;
    let cells = js(&c, "return Array.from(document.querySelectorAll('#ranking-table td.num')).map(function (td) { return [td.textContent, td.title]; });").await;
    let cells: Vec<(String, String)> = serde_json::from_value(cells).expect("cells");
    assert_eq!(
        cells.len(),
        spending["rankedCount"].as_u64().unwrap_or(0) as usize
    );
    for ((shown, title), e) in cells
        .iter()
        .zip(spending["entries"].as_array().expect("entries"))
    {
        let v = e["value"].as_f64().expect("value");
        assert_eq!(
            shown,
            &format!("{}亿元", ((v / 1e8) * 100.0).round() / 100.0),
            "{cells:?}"
        );
        let exact = title
            .trim_start_matches("精确值: ")
            .replace([',', '元'], "");
        assert_eq!(exact.parse::<f64>().ok(), Some(v), "{title}");
    }

    // --- Change: percentage points labelled as such (荣昌 45.92 % → 36.63 %).
    c.goto(&format!(
        "{origin}/#view=change&indicator=student_physical_health_good_rate&from=2023&year=2024"
    ))
    .await
    .expect("change");
    ready(&c, "change", "the change view").await;
    let change = js(
        &c,
        "return document.getElementById('change-table').innerText;",
    )
    .await;
    assert!(
        change.as_str().unwrap_or("").contains("-9.29 个百分点"),
        "{change}"
    );
    screenshot(&c, "dashboard-change-zh").await;

    // --- Time series of one district.
    c.goto(&format!(
        "{origin}/#view=series&indicator=student_physical_health_good_rate&district=500153"
    ))
    .await
    .expect("series");
    ready(&c, "series", "the time series").await;
    let points = js(
        &c,
        "return document.querySelectorAll('#series-table tr').length - 1;",
    )
    .await;
    assert!(points.as_u64().unwrap_or(0) >= 2, "{points}");
    screenshot(&c, "dashboard-series-zh").await;
    let dashboard_bytes = same_origin_weight(&c, &origin, "the dashboard").await;

    // --- Keyboard: a ranking row takes the focus and Enter opens its provenance; at phone
    // width nothing overflows sideways.
    c.set_window_size(390, 844).await.expect("phone width");
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=public_kindergarten_enrolment_share&year=2022&lang=zh"
    ))
    .await
    .expect("ranking again");
    ready(&c, "ranking", "the ranking at phone width").await;
    js(
        &c,
        "document.getElementById('provenance').className = ''; return 1;",
    )
    .await;
    let row = c
        .find(Locator::Css("#ranking-table tr[data-district='500153']"))
        .await
        .expect("row");
    js(
        &c,
        "document.querySelector(\"#ranking-table tr[data-district='500153']\").focus(); return 1;",
    )
    .await;
    row.send_keys("\u{E007}").await.expect("Enter");
    wait_for(
        &c,
        "document.getElementById('provenance').className === 'open'",
        "provenance from the keyboard",
    )
    .await;
    let overflow = js(
        &c,
        "return document.documentElement.scrollWidth - window.innerWidth;",
    )
    .await;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "sideways overflow at phone width: {overflow} px"
    );
    screenshot(&c, "dashboard-phone").await;
    c.set_window_size(1280, 800).await.expect("desktop width");

    // --- An error is shown in words, not as a blank page.
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=no_such_indicator"
    ))
    .await
    .expect("unknown indicator");
    wait_for(
        &c,
        "document.getElementById('status').textContent === '没有符合条件的指标。'",
        "the words for an unknown indicator",
    )
    .await;

    // --- GraphiQL: renders, its documentation explorer reads the schema, it runs a query.
    let started = Instant::now();
    c.goto(&format!("{origin}/graphql"))
        .await
        .expect("GraphiQL");
    wait_for(&c, "document.querySelector('.graphiql-container') && document.querySelector('.graphiql-execute-button')", "GraphiQL").await;
    let graphiql_ms = started.elapsed().as_millis();
    click(&c, ".graphiql-execute-button", "run button").await;
    let result = wait_for(&c, "(function () { var r = document.querySelector('.result-window'); return r && r.innerText.indexOf('大渡口区') >= 0 && r.innerText; })()", "the example query's result").await;
    assert!(
        result
            .as_str()
            .unwrap_or("")
            .contains("\"coverage\": \"2 of 38\""),
        "{result}"
    );
    click(
        &c,
        "[aria-label='Show Documentation Explorer']",
        "docs button",
    )
    .await;
    let docs = wait_for(&c, "(function () { var d = document.querySelector('.graphiql-doc-explorer'); return d && d.innerText.indexOf('QueryRoot') >= 0 && d.innerText; })()", "the documentation explorer").await;
    assert!(
        !docs.as_str().unwrap_or("").contains("nested too deep"),
        "{docs}"
    );
    screenshot(&c, "graphiql").await;
    let graphiql_bytes = same_origin_weight(&c, &origin, "GraphiQL").await;

    nothing_left_the_server(c, &outside).await;
    eprintln!(
        "page weight (gzipped, decoded): dashboard ranking view {ranking_bytes:?} bytes, after all views {dashboard_bytes:?} bytes, GraphiQL {graphiql_bytes:?} bytes; \
         dashboard first view drawn at {first_view_ms} ms after navigation start ({wall_ms} ms wall clock incl. WebDriver); \
         GraphiQL ready in {graphiql_ms} ms"
    );
}

/// The source code the reviewed draft creates (the seed report itself is already published).
const REVIEW_CODE: &str = "rongchang-2025-review";

const REVIEW_ITEMS: &str = "query($id: Int!) { draft(id: $id) { status pending items { position type decision value quote confidence why suggested { nameZh } row { indicator note } } } }";

/// The draft as the API sees it (editor key).
async fn draft_from_api(app: &TestApp, key: &str, id: i64) -> Value {
    let v = app.graphql_as(key, REVIEW_ITEMS, json!({ "id": id })).await;
    assert!(v.get("errors").is_none(), "{v}");
    v["data"]["draft"].clone()
}

fn items_of(draft: &Value) -> Vec<Value> {
    draft["items"].as_array().expect("items").clone()
}

fn position(item: &Value) -> i64 {
    item["position"].as_i64().expect("position")
}

/// Waits until the page is not saving, then returns the status line.
async fn settled(c: &Client) -> Value {
    wait_for(
        c,
        "!document.body.hasAttribute('data-busy')",
        "the save to finish",
    )
    .await;
    js(c, "return document.getElementById('status').textContent;").await
}

/// The codes a Chinese page may show in ASCII: every indicator, unit, category and dimension
/// code of the catalogue.
async fn catalogue_codes(app: &TestApp) -> std::collections::HashSet<String> {
    let d = app
        .data(
            "{ indicators { code unit category dimensions } }",
            json!({}),
        )
        .await;
    let mut codes: std::collections::HashSet<String> = edustats::domain::CanonicalUnit::all()
        .iter()
        .map(|u| u.as_str().to_string())
        .chain(
            edustats::domain::Category::all()
                .iter()
                .map(|c| c.as_str().to_string()),
        )
        .collect();
    for i in d["indicators"].as_array().expect("indicators") {
        for f in ["code", "unit", "category"] {
            codes.extend(i[f].as_str().map(String::from));
        }
        for dim in i["dimensions"].as_array().into_iter().flatten() {
            codes.extend(dim.as_str().map(String::from));
        }
    }
    codes
}

/// The English words of a text meant for a Chinese reader: its ASCII words that are not codes.
/// A word with a digit, `_`, `-`, `=` or `.` inside (a key, a period, a breakdown, a figure) is
/// a code, and so is one of `codes`; any other run of ASCII letters is English. What is quoted
/// “…” is the report's own text (B证, KTV), not the page's words, and is left out.
fn english_words(text: &str, codes: &std::collections::HashSet<String>) -> Vec<String> {
    let mut own = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '“' => depth += 1,
            '”' => depth = depth.saturating_sub(1),
            _ if depth == 0 => own.push(c),
            _ => {}
        }
    }
    own.split(|c: char| !(c.is_ascii_alphanumeric() || "_-=.".contains(c)))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit() || "_-=.".contains(c)))
        .filter(|w| !codes.contains(*w))
        .map(String::from)
        .collect()
}

#[test]
fn english_words_are_found_and_codes_are_not() {
    let codes: std::collections::HashSet<String> = ["percent".to_string()].into();
    assert!(english_words(
        "学校数（school_count）：相似度 0.83；期间 2023-01..2023-06；以 percent 计；stage=primary",
        &codes
    )
    .is_empty());
    assert_eq!(
        english_words("item 3 (12所) is pending：待定", &codes),
        ["item", "is", "pending"]
    );
    assert!(english_words("与已发布数据“教师B证培训…”相似", &codes).is_empty());
}

/// A suggested indicator name a reviewer can confirm as it is: Chinese characters only (no
/// mark, digit or letter), and no particle or linking verb at either end.
fn clean_name(name: &str) -> bool {
    let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    name.chars().count() >= 2
        && name.chars().all(han)
        && !["的", "为", "达到", "达", "了", "等", "共", "仅", "是"]
            .iter()
            .any(|w| name.ends_with(w))
        && !["其中", "全区", "关于", "的", "为"]
            .iter()
            .any(|w| name.starts_with(w))
}

/// Sends keys to the focused element (the item list holds the focus while reviewing).
async fn press(c: &Client, keys: &str) {
    c.active_element()
        .await
        .expect("focused element")
        .send_keys(keys)
        .await
        .expect("keys");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_reviewed_and_published_in_chromium() {
    let (driver, chromium) = browser();
    let app = TestApp::seeded();
    let key = app.key("reviewer", edustats::auth::Role::Editor);
    let addr = serve(&app).await;
    let origin = format!("http://{addr}");
    let (proxy, outside) = recording_proxy().await;
    let (c, _driver) = open_browser(&driver, &chromium, proxy).await;
    let observations_before = app.observation_count().await;

    // --- The page is linked from the dashboard's header.
    c.goto(&format!(
        "{origin}/#view=ranking&indicator=public_kindergarten_enrolment_share&year=2022"
    ))
    .await
    .expect("dashboard");
    ready(&c, "ranking", "the dashboard").await;
    click(&c, "header a[href='/review']", "review link in the header").await;
    ready(&c, "start", "the review page").await;
    let said = js(
        &c,
        "return document.getElementById('key-state').textContent;",
    )
    .await;
    assert!(
        said.as_str().unwrap_or("").starts_with("尚未输入密钥"),
        "{said}"
    );

    // --- A wrong key is refused in words; the key never enters the URL.
    c.find(Locator::Css("#key"))
        .await
        .expect("key box")
        .send_keys("not-a-key")
        .await
        .expect("type");
    click(&c, "#key-form button[type=submit]", "use").await;
    let said = wait_for(
        &c,
        "document.getElementById('key-state').textContent.indexOf('编辑密钥缺失或无效') === 0 && document.getElementById('key-state').textContent",
        "the words for an invalid key",
    )
    .await;
    assert!(
        !said.as_str().unwrap_or("").contains("UNAUTHENTICATED"),
        "{said}"
    );
    c.find(Locator::Css("#key"))
        .await
        .expect("key box")
        .send_keys(&key)
        .await
        .expect("type");
    click(&c, "#key-form button[type=submit]", "use").await;
    wait_for(
        &c,
        "document.getElementById('key-state').textContent.indexOf('密钥有效') === 0 && document.getElementById('drafts').textContent === '没有未完成的草稿。'",
        "the key accepted and no open draft",
    )
    .await;
    let stored = js(&c, "return [sessionStorage.getItem('edustats.editorKey'), location.href, document.getElementById('key').value];").await;
    assert_eq!(stored[0], json!(key));
    assert!(!stored[1].as_str().unwrap_or("").contains(&key), "{stored}");
    assert_eq!(stored[2], "", "the box is emptied");

    // --- A new draft from a pasted real report, under a new source code.
    let text = std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2025-rectification-report.txt"),
    )
    .expect("seed report text");
    js(
        &c,
        &format!(
            "document.getElementById('new-text').value = {}; document.getElementById('new-code').value = {}; return 1;",
            json!(text),
            json!(REVIEW_CODE)
        ),
    )
    .await;
    click(&c, "#extract", "extract").await;
    ready(&c, "draft", "the extracted draft").await;
    let id = js(
        &c,
        "return Number(new URLSearchParams(location.hash.slice(1)).get('draft'));",
    )
    .await;
    let id = id.as_i64().expect("draft id in the URL");
    let draft = draft_from_api(&app, &key, id).await;
    let items = items_of(&draft);
    assert!(items.len() > 20, "{draft}");

    // --- The seed report itself is a source already: the draft says so above its text, and
    // the reviewer, who publishes it under a new code on purpose here, ticks "publish anyway".
    let warning = wait_for(
        &c,
        "!document.getElementById('repeats').hidden && document.getElementById('repeats').textContent",
        "the repeat warning",
    )
    .await;
    assert!(
        warning
            .as_str()
            .unwrap_or("")
            .contains("已发布的来源 rongchang-2025-rectification-report（文本相同）"),
        "{warning}"
    );
    js(
        &c,
        "document.getElementById('allow-repeat').click(); document.getElementById('items').focus(); return 1;",
    )
    .await;

    // --- Every item's quote is highlighted: the highlighted spans covering an item are its
    // quote exactly (offsets are characters, not UTF-16 units), and each proposal's figure is
    // marked inside it.
    let shown = js(
        &c,
        "var out = {}; document.querySelectorAll('#text span.hl').forEach(function (s) { \
           s.getAttribute('data-items').split(' ').forEach(function (p) { out[p] = (out[p] || '') + s.textContent; }); }); \
         var figs = {}; document.querySelectorAll('#text span[data-item]').forEach(function (s) { figs[s.getAttribute('data-item')] = s.textContent; }); \
         return { quotes: out, figs: figs };",
    )
    .await;
    let mut proposals = 0;
    for it in &items {
        let p = position(it).to_string();
        assert_eq!(
            shown["quotes"][&p], it["quote"],
            "highlighted quote of item {p}"
        );
        if it["type"] == "PROPOSAL" {
            proposals += 1;
            assert_eq!(
                shown["figs"][&p], it["value"],
                "highlighted figure of item {p}"
            );
        }
    }
    assert!(proposals >= 10, "{proposals} proposals");
    let help = js(&c, "return document.getElementById('help').textContent;").await;
    assert!(help.as_str().unwrap_or("").contains("a 接受"), "{help}");

    // --- Issue 23, items 3 and 9: in Chinese, every item's reason is Chinese (codes and
    // numbers aside), as the page shows it when the item is selected.
    let codes = catalogue_codes(&app).await;
    let reasons = js(
        &c,
        "var out = []; document.querySelectorAll('#items li').forEach(function (li) { li.click(); \
           var dd = document.querySelector('#detail dd[data-field=why]'); out.push(dd ? dd.textContent : ''); }); \
         document.querySelector('#items li').click(); document.getElementById('items').focus(); return out;",
    )
    .await;
    let reasons: Vec<String> = serde_json::from_value(reasons).expect("reasons");
    assert_eq!(reasons.len(), items.len());
    for (r, it) in reasons.iter().zip(&items) {
        assert!(!r.is_empty(), "item {} shows no reason", position(it));
        let english = english_words(r, &codes);
        assert!(
            english.is_empty(),
            "item {}: English {english:?} in its Chinese reason {r:?}",
            position(it)
        );
    }
    // The item list too: a figure printed without a unit shows the unit in words (四个, not
    // "四count").
    let labels = js(
        &c,
        "return Array.from(document.querySelectorAll('#items li')).map(function (li) { return li.textContent; });",
    )
    .await;
    for label in labels.as_array().expect("labels") {
        let label = label.as_str().unwrap_or("");
        let english = english_words(label, &codes);
        assert!(english.is_empty(), "English {english:?} in {label:?}");
    }

    // --- Keyboard: move to the first proposal with j, accept it with a; the next item is
    // selected; reject it with r. Both decisions are in the database.
    let first = items
        .iter()
        .position(|i| i["type"] == "PROPOSAL")
        .expect("a proposal");
    for _ in 0..first {
        press(&c, "j").await;
    }
    let sel = js(&c, "return document.body.getAttribute('data-selected');").await;
    assert_eq!(sel, json!(position(&items[first]).to_string()));
    let accepted = position(&items[first]);
    press(&c, "a").await;
    let status = settled(&c).await;
    assert_eq!(status, "", "accepting from the keyboard");
    let next = position(&items[first + 1]);
    wait_for(
        &c,
        &format!("document.body.getAttribute('data-selected') === '{next}'"),
        "the next item selected",
    )
    .await;
    press(&c, "r").await;
    settled(&c).await;
    let d = draft_from_api(&app, &key, id).await;
    let by_pos = |d: &Value, p: i64| -> Value {
        items_of(d)
            .into_iter()
            .find(|i| position(i) == p)
            .expect("item")
    };
    assert_eq!(by_pos(&d, accepted)["decision"], "ACCEPTED");
    assert_eq!(by_pos(&d, next)["decision"], "REJECTED");
    let painted = js(
        &c,
        &format!(
            "return document.querySelector('#text span[data-item=\"{accepted}\"]').className;"
        ),
    )
    .await;
    assert!(
        painted.as_str().unwrap_or("").contains("d-accepted"),
        "{painted}"
    );
    screenshot(&c, "review-draft-zh").await;
    let review_bytes = same_origin_weight(&c, &origin, "the review page").await;

    // --- A highlighted figure, clicked, selects its item: a later proposal.
    let later = items
        .iter()
        .rev()
        .find(|i| i["type"] == "PROPOSAL")
        .map(position)
        .expect("a proposal");
    click(&c, &format!("#text span[data-item='{later}']"), "figure").await;
    wait_for(
        &c,
        &format!("document.body.getAttribute('data-selected') === '{later}' && document.querySelector('#items li[aria-selected=true]').getAttribute('data-pos') === '{later}'"),
        "the clicked item selected",
    )
    .await;

    // --- e edits: a note, accepted with the edit.
    js(&c, &format!("document.querySelector(\"#items li[data-pos='{later}']\").click(); document.getElementById('items').focus(); return 1;")).await;
    press(&c, "e").await;
    wait_for(&c, "document.querySelector('#form form')", "the edit form").await;
    js(&c, "var f = document.querySelector('#form form'); f.querySelectorAll('input')[f.querySelectorAll('input').length - 1].value = 'checked in the browser'; f.querySelector('button[type=submit]').click(); return 1;").await;
    settled(&c).await;
    let d = draft_from_api(&app, &key, id).await;
    assert_eq!(by_pos(&d, later)["decision"], "ACCEPTED");
    assert_eq!(by_pos(&d, later)["row"]["note"], "checked in the browser");

    // --- A figure without an indicator confirmed as a new one through its form (c).
    let growth = items
        .iter()
        .find(|i| i["type"] == "UNMATCHED" && i["value"] == "-94.72")
        .map(position)
        .expect("the unmatched growth figure");
    js(&c, &format!("document.querySelector(\"#items li[data-pos='{growth}']\").click(); document.getElementById('items').focus(); return 1;")).await;
    press(&c, "c").await;
    wait_for(
        &c,
        "document.querySelector('#form form')",
        "the confirm form",
    )
    .await;
    let defaults = js(&c, "return Array.from(document.querySelectorAll('#form input')).map(function (i) { return i.value; });").await;
    let suggested = &by_pos(&d, growth);
    // No code to type (the server derives it), and the suggested name is a clean one.
    let asks_code = js(
        &c,
        "return Array.from(document.querySelectorAll('#form input')).some(function (i) { \
           return i.hasAttribute('pattern') || /snake|_code/.test(i.placeholder + ' ' + i.name) || /代码|code/i.test(i.closest('label') ? i.closest('label').textContent : ''); });",
    )
    .await;
    assert_eq!(asks_code, json!(false), "the confirm form asks for a code");
    let name_zh = defaults[0].as_str().unwrap_or("").to_string();
    assert!(
        clean_name(&name_zh),
        "suggested name {name_zh:?} (quote {})",
        suggested["quote"]
    );
    assert!(
        defaults
            .as_array()
            .expect("inputs")
            .iter()
            .any(|v| v == "percent"),
        "unit defaults to the suggestion: {defaults} {suggested}"
    );
    js(&c, "var f = document.querySelector('#form form'); \
            f.querySelector('input[name=nameEn]').value = 'Planned growth of investment in major education projects'; \
            f.querySelectorAll('input')[2].value = 'Planned fixed-asset investment in major education projects against the previous year, in percent.'; \
            f.querySelector('button[type=submit]').click(); return 1;").await;
    let status = settled(&c).await;
    assert_eq!(status, "", "confirming");

    // --- A dry run lists every problem: the pending items, each linked to its item.
    click(&c, "#dry-run", "dry run").await;
    wait_for(
        &c,
        "document.body.getAttribute('data-dry-run') === 'problems'",
        "the problem list",
    )
    .await;
    let d = draft_from_api(&app, &key, id).await;
    let pending: Vec<i64> = items_of(&d)
        .iter()
        .filter(|i| i["decision"] == "PENDING")
        .map(position)
        .collect();
    assert!(!pending.is_empty());
    let linked = js(&c, "return Array.from(document.querySelectorAll('#problems a[data-pos]')).map(function (a) { return Number(a.getAttribute('data-pos')); });").await;
    let linked: Vec<i64> = serde_json::from_value(linked).expect("links");
    for p in &pending {
        assert!(
            linked.contains(p),
            "pending item {p} not in the problems {linked:?}"
        );
    }
    assert!(
        publish_disabled(&c).await,
        "no publishing after a failed dry run"
    );
    // In Chinese, the problems are Chinese too (codes, keys and figures aside).
    let problems = js(
        &c,
        "return Array.from(document.querySelectorAll('#problems li')).map(function (li) { return li.textContent; });",
    )
    .await;
    let problems: Vec<String> = serde_json::from_value(problems).expect("problems");
    assert!(problems.len() >= pending.len(), "{problems:?}");
    for p in &problems {
        let english = english_words(p, &codes);
        assert!(
            english.is_empty(),
            "English {english:?} in the problem {p:?}"
        );
        // An item's problem names it once: the link #N, not again as 第 N 项.
        if let Some(n) = p.strip_prefix('#').and_then(|r| r.split(' ').next()) {
            assert!(!p.contains(&format!("第 {n} 项")), "{p:?}");
        }
    }
    screenshot(&c, "review-problems-zh").await;
    click(
        &c,
        &format!("#problems a[data-pos='{}']", pending[0]),
        "problem link",
    )
    .await;
    wait_for(
        &c,
        &format!(
            "document.body.getAttribute('data-selected') === '{}'",
            pending[0]
        ),
        "the problem's item selected",
    )
    .await;

    // --- Bulk: accept the pending proposals at confidence ≥ 0.5, reject the rest.
    let sure: Vec<i64> = items_of(&d)
        .iter()
        .filter(|i| {
            i["decision"] == "PENDING" && i["confidence"].as_f64().is_some_and(|x| x >= 0.5)
        })
        .map(position)
        .collect();
    js(
        &c,
        "document.getElementById('bulk-min').value = '0.5'; return 1;",
    )
    .await;
    click(&c, "#bulk-accept", "bulk").await;
    let status = settled(&c).await;
    assert_eq!(status, json!(format!("已批量处理 {} 项。", sure.len())));
    click(&c, "#bulk-reject", "bulk").await;
    settled(&c).await;
    let d = draft_from_api(&app, &key, id).await;
    assert_eq!(d["pending"], 0, "{d}");
    for p in &sure {
        assert_eq!(by_pos(&d, *p)["decision"], "ACCEPTED", "item {p}");
    }
    let accepted_now = items_of(&d)
        .iter()
        .filter(|i| i["decision"] == "ACCEPTED")
        .count();

    // --- Dry run clean, then publish; the figures are in the warehouse.
    click(&c, "#dry-run", "dry run").await;
    wait_for(
        &c,
        "document.body.getAttribute('data-dry-run') === 'ok'",
        "a clean dry run",
    )
    .await;
    let said = js(
        &c,
        "return document.getElementById('publish-result').textContent;",
    )
    .await;
    assert!(
        said.as_str()
            .unwrap_or("")
            .contains(&format!("{accepted_now} 条观测值")),
        "{said}"
    );
    assert_eq!(
        app.observation_count().await,
        observations_before,
        "a dry run writes nothing"
    );
    click(&c, "#publish", "publish").await;
    wait_for(
        &c,
        "document.body.hasAttribute('data-published')",
        "the publication",
    )
    .await;
    screenshot(&c, "review-published-zh").await;
    let published = app
        .data(
            "query($s: [String!]) { observations(filter: {sources: $s}, first: 500) { totalCount edges { node { note indicator { code } } } } }",
            json!({ "s": [REVIEW_CODE] }),
        )
        .await;
    assert_eq!(
        published["observations"]["totalCount"],
        json!(accepted_now),
        "{published}"
    );
    assert!(
        published["observations"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["note"] == "checked in the browser"),
        "{published}"
    );
    assert!(
        published["observations"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["indicator"]["code"]
                == "planned_growth_investment_in_major_education_projects"),
        "{published}"
    );
    assert_eq!(
        app.observation_count().await,
        observations_before + accepted_now as i64
    );
    let d = draft_from_api(&app, &key, id).await;
    assert_eq!(d["status"], "PUBLISHED");

    // --- English: the labels and the help line change; the draft stays open.
    click(&c, "#lang-toggle", "toggle").await;
    wait_for(
        &c,
        "document.querySelector('h1').textContent === 'Report review' && document.getElementById('help').textContent.indexOf('a accept') >= 0 && document.querySelector('#items li .badge').textContent === 'accepted'",
        "the English review page",
    )
    .await;
    // In English, the reason and the problems are the English ones.
    let why_en = js(
        &c,
        "document.querySelector('#items li').click(); return document.querySelector('#detail dd[data-field=why]').textContent;",
    )
    .await;
    let first_item = &items[0];
    assert_eq!(why_en, first_item["why"], "the English reason in English");

    // --- The deep link opens the dashboard's ranking of a published indicator.
    let href = js(
        &c,
        "return document.getElementById('ranking-link').getAttribute('href');",
    )
    .await;
    let href = href.as_str().expect("ranking link").to_string();
    assert!(href.starts_with("/#view=ranking&indicator="), "{href}");
    click(&c, "#ranking-link", "link").await;
    ready(&c, "ranking", "the linked ranking").await;
    let rows = js(
        &c,
        "return document.querySelectorAll('#ranking-table tr[data-district]').length;",
    )
    .await;
    assert!(rows.as_u64().unwrap_or(0) >= 1, "{href}: {rows}");
    eprintln!("review page weight (gzipped, decoded): {review_bytes:?} bytes");

    nothing_left_the_server(c, &outside).await;
}

async fn publish_disabled(c: &Client) -> bool {
    js(c, "return document.getElementById('publish').disabled;").await == json!(true)
}

/// Issue 22, item 5: the review page lists every open draft with its progress (decided of all
/// items, as a bar) and a flag on the drafts that repeat a recorded report; an opened repeat
/// shows the warning naming what it repeats, and its dry run is refused (CONFLICT, in words)
/// until "publish anyway" is ticked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_drafts_are_listed_with_progress_and_repeats_in_chromium() {
    let (driver, chromium) = browser();
    let app = TestApp::seeded();
    let key = app.key("lister", edustats::auth::Role::Editor);
    let text = std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2025-rectification-report.txt"),
    )
    .expect("seed report text");
    let extract = "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id total items { position } } }";
    let mut drafts = Vec::new();
    for (t, c) in [
        (text.as_str(), "rongchang-2025-copy-a"),
        (text.as_str(), "rongchang-2025-copy-b"),
        (
            "重庆市荣昌区2024年教育事业统计（SYNTHETIC 测试）\n全区共有中小学校105所，教育经费总投入12.5亿元。\n",
            "synthetic-list-c",
        ),
    ] {
        let v = app
            .graphql_as(&key, extract, json!({ "t": t, "c": c }))
            .await;
        assert!(v.get("errors").is_none(), "{v}");
        drafts.push(v["data"]["extractReport"].clone());
    }
    let (a, b, c3) = (&drafts[0], &drafts[1], &drafts[2]);
    let id_a = a["id"].as_i64().expect("id");
    let id_b = b["id"].as_i64().expect("id");
    let id_c = c3["id"].as_i64().expect("id");
    // Two items of A decided.
    for item in a["items"].as_array().expect("items").iter().take(2) {
        let v = app
            .graphql_as(
                &key,
                "mutation($d: Int!, $i: Int!) { decideProposal(draft: $d, item: $i, decision: REJECTED) { position } }",
                json!({ "d": id_a, "i": item["position"] }),
            )
            .await;
        assert!(v.get("errors").is_none(), "{v}");
    }

    let addr = serve(&app).await;
    let origin = format!("http://{addr}");
    let (proxy, outside) = recording_proxy().await;
    let (c, _driver) = open_browser(&driver, &chromium, proxy).await;
    c.goto(&format!("{origin}/review"))
        .await
        .expect("review page");
    js(
        &c,
        &format!(
            "sessionStorage.setItem('edustats.editorKey', {}); return 1;",
            json!(key)
        ),
    )
    .await;
    c.goto(&format!("{origin}/review")).await.expect("reload");
    wait_for(
        &c,
        "document.body.getAttribute('data-drafts') === '3' && document.querySelector('#drafts li .meta').textContent.indexOf('荣昌区') >= 0",
        "the list of open drafts with district names",
    )
    .await;
    let listed = js(
        &c,
        "return Array.from(document.querySelectorAll('#drafts li[data-draft]')).map(function (li) { \
           var p = li.querySelector('progress'); \
           return { id: Number(li.getAttribute('data-draft')), value: Number(p.value), max: Number(p.max), \
                    flag: li.querySelector('.repeat-flag') ? li.querySelector('.repeat-flag').textContent : null, \
                    text: li.textContent }; });",
    )
    .await;
    let listed = listed.as_array().expect("list").clone();
    let row = |id: i64| -> Value {
        listed
            .iter()
            .find(|r| r["id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("draft {id} not listed: {listed:?}"))
    };
    let total_a = a["total"].as_i64().expect("total");
    assert_eq!(row(id_a)["value"], json!(2), "{listed:?}");
    assert_eq!(row(id_a)["max"], json!(total_a), "{listed:?}");
    let text_a = row(id_a)["text"].as_str().unwrap_or("").to_string();
    assert!(
        text_a.contains("rongchang-2025-copy-a")
            && text_a.contains(&format!("已决定 2 / {total_a} 项"))
            && text_a.contains("创建于 20"),
        "{text_a}"
    );
    assert_eq!(row(id_a)["flag"], json!("⚠ 可能重复"));
    assert_eq!(row(id_b)["flag"], json!("⚠ 可能重复"));
    assert_eq!(row(id_b)["value"], json!(0));
    assert_eq!(row(id_c)["flag"], Value::Null, "{listed:?}");
    screenshot(&c, "review-drafts-zh").await;

    // --- B opened from the list: the warning names the source and the other draft (a link).
    click(&c, &format!("#drafts a[data-draft='{id_b}']"), "draft link").await;
    wait_for(
        &c,
        "document.body.getAttribute('data-ready') === 'draft' && document.body.getAttribute('data-repeats') === '2'",
        "the opened repeat",
    )
    .await;
    let warning = js(
        &c,
        "var b = document.getElementById('repeats'); return { text: b.textContent, shown: !b.hidden && b.offsetHeight > 0, \
         link: b.querySelector('li[data-draft] a') ? b.querySelector('li[data-draft] a').getAttribute('href') : null, \
         allow: !document.getElementById('allow-repeat-label').hidden };",
    )
    .await;
    let said = warning["text"].as_str().unwrap_or("");
    assert_eq!(warning["shown"], json!(true), "{warning}");
    assert!(
        said.contains("已发布的来源 rongchang-2025-rectification-report（文本相同）")
            && said.contains(&format!(
                "未完成的草稿 #{id_a} rongchang-2025-copy-a（文本相同）"
            ))
            && said.contains("仍然发布"),
        "{said}"
    );
    assert_eq!(warning["link"], json!(format!("#draft={id_a}")));
    assert_eq!(warning["allow"], json!(true));
    screenshot(&c, "review-repeat-zh").await;

    // --- Its dry run is refused in words until "publish anyway" is ticked; then it lists the
    // pending items as problems, as for any draft.
    click(&c, "#dry-run", "dry run").await;
    let status = settled(&c).await;
    let status = status.as_str().unwrap_or("");
    // In Chinese: the conflict's sentence and the source it repeats, no English words (the
    // server's English message is the status line's tooltip).
    assert!(
        status.starts_with("冲突：") && status.contains("rongchang-2025-rectification-report"),
        "{status}"
    );
    assert!(
        english_words(
            status,
            &std::collections::HashSet::from(["CONFLICT".to_string()])
        )
        .is_empty(),
        "{status}"
    );
    let tip = js(&c, "return document.getElementById('status').title;").await;
    assert!(
        tip.as_str()
            .unwrap_or("")
            .contains("repeats source rongchang-2025-rectification-report"),
        "{tip}"
    );
    js(
        &c,
        "document.getElementById('allow-repeat').click(); return 1;",
    )
    .await;
    click(&c, "#dry-run", "dry run").await;
    wait_for(
        &c,
        "document.body.getAttribute('data-dry-run') === 'problems'",
        "the problem list",
    )
    .await;

    // --- C repeats nothing: no warning, no "publish anyway".
    click(&c, &format!("#drafts a[data-draft='{id_c}']"), "draft link").await;
    wait_for(
        &c,
        "document.body.getAttribute('data-ready') === 'draft' && !document.body.hasAttribute('data-repeats')",
        "the draft without repeats",
    )
    .await;
    let hidden = js(
        &c,
        "return [document.getElementById('repeats').hidden, document.getElementById('allow-repeat-label').hidden, document.getElementById('allow-repeat').checked];",
    )
    .await;
    assert_eq!(hidden, json!([true, true, false]));

    nothing_left_the_server(c, &outside).await;
}

/// Chromium on the real router over `app`: the client, its driver (killed when dropped), the
/// server's origin and the outside-request record for [`nothing_left_the_server`].
async fn browse(app: &TestApp) -> (Client, Driver, String, Arc<Mutex<Vec<String>>>) {
    let (driver, chromium) = browser();
    let addr = serve(app).await;
    let (proxy, outside) = recording_proxy().await;
    let (c, guard) = open_browser(&driver, &chromium, proxy).await;
    (c, guard, format!("http://{addr}"), outside)
}

/// Opens the dashboard without a hash and waits for its first view.
async fn open_dashboard(c: &Client, origin: &str) {
    c.goto(&format!("{origin}/")).await.expect("open /");
    wait_for(
        c,
        "document.body.getAttribute('data-ready') === 'ranking'",
        "the first view",
    )
    .await;
}

/// Moves the dashboard to `hash` and waits until the view `view` is drawn for it. The ready
/// mark is cleared first, so the wait cannot be satisfied by the previous view.
async fn show(c: &Client, hash: &str, view: &str) {
    js(
        c,
        &format!(
            "document.body.removeAttribute('data-ready'); var h = {}; \
             if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange')); else location.hash = h; return 1;",
            json!(hash)
        ),
    )
    .await;
    wait_for(
        c,
        &format!(
            "document.body.getAttribute('data-ready') === {}",
            json!(view)
        ),
        &format!("the {view} view of {hash}"),
    )
    .await;
}

/// The picker's slices as the API counts them: (indicator, kind, breakdown members) for every
/// rankable slice.
async fn rankable_slices(app: &TestApp) -> Vec<(String, String, Vec<(String, String)>)> {
    let d = app
        .data(
            "{ indicators { code rankable { kind breakdown { dimension member } } } }",
            json!({}),
        )
        .await;
    let mut out = Vec::new();
    for i in d["indicators"].as_array().expect("indicators") {
        for s in i["rankable"].as_array().expect("rankable") {
            let members = s["breakdown"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| {
                    (
                        m["dimension"].as_str().unwrap_or("").to_string(),
                        m["member"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            out.push((
                i["code"].as_str().unwrap_or("").to_string(),
                s["kind"].as_str().unwrap_or("").to_lowercase(),
                members,
            ));
        }
    }
    out
}

/// Issue 23, item 1: the first view ranks districts and says what is loaded; every indicator
/// the picker lists, in every kind and breakdown it offers, charts at least one district.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_indicator_the_picker_lists_charts_a_district_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;

    // --- The first view: no hash at all.
    c.goto(&format!("{origin}/")).await.expect("open /");
    ready(&c, "ranking", "the first view").await;
    let first = js(&c, "return { rows: document.querySelectorAll('#ranking-table tr[data-district]').length, loaded: document.getElementById('loaded').innerText, coverage: document.getElementById('coverage').textContent, hash: location.hash };").await;
    let d = app
        .data("{ sources { district { code } } }", json!({}))
        .await;
    let sources = d["sources"].as_array().expect("sources");
    let mut districts: Vec<&str> = sources
        .iter()
        .filter_map(|s| s["district"]["code"].as_str())
        .filter(|c| *c != "500000")
        .collect();
    districts.sort();
    districts.dedup();
    let loaded = format!(
        "已载入 {} 份报告，涉及 {} / 38 个区县。",
        sources.len(),
        districts.len()
    );
    assert!(
        first["loaded"].as_str().unwrap_or("").starts_with(&loaded),
        "{first} (expected {loaded})"
    );
    // The best-covered slice of the catalogue: the first view shows as many districts.
    let best = app
        .data("{ indicators { rankable { districtCount } } }", json!({}))
        .await["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .flat_map(|i| i["rankable"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["districtCount"].as_i64())
        .max()
        .expect("some data");
    assert_eq!(first["rows"].as_i64(), Some(best), "{first}");
    assert!(best >= 2, "the seeds cover several districts: {best}");
    screenshot(&c, "dashboard-first-view-zh").await;

    // --- The list of reports behind the "what is loaded" line.
    click(&c, "#loaded a", "reports link").await;
    ready(&c, "reports", "the reports list").await;
    let listed = js(
        &c,
        "return document.querySelectorAll('#reports-table a').length;",
    )
    .await;
    assert_eq!(listed.as_u64(), Some(sources.len() as u64));

    // --- Every indicator listed, every slice offered: a ranking with at least one district.
    let listed: Vec<String> = serde_json::from_value(
        js(
            &c,
            "return Array.from(document.querySelectorAll('#indicator-list li[data-code]')).map(function (li) { return li.getAttribute('data-code'); });",
        )
        .await,
    )
    .expect("codes");
    let slices = rankable_slices(&app).await;
    let mut with_data: Vec<&str> = slices.iter().map(|s| s.0.as_str()).collect();
    with_data.dedup();
    assert_eq!(
        listed.len(),
        with_data.len(),
        "the picker lists exactly the indicators with rankable data"
    );
    let mut empty = Vec::new();
    for (code, kind, members) in &slices {
        let bd: Vec<String> = members.iter().map(|(d, m)| format!("{d}:{m}")).collect();
        let mut bd = bd;
        bd.sort();
        let hash = format!(
            "#view=ranking&indicator={code}&kind={kind}&bd={}",
            bd.join(",")
        );
        show(&c, &hash, "ranking").await;
        let n = js(&c, "return { rows: document.querySelectorAll('#ranking-table tr[data-district]').length, kind: document.getElementById('kind').value, bd: document.getElementById('breakdown').value, bars: echarts.getInstanceByDom(document.getElementById('chart-ranking')).getOption().series[0].data.length };").await;
        assert_eq!(n["kind"], json!(kind), "{hash}: {n}");
        assert_eq!(n["bd"], json!(bd.join(",")), "{hash}: {n}");
        if n["rows"].as_i64().unwrap_or(0) < 1 || n["bars"].as_i64().unwrap_or(0) < 1 {
            empty.push(hash);
        }
    }
    println!(
        "{} indicators listed, {} slices each charted",
        listed.len(),
        slices.len()
    );
    assert!(empty.is_empty(), "views with no district: {empty:?}");
    nothing_left_the_server(c, &outside).await;
}

/// Reads what the page last offered for download (the anchor's name and the bytes behind
/// its URL): `trigger` is a script that clicks a download button.
async fn captured_download(c: &Client, trigger: &str) -> (String, Vec<u8>) {
    js(
        c,
        &format!(
            "window.__dl = null; window.__bytes = null; \
             HTMLAnchorElement.prototype.click = function () {{ \
               var a = this; window.__dl = a.download; \
               fetch(a.href).then(function (r) {{ return r.arrayBuffer(); }}).then(function (b) {{ window.__bytes = Array.from(new Uint8Array(b)); }}); \
             }}; {trigger}; return 1;"
        ),
    )
    .await;
    let bytes = wait_for(c, "window.__bytes", "the download").await;
    let name = js(c, "return window.__dl;").await;
    (
        name.as_str().unwrap_or("").to_string(),
        serde_json::from_value(bytes).expect("bytes"),
    )
}

/// Issue 23, item 2 (and the CSV of item 4): each view the issue found broken, in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_views_are_fixed_and_the_csv_is_what_the_view_shows_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;
    open_dashboard(&c, &origin).await;

    // --- Compare includes the chosen indicator, first.
    let ind = "public_kindergarten_enrolment_share";
    let name_zh = app
        .data(
            "query($i: String!) { indicator(code: $i) { nameZh } }",
            json!({"i": ind}),
        )
        .await["indicator"]["nameZh"]
        .clone();
    show(
        &c,
        &format!("#view=compare&indicator={ind}&year=2022"),
        "compare",
    )
    .await;
    let heads = js(&c, "return Array.from(document.querySelectorAll('#compare-table th')).map(function (th) { return th.textContent; });").await;
    assert_eq!(heads[1], name_zh, "{heads}");

    // --- A change deep link without `from`: the year before with data, no error.
    show(
        &c,
        "#view=change&indicator=student_physical_health_good_rate&year=2024",
        "change",
    )
    .await;
    let change = js(&c, "return { status: document.getElementById('status').textContent, from: document.getElementById('from').value, table: document.getElementById('change-table').innerText };").await;
    assert!(
        !change["status"].as_str().unwrap_or("").contains("加载失败"),
        "{change}"
    );
    assert_eq!(change["from"], "2023", "{change}");
    assert!(
        change["table"]
            .as_str()
            .unwrap_or("")
            .contains("-9.29 个百分点"),
        "{change}"
    );

    // --- An indicator with a single year of actual totals: the change view says there is no
    // comparable data, and the time series is one labelled point.
    let d = app
        .data(
            "{ indicators { code rankable { kind breakdown { member } years { year } } } }",
            json!({}),
        )
        .await;
    let single = d["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| match i["rankable"].as_array().map(Vec::as_slice) {
            Some([s]) => {
                s["kind"] == "ACTUAL"
                    && s["breakdown"].as_array().is_some_and(Vec::is_empty)
                    && s["years"].as_array().map(Vec::len) == Some(1)
            }
            _ => false,
        })
        .and_then(|i| i["code"].as_str())
        .expect("an indicator with one year of data")
        .to_string();
    show(&c, &format!("#view=change&indicator={single}"), "change").await;
    let status = js(&c, "return document.getElementById('status').textContent;").await;
    assert!(
        status.as_str().unwrap_or("").contains("无可比较数据"),
        "{single}: {status}"
    );
    show(&c, &format!("#view=series&indicator={single}"), "series").await;
    let axis = js(&c, "var o = echarts.getInstanceByDom(document.getElementById('chart-series')).getOption(); return { type: o.xAxis[0].type, data: o.xAxis[0].data, points: o.series[0].data.filter(function (v) { return v !== null; }).length };").await;
    assert_eq!(axis["type"], "category", "{axis}");
    assert_eq!(axis["data"].as_array().map(Vec::len), Some(1), "{axis}");
    assert_eq!(axis["data"][0].as_str().map(str::len), Some(4), "{axis}");
    assert_eq!(axis["points"], 1, "{axis}");
    screenshot(&c, "dashboard-series-one-year").await;

    // --- The provenance panel closes when the indicator changes.
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    click(&c, "#ranking-table tr[data-district]", "row").await;
    wait_for(
        &c,
        "document.getElementById('provenance').className === 'open'",
        "the provenance panel",
    )
    .await;
    show(
        &c,
        "#view=ranking&indicator=general_budget_education_spending&year=2021",
        "ranking",
    )
    .await;
    let panel = js(
        &c,
        "return document.getElementById('provenance').className + '|' + document.getElementById('provenance').innerText;",
    )
    .await;
    assert_eq!(
        panel, "|",
        "the panel of the previous indicator stayed open"
    );

    // --- Linked highlighting: pointing at a table row marks the district on the map (and
    // its bar); the map zooms onto the central districts.
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    let linked = js(&c, "var row = document.querySelector('#ranking-table tr[data-district]');\
        row.dispatchEvent(new MouseEvent('mouseenter'));\
        var on = { map: document.getElementById('chart-map').getAttribute('data-linked'), row: row.className, code: row.getAttribute('data-district') };\
        row.dispatchEvent(new MouseEvent('mouseleave'));\
        on.after = document.getElementById('chart-map').getAttribute('data-linked'); return on;").await;
    assert_eq!(linked["map"], linked["code"], "{linked}");
    assert_eq!(linked["row"], "linked", "{linked}");
    assert_eq!(linked["after"], "", "{linked}");
    click(&c, "#zoom-center", "zoom button").await;
    let zoom = js(&c, "return { zoom: echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].zoom, pressed: document.getElementById('zoom-center').getAttribute('aria-pressed'), text: document.getElementById('zoom-center').textContent };").await;
    assert_eq!(zoom["pressed"], "true", "{zoom}");
    assert!(zoom["zoom"].as_f64().unwrap_or(1.0) > 1.0, "{zoom}");
    assert_eq!(zoom["text"], "显示全市", "{zoom}");

    // --- A figure printed without a unit (四 schools) is shown with the unit in words, not the
    // canonical code ("四count").
    let d = app
        .data(
            "{ observations(first: 500) { edges { node { key valueText reportedUnit source { code } } } } }",
            json!({}),
        )
        .await;
    let bare = d["observations"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .find(|o| o["reportedUnit"] == "count")
        .expect("a figure printed without a unit")
        .clone();
    show(
        &c,
        &format!(
            "#view=source&source={}",
            bare["source"]["code"].as_str().unwrap_or("")
        ),
        "source",
    )
    .await;
    let title = js(
        &c,
        &format!(
            "var q = document.getElementById('q-' + {}); return q ? q.title : null;",
            json!(bare["key"])
        ),
    )
    .await;
    let title = title.as_str().unwrap_or("");
    assert!(
        title.ends_with(&format!("{}个", bare["valueText"].as_str().unwrap_or("?"))),
        "{title}"
    );

    // --- The ranking table sorts by any column (item 4: a sortable table).
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    let order = "return { rows: Array.from(document.querySelectorAll('#ranking-table tr[data-district]')).map(function (r) { return Number(r.getAttribute('data-value')); }), \
        sort: document.querySelectorAll('#ranking-table th')[2].getAttribute('aria-sort') };";
    js(
        &c,
        "document.querySelectorAll('#ranking-table th button')[2].click(); return 1;",
    )
    .await;
    let up = js(&c, order).await;
    js(
        &c,
        "document.querySelectorAll('#ranking-table th button')[2].click(); return 1;",
    )
    .await;
    let down = js(&c, order).await;
    let values =
        |v: &Value| -> Vec<f64> { serde_json::from_value(v["rows"].clone()).expect("values") };
    let (up_values, down_values) = (values(&up), values(&down));
    assert!(up_values.len() >= 2, "{up}");
    assert!(up_values.windows(2).all(|w| w[0] <= w[1]), "{up}");
    assert!(down_values.windows(2).all(|w| w[0] >= w[1]), "{down}");
    assert_eq!(
        (up["sort"].as_str(), down["sort"].as_str()),
        (Some("ascending"), Some("descending"))
    );

    // --- The CSV is the ranking shown: BOM, Chinese headers, the view's name, one row per
    // ranked district in rank order.
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    let (name, bytes) = captured_download(&c, "document.getElementById('csv').click()").await;
    assert_eq!(name, format!("{ind}-ranking-2022.csv"));
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "no BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .expect("headers")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        &headers[..6],
        ["名次", "区县", "区县代码", "数值", "单位", "年份"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    let expected = ranking_from_api(&app, ind, 2022).await;
    let codes: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    let want: Vec<&str> = expected["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["district"]["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, want);
    assert_eq!(&rows[0][1], "大渡口区");
    assert!(text.contains("\r\n"));

    // --- The series CSV holds the one district shown.
    show(
        &c,
        "#view=series&indicator=student_physical_health_good_rate&district=500153",
        "series",
    )
    .await;
    let (name, bytes) = captured_download(&c, "document.getElementById('csv').click()").await;
    assert_eq!(name, "student_physical_health_good_rate-series-500153.csv");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert!(rows.len() >= 2, "{text}");
    assert!(rows.iter().all(|r| &r[1] == "500153"), "{text}");

    // --- The image describes itself: taller than the chart (title above, source below).
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    let (name, bytes) = captured_download(&c, "document.getElementById('png').click()").await;
    assert_eq!(name, format!("{ind}-ranking-2022.png"));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::write(screenshot_dir().join("dashboard-download.png"), &bytes).expect("write");
    let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    let chart_height = js(
        &c,
        "return document.getElementById('chart-ranking').clientHeight;",
    )
    .await
    .as_u64()
    .unwrap_or(0) as u32;
    assert!(
        height > 2 * chart_height + 100,
        "image {height} px high, chart {chart_height} px"
    );
    nothing_left_the_server(c, &outside).await;
}

/// axe-core, vendored for this test only (web/vendor.json marks it `test_only`; never served).
const AXE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/vendor/axe-core-4.14.1/axe.min.js"
));

/// The serious and critical axe-core violations of the page as it is now: (rule, impact,
/// number of nodes, the first few nodes).
async fn axe_violations(c: &Client) -> Vec<Value> {
    js(c, &format!("{AXE}\n; return 1;")).await;
    let found = c
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] }).then(function (r) {\
               done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })\
                 .map(function (v) { return { id: v.id, impact: v.impact, nodes: v.nodes.length,\
                   first: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160); }) }; }));\
             }, function (e) { done([{ id: 'axe-error', impact: 'critical', nodes: 0, first: [String(e)] }]); });",
            vec![],
        )
        .await
        .expect("axe.run");
    found.as_array().cloned().unwrap_or_default()
}

/// Issue 23, item 7: no serious or critical axe-core violation on the dashboard's views and
/// the review page, at desktop and phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_no_serious_accessibility_violations_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;
    open_dashboard(&c, &origin).await;
    let ind = "public_kindergarten_enrolment_share";
    let views = [
        (
            format!("#view=ranking&indicator={ind}&year=2022"),
            "ranking",
        ),
        (
            format!("#view=ranking&indicator={ind}&year=2022&lang=en"),
            "ranking",
        ),
        (
            "#view=change&indicator=student_physical_health_good_rate&year=2024".to_string(),
            "change",
        ),
        (
            format!("#view=series&indicator={ind}&district=500153"),
            "series",
        ),
        (
            format!("#view=compare&indicator={ind}&year=2022"),
            "compare",
        ),
        // Trends across districts and the scatter (item 4).
        (
            format!("#view=series&indicator={ind}&district=500104,500153"),
            "series",
        ),
        (
            format!("#view=scatter&indicator={ind}&year=2022"),
            "scatter",
        ),
        (
            "#view=source&source=rongchang-2025-rectification-report".to_string(),
            "source",
        ),
        ("#view=reports".to_string(), "reports"),
    ];
    let mut report = Vec::new();
    for (width, height) in [(1280, 800), (390, 844)] {
        c.set_window_size(width, height).await.expect("window size");
        for (hash, view) in &views {
            show(&c, hash, view).await;
            let found = axe_violations(&c).await;
            if !found.is_empty() {
                report.push(format!("{width}px {hash}: {}", json!(found)));
            }
            // Item 6: at phone width no view scrolls sideways (wide tables scroll in their box).
            let overflow = js(
                &c,
                "return document.documentElement.scrollWidth - window.innerWidth;",
            )
            .await;
            assert!(
                overflow.as_i64().unwrap_or(1) <= 0,
                "{width}px {hash}: the page scrolls sideways by {overflow} px"
            );
        }
    }
    // The provenance panel open.
    show(&c, &views[0].0, "ranking").await;
    click(&c, "#ranking-table tr[data-district]", "row").await;
    wait_for(
        &c,
        "document.getElementById('provenance').className === 'open'",
        "the provenance panel",
    )
    .await;
    let found = axe_violations(&c).await;
    if !found.is_empty() {
        report.push(format!("provenance panel: {}", json!(found)));
    }
    c.set_window_size(1280, 800).await.expect("window size");
    c.goto(&format!("{origin}/review"))
        .await
        .expect("open /review");
    wait_for(&c, "document.readyState === 'complete'", "the review page").await;
    let found = axe_violations(&c).await;
    if !found.is_empty() {
        report.push(format!("/review: {}", json!(found)));
    }
    println!(
        "axe-core 4.14.1: {} page states checked",
        2 * views.len() + 2
    );
    assert!(
        report.is_empty(),
        "serious or critical violations:\n{}",
        report.join("\n")
    );
    nothing_left_the_server(c, &outside).await;
}

/// Issue 23, item 9: the review page says its steps and which one the reviewer is at, shows
/// the draft's status in words, disables what cannot apply, and discards a draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_page_explains_its_steps_and_discards_a_draft_in_chromium() {
    let app = TestApp::seeded();
    let key = app.key("reviewer", edustats::auth::Role::Editor);
    let text = std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2025-rectification-report.txt"),
    )
    .expect("seed text");
    let v = app
        .graphql_as(
            &key,
            "mutation($t: String!) { extractReport(text: $t, code: \"rongchang-2025-discard\") { id } }",
            json!({"t": text}),
        )
        .await;
    let id = v["data"]["extractReport"]["id"].as_i64().expect("draft id");
    let (c, _driver, origin, outside) = browse(&app).await;

    let state = "return { step: document.body.getAttribute('data-step'), \
        steps: Array.from(document.querySelectorAll('#steps li')).map(function (li) { return li.textContent; }), \
        current: (document.querySelector('#steps [aria-current=step]') || {}).textContent, \
        disabled: ['dry-run', 'publish', 'discard', 'bulk-accept', 'bulk-reject'].filter(function (id) { return document.getElementById(id).disabled; }), \
        meta: document.getElementById('draft-meta').textContent };";
    // --- No key: step 1, every draft action disabled.
    c.goto(&format!("{origin}/review"))
        .await
        .expect("open /review");
    wait_for(
        &c,
        "document.body.getAttribute('data-step') === '1'",
        "step 1",
    )
    .await;
    let s = js(&c, state).await;
    assert_eq!(s["steps"].as_array().map(Vec::len), Some(5), "{s}");
    assert_eq!(s["current"], "输入编辑密钥", "{s}");
    assert_eq!(s["disabled"].as_array().map(Vec::len), Some(5), "{s}");

    // --- With a key, the draft opened: step 3, its status in words, actions enabled.
    js(
        &c,
        &format!(
            "sessionStorage.setItem('edustats.editorKey', {}); location.hash = '#draft={id}'; location.reload(); return 1;",
            json!(key)
        ),
    )
    .await;
    ready(&c, "draft", "the draft").await;
    let s = js(&c, state).await;
    assert_eq!(s["step"], "3", "{s}");
    assert!(s["meta"].as_str().unwrap_or("").contains("审核中"), "{s}");
    assert!(!s["meta"].as_str().unwrap_or("").contains("OPEN"), "{s}");
    assert_eq!(s["disabled"], json!(["publish"]), "{s}");
    let found = axe_violations(&c).await;
    assert!(
        found.is_empty(),
        "axe on a draft under review: {}",
        json!(found)
    );

    // --- Discard, confirmed: the draft is discarded on the server and nothing can apply.
    js(
        &c,
        "window.confirm = function () { return true; }; return 1;",
    )
    .await;
    click(&c, "#discard", "discard button").await;
    wait_for(
        &c,
        &format!("document.body.getAttribute('data-discarded') === '{id}'"),
        "the discarded draft",
    )
    .await;
    let s = js(&c, state).await;
    assert_eq!(s["disabled"].as_array().map(Vec::len), Some(5), "{s}");
    assert!(s["meta"].as_str().unwrap_or("").contains("已放弃"), "{s}");
    let status = app
        .graphql_as(
            &key,
            "query($d: Int!) { draft(id: $d) { status } }",
            json!({"d": id}),
        )
        .await;
    assert_eq!(status["data"]["draft"]["status"], "DISCARDED", "{status}");
    screenshot(&c, "review-discarded-zh").await;
    nothing_left_the_server(c, &outside).await;
}

/// A Chrome DevTools Protocol command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or("")
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"cmd": self.0, "params": self.1}).to_string()),
        )
    }
}

/// Issue 23, item 8 (measured, not yet met): the time to the first chart at 390×844 with a
/// cold cache, under Chrome DevTools' "Slow 4G" network profile (562.5 ms round trip,
/// 1.4745 Mbit/s down, 675 kbit/s up, Lighthouse's mobile preset) and 4× CPU throttling. The
/// throttling is checked to be in force (an unthrottled load of the same page is faster), the
/// times are printed and recorded in BENCHMARKS.md; the 2.5 s target is not asserted yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_chart_time_under_phone_throttling_is_measured_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;
    c.set_window_size(390, 844).await.expect("phone size");
    let cdp = |cmd: &'static str, params: Value| {
        let c = c.clone();
        async move {
            c.issue_cmd(Cdp(cmd, params))
                .await
                .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        }
    };
    cdp("Network.enable", json!({})).await;
    cdp("Network.setCacheDisabled", json!({"cacheDisabled": true})).await;
    let first_chart = |c: Client| {
        let origin = origin.clone();
        async move {
            c.goto("about:blank").await.expect("blank");
            c.goto(&format!("{origin}/")).await.expect("open /");
            // The first chart as drawn: the stand-in SVG bars' labels and values while the
            // chart library is on its way (none once it has come), and the table's rows.
            let first = wait_for(
                &c,
                "document.body.hasAttribute('data-first-view-ms') && { \
                   svg: Array.from(document.querySelectorAll('#chart-ranking > svg text')).map(function (t) { return t.textContent; }), \
                   canvas: document.querySelectorAll('#chart-ranking canvas').length, \
                   rows: Array.from(document.querySelectorAll('#ranking-table tr[data-district]')).map(function (r) { return r.getAttribute('data-name'); }) }",
                "the first chart",
            )
            .await;
            ready(&c, "ranking", "the whole first view").await;
            let ms = js(
                &c,
                "return Number(document.body.getAttribute('data-first-view-ms'));",
            )
            .await
            .as_f64()
            .expect("first view time");
            (ms, first)
        }
    };
    let (plain, _) = first_chart(c.clone()).await;
    cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": 562.5,
               "downloadThroughput": 1.4745 * 1024.0 * 1024.0 / 8.0,
               "uploadThroughput": 675.0 * 1024.0 / 8.0}),
    )
    .await;
    cdp("Emulation.setCPUThrottlingRate", json!({"rate": 4})).await;
    let (throttled, first) = first_chart(c.clone()).await;
    // Under throttling the library comes a second after the data: the first chart is the
    // stand-in bars, a label and a value per ranked district, in the table's order.
    let svg: Vec<String> = serde_json::from_value(first["svg"].clone()).expect("texts");
    let rows: Vec<String> = serde_json::from_value(first["rows"].clone()).expect("rows");
    assert!(!rows.is_empty(), "{first}");
    // On a loaded machine the library can win the race with the data (seen in CI): then the
    // first chart is ECharts' own and there is no stand-in to check; the checks below of the
    // finished view still hold.
    let stand_in = !(svg.is_empty() && first["canvas"].as_u64().unwrap_or(0) >= 1);
    if !stand_in {
        println!("the chart library came before the data: no stand-in bars drawn ({first})");
    }
    let svg = if stand_in {
        svg
    } else {
        rows.iter()
            .flat_map(|r| [r.clone(), String::new()])
            .collect()
    };
    assert_eq!(
        svg.len(),
        2 * rows.len(),
        "a label and a value per bar: {first}"
    );
    for (i, row) in rows.iter().enumerate() {
        assert!(
            svg[2 * i].contains(row.as_str()),
            "bar {i} is {row}: {first}"
        );
    }
    // On the slow link the first chart is the stand-in SVG bars, replaced by ECharts' canvas:
    // by the time the view is ready none of them is left, and the chart has a bar per row.
    let replaced = js(
        &c,
        "return { svg: document.querySelectorAll('#chart-ranking > svg').length,                   canvas: document.querySelectorAll('#chart-ranking canvas').length,                   rows: document.querySelectorAll('#ranking-table tr[data-district]').length,                   bars: echarts.getInstanceByDom(document.getElementById('chart-ranking')).getOption().series[0].data.length };",
    )
    .await;
    assert_eq!(replaced["svg"], 0, "{replaced}");
    assert!(replaced["canvas"].as_u64().unwrap_or(0) >= 1, "{replaced}");
    assert_eq!(replaced["bars"], replaced["rows"], "{replaced}");
    // Where the time went: each request (start and end, ms from navigation start) and the
    // page's marks (script run, catalogue read, chart library ready).
    let timeline = js(
        &c,
        "return performance.getEntriesByType('resource').map(function (r) {            return [r.name.replace(location.origin, '').slice(0, 48), Math.round(r.startTime), Math.round(r.responseEnd), r.transferSize]; })          .concat(performance.getEntriesByType('mark').map(function (m) { return [m.name, Math.round(m.startTime)]; }));",
    )
    .await;
    println!("throttled first view, request by request (path, start ms, end ms, bytes) and marks:");
    for entry in timeline.as_array().into_iter().flatten() {
        println!("  {entry}");
    }
    cdp("Emulation.setCPUThrottlingRate", json!({"rate": 1})).await;
    cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    )
    .await;
    let (bytes, decoded) = same_origin_weight(&c, &origin, "the dashboard").await;
    println!(
        "first chart at 390x844, cold cache: {plain:.0} ms unthrottled, {throttled:.0} ms under Slow 4G + 4x CPU \
         (target 2500 ms); page weight {bytes} bytes gzipped, {decoded} decoded"
    );
    // The throttling took effect: 562.5 ms per round trip alone puts the throttled load
    // seconds behind the local one.
    assert!(
        throttled > plain + 1000.0,
        "throttling not in force: {throttled} ms vs {plain} ms"
    );
    nothing_left_the_server(c, &outside).await;
}

/// The districts ranked for `indicator` in `year` (or the latest year before), with values:
/// code -> value, as the API answers.
async fn ranked_values(app: &TestApp, indicator: &str, year: i32) -> Vec<(String, f64)> {
    let d = app
        .data(
            "query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, latestOnOrBefore: true) { entries { value district { code } } } }",
            json!({"i": indicator, "y": year}),
        )
        .await;
    d["ranking"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["district"]["code"].as_str().expect("code").to_string(),
                e["value"].as_f64().expect("value"),
            )
        })
        .collect()
}

/// Issue 23, item 4: trends across districts, a scatter of two indicators, share and embed,
/// and the SVG download, each checked against what the API answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trends_scatter_share_embed_and_svg_work_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;
    open_dashboard(&c, &origin).await;
    let ind = "public_kindergarten_enrolment_share";
    let ranked = ranked_values(&app, ind, 2022).await;
    assert!(ranked.len() >= 2, "{ranked:?}");
    let codes: Vec<&str> = ranked.iter().map(|(c, _)| c.as_str()).collect();

    // --- Trends: two districts, one line each, every point the API's.
    let two = format!("{},{}", codes[0], codes[1]);
    show(
        &c,
        &format!("#view=series&indicator={ind}&district={two}"),
        "series",
    )
    .await;
    let drawn = js(&c, "var o = echarts.getInstanceByDom(document.getElementById('chart-series')).getOption(); \
        return { years: o.xAxis[0].data, series: o.series.map(function (s) { return { name: s.name, data: s.data }; }), \
                 chips: Array.from(document.querySelectorAll('#chosen-districts .chip')).map(function (b) { return b.getAttribute('aria-label'); }), \
                 heads: Array.from(document.querySelectorAll('#series-table th')).map(function (th) { return th.textContent; }) };").await;
    let series = drawn["series"].as_array().expect("series");
    assert_eq!(series.len(), 2, "{drawn}");
    let years: Vec<i64> = drawn["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| y.as_str().and_then(|y| y.parse().ok()).expect("year"))
        .collect();
    for (n, code) in codes[..2].iter().enumerate() {
        let d = app
            .data(
                "query($d: String!, $i: String!) { timeSeries(district: $d, indicator: $i) { points { year value } } district(code: $d) { nameZh } }",
                json!({"d": code, "i": ind}),
            )
            .await;
        let name_zh = d["district"]["nameZh"].as_str().expect("name");
        assert_eq!(series[n]["name"], name_zh, "{drawn}");
        assert_eq!(drawn["chips"][n], format!("移除 {name_zh}"), "{drawn}");
        assert_eq!(drawn["heads"][n + 1], name_zh, "{drawn}");
        let points = d["timeSeries"]["points"].as_array().expect("points");
        assert!(!points.is_empty(), "{code}: {d}");
        for (i, y) in years.iter().enumerate() {
            let want = points
                .iter()
                .find(|p| p["year"] == *y)
                .map(|p| p["value"].as_f64());
            let got = &series[n]["data"][i];
            match want {
                Some(v) => assert_eq!(got.as_f64(), v, "{code} {y}: {drawn}"),
                None => assert!(got.is_null(), "{code} {y}: {drawn}"),
            }
        }
    }
    // A chip removes its district: one district left is the one-district view again.
    click(&c, "#chosen-districts .chip", "chip").await;
    wait_for(
        &c,
        &format!(
            "document.body.getAttribute('data-ready') === 'series' && decodeURIComponent(location.hash).indexOf('district={}&') >= 0",
            codes[1]
        ),
        "the trend without its first district",
    )
    .await;
    let chips = js(
        &c,
        "return document.querySelectorAll('#chosen-districts .chip').length;",
    )
    .await;
    assert_eq!(chips, 0);
    // 加入区县 lists the other districts with data and adds the one chosen.
    let options = js(&c, "return Array.from(document.getElementById('add-district').options).map(function (o) { return o.value; }).filter(Boolean);").await;
    assert!(
        options
            .as_array()
            .expect("options")
            .iter()
            .any(|o| o == codes[0]),
        "{options}"
    );
    assert!(
        !options
            .as_array()
            .expect("options")
            .iter()
            .any(|o| o == codes[1]),
        "the district shown is not offered again: {options}"
    );
    js(
        &c,
        &format!(
            "document.body.removeAttribute('data-ready'); var s = document.getElementById('add-district'); s.value = {}; \
             s.dispatchEvent(new Event('change')); return 1;",
            json!(codes[0])
        ),
    )
    .await;
    wait_for(&c, "document.body.getAttribute('data-ready') === 'series' && document.querySelectorAll('#chosen-districts .chip').length === 2", "the district added").await;
    screenshot(&c, "dashboard-trends-zh").await;

    // --- Scatter: x = the indicator, y = another with values in the same districts; each
    // point is a district with both, at the API's values, and opens both sources.
    let catalog = app
        .data(
            "{ indicators { code rankable { kind breakdown { member } districtCount } } }",
            json!({}),
        )
        .await;
    let mut y_pick = None;
    for i in catalog["indicators"].as_array().expect("indicators") {
        let code = i["code"].as_str().expect("code");
        let totals = i["rankable"].as_array().expect("rankable").iter().any(|s| {
            s["kind"] == "ACTUAL"
                && s["breakdown"].as_array().is_some_and(Vec::is_empty)
                && s["districtCount"].as_i64().unwrap_or(0) >= 2
        });
        if code == ind || !totals {
            continue;
        }
        let ys = ranked_values(&app, code, 2022).await;
        let pairs: Vec<(String, f64, f64)> = ranked
            .iter()
            .filter_map(|(d, x)| {
                ys.iter()
                    .find(|(e, _)| e == d)
                    .map(|(_, y)| (d.clone(), *x, *y))
            })
            .collect();
        if pairs.len() >= 2 {
            y_pick = Some((code.to_string(), pairs));
            break;
        }
    }
    let (y_code, pairs) = y_pick.expect("an indicator with two districts in common");
    show(
        &c,
        &format!("#view=scatter&indicator={ind}&y={y_code}&year=2022"),
        "scatter",
    )
    .await;
    let points = js(&c, "var o = echarts.getInstanceByDom(document.getElementById('chart-scatter')).getOption(); \
        return { data: o.series[0].data, y: document.getElementById('y-indicator').value, rows: document.querySelectorAll('#scatter-table tr[tabindex]').length };").await;
    assert_eq!(points["y"], y_code.as_str(), "{points}");
    let mut got: Vec<(f64, f64)> = points["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| (p[0].as_f64().expect("x"), p[1].as_f64().expect("y")))
        .collect();
    let mut want: Vec<(f64, f64)> = pairs.iter().map(|(_, x, y)| (*x, *y)).collect();
    got.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    want.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    assert_eq!(got, want, "{points}");
    assert_eq!(points["rows"], pairs.len(), "{points}");
    click(&c, "#scatter-table tr[tabindex]", "row").await;
    let sources = wait_for(
        &c,
        "document.getElementById('provenance').className === 'open' && document.querySelectorAll('#provenance .open-source').length",
        "both sources of a scatter point",
    )
    .await;
    assert_eq!(sources, 2, "a point shows the sources of both values");
    screenshot(&c, "dashboard-scatter-zh").await;
    let csv = captured_download(&c, "document.getElementById('csv').click()").await;
    assert_eq!(
        csv.0,
        format!("{ind}-scatter-2022.csv"),
        "the CSV is named after the view"
    );
    let text = String::from_utf8(csv.1).expect("utf-8");
    assert_eq!(text.lines().count(), pairs.len() + 1, "{text}");

    // --- An error in Chinese: the code's sentence and the code the message quotes; the
    // server's English only in the tooltip. In English, the server's message.
    for (lang, want) in [
        ("", "加载失败：未找到：no-such-report（NOT_FOUND）"),
        (
            "&lang=en",
            "Could not load: unknown source \"no-such-report\" (NOT_FOUND)",
        ),
    ] {
        js(
            &c,
            &format!(
                "document.body.removeAttribute('data-ready'); location.hash = '#view=source&source=no-such-report{lang}'; return 1;"
            ),
        )
        .await;
        ready(&c, "error", "the error").await;
        let said = js(&c, "var s = document.getElementById('status'); return { text: s.textContent, title: s.title };").await;
        assert_eq!(said["text"], want, "{said}");
        if lang.is_empty() {
            assert!(
                said["title"]
                    .as_str()
                    .unwrap_or("")
                    .contains("unknown source"),
                "{said}"
            );
        }
    }

    // --- SVG: the ranking as a self-describing, well-formed SVG.
    show(
        &c,
        &format!("#view=ranking&indicator={ind}&year=2022"),
        "ranking",
    )
    .await;
    let (file, bytes) = captured_download(&c, "document.getElementById('svg').click()").await;
    assert_eq!(file, format!("{ind}-ranking-2022.svg"));
    let svg = String::from_utf8(bytes).expect("utf-8");
    let name_zh = app
        .data(
            "query($i: String!) { indicator(code: $i) { nameZh } }",
            json!({"i": ind}),
        )
        .await["indicator"]["nameZh"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(svg.starts_with("<?xml"), "{svg:.200}");
    assert!(svg.contains(&name_zh), "title in the SVG");
    assert!(
        svg.contains(&format!("已排名 {} / 38", ranked.len())),
        "source line in the SVG"
    );
    assert!(svg.contains("<path"), "the bars are drawn");
    let parsed = js(
        &c,
        &format!(
            "var d = new DOMParser().parseFromString({}, 'image/svg+xml'); \
             return d.querySelector('parsererror') === null && d.documentElement.nodeName;",
            json!(svg)
        ),
    )
    .await;
    assert_eq!(parsed, "svg", "the SVG parses");

    // --- Share: the link and the iframe code of this view.
    c.find(Locator::Id("share"))
        .await
        .expect("share")
        .click()
        .await
        .expect("click");
    let share = js(&c, "return { open: !document.getElementById('share-box').hidden, expanded: document.getElementById('share').getAttribute('aria-expanded'), \
        link: document.getElementById('share-link').value, embed: document.getElementById('embed-code').value, hash: location.hash };").await;
    let hash = share["hash"].as_str().expect("hash").to_string();
    assert_eq!(share["open"], true, "{share}");
    assert_eq!(share["expanded"], "true", "{share}");
    assert_eq!(share["link"], format!("{origin}/{hash}"), "{share}");
    assert!(
        share["embed"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("<iframe src=\"{origin}/embed{hash}\"")),
        "{share}"
    );
    c.find(Locator::Id("copy-link"))
        .await
        .expect("copy")
        .click()
        .await
        .expect("click");
    let said = wait_for(
        &c,
        "document.getElementById('copied').textContent",
        "the copy's outcome",
    )
    .await;
    assert!(
        said == "已复制。" || said == "无法自动复制，请手动选择并复制。",
        "{said}"
    );
    let selected = js(&c, "var f = document.getElementById('share-link'); return f.selectionEnd - f.selectionStart === f.value.length;").await;
    assert_eq!(selected, true, "the link is selected for a manual copy");

    // --- Embed: the chart alone, its source and a link to the full view; nothing else.
    c.goto(&format!("{origin}/embed{hash}"))
        .await
        .expect("open /embed");
    ready(&c, "ranking", "the embedded chart").await;
    let embed = js(&c, "var shown = function (s) { var e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0; }; \
        return { chart: shown('#chart-ranking canvas'), map: shown('#chart-map canvas'), picker: shown('.picker'), header: shown('header.top'), controls: shown('.controls'), \
                 table: shown('#ranking-table'), title: document.getElementById('indicator-title').textContent, \
                 link: document.querySelector('#embed-foot a').getAttribute('href'), target: document.querySelector('#embed-foot a').getAttribute('target') };").await;
    assert_eq!(embed["chart"], true, "{embed}");
    assert_eq!(embed["map"], true, "{embed}");
    for hidden in ["picker", "header", "controls", "table"] {
        assert_eq!(embed[hidden], false, "{hidden}: {embed}");
    }
    assert_eq!(embed["title"], name_zh.as_str(), "{embed}");
    assert_eq!(embed["link"], format!("/{hash}"), "{embed}");
    assert_eq!(embed["target"], "_blank", "{embed}");
    let found = axe_violations(&c).await;
    assert!(found.is_empty(), "/embed: {}", json!(found));
    screenshot(&c, "dashboard-embed").await;
    nothing_left_the_server(c, &outside).await;
}

/// Issue 23 item 8 and issue 27 item 4: the indicator list is asked for with a GET the browser
/// may keep (`Cache-Control: public, max-age=60`, and an ETag of the data version when the
/// response cache is on): a second visit draws the first view without downloading it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indicator_list_is_not_downloaded_again_on_a_second_visit_in_chromium() {
    let app = TestApp::seeded();
    let (c, _driver, origin, outside) = browse(&app).await;
    let catalogue = "return performance.getEntriesByType('resource').filter(function (r) { \
                       return r.name.indexOf('/graphql?query=') >= 0 && r.name.indexOf('indicators') >= 0; }) \
                     .map(function (r) { return { transfer: r.transferSize, body: r.decodedBodySize }; });";
    open_dashboard(&c, &origin).await;
    let first = js(&c, catalogue).await;
    assert_eq!(first.as_array().map(Vec::len), Some(1), "{first}");
    assert!(
        first[0]["transfer"].as_u64().unwrap_or(0) > 1000,
        "the first visit downloads it: {first}"
    );
    c.goto("about:blank").await.expect("leave");
    open_dashboard(&c, &origin).await;
    let second = js(&c, catalogue).await;
    assert_eq!(second.as_array().map(Vec::len), Some(1), "{second}");
    // Resource Timing reports 0 bytes transferred for an answer taken from the browser's cache.
    assert_eq!(
        second[0]["transfer"], 0,
        "the second visit takes it from the cache: {second}"
    );
    assert_eq!(
        second[0]["body"], first[0]["body"],
        "the same list: {second}"
    );
    nothing_left_the_server(c, &outside).await;
}
