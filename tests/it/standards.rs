//! Standards, derived shares, target markers in time series and declared additivity, over the
//! real seeded reports. Each value asserted is quoted from its report in the comment next to
//! it; where a case needs data the reports do not have, the test changes the stored data
//! itself and says so (SYNTHETIC).

use crate::common::{approx, TestApp};
use serde_json::{json, Value};

const STANDARDS: &str = r#"{ standards {
    code nameZh indicator { code } comparator value valueText reportedUnit scope
    district { code } effectiveFrom effectiveTo docTitle docNumber issuer quote note
    source { code } } }"#;

fn find<'a>(rows: &'a Value, field: &str, value: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rs| rs.iter().find(|r| r[field] == value))
        .unwrap_or_else(|| panic!("no {field} = {value} in {rows}"))
}

#[tokio::test]
async fn the_catalogue_cites_what_the_reports_print_and_nothing_more() {
    let app = TestApp::seeded();
    let d = app.data(STANDARDS, json!({})).await;
    let all = &d["standards"];
    // Seven cited by the reports, sixteen national (eight norms of 教督〔2017〕6号, for primary
    // and junior secondary).
    assert_eq!(all.as_array().map(Vec::len), Some(23), "{all}");

    // 荣昌区全面贯彻落实《重庆市促进学生体质强健十条措施》…确保中小学生每天综合体育活动时间不少于2小时
    let s = find(all, "code", "daily_physical_activity_2h");
    assert_eq!(s["indicator"]["code"], "daily_physical_activity_hours");
    assert_eq!(s["comparator"], "AT_LEAST");
    approx(&s["value"], 2.0);
    assert_eq!(s["scope"], "stage=primary_and_secondary");
    assert_eq!(s["docTitle"], "重庆市促进学生体质强健十条措施");
    assert_eq!(s["docNumber"], Value::Null, "the report prints no number");
    assert_eq!(s["issuer"], Value::Null, "the report prints no issuer");
    assert_eq!(s["source"]["code"], "rongchang-2025-rectification-report");

    // 按照师生比1：1000的标准配备专职心理健康教师: no document named.
    let s = find(all, "code", "mental_health_teacher_ratio_1_1000");
    assert_eq!(s["docTitle"], Value::Null);
    assert_eq!(s["valueText"], "1：1000");
    approx(&s["value"], 1000.0);
    assert_eq!(s["comparator"], "AT_MOST");

    // 《重庆市人民政府教育督导室关于反馈…督查意见的函》（渝府教督函〔2026〕2号）; 均低于50%.
    let s = find(all, "code", "physical_health_good_rate_benchmark_50");
    assert_eq!(s["docNumber"], "渝府教督函〔2026〕2号");
    assert_eq!(s["issuer"], "重庆市人民政府教育督导室");
    approx(&s["value"], 50.0);

    // Cited with its number (教督〔2017〕6号), but no report prints the threshold.
    let s = find(all, "code", "quality_balance_school_variation_coefficient");
    assert_eq!(s["docNumber"], "教督〔2017〕6号");
    assert_eq!(s["value"], Value::Null);
    assert_eq!(s["comparator"], Value::Null);
    assert!(s["note"].as_str().unwrap_or("").contains("threshold"));

    // 每百名学生拥有高于规定学历教师数：小学、初中分别达到4.2人以上、5.3人以上: a national
    // standard, cited by its document (no seed report), for every district.
    let s = find(
        all,
        "code",
        "qb2017_qualified_teachers_per_100_students_junior_secondary",
    );
    assert_eq!(s["source"], Value::Null);
    assert_eq!(s["docNumber"], "教督〔2017〕6号");
    assert_eq!(s["issuer"], "教育部");
    assert_eq!(s["district"], Value::Null);
    assert_eq!(s["scope"], "stage=junior_secondary");
    assert_eq!(s["comparator"], "AT_LEAST");
    approx(&s["value"], 5.3);
    assert!(s["quote"].as_str().unwrap_or("").contains("5.3人以上"));
    // 所有指标校际差异系数，小学均小于或等于0.50，初中均小于或等于0.45.
    let s = find(all, "code", "qb2017_school_variation_coefficient_primary");
    assert_eq!(s["comparator"], "AT_MOST");
    approx(&s["value"], 0.5);
    assert_eq!(s["effectiveFrom"], 2017);

    // 不足500学生的初中学校按500名人拨付: Dazu's own rule, limited to Dazu.
    let s = find(all, "code", "small_junior_school_funding_floor_500");
    assert_eq!(s["district"]["code"], "500111");
    assert_eq!(s["scope"], "stage=junior_secondary");
    approx(&s["value"], 500.0);

    // Every standard cites a quote and either a document or a note saying there is none.
    for s in all.as_array().into_iter().flatten() {
        assert!(!s["quote"].as_str().unwrap_or("").is_empty(), "{s}");
        assert!(s["docTitle"].is_string() || s["note"].is_string(), "{s}");
    }

    // Filtered by indicator.
    let d = app
        .data(
            r#"{ standards(indicator: "operating_funds_minimum_funded_enrolment") { code } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["standards"].as_array().map(Vec::len), Some(3));
    let (code, _) = app
        .error_code(r#"{ standards(indicator: "nope") { code } }"#, json!({}))
        .await;
    assert_eq!(code, "NOT_FOUND");
}

const CHECKS: &str = r#"query($i: [String!], $d: [String!], $b: [BreakdownInput!]) {
  observations(filter: { indicators: $i, districts: $d, breakdown: $b }, first: 100) {
    edges { node { key kind value qualifier meetsStandard gapToStandard
      named: meetsStandard(standard: "physical_health_good_rate_benchmark_50")
      standardChecks { standard { code } met gap gapUnit } } } } }"#;

async fn checked(app: &TestApp, indicator: &str, district: &str, breakdown: Value) -> Vec<Value> {
    let d = app
        .data(
            CHECKS,
            json!({"i": [indicator], "d": [district], "b": breakdown}),
        )
        .await;
    d["observations"]["edges"]
        .as_array()
        .map(|es| es.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

fn key<'a>(rows: &'a [Value], k: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["key"] == k)
        .unwrap_or_else(|| panic!("no {k} in {rows:?}"))
}

#[tokio::test]
async fn a_standard_missed_and_one_met_on_real_figures() {
    let app = TestApp::seeded();
    let rows = checked(
        &app,
        "student_physical_health_good_rate",
        "500153",
        json!([]),
    )
    .await;
    // 近三年学生体质健康标准达标优良率分别为45.92%、36.63%、35.31%，均低于50%.
    let r = key(&rows, "rc25-016");
    assert_eq!(r["meetsStandard"], false);
    assert_eq!(r["named"], false);
    approx(&r["gapToStandard"], 45.92 - 50.0);
    assert_eq!(r["standardChecks"][0]["gapUnit"], "percentage_point");
    assert_eq!(key(&rows, "rc25-018")["meetsStandard"], false);
    approx(&key(&rows, "rc25-018")["gapToStandard"], 35.31 - 50.0);

    // The rectification target 力争中小学生体质健康优良率突破60% (a bound: more than 60)
    // meets the 50% line whatever the exact figure.
    let rows = checked(
        &app,
        "student_physical_health_good_rate",
        "500153",
        json!([{"dimension": "stage", "member": "primary_and_secondary"}]),
    )
    .await;
    let r = key(&rows, "rc25-023");
    assert_eq!(r["kind"], "TARGET");
    assert_eq!(r["qualifier"], "MORE_THAN");
    assert_eq!(r["meetsStandard"], true);
    approx(&r["gapToStandard"], 10.0);

    // 确保中小学生每天综合体育活动时间不少于2小时 against the two-hour standard: met.
    let rows = checked(
        &app,
        "daily_physical_activity_hours",
        "500153",
        json!([{"dimension": "stage", "member": "primary_and_secondary"}]),
    )
    .await;
    let r = key(&rows, "rc25-021");
    assert_eq!(r["meetsStandard"], true);
    approx(&r["gapToStandard"], 0.0);
    // The named standard does not cover this indicator: null, not false.
    assert_eq!(r["named"], Value::Null);
}

#[tokio::test]
async fn scope_district_and_missing_thresholds_limit_the_checks() {
    let app = TestApp::seeded();
    // 不足500学生的初中学校按500名人拨付: only the junior-secondary floor covers it.
    let rows = checked(
        &app,
        "operating_funds_minimum_funded_enrolment",
        "500111",
        json!([{"dimension": "stage", "member": "junior_secondary"}]),
    )
    .await;
    let r = key(&rows, "dz21-092");
    let codes: Vec<&str> = r["standardChecks"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["standard"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(codes, ["small_junior_school_funding_floor_500"]);
    assert_eq!(r["meetsStandard"], true);

    // 截止目前，我区小学义务教育优质均衡校际综合差异系数0.340，已达到相关评估标准: the
    // report's standard covers it but prints no threshold, so it decides nothing; the national
    // primary threshold (小学均小于或等于0.50) does, and the junior one does not apply.
    let rows = checked(
        &app,
        "school_variation_coefficient",
        "500153",
        json!([{"dimension": "stage", "member": "primary"}]),
    )
    .await;
    let r = key(&rows, "rc25-015");
    let checks = r["standardChecks"].as_array().cloned().unwrap_or_default();
    assert_eq!(checks.len(), 2, "{checks:?}");
    let check = |code: &str| {
        checks
            .iter()
            .find(|c| c["standard"]["code"] == code)
            .unwrap_or_else(|| panic!("no check of {code} in {checks:?}"))
            .clone()
    };
    let cited = check("quality_balance_school_variation_coefficient");
    assert_eq!(cited["met"], Value::Null);
    assert_eq!(cited["gap"], Value::Null);
    let national = check("qb2017_school_variation_coefficient_primary");
    assert_eq!(national["met"], true);
    approx(&national["gap"], 0.34 - 0.5);

    // A value with no standard at all.
    let rows = checked(
        &app,
        "general_budget_education_spending",
        "500111",
        json!([]),
    )
    .await;
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r["standardChecks"], json!([]), "{r}");
        assert_eq!(r["meetsStandard"], Value::Null, "{r}");
    }
}

const SHORTFALLS: &str = r#"query($s: String!, $y: Int!, $l: Boolean = false) {
  standardShortfalls(standard: $s, year: $y, latestOnOrBefore: $l) {
    district { code } value year gap gapUnit observation { key quote } } }"#;

#[tokio::test]
async fn shortfalls_list_the_districts_below_a_standard() {
    let app = TestApp::seeded();
    let s = "physical_health_good_rate_benchmark_50";
    let d = app.data(SHORTFALLS, json!({"s": s, "y": 2025})).await;
    let rows = d["standardShortfalls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["district"]["code"], "500153");
    assert_eq!(rows[0]["observation"]["key"], "rc25-018");
    approx(&rows[0]["value"], 35.31);
    approx(&rows[0]["gap"], 35.31 - 50.0);
    assert_eq!(rows[0]["gapUnit"], "percentage_point");
    // Nothing in 2022 exactly; the latest on or before 2024 is the 2024 figure (36.63%).
    let d = app.data(SHORTFALLS, json!({"s": s, "y": 2022})).await;
    assert_eq!(d["standardShortfalls"], json!([]));
    let d = app
        .data(SHORTFALLS, json!({"s": s, "y": 2024, "l": true}))
        .await;
    assert_eq!(d["standardShortfalls"][0]["observation"]["key"], "rc25-017");
    // The Dazu funding floors are met (their figures are the floors themselves).
    let d = app
        .data(
            SHORTFALLS,
            json!({"s": "small_village_primary_funding_floor_100", "y": 2022}),
        )
        .await;
    assert_eq!(d["standardShortfalls"], json!([]));

    // The national primary threshold (小学均小于或等于0.50) against Rongchang's 2025 finding
    // 优质均衡校际综合差异系数0.644: short by 0.144.
    let d = app
        .data(
            SHORTFALLS,
            json!({"s": "qb2017_school_variation_coefficient_primary", "y": 2025}),
        )
        .await;
    assert_eq!(d["standardShortfalls"][0]["district"]["code"], "500153");
    assert_eq!(d["standardShortfalls"][0]["observation"]["key"], "rc25-014");
    approx(&d["standardShortfalls"][0]["value"], 0.644);

    let (code, _) = app
        .error_code(SHORTFALLS, json!({"s": "no_such_standard", "y": 2025}))
        .await;
    assert_eq!(code, "NOT_FOUND");
    let (code, message) = app
        .error_code(
            SHORTFALLS,
            json!({"s": "quality_balance_school_variation_coefficient", "y": 2025}),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
    let (code, _) = app.error_code(SHORTFALLS, json!({"s": s, "y": 3000})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn ranking_entries_say_whether_they_meet_the_standard() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "student_physical_health_good_rate", year: 2023) {
                entries { district { code } value meetsStandard gapToStandard
                  standardChecks { standard { code } met } } } }"#,
            json!({}),
        )
        .await;
    let e = &d["ranking"]["entries"][0];
    assert_eq!(e["district"]["code"], "500153");
    assert_eq!(e["meetsStandard"], false);
    approx(&e["gapToStandard"], 45.92 - 50.0);
    assert_eq!(
        e["standardChecks"][0]["standard"]["code"],
        "physical_health_good_rate_benchmark_50"
    );
}

const SHARE_RANKING: &str = r#"query($i: String!, $y: Int!, $b: [BreakdownInput!], $d: Boolean = false) {
  ranking(indicator: $i, year: $y, breakdown: $b, latestOnOrBefore: true, includeDerived: $d) {
    coverage
    entries { district { code } value year derived observation { key }
      inputs { key value }
      derivation { value difference tolerance agrees numerator { key } denominator { key } } } } }"#;

fn entry<'a>(d: &'a Value, district: &str) -> &'a Value {
    d["ranking"]["entries"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["district"]["code"] == district))
        .unwrap_or_else(|| panic!("no entry for {district} in {d}"))
}

#[tokio::test]
async fn a_derived_share_matches_the_reported_one() {
    let app = TestApp::seeded();
    // 大渡口 2020年底: 在园幼儿14662人, 公办园在园幼儿7353人, 公办园在园幼儿占比50.15%.
    let d = app
        .data(
            SHARE_RANKING,
            json!({"i": "public_kindergarten_enrolment_share", "y": 2022}),
        )
        .await;
    let e = entry(&d, "500104");
    assert_eq!(e["derived"], false);
    assert_eq!(e["inputs"], json!([]));
    let dv = &e["derivation"];
    approx(&dv["value"], 7353.0 / 14662.0 * 100.0);
    approx(&dv["tolerance"], 0.005);
    assert_eq!(dv["agrees"], true);
    assert_eq!(dv["numerator"]["key"], "ddk20-067");
    assert_eq!(dv["denominator"]["key"], "ddk20-066");
    // 荣昌 2022 prints 50.05% without the public-kindergarten count: nothing to derive.
    assert_eq!(entry(&d, "500153")["derivation"], Value::Null);

    // 长寿 2023: temporary teachers earn 34679元 against 118659元, printed as 29% (rounded:
    // 29.23 is within half a percentage point).
    let d = app
        .data(
            SHARE_RANKING,
            json!({"i": "temporary_teacher_income_ratio", "y": 2023, "b": [
                {"dimension": "stage", "member": "preschool"},
                {"dimension": "ownership", "member": "public"}]}),
        )
        .await;
    let dv = &entry(&d, "500115")["derivation"];
    approx(&dv["value"], 34679.0 / 118659.0 * 100.0);
    approx(&dv["tolerance"], 0.5);
    assert_eq!(dv["agrees"], true);
}

#[tokio::test]
async fn a_share_its_inputs_do_not_give_is_flagged() {
    // No seeded share disagrees with its inputs (every pair the reports give agrees within
    // the printed rounding), so the disagreement is made here. SYNTHETIC: the stored share of
    // Dadukou is changed from 50.15 to 51.2.
    let app = TestApp::seeded();
    {
        use diesel::prelude::*;
        let mut conn = app.db.get().expect("connection");
        diesel::sql_query(
            "UPDATE observations SET value = 51.2, value_text = '51.2' WHERE key = 'ddk20-068'",
        )
        .execute(&mut conn)
        .expect("update");
    }
    let d = app
        .data(
            SHARE_RANKING,
            json!({"i": "public_kindergarten_enrolment_share", "y": 2022}),
        )
        .await;
    let dv = &entry(&d, "500104")["derivation"];
    assert_eq!(dv["agrees"], false);
    approx(&dv["difference"], 7353.0 / 14662.0 * 100.0 - 51.2);
    approx(&dv["tolerance"], 0.05);
}

#[tokio::test]
async fn derived_entries_are_marked_and_carry_their_inputs() {
    // No seeded district has the inputs of a share without the share itself. SYNTHETIC: the
    // test removes Dadukou's printed share (ddk20-068) so that only its inputs remain.
    let app = TestApp::seeded();
    {
        use diesel::prelude::*;
        let mut conn = app.db.get().expect("connection");
        for sql in [
            "DELETE FROM finding_observations WHERE observation_id IN (SELECT id FROM observations WHERE key = 'ddk20-068')",
            "DELETE FROM observation_revisions WHERE observation_id IN (SELECT id FROM observations WHERE key = 'ddk20-068')",
            "DELETE FROM observations WHERE key = 'ddk20-068'",
        ] {
            diesel::sql_query(sql).execute(&mut conn).expect(sql);
        }
    }
    let vars = json!({"i": "public_kindergarten_enrolment_share", "y": 2022});
    // Without includeDerived, Dadukou has no value: reported values only.
    let d = app.data(SHARE_RANKING, vars.clone()).await;
    assert_eq!(d["ranking"]["coverage"], "1 of 38");
    let mut with = vars;
    with["d"] = json!(true);
    let d = app.data(SHARE_RANKING, with).await;
    assert_eq!(d["ranking"]["coverage"], "2 of 38");
    let e = entry(&d, "500104");
    assert_eq!(e["derived"], true);
    assert_eq!(e["observation"], Value::Null);
    approx(&e["value"], 7353.0 / 14662.0 * 100.0);
    assert_eq!(e["year"], 2020);
    assert_eq!(e["inputs"][0]["key"], "ddk20-067");
    assert_eq!(e["inputs"][1]["key"], "ddk20-066");
    assert_eq!(e["derivation"], Value::Null);
    let r = entry(&d, "500153");
    assert_eq!(r["derived"], false);
    assert_eq!(r["observation"]["key"], "rc22-070");
}

const SERIES: &str = r#"query($i: String!, $b: [BreakdownInput!]) {
  timeSeries(district: "500153", indicator: $i, breakdown: $b) {
    points { year value }
    targets { year period value qualifier observation { key quote } } } }"#;

#[tokio::test]
async fn time_series_carry_their_targets() {
    let app = TestApp::seeded();
    let d = app
        .data(SERIES, json!({"i": "student_physical_health_good_rate"}))
        .await;
    let ts = &d["timeSeries"];
    let years: Vec<i64> = ts["points"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["year"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(years, [2023, 2024, 2025]);
    // 均低于50%: the benchmark recorded as a target over 2023..2025.
    assert_eq!(ts["targets"].as_array().map(Vec::len), Some(1), "{ts}");
    let t = &ts["targets"][0];
    assert_eq!(t["observation"]["key"], "rc25-019");
    assert_eq!(t["period"], "2023..2025");
    assert_eq!(t["year"], 2025);
    approx(&t["value"], 50.0);
    assert_eq!(t["qualifier"], "EXACT");
    // 力争中小学生体质健康优良率突破60%: a qualified target in its own breakdown.
    let d = app
        .data(
            SERIES,
            json!({"i": "student_physical_health_good_rate",
                "b": [{"dimension": "stage", "member": "primary_and_secondary"}]}),
        )
        .await;
    let t = &d["timeSeries"]["targets"][0];
    assert_eq!(t["observation"]["key"], "rc25-023");
    assert_eq!(t["qualifier"], "MORE_THAN");
    approx(&t["value"], 60.0);
    assert_eq!(t["year"], 2026);
    // 学前三年毛入园率 95 (2025年主要目标) next to the actuals.
    let d = app
        .data(SERIES, json!({"i": "preschool_gross_enrolment_rate"}))
        .await;
    let t = &d["timeSeries"]["targets"][0];
    assert_eq!(t["observation"]["key"], "rc22-028");
    approx(&t["value"], 95.0);
}

#[tokio::test]
async fn a_per_student_amount_is_not_summed() {
    let app = TestApp::seeded();
    // 大渡口 2020 小学生均一般公共预算教育经费 10124.32元; 荣昌 2022 小学 1.9万元: yuan, but an
    // amount per student does not add up across districts.
    let d = app
        .data(
            r#"{ aggregate(indicator: "per_student_general_budget_spending", year: 2022,
                latestOnOrBefore: true, breakdown: [{dimension: "stage", member: "primary"}]) {
                additive groups { count sum } } }"#,
            json!({}),
        )
        .await;
    let a = &d["aggregate"];
    assert_eq!(a["additive"], false);
    assert_eq!(a["groups"][0]["count"], 2);
    assert_eq!(a["groups"][0]["sum"], Value::Null);
}

/// A copy of the real seed folder with `file` replaced by `text`.
fn seeds_with(file: &str, text: &str) -> tempfile::TempDir {
    let dir = crate::common::seeds_without("none");
    std::fs::write(dir.path().join(file), text).expect("write");
    dir
}

fn problems(dir: &tempfile::TempDir) -> Vec<edustats::ingest::Problem> {
    match edustats::ingest::seed::load_dir(dir.path()) {
        Err(edustats::ingest::IngestError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn bad_standards_are_refused_with_file_line_and_field() {
    let header = "code,name_zh,name_en,indicator,comparator,value,unit,scope,district,effective_from,effective_to,doc_title,doc_number,issuer,quote,note\n";
    // SYNTHETIC rows, each with one fault; the quote of line 2 is real.
    let rows = [
        // a threshold whose digits are not in the quote
        "a_standard,名,Name,daily_physical_activity_hours,at_least,3,小时,stage=primary_and_secondary,,,,重庆市促进学生体质强健十条措施,,,确保中小学生每天综合体育活动时间不少于2小时,",
        // a quote the report does not contain
        "b_standard,名,Name,daily_physical_activity_hours,at_least,2,小时,,,,,标题,,,每天运动2小时,",
        // a comparator without a value, no document and no note
        "c_standard,名,Name,daily_physical_activity_hours,at_least,,,,,,,,,,确保中小学生每天综合体育活动时间不少于2小时,",
        // a unit that does not convert to the indicator's
        "d_standard,名,Name,daily_physical_activity_hours,at_least,2,%,,,,,标题,,,确保中小学生每天综合体育活动时间不少于2小时,",
    ];
    let file = "standards/rongchang-2025-rectification-report.csv";
    let dir = seeds_with(file, &format!("{header}{}\n", rows.join("\n")));
    let p = problems(&dir);
    let at = |line: u64, field: &str| {
        p.iter()
            .find(|x| x.file == file && x.line == line && x.field == field)
            .unwrap_or_else(|| panic!("no problem at line {line} field {field}: {p:?}"))
    };
    assert!(at(2, "value")
        .message
        .contains("does not occur in the quote"));
    assert!(at(3, "quote").message.contains("quote not found"));
    assert!(at(4, "comparator").message.contains("together"));
    assert!(at(4, "note").message.contains("note"));
    assert!(at(5, "unit").message.contains("converts to percent"));
}

#[test]
fn a_national_standard_must_cite_its_document_and_quote_it() {
    let header = "code,name_zh,name_en,indicator,comparator,value,unit,scope,district,effective_from,effective_to,doc_title,doc_number,issuer,quote,note\n";
    let title = "教育部关于印发《县域义务教育优质均衡发展督导评估办法》的通知";
    // SYNTHETIC rows against the real reference text, each with one fault.
    let rows = [
        // no document number or issuer: a national standard is cited by its document alone
        format!("a_standard,名,Name,per_student_sports_ground_area,at_least,7.5,平方米,stage=primary,,2017,,{title},,,5.生均体育运动场馆面积：小学、初中分别达到7.5平方米以上、10.2平方米以上,"),
        // a number that is not the reference's
        format!("b_standard,名,Name,per_student_sports_ground_area,at_least,7.5,平方米,stage=primary,,2017,,{title},教督〔2018〕1号,教育部,5.生均体育运动场馆面积：小学、初中分别达到7.5平方米以上、10.2平方米以上,"),
        // a quote the national text does not contain
        format!("c_standard,名,Name,per_student_sports_ground_area,at_least,8,平方米,stage=primary,,2017,,{title},教督〔2017〕6号,教育部,生均体育运动场馆面积：小学达到8平方米以上,"),
    ];
    let file = "standards/moe-2017-county-quality-balance-measures.csv";
    let dir = seeds_with(file, &format!("{header}{}\n", rows.join("\n")));
    let p = problems(&dir);
    let at = |line: u64, field: &str| {
        p.iter()
            .find(|x| x.file == file && x.line == line && x.field == field)
            .unwrap_or_else(|| panic!("no problem at line {line} field {field}: {p:?}"))
    };
    assert!(at(2, "doc_number").message.contains("required"));
    assert!(at(2, "issuer").message.contains("required"));
    assert!(at(3, "doc_number").message.contains("does not occur"));
    assert!(at(4, "quote").message.contains("quote not found"));

    // A standards file named after neither a source nor a reference cites nothing.
    let dir = seeds_with(
        "standards/no-such-document.csv",
        &format!("{header}{}\n", rows[1]),
    );
    assert!(problems(&dir)
        .iter()
        .any(|x| x.field == "source" && x.message.contains("no source or reference")));
}

#[test]
fn a_seed_indicator_needs_its_chinese_definition() {
    let file = "indicators/core.csv";
    let text = std::fs::read_to_string(crate::common::seeds_dir().join(file)).expect("read");
    // SYNTHETIC: the Chinese definition of `schools` blanked.
    let blanked = text.replacen(
        "学校数（未细分时含各类学校）；按学校类型细分时为该类学校的所数（全国教育事业统计口径）",
        "",
        1,
    );
    assert_ne!(blanked, text, "the definition to blank is in {file}");
    let p = problems(&seeds_with(file, &blanked));
    assert!(
        p.iter().any(|x| x.file == file
            && x.field == "definition_zh"
            && x.message.contains("indicator schools")),
        "{p:?}"
    );
}

#[test]
fn additive_is_refused_for_a_rate() {
    let file = "indicators/core.csv";
    // Through the CSV reader, not by line suffix: the column is found by its header, so a
    // column added after it (as `aliases` was) does not break the test.
    let mut reader =
        csv::Reader::from_path(crate::common::seeds_dir().join(file)).expect("read indicators");
    let headers = reader.headers().expect("header").clone();
    let column = headers
        .iter()
        .position(|h| h == "additive")
        .expect("additive column");
    let mut line = 0u64;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).expect("write header");
    for record in reader.records() {
        let record = record.expect("record");
        let mut fields: Vec<String> = record.iter().map(String::from).collect();
        if fields[0] == "public_kindergarten_enrolment_share" {
            assert_eq!(fields[column], "false", "{fields:?}");
            fields[column] = "true".into();
            line = record.position().expect("position").line();
        }
        out.write_record(&fields).expect("write record");
    }
    assert!(
        line > 0,
        "row public_kindergarten_enrolment_share not found"
    );
    let text = String::from_utf8(out.into_inner().expect("flush")).expect("utf-8");
    let dir = seeds_with(file, &text);
    let p = problems(&dir);
    assert!(
        p.iter()
            .any(|x| x.file == file && x.line == line && x.field == "additive"),
        "{p:?}"
    );
}

/// The translations of curators' notes (`translations/<source>.csv`) are refused row by row
/// like the other per-source files: a key of no observation of that source (including one of
/// another source's file), an observation without a note, an empty translation, a note
/// translated twice. Each problem names its file, line and field.
#[test]
fn bad_note_translations_are_refused_with_file_line_and_field() {
    let file = "translations/changshou-2023-rectification-plan.csv";
    // Line 2: no such observation; 3: Dadukou's key in Changshou's file; 4: an observation
    // without a note; 5: empty; 6 then 7: the same note twice.
    let text = "key,note_zh\n\
                cs23-999,译文\n\
                ddk20-003,译文\n\
                cs23-001,译文\n\
                cs23-004,  \n\
                cs23-005,第一次\n\
                cs23-005,第二次\n";
    let dir = seeds_with(file, text);
    let p = problems(&dir);
    let at = |line: u64, field: &str, says: &str| {
        let found = p
            .iter()
            .find(|x| x.file == file && x.line == line && x.field == field)
            .unwrap_or_else(|| panic!("no problem at line {line} field {field}: {p:?}"));
        assert!(found.message.contains(says), "line {line}: {found:?}");
    };
    at(2, "key", "no observation \"cs23-999\"");
    at(
        3,
        "key",
        "observations/changshou-2023-rectification-plan.csv",
    );
    at(4, "key", "has no note");
    at(5, "note_zh", "empty");
    at(7, "key", "translated twice");
    assert!(
        !p.iter().any(|x| x.file == file && x.line == 6),
        "the first translation of cs23-005 is fine: {p:?}"
    );
}
