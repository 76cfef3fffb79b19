//! The Model Context Protocol (issue 28, item 1): the official Python SDK (`mcp` on PyPI,
//! `tests/clients/mcp_client.py`) connects over streamable HTTP to `/mcp` of a listening server
//! and over stdio to `edustats mcp`, lists the tools and calls them; every value it gets must be
//! what the GraphQL API answers for the same question. Bad arguments get coded errors, nothing
//! can write, `/metrics` counts the calls and the rate limit applies to `/mcp`.
//!
//! Needs `python3` with the packages of `tests/clients/requirements.txt` (`EDUSTATS_PYTHON`
//! names the interpreter; `scripts/test` makes the venv). Runs on the default backend: SQLite,
//! and PostgreSQL on `scripts/test`'s second pass (`TEST_DATABASE_URL`).

use std::path::PathBuf;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

const INSTALL: &str = "scripts/test (it makes a venv with tests/clients/requirements.txt), or python3 -m venv V && V/bin/pip install -r tests/clients/requirements.txt && export EDUSTATS_PYTHON=V/bin/python3";

/// Runs the client with `args` (mode first), returns its JSON.
async fn client(args: Vec<String>) -> Value {
    let python = std::env::var("EDUSTATS_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/mcp_client.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .args(&args)
            .output()
            .map_err(|e| format!("cannot run {python}: {e}"))
    })
    .await
    .expect("join");
    let out = out.unwrap_or_else(|e| panic!("{e}. Install Python 3 and the client: {INSTALL}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")),
        Some(3) => panic!(
            "the MCP SDK is missing ({}). Install it: {INSTALL}",
            stderr.trim()
        ),
        _ => panic!(
            "the MCP client failed ({:?}):\n{stdout}\n{stderr}",
            out.status
        ),
    }
}

/// A question with data, as GraphQL reports it: the indicator and year (totals, actual values)
/// with the most districts ranked, another year of the same indicator, and the first two
/// districts of the ranking.
struct Subject {
    indicator: String,
    name_zh: String,
    year: i64,
    earlier: i64,
    later: i64,
    districts: Vec<String>,
    /// A figure with a data-quality finding: `{district, indicator, year, code}`.
    flagged: Value,
}

async fn subject(app: &TestApp) -> Subject {
    let data = app
        .data(
            "{ indicators { code nameZh rankable { kind breakdown { member } years { year rankedCount } } } }",
            json!({}),
        )
        .await;
    // (ranked in the year, indicator, name, the year, another year of the same slice)
    let mut best: Option<(i64, String, String, i64, i64)> = None;
    for i in data["indicators"].as_array().expect("indicators") {
        for s in i["rankable"].as_array().expect("rankable") {
            let totals = s["breakdown"].as_array().is_some_and(|b| b.is_empty());
            let years = s["years"].as_array().expect("years");
            if s["kind"] != "ACTUAL" || !totals || years.len() < 2 {
                continue;
            }
            for y in years {
                let n = y["rankedCount"].as_i64().expect("count");
                let year = y["year"].as_i64().expect("year");
                let other = years
                    .iter()
                    .filter_map(|o| o["year"].as_i64())
                    .find(|o| *o != year)
                    .expect("two years");
                if best.as_ref().is_none_or(|b| n > b.0) {
                    best = Some((
                        n,
                        i["code"].as_str().expect("code").into(),
                        i["nameZh"].as_str().expect("name").into(),
                        year,
                        other,
                    ));
                }
            }
        }
    }
    let (n, indicator, name_zh, year, other) = best.expect("a rankable indicator with two years");
    assert!(n >= 1, "a ranking with a district in the seeds");
    let r = app
        .data(
            "query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y) { entries { district { code } } } districts { code level } }",
            json!({"i": indicator, "y": year}),
        )
        .await;
    let first = r["ranking"]["entries"][0]["district"]["code"]
        .as_str()
        .expect("ranked")
        .to_string();
    // A second district for the comparison: the first other district or county (its cell may
    // be empty; it must be what GraphQL says).
    let second = r["districts"]
        .as_array()
        .expect("districts")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .find(|c| *c != first && *c != "500000")
        .expect("another district")
        .to_string();
    let districts = vec![first, second];
    let f = app
        .data(
            "{ qualityFindings { code observations { year district { code } indicator { code } } } }",
            json!({}),
        )
        .await;
    let flagged = f["qualityFindings"]
        .as_array()
        .expect("findings")
        .iter()
        .find_map(|x| {
            let o = x["observations"].get(0)?;
            Some(json!({
                "district": o["district"]["code"], "indicator": o["indicator"]["code"],
                "year": o["year"], "code": x["code"],
            }))
        })
        .expect("a finding about a figure in the seeds");
    Subject {
        indicator,
        name_zh,
        year,
        earlier: other.min(year),
        later: other.max(year),
        districts,
        flagged,
    }
}

/// The calls both transports make, and the checks of their answers against GraphQL.
fn plan(s: &Subject) -> Value {
    json!([
        {"tool": "rank_districts", "arguments": {"indicator": s.indicator, "year": s.year, "first": 3}},
        {"tool": "search_indicators", "arguments": {"query": s.name_zh}},
        {"tool": "get_observations", "arguments": {"indicators": [s.indicator], "years": [s.year], "first": 5}},
        {"tool": "change_between_years", "arguments": {"indicator": s.indicator, "from": s.earlier, "to": s.later}},
        {"tool": "compare_districts", "arguments": {"districts": s.districts, "indicators": [s.indicator], "year": s.year}},
        {"tool": "time_series", "arguments": {"district": s.districts[0], "indicator": s.indicator}},
        {"tool": "list_sources", "arguments": {"limit": 5}},
        {"tool": "explain_quality_flags", "arguments": {"district": s.flagged["district"], "indicator": s.flagged["indicator"], "year": s.flagged["year"]}},
        // Bad input: coded tool errors.
        {"tool": "rank_districts", "arguments": {"indicator": "no_such_indicator", "year": s.year}},
        {"tool": "rank_districts", "arguments": {"indicator": s.indicator, "year": 3000}},
        {"tool": "get_observations", "arguments": {"first": 1000}},
        // Not what the schema says: JSON-RPC errors.
        {"tool": "rank_districts", "arguments": {"indicator": s.indicator}},
        {"tool": "import_report", "arguments": {}},
        {"tool": "get_observations", "arguments": {"kinds": ["BOGUS"]}},
    ])
}

fn ok(calls: &Value, i: usize) -> &Value {
    let c = &calls[i];
    assert_eq!(c["isError"], false, "call {i} succeeds: {c}");
    &c["structured"]
}

fn tool_error(calls: &Value, i: usize) -> String {
    let c = &calls[i];
    assert_eq!(c["isError"], true, "call {i} is a tool error: {c}");
    let code = c["structured"]["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("a code: {c}"))
        .to_string();
    assert!(
        c["text"].as_str().is_some_and(|t| t.starts_with(&code)),
        "the text starts with the code: {c}"
    );
    code
}

async fn check_answers(app: &TestApp, s: &Subject, out: &Value) {
    assert_eq!(out["server"], "edustats");
    // The catalogue: eight read-only tools, each with a description and an argument schema.
    let tools = out["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "change_between_years",
            "compare_districts",
            "explain_quality_flags",
            "get_observations",
            "list_sources",
            "rank_districts",
            "search_indicators",
            "time_series"
        ]
    );
    for t in tools {
        assert!(
            t["description"].as_str().is_some_and(|d| d.len() > 80),
            "{t}"
        );
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{t}");
    }
    // The kinds are listed in the schema, for an agent to choose from.
    let rank = tools
        .iter()
        .find(|t| t["name"] == "rank_districts")
        .expect("rank_districts");
    let schema = rank["inputSchema"].to_string();
    assert!(
        schema.contains("\"TARGET\"") && schema.contains("\"DESC\""),
        "{schema}"
    );
    assert_eq!(
        rank["inputSchema"]["required"],
        json!(["indicator", "year"])
    );
    let calls = &out["calls"];

    // rank_districts: the page and the totals GraphQL gives.
    let g = app
        .data(
            "query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, first: 3) { rankedCount stats { mean } entries { rank value district { code } observation { quote source { titleZh documentNumber } } } } }",
            json!({"i": s.indicator, "y": s.year}),
        )
        .await;
    let r = ok(calls, 0);
    assert_eq!(r["rankedCount"], g["ranking"]["rankedCount"]);
    assert_eq!(r["stats"]["mean"], g["ranking"]["stats"]["mean"]);
    let ranked = r["rankedCount"].as_u64().expect("rankedCount") as usize;
    let shown = ranked.min(3);
    assert_eq!(r["entries"].as_array().map(Vec::len), Some(shown));
    assert!(shown >= 1);
    for k in 0..shown {
        let (m, q) = (&r["entries"][k], &g["ranking"]["entries"][k]);
        assert_eq!(m["district"]["code"], q["district"]["code"]);
        assert_eq!(m["value"], q["value"]);
        assert_eq!(m["rank"], q["rank"]);
        assert_eq!(m["observation"]["quote"], q["observation"]["quote"]);
        assert_eq!(
            m["observation"]["source"]["titleZh"],
            q["observation"]["source"]["titleZh"]
        );
        assert_eq!(
            m["observation"]["source"]["documentNumber"],
            q["observation"]["source"]["documentNumber"]
        );
    }
    assert_eq!(r["pageInfo"]["hasNextPage"], ranked > 3);
    assert_eq!(r["districtCount"], 38);
    assert!(r["entries"][0]["observation"]["quote"]
        .as_str()
        .is_some_and(|q| !q.is_empty()));

    // search_indicators: the indicator, with its coverage summed up.
    let g = app
        .data(
            "query($s: String) { indicators(search: $s) { code coverage { district { code } } } }",
            json!({"s": s.name_zh}),
        )
        .await;
    let found = ok(calls, 1);
    assert_eq!(
        found["total"].as_u64(),
        g["indicators"].as_array().map(|a| a.len() as u64)
    );
    let item = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["code"] == s.indicator.as_str())
        .expect("the indicator is found by its Chinese name");
    let cov = g["indicators"]
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["code"] == s.indicator.as_str())
        .expect("in GraphQL too")["coverage"]
        .as_array()
        .map(Vec::len);
    assert_eq!(
        item["coverage"]["districts"].as_u64(),
        cov.map(|n| n as u64)
    );
    assert!(item["coverage"]["years"]
        .as_array()
        .expect("years")
        .contains(&json!(s.year)));

    // get_observations: the export's filter, the total and first page GraphQL gives, with quotes.
    let g = app
        .data(
            "query($f: ObservationFilter) { observations(filter: $f, first: 5) { totalCount pageInfo { endCursor } edges { node { key value quote source { titleZh } } } } }",
            json!({"f": {"indicators": [s.indicator], "years": [s.year]}}),
        )
        .await;
    let o = ok(calls, 2);
    assert_eq!(o["total"], g["observations"]["totalCount"]);
    assert_eq!(o["endCursor"], g["observations"]["pageInfo"]["endCursor"]);
    let items = o["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        5.min(o["total"].as_u64().expect("total") as usize)
    );
    for (m, e) in items
        .iter()
        .zip(g["observations"]["edges"].as_array().expect("edges"))
    {
        assert_eq!(m["key"], e["node"]["key"]);
        assert_eq!(m["value"], e["node"]["value"]);
        assert_eq!(m["quote"], e["node"]["quote"]);
        assert_eq!(m["source"]["titleZh"], e["node"]["source"]["titleZh"]);
        assert!(m["quote"].as_str().is_some_and(|q| !q.is_empty()));
    }

    // change_between_years.
    let g = app
        .data(
            "query($i: String!, $f: Int!, $t: Int!) { change(indicator: $i, from: $f, to: $t) { district { code } fromValue toValue relativeChange } }",
            json!({"i": s.indicator, "f": s.earlier, "t": s.later}),
        )
        .await;
    let c = ok(calls, 3);
    let rows = g["change"].as_array().expect("rows");
    assert_eq!(c["total"].as_u64(), Some(rows.len() as u64));
    for (m, q) in c["items"].as_array().expect("items").iter().zip(rows) {
        assert_eq!(m["district"]["code"], q["district"]["code"]);
        assert_eq!(m["fromValue"], q["fromValue"]);
        assert_eq!(m["toValue"], q["toValue"]);
        assert_eq!(m["relativeChange"], q["relativeChange"]);
    }

    // compare_districts.
    let g = app
        .data(
            "query($d: [String!]!, $i: [String!]!, $y: Int!) { compare(districts: $d, indicators: $i, year: $y) { rows { district { code } cells { value } } } }",
            json!({"d": s.districts, "i": [s.indicator], "y": s.year}),
        )
        .await;
    let m = ok(calls, 4);
    for k in 0..2 {
        assert_eq!(
            m["rows"][k]["district"]["code"],
            g["compare"]["rows"][k]["district"]["code"]
        );
        assert_eq!(
            m["rows"][k]["cells"][0]["value"],
            g["compare"]["rows"][k]["cells"][0]["value"]
        );
    }
    assert!(m["rows"][0]["cells"][0]["value"].is_number());

    // time_series.
    let g = app
        .data(
            "query($d: String!, $i: String!) { timeSeries(district: $d, indicator: $i) { points { year value } } }",
            json!({"d": s.districts[0], "i": s.indicator}),
        )
        .await;
    let t = ok(calls, 5);
    let points: Vec<(Value, Value)> = t["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| (p["year"].clone(), p["value"].clone()))
        .collect();
    let want: Vec<(Value, Value)> = g["timeSeries"]["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| (p["year"].clone(), p["value"].clone()))
        .collect();
    assert_eq!(points, want);
    assert!(!points.is_empty());

    // list_sources: a page of 5 with the total.
    let g = app
        .data("{ sources { code documentNumber } }", json!({}))
        .await;
    let l = ok(calls, 6);
    let all = g["sources"].as_array().expect("sources");
    assert_eq!(l["total"].as_u64(), Some(all.len() as u64));
    assert_eq!(l["items"].as_array().map(Vec::len), Some(5.min(all.len())));
    assert_eq!(l["items"][0]["code"], all[0]["code"]);
    assert_eq!(l["hasMore"], all.len() > 5);

    // explain_quality_flags: the figures with their flags, as Observation.qualityFlags.
    let g = app
        .data(
            "query($f: ObservationFilter) { observations(filter: $f, first: 10) { totalCount edges { node { key qualityFlags { code rule } } } } }",
            json!({"f": {"districts": [s.flagged["district"]], "indicators": [s.flagged["indicator"]], "years": [s.flagged["year"]]}}),
        )
        .await;
    let q = ok(calls, 7);
    let flags: Vec<&Value> = q["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|i| i["qualityFlags"].as_array().expect("flags"))
        .collect();
    let flag = flags
        .iter()
        .find(|f| f["code"] == s.flagged["code"])
        .unwrap_or_else(|| panic!("the finding {} is explained: {q}", s.flagged));
    assert!(flag["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(flag["rule"].is_string() && flag["severity"].is_string());
    assert_eq!(q["total"], g["observations"]["totalCount"]);
    for (m, e) in q["items"]
        .as_array()
        .expect("items")
        .iter()
        .zip(g["observations"]["edges"].as_array().expect("edges"))
    {
        assert_eq!(m["key"], e["node"]["key"]);
        let codes = |v: &Value| -> Vec<Value> {
            v.as_array()
                .expect("flags")
                .iter()
                .map(|f| f["code"].clone())
                .collect()
        };
        assert_eq!(codes(&m["qualityFlags"]), codes(&e["node"]["qualityFlags"]));
    }

    // Coded errors.
    assert_eq!(tool_error(calls, 8), "NOT_FOUND");
    assert!(calls[8]["text"]
        .as_str()
        .is_some_and(|t| t.contains("no_such_indicator")));
    assert_eq!(tool_error(calls, 9), "BAD_USER_INPUT");
    assert_eq!(tool_error(calls, 10), "BAD_USER_INPUT");
    // A missing required argument: refused before the tool runs, coded all the same.
    assert_eq!(tool_error(calls, 11), "BAD_USER_INPUT");
    assert!(calls[11]["text"]
        .as_str()
        .is_some_and(|t| t.contains("year")));
    // A tool that does not exist (there is no tool that writes): a JSON-RPC error.
    assert_eq!(calls[12]["rpcError"]["code"], -32602, "{}", calls[12]);
    assert_eq!(tool_error(calls, 13), "BAD_USER_INPUT");
    assert!(calls[13]["text"]
        .as_str()
        .is_some_and(|t| t.contains("BOGUS")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_over_streamable_http_answers_as_graphql() {
    let app = TestApp::seeded();
    let s = subject(&app).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // The same router (and so the same metrics registry) as `app.get("/metrics")` below.
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let out = client(vec![
        "http".into(),
        format!("http://{addr}/mcp"),
        plan(&s).to_string(),
    ])
    .await;
    server.abort();
    check_answers(&app, &s, &out).await;

    // `/metrics` counts the calls by tool and outcome, and times the route.
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        r#"edustats_mcp_tool_calls_total{code="OK",tool="rank_districts"} 1"#,
        r#"edustats_mcp_tool_calls_total{code="NOT_FOUND",tool="rank_districts"} 1"#,
        r#"edustats_mcp_tool_calls_total{code="BAD_USER_INPUT",tool="rank_districts"} 2"#,
        r#"edustats_mcp_tool_calls_total{code="OK",tool="list_sources"} 1"#,
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    assert!(
        text.contains(r#"edustats_http_request_duration_seconds_count{route="/mcp",status="200"}"#),
        "the /mcp route is timed:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_over_stdio_answers_as_graphql() {
    let app = TestApp::seeded();
    let s = subject(&app).await;
    let out = client(vec![
        "stdio".into(),
        env!("CARGO_BIN_EXE_edustats").into(),
        app.url.clone(),
        plan(&s).to_string(),
    ])
    .await;
    check_answers(&app, &s, &out).await;
}

#[tokio::test]
async fn mcp_shares_the_rate_limit() {
    let app = TestApp::seeded().with_options(edustats::http::Options {
        rate: edustats::http::RateLimits {
            per_address_per_minute: 2,
            ..Default::default()
        },
        ..Default::default()
    });
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}}
    })
    .to_string();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let req = Request::post("/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("host", "127.0.0.1")
            .body(Body::from(init.clone()))
            .expect("request");
        // The status only: an answer in a session may be an event stream left open.
        let resp = tower::ServiceExt::oneshot(app.router.clone(), req)
            .await
            .expect("response");
        statuses.push(resp.status());
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
}
