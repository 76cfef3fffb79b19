//! Ranking ties and direction, percentage-point and zero-base changes, pagination, errors,
//! limits and HTTP endpoints, over the SYNTHETIC fixture (tests/fixtures/synthetic: invented
//! figures, used only where real reports have no such edge case).

use crate::common::{approx, TestApp};
use axum::http::StatusCode;
use serde_json::json;

const RANK: &str = r#"query($i: String!, $o: SortOrder) { ranking(indicator: $i, year: 2020, order: $o) {
    order coverage entries { rank value district { code } } stats { count mean median min max } } }"#;

fn ranks(d: &serde_json::Value) -> Vec<(i64, String)> {
    d["ranking"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rank"].as_i64().unwrap(),
                e["district"]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn lower_is_better_ranks_lowest_first_with_shared_ranks() {
    let app = TestApp::synthetic();
    let d = app.data(RANK, json!({"i": "synthetic_rate"})).await;
    // 甲 5, 乙 3, 丙 3, 丁 9 → 乙 1, 丙 1, 甲 3, 丁 4
    assert_eq!(d["ranking"]["order"], "ASC");
    assert_eq!(
        ranks(&d),
        vec![
            (1, "500102".into()),
            (1, "500103".into()),
            (3, "500101".into()),
            (4, "500104".into())
        ]
    );
    assert_eq!(d["ranking"]["coverage"], "4 of 38");
    let s = &d["ranking"]["stats"];
    approx(&s["mean"], 5.0);
    approx(&s["median"], 4.0);
    approx(&s["min"], 3.0);
    approx(&s["max"], 9.0);
}

#[tokio::test]
async fn higher_is_better_ranks_highest_first_and_order_overrides() {
    let app = TestApp::synthetic();
    let d = app.data(RANK, json!({"i": "synthetic_count"})).await;
    // 甲 0, 乙 30, 丙 30, 丁 20 → 乙 1, 丙 1, 丁 3, 甲 4
    assert_eq!(
        ranks(&d),
        vec![
            (1, "500102".into()),
            (1, "500103".into()),
            (3, "500104".into()),
            (4, "500101".into())
        ]
    );
    let d = app
        .data(RANK, json!({"i": "synthetic_count", "o": "ASC"}))
        .await;
    assert_eq!(
        ranks(&d),
        vec![
            (1, "500101".into()),
            (2, "500104".into()),
            (3, "500102".into()),
            (3, "500103".into())
        ]
    );
}

#[tokio::test]
async fn breakdown_ranking_uses_only_that_breakdown() {
    let app = TestApp::synthetic();
    let d = app
        .data(r#"{ ranking(indicator: "synthetic_count", year: 2020, breakdown: [{dimension: "stage", member: "primary"}]) { coverage entries { value } } }"#, json!({}))
        .await;
    assert_eq!(d["ranking"]["coverage"], "1 of 38");
    approx(&d["ranking"]["entries"][0]["value"], 12.0);
}

#[tokio::test]
async fn percent_change_is_percentage_points_and_zero_base_is_null() {
    let app = TestApp::synthetic();
    let d = app
        .data(
            r#"{ rate: change(indicator: "synthetic_rate", from: 2020, to: 2021, districts: ["500101", "500102"]) { absoluteChange absoluteUnit relativeChange relativeChangeGap }
                 count: change(indicator: "synthetic_count", from: 2020, to: 2021, districts: ["500101"]) { fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }"#,
            json!({}),
        )
        .await;
    let rate = &d["rate"][0];
    approx(&rate["absoluteChange"], 2.5); // 5% → 7.5%
    assert_eq!(rate["absoluteUnit"], "percentage_point");
    approx(&rate["relativeChange"], 50.0);
    assert_eq!(d["rate"][1]["relativeChangeGap"], "MISSING_TO");
    let count = &d["count"][0];
    approx(&count["absoluteChange"], 5.0); // 0 → 5
    assert!(count["relativeChange"].is_null());
    assert_eq!(count["relativeChangeGap"], "ZERO_BASE");
    assert_eq!(count["absoluteUnit"], "count");
}

#[tokio::test]
async fn unknown_codes_are_not_found_and_name_the_code() {
    let app = TestApp::synthetic();
    let cases = [
        (
            r#"{ ranking(indicator: "no_such", year: 2020) { coverage } }"#,
            "no_such",
        ),
        (
            r#"{ change(indicator: "synthetic_rate", from: 2020, to: 2021, districts: ["999999"]) { fromValue } }"#,
            "999999",
        ),
        (
            r#"{ compare(districts: ["500101"], indicators: ["nope"], year: 2020) { year } }"#,
            "nope",
        ),
        (
            r#"{ timeSeries(district: "500101", indicator: "x_y") { points { year } } }"#,
            "x_y",
        ),
        (
            r#"{ source(code: "missing-report") { code } }"#,
            "missing-report",
        ),
        (r#"{ district(code: "123") { code } }"#, "123"),
        (
            r#"{ ranking(indicator: "synthetic_count", year: 2020, breakdown: [{dimension: "stage", member: "university"}]) { coverage } }"#,
            "stage=university",
        ),
        (
            r#"{ observations(filter: {indicators: ["zzz"]}) { totalCount } }"#,
            "zzz",
        ),
    ];
    for (q, code) in cases {
        let v = app.graphql(q, json!({})).await;
        let e = &v["errors"][0];
        assert_eq!(e["extensions"]["code"], "NOT_FOUND", "{q}: {v}");
        assert_eq!(e["extensions"]["value"], code, "{q}");
        assert!(e["message"].as_str().unwrap().contains(code), "{q}");
    }
}

#[tokio::test]
async fn invalid_arguments_are_bad_user_input() {
    let app = TestApp::synthetic();
    let cases = [
        r#"{ observations(first: 501) { totalCount } }"#,
        r#"{ observations(first: -1) { totalCount } }"#,
        r#"{ observations(after: "garbage") { totalCount } }"#,
        r#"{ ranking(indicator: "synthetic_rate", year: 20200) { coverage } }"#,
        r#"{ change(indicator: "synthetic_rate", from: 2021, to: 2020) { fromValue } }"#,
        r#"{ change(indicator: "synthetic_rate", from: 2021, to: 2021) { fromValue } }"#,
        r#"{ compare(districts: [], indicators: ["synthetic_rate"], year: 2020) { year } }"#,
        r#"{ ranking(indicator: "synthetic_count", year: 2020, breakdown: [{dimension: "stage", member: "primary"}, {dimension: "stage", member: "preschool"}]) { coverage } }"#,
    ];
    for q in cases {
        let (code, message) = app.error_code(q, json!({})).await;
        assert_eq!(code, "BAD_USER_INPUT", "{q}: {message}");
        assert!(!message.is_empty());
    }
}

#[tokio::test]
async fn page_cap_and_cursor_pagination() {
    let app = TestApp::synthetic();
    let q = r#"query($first: Int, $after: String) { observations(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { key } } } }"#;
    let d = app.data(q, json!({"first": 500})).await;
    assert_eq!(d["observations"]["totalCount"], 11);
    assert_eq!(d["observations"]["pageInfo"]["hasNextPage"], false);
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let d = app.data(q, json!({"first": 4, "after": after})).await;
        let c = &d["observations"];
        for e in c["edges"].as_array().unwrap() {
            seen.push(e["node"]["key"].as_str().unwrap().to_string());
        }
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = (1..=11).map(|i| format!("syn-{i:03}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn depth_limit_rejects_deep_queries() {
    let app = TestApp::synthetic();
    let deep = "{ observations { edges { node { source { observations { source { observations { source { observations { source { observations { district { parent { code } } } } } } } } } } } } } }";
    let v = app.graphql(deep, json!({})).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested too deep"),
        "{v}"
    );
}

#[tokio::test]
async fn curated_findings_are_listed_with_their_observations() {
    let app = TestApp::synthetic();
    let d = app.data(r#"{ qualityFindings(source: "synthetic-report") { code origin observations { key } } }"#, json!({})).await;
    let f = &d["qualityFindings"][0];
    assert_eq!(f["code"], "syn-f01");
    assert_eq!(f["origin"], "curated");
    assert_eq!(
        f["observations"],
        json!([{"key": "syn-003"}, {"key": "syn-004"}])
    );
}

#[tokio::test]
async fn healthz_and_graphiql() {
    let app = TestApp::synthetic();
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"ok\""));
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn browsers_on_other_origins_may_call_the_api() {
    let app = TestApp::synthetic();
    let req = axum::http::Request::builder()
        .method("OPTIONS")
        .uri("/graphql")
        .header("origin", "https://dashboard.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = {
        use tower::ServiceExt;
        edustats::http::router(app.db.clone())
            .oneshot(req)
            .await
            .unwrap()
    };
    assert!(resp.status().is_success(), "{:?}", resp.status());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let allowed = resp.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
}
