//! Proves DataLoader batching: the number of SQL statements a nested query issues does not grow
//! with the number of rows it returns.

use crate::common::TestApp;
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
        // indicator, breakdown, universe, values (from the choice index), the returned
        // entries' full rows (`observation` is selected), entry districts, their parents,
        // indicators (for `unit`), sources = 9
        (
            r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true) { entries { district { nameZh parent { code } } observation { unit source { code district { code } } } } missing { code } } }"#,
            9,
        ),
        // findings, their observations, districts, indicators, sources = 5
        (
            r#"{ qualityFindings { code observations { key district { code } indicator { code } source { code } } } }"#,
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
    // districts, indicator by code, members, breakdown, latest values = 5: the district list
    // prefetches them (one direct call each), so no batching window can split them, however
    // loaded the machine (the loader alone was seen taking 9 on a busy CI machine). A second
    // `latestValue` with other arguments costs its own look-ups, not one per district.
    let cases = [
        (
            r#"{ districts { code latestValue(indicator: "teachers_in_exchange") { value year } } }"#,
            5,
        ),
        (
            r#"{ districts { code a: latestValue(indicator: "teachers_in_exchange") { value } b: latestValue(indicator: "teachers_in_exchange", onOrBefore: 2021) { value } } }"#,
            6,
        ),
    ];
    for (q, expected) in cases {
        let n = statements_for(&app, q, json!({})).await;
        println!("statements: {n} for {q}");
        assert_eq!(n, expected, "{q}");
    }
}

/// Writes cost a number of statements that depends on what they write, not on the size of the
/// warehouse: pinned here so that a change that adds a query per row (or reloads maps) shows.
#[test]
fn writes_cost_a_known_number_of_statements() {
    use edustats::ingest::{import, read, seed};
    let app = TestApp::empty();
    let count = |f: &mut dyn FnMut()| {
        let before = app.db.statement_count();
        f();
        app.db.statement_count() - before
    };
    let mut conn = app.db.get().expect("connection");
    let seeded = count(&mut || {
        seed::load(&mut conn, &crate::common::synthetic_dir(), false).expect("seed");
    });
    let input = read::import_file(&crate::common::import_fixture()).expect("fixture");
    let opts = import::Options {
        actor: "test",
        reason: Some("statement count"),
        dry_run: false,
        default_source: None,
    };
    let imported = count(&mut || {
        import::import(&mut conn, &input, opts).expect("import");
    });
    let reimported = count(&mut || {
        import::import(&mut conn, &input, opts).expect("re-import");
    });
    let corrected = count(&mut || {
        let c = import::Correction {
            key: "syni-003".into(),
            value: "12.5".into(),
            unit: Some("％".into()),
            quote: None,
            note: None,
        };
        import::correct(&mut conn, c, opts).expect("correction");
    });
    println!(
        "statements: seed {seeded}, import {imported}, re-import {reimported}, correction {corrected}"
    );
    // Before the shared write path (7fe2142) these were 144, 42, 32 and 39; before bulk
    // inserts, source texts read only for the sources an import names, and incremental
    // quality rules, 144, 31, 22 and 26; 139, 27, 16 and 25 until every write bumped the data
    // version (one UPDATE each, for the response cache).
    assert_eq!(
        (seeded, imported, reimported, corrected),
        (140, 28, 17, 26),
        "seed, import, re-import, correction"
    );
}

#[tokio::test]
async fn progress_and_aggregate_cost_the_same_whatever_the_rows() {
    let app = TestApp::seeded();
    let q = r#"query($d: [String!]) { progress(districts: $d) { district { code } indicator { code }
        target { key source { code } } actual { key source { code } } paceFrom { key } status } }"#;
    let one = statements_for(&app, q, json!({"d": ["500104"]})).await;
    let all = statements_for(&app, q, json!({})).await;
    println!("statements: progress of one district -> {one}, of all -> {all}");
    // districts by code (1, only when given), targets and actuals (1), their indicators (1),
    // district codes (1), row districts (1), sources (1: the actuals' and the pace bases'
    // sources are the targets' reports, already in the request's cache).
    assert_eq!(
        (one, all),
        (6, 5),
        "statements for one district and for all"
    );
    let q = r#"{ aggregate(indicator: "public_kindergarten_enrolment_share", year: 2022, groupBy: LEVEL, latestOnOrBefore: true) {
        groups { key median members { district { code } observation { source { code } } } missing { code } } } }"#;
    let n = statements_for(&app, q, json!({})).await;
    println!("statements: aggregate -> {n}");
    // indicator, breakdown, universe, values, member districts, sources = 6
    assert_eq!(n, 6, "{n} statements");
    let q = r#"{ districts { code progress { status target { key } } } }"#;
    let n = statements_for(&app, q, json!({})).await;
    println!("statements: districts with progress -> {n}");
    // districts (1), then the district list's prefetch of the 39 districts' targets and
    // actuals, indicators, district codes (3): one direct call, so no batching window can
    // split it, however loaded the machine.
    assert_eq!(n, 4, "{n} statements for 39 districts' progress");
    // With relations, asked of every district: their sources and the rows' districts come
    // with one statement each for all districts, not one per district.
    let q = r#"{ districts { code progress(year: 2023) { district { code } target { key source { code } } actual { source { code } } } } }"#;
    let n = statements_for(&app, q, json!({})).await;
    println!("statements: districts with progress and relations -> {n}");
    assert_eq!(
        n, 6,
        "{n} statements for 39 districts' progress with relations"
    );
}

/// The statements per request do not grow with the warehouse: the same requests cost the same
/// on the seeds alone and on the seeds plus a SYNTHETIC set of two sizes (50 districts × 5
/// years, 400 districts × 12 years, with a second report for every fifth district).
#[tokio::test]
async fn statement_counts_are_constant_in_the_row_count() {
    let requests = [
        r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true) { coverage stats { median } entries { rank percentile district { code parent { code } } observation { unit source { code } } } missing { code } } }"#,
        r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true, first: 5) { pageInfo { hasNextPage endCursor } entries { rank district { code } observation { source { code } } } } }"#,
        r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true, districts: ["500104", "500153"]) { rankedCount entries { rank district { code } } } }"#,
        r#"{ change(indicator: "teachers_in_exchange", from: 2001, to: 2022) { fromValue toValue district { code } } }"#,
        r#"{ compare(districts: ["500104", "500153", "500115"], indicators: ["teachers_in_exchange", "schools"], year: 2022, latestOnOrBefore: true) { rows { district { code } cells { value observation { source { code } } } } } }"#,
        r#"{ timeSeries(district: "500104", indicator: "teachers_in_exchange") { points { year value observation { source { code } } } } }"#,
        r#"{ observations(first: 100, filter: { indicators: ["teachers_in_exchange"] }) { totalCount edges { node { key district { code } indicator { code } source { code } period { code } } } } }"#,
        r#"{ indicators(search: "teachers_in_exchange") { code coverage { district { code } years } } }"#,
        r#"{ indicators(search: "teachers_in_exchange") { code rankable { kind breakdown { member } districtCount years { year rankedCount } } } }"#,
    ];
    let mut per_size = Vec::new();
    for (districts, years) in [(0, 0), (50, 5), (400, 12)] {
        let app = TestApp::seeded();
        if districts > 0 {
            crate::common::add_synthetic_scale(&app.db, "teachers_in_exchange", districts, years);
        }
        let mut counts = Vec::new();
        for q in requests {
            counts.push(statements_for(&app, q, json!({})).await);
        }
        println!("statements with {districts} SYNTHETIC districts × {years} years: {counts:?}");
        per_size.push(counts);
    }
    assert_eq!(per_size[0], per_size[1], "seeds vs the small SYNTHETIC set");
    assert_eq!(per_size[0], per_size[2], "seeds vs the large SYNTHETIC set");
    // Pinned, so that a change that adds a statement shows here as well. Ranking: indicator,
    // breakdown, universe, chosen values, the returned entries' full rows (`observation` is
    // selected), then one per relation selected (entry districts, their parents, indicators,
    // sources); `districts:` adds their look-up. Change: indicator,
    // breakdown, chosen values, district order, row districts. Compare: districts,
    // indicators, breakdown, chosen values, sources. Time series: district, indicator,
    // breakdown, chosen values, sources. Observations: indicator, count, page, then one per
    // relation. Coverage: indicators, coverage, districts. Rankable: indicators, rankable
    // rows, breakdown members.
    assert_eq!(
        per_size[0],
        [9, 7, 6, 5, 5, 5, 7, 3, 3],
        "statements per request"
    );
}

#[tokio::test]
async fn standard_checks_cost_the_same_for_1_and_400_rows() {
    let app = TestApp::seeded();
    let q = r#"query($n: Int!) { observations(first: $n) { edges { node {
        key meetsStandard gapToStandard standardChecks { met gap standard { code } } } } } }"#;
    let one = statements_for(&app, q, json!({"n": 1})).await;
    let many = statements_for(&app, q, json!({"n": 400})).await;
    println!("statements: standard checks first=1 -> {one}, first=400 -> {many}");
    // count (1), page (1), periods (1), breakdowns (1), standards of the indicators (1),
    // indicators (1, for the gap's unit) = 6.
    assert_eq!(one, 6, "statements for one row");
    assert_eq!(many, one, "statement count grew with rows: {one} vs {many}");
}

#[tokio::test]
async fn standards_shortfalls_derivations_and_markers_are_batched() {
    let app = TestApp::seeded();
    let cases = [
        // standards, their indicators, districts, sources = 4
        (
            r#"{ standards { code indicator { code } district { code } source { code } } }"#,
            4,
        ),
        // standard, indicator, breakdowns, values, universe, districts, sources = 7
        (
            r#"{ standardShortfalls(standard: "physical_health_good_rate_benchmark_50", year: 2025, latestOnOrBefore: true) {
                district { code } observation { key source { code } } } }"#,
            7,
        ),
        // indicator, breakdown, universe, values, then the inputs: their indicators, two
        // breakdowns, two value lists; the returned entries' full rows; then sources (the
        // entries' and the derivations' inputs' are the same reports, one batch) = 11
        (
            r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true, includeDerived: true) {
                entries { derived observation { source { code } } inputs { key }
                  derivation { agrees numerator { source { code } } } } } }"#,
            11,
        ),
        // district, indicator, breakdown, values, then breakdown, targets and actuals,
        // targets' sources = 7
        (
            r#"{ timeSeries(district: "500153", indicator: "student_physical_health_good_rate") {
                points { year } targets { year observation { source { code } } } } }"#,
            7,
        ),
    ];
    for (q, expected) in cases {
        let n = statements_for(&app, q, json!({})).await;
        println!("statements: {n} for {q}");
        assert_eq!(n, expected, "{q}");
    }
}
