//! What several questions share: code look-ups in the order given (`NOT_FOUND` naming the first
//! unknown code), breakdown resolution, the choice of one value per district (in SQL, or here
//! for an answer `as_of` an earlier instant), and the universe of ranked divisions.

use std::collections::{BTreeMap, HashMap};

use super::{AnalyticsError, YEARS};
use crate::db::models::*;
use crate::db::queries::{self, Group, SlimValue, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, DivisionLevel, Qualifier};
use crate::stats::select::{preferred, Candidate};

/// The years whose values answer a question about `year`: that year alone, or with
/// `latest_on_or_before` every year up to it (each district's latest is then chosen).
pub fn year_window(year: i32, latest_on_or_before: bool) -> (i32, i32) {
    if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    }
}

/// Looks an indicator up by code; `NOT_FOUND` names the code.
pub fn resolve_indicator(conn: &mut DbConnection, code: &str) -> Result<Indicator, AnalyticsError> {
    queries::indicators_by_codes(conn, &[code.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "indicator",
            code: code.to_string(),
        })
}

/// Looks several indicators up, in the order given; `NOT_FOUND` names the first unknown code.
pub fn resolve_indicators(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<Vec<Indicator>, AnalyticsError> {
    let found = queries::indicators_by_codes(conn, codes)?;
    in_order(codes, found, |i| &i.code, "indicator")
}

/// Looks districts up, in the order given; `NOT_FOUND` names the first unknown code.
pub fn resolve_districts(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<Vec<District>, AnalyticsError> {
    let found = queries::districts_by_codes(conn, codes)?;
    in_order(codes, found, |d| &d.code, "district")
}

/// Puts `found` rows in the order of `codes`; the first code without a row is `NOT_FOUND`.
fn in_order<T: Clone>(
    codes: &[String],
    found: Vec<T>,
    code_of: impl Fn(&T) -> &String,
    kind: &'static str,
) -> Result<Vec<T>, AnalyticsError> {
    let by_code: HashMap<&String, &T> = found.iter().map(|row| (code_of(row), row)).collect();
    codes
        .iter()
        .map(|c| {
            by_code
                .get(c)
                .map(|row| (*row).clone())
                .ok_or_else(|| AnalyticsError::NotFound {
                    kind,
                    code: c.clone(),
                })
        })
        .collect()
}

/// Resolves a breakdown. Unknown members are `NOT_FOUND`; a valid breakdown that no value uses
/// resolves to `None` (the answer is then empty).
pub fn resolve_breakdown(
    conn: &mut DbConnection,
    breakdown: &Breakdown,
) -> Result<Option<BreakdownId>, AnalyticsError> {
    for (d, m) in breakdown.pairs() {
        if !queries::dimension_member_exists(conn, d, m)? {
            return Err(AnalyticsError::NotFound {
                kind: "breakdown member",
                code: format!("{d}={m}"),
            });
        }
    }
    Ok(queries::breakdown_by_code(conn, &breakdown.to_string())?)
}

/// The chosen values of `f` as the choice index holds them (one statement), each with its full
/// row when the answer is `as_of` an earlier instant: those are chosen in Rust after the overlay
/// of earlier revisions ([`chosen`]), and a row fetched again by id would be today's.
pub(super) fn chosen_slim(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> Result<Vec<(SlimValue, Option<ValueRow>)>, AnalyticsError> {
    if f.as_of.is_some() {
        return Ok(chosen(conn, f, group)?
            .into_iter()
            .map(|r| (SlimValue::from(&r), Some(r)))
            .collect());
    }
    Ok(queries::chosen_slim(conn, f, group)?
        .into_iter()
        .map(|v| (v, None))
        .collect())
}

/// The ids of [`ranked_universe`], in the same (code) order, without reading the rest of the
/// rows. One statement.
pub(super) fn ranked_universe_ids(
    conn: &mut DbConnection,
) -> Result<Vec<DistrictId>, AnalyticsError> {
    let mut ids = Vec::new();
    for (id, level) in queries::district_levels(conn)? {
        // A level that does not parse was written behind edustats' back: a failed read.
        let level = DivisionLevel::parse(&level)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        if level.is_ranked() {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Division-level districts (everything but the municipality), by code.
pub(super) fn ranked_universe(conn: &mut DbConnection) -> Result<Vec<District>, AnalyticsError> {
    Ok(queries::all_districts(conn)?
        .into_iter()
        .filter(|d| d.level.is_ranked())
        .collect())
}

/// Picks one value per district with the rule of [`crate::stats::select`].
pub fn pick_per_district(rows: Vec<ValueRow>) -> BTreeMap<DistrictId, ValueRow> {
    let mut groups: BTreeMap<DistrictId, Vec<ValueRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.observation.district_id).or_default().push(r);
    }
    groups
        .into_iter()
        .filter_map(|(d, mut rows)| {
            let candidates: Vec<Candidate<'_>> = rows.iter().map(candidate).collect();
            let i = preferred(&candidates)?;
            Some((d, rows.swap_remove(i)))
        })
        .collect()
}

/// The preferred value of each group of candidates matching `f` (see [`Group`]), in
/// observation id order. Without `as_of` the choice is made in SQL (one row per group crosses
/// the wire); with `as_of` every candidate is loaded, earlier revisions are overlaid, and the
/// choice is made here, because a correction may have changed a qualifier the rule looks at.
pub fn chosen(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> Result<Vec<ValueRow>, AnalyticsError> {
    if f.as_of.is_none() {
        return Ok(queries::chosen_values(conn, f, group)?);
    }
    type Key = (IndicatorId, DistrictId, Option<i32>);
    let mut groups: BTreeMap<Key, Vec<ValueRow>> = BTreeMap::new();
    for r in queries::values(conn, f)? {
        let year = match group {
            Group::District => None,
            Group::DistrictYear => Some(r.period.year),
            Group::DistrictAtEnds if r.period.year == f.years.0 || r.period.year == f.years.1 => {
                Some(r.period.year)
            }
            Group::DistrictAtEnds => continue,
        };
        let o = &r.observation;
        groups
            .entry((o.indicator_id, o.district_id, year))
            .or_default()
            .push(r);
    }
    let mut out: Vec<ValueRow> = groups
        .into_values()
        .flat_map(|rows| pick_per_district(rows).into_values())
        .collect();
    out.sort_by_key(|r| r.observation.id);
    Ok(out)
}

/// The preferred row among `rows` (see [`crate::stats::select`]).
pub(super) fn preferred_row<'a>(rows: &[&'a ValueRow]) -> Option<&'a ValueRow> {
    let candidates: Vec<Candidate<'_>> = rows.iter().map(|r| candidate(r)).collect();
    preferred(&candidates).and_then(|i| rows.get(i).copied())
}

/// What the choice rule of [`crate::stats::select`] reads of a row.
fn candidate(r: &ValueRow) -> Candidate<'_> {
    Candidate {
        year: r.period.year,
        published_on: r.published_on.as_deref(),
        exact: r.observation.qualifier == Qualifier::Exact,
        id: r.observation.id.0,
    }
}
