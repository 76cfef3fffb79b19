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

use super::{ExtractError, Knowledge, Options, Proposal, Unmatched};
use crate::db::schema::{draft_items, drafts, indicators, sources};
use crate::db::{now_utc, DbConnection, DbError};
use crate::domain::{
    AuditAction, CanonicalUnit, Category, Direction, DraftDecision, DraftStatus, ObservationKind,
    UnknownTerm,
};
use crate::ingest::import::{self, Options as ImportOptions};
use crate::ingest::read::LocatedBundle;
use crate::ingest::rows::{Bundle, ImportReport, IndicatorRow, ObservationRow, SourceInput};
use crate::ingest::{IngestError, Located, Place};

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
    /// Items, by position.
    pub items: Vec<DraftItem>,
}

/// The reviewer's changes to a row; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    /// Move the figure to this indicator.
    pub indicator: Option<String>,
    /// Reference period.
    pub period: Option<String>,
    /// Breakdown (`dimension=member;…`, empty: the total).
    pub breakdown: Option<String>,
    /// Kind.
    pub kind: Option<ObservationKind>,
    /// The figure as printed.
    pub value: Option<String>,
    /// The unit as printed.
    pub unit: Option<String>,
    /// The quote (must stay a passage of the text).
    pub quote: Option<String>,
    /// Reviewer's note.
    pub note: Option<String>,
}

/// A new indicator confirmed for an unmatched figure. Unit, category and Chinese name default
/// to the extractor's suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIndicator {
    /// Code (snake_case).
    pub code: String,
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
    let (id, code, district, source, status, created_by, created_at, published_at) = r;
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
) = (
    drafts::id,
    drafts::code,
    drafts::district,
    drafts::source,
    drafts::status,
    drafts::created_by,
    drafts::created_at,
    drafts::published_at,
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

/// Drafts (newest first), optionally of one status, with their items.
pub fn list(
    conn: &mut DbConnection,
    status: Option<DraftStatus>,
) -> Result<Vec<Draft>, DraftError> {
    let mut query = drafts::table.select(DRAFT_COLUMNS).into_boxed();
    if let Some(s) = status {
        query = query.filter(drafts::status.eq(s.as_str()));
    }
    let records: Vec<DraftRecord> = query.order(drafts::id.desc()).load(conn)?;
    with_items(conn, records)
}

/// Extracts `text` (with the live catalogue as knowledge) and stores the result as an open
/// draft whose items are all pending. The source code must not be taken by a source or by
/// another open draft.
pub fn create(
    conn: &mut DbConnection,
    text: &str,
    opts: &Options,
    actor: &str,
) -> Result<Draft, DraftError> {
    let knowledge = Knowledge::load(conn, None)?;
    let extraction = super::extract(text, &knowledge, opts)?;
    let code = extraction.source.code.clone();
    let id = conn.transaction::<_, DraftError, _>(|conn| {
        let taken: i64 = sources::table
            .filter(sources::code.eq(&code))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(DraftError::BadInput(format!(
                "source {code:?} already exists: give another code"
            )));
        }
        let open: Option<i32> = drafts::table
            .filter(drafts::code.eq(&code))
            .filter(drafts::status.eq(DraftStatus::Open.as_str()))
            .select(drafts::id)
            .first(conn)
            .optional()?;
        if let Some(other) = open {
            return Err(DraftError::BadInput(format!(
                "draft {other} is already open for source {code:?}: review it, or give another code"
            )));
        }
        diesel::insert_into(drafts::table)
            .values((
                drafts::code.eq(&code),
                drafts::district.eq(&extraction.source.district),
                drafts::source.eq(to_json(&extraction.source)?),
                drafts::status.eq(DraftStatus::Open.as_str()),
                drafts::created_by.eq(actor),
                drafts::created_at.eq(now_utc()),
            ))
            .execute(conn)?;
        // No RETURNING through MultiConnection: the open draft of this code is the one just
        // inserted (checked above, inside this transaction).
        let id: i32 = drafts::table
            .filter(drafts::code.eq(&code))
            .filter(drafts::status.eq(DraftStatus::Open.as_str()))
            .select(drafts::id)
            .order(drafts::id.desc())
            .first(conn)?;
        let items = extraction
            .observations
            .iter()
            .cloned()
            .map(Extracted::Proposal)
            .chain(
                extraction
                    .unmatched
                    .iter()
                    .cloned()
                    .map(Extracted::Unmatched),
            );
        for (i, item) in items.enumerate() {
            diesel::insert_into(draft_items::table)
                .values((
                    draft_items::draft_id.eq(id),
                    draft_items::position.eq(i as i32 + 1),
                    draft_items::item.eq(to_json(&item)?),
                    draft_items::decision.eq(DraftDecision::Pending.as_str()),
                ))
                .execute(conn)?;
        }
        let detail = format!(
            "draft {id} for source {code}: {} proposals, {} figures without an indicator",
            extraction.observations.len(),
            extraction.unmatched.len()
        );
        let rows = 1 + extraction.observations.len() + extraction.unmatched.len();
        crate::auth::audit(conn, actor, AuditAction::DraftCreate, &detail, rows)?;
        Ok(id)
    })?;
    get(conn, id)
}

/// The draft, which must be open.
fn open_draft(conn: &mut DbConnection, id: i32) -> Result<Draft, DraftError> {
    let draft = get(conn, id)?;
    if draft.status != DraftStatus::Open {
        return Err(DraftError::Closed {
            draft: id,
            status: draft.status,
        });
    }
    Ok(draft)
}

fn item_at(draft: &Draft, position: i32) -> Result<&DraftItem, DraftError> {
    draft
        .items
        .iter()
        .find(|i| i.position == position)
        .ok_or(DraftError::UnknownItem {
            draft: draft.id,
            item: position,
        })
}

/// Whether `code` is an indicator of the catalogue or one confirmed in `draft` by an item
/// other than `except`.
fn indicator_known(
    conn: &mut DbConnection,
    draft: &Draft,
    code: &str,
    except: i32,
) -> Result<bool, DraftError> {
    let confirmed = draft.items.iter().any(|i| {
        i.position != except
            && i.decision == DraftDecision::Accepted
            && i.new_indicator.as_ref().is_some_and(|n| n.code == code)
    });
    if confirmed {
        return Ok(true);
    }
    let stored: i64 = indicators::table
        .filter(indicators::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(stored > 0)
}

/// Stores an item's new state and audits it, in the caller's transaction.
fn save(
    conn: &mut DbConnection,
    draft: &Draft,
    item: &DraftItem,
    actor: &str,
    what: &str,
) -> Result<(), DraftError> {
    let now = now_utc();
    diesel::update(
        draft_items::table
            .filter(draft_items::draft_id.eq(draft.id))
            .filter(draft_items::position.eq(item.position)),
    )
    .set((
        draft_items::decision.eq(item.decision.as_str()),
        draft_items::edited.eq(item.edited.as_ref().map(to_json).transpose()?),
        draft_items::new_indicator.eq(item.new_indicator.as_ref().map(to_json).transpose()?),
        draft_items::decided_by.eq(actor),
        draft_items::decided_at.eq(&now),
    ))
    .execute(conn)?;
    let detail = format!(
        "draft {} item {} ({}): {what}",
        draft.id,
        item.position,
        item.label()
    );
    crate::auth::audit(conn, actor, AuditAction::DraftDecision, &detail, 1)?;
    Ok(())
}

/// Sets `field` of the row to `new` when given and different; notes the change.
fn change(field: &str, slot: &mut String, new: Option<String>, changes: &mut Vec<String>) {
    if let Some(new) = new {
        if *slot != new {
            changes.push(format!("{field} {slot:?} → {new:?}"));
            *slot = new;
        }
    }
}

/// Same as [`change`] for an optional field (an empty text clears it).
fn change_opt(
    field: &str,
    slot: &mut Option<String>,
    new: Option<String>,
    changes: &mut Vec<String>,
) {
    if let Some(new) = new {
        let new = Some(new).filter(|s| !s.trim().is_empty());
        if *slot != new {
            changes.push(format!("{field} {slot:?} → {new:?}"));
            *slot = new;
        }
    }
}

const NEEDS_INDICATOR: &str =
    "matches no indicator: confirm a new indicator (confirmIndicator) or merge it into an existing one (mergeIndicator) first";

/// Records a decision on an item, with optional edits of its row (moving it to another
/// indicator is an edit of `indicator`). The edited row is validated in full at publication
/// (and by a dry run); here only a moved-to indicator must exist.
pub fn decide(
    conn: &mut DbConnection,
    draft: i32,
    position: i32,
    decision: DraftDecision,
    edit: Option<Edit>,
    actor: &str,
) -> Result<DraftItem, DraftError> {
    conn.transaction::<_, DraftError, _>(|conn| {
        let d = open_draft(conn, draft)?;
        let mut item = item_at(&d, position)?.clone();
        let mut changes = Vec::new();
        if let Some(edit) = edit {
            let mut row = item.row().cloned().ok_or_else(|| {
                DraftError::BadInput(format!("item {position} {NEEDS_INDICATOR}"))
            })?;
            if let Some(code) = &edit.indicator {
                if *code != row.indicator && !indicator_known(conn, &d, code, position)? {
                    return Err(DraftError::UnknownIndicator(code.clone()));
                }
            }
            change(
                "indicator",
                &mut row.indicator,
                edit.indicator,
                &mut changes,
            );
            change("period", &mut row.period, edit.period, &mut changes);
            change_opt(
                "breakdown",
                &mut row.breakdown,
                edit.breakdown,
                &mut changes,
            );
            if let Some(kind) = edit.kind.filter(|k| *k != row.kind) {
                changes.push(format!("kind {} → {}", row.kind, kind));
                row.kind = kind;
            }
            change("value", &mut row.value, edit.value, &mut changes);
            change("unit", &mut row.unit, edit.unit, &mut changes);
            change("quote", &mut row.quote, edit.quote, &mut changes);
            change_opt("note", &mut row.note, edit.note, &mut changes);
            item.edited = Some(row);
        }
        if decision == DraftDecision::Accepted && item.row().is_none() {
            return Err(DraftError::BadInput(format!(
                "item {position} {NEEDS_INDICATOR}"
            )));
        }
        item.decision = decision;
        let mut what = decision.to_string();
        if !changes.is_empty() {
            what = format!("{what}, edited: {}", changes.join(", "));
        }
        save(conn, &d, &item, actor, &what)?;
        Ok(item)
    })
}

/// The row an unmatched figure becomes under `indicator`.
fn row_of_unmatched(
    d: &Draft,
    position: i32,
    u: &Unmatched,
    indicator: &str,
) -> Result<ObservationRow, DraftError> {
    Ok(ObservationRow {
        key: format!("{}-u{position:03}", d.code),
        district: d.district.clone(),
        indicator: indicator.to_string(),
        period: u.period.clone(),
        period_note: None,
        breakdown: None,
        kind: ObservationKind::parse(&u.kind).map_err(corrupt)?,
        base_period: None,
        value: u.value.clone(),
        unit: u.unit.clone(),
        quote: u.quote.clone(),
        note: None,
        source: Some(d.code.clone()),
    })
}

/// The unmatched figure at `position` (an error for a proposal).
fn unmatched_at(d: &Draft, position: i32) -> Result<(DraftItem, Unmatched), DraftError> {
    let item = item_at(d, position)?.clone();
    match &item.extracted {
        Extracted::Unmatched(u) => {
            let u = u.clone();
            Ok((item, u))
        }
        Extracted::Proposal(p) => Err(DraftError::BadInput(format!(
            "item {position} is a proposal for indicator {}: move it with decideProposal",
            p.row.indicator
        ))),
    }
}

fn suggested<T>(
    given: Option<T>,
    suggestion: &str,
    field: &str,
    parse: fn(&str) -> Result<T, UnknownTerm>,
) -> Result<T, DraftError> {
    match given {
        Some(v) => Ok(v),
        None => parse(suggestion).map_err(|_| {
            DraftError::BadInput(format!(
                "the extractor suggested no usable {field} ({suggestion:?}): give one"
            ))
        }),
    }
}

/// Confirms a new indicator for an unmatched figure: the figure is accepted under it, and
/// publication creates the indicator (validated like a seed indicator) with the observations.
pub fn confirm_indicator(
    conn: &mut DbConnection,
    draft: i32,
    position: i32,
    new: NewIndicator,
    actor: &str,
) -> Result<DraftItem, DraftError> {
    conn.transaction::<_, DraftError, _>(|conn| {
        let d = open_draft(conn, draft)?;
        let (mut item, u) = unmatched_at(&d, position)?;
        if indicator_known(conn, &d, &new.code, position)? {
            return Err(DraftError::BadInput(format!(
                "indicator {:?} already exists: merge the figure into it (mergeIndicator)",
                new.code
            )));
        }
        let unit = suggested(new.unit, &u.suggested.unit, "unit", CanonicalUnit::parse)?;
        let category = suggested(
            new.category,
            &u.suggested.category,
            "category",
            Category::parse,
        )?;
        let indicator = IndicatorRow {
            code: new.code.clone(),
            name_zh: new.name_zh.unwrap_or_else(|| u.suggested.name_zh.clone()),
            name_en: new.name_en,
            unit,
            category,
            direction: new.direction,
            definition: new.definition,
            dimensions: String::new(),
            min: None,
            max: None,
            numerator: None,
            denominator: None,
        };
        item.edited = Some(row_of_unmatched(&d, position, &u, &new.code)?);
        item.decision = DraftDecision::Accepted;
        let what = format!(
            "accepted under a new indicator {} ({}, {}, {})",
            indicator.code, indicator.name_zh, indicator.unit, indicator.category
        );
        item.new_indicator = Some(indicator);
        save(conn, &d, &item, actor, &what)?;
        Ok(item)
    })
}

/// Merges an unmatched figure into an existing indicator (of the catalogue, or confirmed by
/// another item of the draft): the figure is accepted under it.
pub fn merge_indicator(
    conn: &mut DbConnection,
    draft: i32,
    position: i32,
    into: &str,
    actor: &str,
) -> Result<DraftItem, DraftError> {
    conn.transaction::<_, DraftError, _>(|conn| {
        let d = open_draft(conn, draft)?;
        let (mut item, u) = unmatched_at(&d, position)?;
        if !indicator_known(conn, &d, into, position)? {
            return Err(DraftError::UnknownIndicator(into.to_string()));
        }
        item.edited = Some(row_of_unmatched(&d, position, &u, into)?);
        item.new_indicator = None;
        item.decision = DraftDecision::Accepted;
        save(
            conn,
            &d,
            &item,
            actor,
            &format!("accepted, merged into {into}"),
        )?;
        Ok(item)
    })
}

/// Where an item is, for problems: `items[7]` (line: its position).
fn place_of(position: i32) -> Place {
    Place {
        file: "items".into(),
        line: u64::try_from(position).unwrap_or(0),
        path: Some(format!("items[{position}]")),
    }
}

/// Publishes a draft through the import path, in ONE transaction with the new indicators and
/// the draft's status: the accepted rows are validated like an `importReport` (every problem
/// listed, pending items among them), and a failure writes nothing. `dry_run` validates and
/// reports without writing.
pub fn publish(
    conn: &mut DbConnection,
    draft: i32,
    dry_run: bool,
    actor: &str,
) -> Result<ImportReport, DraftError> {
    conn.transaction::<_, DraftError, _>(|conn| {
        let d = open_draft(conn, draft)?;
        let mut input = LocatedBundle::default();
        for item in &d.items {
            let at = place_of(item.position);
            match item.decision {
                DraftDecision::Pending => input.problems.push(at.problem(
                    "decision",
                    format!(
                        "item {} ({}) is pending: accept, edit or reject it",
                        item.position,
                        item.label()
                    ),
                )),
                DraftDecision::Rejected => {}
                DraftDecision::Accepted => {
                    let Some(row) = item.row() else {
                        input.problems.push(at.problem(
                            "indicator",
                            format!("item {} {NEEDS_INDICATOR}", item.position),
                        ));
                        continue;
                    };
                    input.bundle.observations.push(row.clone());
                    input.places.push(at.clone());
                    if let Some(new) = &item.new_indicator {
                        input.indicators.push(Located {
                            at,
                            row: new.clone(),
                        });
                    }
                }
            }
        }
        input.bundle = Bundle {
            source: Some(d.source.clone()),
            observations: std::mem::take(&mut input.bundle.observations),
        };
        let opts = ImportOptions {
            actor,
            reason: None,
            dry_run,
            default_source: None,
        };
        let report = import::import(conn, &input, opts)?;
        if dry_run {
            return Ok(report);
        }
        // Conditional on the status read above: a concurrent publish or discard loses here and
        // rolls back everything this one wrote.
        let changed = diesel::update(
            drafts::table
                .filter(drafts::id.eq(draft))
                .filter(drafts::status.eq(DraftStatus::Open.as_str())),
        )
        .set((
            drafts::status.eq(DraftStatus::Published.as_str()),
            drafts::published_at.eq(now_utc()),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(DraftError::Closed {
                draft,
                status: get(conn, draft)?.status,
            });
        }
        let rejected = d
            .items
            .iter()
            .filter(|i| i.decision == DraftDecision::Rejected)
            .count();
        let new: Vec<&str> = input.indicators.iter().map(|i| i.row.code.as_str()).collect();
        let detail = format!(
            "draft {draft} published as source {}: {} observations created, {rejected} items rejected, new indicators: [{}]",
            d.code,
            report.created.len(),
            new.join(", ")
        );
        crate::auth::audit(
            conn,
            actor,
            AuditAction::DraftPublish,
            &detail,
            report.created.len() + new.len(),
        )?;
        Ok(report)
    })
}

/// Discards an open draft: it stays in the database, marked discarded, and can no longer
/// change or be published.
pub fn discard(conn: &mut DbConnection, draft: i32, actor: &str) -> Result<Draft, DraftError> {
    conn.transaction::<_, DraftError, _>(|conn| {
        let d = open_draft(conn, draft)?;
        diesel::update(drafts::table.filter(drafts::id.eq(draft)))
            .set(drafts::status.eq(DraftStatus::Discarded.as_str()))
            .execute(conn)?;
        let detail = format!("draft {draft} for source {} discarded", d.code);
        crate::auth::audit(conn, actor, AuditAction::DraftDiscard, &detail, 1)?;
        Ok(())
    })?;
    get(conn, draft)
}
