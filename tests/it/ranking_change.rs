//! `ranking(compareWith:)`: each entry's change from the district's value of an earlier year,
//! in the same answer as the ranking. It must agree with the `change` root field, which
//! computes the same change on its own, on the seeds plus a SYNTHETIC set of 80 districts.

use std::collections::HashMap;

use crate::common::TestApp;
use serde_json::{json, Value};

const RANKING: &str = r#"query($y: Int!, $c: Int, $first: Int) {
  ranking(indicator: "teachers_in_exchange", year: $y, compareWith: $c, first: $first) {
    entries { value district { code } change { fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap district { code } } }
  } }"#;

const CHANGE: &str = r#"query($from: Int!, $to: Int!) {
  change(indicator: "teachers_in_exchange", from: $from, to: $to) {
    district { code } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap
  } }"#;

fn app() -> TestApp {
    let app = TestApp::seeded();
    crate::common::add_synthetic_scale(&app.db, "teachers_in_exchange", 80, 3);
    app
}

#[tokio::test]
async fn entries_carry_the_same_change_as_the_change_field() {
    let app = app();
    let ranking =
        app.data(RANKING, json!({"y": 2003, "c": 2002})).await["ranking"]["entries"].clone();
    let changes = app.data(CHANGE, json!({"from": 2002, "to": 2003})).await["change"].clone();
    let by_code: HashMap<String, Value> = changes
        .as_array()
        .expect("change rows")
        .iter()
        .map(|r| {
            let code = r["district"]["code"].as_str().expect("code").to_string();
            let mut r = r.clone();
            r.as_object_mut().expect("row").remove("district");
            (code, r)
        })
        .collect();
    let entries = ranking.as_array().expect("entries");
    assert!(entries.len() > 60, "{} entries", entries.len());
    let mut with_base = 0;
    for e in entries {
        let code = e["district"]["code"].as_str().expect("code");
        let mut change = e["change"].clone();
        assert_eq!(change["district"]["code"], code, "{e}");
        assert_eq!(change["toValue"], e["value"], "{e}");
        change.as_object_mut().expect("change").remove("district");
        let expected = by_code
            .get(code)
            .unwrap_or_else(|| panic!("no change row for {code}"));
        assert_eq!(&change, expected, "{code}");
        if !change["fromValue"].is_null() {
            with_base += 1;
        }
    }
    assert!(
        with_base > 50,
        "only {with_base} entries had a value in 2002"
    );
}

#[tokio::test]
async fn a_page_compares_its_own_entries_and_no_compare_means_no_change() {
    let app = app();
    let page = app
        .data(RANKING, json!({"y": 2003, "c": 2001, "first": 5}))
        .await["ranking"]["entries"]
        .clone();
    let page = page.as_array().expect("entries");
    assert_eq!(page.len(), 5);
    assert!(page.iter().all(|e| e["change"].is_object()), "{page:?}");
    let plain =
        app.data(RANKING, json!({"y": 2003, "first": 5})).await["ranking"]["entries"].clone();
    let plain = plain.as_array().expect("entries");
    assert_eq!(plain.len(), 5);
    assert!(plain.iter().all(|e| e["change"].is_null()), "{plain:?}");
}

#[tokio::test]
async fn compare_with_must_be_an_earlier_valid_year() {
    let app = app();
    for c in [2003, 2004, 1800] {
        let (code, message) = app.error_code(RANKING, json!({"y": 2003, "c": c})).await;
        assert_eq!(code, "BAD_USER_INPUT", "{c}: {message}");
        assert!(message.contains("compareWith"), "{message}");
    }
}
