//! Tables flattened to text: statistics bulletins and report annexes arrive with one cell per
//! line (often tab-indented), column headers first. A table is recognised by a header row
//! whose value columns name a year (`2025年主要目标`, `2023年1—6月完成`); after it, a text cell
//! followed by one cell per value column is a row: its label names the indicator (and the unit,
//! `在校学生数（万人）`), the text cells before it name its category (`学前教育`: the
//! breakdown), and each value column says whether the cell is a target or an actual and of
//! which period. Empty cells (`*`, `—`, blank) are skipped. A row without a unit of its own
//! (`其中：普通小学`) is a part of the row that gave it its unit, and that row heads its
//! sentence (the matcher reads `在校学生数` there).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::figures::Figure;
use super::knowledge::Knowledge;
use super::why::PeriodNote;
use crate::domain::ObservationKind;

/// What a value column says about its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Target or actual.
    pub kind: ObservationKind,
    /// Reference period.
    pub period: String,
    /// Where the period comes from.
    pub note: PeriodNote,
}

static SPAN: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"((?:19|20)\d{2})年(\d{1,2})\s*[—\-－~～至]\s*(\d{1,2})月")
});
static YEAR: LazyLock<Regex> = LazyLock::new(|| crate::pattern::regex(r"((?:19|20)\d{2})年"));
static VALUE: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"^[<>＜＞≥≤]?\s*\d+(?:[.．]\d+)?\s*[%％]?$"));
static UNIT: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"[（(]([^（）()]{1,6})[）)]\s*$"));

/// A header cell naming a year: a value column.
fn column(header: &str) -> Option<Column> {
    let target = ["目标", "预期", "规划"].iter().any(|w| header.contains(w));
    let kind = if target {
        ObservationKind::Target
    } else {
        ObservationKind::Actual
    };
    let note = PeriodNote::ColumnHeader {
        header: header.to_string(),
    };
    if let Some(c) = SPAN.captures(header) {
        let (y, a, b) = (&c[1], c[2].parse::<u32>().ok()?, c[3].parse::<u32>().ok()?);
        return Some(Column {
            kind,
            period: format!("{y}-{a:02}..{y}-{b:02}"),
            note: note.clone(),
        });
    }
    YEAR.captures(header).map(|c| Column {
        kind,
        period: c[1].to_string(),
        note,
    })
}

/// The most cells a header holds (labels and value columns): a longer run of short cells is text.
const MAX_HEADER: usize = 8;

fn is_empty_cell(s: &str) -> bool {
    matches!(s, "*" | "—" | "-" | "－" | "/" | "——")
}

/// One line (or tab-separated cell) of the text: its trimmed content and where that content is (in characters).
struct Line {
    text: Cow<'static, str>,
    start: usize,
    end: usize,
}

/// The longest cell of a row: a longer line ends a table (see [`find`]).
const LONGEST_CELL: usize = 40;
/// What stands for a line longer than [`LONGEST_CELL`] that is not a number: the table reader
/// reads only its length of such a line (longer than a header cell and a row's cells), so its
/// text is not kept and a large text's lines are not held a second time. Longer than
/// [`LONGEST_CELL`] characters, and no value or empty cell.
const LONG_LINE: &str = "(a line longer than a table cell; its text is not kept here)";

fn lines(chars: &[char]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut s = 0;
    for i in 0..=chars.len() {
        // A tab ends a cell as a line does: a table read from a file (`crate::document`)
        // is rendered one row per line with tab-separated cells.
        if i == chars.len() || chars[i] == '\n' || chars[i] == '\t' {
            let mut a = s;
            let mut b = i;
            while a < b && chars[a].is_whitespace() {
                a += 1;
            }
            while b > a && chars[b - 1].is_whitespace() {
                b -= 1;
            }
            let text: String = chars[a..b].iter().collect();
            if !text.is_empty() {
                let long = b - a > LONGEST_CELL && !VALUE.is_match(&text);
                out.push(Line {
                    text: if long {
                        Cow::Borrowed(LONG_LINE)
                    } else {
                        Cow::Owned(text)
                    },
                    start: a,
                    end: b,
                });
            }
            s = i + 1;
        }
    }
    out
}

/// The cells of every table in the text, as figures with their column.
pub fn find(chars: &[char], knowledge: &Knowledge) -> Vec<Figure> {
    let all = lines(chars);
    let cells: Vec<&Line> = all.iter().filter(|l| !l.text.is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        // A header: consecutive short cells, at least one of which is a value column.
        let mut j = i;
        while j < cells.len()
            && cells[j].text.chars().count() <= 20
            && !VALUE.is_match(&cells[j].text)
        {
            j += 1;
        }
        // The header ends with its last value column; what follows are the first rows' cells.
        let Some(last) = (i..j).rev().find(|&x| column(&cells[x].text).is_some()) else {
            i = j.max(i + 1);
            continue;
        };
        let j = last + 1;
        if j - i > MAX_HEADER {
            // Too long for a header. A start one cell later scans the same run and finds the same
            // last column, and so does every start up to the first whose header is short enough:
            // jump there at once. Stepping one cell at a time rescanned the run from every start,
            // quadratic in a long run of short header-like lines (`2021年` on every line).
            i = j - MAX_HEADER;
            continue;
        }
        if j - i < 2 {
            i += 1;
            continue;
        }
        let columns: Vec<Column> = cells[i..j].iter().filter_map(|c| column(&c.text)).collect();
        let n = columns.len();
        // Rows: text cells (category, then label) followed by n value cells.
        let mut k = j;
        let mut pending: Vec<&Line> = Vec::new();
        let mut category_start: Option<usize> = None;
        let mut unit = String::new();
        let mut unit_row = 0;
        while k < cells.len() {
            let c = cells[k];
            if c.text.chars().count() > LONGEST_CELL {
                break;
            }
            let is_value = |l: &Line| VALUE.is_match(&l.text) || is_empty_cell(&l.text);
            if !is_value(c)
                && k + n < cells.len() + 1
                && cells[k + 1..(k + 1 + n).min(cells.len())]
                    .iter()
                    .filter(|l| is_value(l))
                    .count()
                    == n
            {
                // A row: `c` is its label.
                // A label without a unit (其中：普通小学) keeps the unit of the row above.
                let start = category_start.unwrap_or(c.start);
                if let Some(u) = UNIT.captures(&c.text) {
                    let u = u[1].trim().to_string();
                    if knowledge.units.contains_key(&u) {
                        unit = u;
                        unit_row = start;
                    }
                }
                let row_end = cells[k + n].end;
                for (col, cell) in columns.iter().zip(&cells[k + 1..=k + n]) {
                    if is_empty_cell(&cell.text) || unit.is_empty() {
                        continue;
                    }
                    let value: String = cell.text.chars().filter(|c| !c.is_whitespace()).collect();
                    let value = value.trim_end_matches(['%', '％']).to_string();
                    out.push(Figure {
                        value,
                        unit: unit.clone(),
                        start: cell.start,
                        end: cell.end,
                        number_start: cell.start,
                        clause: (start, row_end),
                        // A row that inherits its unit is a part of the row that gave it
                        // (其中：普通小学 under 在校学生数（万人）): that row heads its sentence.
                        sentence: (unit_row.min(start), row_end),
                        is_rank: false,
                        column: Some(col.clone()),
                    });
                }
                pending.clear();
                category_start = None;
                k += n + 1;
                continue;
            }
            if is_value(c) {
                break;
            }
            // A category cell (it may span several lines: 学前 / 教育).
            if pending.is_empty() {
                category_start = Some(c.start);
            }
            pending.push(c);
            k += 1;
        }
        i = k.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CanonicalUnit;

    #[test]
    fn a_row_inheriting_its_unit_reads_the_row_that_gave_it() {
        // SYNTHETIC table: 其中：普通小学 has no unit of its own.
        let text = "指标\n\t2025年目标\n\t2023年完成\n\t在校学生数（万人）\n\t7.2\n\t6.5\n\t其中：普通小学\n\t4.5\n\t4.1\n";
        let mut k = Knowledge::default();
        k.units.insert("万人".into(), (CanonicalUnit::Person, 1e4));
        let chars: Vec<char> = text.chars().collect();
        let found = find(&chars, &k);
        let part = found.iter().find(|f| f.value == "4.5").expect("a cell");
        let sentence: String = chars[part.sentence.0..part.sentence.1].iter().collect();
        assert!(sentence.starts_with("在校学生数（万人）"), "{sentence:?}");
        let clause: String = chars[part.clause.0..part.clause.1].iter().collect();
        assert!(clause.starts_with("其中：普通小学"), "{clause:?}");
        let whole = found.iter().find(|f| f.value == "7.2").expect("a cell");
        assert_eq!(whole.sentence, whole.clause);
    }

    #[test]
    fn a_long_header_starts_eight_cells_before_its_last_column() {
        // SYNTHETIC: ten header-like cells; only the last eight can be the header, and the
        // table is read with the two columns it ends on.
        let text = "甲\n乙\n丙\n丁\n戊\n己\n庚\n指标\n\t2025年目标\n\t2023年完成\n\t在校学生数（万人）\n\t7.2\n\t6.5\n";
        let mut k = Knowledge::default();
        k.units.insert("万人".into(), (CanonicalUnit::Person, 1e4));
        let chars: Vec<char> = text.chars().collect();
        let found = find(&chars, &k);
        let values: Vec<(&str, &str)> = found
            .iter()
            .map(|f| {
                (
                    f.value.as_str(),
                    f.column.as_ref().map_or("", |c| c.period.as_str()),
                )
            })
            .collect();
        assert_eq!(values, [("7.2", "2025"), ("6.5", "2023")]);
    }

    /// The CPU time of the table reader on `lines` copies of `line` (least of three runs).
    fn time_of(line: &str, lines: usize) -> std::time::Duration {
        let k = Knowledge::default();
        let chars: Vec<char> = line.repeat(lines).chars().collect();
        crate::timing::least_cpu_time(3, || {
            std::hint::black_box(find(&chars, &k));
        })
    }

    #[test]
    fn a_long_run_of_header_like_lines_is_read_in_linear_time() {
        // Found by fuzzing (tests/it/fuzz.rs): every line a short cell naming a year, so every
        // start began a header too long to be one and the run was rescanned from the next
        // start: 8 times the lines took 64 times as long. Measured as a ratio between two
        // sizes in the same run (CPU time), so a slow or busy machine does not fail it; linear is about 8.
        for line in ["2021年\n", "\t2025年目标\n", "甲\n\t2021年\n"] {
            let short = time_of(line, 400);
            let long = time_of(line, 3200);
            let ratio = long.as_secs_f64() / short.as_secs_f64().max(1e-6);
            assert!(
                ratio < 24.0,
                "{line:?}: 400 lines {short:?}, 3,200 lines {long:?} (x{ratio:.1})"
            );
        }
    }
}
