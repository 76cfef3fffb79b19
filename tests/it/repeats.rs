//! Issue 22, item 5: the same report twice. A draft made from a report that is already a source
//! of the warehouse or another open draft (the same text, whitespace aside, or the same
//! document number) names what it repeats (`Draft.repeats`), in the draft, in the list of
//! drafts and in `extractReport`'s answer; `publishDraft` refuses to publish a repeat of a
//! source (`CONFLICT`, naming it) unless `allowRepeat: true`, and the override is audited. The
//! digests of rows stored before the column existed are filled when the server migrates.

use base64::Engine;
use diesel::RunQueryDsl;
use edustats::auth::Role;
use serde_json::{json, Value};

use crate::common::TestApp;

const REPEATS: &str = "repeats { reason source draft code }";

fn report_text() -> String {
    std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2025-rectification-report.txt"),
    )
    .expect("seed report text")
}

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/documents")
        .join(name);
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).expect("fixture"))
}

/// Calls as `key`, asserting no error; returns `data`.
async fn ok(app: &TestApp, key: &str, query: &str, vars: Value) -> Value {
    let v = app.graphql_as(key, query, vars).await;
    assert!(v.get("errors").is_none(), "unexpected errors: {v}");
    v["data"].clone()
}

async fn extract_text(app: &TestApp, key: &str, text: &str, code: &str) -> Value {
    let q = format!(
        "mutation($t: String!, $c: String) {{ extractReport(text: $t, code: $c) {{ id code docNumber pending total {REPEATS} }} }}"
    );
    ok(app, key, &q, json!({"t": text, "c": code})).await["extractReport"].clone()
}

async fn extract_file(app: &TestApp, key: &str, file: &str, code: &str) -> Value {
    let q = format!(
        "mutation($f: String!, $n: String, $c: String) {{ extractReport(file: $f, fileName: $n, code: $c) {{ id code docNumber pending total {REPEATS} }} }}"
    );
    ok(
        app,
        key,
        &q,
        json!({"f": fixture(file), "n": file, "c": code}),
    )
    .await["extractReport"]
        .clone()
}

fn id(d: &Value) -> i64 {
    d["id"].as_i64().expect("draft id")
}

const ACCEPT_REST: &str =
    "mutation($d: Int!) { decidePending(draft: $d, decision: ACCEPTED, minConfidence: 0.5) { position } }";
const REJECT_REST: &str =
    "mutation($d: Int!) { decidePending(draft: $d, decision: REJECTED, unmatched: true) { position } }";
const PUBLISH: &str = "mutation($d: Int!, $dry: Boolean!, $allow: Boolean!) { publishDraft(draft: $d, dryRun: $dry, allowRepeat: $allow) { dryRun sourceCreated created } }";

/// The same text twice (the second time with other line ends and spaces): the second draft
/// names the first, and the first (read again, and in the list) names the second. Nothing in
/// the warehouse repeats it, so either publishes; the one left then repeats the source.
#[tokio::test]
async fn the_same_text_twice_is_flagged_in_both_drafts() {
    let seeds = crate::common::seeds_without("rongchang-2025-rectification-report");
    let app = TestApp::seeded_from(seeds.path());
    let key = app.key("reviewer", Role::Editor);
    let text = report_text();
    let first = extract_text(&app, &key, &text, "rongchang-2025-first").await;
    assert_eq!(first["repeats"], json!([]), "{first}");
    let again = text.replace('\n', "\r\n  ");
    let second = extract_text(&app, &key, &again, "rongchang-2025-second").await;
    assert_eq!(
        second["repeats"],
        json!([{"reason": "SAME_TEXT", "source": null, "draft": id(&first), "code": "rongchang-2025-first"}]),
        "{second}"
    );
    let q = format!("query($id: Int!) {{ draft(id: $id) {{ {REPEATS} }} }}");
    let d = ok(&app, &key, &q, json!({"id": id(&first)})).await;
    assert_eq!(
        d["draft"]["repeats"],
        json!([{"reason": "SAME_TEXT", "source": null, "draft": id(&second), "code": "rongchang-2025-second"}])
    );
    // The list: every open draft with its progress and its repeats.
    let list = ok(
        &app,
        &key,
        &format!("{{ drafts(status: OPEN) {{ id pending total {REPEATS} }} }}"),
        json!({}),
    )
    .await;
    let list = list["drafts"].as_array().expect("drafts").clone();
    assert_eq!(list.len(), 2);
    for d in &list {
        assert_eq!(d["repeats"].as_array().map(Vec::len), Some(1), "{d}");
        assert_eq!(d["pending"], d["total"], "nothing decided yet: {d}");
        assert!(d["total"].as_i64().unwrap_or(0) > 10, "{d}");
    }

    // A repeat of an open draft does not stop a publication; the one left then repeats the
    // source, and is refused.
    for q in [ACCEPT_REST, REJECT_REST] {
        ok(&app, &key, q, json!({"d": id(&first)})).await;
        ok(&app, &key, q, json!({"d": id(&second)})).await;
    }
    let p = ok(
        &app,
        &key,
        PUBLISH,
        json!({"d": id(&first), "dry": false, "allow": false}),
    )
    .await;
    assert_eq!(p["publishDraft"]["sourceCreated"], "rongchang-2025-first");
    let d = ok(&app, &key, &q, json!({"id": id(&second)})).await;
    assert_eq!(
        d["draft"]["repeats"],
        json!([{"reason": "SAME_TEXT", "source": "rongchang-2025-first", "draft": null, "code": "rongchang-2025-first"}])
    );
    let v = app
        .graphql_as(
            &key,
            PUBLISH,
            json!({"d": id(&second), "dry": false, "allow": false}),
        )
        .await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "CONFLICT", "{v}");
    // A published draft repeats nothing (its report is its own source now).
    let d = ok(&app, &key, &q, json!({"id": id(&first)})).await;
    assert_eq!(d["draft"]["repeats"], json!([]));
}

/// The web page of a report whose other edition (the seed's text) is in the warehouse under
/// the same document number: flagged by the number; the refusal names the source, a dry run is
/// refused too, nothing is written, and `allowRepeat` publishes it with the override audited.
#[tokio::test]
async fn a_report_already_published_is_refused_until_the_reviewer_overrides() {
    let app = TestApp::seeded();
    let key = app.key("reviewer", Role::Editor);
    let d = extract_file(&app, &key, "rongchang-2022.html", "rongchang-2022-web").await;
    assert_eq!(d["docNumber"], "荣昌府办函〔2023〕40号", "{d}");
    assert_eq!(
        d["repeats"],
        json!([{"reason": "SAME_DOCUMENT_NUMBER", "source": "rongchang-2022-self-evaluation", "draft": null, "code": "rongchang-2022-self-evaluation"}]),
        "{d}"
    );
    for q in [ACCEPT_REST, REJECT_REST] {
        ok(&app, &key, q, json!({"d": id(&d)})).await;
    }
    let before = app.observation_count().await;
    for dry in [true, false] {
        let v = app
            .graphql_as(
                &key,
                PUBLISH,
                json!({"d": id(&d), "dry": dry, "allow": false}),
            )
            .await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "CONFLICT", "{v}");
        let message = v["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("repeats source rongchang-2022-self-evaluation")
                && message.contains("the same document number")
                && message.contains("allowRepeat"),
            "{message}"
        );
    }
    assert_eq!(app.observation_count().await, before, "nothing was written");

    // The same text as the seed source (pasted again under another code): SAME_TEXT.
    let text = report_text();
    let pasted = extract_text(&app, &key, &text, "rongchang-2025-again").await;
    assert_eq!(
        pasted["repeats"],
        json!([{"reason": "SAME_TEXT", "source": "rongchang-2025-rectification-report", "draft": null, "code": "rongchang-2025-rectification-report"}])
    );

    // The reviewer has judged it: published with the override, which the audit log records.
    let p = ok(
        &app,
        &key,
        PUBLISH,
        json!({"d": id(&d), "dry": false, "allow": true}),
    )
    .await;
    let created = p["publishDraft"]["created"].as_array().map_or(0, Vec::len);
    assert!(created > 0, "{p}");
    assert_eq!(app.observation_count().await, before + created as i64);
    let mut conn = app.db.get().expect("connection");
    let audited: Vec<String> = edustats::auth::audit_entries(&mut conn, 100)
        .expect("audit")
        .into_iter()
        .filter(|e| e.action.as_str() == "draft_publish")
        .map(|e| e.detail)
        .collect();
    assert!(
        audited.iter().any(|d| d.contains(
            "published although it repeats rongchang-2022-self-evaluation (the same document number) (allowRepeat)"
        )),
        "{audited:?}"
    );
}

/// Rows stored before the digest column existed (its value missing) are filled when the server
/// migrates, and are then found.
#[tokio::test]
async fn digests_missing_from_older_rows_are_filled_at_migration() {
    let app = TestApp::seeded();
    let key = app.key("reviewer", Role::Editor);
    let first = extract_text(
        &app,
        &key,
        "重庆市荣昌区2024年教育统计（SYNTHETIC 测试）\n全区共有学校105所。\n",
        "synthetic-old-draft",
    )
    .await;
    {
        let mut conn = app.db.get().expect("connection");
        diesel::sql_query("UPDATE sources SET text_sha256 = NULL")
            .execute(&mut conn)
            .expect("clear sources");
        diesel::sql_query("UPDATE drafts SET text_sha256 = NULL, doc_number = NULL")
            .execute(&mut conn)
            .expect("clear drafts");
    }
    app.db.migrate().expect("migrate");
    let pasted = extract_text(&app, &key, &report_text(), "rongchang-2025-again").await;
    assert_eq!(
        pasted["repeats"][0]["source"], "rongchang-2025-rectification-report",
        "{pasted}"
    );
    let again = extract_text(
        &app,
        &key,
        "重庆市荣昌区2024年教育统计（SYNTHETIC 测试）\n全区共有学校 105 所。",
        "synthetic-new-draft",
    )
    .await;
    assert_eq!(again["repeats"][0]["draft"], json!(id(&first)), "{again}");
}

/// `edustats extract` asks the same lookup: a report in an open draft is named in its warning.
#[tokio::test]
async fn the_cli_names_an_open_draft_holding_the_same_report() {
    let seeds = crate::common::seeds_without("rongchang-2022-self-evaluation");
    let app = TestApp::seeded_from(seeds.path());
    let key = app.key("reviewer", Role::Editor);
    let d = extract_file(&app, &key, "rongchang-2022.html", "rongchang-2022-web").await;
    assert_eq!(d["repeats"], json!([]), "{d}");
    let out = tempfile::tempdir().expect("temp dir");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .arg("extract")
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/documents/rongchang-2022.html"),
        )
        .arg("-o")
        .arg(out.path().join("bundle.json"))
        .env("DATABASE_URL", &app.url)
        .output()
        .expect("edustats extract");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "is already in open review draft {} for source rongchang-2022-web (same text)",
            id(&d)
        )),
        "{err}"
    );
}
