//! What a write will do, decided before anything is written: the sources to create, the
//! periods and breakdowns the rows need, the observations to create, the corrections (with the
//! stored observation each replaces) and the rows that change nothing. A seed load creates
//! everything; an import compares each row with what is stored under its key.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;

use super::codes::Codes;
use super::period::ParsedPeriod;
use super::rows::{FindingRow, ImportReport, IndicatorRow, ObservationRow, SourceInput};
use super::validate::{non_blank, ValidObservation, Validated};
use super::Problem;
use crate::db::models::Observation;
use crate::db::schema::observations;
use crate::db::DbConnection;
use crate::domain::{Breakdown, SourceKind};

/// A write, planned.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Catalogue indicators to create, with their dimensions (a reviewed draft's confirmed
    /// indicators; a seed load writes its catalogue itself).
    pub indicators: Vec<(IndicatorRow, Vec<String>)>,
    /// Sources to create, with their validated kind.
    pub sources: Vec<(SourceInput, SourceKind)>,
    /// Periods the rows use, by code (created when missing).
    pub periods: BTreeMap<String, ParsedPeriod>,
    /// Breakdowns the rows use (created when missing).
    pub breakdowns: BTreeSet<Breakdown>,
    /// New observations.
    pub create: Vec<ValidObservation>,
    /// Corrections: the new content and the stored observation it supersedes.
    pub correct: Vec<(ValidObservation, Observation)>,
    /// Rows identical to what is stored.
    pub unchanged: usize,
    /// Findings recorded while curating (seed loads).
    pub findings: Vec<FindingRow>,
}

impl Plan {
    /// A plan that creates every validated row (a seed load into an empty warehouse).
    pub fn create_all(sources: Vec<(SourceInput, SourceKind)>, validated: Validated) -> Plan {
        Plan {
            sources,
            periods: validated.periods,
            breakdowns: validated.breakdowns,
            create: validated.observations,
            ..Plan::default()
        }
    }

    /// What the plan does, as reported to the caller.
    pub fn report(&self, dry_run: bool) -> ImportReport {
        ImportReport {
            dry_run,
            source_created: self.sources.first().map(|(s, _)| s.code.clone()),
            created: self.create.iter().map(|o| o.row.key.clone()).collect(),
            corrected: self
                .correct
                .iter()
                .map(|(o, _)| o.row.key.clone())
                .collect(),
            created_count: self.create.len(),
            corrected_count: self.correct.len(),
            unchanged: self.unchanged,
            keys_truncated: false,
        }
    }

    /// Rows written by applying the plan (indicators, sources and observations).
    pub fn written(&self) -> usize {
        self.indicators.len() + self.sources.len() + self.create.len() + self.correct.len()
    }
}

/// Identity of an observation: what a correction may not change. Breakdowns are compared in
/// their canonical text (stored codes are canonical; `breakdown` is the validated one).
fn identity(r: &ObservationRow, breakdown: &str, source: &str) -> String {
    format!(
        "district {}, indicator {}, period {}, breakdown {:?}, kind {}, base period {:?}, source {}",
        r.district,
        r.indicator,
        r.period.trim(),
        breakdown,
        r.kind,
        non_blank(&r.base_period),
        source
    )
}

/// Whether `new` says the same as the stored row `stored` (the fields a correction may change).
pub fn same_content(stored: &ObservationRow, new: &ObservationRow) -> bool {
    stored.value == new.value
        && stored.unit == new.unit
        && stored.quote == new.quote
        && non_blank(&stored.note) == non_blank(&new.note)
        && non_blank(&stored.period_note) == non_blank(&new.period_note)
}

/// Sorts validated rows into new ones, corrections of stored observations, and unchanged
/// ones. A row that would change what a stored key measures (its district, indicator,
/// period, breakdown, kind or source), and a correction without a reason, are problems.
/// `codes` is loaded here when stored rows must be compared and the caller has not loaded it.
pub fn against_stored(
    conn: &mut DbConnection,
    validated: Validated,
    sources: Vec<(SourceInput, SourceKind)>,
    reason: Option<&str>,
    codes: &mut Option<Codes>,
    problems: &mut Vec<Problem>,
) -> QueryResult<Plan> {
    let keys: Vec<&str> = validated
        .observations
        .iter()
        .map(|o| o.row.key.as_str())
        .collect();
    // In slices: a bound list stays far below either backend's parameter limit.
    let mut existing: HashMap<String, Observation> = HashMap::new();
    for slice in keys.chunks(10_000) {
        existing.extend(
            observations::table
                .filter(observations::key.eq_any(slice))
                .select(Observation::as_select())
                .load(conn)?
                .into_iter()
                .map(|o| (o.key.clone(), o)),
        );
    }
    if !existing.is_empty() && codes.is_none() {
        *codes = Some(Codes::load(conn)?);
    }
    let mut plan = Plan {
        sources,
        periods: validated.periods,
        breakdowns: validated.breakdowns,
        ..Plan::default()
    };
    for o in validated.observations {
        let (Some(current), Some(codes)) = (existing.remove(&o.row.key), codes.as_ref()) else {
            plan.create.push(o);
            continue;
        };
        let stored = codes.row(&current);
        let stored_source = codes.sources.code(current.source_id.0);
        let stored_breakdown = codes.breakdowns.code(current.breakdown_id.0);
        let stored_identity = identity(&stored, &stored_breakdown, &stored_source);
        if stored_identity != identity(&o.row, &o.breakdown.to_string(), &o.source) {
            problems.push(o.at.problem(
                "key",
                format!(
                    "{}: key already identifies another observation ({}); a correction cannot change what is measured",
                    o.row.key, stored_identity
                ),
            ));
            continue;
        }
        if same_content(&stored, &o.row) {
            plan.unchanged += 1;
        } else if reason.is_none_or(|r| r.trim().is_empty()) {
            problems.push(o.at.problem(
                "reason",
                format!(
                    "{}: changes the stored observation ({} {} → {} {}); a correction needs a reason",
                    o.row.key, stored.value, stored.unit, o.row.value, o.row.unit
                ),
            ));
        } else {
            plan.correct.push((o, current));
        }
    }
    Ok(plan)
}
