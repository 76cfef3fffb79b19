//! Review drafts: an extraction kept in the database while a reviewer decides on each figure,
//! then published through the import path ([`crate::ingest::import`]).
//!
//! ```text
//! create (extract the text; every proposal and every unmatched figure becomes an item, pending)
//!   → decide (accept, edit, move to another indicator, reject)
//!   → confirm a new indicator / merge into an existing one (figures that matched none)
//!   → publish (one transaction: new indicators, source, observations, the draft's status)
//! ```
//!
//! Nothing is lost: an item keeps the extraction as it was next to the reviewer's version of
//! the row, a rejected item stays in the draft, and a draft with pending items cannot be
//! published. No warehouse query reads the draft tables, so a draft's figures are invisible
//! until it is published. Every decision is recorded in the audit log, in the transaction that
//! makes it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ExtractError, Proposal, Unmatched};
use crate::db::queries::{self, Probe, Repeated, SameReport};
use crate::db::schema::{draft_items, drafts};
use crate::db::{DbConnection, DbError};
use crate::domain::{
    CanonicalUnit, Category, Direction, DraftDecision, DraftStatus, ObservationKind, RepeatReason,
};
use crate::ingest::rows::{IndicatorRow, ObservationRow, SourceInput};
use crate::ingest::IngestError;

/// What the extractor found for one figure, as stored (never changed by review).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extracted {
    /// A proposed observation.
    Proposal(Proposal),
    /// A figure that matched no indicator, with a suggested new one.
    Unmatched(Unmatched),
}

/// One item of a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftItem {
    /// 1-based position in the draft (proposals in text order, then unmatched figures).
    pub position: i32,
    /// The extraction, as it was.
    pub extracted: Extracted,
    /// The decision.
    pub decision: DraftDecision,
    /// The row as the reviewer left it; `None`: as extracted.
    pub edited: Option<ObservationRow>,
    /// The new indicator confirmed for an unmatched figure.
    pub new_indicator: Option<IndicatorRow>,
    /// Who decided last.
    pub decided_by: Option<String>,
    /// When (ISO 8601 UTC).
    pub decided_at: Option<String>,
}

impl DraftItem {
    /// The row that publication would import: the edited row, else the proposal's; `None` for
    /// an unmatched figure not yet given an indicator.
    pub fn row(&self) -> Option<&ObservationRow> {
        match (&self.edited, &self.extracted) {
            (Some(row), _) => Some(row),
            (None, Extracted::Proposal(p)) => Some(&p.row),
            (None, Extracted::Unmatched(_)) => None,
        }
    }

    /// The figure as its row gives it (value and unit), or as printed for an unmatched
    /// figure without a row.
    fn figure(&self) -> String {
        match (self.row(), &self.extracted) {
            (Some(r), _) => format!("{}{}", r.value, r.unit),
            (None, Extracted::Unmatched(u)) => format!("{}{}", u.value, u.unit),
            (None, Extracted::Proposal(p)) => format!("{}{}", p.row.value, p.row.unit),
        }
    }

    /// The figure in words, for audit entries and messages.
    fn label(&self) -> String {
        match (self.row(), &self.extracted) {
            (Some(r), _) => format!("{} {}{} {}", r.key, r.value, r.unit, r.indicator),
            (None, Extracted::Unmatched(u)) => format!("{}{} (no indicator)", u.value, u.unit),
            (None, Extracted::Proposal(p)) => p.row.key.clone(),
        }
    }
}

/// A draft with its items.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Id.
    pub id: i32,
    /// Code of the source the draft creates.
    pub code: String,
    /// District code.
    pub district: String,
    /// The source record, with the full text.
    pub source: SourceInput,
    /// Status.
    pub status: DraftStatus,
    /// Who extracted it.
    pub created_by: String,
    /// When (ISO 8601 UTC).
    pub created_at: String,
    /// When it was published.
    pub published_at: Option<String>,
    /// Items, by position (empty when the draft was listed without them, see [`list`]).
    pub items: Vec<DraftItem>,
    /// Items still pending, counted whether `items` was loaded or not.
    pub pending: usize,
    /// Every item, counted whether `items` was loaded or not.
    pub total: usize,
    /// [`crate::db::queries::text_sha256`] of the text (`None` only until the server that
    /// added the column has filled it).
    pub text_sha256: Option<String>,
}

/// Changes to a draft row; omitted fields stay as they are (an empty breakdown or note clears
/// it). Changing `indicator` moves the figure to another indicator.
#[derive(Debug, Clone, Default, PartialEq, async_graphql::InputObject)]
#[graphql(name = "DraftEdit")]
pub struct Edit {
    /// Indicator code (of the catalogue, or confirmed in this draft).
    pub indicator: Option<String>,
    /// Reference period: `2022`, `2023-06`, `2023-01..2023-06`, `2019..2021`.
    pub period: Option<String>,
    /// Breakdown, `dimension=member;...` (empty: the total).
    pub breakdown: Option<String>,
    /// What the figure states.
    pub kind: Option<ObservationKind>,
    /// The figure as printed.
    pub value: Option<String>,
    /// The unit as printed.
    pub unit: Option<String>,
    /// The quote: a passage of the text containing the figure.
    pub quote: Option<String>,
    /// Reviewer's note.
    pub note: Option<String>,
}

/// A new indicator confirmed for an unmatched figure. Unit, category and Chinese name default
/// to the extractor's suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIndicator {
    /// Code (snake_case); `None`: derived from the names ([`code_from_names`]), made unique.
    pub code: Option<String>,
    /// English name.
    pub name_en: String,
    /// Which way is better.
    pub direction: Direction,
    /// One-line definition.
    pub definition: String,
    /// Chinese name (default: suggested).
    pub name_zh: Option<String>,
    /// Canonical unit (default: suggested).
    pub unit: Option<CanonicalUnit>,
    /// Category (default: suggested).
    pub category: Option<Category>,
}

/// Longest derived indicator code, in characters (a cut falls between words).
const MAX_DERIVED_CODE: usize = 60;

/// English words a derived code leaves out: they make it longer, not clearer.
const CODE_STOP_WORDS: &[&str] = &["a", "an", "the", "of"];

/// An indicator code for a new indicator, so a reviewer never has to type one: the English
/// name in snake_case (`Safety drills held` → `safety_drills_held`), without articles and `of`,
/// cut between words at [`MAX_DERIVED_CODE`] characters; when the English name has no ASCII
/// word, `indicator_` and the first 8 hex digits of the Chinese name's SHA-256 (stable, so the
/// same name gives the same code). The caller makes it unique.
pub fn code_from_names(name_en: &str, name_zh: &str) -> String {
    let mut code = String::new();
    for word in name_en
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| !CODE_STOP_WORDS.contains(&w.as_str()))
    {
        if !code.is_empty() && code.len() + 1 + word.len() > MAX_DERIVED_CODE {
            break;
        }
        if !code.is_empty() {
            code.push('_');
        }
        code.push_str(&word);
    }
    code.truncate(MAX_DERIVED_CODE);
    if code.is_empty() {
        let hash = crate::db::queries::text_sha256(name_zh);
        return format!("indicator_{}", &hash[..8]);
    }
    // A code starts with a letter (the import's rule).
    if !code.starts_with(|c: char| c.is_ascii_lowercase()) {
        code.insert_str(0, "indicator_");
    }
    code
}

/// Errors of draft review.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// No draft has this id.
    #[error("unknown draft {0}")]
    UnknownDraft(i32),
    /// The draft has no item at this position.
    #[error("draft {draft} has no item {item}")]
    UnknownItem {
        /// Draft id.
        draft: i32,
        /// Position asked for.
        item: i32,
    },
    /// An indicator code named by the reviewer is neither in the catalogue nor confirmed in
    /// the draft.
    #[error("unknown indicator {0:?}")]
    UnknownIndicator(String),
    /// The draft's report is already a source of the warehouse, and the publication did not
    /// say to publish it again.
    #[error("draft {draft} repeats source {of} ({}): publishing it would hold that report twice; discard the draft, or publish it with allowRepeat: true if it is a different report", reason_words(*.reason))]
    Repeat {
        /// Draft id.
        draft: i32,
        /// The code of the source it repeats.
        of: String,
        /// Why it is taken for the same report.
        reason: RepeatReason,
    },
    /// The draft is published or discarded: nothing about it can change.
    #[error("draft {draft} is {status}: it can no longer change")]
    Closed {
        /// Draft id.
        draft: i32,
        /// Its status.
        status: DraftStatus,
    },
    /// A decision that does not apply to the item, or a bad argument.
    #[error("{0}")]
    BadInput(String),
    /// The text could not be extracted.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// Validation (every problem listed) or the database failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A stored draft does not read back (JSON or a term): a server fault.
    #[error("corrupt draft record: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for DraftError {
    fn from(e: diesel::result::Error) -> Self {
        DraftError::Ingest(IngestError::Db(DbError::Query(e)))
    }
}

impl From<DbError> for DraftError {
    fn from(e: DbError) -> Self {
        DraftError::Ingest(IngestError::Db(e))
    }
}

/// A repeat's reason in the words of messages.
fn reason_words(r: RepeatReason) -> &'static str {
    match r {
        RepeatReason::SameText => "the same text",
        RepeatReason::SameDocumentNumber => "the same document number",
    }
}

fn corrupt(e: impl std::fmt::Display) -> DraftError {
    DraftError::Corrupt(e.to_string())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, DraftError> {
    serde_json::to_string(value).map_err(corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<T>, DraftError> {
    s.as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(corrupt)
}

type DraftRecord = (
    i32,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

type ItemRecord = (
    i32,
    i32,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn draft_of(r: DraftRecord, items: Vec<DraftItem>) -> Result<Draft, DraftError> {
    let pending = items
        .iter()
        .filter(|i| i.decision == DraftDecision::Pending)
        .count();
    let total = items.len();
    draft_counted(r, items, pending, total)
}

fn draft_counted(
    r: DraftRecord,
    items: Vec<DraftItem>,
    pending: usize,
    total: usize,
) -> Result<Draft, DraftError> {
    let (id, code, district, source, status, created_by, created_at, published_at, text_sha256) = r;
    Ok(Draft {
        id,
        code,
        district,
        source: serde_json::from_str(&source).map_err(corrupt)?,
        status: DraftStatus::parse(&status).map_err(corrupt)?,
        created_by,
        created_at,
        published_at,
        items,
        pending,
        total,
        text_sha256,
    })
}

fn item_of(r: ItemRecord) -> Result<(i32, DraftItem), DraftError> {
    let (draft_id, position, item, decision, edited, new_indicator, decided_by, decided_at) = r;
    Ok((
        draft_id,
        DraftItem {
            position,
            extracted: serde_json::from_str(&item).map_err(corrupt)?,
            decision: DraftDecision::parse(&decision).map_err(corrupt)?,
            edited: from_json(edited)?,
            new_indicator: from_json(new_indicator)?,
            decided_by,
            decided_at,
        },
    ))
}

const DRAFT_COLUMNS: (
    drafts::id,
    drafts::code,
    drafts::district,
    drafts::source,
    drafts::status,
    drafts::created_by,
    drafts::created_at,
    drafts::published_at,
    drafts::text_sha256,
) = (
    drafts::id,
    drafts::code,
    drafts::district,
    drafts::source,
    drafts::status,
    drafts::created_by,
    drafts::created_at,
    drafts::published_at,
    drafts::text_sha256,
);

const ITEM_COLUMNS: (
    draft_items::draft_id,
    draft_items::position,
    draft_items::item,
    draft_items::decision,
    draft_items::edited,
    draft_items::new_indicator,
    draft_items::decided_by,
    draft_items::decided_at,
) = (
    draft_items::draft_id,
    draft_items::position,
    draft_items::item,
    draft_items::decision,
    draft_items::edited,
    draft_items::new_indicator,
    draft_items::decided_by,
    draft_items::decided_at,
);

/// Loads drafts with their items (two queries whatever the number of drafts).
fn with_items(
    conn: &mut DbConnection,
    records: Vec<DraftRecord>,
) -> Result<Vec<Draft>, DraftError> {
    let ids: Vec<i32> = records.iter().map(|r| r.0).collect();
    let mut items: std::collections::HashMap<i32, Vec<DraftItem>> = Default::default();
    let rows: Vec<ItemRecord> = draft_items::table
        .filter(draft_items::draft_id.eq_any(&ids))
        .order((draft_items::draft_id, draft_items::position))
        .select(ITEM_COLUMNS)
        .load(conn)?;
    for r in rows {
        let (draft, item) = item_of(r)?;
        items.entry(draft).or_default().push(item);
    }
    records
        .into_iter()
        .map(|r| {
            let list = items.remove(&r.0).unwrap_or_default();
            draft_of(r, list)
        })
        .collect()
}

/// One draft with its items.
pub fn get(conn: &mut DbConnection, id: i32) -> Result<Draft, DraftError> {
    let record: Option<DraftRecord> = drafts::table
        .filter(drafts::id.eq(id))
        .select(DRAFT_COLUMNS)
        .first(conn)
        .optional()?;
    let record = record.ok_or(DraftError::UnknownDraft(id))?;
    with_items(conn, vec![record])?
        .pop()
        .ok_or(DraftError::UnknownDraft(id))
}

/// Drafts (newest first), optionally of one status, with their items when `items` is set.
///
/// Without `items`, each draft comes with its counts of pending and of all items only: a list
/// of every draft ever made, each with all its items, grows with the drafts kept (the soak
/// run: 10 MB for one answer at 137 drafts), and the review page's list needs the counts.
pub fn list(
    conn: &mut DbConnection,
    status: Option<DraftStatus>,
    items: bool,
) -> Result<Vec<Draft>, DraftError> {
    let mut query = drafts::table.select(DRAFT_COLUMNS).into_boxed();
    if let Some(s) = status {
        query = query.filter(drafts::status.eq(s.as_str()));
    }
    let records: Vec<DraftRecord> = query.order(drafts::id.desc()).load(conn)?;
    if items {
        return with_items(conn, records);
    }
    let ids: Vec<i32> = records.iter().map(|r| r.0).collect();
    // (pending, total) per draft, from one grouped count.
    let mut counts: std::collections::HashMap<i32, (usize, usize)> = Default::default();
    let rows: Vec<(i32, String, i64)> = draft_items::table
        .filter(draft_items::draft_id.eq_any(&ids))
        .group_by((draft_items::draft_id, draft_items::decision))
        .select((
            draft_items::draft_id,
            draft_items::decision,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (draft, decision, n) in rows {
        let n = usize::try_from(n).unwrap_or(0);
        let c = counts.entry(draft).or_default();
        if decision == DraftDecision::Pending.as_str() {
            c.0 += n;
        }
        c.1 += n;
    }
    records
        .into_iter()
        .map(|r| {
            let (pending, total) = counts.get(&r.0).copied().unwrap_or_default();
            draft_counted(r, Vec::new(), pending, total)
        })
        .collect()
}

/// A draft with its [`repeats`] when `want` (else none, and no statement).
pub fn with_repeats(
    conn: &mut DbConnection,
    draft: Draft,
    want: bool,
) -> Result<(Draft, Vec<SameReport>), DraftError> {
    if !want {
        return Ok((draft, Vec::new()));
    }
    let found = repeats(conn, std::slice::from_ref(&draft))?
        .pop()
        .unwrap_or_default();
    Ok((draft, found))
}

/// For each draft, the sources of the warehouse and the other open drafts that hold the same
/// report (the same text, or the same document number): two statements for the whole list
/// ([`queries::same_reports`], the lookup `edustats extract` warns with).
///
/// Only an open draft has repeats: a published draft's report is its own source now, and a
/// discarded one will never be published.
pub fn repeats(
    conn: &mut DbConnection,
    drafts: &[Draft],
) -> Result<Vec<Vec<SameReport>>, DraftError> {
    let open: Vec<&Draft> = drafts
        .iter()
        .filter(|d| d.status == DraftStatus::Open)
        .collect();
    // A draft whose digest is not filled yet is compared by its text's digest, computed here.
    let digests: Vec<std::borrow::Cow<'_, str>> = open
        .iter()
        .map(|d| match &d.text_sha256 {
            Some(h) => std::borrow::Cow::Borrowed(h.as_str()),
            None => std::borrow::Cow::Owned(queries::text_sha256(&d.source.text)),
        })
        .collect();
    let probes: Vec<Probe<'_>> = open
        .iter()
        .zip(&digests)
        .map(|(d, h)| Probe {
            text_sha256: h,
            doc_number: d.source.doc_number.as_deref(),
            draft: Some(d.id),
        })
        .collect();
    let mut found = queries::same_reports(conn, &probes)?.into_iter();
    Ok(drafts
        .iter()
        .map(|d| {
            if d.status == DraftStatus::Open {
                found.next().unwrap_or_default()
            } else {
                Vec::new()
            }
        })
        .collect())
}

mod review;

pub use review::{
    confirm_indicator, create, decide, decide_pending, discard, merge_indicator, publish, Selection,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_the_english_name_in_snake_case_without_articles() {
        assert_eq!(
            code_from_names("Safety drills held", "安全演练次数"),
            "safety_drills_held"
        );
        assert_eq!(
            code_from_names("Share of the teachers with a master's degree", ""),
            "share_teachers_with_master_s_degree"
        );
        assert_eq!(
            code_from_names("  3-year growth, % ", ""),
            "indicator_3_year_growth"
        );
    }

    #[test]
    fn a_long_name_is_cut_between_words_and_a_name_without_ascii_gets_a_stable_hash() {
        let long = "Planned growth of the fixed asset investment in major education projects \
                    against the previous year in the whole district";
        let code = code_from_names(long, "");
        assert!(code.len() <= MAX_DERIVED_CODE, "{code}");
        assert!(
            code.starts_with("planned_growth_fixed_asset_investment_in"),
            "{code}"
        );
        // Whole words only: every part of the code is a word of the name.
        let words: Vec<String> = long.split(' ').map(|w| w.to_ascii_lowercase()).collect();
        assert!(
            code.split('_').all(|p| words.iter().any(|w| w == p)),
            "{code}"
        );
        let a = code_from_names("中文", "安全演练次数");
        assert!(
            a.starts_with("indicator_") && a.len() == "indicator_".len() + 8,
            "{a}"
        );
        assert_eq!(a, code_from_names("", "安全演练次数"));
        assert_ne!(a, code_from_names("", "学校数"));
    }
}
