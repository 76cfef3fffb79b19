//! Cross-district and cross-year questions over the real seeded reports, with the values the
//! reports print asserted (each value is quoted in the comment next to it).

use crate::common::{approx, TestApp};
use serde_json::json;

#[tokio::test]
async fn smart_education_ranking_2025_covers_one_of_38() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "smart_education_platform_coverage", year: 2025) {
                order coverage rankedCount districtCount
                entries { rank value year district { code nameZh } observation { quote source { code } } }
                missing { code } stats { count mean median min max } } }"#,
            json!({}),
        )
        .await;
    let r = &d["ranking"];
    assert_eq!(r["coverage"], "1 of 38");
    assert_eq!(r["order"], "DESC");
    assert_eq!(r["missing"].as_array().map(Vec::len), Some(37));
    let e = &r["entries"][0];
    assert_eq!(e["rank"], 1);
    approx(&e["value"], 44.90); // 荣昌: 智慧教育平台应用覆盖率为44.90%
    assert_eq!(e["district"]["code"], "500153");
    assert_eq!(
        e["observation"]["source"]["code"],
        "rongchang-2025-rectification-report"
    );
    assert!(e["observation"]["quote"]
        .as_str()
        .unwrap()
        .contains("44.90%"));
    approx(&r["stats"]["median"], 44.90);
}

#[tokio::test]
async fn public_kindergarten_share_ranked_across_districts_with_fallback_year() {
    let app = TestApp::seeded();
    let q = r#"query($latest: Boolean!) { ranking(indicator: "public_kindergarten_enrolment_share", year: 2022, latestOnOrBefore: $latest) {
        coverage entries { rank value year district { code } } } }"#;
    let d = app.data(q, json!({"latest": true})).await;
    let e = &d["ranking"]["entries"];
    assert_eq!(d["ranking"]["coverage"], "2 of 38");
    // 大渡口 2020年底: 公办园在园幼儿占比 50.15%; 荣昌 2022: 50.05%.
    assert_eq!(e[0]["district"]["code"], "500104");
    approx(&e[0]["value"], 50.15);
    assert_eq!(e[0]["year"], 2020);
    assert_eq!(e[1]["district"]["code"], "500153");
    approx(&e[1]["value"], 50.05);
    assert_eq!(e[1]["year"], 2022);
    // Without the fallback only the 2022 value qualifies.
    let d = app.data(q, json!({"latest": false})).await;
    assert_eq!(d["ranking"]["coverage"], "1 of 38");
}

#[tokio::test]
async fn general_budget_education_spending_ranked_in_yuan() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "general_budget_education_spending", year: 2021, latestOnOrBefore: true) {
                entries { rank value year district { code } observation { valueText reportedUnit } } } }"#,
            json!({}),
        )
        .await;
    let e = &d["ranking"]["entries"];
    // 大足 2021: 169333万元; 大渡口 2020: 6.61亿元. Both compared in yuan.
    assert_eq!(e[0]["district"]["code"], "500111");
    approx(&e[0]["value"], 1_693_330_000.0);
    assert_eq!(e[0]["observation"]["reportedUnit"], "万元");
    assert_eq!(e[1]["observation"]["reportedUnit"], "亿元");
    assert_eq!(e[1]["district"]["code"], "500104");
    approx(&e[1]["value"], 661_000_000.0);
}

#[tokio::test]
async fn teachers_in_exchange_across_two_districts() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true) { entries { rank value district { code } } } }"#,
            json!({}),
        )
        .await;
    let e = &d["ranking"]["entries"];
    approx(&e[0]["value"], 301.0); // 大渡口 2020: 交流轮岗 301人
    approx(&e[1]["value"], 66.0); // 荣昌 2022
}

#[tokio::test]
async fn physical_health_change_is_in_percentage_points() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ change(indicator: "student_physical_health_good_rate", from: 2023, to: 2024, districts: ["500153"]) {
                district { code } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }"#,
            json!({}),
        )
        .await;
    let row = &d["change"][0];
    approx(&row["fromValue"], 45.92); // 近三年…分别为45.92%、36.63%、35.31%
    approx(&row["toValue"], 36.63);
    approx(&row["absoluteChange"], 36.63 - 45.92);
    assert_eq!(row["absoluteUnit"], "percentage_point");
    approx(&row["relativeChange"], (36.63 - 45.92) / 45.92 * 100.0);
    assert!(row["relativeChangeGap"].is_null());
}

#[tokio::test]
async fn teacher_promotions_year_on_year() {
    let app = TestApp::seeded();
    let d = app
        .data(r#"{ change(indicator: "teacher_post_promotions", from: 2021, to: 2022) { district { code } fromValue toValue absoluteChange absoluteUnit relativeChange } }"#, json!({}))
        .await;
    let row = &d["change"][0];
    assert_eq!(row["district"]["code"], "500111");
    approx(&row["fromValue"], 691.0);
    approx(&row["toValue"], 616.0);
    approx(&row["absoluteChange"], -75.0);
    assert_eq!(row["absoluteUnit"], "person");
    approx(&row["relativeChange"], -75.0 / 691.0 * 100.0);
}

#[tokio::test]
async fn change_for_a_district_without_data_says_why() {
    let app = TestApp::seeded();
    let d = app
        .data(r#"{ change(indicator: "teacher_post_promotions", from: 2021, to: 2022, districts: ["500101"]) { fromValue relativeChange relativeChangeGap } }"#, json!({}))
        .await;
    assert_eq!(d["change"][0]["relativeChangeGap"], "MISSING_BOTH");
    assert!(d["change"][0]["relativeChange"].is_null());
}

#[tokio::test]
async fn physical_health_time_series() {
    let app = TestApp::seeded();
    let d = app
        .data(r#"{ timeSeries(district: "500153", indicator: "student_physical_health_good_rate") { points { year value } } }"#, json!({}))
        .await;
    let p = &d["timeSeries"]["points"];
    assert_eq!(p.as_array().map(Vec::len), Some(3));
    assert_eq!(
        (p[0]["year"].as_i64(), p[2]["year"].as_i64()),
        (Some(2023), Some(2025))
    );
    approx(&p[0]["value"], 45.92);
    approx(&p[1]["value"], 36.63);
    approx(&p[2]["value"], 35.31);
}

#[tokio::test]
async fn preschool_matrix_for_two_districts() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ compare(districts: ["500104", "500153"], indicators: ["public_kindergarten_enrolment_share", "inclusive_kindergarten_coverage"], year: 2022, latestOnOrBefore: true) {
                rows { district { code } cells { indicator value year } } } }"#,
            json!({}),
        )
        .await;
    let rows = &d["compare"]["rows"];
    assert_eq!(rows[0]["district"]["code"], "500104");
    approx(&rows[0]["cells"][0]["value"], 50.15);
    approx(&rows[0]["cells"][1]["value"], 93.0); // 普惠率 93%
    assert_eq!(rows[0]["cells"][1]["year"], 2020);
    approx(&rows[1]["cells"][0]["value"], 50.05);
    approx(&rows[1]["cells"][1]["value"], 90.50); // 普惠性幼儿园覆盖率达90.50%
                                                  // Without the fallback Dadukou's 2020 values do not count for 2022.
    let d = app
        .data(r#"{ compare(districts: ["500104"], indicators: ["inclusive_kindergarten_coverage"], year: 2022) { rows { cells { value year } } } }"#, json!({}))
        .await;
    assert!(d["compare"]["rows"][0]["cells"][0]["value"].is_null());
}

#[tokio::test]
async fn per_student_spending_by_stage_and_the_unit_finding() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ ranking(indicator: "per_student_general_budget_spending", year: 2020, breakdown: [{dimension: "stage", member: "primary"}]) { entries { value district { code } } } }"#,
            json!({}),
        )
        .await;
    approx(&d["ranking"]["entries"][0]["value"], 10124.32); // 大渡口 小学 10124.32元
                                                            // 中等职业学校 printed as 18151.74万元: kept as printed and flagged, never corrected.
    let d = app
        .data(r#"{ qualityFindings(rule: "per_student_plausibility") { severity observations { key valueText reportedUnit value } } }"#, json!({}))
        .await;
    let f = &d["qualityFindings"][0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["observations"][0]["valueText"], "18151.74");
    assert_eq!(f["observations"][0]["reportedUnit"], "万元");
    approx(&f["observations"][0]["value"], 181_517_400.0);
}

#[tokio::test]
async fn rongchang_enrolment_that_does_not_add_up_is_flagged_on_each_observation() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ observations(filter: {indicators: ["students_enrolled"], districts: ["500153"], years: [2022]}) {
                totalCount edges { node { key value qualityFlags { rule origin message } } } } }"#,
            json!({}),
        )
        .await;
    let edges = d["observations"]["edges"].as_array().unwrap();
    let total = edges
        .iter()
        .find(|e| e["node"]["value"] == json!(106291.0))
        .expect("106291 in the seeds");
    let rules: Vec<&str> = total["node"]["qualityFlags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"sum_of_parts"), "{rules:?}");
}

#[tokio::test]
async fn source_document_text_and_quote_offsets_agree() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ source(code: "rongchang-2022-self-evaluation") { documentNumber date kind reviewYear text district { code }
                observations { key quote quoteStart quoteEnd } } }"#,
            json!({}),
        )
        .await;
    let s = &d["source"];
    assert_eq!(s["documentNumber"], "荣昌府办函〔2023〕40号");
    assert_eq!(s["date"], "2023-10-30");
    assert_eq!(s["district"]["code"], "500153");
    let text: Vec<char> = s["text"].as_str().unwrap().chars().collect();
    let observations = s["observations"].as_array().unwrap();
    assert!(observations.len() > 50);
    for o in observations {
        let (a, b) = (
            o["quoteStart"].as_u64().unwrap() as usize,
            o["quoteEnd"].as_u64().unwrap() as usize,
        );
        let span: String = text[a..b].iter().filter(|c| !c.is_whitespace()).collect();
        let quote: String = o["quote"]
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert_eq!(span, quote, "{}", o["key"]);
    }
}

#[tokio::test]
async fn indicator_coverage_lists_districts_and_years() {
    let app = TestApp::seeded();
    let d = app
        .data(r#"{ indicator(code: "public_kindergarten_enrolment_share") { nameZh nameEn unit direction coverage { district { code } years } } }"#, json!({}))
        .await;
    let c = &d["indicator"]["coverage"];
    assert_eq!(d["indicator"]["direction"], "HIGHER_IS_BETTER");
    assert_eq!(c[0]["district"]["code"], "500104");
    assert_eq!(c[0]["years"], json!([2020]));
    assert_eq!(c[1]["district"]["code"], "500153");
    assert_eq!(c[1]["years"], json!([2022, 2023, 2025]));
}

#[tokio::test]
async fn all_38_divisions_and_the_municipality_are_listed() {
    let app = TestApp::seeded();
    let d = app
        .data(
            "{ districts { code nameZh nameEn level parent { code } } }",
            json!({}),
        )
        .await;
    let all = d["districts"].as_array().unwrap();
    assert_eq!(all.len(), 39);
    assert_eq!(all[0]["code"], "500000");
    assert!(all[1..].iter().all(|x| x["parent"]["code"] == "500000"));
    assert!(all
        .iter()
        .any(|x| x["nameZh"] == "荣昌区" && x["nameEn"] == "Rongchang District"));
}

#[tokio::test]
async fn indicator_search_matches_chinese_and_english() {
    let app = TestApp::seeded();
    let d = app.data(r#"{ a: indicators(search: "智慧教育") { code } b: indicators(search: "SMART-EDUCATION") { code } c: indicators(category: "funding") { category } }"#, json!({})).await;
    assert!(d["a"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["code"] == "smart_education_platform_coverage"));
    assert!(d["b"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["code"] == "smart_education_platform_coverage"));
    assert!(d["c"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["category"] == "funding"));
}

#[tokio::test]
async fn latest_value_per_district_on_indicator_and_district() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ indicator(code: "public_kindergarten_enrolment_share") { latestValues { value year district { code } observation { key } } }
                 districts { code latestValue(indicator: "public_kindergarten_enrolment_share") { value year } }
                 early: indicator(code: "student_physical_health_good_rate") { latestValues(onOrBefore: 2024) { value year } } }"#,
            json!({}),
        )
        .await;
    let latest = &d["indicator"]["latestValues"];
    assert_eq!(latest.as_array().map(Vec::len), Some(2));
    assert_eq!(latest[0]["district"]["code"], "500104");
    approx(&latest[0]["value"], 50.15);
    assert_eq!(latest[0]["year"], 2020);
    assert_eq!(latest[1]["district"]["code"], "500153");
    approx(&latest[1]["value"], 50.05); // the 2023 half-year figure is a span, the 2025 figure a target
    assert_eq!(latest[1]["year"], 2022);
    let with_value: Vec<&serde_json::Value> = d["districts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x["latestValue"].is_null())
        .collect();
    assert_eq!(with_value.len(), 2);
    approx(&d["early"]["latestValues"][0]["value"], 36.63); // 2024, not 2025's 35.31
}

#[tokio::test]
async fn latest_value_rejects_unknown_codes() {
    let app = TestApp::seeded();
    let (code, _) = app
        .error_code(
            r#"{ districts { latestValue(indicator: "nope") { value } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = app
        .error_code(r#"{ indicator(code: "students_enrolled") { latestValues(breakdown: [{dimension: "stage", member: "kindergarten_x"}]) { value } } }"#, json!({}))
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn every_indicator_has_a_chinese_definition_and_national_ones_a_school_type() {
    let app = TestApp::seeded();
    let d = app
        .data(
            r#"{ indicators { code definition definitionZh dimensions } }"#,
            json!({}),
        )
        .await;
    let all = d["indicators"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 258);
    for i in &all {
        let zh = i["definitionZh"].as_str().unwrap_or("");
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{i}"
        );
        assert!(!i["definition"].as_str().unwrap_or("").is_empty(), "{i}");
    }
    let find = |code: &str| {
        all.iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("no {code}"))
            .clone()
    };
    // Reused codes of the seed reports gain the school type beside stage and ownership.
    let students = find("students_enrolled");
    assert_eq!(
        students["dimensions"],
        json!(["ownership", "school_type", "stage"])
    );
    assert!(students["definitionZh"]
        .as_str()
        .unwrap_or("")
        .contains("全国教育事业统计口径"));
    let entrants = find("entrants");
    assert_eq!(
        entrants["dimensions"],
        json!(["ownership", "school_type", "stage"])
    );
}

/// `Indicator.rankable` counts what `ranking` ranks: for every indicator of the seeded
/// catalogue, every slice (kind × breakdown) and every year it lists, the ranking of that
/// slice and year ranks exactly `rankedCount` districts, and `rankedOnOrBefore` with
/// `latestOnOrBefore: true`. The dashboard's picker lists and counts indicators from it.
#[tokio::test]
async fn rankable_slices_count_what_the_ranking_ranks() {
    let app = TestApp::seeded();
    let d = app
        .data(
            "{ indicators { code rankable { kind breakdown { dimension member nameZh } districtCount \
             years { year rankedCount rankedOnOrBefore } } } }",
            json!({}),
        )
        .await;
    let q = r#"query($i: String!, $y: Int!, $k: ObservationKind!, $b: [BreakdownInput!], $l: Boolean!) {
        ranking(indicator: $i, year: $y, kind: $k, breakdown: $b, latestOnOrBefore: $l) { rankedCount } }"#;
    let (mut slices, mut checked, mut with_breakdown, mut other_kind) = (0, 0, 0, 0);
    for ind in d["indicators"].as_array().unwrap() {
        for s in ind["rankable"].as_array().unwrap() {
            slices += 1;
            let members = s["breakdown"].as_array().unwrap();
            if !members.is_empty() {
                with_breakdown += 1;
                assert!(members
                    .iter()
                    .all(|m| m["nameZh"].as_str().is_some_and(|n| !n.is_empty())));
            }
            if s["kind"] != "ACTUAL" {
                other_kind += 1;
            }
            let b: Vec<_> = members
                .iter()
                .map(|m| json!({"dimension": m["dimension"], "member": m["member"]}))
                .collect();
            let years = s["years"].as_array().unwrap();
            assert!(!years.is_empty(), "{} {s}", ind["code"]);
            assert_eq!(
                years.last().unwrap()["rankedOnOrBefore"],
                s["districtCount"],
                "{} {s}",
                ind["code"]
            );
            for y in years {
                for (latest, field) in [(false, "rankedCount"), (true, "rankedOnOrBefore")] {
                    let vars = json!({"i": ind["code"], "y": y["year"], "k": s["kind"], "b": b, "l": latest});
                    let r = app.data(q, vars).await;
                    assert_eq!(
                        r["ranking"]["rankedCount"], y[field],
                        "{} {s} year {} latest {latest}",
                        ind["code"], y["year"]
                    );
                    assert!(y[field].as_i64().unwrap() >= 1);
                    checked += 1;
                }
            }
        }
    }
    println!("{slices} rankable slices ({with_breakdown} with a breakdown, {other_kind} of another kind than actual), {checked} rankings checked");
    // The seeds hold breakdowns (学段…) and targets: both must be listed, or the check above
    // checked only the easy case.
    assert!(with_breakdown > 0 && other_kind > 0 && slices > 100);
}

/// The Chinese view has Chinese notes and findings: every curator's note of the seeds has its
/// translation (`noteZh`), every finding (curated or computed by a rule) its `messageZh`, and
/// a note corrected later shows no stale translation.
#[tokio::test]
async fn notes_and_findings_are_in_chinese_too() {
    let app = TestApp::seeded();
    let d = app
        .data(
            "{ observations(first: 1) { totalCount } qualityFindings { code origin message messageZh } sources { code text } }",
            json!({}),
        )
        .await;
    let total = d["observations"]["totalCount"].as_i64().unwrap();
    let mut notes = 0;
    let mut edges: Vec<serde_json::Value> = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let page = app
            .data(
                "query($a: String) { observations(first: 500, after: $a) { pageInfo { hasNextPage endCursor } edges { node { key valueText note noteZh source { code } } } } }",
                json!({"a": after}),
            )
            .await;
        let c = &page["observations"];
        edges.extend(c["edges"].as_array().unwrap().iter().cloned());
        if c["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(edges.len() as i64, total);
    let has_latin_word = |s: &str| {
        s.split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() >= 3)
    };
    for e in &edges {
        let n = &e["node"];
        match n["note"].as_str() {
            Some(note) if !note.trim().is_empty() => {
                notes += 1;
                let zh = n["noteZh"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{} has no Chinese note: {note}", n["key"]));
                // Codes and keys may stay (rc25-009, 2050202), and a word the report itself
                // prints (quoted in the note); other English words may not.
                let text = d["sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["code"] == n["source"]["code"])
                    .and_then(|s| s["text"].as_str())
                    .unwrap_or("");
                let stripped: String = zh
                    .split(|c: char| c.is_whitespace() || "，。；：、（）()".contains(c))
                    .filter(|w| !w.contains('_') && !w.contains('-'))
                    .flat_map(|w| w.split(|c: char| !c.is_ascii_alphabetic()))
                    .filter(|w| !text.contains(&format!(" {w} ")))
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(!has_latin_word(&stripped), "{}: {zh}", n["key"]);
            }
            _ => assert!(n["noteZh"].is_null(), "{n}"),
        }
    }
    let findings = d["qualityFindings"].as_array().unwrap();
    for f in findings {
        assert!(
            f["messageZh"].as_str().is_some_and(|m| !m.is_empty()),
            "{f}"
        );
    }
    assert!(findings.iter().any(|f| f["origin"] == "rule"));
    println!("{notes} notes and {} findings in Chinese", findings.len());
    assert!(notes > 100);

    // A corrected note: its old translation is not shown.
    let key = app.key("editor-1", edustats::auth::Role::Editor);
    let noted = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["noteZh"].is_string())
        .unwrap();
    let v = app
        .graphql_as(
            &key,
            r#"mutation($k: String!, $v: String!) { correctObservation(key: $k, value: $v, note: "A corrected note.", reason: "test") { note noteZh } }"#,
            json!({"k": noted["key"], "v": noted["valueText"]}),
        )
        .await;
    assert_eq!(
        v["data"]["correctObservation"]["note"], "A corrected note.",
        "{v}"
    );
    assert!(v["data"]["correctObservation"]["noteZh"].is_null(), "{v}");
}
