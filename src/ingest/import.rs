//! Imports: a new report (record, text and observations) and corrections of existing figures,
//! validated like the seeds and written in ONE transaction through the shared write path.
//!
//! Nothing is ever overwritten: a row whose key already exists and whose content differs is a
//! correction; it needs a reason, and the previous content is kept as an earlier revision with
//! who recorded it, when and why. A row identical to what is stored is "unchanged", so a file
//! exported by `edustats export` re-imports as a no-op. Every problem of the input is reported
//! (place and field) before anything is written.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::codes::Codes;
use super::plan::{self, Plan};
use super::read::LocatedBundle;
use super::rows::{ImportReport, IndicatorRow, ObservationRow};
use super::validate::{self, non_blank, Catalog, IndicatorInfo, OutOfRange};
use super::write::{self, Actor};
use super::{fail_on, IngestError, Located, Place, Problem};
use crate::db::models::{IndicatorId, Observation};
use crate::db::schema::sources;
use crate::db::{queries, DbConnection};
use crate::domain::AuditAction;

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Who is importing (an API key's name, or `cli:<user>`); recorded in the audit log.
    pub actor: &'a str,
    /// Why: required when rows change existing observations.
    pub reason: Option<&'a str>,
    /// Validate and report, write nothing.
    pub dry_run: bool,
    /// Source of rows that name none (e.g. `--source` for a CSV).
    pub default_source: Option<&'a str>,
}

/// The catalogue rows are validated against, read from the database.
fn catalog(conn: &mut DbConnection) -> QueryResult<Catalog> {
    let districts = queries::all_districts(conn)?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let units = queries::units(conn)?
        .into_iter()
        .map(|(u, c, f)| (u, (c, f)))
        .collect();
    let all = queries::all_indicators(conn)?;
    let ids: Vec<IndicatorId> = all.iter().map(|i| i.id).collect();
    let mut dims: HashMap<IndicatorId, Vec<String>> = HashMap::new();
    for (i, d) in queries::indicator_dimensions(conn, &ids)? {
        dims.entry(i).or_default().push(d);
    }
    let indicators = all
        .into_iter()
        .map(|i| {
            let info = IndicatorInfo {
                unit: i.unit,
                dimensions: dims.remove(&i.id).unwrap_or_default(),
                min: i.min_value,
                max: i.max_value,
            };
            (i.code, info)
        })
        .collect();
    let members = queries::all_members(conn)?.into_iter().collect();
    let bodies = sources::table
        .select((sources::code, sources::body))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(Catalog {
        districts,
        units,
        indicators,
        members,
        bodies,
    }
    .with_canonical_units())
}

/// The source of rows that name none: `--source`, else the source the bundle creates.
fn default_source(input: &LocatedBundle, opts: Options<'_>) -> Option<String> {
    opts.default_source
        .map(String::from)
        .or_else(|| input.bundle.source.as_ref().map(|s| s.code.clone()))
}

/// Validates the input against the database and plans the write.
fn plan(
    conn: &mut DbConnection,
    input: &LocatedBundle,
    opts: Options<'_>,
    codes: &mut Option<Codes>,
) -> Result<Plan, IngestError> {
    let bundle = &input.bundle;
    let mut catalog = catalog(conn)?;
    // Records that could not be read come first; validation adds its own problems.
    let mut problems = input.problems.clone();
    let mut new_sources = Vec::new();
    if let Some(s) = &bundle.source {
        let at = Place::line("source", 0);
        let existing = catalog.bodies.get(&s.code);
        if existing.is_some_and(|text| text != &s.text) {
            problems.push(at.problem(
                "code",
                format!("source {:?} already exists with a different text", s.code),
            ));
        }
        let kind = validate::source(s, &at, &catalog, &mut problems);
        if let (Some(kind), None) = (kind, existing) {
            new_sources.push((s.clone(), kind));
            catalog.bodies.insert(s.code.clone(), s.text.clone());
        }
    }
    if bundle.observations.is_empty() && bundle.source.is_none() && problems.is_empty() {
        problems.push(Problem::new(
            "observations",
            0,
            "",
            "nothing to import".into(),
        ));
    }
    let indicators = new_indicators(input, &mut catalog, &mut problems);
    let default_source = default_source(input, opts);
    let mut rows: Vec<(Located<ObservationRow>, String)> = Vec::new();
    for (row, at) in bundle.observations.iter().zip(&input.places) {
        match non_blank(&row.source)
            .map(String::from)
            .or_else(|| default_source.clone())
        {
            Some(source) => rows.push((
                Located {
                    at: at.clone(),
                    row: row.clone(),
                },
                source,
            )),
            None => problems.push(at.problem(
                "source",
                format!("{}: no source: give a source column or --source", row.key),
            )),
        }
    }
    let validated = validate::observations(rows, &catalog, OutOfRange::Reject, &mut problems);
    let mut plan = plan::against_stored(
        conn,
        validated,
        new_sources,
        opts.reason,
        codes,
        &mut problems,
    )?;
    plan.indicators = indicators;
    fail_on(problems)?;
    Ok(plan)
}

/// Validates the new indicators a bundle brings (a reviewed draft's confirmed indicators) like
/// seed indicators, plus what only a live catalogue can tell: the code is new and well formed.
/// Valid ones join `catalog`, so the bundle's rows validate against them.
fn new_indicators(
    input: &LocatedBundle,
    catalog: &mut Catalog,
    problems: &mut Vec<Problem>,
) -> Vec<(IndicatorRow, Vec<String>)> {
    let dimensions: HashSet<String> = catalog.members.iter().map(|(d, _)| d.clone()).collect();
    let mut out = Vec::new();
    for Located { at, row } in &input.indicators {
        let before = problems.len();
        let well_formed = row.code.starts_with(|c: char| c.is_ascii_lowercase())
            && row
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            problems.push(at.problem(
                "code",
                format!(
                    "invalid indicator code {:?}: use lower-case letters, digits and '_', starting with a letter",
                    row.code
                ),
            ));
        } else if catalog.indicators.contains_key(&row.code) {
            problems.push(at.problem("code", format!("indicator {:?} already exists", row.code)));
        }
        let dims = validate::indicator(row, at, |d| dimensions.contains(d), problems);
        if problems.len() == before {
            let info = IndicatorInfo {
                unit: row.unit,
                dimensions: dims.clone(),
                min: row.min,
                max: row.max,
            };
            catalog.indicators.insert(row.code.clone(), info);
            out.push((row.clone(), dims));
        }
    }
    out
}

/// What the audit log says about an import.
fn audit_entry(plan: &Plan, default_source: Option<&str>) -> (AuditAction, String) {
    let report = plan.report(false);
    if report.created.is_empty() && plan.sources.is_empty() && !report.corrected.is_empty() {
        return (
            AuditAction::Correction,
            format!("corrected {}", report.corrected.join(", ")),
        );
    }
    let source = report
        .source_created
        .as_deref()
        .or(default_source)
        .unwrap_or("(several)");
    (
        AuditAction::Import,
        format!(
            "source {source}: {} new, {} corrected, {} unchanged",
            report.created.len(),
            report.corrected.len(),
            report.unchanged
        ),
    )
}

/// Validates `input` and, unless `dry_run`, writes it in one transaction.
pub fn import(
    conn: &mut DbConnection,
    input: &LocatedBundle,
    opts: Options<'_>,
) -> Result<ImportReport, IngestError> {
    import_with(conn, input, opts, None)
}

/// [`import`], reusing id maps the caller has already loaded.
fn import_with(
    conn: &mut DbConnection,
    input: &LocatedBundle,
    opts: Options<'_>,
    mut codes: Option<Codes>,
) -> Result<ImportReport, IngestError> {
    conn.transaction::<_, IngestError, _>(|conn| {
        let plan = plan(conn, input, opts, &mut codes)?;
        if opts.dry_run {
            return Ok(plan.report(true));
        }
        let (action, detail) = audit_entry(&plan, default_source(input, opts).as_deref());
        let actor = Actor {
            name: opts.actor,
            reason: opts.reason,
        };
        let audit = write::Audit {
            action,
            detail: &detail,
            rows: plan.written(),
        };
        write::apply(conn, &plan, codes, actor, audit)?;
        Ok(plan.report(false))
    })
}

/// What a correction changes: the figure, and optionally its unit, quote and note.
#[derive(Debug, Clone)]
pub struct Correction {
    /// The observation's key.
    pub key: String,
    /// The figure as printed.
    pub value: String,
    /// The unit as printed (default: unchanged).
    pub unit: Option<String>,
    /// The quote (default: unchanged).
    pub quote: Option<String>,
    /// The note (default: unchanged).
    pub note: Option<String>,
}

/// Why a correction was refused before validation.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    /// No observation has this key.
    #[error("unknown observation {0:?}")]
    UnknownKey(String),
    /// The correction changes nothing.
    #[error("{0}: the correction changes nothing")]
    NoChange(String),
    /// Validation or writing failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// Corrects one observation through the import path (same validation, a new revision that
/// keeps the old content); returns the observation as it now is (as it was, for a dry run).
pub fn correct(
    conn: &mut DbConnection,
    c: Correction,
    opts: Options<'_>,
) -> Result<Observation, CorrectionError> {
    let current = queries::observation_by_key(conn, &c.key)
        .map_err(IngestError::from)?
        .ok_or_else(|| CorrectionError::UnknownKey(c.key.clone()))?;
    let codes = Codes::load(conn).map_err(IngestError::from)?;
    let stored = codes.row(&current);
    let mut row = stored.clone();
    row.value = c.value;
    if let Some(u) = c.unit {
        row.unit = u;
    }
    if let Some(q) = c.quote {
        row.quote = q;
    }
    if c.note.is_some() {
        row.note = c.note;
    }
    // Refused before anything is written (no audit entry, no findings refresh).
    if plan::same_content(&stored, &row) {
        return Err(CorrectionError::NoChange(c.key));
    }
    let input = LocatedBundle::structured(super::rows::Bundle {
        source: None,
        observations: vec![row],
    });
    import_with(conn, &input, opts, Some(codes))?;
    if opts.dry_run {
        return Ok(current);
    }
    queries::observation_by_key(conn, &c.key)
        .map_err(IngestError::from)?
        .ok_or(CorrectionError::UnknownKey(c.key))
}
