//! One value per group chosen in SQL: the rule of [`crate::stats::select`] as a window function,
//! so that a ranking over thousands of districts and twenty years transfers one row per
//! district instead of every candidate.
//!
//! The rule is written twice (here and in `stats::select`); `tests/choice.rs` checks on the
//! seed data that both choose the same observation for every indicator, kind, breakdown and
//! year. The SQL is the same on both backends (`ROW_NUMBER() OVER`, `NULLS LAST`: SQLite
//! 3.30+, which the bundled library is).

use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::{ValueFilter, ValueRow, YEAR_KINDS};
use crate::db::conn::{DbConnection, MultiBackend};
use crate::db::models::*;
use crate::db::schema::*;
use crate::domain::PeriodKind;

/// Which candidates compete with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// One value per (indicator, district) over the filter's years (rankings, matrices).
    District,
    /// One value per (indicator, district, year) for every year of the range (time series).
    DistrictYear,
    /// One value per (indicator, district, year) for the two ends of the range only (change).
    DistrictAtEnds,
}

/// Joins integers into an SQL list. Only ids read from the database go through here, never
/// user text, so inlining is safe; it keeps the statement one text whatever the list length
/// (a bound list would need one parameter per id).
fn int_list(xs: impl Iterator<Item = i32>) -> String {
    xs.map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// The ids of the chosen observations, as an SQL subquery. Every value inlined is an integer id,
/// a year, or a vocabulary constant (`kind`, period kinds), none of it user text.
fn chosen_ids_sql(f: &ValueFilter<'_>, group: Group) -> String {
    let partition = match group {
        Group::District => "o.indicator_id, o.district_id",
        Group::DistrictYear | Group::DistrictAtEnds => "o.indicator_id, o.district_id, p.year",
    };
    let years = match group {
        Group::DistrictAtEnds => format!("p.year IN ({}, {})", f.years.0, f.years.1),
        Group::District | Group::DistrictYear => {
            format!("p.year BETWEEN {} AND {}", f.years.0, f.years.1)
        }
    };
    let period_kinds = YEAR_KINDS
        .map(|k: PeriodKind| format!("'{}'", k.as_str()))
        .join(",");
    let districts = match f.districts {
        Some(d) => format!(
            " AND o.district_id IN ({})",
            int_list(d.iter().map(|d| d.0))
        ),
        None => String::new(),
    };
    // The order is the rule of `stats::select::preferred`, best first: latest year, latest
    // publication (an unknown date is the oldest; dates are ISO text, validated on write, so
    // every collation orders them as Rust compares them), exact before qualified, lowest id.
    format!(
        "SELECT chosen.id FROM (\
           SELECT o.id, ROW_NUMBER() OVER (PARTITION BY {partition} \
             ORDER BY p.year DESC, s.published_on DESC NULLS LAST, \
             CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn \
           FROM observations o \
           JOIN periods p ON p.id = o.period_id \
           JOIN sources s ON s.id = o.source_id \
           WHERE o.indicator_id IN ({indicators}) AND o.kind = '{kind}' \
             AND o.breakdown_id = {breakdown} AND p.kind IN ({period_kinds}) \
             AND {years}{districts}\
         ) chosen WHERE chosen.rn = 1",
        indicators = int_list(f.indicators.iter().map(|i| i.0)),
        kind = f.kind.as_str(),
        breakdown = f.breakdown.0,
    )
}

/// The preferred value of each group of candidates matching `f` (see [`Group`]), in
/// observation id order. One statement. `f.as_of` is not supported here (an `asOf` answer
/// overlays earlier revisions before choosing, see `analytics`): it is an error to pass it.
pub fn chosen_values(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> QueryResult<Vec<ValueRow>> {
    debug_assert!(
        f.as_of.is_none(),
        "asOf is chosen in Rust, after the overlay"
    );
    if f.indicators.is_empty() || f.districts.is_some_and(|d| d.is_empty()) {
        return Ok(Vec::new());
    }
    let rows: Vec<(Observation, Period, Option<String>)> = observations::table
        .inner_join(periods::table)
        .inner_join(sources::table)
        .filter(diesel::dsl::sql::<Bool>(&format!(
            "observations.id IN ({})",
            chosen_ids_sql(f, group)
        )))
        .select((
            Observation::as_select(),
            Period::as_select(),
            sources::published_on,
        ))
        .order(observations::id.asc())
        .into_boxed::<MultiBackend>()
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(observation, period, published_on)| ValueRow {
            observation,
            period,
            published_on,
        })
        .collect())
}
