//! One value per group chosen in SQL: the rule of [`crate::stats::select`] as a window function,
//! so that a ranking over thousands of districts and twenty years transfers one row per
//! district instead of every candidate.
//!
//! The rule is written twice (here and in `stats::select`); `tests/choice.rs` checks on the
//! seed data that both choose the same observation for every indicator, kind, breakdown and
//! year. The SQL is the same on both backends (`ROW_NUMBER() OVER`, `NULLS LAST`: SQLite
//! 3.30+, which the bundled library is) except for how a list of ids is bound ([`IdList`]),
//! and every value in it is a bind parameter, so each connection prepares it once.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::Query;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, Bool, Double, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::{ValueFilter, ValueRow, YEAR_KINDS};
use crate::db::backend::DbConnection;
use crate::db::models::*;
use crate::db::schema::*;
use crate::domain::Qualifier;

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

/// `observations.id IN (<the ids of the chosen observations>)`, every value a bind parameter.
///
/// The statement text depends only on the group and on whether districts are filtered, so
/// diesel keeps it prepared on each connection: PostgreSQL parses and plans it once per
/// connection instead of on every request (with the ids inlined it was planned every time,
/// about as costly as running it on a few hundred districts). Lists are one parameter: an
/// `integer[]` on PostgreSQL (`= ANY($1)`), a JSON array read with `json_each` on SQLite (which
/// has no arrays); a list of n ids as n parameters would make one statement per length.
#[derive(Debug, Clone)]
struct Choice {
    indicators: Vec<i32>,
    indicators_json: String,
    districts: Option<(Vec<i32>, String)>,
    kind: &'static str,
    breakdown: i32,
    years: (i32, i32),
    group: Group,
}

impl Choice {
    /// The choice among the candidates of `f`; `None` when no candidate can match (no
    /// indicator, or an empty district list), so that callers answer without a statement.
    /// `f.as_of` is not supported (an `asOf` answer overlays earlier revisions before choosing,
    /// see `analytics`): it is an error to pass it.
    fn new(f: &ValueFilter<'_>, group: Group) -> Option<Choice> {
        debug_assert!(
            f.as_of.is_none(),
            "asOf is chosen in Rust, after the overlay"
        );
        if f.indicators.is_empty() || f.districts.is_some_and(|d| d.is_empty()) {
            return None;
        }
        let indicators: Vec<i32> = f.indicators.iter().map(|i| i.0).collect();
        let districts = f.districts.map(|d| {
            let ids: Vec<i32> = d.iter().map(|d| d.0).collect();
            let json = json_list(&ids);
            (ids, json)
        });
        Some(Choice {
            indicators_json: json_list(&indicators),
            indicators,
            districts,
            kind: f.kind.as_str(),
            breakdown: f.breakdown.0,
            years: f.years,
            group,
        })
    }
}

fn json_list(ids: &[i32]) -> String {
    let items: Vec<String> = ids.iter().map(i32::to_string).collect();
    format!("[{}]", items.join(","))
}

/// How each backend tests a column against a list of ids held in one bind parameter.
trait IdList: Backend {
    fn push_in<'b>(
        out: &mut AstPass<'_, 'b, Self>,
        column: &'static str,
        ids: &'b [i32],
        json: &'b str,
    ) -> QueryResult<()>;
}

impl IdList for Pg {
    fn push_in<'b>(
        out: &mut AstPass<'_, 'b, Pg>,
        column: &'static str,
        ids: &'b [i32],
        _json: &'b str,
    ) -> QueryResult<()> {
        out.push_sql(column);
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Integer>, [i32]>(ids)?;
        out.push_sql(")");
        Ok(())
    }
}

impl IdList for Sqlite {
    fn push_in<'b>(
        out: &mut AstPass<'_, 'b, Sqlite>,
        column: &'static str,
        _ids: &'b [i32],
        json: &'b str,
    ) -> QueryResult<()> {
        out.push_sql(column);
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, str>(json)?;
        out.push_sql("))");
        Ok(())
    }
}

/// `observations.id IN (<the chosen ids>)`: a filter for a query of full rows.
struct ChosenIds(Choice);

impl Expression for ChosenIds {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for ChosenIds {}

impl<QS> SelectableExpression<QS> for ChosenIds {}

impl<GB> ValidGrouping<GB> for ChosenIds {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for ChosenIds {
    type QueryId = ();
    // Not static: diesel then caches the statement by its SQL text (see [`Choice`]).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for ChosenIds
where
    DB: IdList,
    i32: ToSql<Integer, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("observations.id IN (SELECT chosen.id FROM ");
        self.0.walk_candidates(&mut out)?;
        out.push_sql(" WHERE chosen.rn = 1)");
        Ok(())
    }
}

/// The chosen values themselves, read from the choice index (see [`SlimValue`]).
struct SlimChoice(Choice);

impl Query for SlimChoice {
    type SqlType = (
        Integer,
        Integer,
        Integer,
        Integer,
        Integer,
        Double,
        Text,
        Nullable<Text>,
    );
}

impl QueryId for SlimChoice {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> RunQueryDsl<Conn> for SlimChoice {}

impl<DB> QueryFragment<DB> for SlimChoice
where
    DB: IdList,
    i32: ToSql<Integer, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "SELECT chosen.id, chosen.indicator_id, chosen.district_id, chosen.period_id, \
             chosen.year, chosen.value, chosen.qualifier, chosen.published_on FROM ",
        );
        self.0.walk_candidates(&mut out)?;
        out.push_sql(" WHERE chosen.rn = 1 ORDER BY chosen.id");
        Ok(())
    }
}

impl Choice {
    /// `(SELECT <candidate columns>, ROW_NUMBER() ... AS rn FROM ... WHERE <filter>) chosen`:
    /// every candidate numbered in its group, best first. Every column the callers read is in
    /// the choice index (`observations_choice`) or in `periods` and `sources`, so PostgreSQL
    /// reads no observation heap page for it.
    fn walk_candidates<'b, DB>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: IdList,
        i32: ToSql<Integer, DB>,
        str: ToSql<Text, DB>,
    {
        let partition = match self.group {
            Group::District => "o.indicator_id, o.district_id",
            Group::DistrictYear | Group::DistrictAtEnds => "o.indicator_id, o.district_id, p.year",
        };
        // The order is the rule of `stats::select::preferred`, best first: latest year, latest
        // publication (an unknown date is the oldest; dates are ISO text, validated on write, so
        // every collation orders them as Rust compares them), exact before qualified, lowest id.
        out.push_sql(
            "(SELECT o.id, o.indicator_id, o.district_id, o.period_id, p.year, o.value, \
               o.qualifier, s.published_on, ROW_NUMBER() OVER (PARTITION BY ",
        );
        out.push_sql(partition);
        out.push_sql(
            " ORDER BY p.year DESC, s.published_on DESC NULLS LAST, \
               CASE WHEN o.qualifier = 'exact' THEN 0 ELSE 1 END, o.id) AS rn \
             FROM observations o \
             JOIN periods p ON p.id = o.period_id \
             JOIN sources s ON s.id = o.source_id \
             WHERE ",
        );
        // One indicator (rankings, changes, time series) and one year get statements of their
        // own with `=`: PostgreSQL's generic plan for `= ANY($1)` or a year range assumes
        // several values and costs more than a plan made for the actual ones, so the planner
        // kept planning every execution anew (about 1 ms per ranking); with `=` its generic
        // estimate is right and the plan made once is reused.
        match self.indicators.as_slice() {
            [one] => {
                out.push_sql("o.indicator_id = ");
                out.push_bind_param::<Integer, i32>(one)?;
            }
            _ => DB::push_in(
                out,
                "o.indicator_id",
                &self.indicators,
                &self.indicators_json,
            )?,
        }
        out.push_sql(" AND o.kind = ");
        out.push_bind_param::<Text, str>(self.kind)?;
        out.push_sql(" AND o.breakdown_id = ");
        out.push_bind_param::<Integer, i32>(&self.breakdown)?;
        // Vocabulary constants, not user input: part of the statement text.
        out.push_sql(" AND p.kind IN (");
        for (i, k) in YEAR_KINDS.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql("'");
            out.push_sql(k.as_str());
            out.push_sql("'");
        }
        out.push_sql(")");
        if self.years.0 == self.years.1 {
            out.push_sql(" AND p.year = ");
            out.push_bind_param::<Integer, i32>(&self.years.0)?;
        } else {
            match self.group {
                Group::DistrictAtEnds => out.push_sql(" AND p.year IN ("),
                Group::District | Group::DistrictYear => out.push_sql(" AND p.year BETWEEN "),
            }
            out.push_bind_param::<Integer, i32>(&self.years.0)?;
            match self.group {
                Group::DistrictAtEnds => out.push_sql(", "),
                Group::District | Group::DistrictYear => out.push_sql(" AND "),
            }
            out.push_bind_param::<Integer, i32>(&self.years.1)?;
            if self.group == Group::DistrictAtEnds {
                out.push_sql(")");
            }
        }
        if let Some((ids, json)) = &self.districts {
            out.push_sql(" AND ");
            DB::push_in(out, "o.district_id", ids, json)?;
        }
        out.push_sql(") chosen");
        Ok(())
    }
}

/// Value rows (observation, period, publication date) matching a filter on `observations`, in
/// id order: the one full-row query of this module, built per backend because `as_select()` is
/// typed by the backend it loads on.
macro_rules! value_rows {
    ($conn:expr, $filter:expr) => {{
        let filter = $filter;
        let rows: Vec<(Observation, Period, Option<String>)> = crate::per_backend!($conn, c => {
            observations::table
                .inner_join(periods::table)
                .inner_join(sources::table)
                .filter(filter)
                .select((
                    Observation::as_select(),
                    Period::as_select(),
                    sources::published_on,
                ))
                .order(observations::id.asc())
                .load(c)
        })?;
        Ok(rows.into_iter().map(ValueRow::from).collect())
    }};
}

/// The preferred value of each group of candidates matching `f` (see [`Group`]), in
/// observation id order. One statement. `f.as_of` is not supported here (an `asOf` answer
/// overlays earlier revisions before choosing, see `analytics`): it is an error to pass it.
pub fn chosen_values(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> QueryResult<Vec<ValueRow>> {
    let Some(choice) = Choice::new(f, group) else {
        return Ok(Vec::new());
    };
    value_rows!(conn, ChosenIds(choice))
}

/// A chosen value as the choice index holds it: enough to rank, compare and compute changes,
/// without the observation's texts (quote, notes, key), which are fetched by id
/// ([`value_rows_by_ids`]) only for what a client asks to see.
#[derive(Debug, Clone, PartialEq)]
pub struct SlimValue {
    /// The observation.
    pub id: ObservationId,
    /// Its indicator.
    pub indicator_id: IndicatorId,
    /// Its district.
    pub district_id: DistrictId,
    /// Its period.
    pub period_id: PeriodId,
    /// The period's year.
    pub year: i32,
    /// Value in the indicator's canonical unit.
    pub value: f64,
    /// Exact or qualified.
    pub qualifier: Qualifier,
    /// Publication date of its source.
    pub published_on: Option<String>,
}

impl From<&ValueRow> for SlimValue {
    fn from(r: &ValueRow) -> SlimValue {
        SlimValue {
            id: r.observation.id,
            indicator_id: r.observation.indicator_id,
            district_id: r.observation.district_id,
            period_id: r.observation.period_id,
            year: r.period.year,
            value: r.observation.value,
            qualifier: r.observation.qualifier,
            published_on: r.published_on.clone(),
        }
    }
}

/// The preferred value of each group of candidates matching `f`, like [`chosen_values`] but
/// read from the choice index only (one statement, no observation heap page on PostgreSQL).
pub fn chosen_slim(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> QueryResult<Vec<SlimValue>> {
    let Some(choice) = Choice::new(f, group) else {
        return Ok(Vec::new());
    };
    let query = SlimChoice(choice);
    type Row = (i32, i32, i32, i32, i32, f64, String, Option<String>);
    let rows: Vec<Row> = crate::per_backend!(conn, c => query.load(c))?;
    rows.into_iter()
        .map(
            |(id, indicator, district, period, year, value, qualifier, published_on)| {
                // Stored through the vocabulary's CHECK constraint; a word it does not know is
                // a broken database, reported like any unreadable row.
                let qualifier = Qualifier::try_from(qualifier)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
                Ok(SlimValue {
                    id: ObservationId(id),
                    indicator_id: IndicatorId(indicator),
                    district_id: DistrictId(district),
                    period_id: PeriodId(period),
                    year,
                    value,
                    qualifier,
                    published_on,
                })
            },
        )
        .collect()
}

/// Full value rows (observation, period, publication date) by observation id, in id order;
/// unknown ids are absent. One statement.
pub fn value_rows_by_ids(
    conn: &mut DbConnection,
    ids: &[ObservationId],
) -> QueryResult<Vec<ValueRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = ids.iter().map(|i| i.0).collect();
    value_rows!(conn, observations::id.eq_any(&ids))
}
