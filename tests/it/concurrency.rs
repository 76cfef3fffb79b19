//! Concurrent writes: pairs of publishes, imports and corrections fired at the same moment, many
//! times, on the test backend (SQLite by default, PostgreSQL under `TEST_DATABASE_URL`). Every
//! answer is a success or a coded refusal a client can act on (`CONFLICT`, or the draft already
//! published), never `INTERNAL`, and the counts afterwards are exact. Imports use the SYNTHETIC
//! fixture (tests/fixtures/synthetic-import.json), renamed per round.

use std::collections::BTreeMap;

use crate::common::{import_input, TestApp};
use edustats::auth::Role;
use edustats::ingest::rows::Bundle;
use serde_json::{json, Value};

/// How many times each pair is fired.
const ROUNDS: usize = 12;

const IMPORT: &str = "mutation($input: ImportInput!) { importReport(input: $input) { sourceCreated created corrected unchanged } }";

const CORRECT: &str = "mutation($key: String!, $value: String!, $note: String!) { correctObservation(key: $key, value: $value, note: $note, reason: \"SYNTHETIC concurrency test\") { revision } }";

/// The fixture under a source code and keys of its own (`round`), so each round is new data.
fn bundle(round: usize) -> Bundle {
    let mut b = crate::common::import_bundle();
    let source = b.source.as_mut().expect("source");
    source.code = format!("synthetic-race-{round}");
    for o in &mut b.observations {
        o.key = format!("{}-r{round}", o.key);
        o.source = None;
    }
    b
}

/// The error code of an answer, or `OK`.
fn outcome(v: &Value) -> String {
    match v.get("errors") {
        None => "OK".into(),
        Some(e) => e[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<no code>")
            .to_string(),
    }
}

/// Tallies outcomes and fails on any that a client could not act on.
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, v: &Value, allowed: &[&str]) {
        let code = outcome(v);
        assert!(
            code == "OK" || allowed.contains(&code.as_str()),
            "unexpected outcome {code}: {v}"
        );
        *self.0.entry(code).or_default() += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_imports_of_one_report_at_once_store_it_once() {
    let app = TestApp::synthetic();
    let key = app.key("racer", Role::Editor);
    let before = app.observation_count().await;
    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        let vars = json!({ "input": import_input(&bundle(round)) });
        let (a, b) = tokio::join!(
            app.graphql_as(&key, IMPORT, vars.clone()),
            app.graphql_as(&key, IMPORT, vars.clone())
        );
        tally.add(&a, &["CONFLICT"]);
        tally.add(&b, &["CONFLICT"]);
        let created = [&a, &b]
            .iter()
            .filter(|v| v["data"]["importReport"]["sourceCreated"].is_string())
            .count();
        assert_eq!(created, 1, "exactly one import creates the source: {a} {b}");
    }
    assert_eq!(
        app.observation_count().await,
        before + 4 * ROUNDS as i64,
        "outcomes {:?}",
        tally.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn corrections_of_two_rows_and_an_import_at_once_all_land() {
    let app = TestApp::synthetic();
    let key = app.key("racer", Role::Editor);
    let v = app
        .graphql_as(&key, IMPORT, json!({ "input": import_input(&bundle(0)) }))
        .await;
    assert_eq!(outcome(&v), "OK", "{v}");
    let before = app.observation_count().await;
    let mut tally = Tally::default();
    for round in 1..=ROUNDS {
        // Two different rows of one source, and a new report, all at once. The note changes
        // every round, so every correction is a change.
        let note = format!("SYNTHETIC concurrency round {round}");
        let (a, b, c) = tokio::join!(
            app.graphql_as(
                &key,
                CORRECT,
                json!({"key": "syni-001-r0", "value": "40", "note": note}),
            ),
            app.graphql_as(
                &key,
                CORRECT,
                json!({"key": "syni-003-r0", "value": "12.5", "note": note}),
            ),
            app.graphql_as(
                &key,
                IMPORT,
                json!({ "input": import_input(&bundle(round)) })
            ),
        );
        for v in [&a, &b, &c] {
            // Different rows never conflict: every write must land.
            tally.add(v, &[]);
        }
    }
    assert_eq!(
        app.observation_count().await,
        before + 4 * ROUNDS as i64,
        "outcomes {:?}",
        tally.0
    );
    let d = app
        .data(
            r#"{ source(code: "synthetic-race-0") { observations { key revision } } }"#,
            json!({}),
        )
        .await;
    let revisions: BTreeMap<String, i64> = d["source"]["observations"]
        .as_array()
        .expect("observations")
        .iter()
        .map(|o| {
            (
                o["key"].as_str().unwrap_or_default().to_string(),
                o["revision"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(revisions["syni-001-r0"], 1 + ROUNDS as i64, "{revisions:?}");
    assert_eq!(revisions["syni-003-r0"], 1 + ROUNDS as i64, "{revisions:?}");
}

const EXTRACT: &str =
    "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id items { position type } } }";
const ACCEPT_ALL: &str =
    "mutation($d: Int!) { decidePending(draft: $d, decision: ACCEPTED) { position } }";
const REJECT_REST: &str =
    "mutation($d: Int!) { decidePending(draft: $d, decision: REJECTED, unmatched: true) { position } }";
const PUBLISH: &str = "mutation($d: Int!) { publishDraft(draft: $d) { sourceCreated created } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_publishes_of_one_draft_at_once_publish_it_once() {
    let app = TestApp::seeded();
    let key = app.key("racer", Role::Editor);
    let text = "重庆市荣昌区人民政府关于2024年度履行教育职责情况的自查自评报告（SYNTHETIC 测试）\n\
                2024年，全区共有中小学校105所，教育经费总投入12.5亿元。\n";
    let mut tally = Tally::default();
    let mut published = 0;
    let before = app.observation_count().await;
    for round in 0..ROUNDS {
        // A text of its own each round: the same text again would be a repeat of the source
        // the round before published, which `publishDraft` refuses.
        let d = app
            .graphql_as(
                &key,
                EXTRACT,
                json!({"t": format!("{text}批次{}。\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars().nth(round).unwrap_or('Z')), "c": format!("synthetic-publish-race-{round}")}),
            )
            .await;
        assert_eq!(outcome(&d), "OK", "{d}");
        let id = d["data"]["extractReport"]["id"].as_i64().expect("draft id");
        for q in [ACCEPT_ALL, REJECT_REST] {
            let v = app.graphql_as(&key, q, json!({ "d": id })).await;
            assert_eq!(outcome(&v), "OK", "{v}");
        }
        let (a, b) = tokio::join!(
            app.graphql_as(&key, PUBLISH, json!({ "d": id })),
            app.graphql_as(&key, PUBLISH, json!({ "d": id }))
        );
        // The loser finds the draft published (BAD_USER_INPUT: closed) or lost the race for
        // the source's key (CONFLICT).
        tally.add(&a, &["BAD_USER_INPUT", "CONFLICT"]);
        tally.add(&b, &["BAD_USER_INPUT", "CONFLICT"]);
        let winners: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|v| outcome(v) == "OK")
            .collect();
        assert_eq!(winners.len(), 1, "one publication: {a} {b}");
        published += winners[0]["data"]["publishDraft"]["created"]
            .as_array()
            .map_or(0, Vec::len) as i64;
    }
    assert!(published > 0, "the drafts published figures");
    assert_eq!(
        app.observation_count().await,
        before + published,
        "outcomes {:?}",
        tally.0
    );
}
