//! What every reader shares: the text builder that keeps character offsets for the tables'
//! cells, the grid that expands merged cells, and the white-space rule for CJK text.

use super::{Cell, DocMeta, Document, Format, Table};

/// A table's rows of (text, spanned) cells.
pub type Rows = Vec<Vec<(String, bool)>>;

/// Most grid positions one table may expand to: a `rowspan="65534" colspan="1000"` cell must
/// not allocate millions of copies.
const MAX_GRID_CELLS: usize = 1_000_000;
/// Largest span honoured in either direction.
const MAX_SPAN: usize = 1_000;

/// Whether `c` belongs to CJK text, where a line break is not a word break.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        // CJK radicals to unified ideographs (punctuation, kana, bopomofo included), then
        // compatibility ideographs, full-width forms and the supplementary ideographs.
        '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// One line of `s`: white space collapsed to single spaces, except that a break between two
/// CJK characters (a source line wrapped inside a sentence) joins them with nothing.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    let mut gap_has_break = false;
    for c in s.chars() {
        if c.is_whitespace() && c != '\u{3000}' || c == '\u{a0}' {
            gap = true;
            gap_has_break |= c == '\n' || c == '\r';
            continue;
        }
        if gap && !out.is_empty() {
            let joined = gap_has_break && out.chars().next_back().is_some_and(is_cjk) && is_cjk(c);
            if !joined {
                out.push(' ');
            }
        }
        gap = false;
        gap_has_break = false;
        out.push(c);
    }
    out.trim_matches(|c: char| c.is_whitespace()).to_string()
}

/// A table's positions, filled cell by cell in reading order with their spans.
#[derive(Debug, Default)]
pub struct Grid {
    cells: Vec<Vec<Option<(String, bool)>>>,
    rows: usize,
    col: usize,
    placed: usize,
}

impl Grid {
    /// An empty grid.
    pub fn new() -> Grid {
        Grid::default()
    }

    /// Starts the next row.
    pub fn row(&mut self) {
        self.rows += 1;
        self.col = 0;
        if self.cells.len() < self.rows {
            self.cells.resize_with(self.rows, Vec::new);
        }
    }

    /// Places the next cell of the current row at the first free position, covering
    /// `rowspan` × `colspan` positions (0 counts as 1).
    pub fn cell(&mut self, text: &str, rowspan: usize, colspan: usize) {
        if self.rows == 0 {
            self.row();
        }
        let r = self.rows - 1;
        while self.cells[r].get(self.col).is_some_and(Option::is_some) {
            self.col += 1;
        }
        let (rowspan, colspan) = (rowspan.clamp(1, MAX_SPAN), colspan.clamp(1, MAX_SPAN));
        let (rowspan, colspan) = if self.placed + rowspan * colspan > MAX_GRID_CELLS {
            (1, 1)
        } else {
            (rowspan, colspan)
        };
        let text = clean(text);
        for i in 0..rowspan {
            if self.cells.len() <= r + i {
                self.cells.resize_with(r + i + 1, Vec::new);
            }
            let row = &mut self.cells[r + i];
            for j in 0..colspan {
                let c = self.col + j;
                if row.len() <= c {
                    row.resize(c + 1, None);
                }
                // An overlapping span (bad markup) does not overwrite what is there.
                if row[c].is_none() {
                    row[c] = Some((text.clone(), i > 0 || j > 0));
                    self.placed += 1;
                }
            }
        }
        self.col += colspan;
    }

    /// The rows, each as wide as the widest, without the rows a span reached past the last
    /// row (see [`normalise`]).
    pub fn finish(mut self) -> Vec<Vec<(String, bool)>> {
        self.cells.truncate(self.rows);
        normalise(
            self.cells
                .into_iter()
                .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
                .collect(),
        )
    }
}

/// Rows of (text, spanned) cells made a table: texts cleaned, rows with no text and trailing
/// columns with no text dropped, every row as wide as the widest.
pub fn normalise(rows: Vec<Vec<(String, bool)>>) -> Vec<Vec<(String, bool)>> {
    let mut rows: Vec<Vec<(String, bool)>> = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|(t, s)| (clean(&t), s))
                .collect::<Vec<_>>()
        })
        .filter(|r| r.iter().any(|(t, _)| !t.is_empty()))
        .collect();
    let width = rows
        .iter()
        .map(|r| {
            r.iter()
                .rposition(|(t, _)| !t.is_empty())
                .map_or(0, |p| p + 1)
        })
        .max()
        .unwrap_or(0);
    for r in &mut rows {
        r.resize(width, (String::new(), false));
    }
    rows
}

/// The document's text, built paragraph by paragraph and table by table.
#[derive(Debug, Default)]
pub struct Builder {
    text: String,
    chars: usize,
    tables: Vec<Table>,
}

impl Builder {
    /// An empty document.
    pub fn new() -> Builder {
        Builder::default()
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    /// Adds a paragraph (white space cleaned, see [`clean`]); an empty one adds nothing.
    pub fn paragraph(&mut self, s: &str) {
        let line = clean(s);
        if !line.is_empty() {
            self.push(&line);
            self.push("\n");
        }
    }

    /// Adds a table from its expanded rows (see [`Grid::finish`]); a table without rows adds
    /// only its caption.
    pub fn table(&mut self, rows: Vec<Vec<(String, bool)>>, caption: Option<String>) {
        let caption = caption.map(|c| clean(&c)).filter(|c| !c.is_empty());
        if let Some(c) = &caption {
            self.paragraph(c);
        }
        if rows.is_empty() || rows[0].is_empty() {
            return;
        }
        let start = self.chars;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(row.len());
            for (j, (text, spanned)) in row.into_iter().enumerate() {
                if j > 0 {
                    self.push("\t");
                }
                let text = text.replace(['\t', '\n', '\r'], " ");
                let cell_start = self.chars;
                self.push(&text);
                cells.push(Cell {
                    text,
                    start: cell_start,
                    end: self.chars,
                    spanned,
                });
            }
            self.push("\n");
            out.push(cells);
        }
        self.tables.push(Table {
            start,
            end: self.chars - 1,
            rows: out,
            caption,
        });
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Adds everything `other` holds after what this one holds.
    pub fn append(&mut self, other: Builder) {
        let shift = self.chars;
        self.text.push_str(&other.text);
        self.chars += other.chars;
        for mut t in other.tables {
            t.start += shift;
            t.end += shift;
            for c in t.rows.iter_mut().flatten() {
                c.start += shift;
                c.end += shift;
            }
            self.tables.push(t);
        }
    }

    /// The document.
    pub fn finish(self, format: Format, meta: DocMeta) -> Document {
        Document {
            format,
            text: self.text,
            tables: self.tables,
            meta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_break_inside_cjk_text_joins_and_other_white_space_is_one_space() {
        assert_eq!(clean("学前\n  教育"), "学前教育");
        assert_eq!(clean(" 2022年  财政 \t总投入 "), "2022年 财政 总投入");
        assert_eq!(clean("per\ncent"), "per cent");
    }

    #[test]
    fn spans_repeat_their_text_and_the_offsets_point_into_the_text() {
        let mut g = Grid::new();
        g.row();
        g.cell("分类", 1, 1);
        g.cell("指标", 1, 2);
        g.row();
        g.cell("学前教育", 2, 1);
        g.cell("在园幼儿数（万人）", 1, 1);
        g.cell("2.1", 1, 1);
        g.row();
        g.cell("公办在园幼儿占比（%）", 1, 1);
        g.cell("55", 1, 1);
        let mut b = Builder::new();
        b.paragraph("主要指标完成情况如下：");
        b.table(g.finish(), None);
        let doc = b.finish(Format::Html, DocMeta::default());
        assert_eq!(
            doc.text,
            "主要指标完成情况如下：\n分类\t指标\t指标\n学前教育\t在园幼儿数（万人）\t2.1\n学前教育\t公办在园幼儿占比（%）\t55\n"
        );
        let t = &doc.tables[0];
        let chars: Vec<char> = doc.text.chars().collect();
        for row in &t.rows {
            assert_eq!(row.len(), 3);
            for c in row {
                assert_eq!(chars[c.start..c.end].iter().collect::<String>(), c.text);
            }
        }
        assert!(t.rows[0][2].spanned && !t.rows[0][1].spanned);
        assert!(t.rows[2][0].spanned && !t.rows[1][0].spanned);
        assert_eq!(chars[t.end], '\n');
        assert_eq!(
            chars[t.start..t.start + 2].iter().collect::<String>(),
            "分类"
        );
    }

    #[test]
    fn a_huge_span_is_clamped() {
        let mut g = Grid::new();
        g.row();
        g.cell("x", 65_534, 65_534);
        let rows = g.finish();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].len() <= MAX_SPAN);
    }
}
