//! Imports: a new report (record, text and observations) and corrections of existing figures,
//! through the same validation as the seeds, in ONE transaction.
//!
//! Nothing is ever overwritten: a row whose key already exists and whose content differs is a
//! correction; it needs a reason, and the previous content is kept as an earlier revision with
//! who recorded it, when and why. A row identical to what is stored is "unchanged", so a file
//! exported by `edustats export` re-imports as a no-op. Every problem of the input is reported
//! (row number and field) before anything is written.

use std::collections::HashMap;
use std::path::Path;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::seed::{
    validate_observations, Catalog, IndicatorInfo, Located, ObservationRow, ResolvedObservation,
};
use super::{IngestError, Problem};
use crate::db::models::*;
use crate::db::schema::*;
use crate::db::{now_utc, queries, DbConnection};
use crate::domain::{AuditAction, Breakdown, CanonicalUnit, SourceKind};

/// A new source document, with its text.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SourceInput {
    /// Stable code (lower case letters, digits and '-').
    pub code: String,
    /// Title, Chinese.
    pub title_zh: String,
    /// Title, English.
    pub title_en: String,
    /// Issuing body.
    pub issuer: String,
    /// District code the document reports on.
    pub district: String,
    /// Document number as printed.
    #[serde(default)]
    pub doc_number: Option<String>,
    /// Date printed on the document (ISO).
    #[serde(default)]
    pub date: Option<String>,
    /// `self_evaluation`, `rectification_plan` or `rectification_report`.
    pub kind: String,
    /// Year reviewed.
    #[serde(default)]
    pub review_year: Option<i32>,
    /// Curator's note.
    #[serde(default)]
    pub note: Option<String>,
    /// The full text, verbatim.
    pub text: String,
}

/// What one import carries: optionally a new source, and observation rows in the seed format.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Bundle {
    /// A new source document.
    #[serde(default)]
    pub source: Option<SourceInput>,
    /// Observation rows (seed columns, plus `source` when they span several sources).
    pub observations: Vec<ObservationRow>,
}

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

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The source created, if any.
    pub source_created: Option<String>,
    /// Keys of new observations.
    pub created: Vec<String>,
    /// Keys of observations that got a new revision.
    pub corrected: Vec<String>,
    /// Rows identical to what is stored.
    pub unchanged: usize,
}

/// Reads an import file: `.json` (a [`Bundle`]) or `.csv` (observation rows in the seed format;
/// extra columns, such as those of an export, are ignored).
pub fn read_file(path: &Path) -> Result<Bundle, IngestError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| IngestError::Io {
        path: name.clone(),
        message: e.to_string(),
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            let text = std::fs::read_to_string(path).map_err(io)?;
            serde_json::from_str(&text).map_err(|e| {
                IngestError::Invalid(vec![Problem::new(
                    &name,
                    e.line() as u64,
                    "",
                    format!("invalid JSON: {e}"),
                )])
            })
        }
        Some("csv") => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_path(path)
                .map_err(|e| IngestError::Io {
                    path: name.clone(),
                    message: e.to_string(),
                })?;
            let mut rows = Vec::new();
            let mut problems = Vec::new();
            for (i, r) in reader.deserialize::<ObservationRow>().enumerate() {
                match r {
                    Ok(row) => rows.push(row),
                    Err(e) => problems.push(Problem::new(
                        &name,
                        i as u64 + 2,
                        "",
                        format!("malformed row: {e}"),
                    )),
                }
            }
            if problems.is_empty() {
                Ok(Bundle {
                    source: None,
                    observations: rows,
                })
            } else {
                Err(IngestError::Invalid(problems))
            }
        }
        _ => Err(IngestError::Io {
            path: name,
            message: "expected a .json or .csv file".into(),
        }),
    }
}

fn catalog(conn: &mut DbConnection) -> QueryResult<Catalog> {
    let districts = queries::all_districts(conn)?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let units = units::table
        .select((units::unit, units::canonical, units::factor))
        .load::<(String, String, f64)>(conn)?
        .into_iter()
        .map(|(u, c, f)| Ok((u, (CanonicalUnit::parse(&c).map_err(corrupt)?, f))))
        .collect::<QueryResult<_>>()?;
    let all = queries::all_indicators(conn)?;
    let ids: Vec<IndicatorId> = all.iter().map(|i| i.id).collect();
    let mut dims: HashMap<IndicatorId, Vec<String>> = HashMap::new();
    for (i, d) in queries::indicator_dimensions(conn, &ids)? {
        dims.entry(i).or_default().push(d);
    }
    let indicators = all
        .into_iter()
        .map(|i| {
            let dimensions = dims.remove(&i.id).unwrap_or_default();
            (
                i.code,
                IndicatorInfo {
                    unit: i.unit,
                    dimensions,
                    min: i.min_value,
                    max: i.max_value,
                },
            )
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

/// A stored text that does not parse as the term it should be: fail the read.
fn corrupt(e: crate::domain::UnknownTerm) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(e))
}

fn check_source(s: &SourceInput, catalog: &Catalog, problems: &mut Vec<Problem>) -> bool {
    let before = problems.len();
    let mut bad = |field: &str, msg: String| problems.push(Problem::new("source", 0, field, msg));
    let code_ok = !s.code.is_empty()
        && s.code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !code_ok {
        bad(
            "code",
            format!(
                "invalid source code {:?}: use lower-case letters, digits and '-'",
                s.code
            ),
        );
    }
    if !catalog.districts.contains(&s.district) {
        bad("district", format!("unknown district {:?}", s.district));
    }
    if let Err(e) = SourceKind::parse(&s.kind) {
        bad("kind", e.to_string());
    }
    if s.text.trim().is_empty() {
        bad("text", "the source text is empty".into());
    }
    for (field, v) in [
        ("title_zh", &s.title_zh),
        ("title_en", &s.title_en),
        ("issuer", &s.issuer),
    ] {
        if v.trim().is_empty() {
            bad(field, format!("{field} is required"));
        }
    }
    if let Some(existing) = catalog.bodies.get(&s.code) {
        if existing != &s.text {
            bad(
                "code",
                format!("source {:?} already exists with a different text", s.code),
            );
        }
    }
    problems.len() == before
}

/// Identity of an observation: what a correction may not change.
fn identity(r: &ObservationRow, source: &str) -> String {
    let breakdown = Breakdown::parse_opt(r.breakdown.as_deref())
        .map(|b| b.to_string())
        .unwrap_or_default();
    format!(
        "district {}, indicator {}, period {}, breakdown {:?}, kind {}, base period {:?}, source {}",
        r.district,
        r.indicator,
        r.period.trim(),
        breakdown,
        r.kind,
        r.base_period.as_deref().map(str::trim).filter(|b| !b.is_empty()),
        source
    )
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Id ↔ code maps of the small catalogue tables: turn a stored observation into an input row
/// (the export format) and an input row's codes into ids, without a query per row.
pub struct Codes {
    districts: HashMap<i32, String>,
    indicators: HashMap<i32, String>,
    periods: HashMap<i32, String>,
    breakdowns: HashMap<i32, String>,
    sources: HashMap<i32, String>,
}

impl Codes {
    /// Loads every code map (small tables).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Codes> {
        Ok(Codes {
            districts: districts::table
                .select((districts::id, districts::code))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect(),
            indicators: indicators::table
                .select((indicators::id, indicators::code))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect(),
            periods: periods::table
                .select((periods::id, periods::code))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect(),
            breakdowns: breakdowns::table
                .select((breakdowns::id, breakdowns::code))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect(),
            sources: sources::table
                .select((sources::id, sources::code))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect(),
        })
    }

    /// The id of a code in one of the maps (a linear scan: the tables hold at most a few hundred
    /// rows and this runs once per written row, instead of a query).
    fn id(map: &HashMap<i32, String>, what: &str, code: &str) -> Result<i32, IngestError> {
        map.iter()
            .find(|(_, c)| c.as_str() == code)
            .map(|(id, _)| *id)
            .ok_or_else(|| {
                IngestError::Invalid(vec![Problem::new(
                    "observations",
                    0,
                    what,
                    format!("{what} {code:?} vanished during the import"),
                )])
            })
    }

    /// An observation as a row of the seed / import / export format.
    pub fn row(&self, o: &Observation) -> ObservationRow {
        let get = |m: &HashMap<i32, String>, id: i32| m.get(&id).cloned().unwrap_or_default();
        ObservationRow {
            key: o.key.clone(),
            district: get(&self.districts, o.district_id.0),
            indicator: get(&self.indicators, o.indicator_id.0),
            period: get(&self.periods, o.period_id.0),
            period_note: o.period_note.clone(),
            breakdown: Some(get(&self.breakdowns, o.breakdown_id.0)),
            kind: o.kind,
            base_period: o.base_period_id.map(|b| get(&self.periods, b)),
            value: o.value_text.clone(),
            unit: o.reported_unit.clone(),
            quote: o.quote.clone(),
            note: o.note.clone(),
            source: Some(get(&self.sources, o.source_id.0)),
        }
    }
}

fn ensure_period(conn: &mut DbConnection, p: &super::period::ParsedPeriod) -> QueryResult<i32> {
    if let Some(id) = periods::table
        .filter(periods::code.eq(&p.code))
        .select(periods::id)
        .first::<i32>(conn)
        .optional()?
    {
        return Ok(id);
    }
    diesel::insert_into(periods::table)
        .values(NewPeriod {
            code: &p.code,
            kind: p.kind,
            start_date: &p.start,
            end_date: &p.end,
            year: p.year,
        })
        .execute(conn)?;
    periods::table
        .filter(periods::code.eq(&p.code))
        .select(periods::id)
        .first(conn)
}

fn ensure_breakdown(
    conn: &mut DbConnection,
    code: &str,
    pairs: &[(String, String)],
) -> QueryResult<i32> {
    if let Some(id) = queries::breakdown_by_code(conn, code)? {
        return Ok(id.0);
    }
    diesel::insert_into(breakdowns::table)
        .values(breakdowns::code.eq(code))
        .execute(conn)?;
    let id: i32 = breakdowns::table
        .filter(breakdowns::code.eq(code))
        .select(breakdowns::id)
        .first(conn)?;
    for (d, m) in pairs {
        let member: i32 = dimension_members::table
            .inner_join(dimensions::table)
            .filter(dimensions::code.eq(d))
            .filter(dimension_members::code.eq(m))
            .select(dimension_members::id)
            .first(conn)?;
        diesel::insert_into(breakdown_members::table)
            .values((
                breakdown_members::breakdown_id.eq(id),
                breakdown_members::member_id.eq(member),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// Test hook for the crash-safety test: with `EDUSTATS_TEST_PAUSE_AFTER_ROWS=N`, the writer
/// stops after its N-th new observation (inside the transaction) and waits, so a test can kill
/// the process at a known point. Unset in normal use.
fn pause_point(written: usize) {
    let pause = std::env::var("EDUSTATS_TEST_PAUSE_AFTER_ROWS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    if pause == Some(written) {
        eprintln!("EDUSTATS_TEST_PAUSE: {written} rows written, waiting");
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
}

/// Validates `bundle` and, unless `dry_run`, writes it in one transaction.
pub fn import(
    conn: &mut DbConnection,
    bundle: &Bundle,
    opts: Options<'_>,
) -> Result<ImportReport, IngestError> {
    conn.transaction::<_, IngestError, _>(|conn| {
        let mut catalog = catalog(conn)?;
        let mut problems = Vec::new();
        let mut new_source = None;
        if let Some(s) = &bundle.source {
            let exists = catalog.bodies.contains_key(&s.code);
            if check_source(s, &catalog, &mut problems) && !exists {
                new_source = Some(s.clone());
                catalog.bodies.insert(s.code.clone(), s.text.clone());
            }
        }
        if bundle.observations.is_empty() && bundle.source.is_none() {
            problems.push(Problem::new("observations", 0, "", "nothing to import".into()));
        }
        let default_source = opts.default_source.map(String::from).or_else(|| bundle.source.as_ref().map(|s| s.code.clone()));
        let mut rows = Vec::new();
        for (i, row) in bundle.observations.iter().enumerate() {
            let line = i as u64 + 2;
            let source = trimmed(&row.source).or_else(|| default_source.clone());
            match source {
                Some(source) => rows.push((Located { file: "observations".into(), line, row: row.clone() }, source)),
                None => problems.push(Problem::new("observations", line, "source", format!("{}: no source: give a source column or --source", row.key))),
            }
        }
        let validated = validate_observations(rows, &catalog, true, &mut problems);

        // Existing keys: unchanged, correction (with a reason), or a conflicting identity.
        let keys: Vec<String> = validated.observations.iter().map(|o| o.row.key.clone()).collect();
        let existing: HashMap<String, Observation> = observations::table
            .filter(observations::key.eq_any(&keys))
            .select(Observation::as_select())
            .load(conn)?
            .into_iter()
            .map(|o| (o.key.clone(), o))
            .collect();
        let codes = Codes::load(conn)?;
        let mut report = ImportReport { dry_run: opts.dry_run, source_created: new_source.as_ref().map(|s| s.code.clone()), ..Default::default() };
        let mut to_create: Vec<&ResolvedObservation> = Vec::new();
        let mut to_correct: Vec<(&ResolvedObservation, &Observation)> = Vec::new();
        for o in &validated.observations {
            let Some(current) = existing.get(&o.row.key) else {
                to_create.push(o);
                continue;
            };
            let stored = codes.row(current);
            let line = o.line;
            let stored_source = stored.source.clone().unwrap_or_default();
            if identity(&stored, &stored_source) != identity(&o.row, &o.source) {
                problems.push(Problem::new("observations", line, "key", format!(
                    "{}: key already identifies another observation ({}); a correction cannot change what is measured",
                    o.row.key, identity(&stored, &stored_source)
                )));
                continue;
            }
            let same = stored.value == o.row.value
                && stored.unit == o.row.unit
                && stored.quote == o.row.quote
                && trimmed(&stored.note) == trimmed(&o.row.note)
                && trimmed(&stored.period_note) == trimmed(&o.row.period_note);
            if same {
                report.unchanged += 1;
            } else if opts.reason.is_none_or(|r| r.trim().is_empty()) {
                problems.push(Problem::new("observations", line, "reason", format!(
                    "{}: changes the stored observation ({} {} → {} {}); a correction needs a reason",
                    o.row.key, stored.value, stored.unit, o.row.value, o.row.unit
                )));
            } else {
                to_correct.push((o, current));
            }
        }
        if !problems.is_empty() {
            return Err(IngestError::Invalid(problems));
        }
        report.created = to_create.iter().map(|o| o.row.key.clone()).collect();
        report.corrected = to_correct.iter().map(|(o, _)| o.row.key.clone()).collect();
        if opts.dry_run {
            return Ok(report);
        }

        let now = now_utc();
        let reason = opts.reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(s) = &new_source {
            let district_id: i32 = districts::table.filter(districts::code.eq(&s.district)).select(districts::id).first(conn)?;
            diesel::insert_into(sources::table)
                .values(NewSource {
                    code: &s.code,
                    title_zh: &s.title_zh,
                    title_en: &s.title_en,
                    issuer: &s.issuer,
                    district_id,
                    doc_number: s.doc_number.as_deref(),
                    published_on: s.date.as_deref(),
                    kind: SourceKind::parse(&s.kind).map_err(|e| {
                        IngestError::Invalid(vec![Problem::new("source", 0, "kind", e.to_string())])
                    })?,
                    review_year: s.review_year,
                    note: s.note.as_deref(),
                    body: &s.text,
                    created_at: &now,
                })
                .execute(conn)?;
        }
        let mut period_ids = HashMap::new();
        for p in validated.periods.values() {
            period_ids.insert(p.code.clone(), ensure_period(conn, p)?);
        }
        let mut breakdown_ids = HashMap::new();
        for b in &validated.breakdowns {
            breakdown_ids.insert(b.clone(), ensure_breakdown(conn, &b.to_string(), b.pairs())?);
        }
        // Reloaded: the source this import creates is in it now.
        let codes = Codes::load(conn)?;
        let missing = |what: &str, code: &str| IngestError::Invalid(vec![Problem::new("observations", 0, what, format!("{what} {code:?} vanished during the import"))]);
        for (n, o) in to_create.iter().enumerate() {
            let r = &o.row;
            let (period_note, note, base) = (trimmed(&r.period_note), trimmed(&r.note), trimmed(&r.base_period));
            let period_id = *period_ids.get(r.period.trim()).ok_or_else(|| missing("period", &r.period))?;
            let base_period_id = match &base {
                Some(b) => Some(*period_ids.get(b).ok_or_else(|| missing("base_period", b))?),
                None => None,
            };
            let breakdown_id = *breakdown_ids.get(&o.breakdown).ok_or_else(|| missing("breakdown", &o.breakdown.to_string()))?;
            diesel::insert_into(observations::table)
                .values(NewObservation {
                    key: &r.key,
                    district_id: Codes::id(&codes.districts, "district", &r.district)?,
                    indicator_id: Codes::id(&codes.indicators, "indicator", &r.indicator)?,
                    period_id,
                    breakdown_id,
                    kind: r.kind,
                    base_period_id,
                    value: o.value,
                    value_text: &r.value,
                    reported_unit: &r.unit,
                    qualifier: o.qualifier,
                    source_id: Codes::id(&codes.sources, "source", &o.source)?,
                    quote: &r.quote,
                    quote_start: o.quote_start as i32,
                    quote_end: o.quote_end as i32,
                    period_note: period_note.as_deref(),
                    note: note.as_deref(),
                    revision: 1,
                    created_at: &now,
                    recorded_at: &now,
                    recorded_by: opts.actor,
                    change_reason: reason,
                })
                .execute(conn)?;
            pause_point(n + 1);
        }
        for (o, current) in &to_correct {
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
                    observation_revisions::superseded_at.eq(&now),
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
                    observations::note.eq(trimmed(&o.row.note)),
                    observations::period_note.eq(trimmed(&o.row.period_note)),
                    observations::revision.eq(current.revision + 1),
                    observations::recorded_at.eq(&now),
                    observations::recorded_by.eq(opts.actor),
                    observations::change_reason.eq(reason),
                ))
                .execute(conn)?;
        }
        let written = report.created.len() + report.corrected.len() + usize::from(new_source.is_some());
        let (action, what) = if report.created.is_empty() && new_source.is_none() && !report.corrected.is_empty() {
            (AuditAction::Correction, format!("corrected {}", report.corrected.join(", ")))
        } else {
            (
                AuditAction::Import,
                format!(
                    "source {}: {} new, {} corrected, {} unchanged",
                    new_source.as_ref().map(|s| s.code.as_str()).or(default_source.as_deref()).unwrap_or("(several)"),
                    report.created.len(),
                    report.corrected.len(),
                    report.unchanged
                ),
            )
        };
        let detail = match reason {
            Some(r) => format!("{what}; reason: {r}"),
            None => what,
        };
        crate::auth::audit(conn, opts.actor, action, &detail, written)?;
        super::check::refresh_rule_findings(conn)?;
        Ok(report)
    })
}
