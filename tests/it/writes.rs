//! Controlled writes: API keys and roles, imports (CLI path and GraphQL), validation listing
//! every problem, dry runs, revisions with asOf, the audit log, crash safety (kill -9 during an
//! import) and the CSV export round trip. Imports use SYNTHETIC fixtures
//! (tests/fixtures/synthetic-import.json: invented figures).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{import_bundle, import_fixture, import_input, TestApp};
use axum::http::StatusCode;
use edustats::auth::Role;
use edustats::ingest::import::{self, Options};
use edustats::ingest::read;
use serde_json::{json, Value};

const IMPORT: &str = r#"mutation($input: ImportInput!, $dry: Boolean!) { importReport(input: $input, dryRun: $dry) { dryRun sourceCreated created corrected unchanged } }"#;

/// Imports `bundle` through `importReport` as `key` (a dry run when `dry`).
async fn import_report(
    app: &TestApp,
    key: &str,
    bundle: &edustats::ingest::rows::Bundle,
    dry: bool,
) -> Value {
    let vars = json!({"input": import_input(bundle), "dry": dry});
    app.graphql_as(key, IMPORT, vars).await
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

#[tokio::test]
async fn mutations_need_a_live_key_with_the_right_role() {
    let app = TestApp::synthetic();
    let vars = json!({"input": import_input(&import_bundle()), "dry": false});
    let before = app.observation_count().await;

    let v = app.graphql(IMPORT, vars.clone()).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
    let v = app.graphql_as("esk_not_a_key", IMPORT, vars.clone()).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");

    let key = app.key("bob", Role::Editor);
    {
        let mut conn = app.db.get().unwrap();
        edustats::auth::revoke_key(&mut conn, "bob", "test").unwrap();
    }
    let v = app.graphql_as(&key, IMPORT, vars.clone()).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "revoked key: {v}");
    assert_eq!(app.observation_count().await, before, "nothing written");

    let editor = app.key("carol", Role::Editor);
    let v = app
        .graphql_as(&editor, "{ auditLog { action } }", json!({}))
        .await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let admin = app.key("dana", Role::Admin);
    let v = app
        .graphql_as(&admin, "{ auditLog { action } }", json!({}))
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    // Reads stay open.
    let v = app.graphql("{ districts { code } }", json!({})).await;
    assert!(v.get("errors").is_none());
}

#[tokio::test]
async fn import_through_graphql_creates_the_source_and_its_observations() {
    let app = TestApp::synthetic();
    let key = app.key("importer", Role::Editor);
    let before = app.observation_count().await;
    let v = import_report(&app, &key, &import_bundle(), false).await;
    let r = &v["data"]["importReport"];
    assert_eq!(r["sourceCreated"], "synthetic-import-2024", "{v}");
    assert_eq!(
        r["created"],
        json!(["syni-001", "syni-002", "syni-003", "syni-004"])
    );
    assert_eq!(app.observation_count().await, before + 4);
    let d = app
        .data(r#"{ source(code: "synthetic-import-2024") { observations { key value recordedBy revision period { code kind } } } }"#, json!({}))
        .await;
    let obs = d["source"]["observations"].as_array().unwrap();
    assert_eq!(obs.len(), 4);
    assert_eq!(obs[0]["recordedBy"], "importer");
    assert_eq!(
        obs[3]["period"],
        json!({"code": "2023..2024", "kind": "span"})
    );
    // Importing the same report again changes nothing.
    let v = import_report(&app, &key, &import_bundle(), false).await;
    assert_eq!(v["data"]["importReport"]["unchanged"], 4, "{v}");
    assert_eq!(app.observation_count().await, before + 4);
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let app = TestApp::synthetic();
    let key = app.key("checker", Role::Editor);
    let before = app.observation_count().await;
    let v = import_report(&app, &key, &import_bundle(), true).await;
    assert_eq!(v["data"]["importReport"]["dryRun"], true, "{v}");
    assert_eq!(
        v["data"]["importReport"]["created"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(app.observation_count().await, before);
    let v = app.data(r#"{ sources { code } }"#, json!({})).await;
    assert_eq!(
        v["sources"].as_array().map(Vec::len),
        Some(1),
        "no source was created"
    );
}

#[tokio::test]
async fn every_validation_problem_is_listed_with_row_and_field() {
    let app = TestApp::synthetic();
    let key = app.key("sloppy", Role::Editor);
    let mut b = import_bundle();
    let rows = &mut b.observations;
    rows[0].district = "999999".into(); // unknown district
    rows[1].indicator = "no_such_indicator".into(); // unknown indicator
    rows[2].breakdown = Some("stage=university".into()); // unknown breakdown member
    rows[3].unit = "亿元".into(); // not convertible to count
    let mut extra = rows[2].clone();
    extra.key = "syni-005".into();
    extra.value = "若干".into(); // unparsable
    let mut quote = rows[2].clone();
    quote.key = "syni-006".into();
    quote.quote = "这句话不在原文中12.5%".into(); // not in the text
    let mut range = rows[2].clone();
    range.key = "syni-007".into();
    range.value = "125".into(); // a rate above 100
    range.quote = "全区学校数量为40所，其中小学数量为25所".into(); // "125" is not in it either
    let duplicate = rows[0].clone(); // duplicate key (and row)
    rows.extend([extra, quote, range, duplicate]);
    let before = app.observation_count().await;
    let v = import_report(&app, &key, &b, false).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let problems = v["errors"][0]["extensions"]["problems"].as_array().unwrap();
    let seen: Vec<(i64, String)> = problems
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap(),
                p["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        (2, "district"),
        (3, "indicator"),
        (4, "breakdown"),
        (5, "unit"),
        (6, "value"),
        (7, "quote"),
        (8, "value"),
        (9, "key"),
    ] {
        assert!(
            seen.iter()
                .any(|(r, f)| *r == expected.0 && f == expected.1),
            "missing {expected:?} in {seen:?}"
        );
    }
    assert!(
        problems.iter().any(|p| p["message"]
            .as_str()
            .unwrap()
            .contains("outside the valid range")),
        "{problems:?}"
    );
    // Each problem also names its record in the input.
    assert!(
        problems
            .iter()
            .any(|p| p["path"] == "observations[0]" && p["field"] == "district"),
        "{problems:?}"
    );
    assert_eq!(app.observation_count().await, before, "nothing written");
}

#[tokio::test]
async fn corrections_keep_history_and_as_of_shows_the_past() {
    let app = TestApp::synthetic();
    let key = app.key("editor-1", Role::Editor);
    let t0 = edustats::db::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let v = import_report(&app, &key, &import_bundle(), false).await;
    assert!(v.get("errors").is_none(), "{v}");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let t1 = edustats::db::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let correct = r#"mutation($reason: String!) { correctObservation(key: "syni-002", value: "40", quote: "2024年全区学校数量为40所", reason: $reason) { value revision recordedBy changeReason revisions { revision value valueText recordedBy supersededAt } } }"#;
    let v = app.graphql_as(&key, correct, json!({"reason": " "})).await;
    assert_eq!(
        code(&v),
        "BAD_USER_INPUT",
        "an empty reason is refused: {v}"
    );
    let v = app
        .graphql_as(
            &key,
            correct,
            json!({"reason": "primary count belongs to another sentence"}),
        )
        .await;
    let o = &v["data"]["correctObservation"];
    assert_eq!(o["value"], 40.0, "{v}");
    assert_eq!(o["revision"], 2);
    assert_eq!(o["recordedBy"], "editor-1");
    assert_eq!(
        o["changeReason"],
        "primary count belongs to another sentence"
    );
    assert_eq!(o["revisions"][0]["revision"], 1);
    assert_eq!(o["revisions"][0]["value"], 25.0);

    let q = r#"query($t: DateTime) { observations(filter: {sources: ["synthetic-import-2024"]}, asOf: $t) { totalCount edges { node { key value revision } } } }"#;
    let now = app.data(q, json!({"t": null})).await;
    assert_eq!(now["observations"]["edges"][1]["node"]["value"], 40.0);
    let then = app.data(q, json!({"t": t1})).await;
    assert_eq!(
        then["observations"]["edges"][1]["node"]["value"], 25.0,
        "{then}"
    );
    assert_eq!(then["observations"]["edges"][1]["node"]["revision"], 1);
    let before = app.data(q, json!({"t": t0})).await;
    assert_eq!(
        before["observations"]["totalCount"], 0,
        "nothing of the import existed at t0"
    );

    let ts = r#"query($t: DateTime) { ranking(indicator: "synthetic_count", year: 2024, breakdown: [{dimension: "stage", member: "primary"}], asOf: $t) { entries { value } } }"#;
    assert_eq!(
        app.data(ts, json!({"t": t1})).await["ranking"]["entries"][0]["value"],
        25.0
    );
    assert_eq!(
        app.data(ts, json!({"t": null})).await["ranking"]["entries"][0]["value"],
        40.0
    );
}

#[tokio::test]
async fn every_write_is_in_the_audit_log() {
    let app = TestApp::synthetic();
    let admin = app.key("root-admin", Role::Admin);
    let editor = app.key("writer", Role::Editor);
    import_report(&app, &editor, &import_bundle(), false).await;
    app.graphql_as(
        &editor,
        r#"mutation { correctObservation(key: "syni-003", value: "12.5", unit: "％", reason: "full-width percent sign as printed") { revision } }"#,
        json!({}),
    )
    .await;
    {
        let mut conn = app.db.get().unwrap();
        edustats::auth::revoke_key(&mut conn, "writer", "cli:test").unwrap();
    }
    let v = app
        .graphql_as(
            &admin,
            "{ auditLog { actor action rowCount detail } }",
            json!({}),
        )
        .await;
    let log = v["data"]["auditLog"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("cli:test", "key_revoke"),
            ("writer", "correction"),
            ("writer", "import"),
            ("test", "key_create"),
            ("test", "key_create"),
            ("seed", "seed"),
        ]
    );
    assert_eq!(log[2]["rowCount"], 5, "source + 4 observations");
    assert!(log[1]["detail"]
        .as_str()
        .unwrap()
        .contains("full-width percent sign"));
}

#[tokio::test]
async fn export_streams_csv_that_reimports_unchanged() {
    let app = TestApp::seeded();
    let (status, body) = app.get("/export/observations.csv?indicator=student_physical_health_good_rate,public_kindergarten_enrolment_share").await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[..13],
        &[
            "key",
            "district",
            "indicator",
            "period",
            "period_note",
            "breakdown",
            "kind",
            "base_period",
            "value",
            "unit",
            "quote",
            "note",
            "source"
        ]
    );
    let rows = reader.records().count();
    let total = app
        .data(r#"{ observations(filter: {indicators: ["student_physical_health_good_rate", "public_kindergarten_enrolment_share"]}) { totalCount } }"#, json!({}))
        .await["observations"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(rows as i64, total);

    // The whole warehouse round-trips: every row is recognised as unchanged.
    let (_, all) = app.get("/export/observations.csv").await;
    let (_, report) = reimport(&app, &all);
    assert_eq!(
        report.unchanged as i64,
        app_total(&mut app.db.get().unwrap())
    );
    assert!(
        report.created.is_empty() && report.corrected.is_empty(),
        "{report:?}"
    );
}

/// Imports an exported CSV file back (through the file reader, as `edustats import` does);
/// returns what was read and the import's report.
fn reimport(
    app: &TestApp,
    csv: &str,
) -> (
    edustats::ingest::read::LocatedBundle,
    edustats::ingest::rows::ImportReport,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, csv).unwrap();
    let read = read::import_file(&path).unwrap();
    let mut conn = app.db.get().unwrap();
    let options = Options {
        actor: "test",
        reason: None,
        dry_run: false,
        default_source: None,
    };
    let report = import::import(&mut conn, &read, options).unwrap();
    (read, report)
}

fn app_total(conn: &mut edustats::db::DbConnection) -> i64 {
    use diesel::prelude::*;
    edustats::db::schema::observations::table
        .count()
        .get_result(conn)
        .unwrap()
}

#[tokio::test]
async fn export_headers_and_bad_filters() {
    let app = TestApp::synthetic();
    // The fixture has 11 actual values and no target: the filter applies.
    let (status, body) = app.get("/export/observations.csv?kind=actual").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.lines().count(), 1 + 11, "{body}");
    let (_, body) = app.get("/export/observations.csv?kind=target").await;
    assert_eq!(body.lines().count(), 1, "only the header: {body}");
    let req = axum::http::Request::get("/export/observations.csv")
        .body(axum::body::Body::empty())
        .unwrap();
    let headers = {
        use tower::ServiceExt;
        let r = edustats::http::router(app.db.clone())
            .oneshot(req)
            .await
            .unwrap();
        r.headers().clone()
    };
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"observations.csv\""
    );
    let (status, body) = app.get("/export/observations.csv?indicator=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("NOT_FOUND"));
    let (status, _) = app.get("/export/observations.csv?year=twenty").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get("/export/observations.csv?kind=guess").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_killed_import_leaves_the_database_as_it_was() {
    let app = TestApp::synthetic();
    let count = |app: &TestApp| {
        let mut conn = app.db.get().unwrap();
        app_total(&mut conn)
    };
    let before = count(&app);
    let mut child = Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args(["import", import_fixture().to_str().unwrap()])
        .env("DATABASE_URL", &app.url)
        .env("EDUSTATS_TEST_PAUSE_AFTER_ROWS", "3")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start edustats import");
    let stderr = child.stderr.take().unwrap();
    let mut paused = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("EDUSTATS_TEST_PAUSE") {
            paused = true;
            break;
        }
    }
    assert!(paused, "the import never reached its pause point");
    child.kill().expect("kill -9"); // SIGKILL on Unix
    child.wait().unwrap();

    // Three rows were written inside the transaction; none of them is visible.
    assert_eq!(count(&app), before);
    if app.db.backend() == edustats::db::Backend::Sqlite {
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn =
            diesel::SqliteConnection::establish(app.url.trim_start_matches("sqlite://")).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
        let r: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut conn)
            .unwrap();
        assert_eq!(r[0].integrity_check, "ok");
    }
    // And the same import then succeeds.
    let mut conn = app.db.get().unwrap();
    let report = import::import(
        &mut conn,
        &read::import_file(&import_fixture()).expect("fixture reads"),
        Options {
            actor: "test",
            reason: None,
            dry_run: false,
            default_source: None,
        },
    )
    .unwrap();
    assert_eq!(report.created.len(), 4);
    assert_eq!(app_total(&mut conn), before + 4);
}

#[test]
fn cli_import_exit_code_lists_every_problem() {
    let app = TestApp::synthetic();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "key,district,indicator,period,period_note,breakdown,kind,base_period,value,unit,quote,note\n\
         x-1,999999,synthetic_rate,2020,,,actual,,5,%,甲区2020年比率为5%,\n\
         x-2,500101,synthetic_rate,20xx,,,actual,,5,%,甲区2020年比率为5%,\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args([
            "import",
            bad.to_str().unwrap(),
            "--source",
            "synthetic-report",
        ])
        .env("DATABASE_URL", &app.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("observations:2 [district]"), "{err}");
    assert!(err.contains("observations:3 [period]"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
}

/// A JSON import file is read record by record: a record with an unknown kind is a problem at
/// its JSON path, and the other records are still validated, so every problem is listed.
#[test]
fn a_bad_record_in_a_json_file_hides_no_other_problem() {
    let app = TestApp::synthetic();
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(import_fixture()).unwrap()).unwrap();
    v["observations"][1]["kind"] = json!("forecast");
    v["observations"][2]["district"] = json!("999999");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let input = read::import_file(&path).unwrap();
    let mut conn = app.db.get().unwrap();
    let opts = Options {
        actor: "test",
        reason: None,
        dry_run: false,
        default_source: None,
    };
    let problems = match import::import(&mut conn, &input, opts) {
        Err(edustats::ingest::IngestError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    };
    let seen: Vec<(Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.path.as_deref(), p.field.as_str()))
        .collect();
    assert!(
        seen.contains(&(Some("observations[1]"), "kind")),
        "{problems:#?}"
    );
    assert!(
        seen.contains(&(Some("observations[2]"), "district")),
        "{problems:#?}"
    );
    assert!(
        problems[0]
            .message
            .contains("unknown observation kind \"forecast\""),
        "{problems:#?}"
    );
}

/// The audit log names the source of an import even when the bundle's source already exists,
/// and counts the rows written; a correction that changes nothing writes no entry.
#[test]
fn audit_entries_name_the_source_and_count_rows() {
    let app = TestApp::synthetic();
    let mut conn = app.db.get().unwrap();
    let input = read::import_file(&import_fixture()).unwrap();
    let opts = Options {
        actor: "test",
        reason: None,
        dry_run: false,
        default_source: None,
    };
    import::import(&mut conn, &input, opts).unwrap();
    import::import(&mut conn, &input, opts).unwrap();
    let unchanged = import::Correction {
        key: "syni-003".into(),
        value: "12.5".into(),
        unit: None,
        quote: None,
        note: None,
    };
    let err = import::correct(
        &mut conn,
        unchanged,
        Options {
            reason: Some("r"),
            ..opts
        },
    )
    .expect_err("no change");
    assert!(err.to_string().contains("changes nothing"), "{err}");
    let log = edustats::auth::audit_entries(&mut conn, 10).unwrap();
    let entries: Vec<(String, String, i32)> = log
        .iter()
        .map(|e| (e.action.to_string(), e.detail.clone(), e.row_count))
        .collect();
    assert_eq!(
        entries[0],
        (
            "import".into(),
            "source synthetic-import-2024: 0 new, 0 corrected, 4 unchanged".into(),
            0
        ),
        "{entries:#?}"
    );
    assert_eq!(entries[1].2, 5, "source + 4 observations: {entries:#?}");
    let seed = entries.iter().find(|e| e.0 == "seed").expect("seed entry");
    assert_eq!(seed.2, 11, "a seed load counts its observations");
}

/// Guards are per field: in one request, an editor key gets the editor-level field and a
/// FORBIDDEN error for the admin-level one, and the error names only that field.
#[tokio::test]
async fn one_request_can_mix_fields_of_different_roles() {
    let app = TestApp::synthetic();
    let editor = app.key("mixed-editor", Role::Editor);
    let v = app
        .graphql_as(&editor, "{ drafts { id } auditLog { action } }", json!({}))
        .await;
    assert_eq!(v["data"]["drafts"], json!([]), "{v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{v}");
    assert_eq!(errors[0]["path"], json!(["auditLog"]), "{v}");
    // Without a key, both fields are refused, each with its own error.
    let v = app
        .graphql("{ drafts { id } auditLog { action } }", json!({}))
        .await;
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["UNAUTHENTICATED", "UNAUTHENTICATED"], "{v}");
}

/// CSV injection (OWASP): quotes and notes are free text and may begin like a spreadsheet
/// formula. The export escapes such cells with a leading apostrophe; importing the exported file
/// back gives the same content (every row unchanged).
#[tokio::test]
async fn formula_cells_are_exported_as_text_and_reimport_unchanged() {
    let app = TestApp::synthetic();
    let key = app.key("importer", Role::Editor);
    let mut b = import_bundle();
    let source = b.source.as_mut().expect("source");
    source
        .text
        .push_str("=HYPERLINK(\"http://example.invalid\")学校数量为40所\n");
    b.observations[0].quote = "=HYPERLINK(\"http://example.invalid\")学校数量为40所".into();
    b.observations[1].note = Some("@SUM(1)".into());
    b.observations[2].note = Some("-2+3".into());
    b.observations[3].note = Some("'quoted by hand".into());
    let v = import_report(&app, &key, &b, false).await;
    assert_eq!(
        v["data"]["importReport"]["created"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "{v}"
    );

    let (status, body) = app
        .get("/export/observations.csv?source=synthetic-import-2024")
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| {
            r.expect("csv record")
                .iter()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(cells.len(), 4 * edustats::export::HEADER.len(), "{body}");
    let formula_like: Vec<&String> = cells
        .iter()
        .filter(|c| {
            c.starts_with(['=', '+', '@', '\t', '\r'])
                || (c.starts_with('-') && c.parse::<f64>().is_err())
        })
        .collect();
    assert!(
        formula_like.is_empty(),
        "cells a spreadsheet would run: {formula_like:?}"
    );
    for escaped in [
        "'=HYPERLINK(\"http://example.invalid\")学校数量为40所",
        "'@SUM(1)",
        "'-2+3",
        "''quoted by hand",
    ] {
        assert!(cells.iter().any(|c| c == escaped), "{escaped} in {cells:?}");
    }

    // Imported back: every row is recognised as unchanged, the notes as they were written.
    let (back, report) = reimport(&app, &body);
    assert_eq!(report.unchanged, 4, "{report:?}");
    assert!(
        report.created.is_empty() && report.corrected.is_empty(),
        "{report:?}"
    );
    let notes: Vec<Option<String>> = back
        .bundle
        .observations
        .iter()
        .map(|o| o.note.clone())
        .collect();
    assert!(notes.contains(&Some("@SUM(1)".into())), "{notes:?}");
    assert!(notes.contains(&Some("'quoted by hand".into())), "{notes:?}");
    assert!(back
        .bundle
        .observations
        .iter()
        .any(|o| o.quote.starts_with("=HYPERLINK")));
}
