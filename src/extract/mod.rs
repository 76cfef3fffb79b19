//! Figure extraction: from a report's text to a review draft of proposed observations.
//!
//! ```text
//! text ─ metadata (document number, date, issuer, title, kind, year reviewed, district)
//!      ─ figures (every number with a unit that is a statistic; dates, document numbers,
//!                 section numbers, ordinals, phone numbers, slogans and age bands are not)
//!      ─ matcher (which catalogue indicator the clause speaks of; kind, period, breakdown)
//!      → Extraction: an import bundle (`edustats import` reads it) plus `unmatched` figures
//! ```
//!
//! Deterministic and offline: the only knowledge is the catalogue (indicator names, units,
//! breakdown members) and the quotes of published observations ([`Knowledge`]), so extraction
//! improves as the warehouse grows. Nothing found is dropped: a figure that matches no
//! indicator goes to `unmatched` with a suggested indicator.

pub mod drafts;
pub mod eval;
pub mod figures;
pub mod grids;
pub mod knowledge;
pub mod matcher;
pub mod metadata;
pub mod tables;

use serde::{Deserialize, Serialize};

pub use knowledge::Knowledge;

use crate::document::{DocMeta, Document, Table};
use crate::ingest::rows::{ObservationRow, SourceInput};

/// One proposed observation: an import row plus where its quote is, how sure the extractor is
/// and why it chose the indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// The row, in the import format.
    #[serde(flatten)]
    pub row: ObservationRow,
    /// Character offset of the quote in the text.
    pub quote_start: usize,
    /// Character offset just past the quote.
    pub quote_end: usize,
    /// How sure the extractor is, in [0, 1].
    pub confidence: f64,
    /// The cue that chose the indicator, in words.
    pub why: String,
    /// For a figure read from a table's cell: its row and column headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<CellHeaders>,
}

/// The headers of a table cell a figure was read from ([`grids`]), as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellHeaders {
    /// The row's labels, outer first (a category, then the row's own label).
    pub row_headers: Vec<String>,
    /// The column's headers, top row first.
    pub column_headers: Vec<String>,
}

/// An indicator the extractor suggests for a figure that matches none in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedIndicator {
    /// Chinese name, taken from the text before the figure.
    pub name_zh: String,
    /// Canonical unit of the figure.
    pub unit: String,
    /// Category guessed from the closest catalogue indicator (empty when none is close).
    pub category: String,
}

/// A figure that matches no catalogue indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmatched {
    /// The figure as printed.
    pub value: String,
    /// The unit as printed.
    pub unit: String,
    /// The clause it comes from.
    pub quote: String,
    /// Character offset of the quote in the text.
    pub quote_start: usize,
    /// Character offset just past the quote.
    pub quote_end: usize,
    /// What kind of figure it looks like (`actual`, `target`, ...).
    pub kind: String,
    /// Reference period guessed for it.
    pub period: String,
    /// The indicator to create (or to merge into an existing one during review).
    pub suggested: SuggestedIndicator,
    /// Why no indicator was chosen.
    pub why: String,
    /// For a figure read from a table's cell: its row and column headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<CellHeaders>,
}

/// What extraction produces: the `.json` import bundle (`source`, `observations`) plus the
/// figures that match no indicator. `edustats import` ignores the extra fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    /// The source record read from the text, with the full text.
    pub source: SourceInput,
    /// Proposed observations.
    pub observations: Vec<Proposal>,
    /// Figures without an indicator.
    pub unmatched: Vec<Unmatched>,
}

/// Errors of extraction.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The district is neither given nor named in the title or issuer.
    #[error("the report names no district in its title or issuer; pass --district CODE")]
    NoDistrict,
    /// The given district code is unknown.
    #[error("unknown district {0:?}")]
    UnknownDistrict(String),
    /// The text is empty.
    #[error("the report text is empty")]
    Empty,
    /// The given source code breaks the rule for codes.
    #[error("{0}")]
    InvalidCode(String),
}

/// How to extract.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The district the report is about (default: read from the title or issuer).
    pub district: Option<String>,
    /// Source code for the record (default: derived from the district, year and kind).
    pub code: Option<String>,
    /// Similarity below which a figure goes to `unmatched` (default [`matcher::THRESHOLD`]).
    pub threshold: Option<f64>,
    /// Share of a figure's naming words its indicator must hold, else it goes to `unmatched`
    /// (default [`matcher::MIN_SUPPORT`]).
    pub min_support: Option<f64>,
}

/// Extracts every figure of `text`.
pub fn extract(
    text: &str,
    knowledge: &Knowledge,
    opts: &Options,
) -> Result<Extraction, ExtractError> {
    extract_with(text, &DocMeta::default(), &[], knowledge, opts)
}

/// Extracts every figure of a document read from a file ([`crate::document::read`]): its text
/// as [`extract`] does, with what the file says about itself outside its body (a web page's
/// metadata box: document number, issuer, date, title) where the text prints none, read before
/// the figures are, so a figure without a year takes the page's date. Its tables are read as
/// grids ([`grids`]): each number cell under its row and column headers, and the text finders
/// do not read those tables' rendered rows again.
pub fn extract_document(
    doc: &Document,
    knowledge: &Knowledge,
    opts: &Options,
) -> Result<Extraction, ExtractError> {
    extract_with(&doc.text, &doc.meta, &doc.tables, knowledge, opts)
}

/// A figure to decide, in text order: found in the text, or a cell of a grid.
enum Found {
    Text(figures::Figure),
    Cell(grids::GridCell),
}

impl Found {
    fn start(&self) -> usize {
        match self {
            Found::Text(f) => f.start,
            Found::Cell(c) => c.start,
        }
    }
}

fn extract_with(
    text: &str,
    printed: &DocMeta,
    tables: &[Table],
    knowledge: &Knowledge,
    opts: &Options,
) -> Result<Extraction, ExtractError> {
    if let Some(why) = opts
        .code
        .as_deref()
        .and_then(crate::ingest::validate::source_code_problem)
    {
        return Err(ExtractError::InvalidCode(why));
    }
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    let meta = metadata::read_with(text, knowledge, printed);
    let district = match &opts.district {
        Some(code) if knowledge.district_name(code).is_some() => code.clone(),
        Some(code) => return Err(ExtractError::UnknownDistrict(code.clone())),
        None => meta.district.clone().ok_or(ExtractError::NoDistrict)?,
    };
    let code = opts
        .code
        .clone()
        .unwrap_or_else(|| meta.default_code(&district, knowledge));
    let source = meta.source_input(code.clone(), district.clone(), knowledge, text);
    let chars: Vec<char> = text.chars().collect();
    let mut observations = Vec::new();
    let mut unmatched = Vec::new();
    let grid = grids::read(
        tables,
        &chars,
        knowledge,
        grids::DocumentYear {
            year: meta.review_year,
            from: meta.review_year_from.as_deref(),
        },
    );
    let mut found: Vec<Found> = figures::find(&chars, knowledge)
        .into_iter()
        .chain(tables::find(&chars, knowledge))
        // A table read as a grid is read once: not again as lines of text.
        .filter(|f| !grid.covers(f.start))
        .map(Found::Text)
        .collect();
    found.extend(grid.cells.into_iter().map(Found::Cell));
    found.sort_by_key(Found::start);
    let threshold = opts.threshold.unwrap_or(matcher::THRESHOLD);
    let min_support = opts.min_support.unwrap_or(matcher::MIN_SUPPORT);
    let mut earlier: Vec<matcher::Earlier> = Vec::new();
    let mut bare_units = grids::BareUnits::default();
    for item in found {
        let figure = match item {
            Found::Text(f) => f,
            Found::Cell(cell) => {
                let cx = grids::Context {
                    district: &district,
                    source: &code,
                    threshold,
                    min_support,
                };
                match grids::decide(&cell, &cx, knowledge, &mut bare_units) {
                    matcher::Decision::Proposal(p) => observations.push(p),
                    matcher::Decision::Unmatched(u) => unmatched.push(u),
                }
                continue;
            }
        };
        let ctx = matcher::Context {
            chars: &chars,
            district: &district,
            source: &code,
            review_year: meta.review_year,
            review_year_from: meta.review_year_from.as_deref(),
            review_span: meta.review_span(),
            threshold,
            min_support,
            earlier: &earlier,
            admits: None,
        };
        let indicator = match matcher::decide(&figure, &ctx, knowledge) {
            matcher::Decision::Proposal(p) => {
                let code = p.row.indicator.clone();
                observations.push(p);
                Some(code)
            }
            matcher::Decision::Unmatched(u) => {
                unmatched.push(u);
                None
            }
        };
        earlier.push(matcher::Earlier {
            end: figure.end,
            unit: figure.unit,
            indicator,
        });
    }
    number_keys(&mut observations, &code);
    Ok(Extraction {
        source,
        observations,
        unmatched,
    })
}

/// Keys `<code>-x001`, … in text order: stable for the same text and catalogue.
fn number_keys(observations: &mut [Proposal], code: &str) {
    for (i, p) in observations.iter_mut().enumerate() {
        p.row.key = format!("{code}-x{:03}", i + 1);
    }
}
