//! The review-draft objects (`Draft`, `DraftItem`, `SuggestedIndicator`, `ConfirmedIndicator`,
//! `Repeat`).
//! A draft's rows are the ingest rows themselves (`DraftRow` in GraphQL) and its edits the
//! drafts module's `Edit` (`DraftEdit`). Drafts are not public: the fields that
//! return them are guarded like the mutations. The logic is in
//! [`crate::extract::drafts`]; this module only converts.

use async_graphql::{Enum, SimpleObject};

use crate::db::queries::{Repeated, SameReport};
use crate::domain::{CanonicalUnit, Category, Direction, DraftDecision, DraftStatus, RepeatReason};
use crate::extract::drafts::{self, Extracted};
use crate::extract::why;
use crate::ingest::rows::ObservationRow;

pub use crate::domain::ObservationKind;

/// What the extractor found for an item.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DraftItemType {
    /// A proposed observation of a catalogue indicator.
    Proposal,
    /// A figure that matched no indicator: confirm a new indicator or merge it into one.
    Unmatched,
}

/// The indicator the extractor suggests for a figure that matches none.
#[derive(SimpleObject, Clone, Debug)]
pub struct SuggestedIndicator {
    /// Chinese name, from the text before the figure.
    pub name_zh: String,
    /// Canonical unit code (e.g. `percent`, `count`).
    pub unit: String,
    /// Category of the closest catalogue indicator (empty when none is close).
    pub category: String,
}

/// The headers of the table cell a figure was read from, as printed.
#[derive(SimpleObject, Clone, Debug)]
pub struct TableCell {
    /// The row's labels, outer first (a category, then the row's own label).
    pub row_headers: Vec<String>,
    /// The column's headers, top row first.
    pub column_headers: Vec<String>,
}

impl From<crate::extract::CellHeaders> for TableCell {
    fn from(c: crate::extract::CellHeaders) -> Self {
        TableCell {
            row_headers: c.row_headers,
            column_headers: c.column_headers,
        }
    }
}

/// A new indicator confirmed for an unmatched figure (created when the draft is published).
#[derive(SimpleObject, Clone, Debug)]
pub struct ConfirmedIndicator {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Canonical unit code.
    pub unit: String,
    /// Category code.
    pub category: String,
    /// Which way is better.
    pub direction: Direction,
    /// One-line definition.
    pub definition: String,
}

/// One figure of a draft: what the extractor found (kept as it was) and what the reviewer
/// decided.
#[derive(SimpleObject, Clone, Debug)]
pub struct DraftItem {
    /// Position in the draft (1-based): the `item` argument of the review mutations.
    pub position: i32,
    /// Proposal or unmatched figure.
    #[graphql(name = "type")]
    pub item_type: DraftItemType,
    /// The decision.
    pub decision: DraftDecision,
    /// The row publication would import (as edited); null for an unmatched figure not yet
    /// given an indicator.
    pub row: Option<ObservationRow>,
    /// The row as extracted (null for an unmatched figure).
    pub proposed: Option<ObservationRow>,
    /// Whether the reviewer changed the row (an unmatched figure given an indicator counts).
    pub edited: bool,
    /// The figure as printed.
    pub value: String,
    /// The unit as printed.
    pub unit: String,
    /// The clause the figure was found in, as extracted.
    pub quote: String,
    /// Character offset of the extracted quote in the text.
    pub quote_start: i32,
    /// Character offset just past it.
    pub quote_end: i32,
    /// For a figure read from a table: the cell's row and column headers (its quote names
    /// them; the offsets point at the cell). Null for a figure of the running text.
    pub cell: Option<TableCell>,
    /// How sure the extractor was, in [0, 1] (null for an unmatched figure).
    pub confidence: Option<f64>,
    /// Why the extractor chose the indicator, or why it chose none (English).
    pub why: String,
    /// The same in Chinese (codes and numbers as they are). For an item extracted before the
    /// Chinese wording existed, a sentence saying it has none.
    pub why_zh: String,
    /// For an unmatched figure: the indicator the extractor suggests.
    pub suggested: Option<SuggestedIndicator>,
    /// For an unmatched figure: the new indicator the reviewer confirmed.
    pub new_indicator: Option<ConfirmedIndicator>,
    /// Who decided last.
    pub decided_by: Option<String>,
    /// When (ISO 8601 UTC).
    pub decided_at: Option<String>,
}

fn offset(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl From<drafts::DraftItem> for DraftItem {
    fn from(i: drafts::DraftItem) -> Self {
        let row = i.row().cloned();
        let new_indicator = i.new_indicator.map(|n| ConfirmedIndicator {
            code: n.code,
            name_zh: n.name_zh,
            name_en: n.name_en,
            unit: n.unit.to_string(),
            category: n.category.to_string(),
            direction: n.direction,
            definition: n.definition,
        });
        let edited = i.edited.is_some();
        let common =
            |item_type, value, unit, quote, start, end, why: (String, String), cell: Option<_>| {
                DraftItem {
                    position: i.position,
                    item_type,
                    decision: i.decision,
                    row,
                    proposed: None,
                    edited,
                    value,
                    unit,
                    quote,
                    quote_start: offset(start),
                    quote_end: offset(end),
                    cell: cell.map(TableCell::from),
                    confidence: None,
                    why: why.0,
                    why_zh: why.1,
                    suggested: None,
                    new_indicator,
                    decided_by: i.decided_by,
                    decided_at: i.decided_at,
                }
            };
        match i.extracted {
            Extracted::Proposal(p) => DraftItem {
                confidence: Some(p.confidence),
                proposed: Some(p.row.clone()),
                ..common(
                    DraftItemType::Proposal,
                    p.row.value,
                    p.row.unit,
                    p.row.quote,
                    p.quote_start,
                    p.quote_end,
                    (p.why, why::zh(&p.reasons)),
                    p.cell,
                )
            },
            Extracted::Unmatched(u) => DraftItem {
                suggested: Some(SuggestedIndicator {
                    name_zh: u.suggested.name_zh,
                    unit: u.suggested.unit,
                    category: u.suggested.category,
                }),
                ..common(
                    DraftItemType::Unmatched,
                    u.value,
                    u.unit,
                    u.quote,
                    u.quote_start,
                    u.quote_end,
                    (u.why, why::zh(&u.reasons)),
                    u.cell,
                )
            },
        }
    }
}

/// A source of the warehouse or another open draft that holds the same report as a draft:
/// publishing both would hold the report twice.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// Why it is taken for the same report: the same text (whitespace aside), or the same
    /// document number (文号) under a different text.
    pub reason: RepeatReason,
    /// The code of the source of the warehouse it repeats; null when it repeats a draft.
    pub source: Option<String>,
    /// The id of the open draft it repeats; null when it repeats a source.
    pub draft: Option<i32>,
    /// The source code of what it repeats: the source's, or the one the other draft would
    /// create.
    pub code: String,
}

impl From<SameReport> for Repeat {
    fn from(r: SameReport) -> Self {
        match r.of {
            Repeated::Source(code) => Repeat {
                reason: r.reason,
                source: Some(code.clone()),
                draft: None,
                code,
            },
            Repeated::Draft { id, code } => Repeat {
                reason: r.reason,
                source: None,
                draft: Some(id),
                code,
            },
        }
    }
}

/// A report under review: extracted figures waiting for decisions. Its figures are in no
/// warehouse query until it is published.
#[derive(SimpleObject, Clone, Debug)]
pub struct Draft {
    /// Id: the `draft` argument of the review mutations.
    pub id: i32,
    /// Code of the source the draft creates when published.
    pub code: String,
    /// District code.
    pub district: String,
    /// Title of the report, Chinese.
    pub title_zh: String,
    /// Title of the report, English.
    pub title_en: String,
    /// Kind of the report (`self_evaluation`, ...).
    pub kind: String,
    /// The full text (quote offsets point into it).
    pub text: String,
    /// Open, published or discarded.
    pub status: DraftStatus,
    /// Who extracted it.
    pub created_by: String,
    /// When (ISO 8601 UTC).
    pub created_at: String,
    /// When it was published.
    pub published_at: Option<String>,
    /// Items still pending.
    pub pending: i32,
    /// How many items the draft has (decided: `total - pending`).
    pub total: i32,
    /// The document number (文号) the report prints, if any.
    pub doc_number: Option<String>,
    /// Every item, by position.
    pub items: Vec<DraftItem>,
    /// The sources of the warehouse and the other open drafts that hold the same report
    /// (sources first); empty when it repeats nothing, and once the draft is published or
    /// discarded. A draft that repeats a source is published only with
    /// `publishDraft(allowRepeat: true)`.
    pub repeats: Vec<Repeat>,
}

impl Draft {
    /// The object of a draft and what it repeats (empty when not looked up).
    pub fn new(d: drafts::Draft, repeats: Vec<SameReport>) -> Self {
        Draft {
            repeats: super::all(repeats),
            ..d.into()
        }
    }
}

/// Draft objects with their repeats, as [`drafts::repeats`] gives them (or none).
pub fn with_repeats(list: Vec<drafts::Draft>, repeats: Vec<Vec<SameReport>>) -> Vec<Draft> {
    let mut repeats = repeats.into_iter();
    list.into_iter()
        .map(|d| Draft::new(d, repeats.next().unwrap_or_default()))
        .collect()
}

impl From<drafts::Draft> for Draft {
    fn from(d: drafts::Draft) -> Self {
        let pending = d.pending;
        let total = d.total;
        Draft {
            id: d.id,
            code: d.code,
            district: d.district,
            title_zh: d.source.title_zh,
            title_en: d.source.title_en,
            kind: d.source.kind,
            text: d.source.text,
            status: d.status,
            created_by: d.created_by,
            created_at: d.created_at,
            published_at: d.published_at,
            pending: offset(pending),
            total: offset(total),
            doc_number: d.source.doc_number,
            items: super::all(d.items),
            repeats: Vec::new(),
        }
    }
}

/// Parses an optional unit argument.
pub fn unit_arg(s: Option<String>) -> Result<Option<CanonicalUnit>, crate::error::ApiError> {
    s.map(|u| CanonicalUnit::parse(&u))
        .transpose()
        .map_err(|e| crate::error::ApiError::BadInput(e.to_string()))
}

/// Parses an optional category argument.
pub fn category_arg(s: Option<String>) -> Result<Option<Category>, crate::error::ApiError> {
    s.map(|c| Category::parse(&c))
        .transpose()
        .map_err(|e| crate::error::ApiError::BadInput(e.to_string()))
}
