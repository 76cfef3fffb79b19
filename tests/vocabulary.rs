//! The domain vocabulary (`src/domain`) and the database agree: every CHECK list in both
//! migration sets holds exactly the spellings of its enum, so a term added to an enum without
//! a migration (or the other way round) fails here instead of at the first insert.

use std::collections::BTreeSet;
use std::path::Path;

use edustats::domain::{
    Direction, DivisionLevel, DraftDecision, DraftStatus, FindingOrigin, ObservationKind,
    PeriodKind, Qualifier, Role, Severity, SourceKind,
};

/// The CHECK (`column IN ('a', 'b')`) lists of a migration folder, as (table, column, values).
fn check_lists(dir: &Path) -> Vec<(String, String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").path())
        .collect();
    folders.sort();
    for folder in folders {
        let sql = std::fs::read_to_string(folder.join("up.sql")).expect("up.sql");
        let mut table = String::new();
        for line in sql.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                table = rest.trim_end_matches(" (").trim().to_string();
            }
            let Some((column, rest)) = line.split_once(" TEXT NOT NULL CHECK (") else {
                continue;
            };
            let list = rest
                .split_once(" IN (")
                .and_then(|(_, l)| l.split_once(')'))
                .map(|(l, _)| l)
                .expect("CHECK (column IN (...))");
            let values = list
                .split(',')
                .map(|v| v.trim().trim_matches('\'').to_string())
                .collect();
            out.push((table.clone(), column.to_string(), values));
        }
    }
    out
}

fn spellings<T: Copy + Into<&'static str>>(all: &[T]) -> BTreeSet<String> {
    all.iter().map(|t| (*t).into().to_string()).collect()
}

#[test]
fn every_check_list_matches_its_enum() {
    let expected = [
        ("districts", "level", spellings(DivisionLevel::all())),
        ("indicators", "direction", spellings(Direction::all())),
        ("periods", "kind", spellings(PeriodKind::all())),
        ("sources", "kind", spellings(SourceKind::all())),
        ("observations", "kind", spellings(ObservationKind::all())),
        ("observations", "qualifier", spellings(Qualifier::all())),
        ("findings", "origin", spellings(FindingOrigin::all())),
        ("findings", "severity", spellings(Severity::all())),
        ("api_keys", "role", spellings(Role::all())),
        ("drafts", "status", spellings(DraftStatus::all())),
        ("draft_items", "decision", spellings(DraftDecision::all())),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for backend in ["sqlite", "postgres"] {
        let found = check_lists(&root.join(backend));
        assert_eq!(found.len(), expected.len(), "{backend}: {found:?}");
        for (table, column, values) in &expected {
            let (_, _, in_db) = found
                .iter()
                .find(|(t, c, _)| t == table && c == column)
                .unwrap_or_else(|| panic!("{backend}: no CHECK list for {table}.{column}"));
            assert_eq!(in_db, values, "{backend}: {table}.{column}");
        }
    }
}

mod common;

/// A stored term the vocabulary does not know is a failed read (INTERNAL, logged), never read
/// as some default term.
#[tokio::test]
async fn an_unknown_stored_term_fails_the_read() {
    use diesel::prelude::*;
    let app = common::TestApp::synthetic();
    {
        let mut conn = app.db.get().expect("connection");
        // `category` has no CHECK list: only the vocabulary guards it.
        diesel::sql_query("UPDATE indicators SET category = 'astrology'")
            .execute(&mut conn)
            .expect("update");
    }
    let v = app
        .graphql("{ indicators { code category } }", serde_json::json!({}))
        .await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "INTERNAL", "{v}");
    assert!(
        !v.to_string().contains("astrology"),
        "internal detail leaked: {v}"
    );
}
