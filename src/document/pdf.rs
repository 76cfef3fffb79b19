//! PDF with a text layer (pdf-extract over lopdf: fonts with ToUnicode maps and CID fonts, as
//! LibreOffice and Word write them). pdf-extract gives each glyph with its position; the
//! layout is ours: glyphs into lines by baseline, lines in reading order (top to bottom, left
//! to right), running headers, footers and page numbers dropped (a line in the top or bottom
//! tenth of the page that repeats on other pages or is a page number), lines wrapped inside a
//! sentence joined into one paragraph, and tables found from positions (consecutive lines cut
//! by wide gaps into segments that align in columns).
//!
//! Not handled: multi-column page layouts (read across), rotated text, tables without gaps
//! between columns, a table's merged cells (a merged cell's text stays in its first row).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use regex::Regex;

use super::layout::{clean, is_cjk, normalise, Builder};
use super::{DocMeta, Document, Format, ReadError, ReadLimits};

/// One glyph, in page space with y growing downwards.
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    /// Advance, in page units.
    w: f64,
    size: f64,
    s: String,
}

#[derive(Debug, Default)]
struct Page {
    height: f64,
    glyphs: Vec<Glyph>,
}

/// Collects the glyphs of every page.
#[derive(Default)]
struct Collector {
    pages: Vec<Page>,
    top: f64,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.top = media_box.ury;
        self.pages.push(Page {
            height: media_box.ury - media_box.lly,
            glyphs: Vec::new(),
        });
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        s: &str,
    ) -> Result<(), OutputError> {
        // The rendered size: the text matrix scales the font size.
        let sx = font_size * (trm.m11 * trm.m11 + trm.m12 * trm.m12).sqrt();
        let sy = font_size * (trm.m21 * trm.m21 + trm.m22 * trm.m22).sqrt();
        let size = (sx * sy).sqrt();
        if let Some(page) = self.pages.last_mut() {
            if !s.is_empty() && size > 0.0 {
                page.glyphs.push(Glyph {
                    x: trm.m31,
                    y: self.top - trm.m32,
                    w: width * size,
                    size,
                    s: s.to_string(),
                });
            }
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// A stretch of a line between wide gaps.
#[derive(Debug, Clone)]
struct Segment {
    x0: f64,
    x1: f64,
    text: String,
    /// Each glyph's left edge and text: a segment that runs across a table's column start
    /// (a label too close to its value) is split there.
    glyphs: Vec<(f64, String)>,
}

/// One line of a page.
#[derive(Debug, Clone)]
struct Line {
    page: usize,
    y: f64,
    size: f64,
    segments: Vec<Segment>,
}

impl Line {
    fn x0(&self) -> f64 {
        self.segments.first().map_or(0.0, |s| s.x0)
    }
    fn x1(&self) -> f64 {
        self.segments.last().map_or(0.0, |s| s.x1)
    }
    fn text(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        parts.join(" ")
    }
}

/// A gap wider than this many font sizes separates table cells (or a signature's parts).
const CELL_GAP: f64 = 1.2;

fn lines_of(page: &Page, index: usize) -> Vec<Line> {
    let mut glyphs: Vec<&Glyph> = page
        .glyphs
        .iter()
        .filter(|g| !g.s.trim().is_empty())
        .collect();
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut rows: Vec<Vec<&Glyph>> = Vec::new();
    for g in glyphs {
        match rows.last_mut() {
            Some(row) if (row[0].y - g.y).abs() < 0.4 * row[0].size.max(g.size) => row.push(g),
            _ => rows.push(vec![g]),
        }
    }
    rows.into_iter()
        .map(|mut row| {
            row.sort_by(|a, b| a.x.total_cmp(&b.x));
            let size = row.iter().map(|g| g.size).fold(0.0, f64::max);
            let mut segments: Vec<Segment> = Vec::new();
            let mut prev_end = f64::NEG_INFINITY;
            let mut prev_char: Option<char> = None;
            for g in &row {
                let gap = g.x - prev_end;
                let first = g.s.chars().next();
                match segments.last_mut() {
                    Some(seg) if gap < CELL_GAP * size => {
                        // A visible gap between words is a space; between CJK characters
                        // (or CJK and a digit: the autospace of word processors) it is not.
                        let cjk = prev_char.is_some_and(is_cjk) || first.is_some_and(is_cjk);
                        if gap > 0.2 * size && !cjk {
                            seg.text.push(' ');
                        }
                        seg.text.push_str(&g.s);
                        seg.x1 = g.x + g.w;
                        seg.glyphs.push((g.x, g.s.clone()));
                    }
                    _ => segments.push(Segment {
                        x0: g.x,
                        x1: g.x + g.w,
                        text: g.s.clone(),
                        glyphs: vec![(g.x, g.s.clone())],
                    }),
                }
                prev_end = g.x + g.w;
                prev_char = g.s.chars().next_back();
            }
            Line {
                page: index,
                y: row[0].y,
                size,
                segments,
            }
        })
        .collect()
}

static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(
        r"^[-—–−\s·]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／共]\s*\d{1,4}\s*页?)?[-—–−\s·]*$|^(?i:page)\s*\d+",
    )
});

/// Drops running headers, footers and page numbers.
fn drop_edges(pages: &[Page], lines: Vec<Line>) -> Vec<Line> {
    let in_edge = |l: &Line| {
        let h = pages[l.page].height;
        l.y < h * 0.1 || l.y > h * 0.9
    };
    let key = |l: &Line| -> String {
        l.text()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    let mut counts: std::collections::HashMap<String, std::collections::HashSet<usize>> =
        std::collections::HashMap::new();
    for l in lines.iter().filter(|l| in_edge(l)) {
        counts.entry(key(l)).or_default().insert(l.page);
    }
    let repeated = |l: &Line| {
        let n = counts.get(&key(l)).map_or(0, |p| p.len());
        pages.len() >= 2 && n >= 2 && n * 2 >= pages.len()
    };
    lines
        .into_iter()
        .filter(|l| !(in_edge(l) && (PAGE_NUMBER.is_match(l.text().trim()) || repeated(l))))
        .collect()
}

/// Where tables are: runs of lines cut into segments that align in columns.
fn table_runs(lines: &[Line], margin: f64) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].segments.len() < 2 {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && lines[j].page == lines[i].page {
            let l = &lines[j];
            let prev = &lines[j - 1];
            let close = (l.y - prev.y) < 2.5 * l.size.max(prev.size);
            // A short single segment away from the margin continues a cell (a label wrapped
            // in its column); an indented paragraph's first line is long.
            let continuation = l.segments.len() == 1
                && l.x0() > margin + 2.0 * l.size
                && l.x1() - l.x0() < 12.0 * l.size;
            if close && (l.segments.len() >= 2 || continuation) {
                j += 1;
            } else {
                break;
            }
        }
        let multi = lines[i..j].iter().filter(|l| l.segments.len() >= 2).count();
        if multi >= 2 {
            runs.push((i, j));
        }
        i = j;
    }
    runs
}

/// A run of lines as table rows.
fn table(lines: &[Line]) -> Vec<Vec<(String, bool)>> {
    let size = lines.iter().map(|l| l.size).fold(0.0, f64::max).max(1.0);
    let mut starts: Vec<f64> = lines
        .iter()
        .filter(|l| l.segments.len() >= 2)
        .flat_map(|l| l.segments.iter().map(|s| s.x0))
        .collect();
    starts.sort_by(f64::total_cmp);
    let mut columns: Vec<f64> = Vec::new();
    for x in starts {
        if columns.last().is_none_or(|&c| x - c > size) {
            columns.push(x);
        }
    }
    let column = |x: f64| {
        columns
            .iter()
            .rposition(|&c| c <= x + size / 2.0)
            .unwrap_or(0)
    };
    let n = columns.len();
    let mut rows: Vec<Vec<(String, bool)>> = Vec::new();
    for l in lines {
        let mut cells = vec![String::new(); n];
        for s in &l.segments {
            let c = column(s.x0);
            let last = s.glyphs.last().map_or(c, |g| column(g.0));
            if last == c {
                if !cells[c].is_empty() {
                    cells[c].push(' ');
                }
                cells[c].push_str(&s.text);
            } else {
                for (x, g) in &s.glyphs {
                    cells[column(*x)].push_str(g);
                }
            }
        }
        // No value in the last column: the line continues the cells of the row above.
        let continues = cells[n - 1].is_empty()
            && cells[0].is_empty()
            && rows.last().is_some_and(|r| !r[n - 1].0.is_empty());
        match rows.last_mut() {
            Some(row) if continues => {
                for (c, text) in row.iter_mut().zip(cells) {
                    if !text.is_empty() {
                        c.0.push('\n');
                        c.0.push_str(&text);
                    }
                }
            }
            _ => rows.push(cells.into_iter().map(|t| (t, false)).collect()),
        }
    }
    normalise(rows)
}

/// The most common left edge of lines: the text margin (indented first lines are to its
/// right).
fn margin(lines: &[Line]) -> f64 {
    let mut counts: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for l in lines {
        *counts.entry(l.x0().round() as i64).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(x, n)| (n, -x))
        .map_or(0.0, |(x, _)| x as f64)
}

/// Lines into paragraphs and tables.
fn compose(lines: Vec<Line>) -> Builder {
    let margin = margin(&lines);
    let mut ends: Vec<f64> = lines.iter().map(Line::x1).collect();
    ends.sort_by(f64::total_cmp);
    // The right edge of full lines; a shorter line ends its paragraph.
    let right = ends.get(ends.len() * 9 / 10).copied().unwrap_or(0.0);
    let runs = table_runs(&lines, margin);
    let mut b = Builder::new();
    let mut para = String::new();
    let mut prev: Option<&Line> = None;
    let mut i = 0;
    while i < lines.len() {
        if let Some(&(s, e)) = runs.iter().find(|(s, _)| *s == i) {
            b.paragraph(&std::mem::take(&mut para));
            b.table(table(&lines[s..e]), None);
            prev = None;
            i = e;
            continue;
        }
        let l = &lines[i];
        let text = clean(&l.text());
        let new_paragraph = match prev {
            None => true,
            Some(p) => {
                let full = p.x1() >= right - 1.5 * p.size;
                let indented = l.x0() > margin + 0.8 * l.size;
                !full || indented || l.segments.len() > 1 || p.segments.len() > 1
            }
        };
        if new_paragraph {
            b.paragraph(&std::mem::take(&mut para));
        } else {
            let joins_words = para
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if joins_words {
                para.push(' ');
            }
        }
        para.push_str(&text);
        prev = Some(l);
        i += 1;
    }
    b.paragraph(&para);
    b
}

/// Reads a PDF.
pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Document, ReadError> {
    let corrupt = |detail: String| ReadError::Corrupt {
        format: Format::Pdf,
        detail,
    };
    let doc = match catch_unwind(|| pdf_extract::Document::load_mem(bytes)) {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => {
            let message = e.to_string();
            return Err(
                if message.to_lowercase().contains("decrypt")
                    || message.to_lowercase().contains("password")
                    || message.to_lowercase().contains("encrypt")
                {
                    ReadError::Encrypted {
                        format: Some(Format::Pdf),
                    }
                } else {
                    corrupt(message)
                },
            );
        }
        Err(_) => return Err(corrupt("the PDF structure cannot be parsed".into())),
    };
    if doc.is_encrypted() {
        return Err(ReadError::Encrypted {
            format: Some(Format::Pdf),
        });
    }
    let pages = doc.get_pages().len();
    if pages == 0 {
        return Err(corrupt("it has no pages".into()));
    }
    if pages > limits.max_pdf_pages {
        return Err(ReadError::TooLarge {
            limit: format!(
                "{pages} pages, more than the {} a PDF may have",
                limits.max_pdf_pages
            ),
        });
    }
    let mut collector = Collector::default();
    // pdf-extract panics on some malformed content (a missing MediaBox, a broken stream): the
    // file's fault, not the server's.
    let done = catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::output_doc(&doc, &mut collector)
    }));
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(corrupt(e.to_string())),
        Err(_) => return Err(corrupt("a page's content cannot be read".into())),
    }
    let glyphs: usize = collector
        .pages
        .iter()
        .map(|p| p.glyphs.iter().filter(|g| !g.s.trim().is_empty()).count())
        .sum();
    if glyphs < 5 * pages {
        return Err(ReadError::NoTextLayer);
    }
    let lines: Vec<Line> = collector
        .pages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| lines_of(p, i))
        .collect();
    let lines = drop_edges(&collector.pages, lines);
    Ok(compose(lines).finish(Format::Pdf, DocMeta::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(page: usize, y: f64, segments: &[(f64, f64, &str)]) -> Line {
        Line {
            page,
            y,
            size: 10.0,
            segments: segments
                .iter()
                .map(|&(x0, x1, t)| Segment {
                    x0,
                    x1,
                    text: t.to_string(),
                    glyphs: vec![(x0, t.to_string())],
                })
                .collect(),
        }
    }

    #[test]
    fn page_numbers_and_running_headers_go_and_wrapped_lines_join() {
        let pages = vec![
            Page {
                height: 800.0,
                glyphs: Vec::new(),
            },
            Page {
                height: 800.0,
                glyphs: Vec::new(),
            },
        ];
        let lines = vec![
            line(0, 20.0, &[(200.0, 300.0, "荣昌府办函〔2023〕40号")]),
            line(
                0,
                100.0,
                &[(70.0, 500.0, "一是落实教育投入保障机制。始终把教育放在优先")],
            ),
            line(
                0,
                115.0,
                &[(50.0, 500.0, "发展的战略地位，不断加大财政投入力度，2")],
            ),
            line(0, 130.0, &[(50.0, 200.0, "022年财政总投入199950万元。")]),
            line(0, 780.0, &[(250.0, 280.0, "—1—")]),
            line(1, 20.0, &[(200.0, 300.0, "荣昌府办函〔2023〕40号")]),
            line(1, 100.0, &[(70.0, 500.0, "二是有序推进教育事业发展。")]),
            line(1, 780.0, &[(250.0, 280.0, "—2—")]),
        ];
        let lines = drop_edges(&pages, lines);
        assert_eq!(lines.len(), 4);
        let b = compose(lines);
        assert_eq!(
            b.text(),
            "一是落实教育投入保障机制。始终把教育放在优先发展的战略地位，不断加大财政投入力度，2022年财政总投入199950万元。\n二是有序推进教育事业发展。\n"
        );
    }

    #[test]
    fn aligned_segments_are_a_table_and_a_lone_wrapped_label_continues_its_cell() {
        let lines = vec![
            line(
                0,
                100.0,
                &[
                    (50.0, 80.0, "分类"),
                    (150.0, 180.0, "指标"),
                    (300.0, 380.0, "2025年主要目标"),
                ],
            ),
            line(
                0,
                115.0,
                &[
                    (50.0, 90.0, "学前教育"),
                    (150.0, 280.0, "学前三年毛入园率"),
                    (300.0, 320.0, "95"),
                ],
            ),
            line(0, 130.0, &[(150.0, 180.0, "（%）")]),
            line(
                0,
                145.0,
                &[
                    (150.0, 280.0, "公办在园幼儿占比（%）"),
                    (300.0, 320.0, "55"),
                ],
            ),
        ];
        let rows = table(&lines);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1][1].0, "学前三年毛入园率（%）");
        assert_eq!(rows[2][2].0, "55");
        assert_eq!(table_runs(&lines, 50.0), vec![(0, 4)]);
    }
}
