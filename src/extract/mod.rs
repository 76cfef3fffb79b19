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
pub mod labelled;
pub mod matcher;
pub mod metadata;
pub mod naming;
pub mod tables;
pub mod why;

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
    /// The cue that chose the indicator, in English words ([`why::en`] of `reasons`).
    pub why: String,
    /// The same, typed (worded in Chinese by [`why::zh`]); empty for a proposal stored before
    /// reasons were kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<why::Reason>,
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
    /// Why no indicator was chosen, in English words ([`why::en`] of `reasons`).
    pub why: String,
    /// The same, typed; empty for a figure stored before reasons were kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<why::Reason>,
    /// For a figure read from a table's cell: its row and column headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<CellHeaders>,
}

impl Proposal {
    /// Adds a reason, keeping `why` its English wording.
    pub fn explain(&mut self, reason: why::Reason) {
        self.reasons.push(reason);
        self.why = why::en(&self.reasons);
    }
}

impl Unmatched {
    /// Adds a reason, keeping `why` its English wording.
    pub fn explain(&mut self, reason: why::Reason) {
        self.reasons.push(reason);
        self.why = why::en(&self.reasons);
    }
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
    let plan = Plan::new(text, printed, knowledge, opts)?;
    let mut observations = Vec::new();
    let mut unmatched = Vec::new();
    plan.decide_each(text, tables, knowledge, |decision| {
        match decision {
            matcher::Decision::Proposal(p) => observations.push(p),
            matcher::Decision::Unmatched(u) => unmatched.push(u),
        }
        true
    });
    let source = plan
        .meta
        .source_input(plan.code.clone(), plan.district.clone(), knowledge, text);
    number_keys(&mut observations, &plan.code);
    Ok(Extraction {
        source,
        observations,
        unmatched,
    })
}

/// What is settled about a report before its figures are: its metadata, district and source
/// code (so every refusal has been made), and the matcher's thresholds.
struct Plan {
    meta: metadata::Metadata,
    district: String,
    code: String,
    threshold: f64,
    min_support: f64,
}

impl Plan {
    fn new(
        text: &str,
        printed: &DocMeta,
        knowledge: &Knowledge,
        opts: &Options,
    ) -> Result<Plan, ExtractError> {
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
        Ok(Plan {
            meta,
            district,
            code,
            threshold: opts.threshold.unwrap_or(matcher::THRESHOLD),
            min_support: opts.min_support.unwrap_or(matcher::MIN_SUPPORT),
        })
    }

    /// Decides every figure of `text` and every number cell of its `tables` (read as grids), in
    /// text order, handing each decision to `each` as it is made (nothing is collected here);
    /// `each` returns false to stop.
    fn decide_each(
        &self,
        text: &str,
        tables: &[Table],
        knowledge: &Knowledge,
        mut each: impl FnMut(matcher::Decision) -> bool,
    ) {
        // Counted first: collecting an unknown number of characters grows the vector by
        // doubling, up to twice the memory the text's characters need.
        let mut chars: Vec<char> = Vec::with_capacity(text.chars().count());
        chars.extend(text.chars());
        // Tables and prose date what states no year alike (a rectification report's 截至 year).
        let (figures_year, figures_year_from) = self.meta.figures_year(text);
        let grid = grids::read(
            tables,
            &chars,
            knowledge,
            grids::DocumentYear {
                year: figures_year,
                from: figures_year_from.as_ref(),
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
        found.shrink_to_fit();
        let review_span = self.meta.review_span();
        let plans_from = (self.meta.kind == Some(crate::domain::SourceKind::RectificationPlan))
            .then(|| {
                let dated = self
                    .meta
                    .date
                    .as_deref()
                    .and_then(|d| d.get(..4)?.parse().ok());
                dated.or(self.meta.review_year.map(|y| y + 1))
            })
            .flatten();
        let mut earlier: Vec<matcher::Earlier> = Vec::with_capacity(found.len());
        let mut bare_units = grids::BareUnits::default();
        for item in found {
            let figure = match item {
                Found::Text(f) => f,
                // A cell is decided from its headers; text figures after it do not refer to it.
                Found::Cell(cell) => {
                    let cx = grids::Context {
                        district: &self.district,
                        source: &self.code,
                        threshold: self.threshold,
                        min_support: self.min_support,
                    };
                    if !each(grids::decide(&cell, &cx, knowledge, &mut bare_units)) {
                        return;
                    }
                    continue;
                }
            };
            let ctx = matcher::Context {
                chars: &chars,
                district: &self.district,
                source: &self.code,
                review_year: figures_year,
                review_year_from: figures_year_from.as_ref(),
                review_span: review_span.clone(),
                plans_from,
                threshold: self.threshold,
                min_support: self.min_support,
                earlier: &earlier,
                admits: None,
            };
            let decision = matcher::decide(&figure, &ctx, knowledge);
            let (indicator, level) = match &decision {
                matcher::Decision::Proposal(p) => {
                    (Some(p.row.indicator.clone()), p.row.kind.is_level())
                }
                matcher::Decision::Unmatched(_) => (None, false),
            };
            let reach = earlier
                .last()
                .map_or(figure.end, |e| e.reach.max(figure.end));
            earlier.push(matcher::Earlier {
                end: figure.end,
                unit: figure.unit,
                indicator,
                level,
                reach,
            });
            if !each(decision) {
                return;
            }
        }
    }
}

/// A report read and checked, ready to be extracted straight into its bundle
/// ([`Prepared::write_bundle`]): for a large report, whose bundle would not fit in memory
/// comfortably as an [`Extraction`] (a proposal takes about 1 KB).
pub struct Prepared<'k> {
    plan: Plan,
    source: SourceInput,
    tables: Vec<Table>,
    knowledge: &'k Knowledge,
}

/// Reads `doc`'s metadata and checks the options, as [`extract_document`] does (the same
/// refusals), without deciding its figures yet. The document's text moves into the source
/// record: it is not copied.
pub fn prepare<'k>(
    doc: Document,
    knowledge: &'k Knowledge,
    opts: &Options,
) -> Result<Prepared<'k>, ExtractError> {
    let plan = Plan::new(&doc.text, &doc.meta, knowledge, opts)?;
    let mut source =
        plan.meta
            .source_input(plan.code.clone(), plan.district.clone(), knowledge, "");
    source.text = doc.text;
    Ok(Prepared {
        plan,
        source,
        tables: doc.tables,
        knowledge,
    })
}

impl Prepared<'_> {
    /// The source record the bundle will hold (with the full text).
    pub fn source(&self) -> &SourceInput {
        &self.source
    }

    /// Extracts the report and writes its bundle to `out` as it goes, each proposal as soon as
    /// it is decided: the same JSON, byte for byte, as `serde_json::to_writer_pretty` of the
    /// [`Extraction`] that [`extract_document`] returns, in memory that does not grow with the
    /// number of proposals (only the unmatched figures, written last, are kept). Returns the
    /// numbers of proposed and unmatched figures.
    pub fn write_bundle(
        &self,
        out: impl std::io::Write,
    ) -> Result<(usize, usize), serde_json::Error> {
        use std::cell::{Cell, RefCell};

        /// The proposals, decided while they are written.
        struct Observations<'p, 'k> {
            prepared: &'p Prepared<'k>,
            proposed: &'p Cell<usize>,
            unmatched: &'p RefCell<Vec<Unmatched>>,
        }
        impl Serialize for Observations<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let Prepared {
                    plan,
                    source,
                    tables,
                    knowledge,
                } = self.prepared;
                let mut seq = s.serialize_seq(None)?;
                let mut failed = None;
                plan.decide_each(&source.text, tables, knowledge, |decision| match decision {
                    matcher::Decision::Proposal(mut p) => {
                        p.row.key = key(&plan.code, self.proposed.get());
                        self.proposed.set(self.proposed.get() + 1);
                        match seq.serialize_element(&p) {
                            Ok(()) => true,
                            Err(e) => {
                                failed = Some(e);
                                false
                            }
                        }
                    }
                    matcher::Decision::Unmatched(u) => {
                        self.unmatched.borrow_mut().push(u);
                        true
                    }
                });
                match failed {
                    Some(e) => Err(e),
                    None => seq.end(),
                }
            }
        }
        /// The unmatched figures, written once the proposals are.
        struct Later<'p>(&'p RefCell<Vec<Unmatched>>);
        impl Serialize for Later<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.borrow().serialize(s)
            }
        }
        /// [`Extraction`]'s fields, in its order.
        #[derive(Serialize)]
        struct Bundle<'p, 'k> {
            source: &'p SourceInput,
            observations: Observations<'p, 'k>,
            unmatched: Later<'p>,
        }
        let proposed = Cell::new(0);
        let unmatched = RefCell::new(Vec::new());
        let bundle = Bundle {
            source: &self.source,
            observations: Observations {
                prepared: self,
                proposed: &proposed,
                unmatched: &unmatched,
            },
            unmatched: Later(&unmatched),
        };
        serde_json::to_writer_pretty(out, &bundle)?;
        let unmatched = unmatched.borrow().len();
        Ok((proposed.get(), unmatched))
    }
}

/// Keys `<code>-x001`, … in text order: stable for the same text and catalogue.
fn number_keys(observations: &mut [Proposal], code: &str) {
    for (i, p) in observations.iter_mut().enumerate() {
        p.row.key = key(code, i);
    }
}

/// The key of the `i`-th proposal (from 0).
fn key(code: &str, i: usize) -> String {
    format!("{code}-x{:03}", i + 1)
}
