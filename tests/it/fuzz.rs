//! Fuzz targets (issue 24): the parsers and readers that take text from outside, run on generated
//! and arbitrary input. The toolchain is stable Rust, so there is no cargo-fuzz (libFuzzer needs
//! nightly); each target is a proptest property driven by [`fuzz`], which runs a small number of
//! cases in the test suite and, for a long run outside CI, batches of fresh random cases until a
//! time budget is spent (`scripts/fuzz`, RELIABILITY.md "Fuzzing").
//!
//! Every target checks that the code under test never panics and answers bad input with its
//! typed error; where the code promises more, the target checks that too: a breakdown or a period
//! printed and parsed again is the same value, an import bundle written and read back holds the
//! same rows, figures and proposals lie inside the text they came from, and extraction time grows
//! about linearly with the length of the text.
//!
//! Knobs (environment):
//! - `FUZZ_CASES` (or proptest's `PROPTEST_CASES`): cases per batch; the default is each target's
//!   CI count, small enough that every target together takes a few seconds in release mode.
//! - `FUZZ_SECONDS`: run batches until this many seconds have passed (per target), keep going
//!   after a failure (each one is shrunk, printed and written to `fuzz.proptest-regressions`),
//!   then fail if any batch failed.
//!
//! Each target prints one line, `fuzz-result <target> cases=<n> failures=<n> seconds=<s>`,
//! which `scripts/fuzz` collects (run with `--nocapture` to see it).

use std::cell::Cell;
use std::fmt::Debug;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use edustats::domain::{Breakdown, ObservationKind, SeriesSpec};
use edustats::extract::{self, figures, tables, Knowledge, Options};
use edustats::ingest::period::parse_period;
use edustats::ingest::quantity::parse_quantity;
use edustats::ingest::rows::{Bundle, ObservationRow, SourceInput};
use edustats::ingest::{read, seed};
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, TestCaseResult, TestError, TestRunner,
};

/// Reads a positive number from the environment.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// Runs `test` on values of `strategy`: `ci_cases` cases (or `FUZZ_CASES`, or `PROPTEST_CASES`),
/// once, or batches of them until `FUZZ_SECONDS` have passed. Prints the `fuzz-result` line and
/// fails the test when any case failed, with the shrunk input.
fn fuzz<S>(name: &str, ci_cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let cases = env_number("FUZZ_CASES")
        .or_else(|| env_number("PROPTEST_CASES"))
        .map_or(ci_cases, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let budget = env_number("FUZZ_SECONDS").map(Duration::from_secs);
    let config = Config {
        cases,
        // Failures are kept next to this file and replayed first on every later run.
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        // A long run must not spend its budget shrinking one input.
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let started = Instant::now();
    let count = Cell::new(0u64);
    let mut failures: Vec<String> = Vec::new();
    loop {
        // A fresh runner per batch: a fresh random seed, and a fresh count of successes.
        let mut runner = TestRunner::new(config.clone());
        let result = runner.run(&strategy, |value| {
            count.set(count.get() + 1);
            test(value)
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(why, value)) => {
                let failure = format!("{why}; minimal input: {value:?}");
                eprintln!("fuzz {name}: FAILED: {failure}");
                failures.push(failure);
            }
            Err(TestError::Abort(why)) => failures.push(format!("aborted: {why}")),
        }
        match budget {
            Some(b) if started.elapsed() < b => continue,
            _ => break,
        }
    }
    println!(
        "fuzz-result {name} cases={} failures={} seconds={:.1}",
        count.get(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "fuzz {name}: {failures:#?}");
}

/// The knowledge of every seed report, as extraction uses it in production.
static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    let data = seed::load_dir(&crate::common::seeds_dir()).expect("seeds");
    Knowledge::from_dataset(&data, None)
});

/// Words, units and marks of the reports: what the figure finder, the matcher and the tables
/// look for, and what they must not mistake for a figure.
const WORDS: &[&str] = &[
    "全区",
    "共有",
    "学校",
    "所",
    "学生",
    "在校学生",
    "在校学生数",
    "教师",
    "专任教师",
    "幼儿园",
    "小学",
    "初中",
    "高中",
    "中职",
    "义务教育",
    "学前教育",
    "普及率",
    "巩固率",
    "入园率",
    "生均",
    "一般公共预算",
    "教育经费",
    "支出",
    "投入",
    "公办",
    "民办",
    "其中",
    "其中：",
    "达到",
    "为",
    "共",
    "新增",
    "新建",
    "改扩建",
    "学位",
    "班额",
    "大班额",
    "近视率",
    "体质健康",
    "优良率",
    "超过",
    "不低于",
    "不少于",
    "不足",
    "不到",
    "约",
    "近",
    "逾",
    "余",
    "多",
    "以上",
    "以下",
    "左右",
    "下降",
    "下降了",
    "增长",
    "增长了",
    "提高",
    "减少",
    "排第",
    "第",
    "名列",
    "位",
    "名",
    "届",
    "号",
    "〔",
    "〕",
    "《",
    "》",
    "“",
    "”",
    "\"",
    "（",
    "）",
    "(",
    ")",
    "系数",
    "差异系数",
    "每",
    "每年",
    "每生",
    "一批",
    "一所",
    "两项",
    "五大",
    "十四五",
    "规划",
    "时期",
    "近三年",
    "以来",
    "年度",
    "年底",
    "年初",
    "月",
    "日",
    "岁",
    "周岁",
    "3—6岁",
    "比",
    "分之",
    "百分之",
    "个百分点",
    "倍",
    "成",
    "—",
    "-",
    "~",
    "至",
    "：",
    ":",
    "，",
    "。",
    "；",
    "、",
    "！",
    "？",
    " ",
    "\u{3000}",
    "\t",
    "\n",
    "\r\n",
    "\n\n",
];

/// Units as reports print them (most are in the catalogue, some are not).
const UNITS: &[&str] = &[
    "人",
    "名",
    "所",
    "个",
    "%",
    "％",
    "‰",
    "万元",
    "亿元",
    "元",
    "万人",
    "万",
    "亿",
    "平方米",
    "间",
    "台",
    "册",
    "项",
    "条",
    "年",
    "天",
    "小时",
    "次",
    "班",
    "张",
    "套",
    "亩",
    "千米",
];

/// Table lines: headers naming years (value columns), labels with units, value and empty cells.
const TABLE_LINES: &[&str] = &[
    "指标\n",
    "\t2025年目标\n",
    "\t2025年主要目标\n",
    "\t2023年完成\n",
    "\t2023年1—6月完成\n",
    "\t2022年预期\n",
    "2021年\n",
    "\t在校学生数（万人）\n",
    "\t专任教师数（人）\n",
    "\t学前三年毛入园率（%）\n",
    "\t其中：普通小学\n",
    "学前\n",
    "教育\n",
    "\t7.2\n",
    "\t6.5\n",
    "\t98.5%\n",
    "\t≥95\n",
    "\t*\n",
    "\t—\n",
    "\t/\n",
    "\t\n",
];

/// Lines of a report's head: title, issuer, document number, date.
const META: &[&str] = &[
    "重庆市大渡口区人民政府\n",
    "大渡口区人民政府关于2022年度履行教育职责情况的自评报告\n",
    "关于2023年度履行教育职责的整改方案\n",
    "渝大府〔2023〕5号\n",
    "大渡口府发〔2022〕12号\n",
    "2023年3月1日\n",
    "二〇二三年三月一日\n",
    "重庆市渝中区教育委员会\n",
    "江北区\n",
    "沙坪坝区\n",
    "九龙坡区\n",
    "统计公报\n",
    "一、基本情况\n",
    "（二）存在问题\n",
];

/// One piece of a report-like text.
fn fragment() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(WORDS).prop_map(str::to_string),
        3 => "[0-9]{1,7}([.．,，][0-9]{1,3})?",
        1 => "(19|20)[0-9]{2}年",
        1 => "[０-９]{1,4}",
        2 => "[零〇一二两三四五六七八九十百千万亿点]{1,6}",
        3 => prop::sample::select(UNITS).prop_map(str::to_string),
        1 => prop::sample::select(TABLE_LINES).prop_map(str::to_string),
        1 => prop::sample::select(META).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
    .boxed()
}

/// Longest generated text, in characters: a few KB, the size a property should handle in
/// milliseconds.
const MAX_TEXT: usize = 6000;

/// Report-like text: a sequence of fragments; a short sequence repeated into a long run (the
/// shape that exposes quadratic scans); or arbitrary bytes read as UTF-8 with replacement.
fn report_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(fragment(), 0..120).prop_map(|p| p.concat()),
        2 => (prop::collection::vec(fragment(), 1..5), 1usize..1500).prop_map(|(p, n)| {
            p.concat().repeat(n).chars().take(MAX_TEXT).collect()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..400)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "\\PC{0,200}",
    ]
}

/// A short expression, as the quantity parser gets it (a printed figure with its words).
fn quantity_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(fragment(), 0..8).prop_map(|p| p.concat()),
        1 => (prop::collection::vec(fragment(), 1..3), 1usize..400)
            .prop_map(|(p, n)| p.concat().repeat(n).chars().take(MAX_TEXT).collect()),
        1 => prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// How long one call on a few KB may take before it counts as a blow-up: generous, so that a
/// loaded CI machine does not trip it, yet far below what a quadratic scan of 6,000 characters
/// cost (tens of seconds). The unoptimised dev profile is about ten times slower.
const SLOW: Duration = Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 6 });

#[test]
fn fuzz_quantity_parser() {
    fuzz("quantity_parser", 1500, quantity_text(), |text| {
        let parsed = in_time(text.len(), "chars", || parse_quantity(&text))?;
        match parsed {
            Ok(q) => {
                prop_assert!(q.value.is_finite(), "{text:?} -> {q:?}");
                for n in &q.numerals {
                    prop_assert!(text.contains(n.as_str()), "{text:?} -> numeral {n:?}");
                }
                // Parsing is a function of the text.
                prop_assert_eq!(parse_quantity(&text), Ok(q));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        Ok(())
    });
}

/// Runs `f`, failing the case when it takes [`SLOW`] or more on an input of `size` `unit`.
fn in_time<T>(size: usize, unit: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    prop_assert!(took < SLOW, "{size} {unit} took {took:?}");
    Ok(out)
}

/// Checks the offsets of a figure against the text it came from.
fn check_figure(f: &figures::Figure, len: usize) -> TestCaseResult {
    prop_assert!(
        f.start <= f.number_start && f.number_start < f.end && f.end <= len,
        "{f:?}"
    );
    prop_assert!(f.clause.0 <= f.clause.1 && f.clause.1 <= len, "{f:?}");
    prop_assert!(f.sentence.0 <= f.sentence.1 && f.sentence.1 <= len, "{f:?}");
    prop_assert!(!f.value.is_empty(), "{f:?}");
    Ok(())
}

#[test]
fn fuzz_figure_finder() {
    fuzz("figure_finder", 400, report_text(), |text| {
        let chars: Vec<char> = text.chars().collect();
        let found = in_time(chars.len(), "chars", || figures::find(&chars, &KNOWLEDGE))?;
        for f in &found {
            check_figure(f, chars.len())?;
            prop_assert!(f.column.is_none());
        }
        // In text order, one after the other.
        for w in found.windows(2) {
            prop_assert!(w[0].end <= w[1].start, "{:?} then {:?}", w[0], w[1]);
        }
        Ok(())
    });
}

#[test]
fn fuzz_table_reader() {
    fuzz("table_reader", 400, report_text(), |text| {
        let chars: Vec<char> = text.chars().collect();
        let found = in_time(chars.len(), "chars", || tables::find(&chars, &KNOWLEDGE))?;
        for f in &found {
            check_figure(f, chars.len())?;
            prop_assert!(f.column.is_some(), "{f:?}");
        }
        Ok(())
    });
}

/// Breakdown text: the grammar's own characters, names and anything else.
fn breakdown_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec![
                    "=", ";", " ", "\t", "\u{3000}", "{", "}", "stage", "primary", "ownership",
                    "public", "area", "urban", "学前", "a", "b", "=;", ";;", "==",
                ])
                .prop_map(str::to_string),
                1 => any::<char>().prop_map(|c| c.to_string()),
            ],
            0..16,
        )
        .prop_map(|p| p.concat()),
        1 => "\\PC{0,40}",
    ]
}

#[test]
fn fuzz_breakdown_parser() {
    fuzz("breakdown_parser", 2000, breakdown_text(), |text| {
        match text.parse::<Breakdown>() {
            Ok(b) => {
                let printed = b.to_string();
                let again: Breakdown = printed.parse().map_err(|e| {
                    TestCaseError::fail(format!("{text:?} printed as {printed:?}: {e}"))
                })?;
                prop_assert_eq!(&again, &b, "{:?} printed as {:?}", text, printed);
                prop_assert_eq!(again.to_string(), printed);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        // The same text as a series: `code{…}`.
        if let Ok(s) = format!("x{{{text}}}").parse::<SeriesSpec>() {
            let printed = s.to_string();
            let again: SeriesSpec = printed.parse().map_err(|e| {
                TestCaseError::fail(format!("{text:?} printed as {printed:?}: {e}"))
            })?;
            prop_assert_eq!(again, s, "{:?} printed as {:?}", text, printed);
        }
        if let Ok(s) = text.parse::<SeriesSpec>() {
            let printed = s.to_string();
            let again: SeriesSpec = printed.parse().map_err(|e| {
                TestCaseError::fail(format!("{text:?} printed as {printed:?}: {e}"))
            })?;
            prop_assert_eq!(again, s, "{:?} printed as {:?}", text, printed);
        }
        Ok(())
    });
}

#[test]
fn fuzz_breakdown_pairs() {
    // The pairs of a GraphQL breakdown argument: whatever a client sends.
    let pair = (breakdown_text(), breakdown_text());
    fuzz(
        "breakdown_pairs",
        1000,
        prop::collection::vec(pair, 0..4),
        |pairs| {
            if let Ok(b) =
                Breakdown::from_pairs(pairs.iter().map(|(d, m)| (d.as_str(), m.as_str())))
            {
                // What a client may pass is what the text form can say: it prints and parses back.
                let printed = b.to_string();
                let again: Breakdown = printed.parse().map_err(|e| {
                    TestCaseError::fail(format!("{pairs:?} printed as {printed:?}: {e}"))
                })?;
                prop_assert_eq!(again, b, "{:?} printed as {:?}", pairs, printed);
            }
            Ok(())
        },
    );
}

/// Period text: the grammar's pieces (years, months, `-`, `..`) and anything else.
fn period_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(
            prop_oneof![
                3 => "(19|20|21)[0-9]{2}",
                2 => "(0[0-9]|1[0-3]|[0-9])",
                3 => prop::sample::select(vec!["-", "..", ".", " ", "年", "月", "１", "２"])
                    .prop_map(str::to_string),
                1 => any::<char>().prop_map(|c| c.to_string()),
            ],
            0..6,
        )
        .prop_map(|p| p.concat()),
        1 => "\\PC{0,20}",
    ]
}

#[test]
fn fuzz_period_parser() {
    fuzz("period_parser", 2000, period_text(), |text| {
        match parse_period(&text) {
            Ok(p) => {
                prop_assert_eq!(p.code.as_str(), text.trim());
                prop_assert!(p.start <= p.end, "{p:?}");
                let year = p.year.to_string();
                prop_assert_eq!(&p.end[..4], year.as_str(), "{:?}", p);
                prop_assert!((1949..=2100).contains(&p.year), "{p:?}");
                // The code is canonical: it parses to the same period.
                prop_assert_eq!(parse_period(&p.code), Ok(p.clone()));
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
        Ok(())
    });
}

/// Column names of the import format, and cells that are valid, nearly valid or hostile.
const CSV_HEADER: &str =
    "key,district,indicator,period,period_note,breakdown,kind,base_period,value,unit,quote,note";
const CSV_TOKENS: &[&str] = &[
    ",",
    ",",
    ",",
    "\n",
    "\r\n",
    "\r",
    "\"",
    "\"\"",
    "'",
    "'=",
    "=SUM(A1)",
    "-",
    "+",
    "@",
    "\t",
    " ",
    "key",
    "kind",
    "value",
    "actual",
    "target",
    "change",
    "growth",
    "rank",
    "500104",
    "schools",
    "2022",
    "2023-01..2023-06",
    "stage=primary",
    "20余",
    "1,234",
    "人",
    "所",
    "%",
    "全区共有学校269所",
    "\u{feff}",
    "\0",
    "é",
    "学",
];

/// Bytes of a CSV import: arbitrary, or a header (maybe) and rows made of the tokens above.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        3 => (
            prop::bool::weighted(0.8),
            prop::collection::vec(
                prop_oneof![
                    6 => prop::sample::select(CSV_TOKENS).prop_map(|t| t.as_bytes().to_vec()),
                    1 => any::<u8>().prop_map(|b| vec![b]),
                ],
                0..120,
            ),
        )
            .prop_map(|(header, tokens)| {
                let mut out = if header {
                    format!("{CSV_HEADER}\n").into_bytes()
                } else {
                    Vec::new()
                };
                out.extend(tokens.concat());
                out
            }),
    ]
}

/// Keys and values of an import bundle, nearly right or wrong.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let key = prop_oneof![
        3 => prop::sample::select(vec![
            "source", "observations", "key", "district", "indicator", "period", "kind", "value",
            "unit", "quote", "note", "breakdown", "period_note", "base_period", "code",
            "title_zh", "title_en", "issuer", "text", "review_year", "date",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "actual", "target", "2022", "500104", "schools", "人", ""
        ])
        .prop_map(|s| json!(s)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Bytes of a JSON import: arbitrary, a generated document, or one cut short or spliced.
fn json_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        2 => (json_value(), any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(v, at, junk)| {
                let mut text = serde_json::json!({ "observations": [v] }).to_string().into_bytes();
                let at = at.index(text.len() + 1);
                text.truncate(at);
                text.extend(junk);
                text
            }),
    ]
}

/// Reads `bytes` as an import file with the given extension; checks the invariants of the
/// result whatever it is.
fn import_bytes(
    bytes: &[u8],
    extension: &str,
) -> Result<Option<read::LocatedBundle>, TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let path = dir.path().join(format!("import.{extension}"));
    std::fs::write(&path, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let result = in_time(bytes.len(), "bytes", || read::import_file(&path))?;
    match result {
        Ok(b) => {
            prop_assert_eq!(b.places.len(), b.bundle.observations.len());
            for p in &b.problems {
                prop_assert!(!p.message.is_empty(), "{p:?}");
            }
            Ok(Some(b))
        }
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            Ok(None)
        }
    }
}

#[test]
fn fuzz_csv_import_reader() {
    fuzz("csv_import_reader", 300, csv_bytes(), |bytes| {
        import_bytes(&bytes, "csv")?;
        // The seed readers share the CSV code with other row types.
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut problems = Vec::new();
        let _ = read::csv_file::<edustats::ingest::rows::IndicatorRow>(&path, "x", &mut problems);
        let _ = read::csv_file::<edustats::ingest::rows::StandardRow>(&path, "x", &mut problems);
        Ok(())
    });
}

#[test]
fn fuzz_json_import_reader() {
    fuzz("json_import_reader", 300, json_bytes(), |bytes| {
        import_bytes(&bytes, "json")?;
        Ok(())
    });
}

/// Any text a field may hold: the import readers must hand it back as written.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,12}",
        1 => prop::sample::select(CSV_TOKENS).prop_map(str::to_string),
        1 => prop::collection::vec(prop::sample::select(CSV_TOKENS), 0..5).prop_map(|t| t.concat()),
    ]
}

/// An observation row with arbitrary text in every field.
fn observation_row() -> impl Strategy<Value = ObservationRow> {
    let text = || cell();
    let opt = || prop::option::of(cell());
    (
        (text(), text(), text(), text(), opt(), opt()),
        prop::sample::select(ObservationKind::all()),
        (opt(), text(), text(), text(), opt(), opt()),
    )
        .prop_map(
            |((key, district, indicator, period, period_note, breakdown), kind, rest)| {
                let (base_period, value, unit, quote, note, source) = rest;
                ObservationRow {
                    key,
                    district,
                    indicator,
                    period,
                    period_note,
                    breakdown,
                    kind,
                    base_period,
                    value,
                    unit,
                    quote,
                    note,
                    source,
                }
            },
        )
}

#[test]
fn fuzz_json_bundle_round_trip() {
    let source = prop::option::of(
        (
            cell(),
            cell(),
            cell(),
            "\\PC{0,80}",
            prop::option::of(any::<i32>()),
        )
            .prop_map(
                |(code, title_zh, district, text, review_year)| SourceInput {
                    code,
                    title_zh,
                    title_en: "SYNTHETIC".into(),
                    issuer: "SYNTHETIC".into(),
                    district,
                    doc_number: None,
                    date: None,
                    kind: "statistics".into(),
                    review_year,
                    note: Some("SYNTHETIC".into()),
                    text,
                },
            ),
    );
    let bundle = (source, prop::collection::vec(observation_row(), 0..4));
    fuzz(
        "json_bundle_round_trip",
        200,
        bundle,
        |(source, observations)| {
            let written = Bundle {
                source,
                observations,
            };
            let bytes =
                serde_json::to_vec(&written).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let read = import_bytes(&bytes, "json")?
                .ok_or_else(|| TestCaseError::fail("a written bundle is refused"))?;
            prop_assert!(read.problems.is_empty(), "{:?}", read.problems);
            prop_assert_eq!(read.bundle.source, written.source);
            prop_assert_eq!(read.bundle.observations, written.observations);
            Ok(())
        },
    );
}

/// A cell as the CSV import reads it back: cells are trimmed, and an empty optional cell is
/// absent. Rows are generated in that form, so the round trip can be exact.
fn as_read(row: ObservationRow) -> ObservationRow {
    let opt = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ObservationRow {
        key: row.key.trim().to_string(),
        district: row.district.trim().to_string(),
        indicator: row.indicator.trim().to_string(),
        period: row.period.trim().to_string(),
        period_note: opt(row.period_note),
        breakdown: opt(row.breakdown),
        kind: row.kind,
        base_period: opt(row.base_period),
        value: row.value.trim().to_string(),
        unit: row.unit.trim().to_string(),
        quote: row.quote.trim().to_string(),
        note: opt(row.note),
        source: opt(row.source),
    }
}

#[test]
fn fuzz_csv_rows_round_trip() {
    let rows = prop::collection::vec(observation_row().prop_map(as_read), 1..4);
    fuzz("csv_rows_round_trip", 200, rows, |rows| {
        // Written as the export writes cells (neutralised against spreadsheet formulas).
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = CSV_HEADER.split(',').collect();
        header.push("source");
        w.write_record(&header)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for r in &rows {
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            let cells = [
                r.key.clone(),
                r.district.clone(),
                r.indicator.clone(),
                r.period.clone(),
                o(&r.period_note),
                o(&r.breakdown),
                r.kind.as_str().to_string(),
                o(&r.base_period),
                r.value.clone(),
                r.unit.clone(),
                r.quote.clone(),
                o(&r.note),
                o(&r.source),
            ];
            w.write_record(
                cells
                    .iter()
                    .map(|c| edustats::csv_cell::neutralise(c).into_owned()),
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let read = import_bytes(&bytes, "csv")?
            .ok_or_else(|| TestCaseError::fail("a written file is refused"))?;
        prop_assert!(read.problems.is_empty(), "{:?}", read.problems);
        prop_assert_eq!(read.bundle.observations, rows);
        Ok(())
    });
}

/// Extraction options: the district given (known or not) or read from the text, and a source
/// code given (valid or not) or derived.
fn options() -> impl Strategy<Value = Options> {
    let district = prop_oneof![
        3 => Just(Some("500104".to_string())),
        1 => Just(None),
        1 => "\\PC{0,8}".prop_map(Some),
    ];
    let code = prop_oneof![
        3 => Just(None),
        1 => Just(Some("synthetic-fuzz".to_string())),
        1 => "\\PC{0,12}".prop_map(Some),
    ];
    (district, code).prop_map(|(district, code)| Options {
        district,
        code,
        ..Default::default()
    })
}

/// Checks an extraction of `text`: proposals and unmatched figures quote the text they point
/// at, keys are numbered in order, confidences are in [0, 1].
fn check_extraction(text: &str, ex: &extract::Extraction) -> TestCaseResult {
    let chars: Vec<char> = text.chars().collect();
    for (i, p) in ex.observations.iter().enumerate() {
        prop_assert!(
            p.quote_start <= p.quote_end && p.quote_end <= chars.len(),
            "{p:?}"
        );
        prop_assert!((0.0..=1.0).contains(&p.confidence), "{p:?}");
        prop_assert!(p.row.key.ends_with(&format!("-x{:03}", i + 1)), "{p:?}");
        let quoted: String = chars[p.quote_start..p.quote_end].iter().collect();
        prop_assert_eq!(&p.row.quote, &quoted, "{:?}", p);
        prop_assert!(p
            .row
            .breakdown
            .as_deref()
            .is_none_or(|b| b.parse::<Breakdown>().is_ok()));
        // Empty when no year is stated or inferable (the reviewer fills it in), else a period.
        prop_assert!(
            p.row.period.is_empty() || parse_period(&p.row.period).is_ok(),
            "{p:?}"
        );
    }
    for u in &ex.unmatched {
        prop_assert!(
            u.quote_start <= u.quote_end && u.quote_end <= chars.len(),
            "{u:?}"
        );
    }
    prop_assert_eq!(&ex.source.text, text);
    Ok(())
}

#[test]
fn fuzz_extraction() {
    fuzz(
        "extraction",
        150,
        (report_text(), options()),
        |(text, opts)| {
            let result = in_time(text.len(), "chars", || {
                extract::extract(&text, &KNOWLEDGE, &opts)
            })?;
            match result {
                Ok(ex) => check_extraction(&text, &ex)?,
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        },
    );
}

/// The least CPU time of two runs of `f` (see [`edustats::timing`]).
fn cpu_time_of(f: impl Fn()) -> std::time::Duration {
    edustats::timing::least_cpu_time(2, f)
}

/// `fragment` repeated until it is `n` characters long.
fn run_of(fragment: &str, n: usize) -> String {
    fragment.chars().cycle().take(n).collect()
}

#[test]
fn fuzz_extraction_time_is_linear() {
    // A long run of one report-like piece, at two lengths eight times apart: linear work takes
    // about 8 times as long, quadratic work 64 times. The bound, 24, leaves room for noise and
    // for the spans that grow up to their bound (figures::REACH) and catches anything quadratic.
    let piece = prop::collection::vec(fragment(), 1..6)
        .prop_map(|p| p.concat())
        .prop_filter("not blank", |p| !p.trim().is_empty());
    fuzz("extraction_time_is_linear", 3, piece, |piece| {
        let opts = Options {
            district: Some("500104".into()),
            ..Options::default()
        };
        let (short, long) = (run_of(&piece, 500), run_of(&piece, 4000));
        let time = |text: &str| {
            cpu_time_of(|| {
                let _ = extract::extract(text, &KNOWLEDGE, &opts);
            })
        };
        let (t_short, t_long) = (time(&short), time(&long));
        // Below a millisecond the ratio is noise; a blow-up takes far longer than that.
        let floor = Duration::from_millis(1);
        let ratio = t_long.as_secs_f64() / t_short.max(floor).as_secs_f64();
        prop_assert!(
            ratio < 24.0 || t_long < Duration::from_millis(20),
            "{piece:?}: 500 chars {t_short:?}, 4,000 chars {t_long:?} (x{ratio:.1})"
        );
        Ok(())
    });
}

#[test]
fn extraction_proposes_no_period_the_import_refuses() {
    // The minimal input of a fuzzing failure: `1900年` in the title made 1900 the year reviewed,
    // and the proposal's period `1900` is no period (years 1949–2100), so publishing the draft
    // would have been refused.
    let opts = Options {
        district: Some("500104".into()),
        ..Options::default()
    };
    let text = "1900年大渡口府发〔2022〕12号\n０万学校";
    let ex = extract::extract(text, &KNOWLEDGE, &opts).expect("extraction");
    assert!(!ex.observations.is_empty());
    for p in &ex.observations {
        assert!(p.row.period.is_empty(), "{p:?}");
        assert!(
            p.row
                .period_note
                .as_deref()
                .is_some_and(|n| n.contains("1900")),
            "{p:?}"
        );
    }
}
