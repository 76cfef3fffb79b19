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
use super::earlier::Earlier;
use super::plan::{self, Plan};
use super::read::LocatedBundle;
use super::rows::{ImportReport, IndicatorRow, ObservationRow};
use super::said::Said;
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

/// The catalogue rows are validated against, read from the database: everything but the
/// source texts, which [`add_bodies`] reads for the sources an input names.
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
    Ok(Catalog {
        districts,
        units,
        indicators,
        members,
        bodies: HashMap::new(),
    }
    .with_canonical_units())
}

/// Reads the texts of the sources among `codes` that `catalog` does not have yet (a
/// warehouse of many sources is not read whole for an import that names a few). Codes with
/// no source stay absent, and validation reports them.
fn add_bodies<'a>(
    conn: &mut DbConnection,
    catalog: &mut Catalog,
    codes: impl IntoIterator<Item = &'a str>,
    asked: &mut HashSet<String>,
) -> QueryResult<()> {
    let missing: Vec<&str> = codes
        .into_iter()
        .filter(|c| !catalog.bodies.contains_key(*c) && asked.insert(c.to_string()))
        .collect();
    for slice in missing.chunks(1_000) {
        catalog.bodies.extend(
            sources::table
                .filter(sources::code.eq_any(slice))
                .select((sources::code, sources::body))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(())
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
    let default_source = default_source(input, opts);
    let named = bundle
        .source
        .iter()
        .map(|s| s.code.as_str())
        .chain(
            bundle
                .observations
                .iter()
                .filter_map(|r| non_blank(&r.source)),
        )
        .chain(default_source.as_deref());
    add_bodies(conn, &mut catalog, named, &mut HashSet::new())?;
    // Records that could not be read come first; validation adds its own problems.
    let mut problems = input.problems.clone();
    let mut new_sources = Vec::new();
    if let Some(s) = &bundle.source {
        let at = Place::line("source", 0);
        let existing = catalog.bodies.get(&s.code);
        if existing.is_some_and(|text| text != &s.text) {
            problems.push(at.said(
                "code",
                Said::SourceTextDiffers {
                    source: s.code.clone(),
                },
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
            let code = row.code.clone();
            problems.push(at.said("code", Said::InvalidIndicatorCode { code }));
        } else if catalog.indicators.contains_key(&row.code) {
            let code = row.code.clone();
            problems.push(at.said("code", Said::IndicatorExists { code }));
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
    audit_of(
        &plan.report(false),
        !plan.sources.is_empty(),
        default_source,
    )
}

fn audit_of(
    report: &ImportReport,
    creates_source: bool,
    default_source: Option<&str>,
) -> (AuditAction, String) {
    if report.created_count == 0 && !creates_source && report.corrected_count > 0 {
        let unlisted = report.corrected_count - report.corrected.len();
        let more = if unlisted > 0 {
            format!(" and {unlisted} more")
        } else {
            String::new()
        };
        return (
            AuditAction::Correction,
            format!("corrected {}{more}", report.corrected.join(", ")),
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
            report.created_count, report.corrected_count, report.unchanged
        ),
    )
}

/// Rows per chunk of a streamed CSV import ([`import_csv`]).
pub const CSV_CHUNK: usize = 20_000;

/// Imports a `.csv` file of observation rows ([`super::read::import_file`]'s CSV format) a
/// chunk of [`CSV_CHUNK`] rows at a time: the same validation, problems, plan and report as
/// [`import`] of the whole file, in ONE transaction, but nothing of the file stays in memory
/// past its chunk, so memory is flat in the file's length: the duplicate checks against
/// earlier chunks go through temporary tables ([`super::earlier`]), and the report keeps
/// counts and the first [`super::rows::REPORT_KEYS`] keys of each list
/// ([`ImportReport::keys_truncated`]). Chunks are written as they validate; the first problem
/// stops the writing (later chunks are still validated, so every problem is listed) and the
/// transaction rolls back. Problems found against earlier chunks (a key or a figure repeated
/// from a chunk before) come after the other problems of their chunk.
pub fn import_csv(
    conn: &mut DbConnection,
    path: &std::path::Path,
    opts: Options<'_>,
) -> Result<ImportReport, IngestError> {
    import_csv_in_chunks(conn, path, opts, CSV_CHUNK)
}

/// [`import_csv`] with `chunk_rows` rows per chunk (at least 1): the chunk bounds the
/// import's memory, and tests make it small to cross many chunk boundaries.
pub fn import_csv_in_chunks(
    conn: &mut DbConnection,
    path: &std::path::Path,
    opts: Options<'_>,
    chunk_rows: usize,
) -> Result<ImportReport, IngestError> {
    super::read::check_import_path(path)?;
    let chunk_rows = chunk_rows.max(1);
    crate::db::conn::write_transaction::<_, IngestError, _>(conn, |conn| {
        let mut earlier = Earlier::create(conn)?;
        let mut catalog = catalog(conn)?;
        let mut asked = HashSet::new();
        let mut problems = Vec::new();
        let mut validator = validate::Validator::new(OutOfRange::Reject);
        let mut codes = Some(Codes::load(conn)?);
        let mut touched = write::Touched::new();
        let now = crate::db::now_utc();
        let actor = Actor {
            name: opts.actor,
            reason: opts.reason,
        };
        let mut report = ImportReport {
            dry_run: opts.dry_run,
            ..ImportReport::default()
        };
        let mut rows_read = 0;
        let mut reader =
            super::read::CsvRows::<ObservationRow>::open(path, "observations", &mut problems);
        while let Some(csv) = reader.as_mut() {
            let chunk = csv.next_chunk(chunk_rows, &mut problems);
            if chunk.is_empty() {
                break;
            }
            rows_read += chunk.len();
            let named: HashSet<&str> = chunk
                .iter()
                .filter_map(|r| non_blank(&r.row.source))
                .chain(opts.default_source)
                .collect();
            // Only the texts this chunk names stay in memory (a file naming thousands of
            // sources would otherwise hold them all); one named again later is read again.
            catalog
                .bodies
                .retain(|code, _| named.contains(code.as_str()));
            asked.retain(|code: &String| named.contains(code.as_str()));
            validator.retain_sources(|code| named.contains(code));
            add_bodies(conn, &mut catalog, named.iter().copied(), &mut asked)?;
            let mut rows = Vec::with_capacity(chunk.len());
            for Located { at, row } in chunk {
                match non_blank(&row.source)
                    .or(opts.default_source)
                    .map(String::from)
                {
                    Some(source) => rows.push((Located { at, row }, source)),
                    None => problems.push(at.problem(
                        "source",
                        format!("{}: no source: give a source column or --source", row.key),
                    )),
                }
            }
            let mut validated = validator.rows(rows, &catalog, &mut problems);
            earlier.check(conn, validator.take_seen(), &mut validated, &mut problems)?;
            let plan = plan::against_stored(
                conn,
                validated,
                Vec::new(),
                opts.reason,
                &mut codes,
                &mut problems,
            )?;
            report.absorb(plan.report(opts.dry_run));
            if problems.is_empty() && !opts.dry_run {
                let codes = codes.as_mut().ok_or_else(|| {
                    IngestError::Inconsistent("the id maps were not loaded".into())
                })?;
                write::write_plan(conn, &plan, codes, actor, &now, &mut touched)?;
            }
        }
        if rows_read == 0 && problems.is_empty() {
            problems.push(Problem::new(
                "observations",
                0,
                "",
                "nothing to import".into(),
            ));
        }
        fail_on(problems)?;
        earlier.drop_tables(conn)?;
        if opts.dry_run {
            return Ok(report);
        }
        let (action, detail) = audit_of(&report, false, opts.default_source);
        let audit = write::Audit {
            action,
            detail: &detail,
            rows: report.created_count + report.corrected_count,
        };
        write::finish(conn, actor, audit, &touched)?;
        Ok(report)
    })
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
    crate::db::conn::write_transaction::<_, IngestError, _>(conn, |conn| {
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
