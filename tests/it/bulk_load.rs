//! `edustats synth`, the bulk load path, the streamed CSV import and the incremental quality
//! rules. Every test runs on the default test backend (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`); the data written here is SYNTHETIC (generated) or the real seeds.

use std::collections::BTreeSet;

use crate::common::TestApp;
use diesel::prelude::*;
use edustats::db::schema::{districts, findings, indicators, observations, sources};
use edustats::db::DbConnection;
use edustats::ingest::{self, check, import};
use edustats::synth::{self, Params, SynthError};

fn small(seed: u64) -> Params {
    Params {
        districts: 12,
        years: 3,
        indicators: 8,
        seed,
    }
}

fn synth_app(params: Params) -> (TestApp, synth::Summary) {
    let app = TestApp::empty();
    let mut conn = app.db.get().expect("connection");
    let summary = synth::run(&mut conn, params, false).expect("synth");
    drop(conn);
    (app, summary)
}

/// Every observation as (district, indicator, period, breakdown, key, value text, value,
/// unit, quote, quote offsets, source), in key order: what two loads must agree on.
type Content = (
    String,
    String,
    String,
    String,
    String,
    String,
    f64,
    String,
    String,
    i32,
    i32,
    String,
);

fn content(conn: &mut DbConnection) -> Vec<Content> {
    use edustats::db::schema::{breakdowns, periods};
    observations::table
        .inner_join(districts::table)
        .inner_join(indicators::table)
        .inner_join(periods::table.on(periods::id.eq(observations::period_id)))
        .inner_join(breakdowns::table)
        .inner_join(sources::table)
        .select((
            districts::code,
            indicators::code,
            periods::code,
            breakdowns::code,
            observations::key,
            observations::value_text,
            observations::value,
            observations::reported_unit,
            observations::quote,
            observations::quote_start,
            observations::quote_end,
            sources::code,
        ))
        .order(observations::key.asc())
        .load(conn)
        .expect("observations")
}

fn count(conn: &mut DbConnection) -> i64 {
    observations::table.count().get_result(conn).expect("count")
}

#[test]
fn synth_is_deterministic_from_its_seed() {
    let (a, sa) = synth_app(small(42));
    let (b, sb) = synth_app(small(42));
    let (c, _) = synth_app(small(43));
    let rows_a = content(&mut a.db.get().unwrap());
    assert_eq!(rows_a.len(), sa.observations);
    assert!(sa.observations > 12 * 3 * 8 / 2, "{sa:?}");
    assert_eq!(sa.observations, sb.observations);
    assert_eq!(rows_a, content(&mut b.db.get().unwrap()));
    assert_ne!(rows_a, content(&mut c.db.get().unwrap()));
}

#[test]
fn every_synthetic_district_indicator_source_and_observation_is_labelled() {
    let (app, summary) = synth_app(small(1));
    let mut conn = app.db.get().unwrap();
    let ds: Vec<(String, String, String)> = districts::table
        .select((districts::code, districts::name_zh, districts::name_en))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        ds.len(),
        summary.districts + 1,
        "the districts and their parent"
    );
    for (code, zh, en) in &ds {
        assert!(code.starts_with("SYN"), "{code}");
        assert!(
            zh.contains("SYNTHETIC") && en.contains("SYNTHETIC"),
            "{zh} / {en}"
        );
    }
    let is: Vec<(String, String, String, String)> = indicators::table
        .select((
            indicators::code,
            indicators::name_zh,
            indicators::name_en,
            indicators::definition,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(is.len(), 8);
    for (code, zh, en, def) in &is {
        assert!(code.starts_with("synthetic_"), "{code}");
        assert!(zh.contains("SYNTHETIC") && en.contains("SYNTHETIC") && def.contains("SYNTHETIC"));
    }
    let ss: Vec<(String, String, String, String)> = sources::table
        .select((
            sources::code,
            sources::title_zh,
            sources::title_en,
            sources::body,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(ss.len(), 12 * 3);
    for (code, zh, en, body) in &ss {
        assert!(code.starts_with("synthetic-"), "{code}");
        assert!(
            zh.contains("SYNTHETIC") && en.contains("SYNTHETIC") && body.starts_with("SYNTHETIC")
        );
    }
    let unlabelled: i64 = observations::table
        .filter(
            observations::key
                .not_like("synthetic-%")
                .or(observations::quote.not_like("%SYNTHETIC%")),
        )
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(unlabelled, 0);
}

fn edustats(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    crate::common::edustats_with(url, args, &[("RUST_LOG", "warn".as_ref())])
}

#[test]
fn synth_refuses_a_database_with_real_data_and_writes_nothing() {
    let app = TestApp::seeded();
    let before = content(&mut app.db.get().unwrap());
    let (code, _, stderr) = edustats(
        &app.url,
        &[
            "synth",
            "--districts",
            "3",
            "--years",
            "2",
            "--indicators",
            "2",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to write SYNTHETIC data into a database that holds real data"),
        "{stderr}"
    );
    assert!(stderr.contains("non-synthetic district(s)"), "{stderr}");
    assert_eq!(content(&mut app.db.get().unwrap()), before);
    let synthetic: i64 = districts::table
        .filter(districts::code.like("SYN%"))
        .count()
        .get_result(&mut app.db.get().unwrap())
        .unwrap();
    assert_eq!(synthetic, 0);
}

#[test]
fn synth_cli_writes_small_defaults_and_replaces_only_when_asked() {
    let app = TestApp::empty();
    let args = [
        "synth",
        "--districts",
        "5",
        "--years",
        "2",
        "--indicators",
        "4",
        "--seed",
        "9",
    ];
    let (code, stdout, stderr) = edustats(&app.url, &args);
    assert_eq!(code, Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON summary");
    assert_eq!(summary["synthetic"], true);
    let written = summary["observations"].as_i64().unwrap();
    assert_eq!(written, count(&mut app.db.get().unwrap()));
    // A second run is refused: it would mix two datasets.
    let (code, _, stderr) = edustats(&app.url, &args);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--replace"), "{stderr}");
    let mut replace = args.to_vec();
    replace.push("--replace");
    let (code, _, stderr) = edustats(&app.url, &replace);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(count(&mut app.db.get().unwrap()), written);
    // Invalid sizes are refused input.
    let (code, _, stderr) = edustats(&app.url, &["synth", "--districts", "0", "--replace"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_library_caller_gets_typed_refusals() {
    let app = TestApp::seeded();
    let mut conn = app.db.get().unwrap();
    match synth::run(&mut conn, small(1), false) {
        Err(SynthError::RealData {
            districts,
            sources,
            observations,
        }) => {
            assert!(districts > 30, "{districts}");
            assert!(sources >= 5, "{sources}");
            assert_eq!(observations, 1);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Stored rule findings as comparable values: (rule, severity, message, observations).
fn stored_findings(conn: &mut DbConnection) -> BTreeSet<(String, String, String, Vec<i32>)> {
    use edustats::db::schema::finding_observations;
    let rows: Vec<(i32, String, String, String)> = findings::table
        .filter(findings::origin.eq("rule"))
        .select((
            findings::id,
            findings::rule,
            findings::severity,
            findings::message,
        ))
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(id, rule, severity, message)| {
            let mut obs: Vec<i32> = finding_observations::table
                .filter(finding_observations::finding_id.eq(id))
                .select(finding_observations::observation_id)
                .load(conn)
                .unwrap();
            obs.sort_unstable();
            (rule, severity, message, obs)
        })
        .collect()
}

fn full_findings(conn: &mut DbConnection) -> BTreeSet<(String, String, String, Vec<i32>)> {
    check::compute(conn)
        .unwrap()
        .into_iter()
        .map(|f| {
            let mut obs = f.observations.clone();
            obs.sort_unstable();
            (f.rule.to_string(), f.severity.to_string(), f.message, obs)
        })
        .collect()
}

fn opts<'a>(reason: Option<&'a str>) -> import::Options<'a> {
    import::Options {
        actor: "test",
        reason,
        dry_run: false,
        default_source: None,
    }
}

fn correct(conn: &mut DbConnection, key: &str, value: &str, quote: &str) {
    import::correct(
        conn,
        import::Correction {
            key: key.into(),
            value: value.into(),
            unit: None,
            quote: Some(quote.into()),
            note: None,
        },
        opts(Some("test: a correction")),
    )
    .unwrap_or_else(|e| panic!("correct {key}: {e}"));
}

#[test]
fn the_seed_load_stores_the_findings_of_a_full_run() {
    let app = TestApp::seeded();
    let mut conn = app.db.get().unwrap();
    let stored = stored_findings(&mut conn);
    assert!(!stored.is_empty(), "the seeds have rule findings");
    assert_eq!(stored, full_findings(&mut conn));
}

/// A named write of the sequence below.
type Step<'a> = (&'a str, Box<dyn Fn(&mut DbConnection)>);

#[test]
fn incremental_findings_equal_a_full_recomputation_after_a_sequence_of_writes() {
    let app = TestApp::synthetic();
    let mut conn = app.db.get().unwrap();
    let initial = stored_findings(&mut conn);
    assert_eq!(initial, full_findings(&mut conn));
    let steps: Vec<Step<'_>> = vec![
        (
            "import a report with a total and a stage part",
            Box::new(|conn| {
                let bundle = ingest::read::import_file(&crate::common::import_fixture()).unwrap();
                import::import(conn, &bundle, opts(None)).unwrap();
            }),
        ),
        (
            "a report whose parts exceed its total and whose change disagrees",
            Box::new(|conn| {
                let text = "SYNTHETIC 合成测试（非真实）。2025年全区学校40所，其中小学25所、初中20所，比2024年增加5所。2026年初中10所。更正：与2024年持平，增加0所。";
                let row = |key: &str,
                           breakdown: &str,
                           kind: &str,
                           base: &str,
                           value: &str,
                           quote: &str| {
                    serde_json::json!({"key": key, "district": "500101", "indicator": "synthetic_count",
                        "period": "2025", "breakdown": breakdown, "kind": kind, "base_period": base,
                        "value": value, "unit": "所", "quote": quote})
                };
                let bundle = serde_json::json!({
                    "source": {"code": "synthetic-seq-2025", "title_zh": "SYNTHETIC 序列测试", "title_en": "SYNTHETIC sequence test",
                        "issuer": "SYNTHETIC TEST", "district": "500101", "kind": "statistics", "text": text},
                    "observations": [
                        row("seq-total", "", "actual", "", "40", "2025年全区学校40所"),
                        row("seq-primary", "stage=primary", "actual", "", "25", "其中小学25所"),
                        row("seq-junior", "stage=junior_secondary", "actual", "", "20", "初中20所"),
                        row("seq-change", "", "change", "2024", "5", "比2024年增加5所"),
                    ]
                });
                let path = tempfile::tempdir().unwrap().keep().join("seq.json");
                std::fs::write(&path, bundle.to_string()).unwrap();
                let input = ingest::read::import_file(&path).unwrap();
                import::import(conn, &input, opts(None)).unwrap();
            }),
        ),
        (
            "a part corrected: the parts now fit",
            Box::new(|conn| correct(conn, "seq-junior", "10", "2026年初中10所")),
        ),
        (
            "the change corrected: it now agrees with the totals",
            Box::new(|conn| correct(conn, "seq-change", "0", "增加0所")),
        ),
        (
            "a part in another district raised",
            Box::new(|conn| correct(conn, "syn-011", "2021", "2021年数量为5个")),
        ),
    ];
    let mut rules_seen = BTreeSet::new();
    for (what, step) in steps {
        step(&mut conn);
        let stored = stored_findings(&mut conn);
        assert_eq!(stored, full_findings(&mut conn), "after: {what}");
        rules_seen.extend(stored.iter().map(|f| f.0.clone()));
    }
    assert!(rules_seen.contains("sum_of_parts"), "{rules_seen:?}");
    assert!(rules_seen.contains("change_consistency"), "{rules_seen:?}");
    let last = stored_findings(&mut conn);
    assert!(
        last.iter().all(|f| !f.2.contains("seq-")),
        "the corrections cleared the sequence's findings: {last:?}"
    );
}

/// A copy of one stored synthetic row as an import of one NEW observation (another key
/// and period, the same quote): what a single write into a large set looks like.
fn one_new_row(conn: &mut DbConnection, district: &str) -> std::path::PathBuf {
    let rows = content(conn);
    let row = rows
        .iter()
        .find(|r| r.0 == district && r.3.is_empty())
        .expect("a total of the district");
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("one.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record([
        "key",
        "district",
        "indicator",
        "period",
        "kind",
        "value",
        "unit",
        "quote",
        "source",
    ])
    .unwrap();
    w.write_record([
        "synthetic-one-more",
        &row.0,
        &row.1,
        "2030",
        "actual",
        &row.5,
        &row.7,
        &row.8,
        &row.11,
    ])
    .unwrap();
    w.flush().unwrap();
    path
}

#[test]
fn one_write_into_a_large_synthetic_set_reads_a_bounded_number_of_rows() {
    let mut measured = Vec::new();
    for districts in [10, 40] {
        let params = Params {
            districts,
            years: 4,
            indicators: 10,
            seed: 5,
        };
        let (app, summary) = synth_app(params);
        let mut conn = app.db.get().unwrap();
        let path = one_new_row(&mut conn, "SYN0003");
        let before = app.db.statement_count();
        let report = import::import_csv(&mut conn, &path, opts(None)).expect("import one row");
        assert_eq!(report.created, vec!["synthetic-one-more".to_string()]);
        let statements = app.db.statement_count() - before;
        // The rules' read: the one (district, indicator) series, at most 4 parts per year.
        let district: i32 = districts::table
            .filter(districts::code.eq("SYN0003"))
            .select(districts::id)
            .first(&mut conn)
            .unwrap();
        let indicator: i32 = observations::table
            .filter(observations::key.eq("synthetic-one-more"))
            .select(observations::indicator_id)
            .first(&mut conn)
            .unwrap();
        let touched = check::Touched::from([(district, BTreeSet::from([indicator]))]);
        let refresh = check::refresh_touched(&mut conn, &touched).unwrap();
        assert!(refresh.rows_read <= (4 + 1) * 4, "{refresh:?}");
        assert!(
            refresh.rows_read < summary.observations / 20,
            "{refresh:?} of {summary:?}"
        );
        assert_eq!(stored_findings(&mut conn), full_findings(&mut conn));
        measured.push((statements, refresh.rows_read));
    }
    // Four times the districts: the same statements and the same rows read.
    assert_eq!(measured[0], measured[1], "{measured:?}");
}

#[test]
fn synthetic_findings_are_maintained_per_district_as_a_full_run_computes_them() {
    let (app, summary) = synth_app(Params {
        districts: 15,
        years: 3,
        indicators: 12,
        seed: 3,
    });
    let mut conn = app.db.get().unwrap();
    let stored = stored_findings(&mut conn);
    assert_eq!(stored.len(), summary.rule_findings);
    assert_eq!(stored, full_findings(&mut conn));
}

/// The bulk load's rules for a new district ([`check::refresh_new_district`]: the rows
/// written, not read back) store what a full run finds. The synthetic generator makes no
/// row a rule objects to, so the rows are a copy of the seed district with the most rule
/// findings, under a new district in one transaction, as a load writes them.
#[test]
fn a_bulk_written_district_gets_the_findings_a_full_run_finds() {
    use edustats::db::models::{NewDistrict, NewObservation};
    use edustats::db::schema::finding_observations;
    use edustats::domain::{DivisionLevel, ObservationKind, Qualifier};
    let app = TestApp::seeded();
    let mut conn = app.db.get().unwrap();
    let ids_with_findings = |conn: &mut DbConnection| -> Vec<(i32, i32)> {
        finding_observations::table
            .inner_join(findings::table)
            .inner_join(observations::table)
            .filter(findings::origin.eq("rule"))
            .select((observations::district_id, observations::id))
            .load(conn)
            .unwrap()
    };
    let mut per_district = std::collections::BTreeMap::<i32, usize>::new();
    for (d, _) in ids_with_findings(&mut conn) {
        *per_district.entry(d).or_default() += 1;
    }
    let (&busiest, &named) = per_district.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(named > 0);
    type Copied = (
        String,
        i32,
        i32,
        i32,
        String,
        Option<i32>,
        f64,
        String,
        String,
        String,
        i32,
        String,
        i32,
        i32,
    );
    let rows: Vec<Copied> = observations::table
        .filter(observations::district_id.eq(busiest))
        .order(observations::id.asc())
        .select((
            observations::key,
            observations::indicator_id,
            observations::period_id,
            observations::breakdown_id,
            observations::kind,
            observations::base_period_id,
            observations::value,
            observations::value_text,
            observations::reported_unit,
            observations::qualifier,
            observations::source_id,
            observations::quote,
            observations::quote_start,
            observations::quote_end,
        ))
        .load(&mut conn)
        .unwrap();
    let keys: Vec<String> = rows.iter().map(|r| format!("test-copy-{}", r.0)).collect();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::insert_into(districts::table)
            .values(NewDistrict {
                code: "test_copy",
                parent_id: None,
                level: DivisionLevel::District,
                name_zh: "测试副本（非真实数据）",
                name_en: "Test copy (not real data)",
            })
            .execute(conn)?;
        let district: i32 = districts::table
            .filter(districts::code.eq("test_copy"))
            .select(districts::id)
            .first(conn)?;
        let written: Vec<NewObservation<'_>> = rows
            .iter()
            .zip(&keys)
            .map(|(r, key)| NewObservation {
                key,
                district_id: district,
                indicator_id: r.1,
                period_id: r.2,
                breakdown_id: r.3,
                kind: ObservationKind::parse(&r.4).unwrap(),
                base_period_id: r.5,
                value: r.6,
                value_text: &r.7,
                reported_unit: &r.8,
                qualifier: Qualifier::parse(&r.9).unwrap(),
                source_id: r.10,
                quote: &r.11,
                quote_start: r.12,
                quote_end: r.13,
                period_note: None,
                note: None,
                revision: 1,
                created_at: "2026-12-02T00:00:00Z",
                recorded_at: "2026-12-02T00:00:00Z",
                recorded_by: "test",
                change_reason: None,
            })
            .collect();
        let catalogue = check::Catalogue::load(conn)?;
        let after = check::max_observation_id(conn)?;
        ingest::bulk::observations(conn, &written)?;
        let upto = check::max_observation_id(conn)?;
        let read =
            check::refresh_new_district(conn, &catalogue, district, &written, (after, upto))?;
        assert_eq!(read, written.len());
        let copied = ids_with_findings(conn)
            .into_iter()
            .filter(|(d, _)| *d == district)
            .count();
        assert_eq!(
            copied, named,
            "the copy is named by as many findings as its original"
        );
        Ok(())
    })
    .unwrap();
    assert_eq!(stored_findings(&mut conn), full_findings(&mut conn));
}

/// Writes the observations of `source` in the seed DB as an import CSV.
fn export_source(conn: &mut DbConnection, source: &str) -> std::path::PathBuf {
    let codes = edustats::ingest::codes::Codes::load(conn).unwrap();
    let rows: Vec<edustats::db::models::Observation> = observations::table
        .inner_join(sources::table)
        .filter(sources::code.eq(source))
        .select(edustats::db::models::Observation::as_select())
        .order(observations::id.asc())
        .load(conn)
        .unwrap();
    assert!(!rows.is_empty());
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join(format!("{source}.csv"));
    let mut w = csv::Writer::from_path(&path).unwrap();
    for o in &rows {
        w.serialize(codes.row(o)).unwrap();
    }
    w.flush().unwrap();
    path
}

/// Chunk sizes the streamed import is tried with: the production size (the seed report fits
/// in one chunk), and sizes that put duplicates and corrections across chunk boundaries, down
/// to one row per chunk (every duplicate check then goes through the temporary tables).
const CHUNKS: [usize; 3] = [import::CSV_CHUNK, 7, 1];

#[test]
fn the_streamed_csv_import_equals_the_whole_file_import_on_the_seed_data() {
    let report = "dazu-2021-self-evaluation";
    let seeded = TestApp::seeded();
    let csv = export_source(&mut seeded.db.get().unwrap(), report);
    // Warehouses without that report's figures but with its source record.
    let load = || {
        let dir = crate::common::seeds_without(report);
        let app = TestApp::seeded_from(dir.path());
        let text = std::fs::read_to_string(
            crate::common::seeds_dir().join(format!("sources/{report}.txt")),
        )
        .unwrap();
        let record: toml::Value = toml::from_str(
            &std::fs::read_to_string(
                crate::common::seeds_dir().join(format!("sources/{report}.toml")),
            )
            .unwrap(),
        )
        .unwrap();
        let mut source: edustats::ingest::rows::SourceInput = record.try_into().unwrap();
        source.code = report.into();
        source.text = text;
        let bundle = ingest::read::LocatedBundle::structured(ingest::rows::Bundle {
            source: Some(source),
            observations: Vec::new(),
        });
        import::import(&mut app.db.get().unwrap(), &bundle, opts(None)).unwrap();
        app
    };
    let whole = load();
    let whole_report = {
        let mut conn = whole.db.get().unwrap();
        let input = ingest::read::import_file(&csv).unwrap();
        import::import(&mut conn, &input, opts(None)).unwrap()
    };
    assert!(!whole_report.created.is_empty());
    assert_eq!(whole_report.created_count, whole_report.created.len());
    assert!(!whole_report.keys_truncated);
    let mut a = whole.db.get().unwrap();
    // The whole-file import equals the seed load of the same report.
    assert_eq!(content(&mut a), content(&mut seeded.db.get().unwrap()));
    assert_eq!(
        stored_findings(&mut a).len(),
        stored_findings(&mut seeded.db.get().unwrap()).len()
    );
    for chunk in CHUNKS {
        let streamed = load();
        let mut b = streamed.db.get().unwrap();
        let streamed_report = import::import_csv_in_chunks(&mut b, &csv, opts(None), chunk)
            .unwrap_or_else(|e| panic!("chunks of {chunk}: {e}"));
        assert_eq!(whole_report, streamed_report, "chunks of {chunk}");
        assert_eq!(content(&mut a), content(&mut b), "chunks of {chunk}");
        assert_eq!(stored_findings(&mut b), full_findings(&mut b));
        // The temporary tables of the duplicate checks are gone with the import.
        assert!(
            import::import_csv_in_chunks(&mut b, &csv, opts(None), chunk)
                .is_ok_and(|r| r.created_count == 0 && r.unchanged == whole_report.created_count),
            "a second import of the same file changes nothing (chunks of {chunk})"
        );
    }
}

/// Problems in file order (a streamed import lists a chunk's problems against earlier chunks
/// after the chunk's other problems; the set is the same).
fn sorted(mut problems: Vec<ingest::Problem>) -> Vec<ingest::Problem> {
    problems.sort_by(|a, b| (a.line, &a.field, &a.message).cmp(&(b.line, &b.field, &b.message)));
    problems
}

#[test]
fn a_streamed_import_with_problems_lists_them_all_and_writes_nothing() {
    let report = "dazu-2021-self-evaluation";
    let seeded = TestApp::seeded();
    let csv = export_source(&mut seeded.db.get().unwrap(), report);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n = lines.len();
    assert!(n > 10, "the report has enough rows to span chunks of 7");
    // A key that already exists with other content, without a reason: a correction refused.
    lines[1] = lines[1].replacen(",actual,", ",target,", 1);
    // A duplicate key next to its first row, and one far from it (another chunk).
    lines.push(lines[n - 1].clone());
    lines.push(lines[2].clone());
    // The same figure under a new key, far from the first (a duplicate row, not a key).
    let (key, rest) = lines[3].split_once(',').unwrap();
    lines.push(format!("{key}-again,{rest}"));
    let bad = csv.with_file_name("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let mut conn = seeded.db.get().unwrap();
    let before = content(&mut conn);
    let whole = match ingest::read::import_file(&bad)
        .and_then(|input| import::import(&mut conn, &input, opts(None)))
    {
        Err(ingest::IngestError::Invalid(p)) => sorted(p),
        other => panic!("the whole-file import refuses the file: {other:?}"),
    };
    let messages = |p: &[ingest::Problem]| {
        p.iter()
            .map(|p| format!("{}:{} {}", p.line, p.field, p.message))
            .collect::<Vec<_>>()
    };
    let lines_at_fault: BTreeSet<u64> = whole.iter().map(|p| p.line).collect();
    assert_eq!(
        lines_at_fault,
        BTreeSet::from([2, n as u64 + 1, n as u64 + 2, n as u64 + 3]),
        "{:#?}",
        messages(&whole)
    );
    for chunk in CHUNKS {
        match import::import_csv_in_chunks(&mut conn, &bad, opts(None), chunk) {
            Err(ingest::IngestError::Invalid(p)) => {
                assert_eq!(messages(&sorted(p)), messages(&whole), "chunks of {chunk}")
            }
            other => panic!("chunks of {chunk}: refused expected: {other:?}"),
        }
        assert_eq!(content(&mut conn), before);
    }
}

/// Every observation of the warehouse as an import CSV under a new key, 30 years later (as
/// `bench/load.sh` makes its import file), in three passes over the table (ids ≡ 0, 1, 2 mod
/// 3), so that each source is named in three places far apart.
fn everything_again(conn: &mut DbConnection) -> (std::path::PathBuf, Vec<String>) {
    let codes = edustats::ingest::codes::Codes::load(conn).unwrap();
    let mut rows: Vec<edustats::db::models::Observation> = observations::table
        .select(edustats::db::models::Observation::as_select())
        .order(observations::id.asc())
        .load(conn)
        .unwrap();
    rows.sort_by_key(|o| o.id.0 % 3);
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("again.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    let mut keys = Vec::new();
    for o in &rows {
        let mut row = codes.row(o);
        row.key += "-again";
        row.period = (row.period.parse::<i32>().unwrap() + 30).to_string();
        keys.push(row.key.clone());
        w.serialize(row).unwrap();
    }
    w.flush().unwrap();
    (path, keys)
}

#[test]
fn a_large_streamed_import_reports_counts_and_says_its_key_lists_are_cut() {
    let (app, summary) = synth_app(Params {
        districts: 30,
        years: 4,
        indicators: 10,
        seed: 3,
    });
    let mut conn = app.db.get().unwrap();
    let (csv, keys) = everything_again(&mut conn);
    let n = keys.len();
    assert_eq!(n, summary.observations);
    assert!(n > 2 * ingest::rows::REPORT_KEYS, "{n} rows");
    // Chunks of 500 rows: a source's text is dropped when a chunk no longer names it, and read
    // again when a later chunk does.
    let report = import::import_csv_in_chunks(&mut conn, &csv, opts(None), 500).unwrap();
    assert_eq!(report.created_count, n);
    assert_eq!(report.created, keys[..ingest::rows::REPORT_KEYS].to_vec());
    assert!(report.keys_truncated);
    assert_eq!(report.corrected_count, 0);
    assert_eq!(count(&mut conn), 2 * n as i64);
    let detail: String = edustats::db::schema::audit_log::table
        .select(edustats::db::schema::audit_log::detail)
        .order(edustats::db::schema::audit_log::id.desc())
        .first(&mut conn)
        .unwrap();
    assert!(detail.contains(&format!("{n} new")), "{detail}");
    // A dry run of the same file again: every row is now stored, so all are unchanged.
    let again = import::import_csv_in_chunks(
        &mut conn,
        &csv,
        import::Options {
            dry_run: true,
            ..opts(None)
        },
        500,
    )
    .unwrap();
    assert_eq!((again.unchanged, again.created_count), (n, 0));
    assert!(!again.keys_truncated && again.created.is_empty());
}
