//! Reviewing an extracted report over GraphQL: a draft is extracted from a real report's text
//! (the 2025 Rongchang rectification report, under a new source code), its items accepted,
//! edited, moved, rejected and a suggested indicator confirmed, then the draft is published
//! through the import path (a figure merged into an indicator confirmed in the draft: in the
//! refusals test). Drafts survive a restart, a failing publication
//! writes nothing, drafts need an editor key, and every decision is in the audit log.

use crate::common::TestApp;
use edustats::auth::Role;
use serde_json::{json, Value};

/// The new source code the draft creates (the seed report is already in the warehouse).
const CODE: &str = "rongchang-2025-review";

fn report_text() -> String {
    std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2025-rectification-report.txt"),
    )
    .expect("seed report text")
}

const ITEM_FIELDS: &str =
    "position type decision value unit quote quoteStart quoteEnd confidence why edited decidedBy
    row { key indicator period breakdown kind value unit quote note }
    suggested { nameZh unit category }
    newIndicator { code nameZh nameEn unit category direction definition }";

fn draft_fields() -> String {
    format!("id code district status pending createdBy publishedAt text items {{ {ITEM_FIELDS} }}")
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Calls as `key`, asserting no error; returns `data`.
async fn ok(app: &TestApp, key: &str, query: &str, vars: Value) -> Value {
    let v = app.graphql_as(key, query, vars).await;
    assert!(v.get("errors").is_none(), "unexpected errors: {v}");
    v["data"].clone()
}

async fn extract(app: &TestApp, key: &str) -> Value {
    let q = format!(
        "mutation($text: String!, $code: String) {{ extractReport(text: $text, code: $code) {{ {} }} }}",
        draft_fields()
    );
    let d = ok(app, key, &q, json!({"text": report_text(), "code": CODE})).await;
    d["extractReport"].clone()
}

const DECIDE: &str = "mutation($draft: Int!, $item: Int!, $decision: DraftDecision!, $edit: DraftEdit) {
    decideProposal(draft: $draft, item: $item, decision: $decision, edit: $edit) { position decision edited row { key indicator value note kind } } }";

async fn decide(
    app: &TestApp,
    key: &str,
    draft: i64,
    item: i64,
    decision: &str,
    edit: Value,
) -> Value {
    app.graphql_as(
        key,
        DECIDE,
        json!({"draft": draft, "item": item, "decision": decision, "edit": edit}),
    )
    .await
}

/// `allowRepeat`: the drafts here hold the seed report's text under a new code, a repeat of the
/// seed source that `publishDraft` refuses otherwise (the refusal: `tests/it/repeats.rs`).
const PUBLISH: &str = "mutation($draft: Int!, $dry: Boolean!) { publishDraft(draft: $draft, dryRun: $dry, allowRepeat: true) { dryRun sourceCreated created corrected unchanged } }";

/// The item of `kind` (`PROPOSAL` / `UNMATCHED`) whose printed figure is `value`.
fn item<'a>(draft: &'a Value, kind: &str, value: &str) -> &'a Value {
    draft["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["type"] == kind && i["value"] == value)
        .unwrap_or_else(|| panic!("no {kind} item with figure {value:?} in the draft"))
}

fn pos(item: &Value) -> i64 {
    item["position"].as_i64().expect("position")
}

/// Counts that a publication changes.
async fn counts(app: &TestApp) -> (i64, usize, usize) {
    let d = app
        .data("{ indicators { code } sources { code } }", json!({}))
        .await;
    (
        app.observation_count().await,
        d["indicators"].as_array().map_or(0, Vec::len),
        d["sources"].as_array().map_or(0, Vec::len),
    )
}

/// The audit entries of `action`, oldest first.
fn audit(app: &TestApp, action: &str) -> Vec<String> {
    let mut conn = app.db.get().expect("connection");
    let mut found: Vec<String> = edustats::auth::audit_entries(&mut conn, 1000)
        .expect("audit log")
        .into_iter()
        .filter(|e| e.action.as_str() == action)
        .map(|e| format!("{}: {}", e.actor, e.detail))
        .collect();
    found.reverse();
    found
}

#[tokio::test]
async fn a_report_is_reviewed_and_published() {
    let app = TestApp::seeded();
    let key = app.key("reviewer", Role::Editor);
    let before = counts(&app).await;
    let draft = extract(&app, &key).await;
    let id = draft["id"].as_i64().expect("id");
    assert_eq!(draft["code"], CODE);
    assert_eq!(draft["district"], "500153", "read from the title");
    assert_eq!(draft["status"], "OPEN");
    assert_eq!(draft["createdBy"], "reviewer");
    let items = draft["items"].as_array().expect("items");
    assert_eq!(draft["pending"], json!(items.len()));
    let text: Vec<char> = draft["text"].as_str().expect("text").chars().collect();
    for i in items {
        assert_eq!(i["decision"], "PENDING");
        let (s, e) = (
            i["quoteStart"].as_u64().unwrap() as usize,
            i["quoteEnd"].as_u64().unwrap() as usize,
        );
        assert!(s < e && e <= text.len(), "{i}");
        assert!(!i["why"].as_str().unwrap_or("").is_empty(), "{i}");
        if i["type"] == "PROPOSAL" {
            assert!(
                i["confidence"].as_f64().is_some() && i["row"]["indicator"].is_string(),
                "{i}"
            );
        } else {
            assert!(
                i["row"].is_null() && i["suggested"]["nameZh"].is_string(),
                "{i}"
            );
        }
    }
    // Nothing of the draft is visible before publication.
    assert_eq!(counts(&app).await, before);

    // Reject one proposal, edit one, move one (其中2824万元为教育费附加收入安排支出: proposed,
    // as the curators filed it, under the surcharge's expenditure; the reviewer counts it with
    // the construction funds of the school it is a part of, as the curators' note allows).
    let rejected = pos(item(&draft, "PROPOSAL", "三"));
    let edited = pos(item(&draft, "PROPOSAL", "564"));
    let moved = draft["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| {
            i["type"] == "PROPOSAL"
                && i["value"] == "2824"
                && i["quote"].as_str().is_some_and(|q| q.starts_with("其中"))
        })
        .expect("the part 其中2824万元");
    assert_eq!(moved["row"]["indicator"], "education_surcharge_expenditure");
    let moved = pos(moved);
    let v = decide(&app, &key, id, rejected, "REJECTED", Value::Null).await;
    assert_eq!(v["data"]["decideProposal"]["decision"], "REJECTED", "{v}");
    let v = decide(
        &app,
        &key,
        id,
        edited,
        "ACCEPTED",
        json!({"note": "checked against the printed report"}),
    )
    .await;
    let r = &v["data"]["decideProposal"];
    assert_eq!(
        (r["edited"].clone(), r["row"]["note"].clone()),
        (json!(true), json!("checked against the printed report")),
        "{v}"
    );
    let v = decide(
        &app,
        &key,
        id,
        moved,
        "ACCEPTED",
        json!({"indicator": "school_construction_funding"}),
    )
    .await;
    assert_eq!(
        v["data"]["decideProposal"]["row"]["indicator"], "school_construction_funding",
        "{v}"
    );
    // Moving to an indicator that does not exist is refused.
    let v = decide(
        &app,
        &key,
        id,
        moved,
        "ACCEPTED",
        json!({"indicator": "no_such_indicator"}),
    )
    .await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");

    // Figures without an indicator: one becomes a new indicator, the rest are rejected (merging
    // one into an existing indicator: `drafts_need_an_editor_key_and_refuse_what_does_not_apply`).
    // Accepting one without an indicator is refused.
    let growth = pos(item(&draft, "UNMATCHED", "-94.72"));
    let v = decide(&app, &key, id, growth, "ACCEPTED", Value::Null).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let confirm = "mutation($d: Int!, $i: Int!) { confirmIndicator(draft: $d, item: $i, code: \"major_education_project_investment_plan_growth\",
        nameEn: \"Planned growth of investment in major education projects\", direction: HIGHER_IS_BETTER,
        definition: \"Planned fixed-asset investment in major education projects against the previous year, in percent.\")
        { decision row { key indicator kind value unit } newIndicator { code nameZh unit category direction } } }";
    let d = ok(&app, &key, confirm, json!({"d": id, "i": growth})).await;
    let c = &d["confirmIndicator"];
    assert_eq!(c["decision"], "ACCEPTED");
    assert_eq!(
        c["row"]["indicator"],
        "major_education_project_investment_plan_growth"
    );
    // Unit and category default to the suggestion.
    assert_eq!(
        (
            c["newIndicator"]["unit"].clone(),
            c["newIndicator"]["category"].clone()
        ),
        (json!("percent"), json!("funding")),
        "{c}"
    );
    let mut decisions = 4; // rejected, edited, moved, confirmed (refused calls do not count)
    for i in draft["items"].as_array().expect("items") {
        let p = pos(i);
        if [rejected, edited, moved, growth].contains(&p) {
            continue;
        }
        let decision = if i["type"] == "PROPOSAL" {
            "ACCEPTED"
        } else {
            "REJECTED"
        };
        let v = decide(&app, &key, id, p, decision, Value::Null).await;
        assert!(v.get("errors").is_none(), "{v}");
        decisions += 1;
    }
    let accepted = items.iter().filter(|i| i["type"] == "PROPOSAL").count() - 1 + 1;

    // A dry run reports and writes nothing.
    let d = ok(&app, &key, PUBLISH, json!({"draft": id, "dry": true})).await;
    assert_eq!(d["publishDraft"]["dryRun"], true);
    assert_eq!(
        d["publishDraft"]["created"].as_array().map(Vec::len),
        Some(accepted)
    );
    assert_eq!(counts(&app).await, before);

    let d = ok(&app, &key, PUBLISH, json!({"draft": id, "dry": false})).await;
    let r = &d["publishDraft"];
    assert_eq!(r["sourceCreated"], CODE, "{r}");
    assert_eq!(r["created"].as_array().map(Vec::len), Some(accepted), "{r}");
    assert_eq!(
        counts(&app).await,
        (before.0 + accepted as i64, before.1 + 1, before.2 + 1)
    );

    // The figures are in the warehouse: the moved one under its new indicator, the edited one
    // with its note, the confirmed indicator with its figure in a ranking.
    let d = app
        .data(
            r#"query($s: [String!]) { observations(filter: {sources: $s}, first: 500) { totalCount edges { node { key value note indicator { code } } } } }"#,
            json!({"s": [CODE]}),
        )
        .await;
    assert_eq!(d["observations"]["totalCount"], json!(accepted));
    let nodes: Vec<&Value> = d["observations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert!(
        nodes
            .iter()
            .any(|n| n["indicator"]["code"] == "school_construction_funding"
                && n["value"] == json!(28_240_000.0)),
        "{d}"
    );
    assert!(
        nodes.iter().any(
            |n| n["note"] == "checked against the printed report" && n["value"] == json!(564.0)
        ),
        "{d}"
    );
    assert!(
        !nodes
            .iter()
            .any(|n| n["indicator"]["code"] == "rectification_measures"),
        "the rejected figure is not published"
    );
    let d = app
        .data(
            r#"{ indicator(code: "major_education_project_investment_plan_growth") { nameZh nameEn unit category direction }
                 ranking(indicator: "major_education_project_investment_plan_growth", year: 2025, kind: TARGET) { entries { value district { code } observation { source { code } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["indicator"]["unit"], "percent");
    let e = &d["ranking"]["entries"][0];
    crate::common::approx(&e["value"], -94.72);
    assert_eq!(
        (
            e["district"]["code"].clone(),
            e["observation"]["source"]["code"].clone()
        ),
        (json!("500153"), json!(CODE))
    );

    // The draft is published and can no longer change.
    let q = format!(
        "query($id: Int!) {{ draft(id: $id) {{ {} }} }}",
        draft_fields()
    );
    let d = ok(&app, &key, &q, json!({"id": id})).await;
    assert_eq!(
        (d["draft"]["status"].clone(), d["draft"]["pending"].clone()),
        (json!("PUBLISHED"), json!(0))
    );
    assert!(d["draft"]["publishedAt"].is_string());
    let v = decide(&app, &key, id, edited, "REJECTED", Value::Null).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app
        .graphql_as(&key, PUBLISH, json!({"draft": id, "dry": false}))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let d = ok(
        &app,
        &key,
        "{ drafts(status: PUBLISHED) { id } open: drafts(status: OPEN) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        (d["drafts"].clone(), d["open"].clone()),
        (json!([{"id": id}]), json!([]))
    );

    // Every step is in the audit log, by whom.
    assert_eq!(audit(&app, "draft_create").len(), 1);
    let logged = audit(&app, "draft_decision");
    assert_eq!(logged.len(), decisions, "{logged:#?}");
    assert!(
        logged.iter().all(|e| e.starts_with("reviewer: ")),
        "{logged:#?}"
    );
    assert!(
        logged.iter().any(|e| e.contains(
            "indicator \"education_surcharge_expenditure\" → \"school_construction_funding\""
        )),
        "{logged:#?}"
    );
    assert!(
        logged
            .iter()
            .any(|e| e.contains("new indicator major_education_project_investment_plan_growth")),
        "{logged:#?}"
    );
    assert!(logged.iter().any(|e| e.contains("rejected")), "{logged:#?}");
    let published = audit(&app, "draft_publish");
    assert_eq!(published.len(), 1, "{published:?}");
    assert!(
        published[0].contains("major_education_project_investment_plan_growth"),
        "{published:?}"
    );
    assert_eq!(
        audit(&app, "import").len(),
        1,
        "the publication went through the import path"
    );
}

#[tokio::test]
async fn a_draft_survives_a_restart() {
    let mut app = TestApp::seeded();
    let key = app.key("reviewer", Role::Editor);
    let draft = extract(&app, &key).await;
    let id = draft["id"].as_i64().expect("id");
    let first = pos(&draft["items"][0]);
    let v = decide(&app, &key, id, first, "ACCEPTED", json!({"note": "seen"})).await;
    assert!(v.get("errors").is_none(), "{v}");

    app.restart();
    let q = format!(
        "query($id: Int!) {{ draft(id: $id) {{ {} }} }}",
        draft_fields()
    );
    let d = ok(&app, &key, &q, json!({"id": id})).await;
    let after = &d["draft"];
    assert_eq!(after["status"], "OPEN");
    assert_eq!(
        after["items"].as_array().map(Vec::len),
        draft["items"].as_array().map(Vec::len)
    );
    assert_eq!(after["items"][0]["decision"], "ACCEPTED");
    assert_eq!(after["items"][0]["row"]["note"], "seen");
    assert_eq!(after["items"][0]["decidedBy"], "reviewer");
    assert_eq!(
        after["items"][1], draft["items"][1],
        "an undecided item reads back as extracted"
    );
    let d = ok(
        &app,
        &key,
        "{ drafts(status: OPEN) { id pending } }",
        json!({}),
    )
    .await;
    assert_eq!(
        d["drafts"],
        json!([{"id": id, "pending": draft["pending"].as_i64().unwrap() - 1}])
    );
}

#[tokio::test]
async fn a_failing_publication_writes_nothing() {
    let app = TestApp::seeded();
    let key = app.key("reviewer", Role::Editor);
    let draft = extract(&app, &key).await;
    let id = draft["id"].as_i64().expect("id");
    let before = counts(&app).await;
    let items = draft["items"].as_array().expect("items");
    // Accept every proposal but the first (left pending), one with a figure that is not in
    // its quote; confirm a new indicator with an invalid code; leave the other unmatched
    // figures pending.
    let bad = pos(item(&draft, "PROPOSAL", "564"));
    let left = items
        .iter()
        .find(|i| i["type"] == "PROPOSAL" && pos(i) != bad)
        .map(pos)
        .expect("a proposal to leave pending");
    for i in items
        .iter()
        .filter(|i| i["type"] == "PROPOSAL" && pos(i) != left)
    {
        let edit = if pos(i) == bad {
            json!({"value": "565"})
        } else {
            Value::Null
        };
        let v = decide(&app, &key, id, pos(i), "ACCEPTED", edit).await;
        assert!(v.get("errors").is_none(), "{v}");
    }
    let growth = pos(item(&draft, "UNMATCHED", "-94.72"));
    let confirm = "mutation($d: Int!, $i: Int!) { confirmIndicator(draft: $d, item: $i, code: \"Bad Code\", nameEn: \"x\", direction: NEUTRAL, definition: \"x\") { decision } }";
    ok(&app, &key, confirm, json!({"d": id, "i": growth})).await;
    let pending: Vec<i64> = items
        .iter()
        .filter(|i| (i["type"] == "UNMATCHED" && pos(i) != growth) || pos(i) == left)
        .map(pos)
        .collect();
    assert!(pending.contains(&left));

    for dry in [true, false] {
        let v = app
            .graphql_as(&key, PUBLISH, json!({"draft": id, "dry": dry}))
            .await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
        let problems = v["errors"][0]["extensions"]["problems"]
            .as_array()
            .expect("problems")
            .clone();
        let at = |p: i64, field: &str| {
            problems
                .iter()
                .any(|x| x["path"] == format!("items[{p}]") && x["field"] == field)
        };
        assert!(at(bad, "value"), "figure not in the quote: {problems:#?}");
        assert!(at(growth, "code"), "invalid indicator code: {problems:#?}");
        for p in &pending {
            assert!(at(*p, "decision"), "pending item {p}: {problems:#?}");
        }
        // Each problem says what kind it is (a stable code) and says it in Chinese.
        let code_at = |p: i64, field: &str| {
            problems
                .iter()
                .find(|x| x["path"] == format!("items[{p}]") && x["field"] == field)
                .map(|x| (x["code"].clone(), x["messageZh"].clone()))
                .expect("the problem")
        };
        let (c, zh) = code_at(bad, "value");
        assert_eq!(c, "number_not_in_quote", "{zh}");
        assert!(
            zh.as_str().is_some_and(|z| z.contains("不在引文中")),
            "{zh}"
        );
        assert_eq!(code_at(growth, "code").0, "invalid_indicator_code");
        let (c, zh) = code_at(left, "decision");
        assert_eq!(c, "pending");
        assert!(
            zh.as_str()
                .is_some_and(|z| z.starts_with(&format!("第 {left} 项"))),
            "{zh}"
        );
        for x in &problems {
            assert!(x["code"].is_string(), "{x}");
            assert!(!x["messageZh"].as_str().unwrap_or("").is_ascii(), "{x}");
        }
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    let q = "query($id: Int!) { draft(id: $id) { status } }";
    let d = ok(&app, &key, q, json!({"id": id})).await;
    assert_eq!(d["draft"]["status"], "OPEN");
    assert!(audit(&app, "draft_publish").is_empty());
    assert!(audit(&app, "import").is_empty());

    // Fixed, it publishes.
    decide(&app, &key, id, bad, "ACCEPTED", json!({"value": "564"})).await;
    let fix = "mutation($d: Int!, $i: Int!) { confirmIndicator(draft: $d, item: $i, code: \"major_education_project_investment_plan_growth\", nameEn: \"x\", direction: NEUTRAL, definition: \"x\") { decision } }";
    ok(&app, &key, fix, json!({"d": id, "i": growth})).await;
    for p in pending {
        decide(&app, &key, id, p, "REJECTED", Value::Null).await;
    }
    let d = ok(&app, &key, PUBLISH, json!({"draft": id, "dry": false})).await;
    assert_eq!(d["publishDraft"]["sourceCreated"], CODE);
}

/// Issue 23, item 9: confirming a new indicator needs no code; the server derives one from the
/// English name, numbered when taken, and every item's reason is worded in Chinese too.
#[tokio::test]
async fn a_new_indicator_without_a_code_gets_one_from_its_english_name() {
    // A warehouse without the report, so that more than one of its figures matches nothing.
    let seeds = crate::common::seeds_without("rongchang-2025-rectification-report");
    let app = TestApp::seeded_from(seeds.path());
    let key = app.key("reviewer", Role::Editor);
    let draft = extract(&app, &key).await;
    let id = draft["id"].as_i64().expect("id");
    let unmatched: Vec<i64> = draft["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["type"] == "UNMATCHED")
        .map(|i| i["position"].as_i64().expect("position"))
        .collect();
    assert!(unmatched.len() >= 2, "{draft}");
    let confirm = "mutation($d: Int!, $i: Int!) { confirmIndicator(draft: $d, item: $i, nameEn: \"Planned growth of the investment\", direction: NEUTRAL, definition: \"x\") { newIndicator { code nameZh } whyZh } }";
    let first = ok(&app, &key, confirm, json!({"d": id, "i": unmatched[0]})).await;
    assert_eq!(
        first["confirmIndicator"]["newIndicator"]["code"],
        "planned_growth_investment"
    );
    // The same English name for another figure: the code is numbered, not refused.
    let second = ok(&app, &key, confirm, json!({"d": id, "i": unmatched[1]})).await;
    assert_eq!(
        second["confirmIndicator"]["newIndicator"]["code"],
        "planned_growth_investment_2"
    );
    // A code given that is taken is still refused.
    let taken = "mutation($d: Int!, $i: Int!) { confirmIndicator(draft: $d, item: $i, code: \"planned_growth_investment\", nameEn: \"x\", direction: NEUTRAL, definition: \"x\") { decision } }";
    let v = app
        .graphql_as(&key, taken, json!({"d": id, "i": unmatched[1]}))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");

    let q = "query($id: Int!) { draft(id: $id) { items { why whyZh } } }";
    let d = ok(&app, &key, q, json!({"id": id})).await;
    for i in d["draft"]["items"].as_array().expect("items") {
        let (en, zh) = (
            i["why"].as_str().unwrap_or(""),
            i["whyZh"].as_str().unwrap_or(""),
        );
        assert!(!en.is_empty() && !zh.is_empty(), "{i}");
        assert_ne!(en, zh, "{i}");
    }
}

#[tokio::test]
async fn drafts_need_an_editor_key_and_refuse_what_does_not_apply() {
    // A warehouse without the report, so that more than one of its figures matches nothing.
    let seeds = crate::common::seeds_without("rongchang-2025-rectification-report");
    let app = TestApp::seeded_from(seeds.path());
    let text = report_text();
    let calls = [
        (
            "mutation($t: String!) { extractReport(text: $t) { id } }",
            json!({"t": text}),
        ),
        ("{ drafts { id } }", json!({})),
        ("{ draft(id: 1) { id } }", json!({})),
        (
            "mutation { decideProposal(draft: 1, item: 1, decision: ACCEPTED) { position } }",
            json!({}),
        ),
        (
            "mutation { confirmIndicator(draft: 1, item: 1, code: \"x\", nameEn: \"x\", direction: NEUTRAL, definition: \"x\") { position } }",
            json!({}),
        ),
        (
            "mutation { mergeIndicator(draft: 1, item: 1, into: \"schools\") { position } }",
            json!({}),
        ),
        ("mutation { publishDraft(draft: 1) { dryRun } }", json!({})),
        ("mutation { discardDraft(draft: 1) { id } }", json!({})),
    ];
    for (q, vars) in &calls {
        let v = app.graphql(q, vars.clone()).await;
        assert_eq!(code(&v), "UNAUTHENTICATED", "{q}: {v}");
    }
    assert!(audit(&app, "draft_create").is_empty());

    let key = app.key("reviewer", Role::Editor);
    let v = app
        .graphql_as(&key, "{ draft(id: 999) { id } }", json!({}))
        .await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
    let draft = extract(&app, &key).await;
    let id = draft["id"].as_i64().expect("id");
    let v = decide(&app, &key, id, 9999, "ACCEPTED", Value::Null).await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
    let v = decide(&app, &key, 999, 1, "ACCEPTED", Value::Null).await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
    // A second draft for the same source, or a draft for a source that exists, is refused.
    let q = "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id } }";
    let v = app.graphql_as(&key, q, json!({"t": text, "c": CODE})).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app
        .graphql_as(
            &key,
            q,
            json!({"t": text, "c": "rongchang-2022-self-evaluation"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // A new indicator must be new; a figure may be merged into one confirmed in the draft.
    let growth = pos(item(&draft, "UNMATCHED", "-94.72"));
    // Another figure without an indicator (排第39位: the rank of a coverage rate that no
    // published observation of the reduced warehouse has ranked; which one does not matter
    // for these refusals).
    let below = pos(item(&draft, "UNMATCHED", "39"));
    let confirm = "mutation($d: Int!, $i: Int!, $c: String!) { confirmIndicator(draft: $d, item: $i, code: $c, nameEn: \"x\", direction: NEUTRAL, definition: \"x\") { decision } }";
    let v = app
        .graphql_as(&key, confirm, json!({"d": id, "i": growth, "c": "schools"}))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    ok(
        &app,
        &key,
        confirm,
        json!({"d": id, "i": growth, "c": "plan_growth"}),
    )
    .await;
    let v = app
        .graphql_as(
            &key,
            confirm,
            json!({"d": id, "i": below, "c": "plan_growth"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "confirmed twice: {v}");
    let m = "mutation($d: Int!, $i: Int!, $into: String!) { mergeIndicator(draft: $d, item: $i, into: $into) { row { indicator } } }";
    let d = ok(
        &app,
        &key,
        m,
        json!({"d": id, "i": below, "into": "plan_growth"}),
    )
    .await;
    assert_eq!(d["mergeIndicator"]["row"]["indicator"], "plan_growth");
    let v = app
        .graphql_as(
            &key,
            m,
            json!({"d": id, "i": below, "into": "no_such_indicator"}),
        )
        .await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");

    // A proposal is moved with decideProposal, not merged.
    let proposal = pos(draft["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["type"] == "PROPOSAL")
        .expect("a proposal"));
    let m = "mutation($d: Int!, $i: Int!) { mergeIndicator(draft: $d, item: $i, into: \"schools\") { position } }";
    let v = app
        .graphql_as(&key, m, json!({"d": id, "i": proposal}))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");

    // Discarded: kept, closed, and its code free again.
    let d = ok(
        &app,
        &key,
        "mutation($d: Int!) { discardDraft(draft: $d) { status } }",
        json!({"d": id}),
    )
    .await;
    assert_eq!(d["discardDraft"]["status"], "DISCARDED");
    let v = decide(&app, &key, id, proposal, "ACCEPTED", Value::Null).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app.graphql_as(&key, q, json!({"t": text, "c": CODE})).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(audit(&app, "draft_discard").len(), 1);
    assert_eq!(audit(&app, "draft_create").len(), 2);
}

const BULK: &str = "mutation($draft: Int!, $decision: DraftDecision!, $min: Float, $below: Float, $unmatched: Boolean) {
    decidePending(draft: $draft, decision: $decision, minConfidence: $min, belowConfidence: $below, unmatched: $unmatched) { position type decision confidence } }";

fn positions(v: &Value) -> Vec<i64> {
    v["decidePending"]
        .as_array()
        .expect("decided")
        .iter()
        .map(pos)
        .collect()
}

/// Bulk decisions take the pending proposals in the confidence range asked for, and the
/// figures without an indicator only when asked and only to reject them; items already
/// decided are left alone; each item is audited; a confidence outside [0, 1], a bulk return to
/// PENDING and a bulk acceptance of figures without an indicator are refused.
#[tokio::test]
async fn pending_items_are_decided_in_bulk() {
    let app = TestApp::seeded();
    let key = app.key("bulk-editor", Role::Editor);
    let d = extract(&app, &key).await;
    let id = d["id"].as_i64().expect("draft id");
    let items = d["items"].as_array().expect("items").clone();
    let proposals: Vec<&Value> = items.iter().filter(|i| i["type"] == "PROPOSAL").collect();
    let unmatched: Vec<i64> = items
        .iter()
        .filter(|i| i["type"] != "PROPOSAL")
        .map(pos)
        .collect();
    assert!(proposals.len() >= 4 && !unmatched.is_empty(), "{d}");
    // One proposal decided by hand first: no bulk decision may change it.
    let first = pos(proposals[0]);
    decide(&app, &key, id, first, "REJECTED", Value::Null).await;
    let confidence = |p: &&Value| p["confidence"].as_f64().expect("confidence");
    // The median confidence splits the proposals in two (whatever the extractor's scale).
    let mut scores: Vec<f64> = proposals[1..].iter().map(confidence).collect();
    scores.sort_by(f64::total_cmp);
    let min = scores[scores.len() / 2];
    let high: Vec<i64> = proposals[1..]
        .iter()
        .filter(|p| confidence(p) >= min)
        .map(|p| pos(p))
        .collect();
    let low: Vec<i64> = proposals[1..]
        .iter()
        .filter(|p| confidence(p) < min)
        .map(|p| pos(p))
        .collect();
    assert!(
        !high.is_empty() && !low.is_empty(),
        "confidences all on one side of {min}"
    );

    for (vars, why) in [
        (
            json!({"draft": id, "decision": "ACCEPTED", "min": 1.5}),
            "confidence above 1",
        ),
        (
            json!({"draft": id, "decision": "REJECTED", "below": -0.1}),
            "confidence below 0",
        ),
        (json!({"draft": id, "decision": "PENDING"}), "bulk PENDING"),
        (
            json!({"draft": id, "decision": "ACCEPTED", "unmatched": true}),
            "accepting unmatched",
        ),
    ] {
        let v = app.graphql_as(&key, BULK, vars).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{why}: {v}");
    }
    assert_eq!(
        audit(&app, "draft_decision").len(),
        1,
        "a refused bulk decision stores nothing"
    );

    let r = ok(
        &app,
        &key,
        BULK,
        json!({"draft": id, "decision": "ACCEPTED", "min": min}),
    )
    .await;
    assert_eq!(positions(&r), high);
    let r = ok(
        &app,
        &key,
        BULK,
        json!({"draft": id, "decision": "REJECTED", "below": min}),
    )
    .await;
    assert_eq!(positions(&r), low);
    assert_eq!(
        audit(&app, "draft_decision").len(),
        1 + high.len() + low.len()
    );
    let r = ok(
        &app,
        &key,
        BULK,
        json!({"draft": id, "decision": "REJECTED", "unmatched": true}),
    )
    .await;
    assert_eq!(positions(&r), unmatched);

    let after = ok(
        &app,
        &key,
        "query($id: Int!) { draft(id: $id) { pending items { position decision } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(after["draft"]["pending"].as_i64(), Some(0));
    for item in after["draft"]["items"].as_array().expect("items") {
        let expected = if high.contains(&pos(item)) {
            "ACCEPTED"
        } else {
            "REJECTED"
        };
        assert_eq!(item["decision"], expected, "{item}");
    }
}

/// The README's walk-through, as a test: a warehouse without the 2025 Rongchang report
/// extracts it, a figure without an indicator is merged into an existing one, the rest decided
/// in bulk, and the published figures (the merged rank among them) answer a ranking.
#[tokio::test]
async fn the_walkthrough_publishes_a_new_report_into_a_ranking() {
    let seeds = crate::common::seeds_without("rongchang-2025-rectification-report");
    let app = TestApp::seeded_from(seeds.path());
    let key = app.key("reviewer", Role::Editor);
    let ranking = r#"{ ranking(indicator: "smart_education_platform_coverage", year: 2025) { coverage entries { value district { code } observation { source { code } } } } }"#;
    let before = app.data(ranking, json!({})).await;
    assert_eq!(before["ranking"]["coverage"], "0 of 38");

    let q = "mutation($t: String!) { extractReport(text: $t) { id code items { position type value } } }";
    let d = ok(&app, &key, q, json!({"t": report_text()})).await;
    let draft = &d["extractReport"];
    assert_eq!(draft["code"], "rongchang-2025-rectification-report");
    let id = draft["id"].as_i64().expect("id");
    let rank = pos(item(draft, "UNMATCHED", "39"));
    let m = "mutation($d: Int!, $i: Int!) { mergeIndicator(draft: $d, item: $i, into: \"smart_education_platform_coverage\") { row { kind value unit } } }";
    let merged = ok(&app, &key, m, json!({"d": id, "i": rank})).await;
    assert_eq!(merged["mergeIndicator"]["row"]["kind"], "RANK");
    ok(
        &app,
        &key,
        BULK,
        json!({"draft": id, "decision": "ACCEPTED", "min": 0.5}),
    )
    .await;
    ok(
        &app,
        &key,
        BULK,
        json!({"draft": id, "decision": "REJECTED", "unmatched": true}),
    )
    .await;
    let p = ok(&app, &key, PUBLISH, json!({"draft": id, "dry": false})).await;
    assert_eq!(
        p["publishDraft"]["sourceCreated"],
        "rongchang-2025-rectification-report"
    );

    let after = app.data(ranking, json!({})).await;
    assert_eq!(after["ranking"]["coverage"], "1 of 38", "{after}");
    let entry = &after["ranking"]["entries"][0];
    assert_eq!(entry["district"]["code"], "500153");
    crate::common::approx(&entry["value"], 44.9);
    assert_eq!(
        entry["observation"]["source"]["code"],
        "rongchang-2025-rectification-report"
    );
    let ranks = app
        .data(
            r#"{ observations(filter: {indicators: ["smart_education_platform_coverage"], kinds: [RANK]}) { edges { node { value source { code } } } } }"#,
            json!({}),
        )
        .await;
    let values: Vec<f64> = ranks["observations"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["value"].as_f64().expect("value"))
        .collect();
    assert!(
        values.contains(&39.0),
        "the merged rank was published: {ranks}"
    );
}

/// The drafts list counts pending items whether or not it is asked for the items (without
/// them it does not load them: a list of every draft with all its items grows with the drafts
/// kept), and the two answers agree after decisions.
#[tokio::test]
async fn the_drafts_list_counts_pending_items_without_loading_them() {
    let app = TestApp::seeded();
    let key = app.key("list-editor", Role::Editor);
    let d = extract(&app, &key).await;
    let id = d["id"].as_i64().expect("draft id");
    let items = d["items"].as_array().expect("items").clone();
    assert!(items.len() >= 3, "{d}");
    decide(&app, &key, id, pos(&items[0]), "REJECTED", Value::Null).await;
    decide(&app, &key, id, pos(&items[1]), "REJECTED", Value::Null).await;
    let light = ok(&app, &key, "{ drafts { id pending total } }", json!({})).await;
    let full = ok(
        &app,
        &key,
        "{ drafts { id pending items { decision } } }",
        json!({}),
    )
    .await;
    let pending_in_items = full["drafts"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["decision"] == "PENDING")
        .count() as i64;
    assert_eq!(pending_in_items, items.len() as i64 - 2);
    assert_eq!(light["drafts"][0]["pending"], json!(pending_in_items));
    assert_eq!(full["drafts"][0]["pending"], json!(pending_in_items));
    assert_eq!(light["drafts"][0]["id"], json!(id));
    assert_eq!(light["drafts"][0]["total"], json!(items.len()));
}
