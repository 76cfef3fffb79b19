//! The SDL drift test, the refused-connection message, and loader failures on bad input.

mod common;

use std::fs;
use std::path::Path;

use edustats::db::{Db, DbError, PoolOptions};
use edustats::ingest::{self, IngestError};

#[test]
fn schema_graphql_matches_the_code() {
    let committed =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql")).unwrap();
    assert!(
        committed == edustats::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`"
    );
}

#[test]
fn every_type_and_field_has_a_description() {
    let sdl = edustats::graphql::sdl();
    let mut in_block = false;
    let mut described = false;
    let mut undocumented = Vec::new();
    for line in sdl.lines() {
        let t = line.trim();
        if t == "\"\"\"" {
            in_block = !in_block;
            described = !in_block;
            continue;
        }
        if in_block || t.is_empty() {
            continue;
        }
        if t.starts_with('"') && t.ends_with('"') {
            described = true;
            continue;
        }
        let item = t.starts_with("type ")
            || t.starts_with("enum ")
            || t.starts_with("input ")
            || line.starts_with('\t');
        if item
            && !t.starts_with('}')
            && !t.starts_with("schema")
            && !t.starts_with("query:")
            && !t.starts_with("mutation:")
            && !t.starts_with(')')
            && !line.starts_with("\t\t")
            && !described
        {
            undocumented.push(t.to_string());
        }
        described = false;
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}

#[test]
fn refused_postgres_connection_names_host_and_port() {
    let err = Db::connect(
        "postgres://postgres@127.0.0.1:1/edustats",
        PoolOptions::default(),
    )
    .err()
    .expect("port 1 refuses");
    let msg = err.to_string();
    assert!(matches!(err, DbError::Connect { .. }), "{msg}");
    assert!(msg.contains("127.0.0.1:1"), "{msg}");
    assert!(
        msg.to_lowercase().contains("refused") || msg.contains("connect"),
        "{msg}"
    );
}

#[test]
fn unsupported_url_scheme_is_rejected() {
    let err = Db::connect("mysql://root@localhost/x", PoolOptions::default())
        .err()
        .expect("invalid");
    assert!(matches!(err, DbError::InvalidUrl { .. }), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

fn problems_after(edit: impl Fn(&str) -> String) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::synthetic_dir(), dir.path());
    let path = dir.path().join("observations/synthetic-report.csv");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(&text)).unwrap();
    match ingest::seed::load_dir(dir.path()) {
        Err(IngestError::Invalid(p)) => p.iter().map(|p| p.to_string()).collect(),
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn loader_rejects_a_quote_not_in_the_source() {
    let p = problems_after(|t| t.replace("乙区2020年比率为3%,", "乙区2020年比率为三成%,"));
    assert_eq!(p.len(), 2, "{p:?}"); // the quote, and the number no longer in it
    assert!(
        p.iter()
            .any(|m| m.contains("[quote]") && m.contains("syn-003")),
        "{p:?}"
    );
}

#[test]
fn loader_rejects_a_number_not_in_the_quote() {
    let p = problems_after(|t| {
        t.replace(
            "syn-005,500104,synthetic_rate,2020,,,actual,,9,",
            "syn-005,500104,synthetic_rate,2020,,,actual,,8,",
        )
    });
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("syn-005") && p[0].contains("\"8\""), "{p:?}");
}

#[test]
fn loader_reports_every_problem_with_line_and_field() {
    let p = problems_after(|t| {
        t.replace("syn-001,500101,", "syn-001,999999,")
            .replace(
                "syn-002,500101,synthetic_rate,2021,",
                "syn-002,500101,synthetic_rate,2021-13,",
            )
            .replace(
                "syn-006,500101,synthetic_count,2020,,,actual,,0,个",
                "syn-006,500101,synthetic_count,2020,,,actual,,0,亿元",
            )
            .replace(
                "syn-011,500102,synthetic_count,2020,,stage=primary",
                "syn-011,500102,synthetic_count,2020,,ownership=public",
            )
    });
    let joined = p.join("\n");
    assert!(joined.contains(":2 [district]"), "{joined}");
    assert!(joined.contains(":3 [period]"), "{joined}");
    assert!(joined.contains(":7 [unit]"), "{joined}");
    assert!(joined.contains(":12 [breakdown]"), "{joined}");
    assert_eq!(p.len(), 4, "{joined}");
}

#[test]
fn a_second_load_is_refused_and_replace_reloads() {
    let app = common::TestApp::empty();
    let data = ingest::seed::load_dir(&common::synthetic_dir()).unwrap();
    let mut conn = app.db.get().unwrap();
    ingest::write::write_dataset(&mut conn, &data, false).unwrap();
    let err = ingest::write::write_dataset(&mut conn, &data, false)
        .err()
        .unwrap();
    assert!(matches!(err, IngestError::NotEmpty(11)), "{err}");
    // --replace reloads in one transaction: same counts afterwards.
    let summary = ingest::write::write_dataset(&mut conn, &data, true).unwrap();
    assert_eq!(summary.observations, 11);
}
