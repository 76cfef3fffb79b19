//! Applying a [`Plan`]: the one place that inserts sources, periods, breakdowns and
//! observations and records corrections, used by seed loads, imports and corrections alike.
//! It runs inside the caller's transaction and ends by recomputing the rule-based quality
//! findings, so readers never see data without its findings.
//!
//! New observations go in batches through [`super::bulk`] (COPY on PostgreSQL, multi-row
//! INSERTs on SQLite); the small catalogue rows one by one. diesel's MultiConnection has no
//! RETURNING, so ids are read back by code in one query per table.

use std::collections::HashMap;

use diesel::prelude::*;

pub use super::check::Touched;
use super::codes::{code_map, CodeMap, Codes};
use super::dataset::Dataset;
use super::plan::Plan;
use super::rows::IndicatorRow;
use super::IngestError;
use crate::db::models::*;
use crate::db::schema::*;
use crate::db::{now_utc, DbConnection};
use crate::domain::{AuditAction, FindingOrigin, Severity};

/// Who writes, and why (recorded with every revision and in the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// An API key's name, `cli:<user>`, or `seed`.
    pub name: &'a str,
    /// Why: required for corrections.
    pub reason: Option<&'a str>,
}

/// What a seed load wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    /// Divisions.
    pub districts: usize,
    /// Indicators.
    pub indicators: usize,
    /// Source documents.
    pub sources: usize,
    /// Observations.
    pub observations: usize,
    /// Findings recorded while curating.
    pub curated_findings: usize,
    /// Standards catalogued.
    pub standards: usize,
    /// Findings computed by the quality rules.
    pub rule_findings: usize,
}

/// A code the plan guarantees exists but the database does not have: the plan and the
/// database disagree (a concurrent delete); reported as a problem rather than a panic.
fn vanished(what: &str, code: &str) -> IngestError {
    IngestError::Inconsistent(format!("{what} {code:?} disappeared during the write"))
}

fn id_of(map: &CodeMap, what: &str, code: &str) -> Result<i32, IngestError> {
    map.id(code).ok_or_else(|| vanished(what, code))
}

/// Pause point for the crash-safety test: with `EDUSTATS_TEST_PAUSE_AFTER_ROWS=N` in the
/// environment, the writer stops after its N-th new observation (inside the transaction) and
/// waits two minutes, so a test can kill the process at a known point. It is compiled into every
/// build (a cargo feature for it made the test build compile the crate a second time); unset,
/// it costs one cached environment read per batch.
fn pause_point(before: usize, after: usize) {
    static PAUSE: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    let pause = PAUSE.get_or_init(|| {
        std::env::var("EDUSTATS_TEST_PAUSE_AFTER_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if pause.is_some_and(|n| before < n && n <= after) {
        eprintln!("EDUSTATS_TEST_PAUSE: {after} rows written, waiting");
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
}

/// New observations per bulk batch: large enough that per-statement costs vanish, small
/// enough that a batch's rows take a few megabytes.
const BATCH: usize = 10_000;

/// The row to insert for a validated observation.
fn new_observation<'a>(
    o: &'a super::validate::ValidObservation,
    codes: &Codes,
    now: &'a str,
    actor: &'a str,
    reason: Option<&'a str>,
) -> Result<NewObservation<'a>, IngestError> {
    let r = &o.row;
    Ok(NewObservation {
        key: &r.key,
        district_id: id_of(&codes.districts, "district", &r.district)?,
        indicator_id: id_of(&codes.indicators, "indicator", &r.indicator)?,
        period_id: id_of(&codes.periods, "period", &o.period)?,
        breakdown_id: id_of(&codes.breakdowns, "breakdown", &o.breakdown.to_string())?,
        kind: r.kind,
        base_period_id: o
            .base_period
            .as_deref()
            .map(|b| id_of(&codes.periods, "base_period", b))
            .transpose()?,
        value: o.value,
        value_text: &r.value,
        reported_unit: &r.unit,
        qualifier: o.qualifier,
        source_id: id_of(&codes.sources, "source", &o.source)?,
        quote: &r.quote,
        quote_start: o.quote_start as i32,
        quote_end: o.quote_end as i32,
        period_note: o.period_note(),
        note: o.note(),
        revision: 1,
        created_at: now,
        recorded_at: now,
        recorded_by: actor,
        change_reason: reason,
    })
}

/// Inserts the periods and breakdowns of `plan` that the database does not have yet, and
/// refreshes the maps of `codes` that changed.
fn ensure_periods_and_breakdowns(
    conn: &mut DbConnection,
    plan: &Plan,
    codes: &mut Codes,
) -> Result<(), IngestError> {
    let mut new_periods = false;
    for p in plan.periods.values() {
        if codes.periods.id(&p.code).is_none() {
            new_periods = true;
            insert_period(conn, p)?;
        }
    }
    if new_periods {
        codes.periods = code_map!(conn, periods);
    }
    let missing: Vec<_> = plan
        .breakdowns
        .iter()
        .filter(|b| codes.breakdowns.id(&b.to_string()).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for b in &missing {
        diesel::insert_into(breakdowns::table)
            .values(breakdowns::code.eq(b.to_string()))
            .execute(conn)?;
    }
    codes.breakdowns = code_map!(conn, breakdowns);
    let ids = &codes.breakdowns;
    let members: HashMap<(String, String), i32> = crate::db::queries::members(conn)?
        .into_iter()
        .map(|m| ((m.dimension, m.member), m.id))
        .collect();
    for b in missing {
        let code = b.to_string();
        let breakdown_id = id_of(ids, "breakdown", &code)?;
        for pair in b.pairs() {
            let member = *members
                .get(pair)
                .ok_or_else(|| vanished("breakdown member", &format!("{}={}", pair.0, pair.1)))?;
            diesel::insert_into(breakdown_members::table)
                .values((
                    breakdown_members::breakdown_id.eq(breakdown_id),
                    breakdown_members::member_id.eq(member),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// What the audit log records of a write.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    /// What kind of write.
    pub action: AuditAction,
    /// What, in words.
    pub detail: &'a str,
    /// How many rows it counts as written.
    pub rows: usize,
}

/// Stores one parsed period (the caller has checked it is not stored yet). Shared by the
/// planned writes and `edustats synth`, so a period row is built in one place.
pub(crate) fn insert_period(
    conn: &mut DbConnection,
    p: &super::period::ParsedPeriod,
) -> QueryResult<usize> {
    diesel::insert_into(periods::table)
        .values(NewPeriod {
            code: &p.code,
            kind: p.kind,
            start_date: &p.start,
            end_date: &p.end,
            year: p.year,
        })
        .execute(conn)
}

/// Applies `plan` (inside the caller's transaction), records it in the audit log, and
/// recomputes the rule findings; returns how many rule findings there are.
///
/// `codes` are the id maps when the caller has them (a seed load built them while writing the
/// catalogue); otherwise they are loaded here, and only when the plan creates rows.
pub fn apply(
    conn: &mut DbConnection,
    plan: &Plan,
    codes: Option<Codes>,
    actor: Actor<'_>,
    audit: Audit<'_>,
) -> Result<usize, IngestError> {
    // The id maps are needed only to create rows; corrections and no-ops skip them.
    let creates = !(plan.indicators.is_empty()
        && plan.sources.is_empty()
        && plan.create.is_empty()
        && plan.findings.is_empty());
    let mut codes = match codes {
        Some(c) => c,
        None if creates => Codes::load(conn)?,
        None => Codes::default(),
    };
    let mut touched = Touched::new();
    write_plan(conn, plan, &mut codes, actor, &now_utc(), &mut touched)?;
    finish(conn, actor, audit, &touched)
}

/// Ends a write: records it in the audit log and recomputes the rule findings of the series
/// it touched; returns how many rule findings there are.
pub fn finish(
    conn: &mut DbConnection,
    actor: Actor<'_>,
    audit: Audit<'_>,
    touched: &Touched,
) -> Result<usize, IngestError> {
    let reason = actor.reason.map(str::trim).filter(|r| !r.is_empty());
    let detail = match reason {
        Some(r) => format!("{}; reason: {r}", audit.detail),
        None => audit.detail.to_string(),
    };
    crate::auth::audit(conn, actor.name, audit.action, &detail, audit.rows)?;
    // Cached answers and ETags are keyed by the version: it changes in the same transaction.
    crate::db::version::bump(conn)?;
    Ok(super::check::refresh_touched(conn, touched)?.findings)
}

/// Writes the rows of `plan` (inside the caller's transaction) without the audit entry and
/// the findings: a streamed import calls it once per chunk, then [`finish`] once. `codes`
/// must hold the districts, indicators and sources the plan names (kept up to date here);
/// the series written are added to `touched`.
pub fn write_plan(
    conn: &mut DbConnection,
    plan: &Plan,
    codes: &mut Codes,
    actor: Actor<'_>,
    now: &str,
    touched: &mut Touched,
) -> Result<(), IngestError> {
    let reason = actor.reason.map(str::trim).filter(|r| !r.is_empty());
    // New indicators first: the observations below refer to them.
    if !plan.indicators.is_empty() {
        codes.indicators = insert_indicators(conn, &plan.indicators, None)?;
    }
    for (s, kind) in &plan.sources {
        let digest = crate::db::queries::text_sha256(&s.text);
        diesel::insert_into(sources::table)
            .values(NewSource {
                code: &s.code,
                title_zh: &s.title_zh,
                title_en: &s.title_en,
                issuer: &s.issuer,
                district_id: id_of(&codes.districts, "district", &s.district)?,
                doc_number: s.doc_number.as_deref(),
                published_on: s.date.as_deref(),
                kind: *kind,
                review_year: s.review_year,
                note: s.note.as_deref(),
                body: &s.text,
                created_at: now,
                text_sha256: &digest,
            })
            .execute(conn)?;
    }
    if !plan.sources.is_empty() {
        codes.sources = code_map!(conn, sources);
    }
    if !plan.create.is_empty() {
        ensure_periods_and_breakdowns(conn, plan, codes)?;
    }
    // Batches of new observations: one COPY (PostgreSQL) or a few multi-row INSERTs (SQLite)
    // per batch, built and dropped a batch at a time.
    let mut written = 0;
    for batch in plan.create.chunks(BATCH) {
        let rows = batch
            .iter()
            .map(|o| new_observation(o, codes, now, actor.name, reason))
            .collect::<Result<Vec<_>, _>>()?;
        super::bulk::observations(conn, &rows)?;
        pause_point(written, written + rows.len());
        written += rows.len();
    }
    for (o, current) in &plan.correct {
        // Keep the current content as an earlier revision, then record the new one.
        diesel::insert_into(observation_revisions::table)
            .values((
                observation_revisions::observation_id.eq(current.id.0),
                observation_revisions::revision.eq(current.revision),
                observation_revisions::value.eq(current.value),
                observation_revisions::value_text.eq(&current.value_text),
                observation_revisions::reported_unit.eq(&current.reported_unit),
                observation_revisions::qualifier.eq(current.qualifier.as_str()),
                observation_revisions::quote.eq(&current.quote),
                observation_revisions::quote_start.eq(current.quote_start),
                observation_revisions::quote_end.eq(current.quote_end),
                observation_revisions::note.eq(&current.note),
                observation_revisions::recorded_at.eq(&current.recorded_at),
                observation_revisions::recorded_by.eq(&current.recorded_by),
                observation_revisions::change_reason.eq(&current.change_reason),
                observation_revisions::superseded_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(observations::table.filter(observations::id.eq(current.id.0)))
            .set((
                observations::value.eq(o.value),
                observations::value_text.eq(&o.row.value),
                observations::reported_unit.eq(&o.row.unit),
                observations::qualifier.eq(o.qualifier.as_str()),
                observations::quote.eq(&o.row.quote),
                observations::quote_start.eq(o.quote_start as i32),
                observations::quote_end.eq(o.quote_end as i32),
                observations::note.eq(o.note()),
                observations::period_note.eq(o.period_note()),
                observations::revision.eq(current.revision + 1),
                observations::recorded_at.eq(now),
                observations::recorded_by.eq(actor.name),
                observations::change_reason.eq(reason),
            ))
            .execute(conn)?;
    }
    insert_curated_findings(conn, plan, codes)?;
    for (district, indicator) in series(plan, codes)? {
        touched.entry(district).or_default().insert(indicator);
    }
    Ok(())
}

/// The (district, indicator) series a plan creates or corrects observations in: what the
/// quality rules recompute.
fn series(plan: &Plan, codes: &Codes) -> Result<Vec<(i32, i32)>, IngestError> {
    let mut out = Vec::new();
    for o in &plan.create {
        let district = id_of(&codes.districts, "district", &o.row.district)?;
        let indicator = id_of(&codes.indicators, "indicator", &o.row.indicator)?;
        out.push((district, indicator));
    }
    for (_, current) in &plan.correct {
        out.push((current.district_id.0, current.indicator_id.0));
    }
    Ok(out)
}

fn insert_curated_findings(
    conn: &mut DbConnection,
    plan: &Plan,
    codes: &Codes,
) -> Result<(), IngestError> {
    if plan.findings.is_empty() {
        return Ok(());
    }
    for f in &plan.findings {
        diesel::insert_into(findings::table)
            .values(NewFinding {
                code: &f.code,
                origin: FindingOrigin::Curated,
                rule: &f.rule,
                severity: Severity::Warning,
                message: &f.message,
                source_id: codes.sources.id(&f.source),
                message_zh: f.message_zh.as_deref().unwrap_or(""),
            })
            .execute(conn)?;
    }
    let finding_ids = code_map!(conn, findings);
    let observation_ids = code_map!(conn, observations, key);
    for f in &plan.findings {
        let finding_id = id_of(&finding_ids, "finding", &f.code)?;
        let mut keys: Vec<&str> = f
            .observations
            .split(';')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            diesel::insert_into(finding_observations::table)
                .values((
                    finding_observations::finding_id.eq(finding_id),
                    finding_observations::observation_id.eq(id_of(
                        &observation_ids,
                        "observation",
                        key,
                    )?),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Deletes every row of every warehouse table (children first). Used by `seed --replace`.
/// API keys and the audit log survive a reload: they are not seed data. Also used by
/// `synth --replace`.
/// Stores the Chinese of the curators' notes (a few hundred rows: one statement per 500).
fn write_note_translations(
    conn: &mut DbConnection,
    rows: &[(String, String, String)],
) -> QueryResult<()> {
    let values: Vec<_> = rows
        .iter()
        .map(|(key, sha, zh)| {
            (
                note_translations::observation_key.eq(key.as_str()),
                note_translations::note_sha256.eq(sha.as_str()),
                note_translations::note_zh.eq(zh.as_str()),
            )
        })
        .collect();
    for chunk in values.chunks(500) {
        super::bulk::insert_batch!(&mut *conn, note_translations::table, chunk)?;
    }
    Ok(())
}

pub(crate) fn clear(conn: &mut DbConnection) -> QueryResult<()> {
    macro_rules! delete_all {
        ($($table:ident),+) => {
            $(diesel::delete($table::table).execute(conn)?;)+
        };
    }
    delete_all!(
        note_translations,
        standards,
        finding_observations,
        observation_revisions,
        findings,
        observations,
        sources,
        periods,
        breakdown_members,
        breakdowns,
        indicator_dimensions,
        indicators,
        dimension_members,
        dimensions,
        units
    );
    // Districts reference each other: cut the links first.
    diesel::update(districts::table)
        .set(districts::parent_id.eq(None::<i32>))
        .execute(conn)?;
    diesel::delete(districts::table).execute(conn)?;
    Ok(())
}

/// Writes the catalogue of a seed folder into an empty warehouse: divisions, units,
/// dimensions and their members, indicators and their dimensions. Returns the id maps of what
/// it wrote (the other maps are empty, as their tables are).
fn write_catalogue(conn: &mut DbConnection, data: &Dataset) -> Result<Codes, IngestError> {
    // Parents first, so children can name them.
    let mut parents = CodeMap::default();
    for top_level in [true, false] {
        if !top_level {
            parents = code_map!(conn, districts);
        }
        for d in data
            .districts
            .iter()
            .filter(|d| d.parent.is_empty() == top_level)
        {
            let parent_id = match top_level {
                true => None,
                false => Some(id_of(&parents, "district", &d.parent)?),
            };
            diesel::insert_into(districts::table)
                .values(NewDistrict {
                    code: &d.code,
                    parent_id,
                    level: d.level,
                    name_zh: &d.name_zh,
                    name_en: &d.name_en,
                })
                .execute(conn)?;
        }
    }
    for u in &data.units {
        diesel::insert_into(units::table)
            .values(NewUnit {
                unit: &u.unit,
                canonical: u.canonical.as_str(),
                factor: u.factor,
            })
            .execute(conn)?;
    }
    for (code, (zh, en)) in &data.dimensions {
        diesel::insert_into(dimensions::table)
            .values(NewDimension {
                code,
                name_zh: zh,
                name_en: en,
            })
            .execute(conn)?;
    }
    let dimension_ids = code_map!(conn, dimensions);
    for ((dimension, code), (zh, en)) in &data.members {
        diesel::insert_into(dimension_members::table)
            .values(NewMember {
                dimension_id: id_of(&dimension_ids, "dimension", dimension)?,
                code,
                name_zh: zh,
                name_en: en,
            })
            .execute(conn)?;
    }
    let indicator_ids = insert_indicators(conn, &data.indicators, Some(&dimension_ids))?;
    Ok(Codes {
        districts: code_map!(conn, districts),
        indicators: indicator_ids,
        ..Codes::default()
    })
}

/// Inserts catalogue indicators with their breakdown dimensions (seed loads and published
/// drafts); returns the id map of every indicator. `dimension_ids` when the caller has them
/// (a seed load just wrote them), else they are read here if needed.
fn insert_indicators(
    conn: &mut DbConnection,
    indicators: &[(IndicatorRow, Vec<String>)],
    dimension_ids: Option<&CodeMap>,
) -> Result<CodeMap, IngestError> {
    for (i, _) in indicators {
        diesel::insert_into(indicators::table)
            .values(NewIndicator {
                code: &i.code,
                name_zh: &i.name_zh,
                name_en: &i.name_en,
                unit: i.unit,
                category: i.category,
                direction: i.direction,
                definition: &i.definition,
                definition_zh: &i.definition_zh,
                min_value: i.min,
                max_value: i.max,
                numerator: i.numerator.as_deref().filter(|s| !s.is_empty()),
                denominator: i.denominator.as_deref().filter(|s| !s.is_empty()),
                aliases: &i.aliases,
                additive: i32::from(i.additive.unwrap_or(false)),
            })
            .execute(conn)?;
    }
    let indicator_ids = code_map!(conn, indicators);
    if indicators.iter().all(|(_, dims)| dims.is_empty()) {
        return Ok(indicator_ids);
    }
    let loaded;
    let dimension_ids = match dimension_ids {
        Some(ids) => ids,
        None => {
            loaded = code_map!(conn, dimensions);
            &loaded
        }
    };
    for (i, dims) in indicators {
        for d in dims {
            diesel::insert_into(indicator_dimensions::table)
                .values((
                    indicator_dimensions::indicator_id.eq(id_of(
                        &indicator_ids,
                        "indicator",
                        &i.code,
                    )?),
                    indicator_dimensions::dimension_id.eq(id_of(dimension_ids, "dimension", d)?),
                ))
                .execute(conn)?;
        }
    }
    Ok(indicator_ids)
}

/// Loads a validated seed folder atomically. Refuses a database that already holds data unless
/// `replace` is set, in which case the old contents are removed in the same transaction.
pub fn write_dataset(
    conn: &mut DbConnection,
    data: &Dataset,
    replace: bool,
) -> Result<LoadSummary, IngestError> {
    crate::db::conn::write_transaction::<_, IngestError, _>(conn, |conn| {
        let existing: i64 = observations::table.count().get_result(conn)?;
        let districts_existing: i64 = districts::table.count().get_result(conn)?;
        if existing + districts_existing > 0 {
            if !replace {
                return Err(IngestError::NotEmpty(existing));
            }
            clear(conn)?;
        }
        let codes = write_catalogue(conn, data)?;
        let detail = format!(
            "loaded {} observations from {} sources{}",
            data.plan.create.len(),
            data.plan.sources.len(),
            if replace {
                " (replacing the previous contents)"
            } else {
                ""
            }
        );
        let actor = Actor {
            name: "seed",
            reason: None,
        };
        // A seed load counts its observations, as it always has.
        let audit = Audit {
            action: AuditAction::Seed,
            detail: &detail,
            rows: data.plan.create.len(),
        };
        let rule_findings = apply(conn, &data.plan, Some(codes), actor, audit)?;
        super::standards::write(conn, &data.standards)?;
        write_note_translations(conn, &data.note_translations)?;
        Ok(LoadSummary {
            districts: data.districts.len(),
            indicators: data.indicators.len(),
            sources: data.plan.sources.len(),
            observations: data.plan.create.len(),
            curated_findings: data.plan.findings.len(),
            standards: data.standards.len(),
            rule_findings,
        })
    })
}
