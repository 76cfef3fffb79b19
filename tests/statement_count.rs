//! Proves DataLoader batching: the number of SQL statements a nested query issues does not grow
//! with the number of rows it returns.

mod common;

use common::TestApp;
use serde_json::json;

async fn statements_for(app: &TestApp, query: &str, vars: serde_json::Value) -> u64 {
    let before = app.db.statement_count();
    let v = app.graphql(query, vars).await;
    assert!(v.get("errors").is_none(), "{v}");
    app.db.statement_count() - before
}

#[tokio::test]
async fn nested_observations_cost_the_same_for_1_and_400_rows() {
    let app = TestApp::seeded();
    let q = r#"query($n: Int!) { observations(first: $n) { totalCount edges { node {
        key year unit district { code nameZh } indicator { code dimensions } source { code } breakdown { member } qualityFlags { rule } } } } }"#;
    let one = statements_for(&app, q, json!({"n": 1})).await;
    let many = statements_for(&app, q, json!({"n": 400})).await;
    println!("statements: first=1 -> {one}, first=400 -> {many}");
    // One statement per relation: count, page, districts, indicators, dimensions, sources,
    // periods, breakdowns, findings = 9. The list resolver prefetches every relation with one
    // direct batch call (no batching window), so the count is exact on a loaded machine too.
    assert_eq!(one, 9, "statements for one row");
    assert_eq!(many, one, "statement count grew with rows: {one} vs {many}");
}

#[tokio::test]
async fn districts_with_their_observations_are_batched() {
    let app = TestApp::seeded();
    let q = r#"{ districts { code observations { key indicator { code } source { code } } } }"#;
    let n = statements_for(&app, q, json!({})).await;
    // districts (1) + observations of all districts (1) + indicators (1) + sources (1),
    // independent of the 39 districts and their observations.
    println!("statements: districts with observations -> {n}");
    assert_eq!(n, 4, "{n} statements");
}

#[tokio::test]
async fn rankings_findings_and_sources_are_batched() {
    let app = TestApp::seeded();
    // (query, statements): resolving arguments and the main query, then one statement per
    // relation selected, independent of the number of rows.
    let cases = [
        // indicator, breakdown, universe, values, entry districts, their parents, indicators
        // (for `unit`), sources = 8
        (
            r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true) { entries { district { nameZh parent { code } } observation { unit source { code district { code } } } } missing { code } } }"#,
            8,
        ),
        // findings, their observations, districts, indicators, sources = 5
        (
            r#"{ qualityFindings { code observations { key district { code } indicator { code } source { code } } } }"#,
            5,
        ),
        // districts, indicator by code, members, breakdown, latest values = 5
        (
            r#"{ districts { code latestValue(indicator: "teachers_in_exchange") { value year } } }"#,
            5,
        ),
        // sources, their texts = 2
        (r#"{ sources { code text } }"#, 2),
        // sources, their districts, observations, periods, indicators = 5
        (
            r#"{ sources { code district { code } observations { key period { code } indicator { code } } } }"#,
            5,
        ),
    ];
    for (q, expected) in cases {
        let n = statements_for(&app, q, json!({})).await;
        println!("statements: {n} for {q}");
        assert_eq!(n, expected, "{q}");
    }
}
