//! Statistics tables read as grids: a table the document readers kept as a table
//! ([`crate::document::Table`]: an HTML `<table>`, a Word table, a sheet) is read by its rows and
//! columns, not as lines of text.
//!
//! ```text
//! 表1 2023年教育事业基本情况                     ← caption: a year, a unit line (单位：人)
//! 学校类型 │ 学校数（所）│ 学生数（人）          ← header rows (merged cells repeated)
//!          │             │ 招生数 │ 在校生数
//! 合计     │ 50          │ 4,120  │ 23,456      ← body rows: label columns, then value cells
//! 小学     │ 30          │ 2,100  │ 12,345
//! ```
//!
//! The rows before the first row holding a number are the header; the columns before the first
//! column holding a number are the label columns (a 序号 column is neither). Each number cell
//! has its row labels (label columns, fill-down for a category left blank, a section row above)
//! and its column labels (header rows, top to bottom). Each label is read once:
//! - a **period** names a year (`2023年`, `2025年主要目标`, `2023年1—6月完成`, a bare `2023`
//!   in the header) and says whether its cells are targets (目标, 规划, 预期);
//! - a **total** (合计, 总计, 全区 …) names the whole;
//! - **members** names only breakdown members of the catalogue (小学, 初级中学, 公办, 56-65人;
//!   a member's name without its bracket, 小学（学校类型） read as 小学), `其中：` and 普通
//!   aside;
//! - anything else names a **quantity** (在校生数（人）), with its unit in brackets.
//!
//! The side (rows or columns) whose labels name quantities names the cell's quantity; a row (or
//! column) on that side that names none (其中：普通小学 under 在校学生数（万人）) is a part of
//! the nearest one before it that does, and takes its quantity and unit; a table whose labels
//! name no quantity takes it from its caption. The quantity's labels, outer first, are the
//! matcher's window ([`matcher::decide`], as a clause of text would be: the names, aliases and
//! published examples of every indicator compete); every label of the cell gives the
//! breakdown (the members named; where a word names members of two dimensions, 小学 a stage
//! and a school type, the dimension its row or column of labels names most). The unit: the
//! cell's own (`95%`), else a bracket of a label, else the caption's 单位 line, else (a bare
//! cell) the indicator's. The period: a period label, else a year of the caption or the line
//! before the table, else the document's year (a guess, said in `why`, lower confidence).
//!
//! A cell's quote names its headers (`初级中学 · 在校生数（人）：2345`, see
//! [`crate::ingest::validate::cell_quote`]) and its offsets point at the cell in the text.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::figures::Figure;
use super::knowledge::{IndicatorCue, Knowledge};
use super::matcher::{self, Decision};
use super::tables::Column;
use super::why::{PeriodNote, Reason, YearFrom};
use super::CellHeaders;
use crate::document::Table;
use crate::domain::{Breakdown, CanonicalUnit, ObservationKind};
use crate::ingest::quantity::parse_quantity;

/// Cells that hold no figure: blank, dashes, a slash, an asterisk.
const EMPTY_MARKS: &[&str] = &[
    "—", "——", "-", "--", "－", "－－", "/", "／", "*", "＊", "…", "……", "x", "X", "×",
];
/// Labels that name the whole: the total breakdown.
const TOTAL_WORDS: &[&str] = &[
    "总计", "合计", "小计", "共计", "总数", "全区", "全县", "全市", "全镇", "全部", "总体", "总",
];
/// Words in a label that qualify a member without naming anything (其中：普通小学).
const QUALIFIERS: &[&str] = &["其中", "普通", "含", "另有", "包括", "各级各类"];
/// Header texts of a column that numbers the rows.
const SEQUENCE_HEADERS: &[&str] = &["序号", "编号", "行次", "栏次", "序"];
/// Words of a period label besides its year (2025年主要目标, 2023年1—6月完成).
const PERIOD_WORDS: &[&str] = &[
    "主要", "目标", "预期", "规划", "计划", "完成", "实际", "情况", "学年", "年度", "年底", "年末",
    "数值", "数据", "值", "底", "末", "初", "度",
];
/// Words that make a label's cells goals.
const TARGET_WORDS: &[&str] = &["目标", "规划", "预期", "计划"];
/// Words that make a label's cells achievements even under a goal caption.
const ACTUAL_WORDS: &[&str] = &["完成", "实际", "现状", "实绩"];
/// Words that make a label's cells a change (or, in %, a growth rate) rather than a level.
const CHANGE_WORDS: &[&str] = &["增长", "增幅", "增速", "增减", "同比", "比上年", "较上年"];
/// Longest label that can be a section row's title; longer single-text rows are notes.
const MAX_SECTION: usize = 24;
/// Longest text cell in the value area that is still a short remark, not prose.
const SHORT_TEXT: usize = 8;
/// Longest line before a table that is read as its title (a year, a 单位 line).
const MAX_TITLE_LINE: usize = 40;
/// Labels of the rest of a breakdown (其他): a member the catalogue cannot name.
const OTHER_WORDS: &[&str] = &["其他", "其它", "另外"];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(
        r"^([<>＜＞≥≤]?\s*[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?)\s*(\S{0,4})$",
    )
});
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"((?:19|20)\d{2})\s*(?:年|学年|$)"));
static BARE_YEAR: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"^\s*((?:19|20)\d{2})\s*$"));
static SPAN: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"((?:19|20)\d{2})年(\d{1,2})\s*[—\-－~～至]\s*(\d{1,2})月")
});
static BRACKET: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"[（(]([^（）()]{1,12})[）)]"));
static UNIT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"单位\s*[:：]\s*([^\s，,、；;）)]{1,6})\s*(?:[）)]|$)")
});

/// A caption's table number (表2 ).
static TABLE_NUMBER: LazyLock<Regex> = LazyLock::new(|| crate::pattern::regex(r"^表\s*\d*\s*"));

/// What a grid position holds.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// Nothing, or a mark for nothing (—, /).
    Empty,
    /// A number, with its qualifier (`>98.5`), and the unit printed in the cell (`%`), if any.
    Number { value: String, unit: Option<String> },
    /// Words.
    Text,
}

fn content(text: &str, k: &Knowledge) -> Content {
    let t = text.trim();
    if t.is_empty() || EMPTY_MARKS.contains(&t) {
        return Content::Empty;
    }
    let Some(c) = NUMBER.captures(t) else {
        return Content::Text;
    };
    let value: String = c[1].chars().filter(|c| !c.is_whitespace()).collect();
    let unit = match &c[2] {
        "" => None,
        "%" | "％" => Some("%".to_string()),
        u if k.units.contains_key(u) && !u.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            Some(u.to_string())
        }
        _ => return Content::Text,
    };
    // 2021年 is a date (a column header), not 2021 years.
    if unit.as_deref().is_some_and(|u| u.starts_with('年')) && BARE_YEAR.is_match(&value) {
        return Content::Text;
    }
    if parse_quantity(&value).is_err() {
        return Content::Text;
    }
    Content::Number { value, unit }
}

/// What a label says about the cells under or beside it.
#[derive(Debug, Clone, PartialEq)]
enum Label {
    /// A year (or months of one): the cells' period and kind.
    Period(Column),
    /// The whole.
    Total,
    /// Only breakdown members: each match, with its (dimension, member) alternatives.
    Members(Vec<Vec<(String, String)>>),
    /// A quantity (its unit, when a bracket names one), perhaps with members (小学在校生数).
    Quantity {
        unit: Option<String>,
        members: Vec<Vec<(String, String)>>,
    },
    /// Neither a known member nor a quantity (其中：女, 其他): a breakdown the catalogue lacks.
    Unknown,
}

/// Breakdown members by the words that name them, longest first.
struct Members {
    words: Vec<(String, Vec<(String, String)>)>,
}

/// Dashes of a printed band (56—65人) as the catalogue writes them (56-65人).
fn dashes(s: &str) -> String {
    s.chars()
        .map(|c| if "—–－~～".contains(c) { '-' } else { c })
        .filter(|c| !c.is_whitespace())
        .collect()
}

impl Members {
    fn new(k: &Knowledge) -> Members {
        let mut by_word: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for m in &k.members {
            for w in &m.words {
                // 小学（学校类型）: the bracket tells the catalogue's two 小学 apart; a table
                // prints 小学.
                let bare = BRACKET.replace_all(w, "").to_string();
                for word in [dashes(w), dashes(&bare)] {
                    // A one-character word (次, 家) names a member only as a unit.
                    if word.chars().count() < 2 {
                        continue;
                    }
                    let list = by_word.entry(word).or_default();
                    let pair = (m.dimension.clone(), m.member.clone());
                    if !list.contains(&pair) {
                        list.push(pair);
                    }
                }
            }
        }
        let mut words: Vec<_> = by_word.into_iter().collect();
        words.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        Members { words }
    }

    /// The members `text` names (longest words first, each place read once), in text order,
    /// and the text with them blanked out.
    fn named(&self, text: &str) -> (Vec<Vec<(String, String)>>, String) {
        let mut rest = dashes(text);
        let mut found: Vec<(usize, Vec<(String, String)>)> = Vec::new();
        for (w, alternatives) in &self.words {
            while let Some(at) = rest.find(w.as_str()) {
                found.push((at, alternatives.clone()));
                rest.replace_range(at..at + w.len(), &"|".repeat(w.len()));
            }
        }
        found.sort_by_key(|(at, _)| *at);
        (found.into_iter().map(|(_, m)| m).collect(), rest)
    }
}

fn han_count(s: &str) -> usize {
    s.chars()
        .filter(|c| matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'))
        .count()
}

fn without(mut s: String, words: &[&str]) -> String {
    for w in words {
        s = s.replace(w, "|");
    }
    s
}

/// A label naming a year: its period and kind, when nothing else is named beside them.
fn period_label(text: &str) -> Option<Column> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let kind = if TARGET_WORDS.iter().any(|w| compact.contains(w)) {
        ObservationKind::Target
    } else {
        ObservationKind::Actual
    };
    let note = PeriodNote::TableHeader {
        header: compact.clone(),
    };
    if let Some(c) = BARE_YEAR.captures(&compact) {
        return Some(Column {
            kind,
            period: c[1].to_string(),
            note,
        });
    }
    let (period, rest) = if let Some(c) = SPAN.captures(&compact) {
        let (y, a, b) = (&c[1], c[2].parse::<u32>().ok()?, c[3].parse::<u32>().ok()?);
        (
            format!("{y}-{a:02}..{y}-{b:02}"),
            SPAN.replace_all(&compact, "|").to_string(),
        )
    } else if let Some(c) = super::metadata::SCHOOL_YEAR.captures(&compact) {
        (
            c[1].to_string(),
            super::metadata::SCHOOL_YEAR
                .replace_all(&compact, "|")
                .to_string(),
        )
    } else {
        let c = YEAR.captures(&compact)?;
        (
            c[1].to_string(),
            YEAR.replace_all(&compact, "|").to_string(),
        )
    };
    (han_count(&without(rest, PERIOD_WORDS)) < 2).then_some(Column { kind, period, note })
}

/// The unit a label's bracket names (在校生数（人）, （单位：万元）).
fn bracket_unit(text: &str, k: &Knowledge) -> Option<String> {
    BRACKET.captures_iter(text).find_map(|c| {
        let inner = c[1].trim();
        let inner = inner
            .strip_prefix("单位")
            .map(|r| r.trim_start_matches([':', '：', ' ']))
            .unwrap_or(inner);
        let inner = if inner == "％" { "%" } else { inner };
        k.units.contains_key(inner).then(|| inner.to_string())
    })
}

/// A label's words for the matcher: without unit brackets, 其中 and the colon after it.
fn quantity_words(text: &str, k: &Knowledge) -> String {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let text = BRACKET
        .replace_all(&text, |c: &regex::Captures<'_>| {
            if bracket_unit(&c[0], k).is_some() {
                String::new()
            } else {
                c[0].to_string()
            }
        })
        .to_string();
    text.trim_start_matches("其中")
        .trim_start_matches([':', '：', '，', ','])
        .to_string()
}

fn label(text: &str, k: &Knowledge, members: &Members) -> Label {
    if let Some(col) = period_label(text) {
        return Label::Period(col);
    }
    let unit = bracket_unit(text, k);
    let plain = BRACKET.replace_all(text, "|").to_string();
    let (named, rest) = members.named(&plain);
    let rest = without(rest, QUALIFIERS);
    let is_total = TOTAL_WORDS.iter().any(|w| rest.contains(w));
    let rest = without(without(rest, TOTAL_WORDS), OTHER_WORDS);
    if han_count(&rest) >= 2 {
        Label::Quantity {
            unit,
            members: named,
        }
    } else if !named.is_empty() {
        Label::Members(named)
    } else if is_total {
        Label::Total
    } else {
        Label::Unknown
    }
}

/// Which side of a table names the quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Rows,
    Columns,
}

/// One value cell of a statistics grid, with what its headers say.
#[derive(Debug, Clone)]
pub struct GridCell {
    /// The figure as printed, with its qualifier (`>98.5`), without `%`.
    pub value: String,
    /// The cell's text.
    pub printed: String,
    /// The unit (printed in the cell, a label's bracket, the caption's 单位 line); empty when
    /// none is printed: the indicator's unit is taken.
    pub unit: String,
    /// Where the cell is in the text.
    pub start: usize,
    /// Just past it.
    pub end: usize,
    /// The cell's headers, as printed.
    pub headers: CellHeaders,
    /// The labels naming its quantity, outer first.
    quantity: Vec<String>,
    /// The members named by its labels, outer first; each match with its alternatives in
    /// order of preference.
    members: Vec<Vec<(String, String)>>,
    /// Of those, the members named by labels that name nothing else (45人及以下, not the 专任
    /// of 专任教师数).
    member_labels: Vec<Vec<(String, String)>>,
    /// Labels on the breakdown side that name no member the catalogue has.
    unknown: Vec<String>,
    /// The dimensions the table's breakdown side names (school types down the rows): only
    /// indicators broken down by them compete, unless none of those fits.
    dimensions: Vec<String>,
    /// Kind, period and where the period comes from.
    column: Column,
    /// The period is the document's, not the table's.
    period_from_document: bool,
}

/// The statistics grids of a document.
#[derive(Debug, Default)]
pub struct Grids {
    /// The value cells, in text order.
    pub cells: Vec<GridCell>,
    /// Spans of the tables read as grids: what the text finders must not read again.
    covered: Vec<(usize, usize)>,
    /// Text cells of those tables that hold prose (a remark with figures of its own).
    prose: Vec<(usize, usize)>,
}

impl Grids {
    /// Whether a figure found in the text at `at` belongs to a table read as a grid.
    pub fn covers(&self, at: usize) -> bool {
        let inside = |spans: &[(usize, usize)]| spans.iter().any(|&(a, b)| a <= at && at < b);
        inside(&self.covered) && !inside(&self.prose)
    }
}

/// The year the document is about, as the matcher's context gives it.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentYear<'a> {
    /// The year.
    pub year: Option<i32>,
    /// Where it comes from.
    pub from: Option<&'a YearFrom>,
}

/// Reads every table of a document that is a statistics grid.
pub fn read(tables: &[Table], chars: &[char], k: &Knowledge, year: DocumentYear<'_>) -> Grids {
    let members = Members::new(k);
    let mut out = Grids::default();
    for t in tables {
        let before = title_lines(chars, t);
        if let Some((cells, prose)) = read_table(t, &before, k, &members, year) {
            out.covered.push((t.start, t.end + 1));
            out.prose.extend(prose);
            out.cells.extend(cells);
        }
    }
    out.cells.sort_by_key(|c| c.start);
    out
}

/// The caption and the short lines just before a table (a title, a 单位 line).
fn title_lines(chars: &[char], t: &Table) -> Vec<String> {
    let mut out: Vec<String> = t.caption.iter().cloned().collect();
    let mut end = t.start.min(chars.len());
    for _ in 0..2 {
        if end == 0 {
            break;
        }
        let line_end = end - 1;
        let mut s = line_end;
        while s > 0 && chars[s - 1] != '\n' {
            s -= 1;
        }
        let line: String = chars[s..line_end].iter().collect();
        let line = line.trim().to_string();
        // A sentence is prose, not a title.
        if line.chars().count() > MAX_TITLE_LINE || line.ends_with('。') {
            break;
        }
        if !line.is_empty() && !out.contains(&line) {
            out.push(line);
        }
        end = s;
    }
    out
}

/// A stretch of the text, in characters: `[start, end)`.
type Span = (usize, usize);

/// Per dimension, how many labels of a line name one of its members.
fn dimension_counts(labels: &[&Label]) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in labels {
        let named = match l {
            Label::Members(m) | Label::Quantity { members: m, .. } => m,
            _ => continue,
        };
        let mut dims: Vec<&str> = named.iter().flatten().map(|(d, _)| d.as_str()).collect();
        dims.sort();
        dims.dedup();
        for d in dims {
            *counts.entry(d.to_string()).or_default() += 1;
        }
    }
    counts
}

/// Members' alternatives ordered by how much their dimension is named in the line.
fn preferred(
    named: &[Vec<(String, String)>],
    counts: &HashMap<String, usize>,
) -> Vec<Vec<(String, String)>> {
    named
        .iter()
        .map(|alts| {
            let mut alts = alts.clone();
            alts.sort_by_key(|(d, _)| std::cmp::Reverse(counts.get(d).copied().unwrap_or(0)));
            alts
        })
        .collect()
}

fn read_table(
    t: &Table,
    before: &[String],
    k: &Knowledge,
    members: &Members,
    year: DocumentYear<'_>,
) -> Option<(Vec<GridCell>, Vec<Span>)> {
    let rows = &t.rows;
    let width = rows.first()?.len();
    let contents: Vec<Vec<Content>> = rows
        .iter()
        .map(|r| r.iter().map(|c| content(&c.text, k)).collect())
        .collect();
    let is_number = |r: usize, c: usize| matches!(contents[r][c], Content::Number { .. });
    let texts = |r: usize| -> Vec<&str> {
        let mut v: Vec<&str> = rows[r]
            .iter()
            .map(|c| c.text.trim())
            .filter(|s| !s.is_empty())
            .collect();
        v.dedup();
        v
    };
    // Title rows: one text across the width (a merged title, a 单位 line).
    let mut titles: Vec<String> = before.to_vec();
    let mut h0 = 0;
    while h0 < rows.len() && (0..width).all(|c| !is_number(h0, c)) && texts(h0).len() == 1 {
        titles.push(texts(h0)[0].to_string());
        h0 += 1;
    }
    // Header rows: no number (a first header row may name bare years: 2021 2022 2023).
    let mut b0 = h0;
    while b0 < rows.len() {
        let numbers: Vec<usize> = (0..width).filter(|&c| is_number(b0, c)).collect();
        let years = b0 == h0
            && b0 + 1 < rows.len()
            && numbers.len() >= 2
            && numbers
                .iter()
                .all(|&c| BARE_YEAR.is_match(rows[b0][c].text.trim()));
        if numbers.is_empty() || years {
            b0 += 1;
        } else {
            break;
        }
    }
    if b0 >= rows.len() {
        return None;
    }
    let body: Vec<usize> = (b0..rows.len()).collect();
    // A column numbering the rows is neither a label nor a value.
    let sequence: Vec<bool> = (0..width)
        .map(|c| {
            (h0..b0).any(|r| SEQUENCE_HEADERS.contains(&rows[r][c].text.trim()))
                || (b0 == h0
                    && c == 0
                    && body
                        .iter()
                        .enumerate()
                        .all(|(i, &r)| rows[r][c].text.trim() == (i + 1).to_string()))
        })
        .collect();
    // The values start at the first column holding a number, or headed by a unit (学校数（所）
    // over dashes only).
    let first_value = (0..width).find(|&c| {
        !sequence[c]
            && (body.iter().any(|&r| is_number(r, c))
                || (h0..b0)
                    .last()
                    .is_some_and(|h| bracket_unit(&rows[h][c].text, k).is_some()))
    })?;
    let label_cols: Vec<usize> = (0..first_value).filter(|&c| !sequence[c]).collect();
    if label_cols.is_empty() && b0 == h0 {
        return None;
    }
    let value_cols: Vec<usize> = (first_value..width).filter(|&c| !sequence[c]).collect();
    // Prose in the value area (a remark column) is left to the text finders; a table of mostly
    // prose is not a statistics grid.
    let mut prose = Vec::new();
    let mut numbers = 0;
    for &r in &body {
        for &c in &value_cols {
            match &contents[r][c] {
                Content::Number { .. } => numbers += 1,
                Content::Text
                    if !rows[r][c].spanned && rows[r][c].text.chars().count() > SHORT_TEXT =>
                {
                    prose.push((rows[r][c].start, rows[r][c].end));
                }
                _ => {}
            }
        }
    }
    if numbers == 0 || prose.len() > numbers {
        return None;
    }

    let mut cache: HashMap<String, Label> = HashMap::new();
    let mut read_label = |s: &str| -> Label {
        cache
            .entry(s.to_string())
            .or_insert_with(|| label(s, k, members))
            .clone()
    };

    // Column labels, header rows top to bottom; a group header left blank over its columns
    // (a merged cell saved without its span) is the one to its left.
    let mut header: Vec<Vec<String>> = (h0..b0)
        .map(|r| rows[r].iter().map(|c| c.text.trim().to_string()).collect())
        .collect();
    for h in 0..header.len().saturating_sub(1) {
        for c in 1..width {
            if header[h][c].is_empty()
                && !label_cols.contains(&c)
                && !header[h][c - 1].is_empty()
                && !label_cols.contains(&(c - 1))
                && (h + 1..header.len()).any(|lower| !header[lower][c].is_empty())
                && (h + 1..header.len()).any(|lower| !header[lower][c - 1].is_empty())
            {
                header[h][c] = header[h][c - 1].clone();
            }
        }
    }
    let column_labels: HashMap<usize, Vec<String>> = value_cols
        .iter()
        .map(|&c| {
            let mut v: Vec<String> = Vec::new();
            for h in &header {
                let s = &h[c];
                if !s.is_empty() && !v.contains(s) {
                    v.push(s.clone());
                }
            }
            (c, v)
        })
        .collect();

    // Row labels: label columns (a category left blank below its first row is the one above),
    // after the section row the row is in.
    let mut row_labels: HashMap<usize, Vec<String>> = HashMap::new();
    let mut last: HashMap<usize, String> = HashMap::new();
    let mut section: Option<String> = None;
    let inner = label_cols.last().copied();
    for &r in &body {
        if (0..width).all(|c| !is_number(r, c)) {
            let ts = texts(r);
            if ts.len() == 1 && ts[0].chars().count() <= MAX_SECTION {
                section = Some(ts[0].to_string());
                last.clear();
            }
            continue;
        }
        let mut v: Vec<String> = section.iter().cloned().collect();
        for &c in &label_cols {
            let mut s = rows[r][c].text.trim().to_string();
            if s.is_empty() && Some(c) != inner {
                s = last.get(&c).cloned().unwrap_or_default();
            }
            if !s.is_empty() {
                last.insert(c, s.clone());
                if !v.contains(&s) {
                    v.push(s);
                }
            }
        }
        row_labels.insert(r, v);
    }

    // Which side names the quantities: the one with the larger share of quantity labels.
    // A quantity with its unit (学校数（所）) counts twice: a school's name down the rows is not
    // the quantity its columns' 学校数（所） and 在校生数（人） are.
    let share = |labels: Vec<&Vec<String>>, read: &mut dyn FnMut(&str) -> Label| -> f64 {
        let mut distinct: Vec<&String> = labels.into_iter().flatten().collect();
        distinct.sort();
        distinct.dedup();
        let n = distinct.len();
        let q: usize = distinct
            .iter()
            .map(|s| match read(s) {
                Label::Quantity { unit: Some(_), .. } => 2,
                Label::Quantity { unit: None, .. } => 1,
                _ => 0,
            })
            .sum();
        if n == 0 {
            0.0
        } else {
            q as f64 / n as f64
        }
    };
    let row_share = share(row_labels.values().collect(), &mut read_label);
    let column_share = share(column_labels.values().collect(), &mut read_label);
    let side = if row_share > column_share {
        Some(Side::Rows)
    } else if column_share > 0.0 {
        Some(Side::Columns)
    } else {
        None
    };
    // A table whose labels name no quantity: its caption does (在校生数（人） by school type
    // and year).
    let caption_quantity: Option<(String, Option<String>)> = titles.iter().find_map(|t| {
        let stripped = YEAR.replace_all(t, "").to_string();
        let stripped = UNIT_LINE.replace_all(&stripped, "").to_string();
        let stripped = TABLE_NUMBER.replace(stripped.trim(), "").to_string();
        match read_label(&stripped) {
            Label::Quantity { unit, .. } => Some((stripped, unit)),
            _ => None,
        }
    });
    let table_unit: Option<String> = titles.iter().find_map(|t| {
        let u = UNIT_LINE.captures(t)?;
        let u = u[1].trim_end_matches(['）', ')']).to_string();
        k.units.contains_key(&u).then_some(u)
    });
    // A school year (2024/2025学年初) is named by the year it starts in, as the document's
    // year is (`metadata`): its second year is not the table's.
    let title_year: Option<(String, String)> = titles.iter().find_map(|t| {
        let c = super::metadata::SCHOOL_YEAR
            .captures(t)
            .or_else(|| YEAR.captures(t))?;
        Some((c[1].to_string(), t.clone()))
    });
    let title_target = titles
        .iter()
        .any(|t| TARGET_WORDS.iter().any(|w| t.contains(w)));

    // Dimension preferences per line of labels.
    let mut row_counts: HashMap<usize, HashMap<String, usize>> = HashMap::new();
    for &c in &label_cols {
        let mut distinct: Vec<&str> = body
            .iter()
            .filter(|r| row_labels.contains_key(r))
            .map(|&r| rows[r][c].text.trim())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let labels: Vec<Label> = distinct.into_iter().map(&mut read_label).collect();
        row_counts.insert(c, dimension_counts(&labels.iter().collect::<Vec<_>>()));
    }
    let section_counts = dimension_counts(
        &body
            .iter()
            .filter(|&&r| !row_labels.contains_key(&r))
            .map(|&r| read_label(texts(r).first().copied().unwrap_or_default()))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>(),
    );
    let header_counts: Vec<HashMap<String, usize>> = header
        .iter()
        .map(|h| {
            let labels: Vec<Label> = value_cols.iter().map(|&c| read_label(&h[c])).collect();
            dimension_counts(&labels.iter().collect::<Vec<_>>())
        })
        .collect();
    let counts_of = |text: &str, is_row: bool, r: usize| -> HashMap<String, usize> {
        if is_row {
            label_cols
                .iter()
                .find(|&&c| rows[r][c].text.trim() == text)
                .and_then(|c| row_counts.get(c).cloned())
                .unwrap_or_else(|| section_counts.clone())
        } else {
            header
                .iter()
                .position(|h| h.iter().any(|s| s == text))
                .and_then(|i| header_counts.get(i).cloned())
                .unwrap_or_default()
        }
    };

    // The dimensions the breakdown side names: of each of its lines of labels, the dimension
    // most of them name, when at least two do.
    let breakdown_lines: Vec<&HashMap<String, usize>> = match side {
        Some(Side::Rows) => header_counts.iter().collect(),
        Some(Side::Columns) => row_counts.values().collect(),
        None => Vec::new(),
    };
    let mut table_dimensions: Vec<String> = breakdown_lines
        .into_iter()
        .filter_map(|counts| {
            counts
                .iter()
                .filter(|(_, n)| **n >= 2)
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(d, _)| d.clone())
        })
        .collect();
    table_dimensions.sort();
    table_dimensions.dedup();
    // The quantity labels of each row (or column) on the quantity side, a part taking those of
    // the nearest one before it that has some.
    let quantity_of = |labels: &[String], read: &mut dyn FnMut(&str) -> Label| -> Vec<String> {
        labels
            .iter()
            .filter(|s| matches!(read(s), Label::Quantity { .. }))
            .cloned()
            .collect()
    };
    let mut inherited: HashMap<usize, Vec<String>> = HashMap::new();
    match side {
        Some(Side::Rows) => {
            // A section row ends what its rows may inherit.
            let mut current: Vec<String> = Vec::new();
            for &r in &body {
                let Some(labels) = row_labels.get(&r) else {
                    current.clear();
                    continue;
                };
                let q = quantity_of(labels, &mut read_label);
                if q.is_empty() {
                    inherited.insert(r, current.clone());
                } else {
                    current = q.clone();
                    inherited.insert(r, q);
                }
            }
        }
        Some(Side::Columns) => {
            let mut current: Vec<String> = Vec::new();
            for &c in &value_cols {
                let q = quantity_of(&column_labels[&c], &mut read_label);
                if q.is_empty() {
                    inherited.insert(c, current.clone());
                } else {
                    current = q.clone();
                    inherited.insert(c, q);
                }
            }
        }
        None => {}
    }

    let mut cells = Vec::new();
    for &r in &body {
        let Some(rl) = row_labels.get(&r) else {
            continue;
        };
        for &c in &value_cols {
            let cell = &rows[r][c];
            let Content::Number { value, unit } = &contents[r][c] else {
                continue;
            };
            if cell.spanned {
                continue;
            }
            let cl = &column_labels[&c];
            // The quantity: the quantity side's labels (a part's, inherited).
            let key = match side {
                Some(Side::Rows) => r,
                _ => c,
            };
            let mut quantity: Vec<String> = match side {
                Some(_) => inherited.get(&key).cloned().unwrap_or_default(),
                None => Vec::new(),
            };
            if quantity.is_empty() {
                if let Some((q, _)) = &caption_quantity {
                    quantity.push(q.clone());
                }
            }
            // The unit: the cell's, a bracket (innermost quantity label first), the table's.
            let unit = unit
                .clone()
                .or_else(|| {
                    quantity.iter().rev().find_map(|q| match read_label(q) {
                        Label::Quantity { unit, .. } => unit,
                        _ => None,
                    })
                })
                .or_else(|| {
                    rl.iter()
                        .chain(cl.iter())
                        .rev()
                        .find_map(|l| bracket_unit(l, k))
                })
                .or_else(|| caption_quantity.as_ref().and_then(|(_, u)| u.clone()))
                .or_else(|| table_unit.clone())
                .unwrap_or_default();
            // Members, outer first: rows then columns.
            let mut named = Vec::new();
            let mut unknown = Vec::new();
            let mut member_labels = Vec::new();
            let mut periods: Vec<Column> = Vec::new();
            let mut target = false;
            let mut actual = false;
            let mut change = false;
            for (is_row, l) in rl
                .iter()
                .map(|l| (true, l))
                .chain(cl.iter().map(|l| (false, l)))
            {
                target |= TARGET_WORDS.iter().any(|w| l.contains(w));
                actual |= ACTUAL_WORDS.iter().any(|w| l.contains(w));
                change |= CHANGE_WORDS.iter().any(|w| l.contains(w));
                match read_label(l) {
                    Label::Period(col) => periods.push(col),
                    Label::Members(m) => {
                        let m = preferred(&m, &counts_of(l, is_row, r));
                        member_labels.extend(m.iter().cloned());
                        named.extend(m);
                    }
                    Label::Quantity { members: m, .. } => {
                        // A name on the breakdown side (a school's, down the rows) says more
                        // than the members it holds: a breakdown the catalogue cannot say.
                        if side.is_some() && is_row == (side == Some(Side::Columns)) {
                            unknown.push(l.clone());
                        }
                        named.extend(preferred(&m, &counts_of(l, is_row, r)));
                    }
                    Label::Unknown => unknown.push(l.clone()),
                    Label::Total => {}
                }
            }
            let kind = if change {
                if unit == "%" {
                    ObservationKind::Growth
                } else {
                    ObservationKind::Change
                }
            } else if target || (title_target && !actual && periods.is_empty()) {
                ObservationKind::Target
            } else {
                ObservationKind::Actual
            };
            let (column, from_document) = match periods.last() {
                Some(p) => (
                    Column {
                        kind,
                        period: p.period.clone(),
                        note: p.note.clone(),
                    },
                    false,
                ),
                None => match (&title_year, year.year) {
                    (Some((y, line)), _) => (
                        Column {
                            kind,
                            period: y.clone(),
                            note: PeriodNote::TableTitle {
                                year: y.clone(),
                                line: line.clone(),
                            },
                        },
                        false,
                    ),
                    (None, Some(y)) => (
                        Column {
                            kind,
                            period: y.to_string(),
                            note: PeriodNote::TableDocumentYear {
                                year: y,
                                from: year.from.cloned(),
                            },
                        },
                        true,
                    ),
                    (None, None) => (
                        Column {
                            kind,
                            period: String::new(),
                            note: PeriodNote::NoTableYear,
                        },
                        false,
                    ),
                },
            };
            cells.push(GridCell {
                value: value.trim_end_matches(['%', '％']).to_string(),
                printed: cell.text.trim().to_string(),
                unit,
                start: cell.start,
                end: cell.end,
                headers: CellHeaders {
                    row_headers: rl.clone(),
                    column_headers: cl.clone(),
                },
                quantity,
                members: named,
                member_labels,
                unknown,
                dimensions: table_dimensions.clone(),
                column,
                period_from_document: from_document,
            });
        }
    }
    Some((cells, prose))
}

/// What the matcher needs of the document for a grid cell.
pub struct Context<'a> {
    /// The report's district.
    pub district: &'a str,
    /// The source code.
    pub source: &'a str,
    /// Similarity below which a figure goes to `unmatched`.
    pub threshold: f64,
    /// Share of a cell's naming words its indicator must hold (see [`matcher::MIN_SUPPORT`]).
    pub min_support: f64,
}

/// Factor on the confidence of a cell whose period is the document's.
const GUESSED_PERIOD: f64 = 0.8;
/// Factor on the confidence of a cell whose breakdown names what the catalogue lacks.
const UNKNOWN_MEMBER: f64 = 0.5;

/// Printed units to try for a cell that prints none, one per canonical unit: the indicator's
/// unit is the cell's.
fn bare_units(k: &Knowledge) -> Vec<String> {
    let mut canon: Vec<CanonicalUnit> = k.indicators.iter().map(|i| i.unit).collect();
    canon.sort_by_key(|u| u.as_str());
    canon.dedup();
    canon
        .into_iter()
        .filter_map(|c| {
            // The shortest printed spelling of the unit itself (factor 1): 人, 所, 元, 平方米.
            let mut spellings: Vec<&String> = k
                .units
                .iter()
                .filter(|(s, (u, f))| {
                    *u == c
                        && *f == 1.0
                        && !s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
                })
                .map(|(s, _)| s)
                .collect();
            spellings.sort_by_key(|s| (s.chars().count(), (*s).clone()));
            spellings.first().map(|s| (*s).clone())
        })
        .collect()
}

/// The units bare cells were found in, by their quantity's words, kind and table dimensions:
/// the cells of one column (or row) share them, and trying every unit for each cell was most
/// of the time of a large table.
#[derive(Debug, Default)]
pub struct BareUnits(HashMap<(String, ObservationKind, Vec<String>), String>);

/// Decides one cell: its indicator through the matcher (the quantity labels as the figure's
/// words), its breakdown, kind and period from the grid.
/// A bare cell's unit is the one its column's first bare cell was found in (`bare`).
pub fn decide(cell: &GridCell, cx: &Context<'_>, k: &Knowledge, bare: &mut BareUnits) -> Decision {
    let words: Vec<String> = cell
        .quantity
        .iter()
        .map(|q| quantity_words(q, k))
        .filter(|q| !q.is_empty())
        .collect();
    let lead = words.join("，");
    let bare_key = (lead.clone(), cell.column.kind, cell.dimensions.clone());
    let units = match (cell.unit.is_empty(), bare.0.get(&bare_key)) {
        (false, _) => vec![cell.unit.clone()],
        (true, Some(unit)) => vec![unit.clone()],
        (true, None) => bare_units(k),
    };
    // `lenient`: any similarity will do (see below, the sole indicator of a breakdown).
    let attempt = |admits: Option<&dyn Fn(&IndicatorCue) -> bool>, lenient: bool| {
        let mut best: Option<(f64, Decision)> = None;
        for unit in &units {
            let text = format!("{lead}{}{unit}", cell.value);
            let chars: Vec<char> = text.chars().collect();
            let start = lead.chars().count();
            let figure = Figure {
                value: cell.value.clone(),
                unit: unit.clone(),
                start,
                end: chars.len(),
                number_start: start,
                clause: (0, chars.len()),
                sentence: (0, chars.len()),
                is_rank: false,
                column: Some(cell.column.clone()),
            };
            let mcx = matcher::Context {
                chars: &chars,
                district: cx.district,
                source: cx.source,
                review_year: None,
                review_year_from: None,
                review_span: None,
                plans_from: None,
                threshold: if lenient { 0.0 } else { cx.threshold },
                min_support: if lenient { 0.0 } else { cx.min_support },
                earlier: &[],
                admits,
            };
            let d = matcher::decide(&figure, &mcx, k);
            let score = match &d {
                Decision::Proposal(p) => p.confidence,
                Decision::Unmatched(_) => -1.0,
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, d));
            }
        }
        best.map(|(_, d)| d)
    };
    // A table of school types speaks of schools: an indicator broken down by school type
    // (学校占地面积), not one that is not (项目占地面积), when one fits at all.
    let has_dimensions =
        |ind: &IndicatorCue| cell.dimensions.iter().all(|d| ind.dimensions.contains(d));
    // The labels may name members of a breakdown only one indicator has (按班额分 · 45人及以下:
    // classes by class size): the cell is that indicator's whatever words its labels use,
    // rather than one named like them (大班额班数) that has no such breakdown.
    // Members named inside a quantity's label (the 专任 of 专任教师数) do not count: that
    // label names its quantity.
    let holds_members = |ind: &IndicatorCue| {
        has_dimensions(ind)
            && cell
                .member_labels
                .iter()
                .all(|alts| alts.iter().any(|(d, _)| ind.dimensions.contains(d)))
    };
    let sole = !cell.member_labels.is_empty()
        && k.indicators.iter().filter(|i| holds_members(i)).count() == 1;
    let by_labels = || match cell.dimensions.is_empty() {
        true => attempt(None, false),
        false => match attempt(Some(&has_dimensions), false) {
            Some(Decision::Proposal(p)) => Some(Decision::Proposal(p)),
            _ => attempt(None, false),
        },
    };
    // Leniently: any similarity will do, the breakdown having named the indicator (a match
    // the strict thresholds take is the lenient one too).
    let decided = match sole.then(|| attempt(Some(&holds_members), true)).flatten() {
        Some(Decision::Proposal(p)) => Some(Decision::Proposal(p)),
        _ => by_labels(),
    };
    let quote = crate::ingest::validate::cell_quote(
        &cell
            .headers
            .row_headers
            .iter()
            .chain(&cell.headers.column_headers)
            .cloned()
            .collect::<Vec<_>>(),
        &cell.printed,
    );
    let where_from = Reason::TableCell {
        row: cell.headers.row_headers.clone(),
        column: cell.headers.column_headers.clone(),
    };
    if let (true, Some(Decision::Proposal(p))) = (cell.unit.is_empty(), &decided) {
        bare.0.insert(bare_key, p.row.unit.clone());
    }
    // A part label (其中：寄宿生 under 在校生数) names a subset of its whole: the whole's
    // indicator takes it only when the part's words are that indicator's or a member of its
    // breakdown (其中：专任教师, 其中：普通小学); boarders are not a breakdown of students.
    let decided = match decided {
        Some(Decision::Proposal(p)) => match part_not_held(cell, &p, k) {
            Some((words, held)) => Some(Decision::Unmatched(matcher::turned_down(
                p,
                words,
                held,
                cx.min_support,
                k,
            ))),
            None => Some(Decision::Proposal(p)),
        },
        other => other,
    };
    match decided {
        Some(Decision::Proposal(mut p)) => {
            let dims = k
                .indicators
                .iter()
                .find(|i| i.code == p.row.indicator)
                .map(|i| i.dimensions.clone())
                .unwrap_or_default();
            let breakdown = breakdown_of(&cell.members, &dims);
            p.row.breakdown = (!breakdown.is_total()).then(|| breakdown.to_string());
            p.row.quote = quote;
            p.quote_start = cell.start;
            p.quote_end = cell.end;
            p.explain(where_from);
            if cell.unit.is_empty() {
                let unit = p.row.unit.clone();
                p.explain(Reason::NoUnitPrinted { unit });
            }
            if cell.period_from_document {
                p.explain(Reason::Period {
                    period: p.row.period.clone(),
                    note: cell.column.note.clone(),
                });
                p.confidence = (p.confidence * GUESSED_PERIOD * 1000.0).round() / 1000.0;
            }
            if !cell.unknown.is_empty() {
                p.explain(Reason::UnknownMembers {
                    words: cell.unknown.clone(),
                });
                p.confidence = (p.confidence * UNKNOWN_MEMBER * 1000.0).round() / 1000.0;
            }
            p.cell = Some(cell.headers.clone());
            Decision::Proposal(p)
        }
        Some(Decision::Unmatched(mut u)) => {
            u.quote = quote;
            u.quote_start = cell.start;
            u.quote_end = cell.end;
            u.unit = cell.unit.clone();
            if let Some(name) = words.last() {
                let name = super::naming::clean(&BRACKET.replace_all(name, ""), &[]);
                if han_count(&name) >= 2 {
                    u.suggested.name_zh = name;
                }
            }
            u.explain(where_from);
            u.cell = Some(cell.headers.clone());
            Decision::Unmatched(u)
        }
        None => no_indicator(cell, quote, where_from),
    }
}

/// When the cell's innermost quantity label is a part (其中：寄宿生) whose words its proposed
/// indicator does not hold (at least [`matcher::MIN_SUPPORT`]): those words and the share held.
fn part_not_held(
    cell: &GridCell,
    p: &super::Proposal,
    k: &Knowledge,
) -> Option<(Vec<String>, f64)> {
    let [.., whole, part] = cell.quantity.as_slice() else {
        return None;
    };
    let is_part = |l: &str| l.trim_start().starts_with("其中");
    if !is_part(part) || is_part(whole) {
        return None;
    }
    let words = quantity_words(part, k);
    let i = k
        .indicators
        .iter()
        .position(|i| i.code == p.row.indicator)?;
    let held = k.profiles.support_of_words(&words, i)?;
    (held < matcher::MIN_SUPPORT).then(|| (vec![words], held))
}

/// No unit to try (a catalogue without indicators): the cell is unmatched.
fn no_indicator(cell: &GridCell, quote: String, where_from: Reason) -> Decision {
    let reasons = vec![Reason::EmptyCatalogue, where_from];
    Decision::Unmatched(super::Unmatched {
        value: cell.value.clone(),
        unit: cell.unit.clone(),
        quote,
        quote_start: cell.start,
        quote_end: cell.end,
        kind: cell.column.kind.as_str().to_string(),
        period: cell.column.period.clone(),
        suggested: super::SuggestedIndicator {
            name_zh: cell.quantity.last().cloned().unwrap_or_default(),
            unit: String::new(),
            category: String::new(),
        },
        why: super::why::en(&reasons),
        reasons,
        cell: Some(cell.headers.clone()),
    })
}

/// The breakdown of a cell: for each member named (outer first, an inner one replacing an
/// outer one of the same dimension), its first alternative in a dimension the indicator has.
fn breakdown_of(named: &[Vec<(String, String)>], dimensions: &[String]) -> Breakdown {
    let mut chosen: HashMap<&str, &str> = HashMap::new();
    for alts in named {
        if let Some((d, m)) = alts.iter().find(|(d, _)| dimensions.contains(d)) {
            chosen.insert(d.as_str(), m.as_str());
        }
    }
    Breakdown::from_pairs(chosen).unwrap_or_default()
}

#[cfg(test)]
mod tests;
