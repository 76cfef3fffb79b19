//! Property tests (proptest) on generated input: the quantity parser, breakdown parsing, CSV
//! import and the GraphQL endpoint never panic; a breakdown that parses prints back to itself;
//! an import writes every row or none; the API answers bad arguments with a code other than
//! INTERNAL. Case counts are modest to keep CI short.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::TestApp;
use edustats::domain::Breakdown;
use edustats::ingest::{self, quantity::parse_quantity};
use proptest::prelude::*;
use serde_json::json;

/// Strings with what the parsers meet: digits, Chinese numerals and units, separators,
/// operators, whitespace, and any character at all.
fn messy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(vec![
                "0", "1", "9", "12", "3.5", ".", ",", "，", "%", "％", "‰", "万", "亿", "千", "百",
                "十", "零", "一", "二", "两", "三", "半", "余", "约", "近", "超过", "以上", "不足",
                "个百分点", "倍", "成", ":", "：", "比", "-", "—", "~", "至", "+", "e", "E",
                "=", ";", "{", "}", "stage", "preschool", " ", "\t", "\u{3000}", "(", ")",
            ])
            .prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn quantity_parser_never_panics_and_values_are_finite(text in messy()) {
        if let Ok(q) = parse_quantity(&text) {
            prop_assert!(q.value.is_finite(), "{text:?} -> {q:?}");
            // Every numeral it reports was in the input as written.
            for n in &q.numerals {
                prop_assert!(text.contains(n.as_str()), "{text:?} -> numeral {n:?}");
            }
        }
    }

    #[test]
    fn plain_decimals_parse_to_their_value(int in 0u64..10_000_000, frac in 0u32..100) {
        let text = format!("{int}.{frac:02}");
        let q = parse_quantity(&text).expect("a plain decimal parses");
        let want: f64 = text.parse().expect("f64");
        prop_assert!((q.value - want).abs() < 1e-9, "{text} -> {}", q.value);
    }

    #[test]
    fn breakdowns_never_panic_and_round_trip(text in messy()) {
        if let Ok(b) = text.parse::<Breakdown>() {
            let printed = b.to_string();
            let again: Breakdown = printed.parse().expect("a printed breakdown parses");
            prop_assert_eq!(&again, &b, "{:?} printed as {:?}", text, printed);
        }
    }

    #[test]
    fn generated_breakdowns_round_trip(
        pairs in prop::collection::btree_map("[a-z_]{1,8}", "[a-z0-9_]{1,8}", 0..4)
    ) {
        let b = Breakdown::from_pairs(pairs.iter().map(|(d, m)| (d.as_str(), m.as_str())))
            .expect("distinct dimensions");
        let again: Breakdown = b.to_string().parse().expect("parses");
        prop_assert_eq!(again, b);
    }
}

static KEY: AtomicUsize = AtomicUsize::new(0);

/// A real seed row (the import format) with a fresh key, so that it can be imported again.
fn seed_rows() -> Vec<csv::StringRecord> {
    let path = crate::common::seeds_dir().join("observations/dadukou-2020-self-evaluation.csv");
    let mut r = csv::Reader::from_path(path).expect("seed csv");
    r.records().map(|x| x.expect("row")).take(20).collect()
}

/// Writes a CSV of rows, some real, some with one field replaced by generated text.
fn write_import(
    dir: &std::path::Path,
    rows: &[(usize, Option<(usize, String)>)],
) -> std::path::PathBuf {
    let seeds = seed_rows();
    let path = dir.join(format!(
        "import-{}.csv",
        KEY.fetch_add(1, Ordering::Relaxed)
    ));
    let mut w = csv::Writer::from_path(&path).expect("csv");
    w.write_record([
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
    ])
    .expect("header");
    for (pick, corrupt) in rows {
        let mut rec: Vec<String> = seeds[pick % seeds.len()]
            .iter()
            .map(str::to_string)
            .collect();
        rec[0] = format!("prop-{}", KEY.fetch_add(1, Ordering::Relaxed));
        if let Some((field, text)) = corrupt {
            let n = rec.len();
            rec[field % n] = text.clone();
        }
        w.write_record(&rec).expect("row");
    }
    w.flush().expect("flush");
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn csv_import_writes_every_row_or_none(
        rows in prop::collection::vec(
            (0usize..20, prop::option::weighted(0.3, (0usize..12, messy()))),
            1..6,
        )
    ) {
        thread_local! {
            static APP: TestApp = TestApp::seeded();
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = write_import(dir.path(), &rows);
        APP.with(|app| {
            let mut conn = app.db.get().expect("connection");
            let count = |conn: &mut edustats::db::DbConnection| {
                edustats::db::queries::observations_page(
                    conn,
                    &edustats::db::queries::ObservationQuery::default(),
                    None,
                    0,
                )
                .expect("count")
                .1
            };
            let before = count(&mut conn);
            let result = ingest::read::import_file(&path).and_then(|b| {
                ingest::import::import(
                    &mut conn,
                    &b,
                    ingest::import::Options {
                        actor: "proptest",
                        reason: None,
                        dry_run: false,
                        default_source: Some("dadukou-2020-self-evaluation"),
                    },
                )
            });
            let after = count(&mut conn);
            match result {
                Ok(report) => {
                    prop_assert_eq!(
                        report.created.len() + report.corrected.len() + report.unchanged,
                        rows.len()
                    );
                    prop_assert_eq!(after - before, report.created.len() as i64);
                }
                Err(_) => prop_assert_eq!(after, before, "a refused import wrote rows"),
            }
            Ok(())
        })?;
    }
}

/// Arguments a client might send as literal strings, escaped into the document.
fn argument() -> impl Strategy<Value = String> {
    prop_oneof![messy(), "\\PC{0,40}", Just("x".repeat(1001))]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_api_never_answers_internal_to_generated_arguments(
        arg in argument(),
        which in 0usize..6,
    ) {
        thread_local! {
            static APP: TestApp = TestApp::seeded();
            static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
        }
        let queries = [
            "query($a: String!) { ranking(indicator: $a, year: 2022) { coverage } }",
            "query($a: String!) { district(code: $a) { nameEn } }",
            "query($a: String!) { indicators(search: $a) { code } }",
            "query($a: String!) { observations(first: 3, filter: { breakdown: [{ dimension: $a, member: $a }] }) { totalCount } }",
            "query($a: String!) { observations(first: 3, after: $a) { totalCount } }",
            "query($a: String!) { timeSeries(indicator: \"schools\", district: $a) { points { year } } }",
        ];
        let v = APP.with(|app| RT.with(|rt| rt.block_on(app.graphql(queries[which], json!({ "a": arg })))));
        if let Some(errors) = v.get("errors").and_then(|e| e.as_array()) {
            for e in errors {
                let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
                prop_assert!(code != "INTERNAL" && code != "<none>", "{}: {}", queries[which], v);
            }
        }
    }
}
