//! The SDL drift test, the refused-connection message, and loader failures on bad input.

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
            && !t.starts_with("subscription:")
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
    copy_dir(&crate::common::synthetic_dir(), dir.path());
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
    let app = crate::common::TestApp::empty();
    let data = ingest::seed::load_dir(&crate::common::synthetic_dir()).unwrap();
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

/// Runs the binary against `url`; returns (exit code, stderr).
fn edustats(url: &str, args: &[&str]) -> (Option<i32>, String) {
    let seeds = crate::common::synthetic_dir();
    let (code, _, err) =
        crate::common::edustats_with(url, args, &[("EDUSTATS_SEEDS", seeds.as_ref())]);
    (code, err)
}

#[test]
fn exit_codes_follow_one_policy() {
    let app = crate::common::TestApp::synthetic();
    // 2: refused input or arguments, with the reason; nothing written.
    for (args, says) in [
        (&["seed"][..], "--replace"),
        (&["export", "--kind", "forecast"], "forecast"),
        (&["export", "--district", "999999"], "999999"),
        (&["keys", "create", "--name", "x", "--role", "root"], "root"),
        (&["keys", "revoke", "nobody"], "nobody"),
    ] {
        let (code, err) = edustats(&app.url, args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // 1: a failure that is not the input's fault, with its cause.
    let (code, err) = edustats("postgres://postgres@127.0.0.1:1/edustats", &["migrate"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    // --help documents the policy.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 success"));
}

#[test]
fn catalogue_problems_name_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&crate::common::synthetic_dir(), dir.path());
    let path = dir.path().join("districts.csv");
    let text = fs::read_to_string(&path).unwrap();
    // Line 3 gets an unknown level.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[2] = lines[2].replacen(",district,", ",province,", 1);
    assert!(
        lines[2].contains("province"),
        "fixture changed: {}",
        lines[2]
    );
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let p = match ingest::seed::load_dir(dir.path()) {
        Err(IngestError::Invalid(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    };
    // The row is refused, so figures about that district are refused too (listed after it).
    let first = &p[0];
    assert_eq!(
        (first.file.as_str(), first.line, first.field.as_str()),
        ("districts.csv", 3, "level"),
        "{p:?}"
    );
    assert!(
        first
            .message
            .contains("unknown division level \"province\""),
        "{first}"
    );
}

/// Runs the binary with `args` (and `DATABASE_URL` when given) whose standard output is a pipe
/// the reader has already closed; returns (exit code, stderr).
fn with_stdout_closed(args: &[&str], url: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"));
    cmd.args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("start edustats");
    // The only read end of the pipe: once it is closed, every write gets EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("edustats ends");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `edustats export-schema | head -1`: the reader closes the pipe before the output is
/// written; the command ends quietly with exit code 0 instead of panicking on the closed pipe.
#[test]
fn a_closed_standard_output_ends_the_command_quietly() {
    let (code, err) = with_stdout_closed(&["export-schema"], None);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "nothing to say: {err}");

    // The same for the CSV export, which writes through its own buffered writer.
    let app = crate::common::TestApp::synthetic();
    let (code, err) = with_stdout_closed(&["export"], Some(&app.url));
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "export: {err}");
}
