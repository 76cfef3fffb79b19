//! Ranking pages (`first` / `after`) and the rank of given districts: the entries returned
//! change, the ranking does not (ranks, percentiles, statistics and coverage cover every
//! district). On the seeds plus a SYNTHETIC set of 120 districts, so that pages are many.

use crate::common::TestApp;
use serde_json::{json, Value};

const Q: &str = r#"query($first: Int, $after: String, $d: [String!]) {
  ranking(indicator: "teachers_in_exchange", year: 2022, latestOnOrBefore: true, first: $first, after: $after, districts: $d) {
    rankedCount coverage stats { count mean median min max }
    pageInfo { hasNextPage endCursor startCursor }
    entries { rank percentile value year cursor district { code } observation { key } }
    missing { code }
  } }"#;

fn app() -> TestApp {
    let app = TestApp::seeded();
    crate::common::add_synthetic_scale(&app.db, "teachers_in_exchange", 120, 3);
    app
}

async fn ranking(app: &TestApp, vars: Value) -> Value {
    app.data(Q, vars).await["ranking"].clone()
}

fn strip_cursor(entries: &Value) -> Vec<Value> {
    entries
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().expect("entry").remove("cursor");
            e
        })
        .collect()
}

#[tokio::test]
async fn pages_concatenate_to_the_whole_ranking() {
    let app = app();
    let all = ranking(&app, json!({})).await;
    let whole = all["entries"].as_array().expect("entries").clone();
    assert!(whole.len() > 120, "{} entries", whole.len());
    assert_eq!(all["pageInfo"]["hasNextPage"], false);
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = ranking(&app, json!({"first": 50, "after": after})).await;
        // What is ranked does not depend on the page.
        for field in ["rankedCount", "coverage", "stats", "missing"] {
            assert_eq!(page[field], all[field], "{field}");
        }
        let entries = page["entries"].as_array().expect("entries");
        assert!(entries.len() <= 50);
        pages.extend(entries.iter().cloned());
        assert_eq!(
            page["pageInfo"]["endCursor"],
            entries.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, whole, "pages, concatenated, are the whole ranking");
    // first: 0 is an empty page that says more follow.
    let none = ranking(&app, json!({"first": 0})).await;
    assert_eq!(none["entries"], json!([]));
    assert_eq!(none["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn given_districts_keep_their_global_rank() {
    let app = app();
    let all = ranking(&app, json!({})).await;
    let whole = strip_cursor(&all["entries"]);
    // One seed district, two SYNTHETIC ones far apart in the ranking, one without a value.
    let pick = |i: usize| {
        whole[i]["district"]["code"]
            .as_str()
            .expect("code")
            .to_string()
    };
    let wanted = [pick(whole.len() - 1), pick(0), pick(whole.len() / 2)];
    let missing = all["missing"][0]["code"]
        .as_str()
        .expect("a missing district")
        .to_string();
    let mut asked: Vec<String> = wanted.to_vec();
    asked.push(missing);
    let some = ranking(&app, json!({"d": asked})).await;
    for field in ["rankedCount", "coverage", "stats", "missing"] {
        assert_eq!(some[field], all[field], "{field}");
    }
    // Entries in rank order, exactly as in the whole ranking (rank, percentile, value).
    let expected: Vec<Value> = whole
        .iter()
        .filter(|e| wanted.iter().any(|w| e["district"]["code"] == w.as_str()))
        .cloned()
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(strip_cursor(&some["entries"]), expected);
    // With a page on top: the second of the three.
    let first = ranking(&app, json!({"d": asked, "first": 1})).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = ranking(
        &app,
        json!({"d": asked, "first": 1, "after": first["pageInfo"]["endCursor"]}),
    )
    .await;
    assert_eq!(strip_cursor(&second["entries"]), vec![expected[1].clone()]);
}

#[tokio::test]
async fn bad_pagination_arguments_are_refused() {
    let app = TestApp::seeded();
    for (vars, code) in [
        (json!({"first": -1}), "BAD_USER_INPUT"),
        (json!({"after": "obs:3"}), "BAD_USER_INPUT"),
        (json!({"after": "rank:x"}), "BAD_USER_INPUT"),
        (json!({"d": ["999999"]}), "NOT_FOUND"),
    ] {
        let (got, message) = app.error_code(Q, vars.clone()).await;
        assert_eq!(got, code, "{vars}: {message}");
    }
}
