//! The domain vocabulary (`src/domain`) and the database agree: every CHECK list in both
//! migration sets holds exactly the spellings of its enum, so a term added to an enum without
//! a migration (or the other way round) fails here instead of at the first insert.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use edustats::domain::{
    Comparator, Direction, DivisionLevel, DraftDecision, DraftStatus, FindingOrigin,
    ObservationKind, PeriodKind, Qualifier, Role, Severity, SourceKind,
};

/// The CHECK (`column IN ('a', 'b')`) lists in force after every `up.sql` of a migration folder
/// has run, as (table, column) → values. Later migrations replace lists: a rebuilt table
/// (`CREATE TABLE t_new` … `DROP TABLE t` … `ALTER TABLE t_new RENAME TO t`) and a replaced
/// constraint (`ALTER TABLE t ADD CONSTRAINT … CHECK (column IN (…))`).
fn check_lists(dir: &Path) -> BTreeMap<(String, String), BTreeSet<String>> {
    fn values(list: &str) -> BTreeSet<String> {
        list.split(',')
            .map(|v| v.trim().trim_matches('\'').to_string())
            .collect()
    }
    /// `column IN ('a', …)` at the start of `s`: the column and the values.
    fn in_list(s: &str) -> Option<(String, BTreeSet<String>)> {
        let (column, rest) = s.split_once(" IN (")?;
        let (list, _) = rest.split_once(')')?;
        Some((column.trim().to_string(), values(list)))
    }
    let mut lists: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").path())
        .collect();
    folders.sort();
    for folder in folders {
        let sql = std::fs::read_to_string(folder.join("up.sql")).expect("up.sql");
        let sql: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in sql.split(';') {
            let words: Vec<&str> = statement.split_whitespace().collect();
            match words.as_slice() {
                ["CREATE", "TABLE", table, ..] => {
                    for line in statement.lines() {
                        // A nullable term column (`TEXT CHECK`) is a vocabulary too.
                        let check = line
                            .split_once(" TEXT NOT NULL CHECK (")
                            .or_else(|| line.split_once(" TEXT CHECK ("));
                        if let Some((_, check)) = check {
                            let (column, set) = in_list(check).expect("CHECK (column IN (...))");
                            lists.insert((table.to_string(), column), set);
                        }
                    }
                }
                ["DROP", "TABLE", table] => lists.retain(|(t, _), _| t != table),
                ["ALTER", "TABLE", from, "RENAME", "TO", to] => {
                    let moved: Vec<_> = lists
                        .iter()
                        .filter(|((t, _), _)| t == from)
                        .map(|((_, c), v)| (c.clone(), v.clone()))
                        .collect();
                    lists.retain(|(t, _), _| t != from);
                    for (c, v) in moved {
                        lists.insert((to.to_string(), c), v);
                    }
                }
                ["ALTER", "TABLE", table, "ADD", "CONSTRAINT", _, "CHECK", ..] => {
                    let check = statement.split_once("CHECK (").expect("CHECK (").1;
                    let (column, set) = in_list(check).expect("CHECK (column IN (...))");
                    lists.insert((table.to_string(), column), set);
                }
                _ => {}
            }
        }
    }
    lists
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
        ("standards", "comparator", spellings(Comparator::all())),
        (
            "webhook_deliveries",
            "event",
            spellings(&edustats::notify::EventKind::ALL),
        ),
        (
            "webhook_deliveries",
            "status",
            spellings(&edustats::notify::webhook::DeliveryStatus::ALL),
        ),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for backend in ["sqlite", "postgres"] {
        let found = check_lists(&root.join(backend));
        assert_eq!(found.len(), expected.len(), "{backend}: {found:?}");
        for (table, column, values) in &expected {
            let in_db = found
                .get(&(table.to_string(), column.to_string()))
                .unwrap_or_else(|| panic!("{backend}: no CHECK list for {table}.{column}"));
            assert_eq!(in_db, values, "{backend}: {table}.{column}");
        }
    }
}

/// A stored term the vocabulary does not know is a failed read (INTERNAL, logged), never read
/// as some default term.
#[tokio::test]
async fn an_unknown_stored_term_fails_the_read() {
    use diesel::prelude::*;
    let app = crate::common::TestApp::synthetic();
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
