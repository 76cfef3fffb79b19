//! Targets against actuals and distributions across districts, over the real seeded reports.
//! Each value asserted is quoted from its report in the comment next to it.

use crate::common::{approx, TestApp};
use serde_json::{json, Value};

const PROGRESS: &str = r#"query($i: String, $d: [String!], $y: Int) {
  progress(indicator: $i, districts: $d, year: $y) {
    district { code } indicator { code }
    target { key qualifier quote } targetValue targetPeriod condition
    actual { key quote } actualValue actualPeriod actualYear
    gap gapUnit met status due yearsLeft neededPerYear pacePerYear paceFrom { key } onTrack } }"#;

async fn progress(app: &TestApp, indicator: &str, district: &str) -> Vec<Value> {
    let d = app
        .data(PROGRESS, json!({"i": indicator, "d": [district]}))
        .await;
    d["progress"].as_array().cloned().unwrap_or_default()
}

fn by_key<'a>(rows: &'a [Value], key: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["target"]["key"] == key)
        .unwrap_or_else(|| panic!("no target {key} in {rows:?}"))
}

#[tokio::test]
async fn rongchang_preschool_enrolment_rate_target_is_not_yet_met() {
    let app = TestApp::seeded();
    let rows = progress(&app, "preschool_gross_enrolment_rate", "500153").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    // 学前三年毛入园率（%） 95 89.68: the 2025 target beside the first half of 2023.
    assert_eq!(r["target"]["key"], "rc22-028");
    approx(&r["targetValue"], 95.0);
    assert_eq!(r["condition"], "at_least 95");
    assert_eq!(r["actual"]["key"], "rc22-029");
    approx(&r["actualValue"], 89.68);
    assert_eq!(r["actualPeriod"], "2023-01..2023-06");
    assert_eq!(r["actualYear"], 2023);
    approx(&r["gap"], -5.32);
    assert_eq!(r["gapUnit"], "percentage_point");
    assert_eq!(r["met"], false);
    assert_eq!(r["due"], false);
    // From the end of June 2023 to the end of 2025.
    let years = r["yearsLeft"].as_f64().expect("years left");
    assert!((years - 2.5).abs() < 0.01, "{years}");
    approx(&r["neededPerYear"], 5.32 / years);
    // The 2022 figure (93.88以上, rc22-072) is a bound, so no pace is measured from it.
    assert_eq!(r["paceFrom"], Value::Null);
    assert_eq!(r["pacePerYear"], Value::Null);
    assert_eq!(r["status"], "NOT_YET_MET");
}

#[tokio::test]
async fn qualified_targets_follow_their_qualifier() {
    let app = TestApp::seeded();
    let rows = progress(&app, "compulsory_education_consolidation_rate", "500153").await;
    let r = by_key(&rows, "rc22-038");
    // 九年义务教育巩固率（%） >98.5 100
    assert_eq!(r["target"]["qualifier"], "MORE_THAN");
    assert_eq!(r["condition"], "more_than 98.5");
    approx(&r["actualValue"], 100.0);
    assert_eq!(r["met"], true);
    assert_eq!(r["status"], "MET");
    approx(&r["gap"], 1.5);
    // 高中阶段毛入学率（%） >98.50 98.96
    let rows = progress(&app, "upper_secondary_gross_enrolment_rate", "500153").await;
    let r = by_key(&rows, "rc22-046");
    assert_eq!(r["condition"], "more_than 98.5");
    assert_eq!(r["met"], true);
    approx(&r["gap"], 0.46);
}

#[tokio::test]
async fn a_due_target_missed_with_the_pace_so_far() {
    let app = TestApp::seeded();
    let rows = progress(&app, "student_physical_health_good_rate", "500153").await;
    // 近三年…体质健康优良率分别为45.92%、36.63%、35.31%，均低于50%: the benchmark for 2023-2025
    // against the 2025 rate.
    let r = by_key(&rows, "rc25-019");
    assert_eq!(r["targetPeriod"], "2023..2025");
    approx(&r["actualValue"], 35.31);
    assert_eq!(r["actualYear"], 2025);
    assert_eq!(r["due"], true);
    assert_eq!(r["met"], false);
    assert_eq!(r["status"], "MISSED");
    approx(&r["gap"], -14.69);
    assert_eq!(r["paceFrom"]["key"], "rc25-016");
    approx(&r["pacePerYear"], (35.31 - 45.92) / 2.0);
    assert_eq!(r["neededPerYear"], Value::Null);
}

#[tokio::test]
async fn a_due_target_met_and_a_level_target_undecided() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ district(code: "500111") { progress(indicator: "capacity_improvement_area") {
                target { key } actual { key } actualValue met status due } } }"#,
            json!({}),
        )
        .await;
    let rows = d["district"]["progress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // 规划建设校舍面积2048平方米 … completed 2048 square metres the same year.
    let r = by_key(&rows, "dz21-050");
    assert_eq!(r["actual"]["key"], "dz21-052");
    approx(&r["actualValue"], 2048.0);
    assert_eq!(
        (r["met"].clone(), r["due"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(r["status"], "MET");
    // 在园幼儿数（万人） 2.1 2.1: students_enrolled is neutral, so a plain target is a level.
    let rows = progress(&app, "students_enrolled", "500153").await;
    let r = by_key(&rows, "rc22-026");
    assert_eq!(r["condition"], Value::Null);
    assert_eq!(r["status"], "UNDECIDED");
    approx(&r["gap"], 0.0);
}

#[tokio::test]
async fn every_target_of_a_district_and_the_year_cut_off() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ district(code: "500153") { progress { target { key } status actualYear } } }"#,
            json!({}),
        )
        .await;
    let rows = d["district"]["progress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Rongchang's targets: 13 in the 2022 plan table, 6 in the 2025 rectification report.
    assert_eq!(rows.len(), 19, "{rows:?}");
    // rc25-023 (力争…优良率突破60%, primary and secondary) has no actual of that breakdown.
    assert_eq!(by_key(&rows, "rc25-023")["status"], "NO_ACTUAL");
    // With actuals up to 2022 only, the 学前三年毛入园率 target meets the 2022 bound 93.88以上:
    // a bound below 95 decides nothing.
    let d = app
        .data(
            PROGRESS,
            json!({"i": "preschool_gross_enrolment_rate", "d": ["500153"], "y": 2022}),
        )
        .await;
    let r = &d["progress"][0];
    assert_eq!(r["actual"]["key"], "rc22-072");
    assert_eq!(r["status"], "UNDECIDED");
}

#[tokio::test]
async fn progress_rejects_unknown_codes_and_years() {
    let app = TestApp::seeded();
    let (code, _) = app
        .error_code(PROGRESS, json!({"i": "no_such_indicator"}))
        .await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = app.error_code(PROGRESS, json!({"y": 1200})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

const AGGREGATE: &str = r#"query($i: String!, $y: Int!, $g: AggregateGroupBy!, $d: [String!]) {
  aggregate(indicator: $i, year: $y, groupBy: $g, districts: $d, latestOnOrBefore: true) {
    additive percentileMethod
    groups { key count mean median p10 p25 p75 p90 min max sum
      members { district { code } value year percentile observation { key } }
      missing { code } } } }"#;

#[tokio::test]
async fn aggregate_of_a_rate_with_an_even_count_has_no_sum() {
    let app = TestApp::seeded();
    let d = app
        .data(
            AGGREGATE,
            json!({"i": "public_kindergarten_enrolment_share", "y": 2022, "g": "PARENT"}),
        )
        .await;
    let a = &d["aggregate"];
    assert_eq!(a["additive"], false);
    assert!(a["percentileMethod"]
        .as_str()
        .unwrap_or("")
        .contains("type 7"));
    let g = &a["groups"][0];
    assert_eq!(a["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(g["key"], "500000");
    // 大渡口 2020年底 50.15%; 荣昌 2022 50.05%.
    assert_eq!(g["count"], 2);
    assert_eq!(g["missing"].as_array().map(Vec::len), Some(36));
    approx(&g["median"], 50.10);
    approx(&g["mean"], 50.10);
    approx(&g["p10"], 50.06);
    approx(&g["p25"], 50.075);
    approx(&g["p75"], 50.125);
    approx(&g["p90"], 50.14);
    approx(&g["min"], 50.05);
    approx(&g["max"], 50.15);
    assert_eq!(g["sum"], Value::Null, "a rate is never summed");
    let m = &g["members"];
    assert_eq!(m[0]["district"]["code"], "500104");
    approx(&m[0]["percentile"], 75.0);
    assert_eq!(m[1]["district"]["code"], "500153");
    approx(&m[1]["percentile"], 25.0);
}

#[tokio::test]
async fn aggregate_of_an_amount_sums_a_peer_group() {
    let app = TestApp::seeded();
    let vars = json!({"i": "general_budget_education_spending", "y": 2021, "g": "DISTRICTS",
        "d": ["500111", "500104", "500153"]});
    let d = app.data(AGGREGATE, vars).await;
    let a = &d["aggregate"];
    assert_eq!(a["additive"], true);
    let g = &a["groups"][0];
    assert_eq!(g["key"], "peer_group");
    // 大足 2021: 169333万元; 大渡口 2020: 6.61亿元; 荣昌 has none on or before 2021.
    assert_eq!(g["count"], 2);
    approx(&g["sum"], 1_693_330_000.0 + 661_000_000.0);
    approx(&g["median"], (1_693_330_000.0 + 661_000_000.0) / 2.0);
    assert_eq!(g["missing"][0]["code"], "500153");
    // By level: every division is a district or a county; the four seeded are districts.
    let d = app
        .data(
            AGGREGATE,
            json!({"i": "general_budget_education_spending", "y": 2021, "g": "LEVEL"}),
        )
        .await;
    let keys: Vec<&str> = d["aggregate"]["groups"]
        .as_array()
        .map(|gs| gs.iter().filter_map(|g| g["key"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        keys.contains(&"district") && keys.contains(&"county"),
        "{keys:?}"
    );
}

#[tokio::test]
async fn aggregate_rejects_a_peer_group_without_districts() {
    let app = TestApp::seeded();
    let vars = json!({"i": "general_budget_education_spending", "y": 2021, "g": "DISTRICTS"});
    let (code, _) = app.error_code(AGGREGATE, vars).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let vars =
        json!({"i": "general_budget_education_spending", "y": 2021, "g": "LEVEL", "d": ["500111"]});
    let (code, _) = app.error_code(AGGREGATE, vars).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn ranking_entries_carry_their_percentile() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: true) {
                entries { rank value percentile } } }"#,
            json!({}),
        )
        .await;
    let e = &d["ranking"]["entries"];
    approx(&e[0]["percentile"], 75.0);
    approx(&e[1]["percentile"], 25.0);
}
