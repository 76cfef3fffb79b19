//! The queries the API and the CLI need. Each function is synchronous, takes a connection and
//! issues a fixed number of statements whatever the number of keys it is given: DataLoader batches
//! arrive here as one `IN (...)` list. The catalogue look-ups (divisions, indicators, breakdowns,
//! members) answer from the catalogue snapshot instead when there is one ([`super::catalogue`]).

use diesel::prelude::*;

pub(crate) mod catalogue_rows;
mod choice;
mod observation_queries;
mod same_report;

use catalogue_rows::read_all_districts;
pub use catalogue_rows::{all_breakdowns, all_members, data_version};
pub use choice::{chosen_slim, chosen_values, value_rows_by_ids, Group, SlimValue};
pub use observation_queries::*;
pub use same_report::{
    doc_number_key, fill_text_sha256, reason as repeat_reason, same_report, same_reports,
    text_sha256, Probe, Repeated, SameReport,
};

use std::collections::HashSet;

use super::backend::{DbConnection, MultiBackend};
use super::catalogue::snapshot;
use super::models::*;
use super::schema::*;
use crate::domain::{CanonicalUnit, Category, DivisionLevel, ObservationKind, PeriodKind};

diesel::define_sql_function! {
    /// SQL `lower()`, present in both backends: case-insensitive search without ILIKE, which
    /// SQLite lacks.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

fn ids<T: Copy, F: Fn(T) -> i32>(keys: &[T], f: F) -> Vec<i32> {
    keys.iter().map(|k| f(*k)).collect()
}

/// True when no district has been loaded yet: the database needs seeding.
pub fn is_empty(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = districts::table.count().get_result(conn)?;
    Ok(n == 0)
}

/// What the warehouse holds, for the line `serve` prints at start: reports, districts with at
/// least one observation, observations (every revision's current row). Three statements.
pub fn holdings(conn: &mut DbConnection) -> QueryResult<(i64, i64, i64)> {
    let reports: i64 = sources::table.count().get_result(conn)?;
    // The distinct ids themselves: at most one per district, a few thousand at national size.
    let districts = observations::table
        .select(observations::district_id)
        .distinct()
        .load::<i32>(conn)?
        .len() as i64;
    let rows: i64 = observations::table.count().get_result(conn)?;
    Ok((reports, districts, rows))
}

/// Every division, municipality first, then by code.
pub fn all_districts(conn: &mut DbConnection) -> QueryResult<Vec<District>> {
    if let Some(c) = snapshot(conn)? {
        return Ok(c.districts.clone());
    }
    read_all_districts(conn)
}

/// Every division's id and level (as stored), in code order: what a ranking needs of the
/// divisions when it does not list them. One statement.
pub fn district_levels(conn: &mut DbConnection) -> QueryResult<Vec<(DistrictId, String)>> {
    if let Some(c) = snapshot(conn)? {
        let levels = c.districts.iter();
        return Ok(levels
            .map(|d| (d.id, d.level.as_str().to_string()))
            .collect());
    }
    Ok(districts::table
        .select((districts::id, districts::level))
        .order(districts::code.asc())
        .load::<(i32, String)>(conn)?
        .into_iter()
        .map(|(id, level)| (DistrictId(id), level))
        .collect())
}

/// Districts by id (DataLoader batch).
pub fn districts_by_ids(
    conn: &mut DbConnection,
    keys: &[DistrictId],
) -> QueryResult<Vec<District>> {
    if let Some(c) = snapshot(conn)? {
        let wanted: HashSet<DistrictId> = keys.iter().copied().collect();
        let rows = c.districts.iter().filter(|d| wanted.contains(&d.id));
        return Ok(rows.cloned().collect());
    }
    districts::table
        .filter(districts::id.eq_any(ids(keys, |k| k.0)))
        .select(District::as_select())
        .load(conn)
}

/// Districts by code; unknown codes are simply absent from the result.
pub fn districts_by_codes(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<District>> {
    if let Some(c) = snapshot(conn)? {
        let wanted: HashSet<&str> = codes.iter().map(String::as_str).collect();
        let rows = c
            .districts
            .iter()
            .filter(|d| wanted.contains(d.code.as_str()));
        return Ok(rows.cloned().collect());
    }
    districts::table
        .filter(districts::code.eq_any(codes))
        .select(District::as_select())
        .load(conn)
}

/// Indicators whose zh or en name (or code) contains `search`, optionally in one category.
pub fn search_indicators(
    conn: &mut DbConnection,
    search: Option<&str>,
    category: Option<Category>,
) -> QueryResult<Vec<Indicator>> {
    let mut query = indicators::table
        .select(Indicator::as_select())
        .order(indicators::code.asc())
        .into_boxed::<MultiBackend>();
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let escaped = search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        query = query.filter(
            lower(indicators::name_en)
                .like(pattern.clone())
                .escape('\\')
                .or(indicators::name_zh.like(pattern.clone()).escape('\\'))
                .or(indicators::code.like(pattern).escape('\\')),
        );
    }
    if let Some(category) = category {
        query = query.filter(indicators::category.eq(category.as_str()));
    }
    query.load(conn)
}

/// Indicators by id (DataLoader batch).
pub fn indicators_by_ids(
    conn: &mut DbConnection,
    keys: &[IndicatorId],
) -> QueryResult<Vec<Indicator>> {
    if let Some(c) = snapshot(conn)? {
        let wanted: HashSet<IndicatorId> = keys.iter().copied().collect();
        let rows = wanted.into_iter().filter_map(|id| c.indicator(id));
        return Ok(rows.cloned().collect());
    }
    indicators::table
        .filter(indicators::id.eq_any(ids(keys, |k| k.0)))
        .select(Indicator::as_select())
        .load(conn)
}

/// Indicators by code; unknown codes are absent from the result.
pub fn indicators_by_codes(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<Vec<Indicator>> {
    if let Some(c) = snapshot(conn)? {
        let wanted: HashSet<&str> = codes.iter().map(String::as_str).collect();
        let rows = wanted
            .into_iter()
            .filter_map(|code| c.indicator_by_code(code));
        return Ok(rows.cloned().collect());
    }
    indicators::table
        .filter(indicators::code.eq_any(codes))
        .select(Indicator::as_select())
        .load(conn)
}

/// The breakdown dimensions an indicator may use, for every indicator given.
pub fn indicator_dimensions(
    conn: &mut DbConnection,
    keys: &[IndicatorId],
) -> QueryResult<Vec<(IndicatorId, String)>> {
    let rows: Vec<(i32, String)> = indicator_dimensions::table
        .inner_join(dimensions::table)
        .filter(indicator_dimensions::indicator_id.eq_any(ids(keys, |k| k.0)))
        .select((indicator_dimensions::indicator_id, dimensions::code))
        .order((indicator_dimensions::indicator_id, dimensions::code))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, d)| (IndicatorId(i), d)).collect())
}

/// Periods by id (DataLoader batch).
pub fn periods_by_ids(conn: &mut DbConnection, keys: &[PeriodId]) -> QueryResult<Vec<Period>> {
    periods::table
        .filter(periods::id.eq_any(ids(keys, |k| k.0)))
        .select(Period::as_select())
        .load(conn)
}

/// Sources by id (DataLoader batch), without their text.
pub fn sources_by_ids(conn: &mut DbConnection, keys: &[SourceId]) -> QueryResult<Vec<Source>> {
    sources::table
        .filter(sources::id.eq_any(ids(keys, |k| k.0)))
        .select(Source::as_select())
        .load(conn)
}

/// Every source, by code.
pub fn all_sources(conn: &mut DbConnection) -> QueryResult<Vec<Source>> {
    sources::table
        .select(Source::as_select())
        .order(sources::code.asc())
        .load(conn)
}

/// One source by code.
pub fn source_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Source>> {
    sources::table
        .filter(sources::code.eq(code))
        .select(Source::as_select())
        .first(conn)
        .optional()
}

/// The full texts of the sources given (DataLoader batch).
pub fn source_bodies(
    conn: &mut DbConnection,
    keys: &[SourceId],
) -> QueryResult<Vec<(SourceId, String)>> {
    let rows: Vec<(i32, String)> = sources::table
        .filter(sources::id.eq_any(ids(keys, |k| k.0)))
        .select((sources::id, sources::body))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, b)| (SourceId(i), b)).collect())
}

/// The members of each breakdown given (the total has none).
pub fn breakdown_members(
    conn: &mut DbConnection,
    keys: &[BreakdownId],
) -> QueryResult<Vec<(BreakdownId, BreakdownMember)>> {
    type Row = (i32, String, String, String, String, String, String);
    let rows: Vec<Row> = breakdown_members::table
        .inner_join(dimension_members::table.inner_join(dimensions::table))
        .filter(breakdown_members::breakdown_id.eq_any(ids(keys, |k| k.0)))
        .select((
            breakdown_members::breakdown_id,
            dimensions::code,
            dimensions::name_zh,
            dimensions::name_en,
            dimension_members::code,
            dimension_members::name_zh,
            dimension_members::name_en,
        ))
        .order((breakdown_members::breakdown_id, dimensions::code))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(b, dimension, dimension_zh, dimension_en, member, name_zh, name_en)| {
                (
                    BreakdownId(b),
                    BreakdownMember {
                        dimension,
                        dimension_zh,
                        dimension_en,
                        member,
                        name_zh,
                        name_en,
                    },
                )
            },
        )
        .collect())
}

/// The id of a breakdown by its canonical code (`''` is the total), if any value uses it.
pub fn breakdown_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<BreakdownId>> {
    if let Some(c) = snapshot(conn)? {
        return Ok(c.breakdown(code));
    }
    breakdowns::table
        .filter(breakdowns::code.eq(code))
        .select(breakdowns::id)
        .first::<i32>(conn)
        .optional()
        .map(|o| o.map(BreakdownId))
}

/// Which (dimension, member) codes exist, for validating breakdown arguments.
pub fn dimension_member_exists(
    conn: &mut DbConnection,
    dimension: &str,
    member: &str,
) -> QueryResult<bool> {
    if let Some(c) = snapshot(conn)? {
        return Ok(c.has_member(dimension, member));
    }
    let n: i64 = dimension_members::table
        .inner_join(dimensions::table)
        .filter(dimensions::code.eq(dimension))
        .filter(dimension_members::code.eq(member))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Every period.
pub fn all_periods(conn: &mut DbConnection) -> QueryResult<Vec<Period>> {
    periods::table.select(Period::as_select()).load(conn)
}

/// Every indicator.
pub fn all_indicators(conn: &mut DbConnection) -> QueryResult<Vec<Indicator>> {
    indicators::table
        .select(Indicator::as_select())
        .order(indicators::code.asc())
        .load(conn)
}

/// Breakdown ids by canonical code (codes no value uses are absent).
pub fn breakdowns_by_codes(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<Vec<(BreakdownId, String)>> {
    let rows: Vec<(i32, String)> = breakdowns::table
        .filter(breakdowns::code.eq_any(codes))
        .select((breakdowns::id, breakdowns::code))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, c)| (BreakdownId(i), c)).collect())
}

/// A breakdown member with its dimension, id and Chinese name.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// Dimension code.
    pub dimension: String,
    /// The dimension's Chinese name.
    pub dimension_zh: String,
    /// Member code.
    pub member: String,
    /// Surrogate key.
    pub id: i32,
    /// Chinese name.
    pub name_zh: String,
}

/// Every breakdown member with its dimension, id and name.
pub fn members(conn: &mut DbConnection) -> QueryResult<Vec<MemberRow>> {
    Ok(dimension_members::table
        .inner_join(dimensions::table)
        .select((
            dimensions::code,
            dimensions::name_zh,
            dimension_members::code,
            dimension_members::id,
            dimension_members::name_zh,
        ))
        .load::<(String, String, String, i32, String)>(conn)?
        .into_iter()
        .map(|(dimension, dimension_zh, member, id, name_zh)| MemberRow {
            dimension,
            dimension_zh,
            member,
            id,
            name_zh,
        })
        .collect())
}

/// Every reported unit with its canonical unit and factor. A canonical unit the vocabulary
/// does not know fails the read (the table was changed behind edustats' back).
pub fn units(conn: &mut DbConnection) -> QueryResult<Vec<(String, CanonicalUnit, f64)>> {
    units::table
        .select((units::unit, units::canonical, units::factor))
        .load::<(String, String, f64)>(conn)?
        .into_iter()
        .map(|(u, c, f)| {
            let c = CanonicalUnit::parse(&c)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            Ok((u, c, f))
        })
        .collect()
}

/// Which districts have values of each indicator given, in which years (any kind, any
/// breakdown). One statement.
pub fn coverage(
    conn: &mut DbConnection,
    keys: &[IndicatorId],
) -> QueryResult<Vec<(IndicatorId, DistrictId, i32)>> {
    let rows: Vec<(i32, i32, i32)> = observations::table
        .inner_join(periods::table)
        .filter(observations::indicator_id.eq_any(ids(keys, |k| k.0)))
        .select((
            observations::indicator_id,
            observations::district_id,
            periods::year,
        ))
        .distinct()
        .order((
            observations::indicator_id,
            observations::district_id,
            periods::year,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(i, d, y)| (IndicatorId(i), DistrictId(d), y))
        .collect())
}

/// One (kind, breakdown, district, year) of an indicator that a ranking can rank: a value of a
/// division-level district (not the municipality) for a year or a month, the periods rankings
/// choose from ([`YEAR_KINDS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankableRow {
    /// What the values state.
    pub kind: ObservationKind,
    /// Their breakdown (the total has one too).
    pub breakdown: BreakdownId,
    /// The district.
    pub district: DistrictId,
    /// The year of the period.
    pub year: i32,
}

/// What rankings of each indicator given can rank, distinct rows ordered by indicator, kind,
/// breakdown, district and year. One statement; the dashboard's picker counts coverage from it
/// exactly as `ranking` counts (`coverage` above mixes kinds, breakdowns and periods).
pub fn rankable(
    conn: &mut DbConnection,
    keys: &[IndicatorId],
) -> QueryResult<Vec<(IndicatorId, RankableRow)>> {
    let rows: Vec<(i32, String, i32, i32, i32)> = observations::table
        .inner_join(periods::table)
        .inner_join(districts::table)
        .filter(observations::indicator_id.eq_any(ids(keys, |k| k.0)))
        .filter(periods::kind.eq_any(YEAR_KINDS.map(PeriodKind::as_str)))
        .filter(districts::level.ne(DivisionLevel::Municipality.as_str()))
        .select((
            observations::indicator_id,
            observations::kind,
            observations::breakdown_id,
            observations::district_id,
            periods::year,
        ))
        .distinct()
        .order((
            observations::indicator_id,
            observations::kind,
            observations::breakdown_id,
            observations::district_id,
            periods::year,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(i, kind, b, d, year)| {
            let kind = ObservationKind::parse(&kind)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            Ok((
                IndicatorId(i),
                RankableRow {
                    kind,
                    breakdown: BreakdownId(b),
                    district: DistrictId(d),
                    year,
                },
            ))
        })
        .collect()
}

/// The Chinese translations of the curators' notes of the observations with these keys:
/// (key, SHA-256 of the English note translated, the translation). One statement.
pub fn note_translations(
    conn: &mut DbConnection,
    keys: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    note_translations::table
        .filter(note_translations::observation_key.eq_any(keys))
        .select((
            note_translations::observation_key,
            note_translations::note_sha256,
            note_translations::note_zh,
        ))
        .load(conn)
}

/// Data-quality findings, optionally only one rule's or one source's.
pub fn findings_list(
    conn: &mut DbConnection,
    rule: Option<&str>,
    source: Option<SourceId>,
) -> QueryResult<Vec<Finding>> {
    let mut query = findings::table
        .select(Finding::as_select())
        .order(findings::code.asc())
        .into_boxed::<MultiBackend>();
    if let Some(rule) = rule {
        query = query.filter(findings::rule.eq(rule.to_string()));
    }
    if let Some(source) = source {
        query = query.filter(findings::source_id.eq(source.0));
    }
    query.load(conn)
}

/// The findings that involve each observation given (DataLoader batch).
pub fn findings_by_observations(
    conn: &mut DbConnection,
    keys: &[ObservationId],
) -> QueryResult<Vec<(ObservationId, Finding)>> {
    let rows: Vec<(i32, Finding)> = finding_observations::table
        .inner_join(findings::table)
        .filter(finding_observations::observation_id.eq_any(ids(keys, |k| k.0)))
        .select((finding_observations::observation_id, Finding::as_select()))
        .order((finding_observations::observation_id, findings::code))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(o, f)| (ObservationId(o), f))
        .collect())
}

/// The observations each finding given involves (DataLoader batch).
pub fn observations_by_findings(
    conn: &mut DbConnection,
    keys: &[FindingId],
) -> QueryResult<Vec<(FindingId, Observation)>> {
    let rows: Vec<(i32, Observation)> = finding_observations::table
        .inner_join(observations::table)
        .filter(finding_observations::finding_id.eq_any(ids(keys, |k| k.0)))
        .select((finding_observations::finding_id, Observation::as_select()))
        .order((finding_observations::finding_id, observations::id))
        .load(conn)?;
    Ok(rows.into_iter().map(|(f, o)| (FindingId(f), o)).collect())
}

/// Every standard, or those of `indicators`, by code. One statement.
pub fn standards(
    conn: &mut DbConnection,
    indicators: Option<&[IndicatorId]>,
) -> QueryResult<Vec<Standard>> {
    let mut query = standards::table
        .select(Standard::as_select())
        .order(standards::code.asc())
        .into_boxed::<MultiBackend>();
    if let Some(i) = indicators {
        query = query.filter(standards::indicator_id.eq_any(ids(i, |k| k.0)));
    }
    let rows: Vec<Standard> = query.load(conn)?;
    // The comparator is read as text (it is nullable); an unknown spelling fails the read as
    // every other stored term does.
    for s in &rows {
        s.comparator()
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    }
    Ok(rows)
}

/// The standards of the indicators in `keys`, as (indicator, standard). One statement.
pub fn standards_by_indicators(
    conn: &mut DbConnection,
    keys: &[IndicatorId],
) -> QueryResult<Vec<(IndicatorId, Standard)>> {
    Ok(standards(conn, Some(keys))?
        .into_iter()
        .filter_map(|s| s.indicator_id.map(|i| (IndicatorId(i), s)))
        .collect())
}

/// A standard by its code.
pub fn standard_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Standard>> {
    standards::table
        .filter(standards::code.eq(code))
        .select(Standard::as_select())
        .first(conn)
        .optional()
}
