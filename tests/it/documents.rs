//! Report files in every format the extractor reads (`tests/fixtures/documents`, made from the
//! rongchang-2022 seed report by `scripts/make-document-fixtures`): `edustats extract` reads
//! each good file and refuses each bad one (exit code 2, a message naming the file and the
//! problem, no output written); `extractReport(file:)` creates a draft from a base64 .docx and
//! refuses a damaged file with `BAD_USER_INPUT`, creating nothing; the .txt, .html, .docx and
//! .pdf of one report give the same (value, indicator) proposals, nearly.

use std::collections::BTreeSet;
use std::path::PathBuf;

use base64::Engine;
use edustats::auth::Role;
use edustats::document::{self, Format, ReadError, ReadLimits};
use edustats::extract::{self, Knowledge, Options};
use serde_json::{json, Value};

use crate::common::TestApp;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/documents")
        .join(name)
}

/// Runs `edustats extract FILE -o OUT`; returns the exit code, standard error and the output
/// file's content, if one was written.
fn extract_cli(
    url: &str,
    file: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, String, Option<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .arg("extract")
        .arg(file)
        .arg("-o")
        .arg(&out)
        .args(extra)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    let written = std::fs::read_to_string(&out)
        .ok()
        .map(|s| serde_json::from_str(&s).unwrap());
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
        written,
    )
}

#[test]
fn the_cli_extracts_every_readable_format() {
    let app = TestApp::seeded();
    for (name, extra) in [
        ("rongchang-2022.html", &[][..]),
        ("rongchang-2022-gbk.html", &[]),
        ("rongchang-2022.docx", &[]),
        ("rongchang-2022.pdf", &[]),
        ("rongchang-2022-gbk.txt", &[]),
        ("rongchang-2022-utf16.txt", &[]),
        // The table alone names no district.
        ("rongchang-2022-table.xlsx", &["--district", "500153"]),
        ("rongchang-2022-table.xls", &["--district", "500153"]),
        ("rongchang-2022-table.csv", &["--district", "500153"]),
    ] {
        let (code, err, out) = extract_cli(&app.url, &fixture(name), extra);
        assert_eq!(code, Some(0), "{name}: {err}");
        let out = out.unwrap_or_else(|| panic!("{name}: no output"));
        let n = out["observations"].as_array().map_or(0, Vec::len);
        assert!(n >= 20, "{name}: {n} proposals\n{err}");
        assert_eq!(out["source"]["district"], "500153", "{name}");
    }
}

/// Issue 22, item 5: a folder of reports gives one bundle per report, a line of progress per
/// report, the reports that cannot be read named and skipped (exit code 2 at the end), and a
/// report already in the warehouse or earlier in the batch named as such.
#[test]
fn a_folder_of_reports_gives_one_bundle_each_and_names_failures_and_repeats() {
    let app = TestApp::seeded();
    let input = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("rongchang-2022.html", "again.html"),
        ("rongchang-2022.html", "rongchang-2022.html"),
        ("rongchang-2022.docx", "rongchang-2022.docx"),
        ("truncated.docx", "truncated.docx"),
    ] {
        std::fs::copy(fixture(from), input.path().join(to)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let bundles = out.path().join("bundles");
    let run = |extra: &[&str]| {
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
            .arg("extract")
            .arg(input.path())
            .args(extra)
            .env("DATABASE_URL", &app.url)
            .output()
            .unwrap();
        (
            r.status.code(),
            String::from_utf8_lossy(&r.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["-o", bundles.to_str().unwrap()]);
    assert_eq!(code, Some(2), "one report is damaged: {err}");
    for step in ["[1/4]", "[2/4]", "[3/4]", "[4/4]"] {
        assert!(err.contains(step), "no progress line {step}: {err}");
    }
    assert!(
        err.contains("truncated.docx: not extracted") && err.contains("damaged"),
        "{err}"
    );
    assert!(err.contains("3 of 4 report(s) extracted"), "{err}");
    assert!(
        err.contains("rongchang-2022.html is the same report as")
            && err.contains("again.html (same text)"),
        "the repeat in the batch is not named: {err}"
    );
    assert!(
        err.contains("already in the warehouse as source rongchang-2022-self-evaluation"),
        "the report the warehouse holds is not named: {err}"
    );
    let mut written: Vec<String> = std::fs::read_dir(&bundles)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "again.html.json",
            "rongchang-2022.docx.json",
            "rongchang-2022.html.json"
        ]
    );
    for name in &written {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(bundles.join(name)).unwrap()).unwrap();
        assert!(v["observations"].as_array().unwrap().len() >= 20, "{name}");
    }
    // Several reports need a folder for their bundles, and cannot share one --code.
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--output"), "{err}");
    let (code, err) = run(&["-o", bundles.to_str().unwrap(), "--code", "x-2022"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--code names one source"), "{err}");
}

#[test]
fn the_cli_refuses_unreadable_files_and_writes_nothing() {
    let app = TestApp::seeded();
    let dir = tempfile::tempdir().unwrap();
    // Past the 50 MB input limit (a sparse file: nothing is written to disk).
    let big = dir.path().join("oversized.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(ReadLimits::default().max_input_bytes as u64 + 1)
        .unwrap();
    for (file, says) in [
        (fixture("empty.txt"), "empty"),
        (fixture("truncated.docx"), "docx file is damaged"),
        (fixture("truncated.pdf"), "pdf file is damaged"),
        (fixture("encrypted.pdf"), "encrypted"),
        (fixture("encrypted.xlsx"), "encrypted"),
        (fixture("scanned.pdf"), "no text layer"),
        (fixture("unsupported.doc"), "legacy Word .doc"),
        (fixture("unsupported.png"), "PNG image"),
        (big, "too large"),
    ] {
        let (code, err, out) = extract_cli(&app.url, &file, &[]);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(says) && err.contains(&name), "{name}: {err}");
        assert!(out.is_none(), "{name}: an output was written");
    }
}

#[test]
fn each_reader_says_what_it_read() {
    let limits = ReadLimits::default();
    let read = |name: &str| document::read(&std::fs::read(fixture(name)).unwrap(), &limits);
    let html = read("rongchang-2022.html").unwrap();
    assert_eq!(html.format, Format::Html);
    assert_eq!(
        html.meta.doc_number.as_deref(),
        Some("荣昌府办函〔2023〕40号")
    );
    assert_eq!(
        html.meta.issuer.as_deref(),
        Some("重庆市荣昌区人民政府办公室")
    );
    assert_eq!(html.meta.date.as_deref(), Some("2023-10-30"));
    // The box's 索引号 is empty on the fixture (the seed does not give it).
    assert_eq!(html.meta.index_number, None);
    assert!(!html.text.contains("网站地图") && !html.text.contains("政务服务"));
    assert_eq!(read("rongchang-2022-gbk.html").unwrap().text, html.text);
    for (name, format) in [
        ("rongchang-2022.html", Format::Html),
        ("rongchang-2022.docx", Format::Docx),
        ("rongchang-2022.pdf", Format::Pdf),
    ] {
        let doc = read(name).unwrap();
        assert_eq!(doc.format, format);
        assert_eq!(doc.tables.len(), 1, "{name}");
        let t = &doc.tables[0];
        assert_eq!(t.rows.len(), 14, "{name}");
        let chars: Vec<char> = doc.text.chars().collect();
        for cell in t.rows.iter().flatten() {
            let at: String = chars[cell.start..cell.end].iter().collect();
            assert_eq!(at, cell.text, "{name}");
        }
        assert_eq!(t.rows[1][1].text, "在园幼儿数（万人）", "{name}");
        assert_eq!(t.rows[2][3].text, "89.68", "{name}");
        // The running header (the document number) and the page numbers are gone.
        assert_eq!(
            doc.text.matches("荣昌府办函〔2023〕40号").count(),
            usize::from(format != Format::Html),
            "{name}"
        );
    }
    let docx = read("rongchang-2022.docx").unwrap();
    assert!(docx.tables[0].rows[2][0].spanned && docx.tables[0].rows[2][0].text == "学前教育");
    for (name, format) in [
        ("rongchang-2022-table.xlsx", Format::Xlsx),
        ("rongchang-2022-table.xls", Format::Xls),
        ("rongchang-2022-table.csv", Format::Csv),
    ] {
        let doc = read(name).unwrap();
        assert_eq!(doc.format, format);
        let t = &doc.tables[0];
        assert_eq!(t.caption.as_deref(), Some("主要指标完成情况"), "{name}");
        assert_eq!(t.rows[0][2].text, "2025年主要目标", "{name}");
        assert_eq!(t.rows[13][3].text, "11", "{name}");
        if format != Format::Csv {
            // Merged cells repeat: 人力资源开发 covers its two rows.
            assert_eq!(t.rows[13][0].text, "人力资源开发", "{name}");
            assert!(t.rows[13][0].spanned, "{name}");
        }
    }
    let seed = std::fs::read_to_string(
        crate::common::seeds_dir().join("sources/rongchang-2022-self-evaluation.txt"),
    )
    .unwrap();
    assert_eq!(read("rongchang-2022-gbk.txt").unwrap().text, seed);
    assert_eq!(read("rongchang-2022-utf16.txt").unwrap().text, seed);
    assert!(matches!(
        read("encrypted.xlsx"),
        Err(ReadError::Encrypted { format: None })
    ));
    assert!(matches!(
        read("encrypted.pdf"),
        Err(ReadError::Encrypted {
            format: Some(Format::Pdf)
        })
    ));
    assert_eq!(read("scanned.pdf"), Err(ReadError::NoTextLayer));
}

/// (value, indicator) of every proposal.
fn proposals(doc: &document::Document, k: &Knowledge) -> BTreeSet<(String, String)> {
    extract::extract_document(doc, k, &Options::default())
        .unwrap()
        .observations
        .into_iter()
        .map(|p| (p.row.value, p.row.indicator))
        .collect()
}

#[test]
fn the_formats_of_one_report_give_the_same_proposals() {
    let data = edustats::ingest::seed::load_dir(&crate::common::seeds_dir()).unwrap();
    let k = Knowledge::from_dataset(&data, Some("rongchang-2022-self-evaluation"));
    let limits = ReadLimits::default();
    let read =
        |name: &str| document::read(&std::fs::read(fixture(name)).unwrap(), &limits).unwrap();
    let txt = proposals(
        &document::read(
            &std::fs::read(
                crate::common::seeds_dir().join("sources/rongchang-2022-self-evaluation.txt"),
            )
            .unwrap(),
            &limits,
        )
        .unwrap(),
        &k,
    );
    for name in [
        "rongchang-2022.html",
        "rongchang-2022.docx",
        "rongchang-2022.pdf",
    ] {
        let got = proposals(&read(name), &k);
        let common = got.intersection(&txt).count();
        println!(
            "{name}: {common} of the text's {} proposals, {} of its own {}; missing {:?}; extra {:?}",
            txt.len(),
            common,
            got.len(),
            txt.difference(&got).collect::<Vec<_>>(),
            got.difference(&txt).collect::<Vec<_>>()
        );
        assert!(
            common * 10 >= txt.len() * 9,
            "{name}: {common} of {}",
            txt.len()
        );
        assert!(
            common * 10 >= got.len() * 9,
            "{name}: {common} of {}",
            got.len()
        );
    }
}

const EXTRACT_FILE: &str = "mutation($file: String!, $name: String, $code: String) {
    extractReport(file: $file, fileName: $name, code: $code) { id code status text items { position } } }";

#[tokio::test]
async fn extract_report_reads_a_base64_file() {
    let app = TestApp::seeded();
    let key = app.key("editor", Role::Editor);
    let b64 = |name: &str| {
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(fixture(name)).unwrap())
    };
    let v = app
        .graphql_as(
            &key,
            EXTRACT_FILE,
            json!({"file": b64("rongchang-2022.docx"), "name": "report.docx", "code": "rongchang-2022-docx"}),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let d = &v["data"]["extractReport"];
    assert_eq!(d["code"], "rongchang-2022-docx");
    assert!(d["items"].as_array().unwrap().len() >= 50, "{d}");
    assert!(d["text"]
        .as_str()
        .unwrap()
        .contains("学前教育\t在园幼儿数（万人）\t2.1\t2.1"));

    let drafts = "{ drafts { id } }";
    let before = app.graphql_as(&key, drafts, json!({})).await["data"]["drafts"].clone();
    for (name, says) in [
        ("truncated.pdf", "report.pdf: the pdf file is damaged"),
        ("unsupported.png", "PNG"),
    ] {
        let v = app
            .graphql_as(
                &key,
                EXTRACT_FILE,
                json!({"file": b64(name), "name": "report.pdf", "code": "rongchang-2022-bad"}),
            )
            .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: {message}");
    }
    // Not base64, and both or neither of `text` and `file`.
    for (q, vars) in [
        (
            EXTRACT_FILE,
            json!({"file": "%%% not base64", "code": "x-bad"}),
        ),
        (
            "mutation { extractReport(text: \"x\", file: \"eA==\") { id } }",
            json!({}),
        ),
        ("mutation { extractReport { id } }", json!({})),
    ] {
        let v = app.graphql_as(&key, q, vars).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
    }
    let after = app.graphql_as(&key, drafts, json!({})).await["data"]["drafts"].clone();
    assert_eq!(before, after, "a refused file created a draft");
}

/// A figure without its thousands separators, as the expected file writes it.
fn plain_number(s: &str) -> String {
    s.trim().replace([',', '，'], "")
}

/// The labelled cells of a statistics page (`synthetic-stats.*`, SYNTHETIC figures made by
/// `scripts/make-table-fixtures`: school types × quantities under a merged two-row header with
/// a 合计 row, the same transposed, quantities by year) as a web page and as a workbook: ≥ 0.8
/// of them are proposed under the right indicator and breakdown, and of the period too.
#[test]
fn a_statistics_table_as_html_or_xlsx_files_its_cells_under_the_right_indicator() {
    let data = edustats::ingest::seed::load_dir(&crate::common::seeds_dir()).unwrap();
    let k = Knowledge::from_dataset(&data, None);
    let expected: Vec<Vec<String>> =
        std::fs::read_to_string(fixture("synthetic-stats.expected.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
    let opts = Options {
        district: Some("500153".into()),
        ..Options::default()
    };
    for name in ["synthetic-stats.html", "synthetic-stats.xlsx"] {
        let doc = document::read(
            &std::fs::read(fixture(name)).unwrap(),
            &ReadLimits::default(),
        )
        .unwrap();
        let ex = extract::extract_document(&doc, &k, &opts).unwrap();
        let (mut indicator, mut breakdown, mut period) = (0, 0, 0);
        let mut misses = Vec::new();
        for e in &expected {
            let (t, value, want_ind, want_bd, want_period) = (&e[0], &e[1], &e[2], &e[3], &e[4]);
            let caption = format!("表{}", t.parse::<usize>().unwrap() + 1);
            let table = doc
                .tables
                .iter()
                .find(|x| {
                    x.caption
                        .as_deref()
                        .is_some_and(|c| c.starts_with(&caption))
                })
                .unwrap_or_else(|| panic!("{name}: no table {caption}"));
            let cell = table
                .rows
                .iter()
                .flatten()
                .find(|c| !c.spanned && plain_number(&c.text) == *value)
                .unwrap_or_else(|| panic!("{name}: no cell {value} in {caption}"));
            let Some(p) = ex.observations.iter().find(|p| {
                p.quote_start <= cell.start
                    && cell.end <= p.quote_end
                    && plain_number(&p.row.value) == *value
            }) else {
                misses.push(format!("{caption} {value}: not proposed"));
                continue;
            };
            let got_bd = p.row.breakdown.clone().unwrap_or_default();
            let right = (
                p.row.indicator == *want_ind,
                got_bd == *want_bd,
                p.row.period == *want_period,
            );
            indicator += usize::from(right.0);
            breakdown += usize::from(right.0 && right.1);
            period += usize::from(right.0 && right.1 && right.2);
            if right != (true, true, true) {
                misses.push(format!(
                    "{caption} {value}: want {want_ind} {want_bd} {want_period}, got {} {got_bd} {} ({})",
                    p.row.indicator, p.row.period, p.row.quote
                ));
            }
        }
        let n = expected.len();
        println!(
            "{name}: of {n} labelled cells, indicator {indicator}, indicator and breakdown {breakdown}, all three with the period {period}"
        );
        for m in &misses {
            println!("  {m}");
        }
        assert!(breakdown * 10 >= n * 8, "{name}: {breakdown} of {n}");
        assert!(period * 10 >= n * 8, "{name}: {period} of {n}");
        // Every cell's quote names its headers and points at the cell.
        let chars: Vec<char> = doc.text.chars().collect();
        for p in ex.observations.iter().filter(|p| p.cell.is_some()) {
            let at: String = chars[p.quote_start..p.quote_end].iter().collect();
            assert!(p.row.quote.ends_with(&format!("：{at}")), "{}", p.row.quote);
            let cell = p.cell.as_ref().unwrap();
            for h in cell.row_headers.iter().chain(&cell.column_headers) {
                assert!(
                    p.row.quote.contains(h.as_str()),
                    "{} lacks {h}",
                    p.row.quote
                );
            }
        }
    }
}

/// The seed report's table as a workbook: its cells are read as a grid as well as the text's
/// table reader read them (the seed's curated cells, leave-one-out knowledge).
#[test]
fn the_seed_reports_table_as_a_workbook_reads_as_its_text_does() {
    let data = edustats::ingest::seed::load_dir(&crate::common::seeds_dir()).unwrap();
    let k = Knowledge::from_dataset(&data, Some("rongchang-2022-self-evaluation"));
    let opts = Options {
        district: Some("500153".into()),
        ..Options::default()
    };
    let doc = document::read(
        &std::fs::read(fixture("rongchang-2022-table.xlsx")).unwrap(),
        &ReadLimits::default(),
    )
    .unwrap();
    let got: BTreeSet<(String, String, String, String)> =
        extract::extract_document(&doc, &k, &opts)
            .unwrap()
            .observations
            .into_iter()
            .map(|p| {
                (
                    p.row.value.trim_end_matches('0').to_string(),
                    p.row.indicator,
                    p.row.breakdown.unwrap_or_default(),
                    p.row.period,
                )
            })
            .collect();
    let curated: Vec<_> = data
        .plan
        .create
        .iter()
        .filter(|o| o.source == "rongchang-2022-self-evaluation")
        .filter(|o| {
            o.row
                .period_note
                .as_deref()
                .is_some_and(|n| n.starts_with("column header"))
        })
        .collect();
    let known: Vec<_> = curated
        .iter()
        .filter(|o| k.indicators.iter().any(|i| i.code == o.row.indicator))
        .collect();
    let right = known
        .iter()
        .filter(|o| {
            got.contains(&(
                o.row.value.trim_end_matches('0').to_string(),
                o.row.indicator.clone(),
                o.row.breakdown.clone().unwrap_or_default(),
                o.row.period.clone(),
            ))
        })
        .count();
    println!(
        "rongchang-2022-table.xlsx: {right} of the {} curated cells whose indicator is known ({} cells)",
        known.len(),
        curated.len()
    );
    assert!(right * 10 >= known.len() * 9, "{right} of {}", known.len());
}

/// A statistics page uploaded for review: its cells are items with their row and column
/// headers, and accepted they publish (the import finds a cell's quote by its headers and
/// value).
#[tokio::test]
async fn table_cells_reach_the_review_page_with_their_headers_and_publish() {
    let app = TestApp::seeded();
    let key = app.key("editor", Role::Editor);
    let file = base64::engine::general_purpose::STANDARD
        .encode(std::fs::read(fixture("synthetic-stats.html")).unwrap());
    let v = app
        .graphql_as(
            &key,
            "mutation($file: String!) { extractReport(file: $file, district: \"500153\", code: \"synthetic-stats-2023\") {
                id items { position quote quoteStart quoteEnd row { indicator breakdown }
                cell { rowHeaders columnHeaders } } } }",
            json!({ "file": file }),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let d = &v["data"]["extractReport"];
    let items = d["items"].as_array().unwrap();
    let cell = items
        .iter()
        .find(|i| i["quote"] == "初级中学 · 学生数（人） · 在校生数：7,962")
        .unwrap_or_else(|| panic!("no item for the cell: {d}"));
    assert_eq!(cell["cell"]["rowHeaders"], json!(["初级中学"]));
    assert_eq!(
        cell["cell"]["columnHeaders"],
        json!(["学生数（人）", "在校生数"])
    );
    assert_eq!(cell["row"]["indicator"], "students_enrolled");
    let id = d["id"].as_i64().unwrap();
    let v = app
        .graphql_as(
            &key,
            "mutation($d: Int!) { decidePending(draft: $d, decision: ACCEPTED) { position } }",
            json!({ "d": id }),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    let v = app
        .graphql_as(
            &key,
            "mutation($d: Int!) { publishDraft(draft: $d) { createdCount } }",
            json!({ "d": id }),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
    assert!(
        v["data"]["publishDraft"]["createdCount"].as_i64().unwrap() >= 100,
        "{v}"
    );
}
