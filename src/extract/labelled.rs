//! Scores extraction on a folder of labelled documents (`eval-extract --labelled DIR`): files
//! in any format [`crate::document::read`] takes, each beside `<file>.labels.csv` naming every
//! statistic it holds with the indicator, kind, year and breakdown a careful reader files it
//! under (an empty indicator: the catalogue has none for that quantity).
//!
//! Unlike the leave-one-report-out score ([`super::eval`]), the knowledge here is the whole
//! catalogue and the documents are ones the extractor was not built from, so the numbers say
//! how it does on a district it has never seen: the measures of issue 22 (indicator right in
//! prose and in tables, indicator, kind and year all right, quantities the catalogue lacks
//! forced onto an indicator, recall, precision).
//!
//! A labelled figure is *found* by a proposal or unmatched figure with the same canonical
//! value whose quote overlaps the label's anchor (prose), or whose cell headers hold the
//! label's row and column (a table cell). One figure answers one label.

use std::path::{Path, PathBuf};

use super::eval::same;
use super::{extract_document, Extraction, Knowledge, Options};
use crate::document::ReadLimits;
use crate::domain::Breakdown;
use crate::ingest::quantity::parse_quantity;

/// One label row (`<file>.labels.csv`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Label {
    /// Prose: an exact, unique substring of the document's text holding the figure. A table
    /// cell: `row label|column label`.
    pub anchor: String,
    /// The number as printed.
    pub value: String,
    /// The unit as printed.
    pub unit: String,
    /// The catalogue code, empty when the catalogue lacks the quantity.
    pub indicator: String,
    /// actual, target, change, growth or rank.
    pub kind: String,
    /// The reference year, empty when the document does not say.
    pub period: String,
    /// `dimension=member` pairs joined by `;`.
    #[serde(default)]
    pub breakdown: String,
    /// The labeller's note. A decrease (下降, 减少) is labelled with its number as printed,
    /// without a sign, and a note opening with `decrease` (the folder's README).
    #[serde(default)]
    pub note: String,
}

impl Label {
    /// The labelled number as the extractor states it: a decrease is negative (比上年减少3所
    /// is a change of -3), as `parse_quantity` reads 减少3.
    fn signed(&self, value: f64) -> f64 {
        if self.note.trim_start().starts_with("decrease") && value > 0.0 {
            -value
        } else {
            value
        }
    }
}

/// Why a labelled folder could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum LabelledError {
    /// The folder or a file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A labels file is not the expected CSV.
    #[error("{path}: {message}")]
    Labels {
        /// The labels file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The folder holds no labelled document.
    #[error("{0}: no file has a <file>.labels.csv beside it")]
    Empty(PathBuf),
}

/// Counts for one document (or the sum over all).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DocScore {
    /// The file's name.
    pub document: String,
    /// Labelled figures in prose / in table cells.
    pub prose: usize,
    /// Labelled table cells.
    pub cells: usize,
    /// Labelled figures found among proposals or unmatched figures.
    pub found: usize,
    /// Proposals made.
    pub proposed: usize,
    /// Proposals that answer a label.
    pub proposals_labelled: usize,
    /// Labelled prose figures with a catalogue indicator / proposed under it.
    pub prose_with_indicator: usize,
    /// See `prose_with_indicator`.
    pub prose_right_indicator: usize,
    /// Labelled cells with a catalogue indicator / proposed under it.
    pub cells_with_indicator: usize,
    /// See `cells_with_indicator`.
    pub cells_right_indicator: usize,
    /// Labelled figures with an indicator proposed with indicator, kind and year all right.
    pub all_right: usize,
    /// Labelled figures whose quantity the catalogue lacks.
    pub lacking: usize,
    /// … of which proposed under some indicator (forced).
    pub forced: usize,
    /// Found proposals with a labelled year / of which the year agrees.
    pub with_year: usize,
    /// See `with_year`.
    pub year_right: usize,
    /// Found proposals whose kind agrees with the label.
    pub kind_right: usize,
    /// Found proposals with the right indicator whose breakdown agrees.
    pub breakdown_right: usize,
    /// Found proposals with the right indicator (the base of `breakdown_right`).
    pub right_indicator_found: usize,
    /// Found proposals (the base of `kind_right`).
    pub found_proposals: usize,
    /// One line per miss, wrong indicator, forced figure, wrong kind or year, extra proposal.
    #[serde(skip)]
    pub details: Vec<String>,
}

impl DocScore {
    fn add(&mut self, o: &DocScore) {
        self.prose += o.prose;
        self.cells += o.cells;
        self.found += o.found;
        self.proposed += o.proposed;
        self.proposals_labelled += o.proposals_labelled;
        self.prose_with_indicator += o.prose_with_indicator;
        self.prose_right_indicator += o.prose_right_indicator;
        self.cells_with_indicator += o.cells_with_indicator;
        self.cells_right_indicator += o.cells_right_indicator;
        self.all_right += o.all_right;
        self.lacking += o.lacking;
        self.forced += o.forced;
        self.with_year += o.with_year;
        self.year_right += o.year_right;
        self.kind_right += o.kind_right;
        self.breakdown_right += o.breakdown_right;
        self.right_indicator_found += o.right_indicator_found;
        self.found_proposals += o.found_proposals;
    }

    /// Sums the documents' counts under the name `all`.
    pub fn total(scores: &[DocScore]) -> DocScore {
        let mut t = DocScore {
            document: "all".into(),
            ..Default::default()
        };
        for s in scores {
            t.add(s);
        }
        t
    }

    /// Share of labelled figures found (proposed or unmatched).
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.prose + self.cells)
    }
    /// Share of proposals that are labelled statistics.
    pub fn precision(&self) -> f64 {
        ratio(self.proposals_labelled, self.proposed)
    }
    /// Share of prose figures with a catalogue indicator proposed under it.
    pub fn prose_indicator(&self) -> f64 {
        ratio(self.prose_right_indicator, self.prose_with_indicator)
    }
    /// Share of table cells with a catalogue indicator proposed under it.
    pub fn cell_indicator(&self) -> f64 {
        ratio(self.cells_right_indicator, self.cells_with_indicator)
    }
    /// Share of figures with a catalogue indicator proposed with indicator, kind and year right.
    pub fn all_right_share(&self) -> f64 {
        ratio(
            self.all_right,
            self.prose_with_indicator + self.cells_with_indicator,
        )
    }
    /// Share of figures the catalogue lacks that were proposed under an indicator.
    pub fn forced_share(&self) -> f64 {
        ratio(self.forced, self.lacking)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        f64::NAN
    } else {
        n as f64 / d as f64
    }
}

/// Reads the labels of one document.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, LabelledError> {
    let bytes = std::fs::read(path).map_err(|source| LabelledError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, r)| {
            r.map_err(|e| LabelledError::Labels {
                path: path.to_path_buf(),
                message: format!("row {}: {e}", i + 2),
            })
        })
        .collect()
}

/// Scores every labelled document of `dir` with the full `knowledge`.
pub fn evaluate_dir(
    dir: &Path,
    knowledge: &Knowledge,
    threshold: Option<f64>,
    min_support: Option<f64>,
) -> Result<Vec<DocScore>, LabelledError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LabelledError::Io { path, source }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let mut labels = p.as_os_str().to_owned();
            labels.push(".labels.csv");
            Path::new(&labels).is_file()
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LabelledError::Empty(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    for file in files {
        let mut labels_path = file.as_os_str().to_owned();
        labels_path.push(".labels.csv");
        let labels = read_labels(Path::new(&labels_path))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&file).map_err(io(&file))?;
        let code = name
            .split('.')
            .next()
            .unwrap_or("document")
            .to_ascii_lowercase();
        let opts = Options {
            district: None,
            code: Some(code),
            threshold,
            min_support,
        };
        let extraction = crate::document::read(&bytes, &ReadLimits::default())
            .map_err(|e| e.to_string())
            .and_then(|doc| {
                extract_document(&doc, knowledge, &opts)
                    .map(|ex| (doc.text, ex))
                    .map_err(|e| e.to_string())
            });
        match extraction {
            Ok((text, ex)) => out.push(score(&name, &text, &ex, &labels, knowledge)),
            Err(e) => out.push(DocScore {
                document: name,
                prose: labels.iter().filter(|l| !is_cell(l)).count(),
                cells: labels.iter().filter(|l| is_cell(l)).count(),
                details: vec![format!("extraction failed: {e}")],
                ..Default::default()
            }),
        }
    }
    Ok(out)
}

/// The year a period names, for the year measure: a month period (2023-12, as the warehouse
/// records a year-end stock, 截至2023年底) names its year; a year is itself; anything else
/// (a span such as 2021-2025, nothing) is compared whole.
fn year_of(period: &str) -> &str {
    let p = period.trim();
    let month = p
        .split_once('-')
        .filter(|(y, m)| y.len() == 4 && m.len() == 2)
        .and_then(|(_, m)| m.parse::<u8>().ok())
        .is_some_and(|m| (1..=12).contains(&m));
    if month {
        &p[..4]
    } else {
        p
    }
}

fn is_cell(l: &Label) -> bool {
    l.anchor.contains('|')
}

fn canonical(value: &str, unit: &str, k: &Knowledge) -> Option<f64> {
    let q = parse_quantity(value).ok()?;
    let factor = match k.units.get(unit) {
        Some((_, f)) => *f,
        None => 1.0,
    };
    Some(q.value * factor)
}

/// A figure of the extraction a label may match.
struct Figure<'a> {
    proposal: Option<&'a super::Proposal>,
    value: Option<f64>,
    span: (usize, usize),
    cell: Option<&'a super::CellHeaders>,
    quote: &'a str,
    unmatched_why: &'a str,
}

fn char_span(text: &str, needle: &str) -> Option<(usize, usize)> {
    let byte = text.find(needle)?;
    let start = text[..byte].chars().count();
    Some((start, start + needle.chars().count()))
}

/// A printed header and a label name the same thing when they are equal once white space is
/// removed (a PDF or a page may space a header differently).
fn same_header(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squeeze(a) == squeeze(b)
}

fn answers(label: &Label, value: f64, span: Option<(usize, usize)>, f: &Figure) -> bool {
    if !f.value.is_some_and(|v| same(v, value)) {
        return false;
    }
    if let Some((row, column)) = label.anchor.split_once('|') {
        return match f.cell {
            Some(c) => {
                c.row_headers.iter().any(|h| same_header(h, row))
                    && c.column_headers.iter().any(|h| same_header(h, column))
            }
            None => f.quote.contains(row) && f.quote.contains(column),
        };
    }
    span.is_some_and(|(s, e)| f.span.0 < e && s < f.span.1)
}

/// Scores one extraction of `text` against its labels.
pub fn score(
    document: &str,
    text: &str,
    ex: &Extraction,
    labels: &[Label],
    k: &Knowledge,
) -> DocScore {
    let mut s = DocScore {
        document: document.to_string(),
        proposed: ex.observations.len(),
        ..Default::default()
    };
    let mut figures: Vec<Figure> = ex
        .observations
        .iter()
        .map(|p| Figure {
            proposal: Some(p),
            value: canonical(&p.row.value, &p.row.unit, k),
            span: (p.quote_start, p.quote_end),
            cell: p.cell.as_ref(),
            quote: &p.row.quote,
            unmatched_why: "",
        })
        .collect();
    figures.extend(ex.unmatched.iter().map(|u| Figure {
        proposal: None,
        value: canonical(&u.value, &u.unit, k),
        span: (u.quote_start, u.quote_end),
        cell: u.cell.as_ref(),
        quote: &u.quote,
        unmatched_why: &u.why,
    }));
    let mut used = vec![false; figures.len()];
    for label in labels {
        let cell = is_cell(label);
        let has_indicator = !label.indicator.trim().is_empty();
        if cell {
            s.cells += 1;
            s.cells_with_indicator += usize::from(has_indicator);
        } else {
            s.prose += 1;
            s.prose_with_indicator += usize::from(has_indicator);
        }
        s.lacking += usize::from(!has_indicator);
        let what = format!(
            "{} {}{} [{}]",
            label.anchor,
            label.value,
            label.unit,
            if has_indicator {
                label.indicator.as_str()
            } else {
                "not in catalogue"
            }
        );
        let Some(value) = canonical(&label.value, &label.unit, k).map(|v| label.signed(v)) else {
            s.details.push(format!("label unreadable: {what}"));
            continue;
        };
        let span = if cell {
            None
        } else {
            match char_span(text, &label.anchor) {
                Some(span) => Some(span),
                None => {
                    s.details
                        .push(format!("missed (anchor not in the read text): {what}"));
                    continue;
                }
            }
        };
        let candidates: Vec<usize> = (0..figures.len())
            .filter(|&j| !used[j] && answers(label, value, span, &figures[j]))
            .collect();
        // Prefer the proposal with the labelled indicator, then any proposal, then unmatched.
        let pick = candidates
            .iter()
            .copied()
            .find(|&j| {
                figures[j]
                    .proposal
                    .is_some_and(|p| p.row.indicator == label.indicator)
            })
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|&j| figures[j].proposal.is_some())
            })
            .or_else(|| candidates.first().copied());
        let Some(j) = pick else {
            s.details.push(format!("missed: {what}"));
            continue;
        };
        used[j] = true;
        s.found += 1;
        let Some(p) = figures[j].proposal else {
            if has_indicator {
                s.details
                    .push(format!("unmatched: {what} ({})", figures[j].unmatched_why));
            }
            continue;
        };
        s.proposals_labelled += 1;
        s.found_proposals += 1;
        if !has_indicator {
            s.forced += 1;
            s.details.push(format!(
                "forced: {what} proposed as {} ({})",
                p.row.indicator, p.why
            ));
            continue;
        }
        let kind_right = p.row.kind.as_str() == label.kind.trim();
        s.kind_right += usize::from(kind_right);
        let year_right = year_of(&p.row.period) == year_of(&label.period);
        if !label.period.trim().is_empty() {
            s.with_year += 1;
            s.year_right += usize::from(year_right);
        }
        if p.row.indicator != label.indicator {
            s.details.push(format!(
                "indicator: {what} proposed as {} ({})",
                p.row.indicator, p.why
            ));
            continue;
        }
        if cell {
            s.cells_right_indicator += 1;
        } else {
            s.prose_right_indicator += 1;
        }
        s.right_indicator_found += 1;
        let proposed = Breakdown::parse_opt(p.row.breakdown.as_deref()).unwrap_or_default();
        let labelled = Breakdown::parse_opt(Some(&label.breakdown)).unwrap_or_default();
        if proposed == labelled {
            s.breakdown_right += 1;
        } else {
            s.details.push(format!(
                "breakdown: {what} proposed {:?}, labelled {:?}",
                proposed.to_string(),
                labelled.to_string()
            ));
        }
        if kind_right && year_right {
            s.all_right += 1;
        } else {
            s.details.push(format!(
                "kind/year: {what} proposed {} {:?}, labelled {} {:?}",
                p.row.kind.as_str(),
                p.row.period.trim(),
                label.kind,
                label.period.trim()
            ));
        }
    }
    for (j, f) in figures.iter().enumerate() {
        if let (Some(p), false) = (f.proposal, used[j]) {
            s.details.push(format!(
                "extra: {}{} [{}] in: {}",
                p.row.value, p.row.unit, p.row.indicator, p.row.quote
            ));
        }
    }
    s
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

/// The table `edustats eval-extract --labelled` prints (Markdown), one row per document and
/// one for all.
pub fn table(scores: &[DocScore]) -> String {
    let mut out = String::from(
        "| document | figures | cells | lacking | proposed | recall | precision | indicator (prose) | indicator (cells) | all right | forced | kind | year | breakdown |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let total = DocScore::total(scores);
    for s in scores.iter().chain(std::iter::once(&total)) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            s.document,
            s.prose + s.cells,
            s.cells,
            s.lacking,
            s.proposed,
            pct(s.recall()),
            pct(s.precision()),
            pct(s.prose_indicator()),
            pct(s.cell_indicator()),
            pct(s.all_right_share()),
            pct(s.forced_share()),
            pct(ratio(s.kind_right, s.found_proposals - s.forced)),
            pct(ratio(s.year_right, s.with_year)),
            pct(ratio(s.breakdown_right, s.right_indicator_found)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{year_of, Label};

    fn label(value: &str, note: &str) -> Label {
        Label {
            anchor: "比上年减少3所".into(),
            value: value.into(),
            unit: "所".into(),
            indicator: "schools".into(),
            kind: "change".into(),
            period: "2023".into(),
            breakdown: String::new(),
            note: note.into(),
        }
    }

    #[test]
    fn a_decrease_labelled_as_printed_is_a_negative_change() {
        assert_eq!(label("3", "decrease (减少): -3").signed(3.0), -3.0);
        assert_eq!(label("3", "").signed(3.0), 3.0);
        assert_eq!(label("3", "base 2022").signed(3.0), 3.0);
        // Already signed: left as it is.
        assert_eq!(label("-3", "decrease").signed(-3.0), -3.0);
    }

    #[test]
    fn a_month_period_names_its_year_and_a_span_does_not() {
        assert_eq!(year_of("2023-12"), "2023");
        assert_eq!(year_of(" 2023 "), "2023");
        assert_eq!(year_of("2021-2025"), "2021-2025");
        assert_eq!(year_of("2023-13"), "2023-13");
        assert_eq!(year_of(""), "");
    }
}
