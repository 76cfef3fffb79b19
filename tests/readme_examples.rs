//! The README's example queries, with their output pinned as insta snapshots
//! (`tests/snapshots/`): a README figure that drifts from what the service answers fails here.
//! Update deliberately with `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

mod common;

use common::TestApp;
use serde_json::json;

/// The answer without `extensions` (the query's cost, see `tests/operations.rs`): the README
/// shows the data.
fn without_cost(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("extensions");
    }
    v
}

#[tokio::test]
async fn readme_ranking_example() {
    let app = TestApp::seeded();
    let v = app
        .graphql(
            r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true) {
                coverage entries { rank value year district { code nameZh nameEn } } stats { count mean median min max } } }"#,
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!(without_cost(v));
}

#[tokio::test]
async fn readme_change_example() {
    let app = TestApp::seeded();
    let v = app
        .graphql(
            r#"{ change(indicator: "student_physical_health_good_rate", from: 2023, to: 2024) {
                district { code nameEn } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }"#,
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!(without_cost(v));
}

/// The README's "targets against actuals" example.
pub const PROGRESS_EXAMPLE: &str = r#"{ progress(indicator: "preschool_gross_enrolment_rate", districts: ["500153"]) {
    target { key quote } targetValue targetPeriod condition actualValue actualPeriod
    gap gapUnit met status due yearsLeft neededPerYear pacePerYear } }"#;

#[tokio::test]
async fn readme_progress_example() {
    let app = TestApp::seeded();
    let v = app.graphql(PROGRESS_EXAMPLE, json!({})).await;
    insta::assert_json_snapshot!(without_cost(v));
}

/// The README's aggregate example.
pub const AGGREGATE_EXAMPLE: &str = r#"{ aggregate(indicator: "public_kindergarten_enrolment_share", year: 2022, groupBy: PARENT, latestOnOrBefore: true) {
    additive percentileMethod
    groups { key count mean median p10 p25 p75 p90 min max sum members { district { code } value year percentile } } } }"#;

#[tokio::test]
async fn readme_aggregate_example() {
    let app = TestApp::seeded();
    let v = app.graphql(AGGREGATE_EXAMPLE, json!({})).await;
    insta::assert_json_snapshot!(without_cost(v));
}

/// The README's standards example: a value checked against a standard, and the shortfalls.
pub const STANDARDS_EXAMPLE: &str = r#"{ standardShortfalls(standard: "physical_health_good_rate_benchmark_50", year: 2025) {
    district { code nameEn } value year gap gapUnit observation { key quote }
  }
  standards(indicator: "student_physical_health_good_rate") {
    code comparator value docTitle docNumber issuer quote } }"#;

#[tokio::test]
async fn readme_standards_example() {
    let app = TestApp::seeded();
    let v = app.graphql(STANDARDS_EXAMPLE, json!({})).await;
    insta::assert_json_snapshot!(without_cost(v));
}

/// The README's derived-share example.
pub const DERIVATION_EXAMPLE: &str = r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true, includeDerived: true) {
    entries { district { code } value year derived
      derivation { value difference tolerance agrees numerator { key value } denominator { key value } } } } }"#;

#[tokio::test]
async fn readme_derivation_example() {
    let app = TestApp::seeded();
    let v = app.graphql(DERIVATION_EXAMPLE, json!({})).await;
    insta::assert_json_snapshot!(without_cost(v));
}
