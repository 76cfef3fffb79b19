//! The review steps: creating a draft from a text, deciding on its items, confirming or
//! merging indicators for unmatched figures, and publishing through the import path. Each
//! step runs in one transaction with its audit entry.

use diesel::prelude::*;

use super::*;
use crate::db::now_utc;
use crate::db::schema::{draft_items, drafts, indicators, sources};
use crate::document::Document;
use crate::domain::{AuditAction, UnknownTerm};
use crate::extract::{self, Knowledge, Options, Unmatched};
use crate::ingest::import::{self, Options as ImportOptions};
use crate::ingest::read::LocatedBundle;
use crate::ingest::rows::{Bundle, ImportReport};
use crate::ingest::said::Said;
use crate::ingest::{Located, Place};

/// Extracts a document (with the live catalogue as knowledge) and stores the result as an open
/// draft whose items are all pending; the source record keeps the document's text, as for a
/// pasted text. The source code must not be taken by a source or by another open draft. A
/// report already in the warehouse or in another open draft is still made a draft (the
/// reviewer decides): [`repeats`] names what it repeats, and [`publish`] refuses to publish
/// a repeat of a source unless told to.
pub fn create(
    conn: &mut DbConnection,
    doc: &Document,
    opts: &Options,
    actor: &str,
) -> Result<Draft, DraftError> {
    let knowledge = Knowledge::load(conn, None)?;
    let extraction = extract::extract_document(doc, &knowledge, opts)?;
    let code = extraction.source.code.clone();
    let digest = queries::text_sha256(&extraction.source.text);
    let number = queries::doc_number_key(extraction.source.doc_number.as_deref());
    let id = crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
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
                drafts::text_sha256.eq(&digest),
                drafts::doc_number.eq(number),
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
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
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

/// Which pending items a bulk decision takes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// Proposals whose confidence is at least this.
    pub min_confidence: Option<f64>,
    /// Proposals whose confidence is below this.
    pub below_confidence: Option<f64>,
    /// Also the figures without an indicator (only to reject them).
    pub unmatched: bool,
}

/// Decides the pending items of an open draft at once, as a reviewer does after reading the
/// doubtful ones: accept the proposals at or above a confidence, reject those below it, reject
/// the figures left without an indicator. Items already decided are left alone, and a figure
/// without an indicator can only be rejected (accepting it needs `confirm_indicator` or
/// `merge_indicator`). Each item decided is audited like a single decision; all or none are
/// stored. Returns the items decided, in draft order.
pub fn decide_pending(
    conn: &mut DbConnection,
    draft: i32,
    decision: DraftDecision,
    select: Selection,
    actor: &str,
) -> Result<Vec<DraftItem>, DraftError> {
    for (name, bound) in [
        ("minConfidence", select.min_confidence),
        ("belowConfidence", select.below_confidence),
    ] {
        if let Some(m) = bound.filter(|m| !(0.0..=1.0).contains(m)) {
            return Err(DraftError::BadInput(format!(
                "{name} must be between 0 and 1, got {m}"
            )));
        }
    }
    match decision {
        DraftDecision::Pending => {
            return Err(DraftError::BadInput(
                "a bulk decision is ACCEPTED or REJECTED; set single items back to PENDING with decideProposal".into(),
            ))
        }
        DraftDecision::Accepted if select.unmatched => {
            return Err(DraftError::BadInput(format!(
                "figures without an indicator cannot be accepted in bulk: each {NEEDS_INDICATOR}"
            )))
        }
        _ => {}
    }
    let what = {
        let mut w = format!("{decision} (bulk");
        if let Some(m) = select.min_confidence {
            w.push_str(&format!(", confidence ≥ {m}"));
        }
        if let Some(m) = select.below_confidence {
            w.push_str(&format!(", confidence < {m}"));
        }
        w.push(')');
        w
    };
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
        let d = open_draft(conn, draft)?;
        let mut decided = Vec::new();
        for item in &d.items {
            let take = item.decision == DraftDecision::Pending
                && match &item.extracted {
                    Extracted::Proposal(p) => {
                        select.min_confidence.is_none_or(|m| p.confidence >= m)
                            && select.below_confidence.is_none_or(|m| p.confidence < m)
                    }
                    Extracted::Unmatched(_) => select.unmatched,
                };
            if !take {
                continue;
            }
            let mut item = item.clone();
            item.decision = decision;
            save(conn, &d, &item, actor, &what)?;
            decided.push(item);
        }
        Ok(decided)
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
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
        let d = open_draft(conn, draft)?;
        let (mut item, u) = unmatched_at(&d, position)?;
        let name_zh = new
            .name_zh
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| u.suggested.name_zh.clone());
        let code = match new.code.filter(|c| !c.trim().is_empty()) {
            Some(code) => {
                if indicator_known(conn, &d, &code, position)? {
                    return Err(DraftError::BadInput(format!(
                        "indicator {code:?} already exists: merge the figure into it (mergeIndicator)"
                    )));
                }
                code
            }
            // Derived: a name another indicator's code already has gets a number.
            None => {
                let base = code_from_names(&new.name_en, &name_zh);
                let mut code = base.clone();
                let mut n = 2;
                while indicator_known(conn, &d, &code, position)? {
                    code = format!("{base}_{n}");
                    n += 1;
                }
                code
            }
        };
        let unit = suggested(new.unit, &u.suggested.unit, "unit", CanonicalUnit::parse)?;
        let category = suggested(
            new.category,
            &u.suggested.category,
            "category",
            Category::parse,
        )?;
        let indicator = IndicatorRow {
            code: code.clone(),
            name_zh,
            name_en: new.name_en,
            unit,
            category,
            direction: new.direction,
            definition: new.definition,
            definition_zh: String::new(),
            dimensions: String::new(),
            min: None,
            max: None,
            numerator: None,
            denominator: None,
            aliases: String::new(),
            additive: None,
        };
        item.edited = Some(row_of_unmatched(&d, position, &u, &code)?);
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
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
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
///
/// A draft whose report is already a source of the warehouse (the same text, or the same
/// document number) is refused with [`DraftError::Repeat`] naming the source, dry run or not,
/// unless `allow_repeat` says the reviewer has judged it a different report; a publication
/// that overrides says so in its audit entry. A repeat of another open draft does not stop
/// it: whichever is published first becomes the source the other then repeats.
pub fn publish(
    conn: &mut DbConnection,
    draft: i32,
    dry_run: bool,
    allow_repeat: bool,
    actor: &str,
) -> Result<ImportReport, DraftError> {
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
        let d = open_draft(conn, draft)?;
        // Inside the transaction: a source published by a concurrent writer is seen here.
        let of_sources: Vec<(String, RepeatReason)> = repeats(conn, std::slice::from_ref(&d))?
            .into_iter()
            .flatten()
            .filter_map(|r| match r.of {
                Repeated::Source(code) => Some((code, r.reason)),
                Repeated::Draft { .. } => None,
            })
            .collect();
        if let Some((source, reason)) = of_sources.first().filter(|_| !allow_repeat) {
            return Err(DraftError::Repeat {
                draft,
                of: source.clone(),
                reason: *reason,
            });
        }
        let mut input = LocatedBundle::default();
        for item in &d.items {
            let at = place_of(item.position);
            match item.decision {
                DraftDecision::Pending => input.problems.push(at.said(
                    "decision",
                    Said::Pending {
                        item: item.position,
                        row: item.row().map(|r| (r.key.clone(), r.indicator.clone())),
                        figure: item.figure(),
                    },
                )),
                DraftDecision::Rejected => {}
                DraftDecision::Accepted => {
                    let Some(row) = item.row() else {
                        input.problems.push(at.said(
                            "indicator",
                            Said::NeedsIndicator {
                                item: item.position,
                            },
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
        let new: Vec<&str> = input
            .indicators
            .iter()
            .map(|i| i.row.code.as_str())
            .collect();
        let mut detail = format!(
            "draft {draft} published as source {}: {} observations created, {rejected} items rejected, new indicators: [{}]",
            d.code,
            report.created_count,
            new.join(", ")
        );
        if !of_sources.is_empty() {
            let named: Vec<String> = of_sources
                .iter()
                .map(|(code, reason)| format!("{code} ({})", reason_words(*reason)))
                .collect();
            detail.push_str(&format!(
                "; published although it repeats {} (allowRepeat)",
                named.join(", ")
            ));
        }
        crate::auth::audit(
            conn,
            actor,
            AuditAction::DraftPublish,
            &detail,
            report.created_count + new.len(),
        )?;
        Ok(report)
    })
}

/// Discards an open draft: it stays in the database, marked discarded, and can no longer
/// change or be published.
pub fn discard(conn: &mut DbConnection, draft: i32, actor: &str) -> Result<Draft, DraftError> {
    crate::db::conn::write_transaction::<_, DraftError, _>(conn, |conn| {
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
