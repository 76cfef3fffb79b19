//! Runs the data-quality rules ([`crate::stats::quality`]) over the warehouse and stores their
//! findings (origin `rule`), replacing the previous run's. Curated findings are left alone.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::queries;
use crate::db::schema::*;
use crate::db::DbConnection;
use crate::domain::{Breakdown, FindingOrigin, SeriesSpec};
use crate::stats::quality::{check, QIndicator, QObs, RuleFinding};

/// A stored text that should have been validated on the way in and does not parse: the
/// database was changed behind edustats' back. Reported as a failed read, never skipped.
fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(e))
}

fn spec(text: Option<&str>) -> QueryResult<Option<SeriesSpec>> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| t.parse().map_err(corrupt))
        .transpose()
}

/// Computes the rule findings over everything in the database (read-only).
pub fn compute(conn: &mut DbConnection) -> QueryResult<Vec<RuleFinding>> {
    let observations = queries::all_observations(conn)?;
    let indicators = queries::all_indicators(conn)?;
    let periods: HashMap<i32, String> = queries::all_periods(conn)?
        .into_iter()
        .map(|p| (p.id.0, p.code))
        .collect();
    let breakdowns: HashMap<i32, Breakdown> = queries::all_breakdowns(conn)?
        .into_iter()
        .map(|(id, code)| Ok((id.0, code.parse::<Breakdown>().map_err(corrupt)?)))
        .collect::<QueryResult<_>>()?;
    let specs: HashMap<i32, (Option<SeriesSpec>, Option<SeriesSpec>)> = indicators
        .iter()
        .map(|i| {
            let num = spec(i.numerator.as_deref())?;
            let den = spec(i.denominator.as_deref())?;
            Ok((i.id.0, (num, den)))
        })
        .collect::<QueryResult<_>>()?;
    let indicator_codes: HashMap<i32, &str> = indicators
        .iter()
        .map(|i| (i.id.0, i.code.as_str()))
        .collect();
    let catalogue: HashMap<&str, QIndicator<'_>> = indicators
        .iter()
        .map(|i| {
            let (num, den) = &specs[&i.id.0];
            (
                i.code.as_str(),
                QIndicator {
                    unit: i.unit,
                    min: i.min_value,
                    max: i.max_value,
                    numerator: num.as_ref(),
                    denominator: den.as_ref(),
                },
            )
        })
        .collect();
    let input: Vec<QObs<'_>> = observations
        .iter()
        .filter_map(|o| {
            Some(QObs {
                id: o.id.0,
                key: &o.key,
                district: o.district_id.0,
                indicator: indicator_codes.get(&o.indicator_id.0)?,
                period: periods.get(&o.period_id.0)?,
                base_period: o
                    .base_period_id
                    .and_then(|b| periods.get(&b))
                    .map(String::as_str),
                breakdown: breakdowns.get(&o.breakdown_id.0)?,
                kind: o.kind,
                value: o.value,
                value_text: &o.value_text,
                reported_unit: &o.reported_unit,
            })
        })
        .collect();
    Ok(check(&input, &catalogue))
}

/// Replaces the stored rule findings with a fresh run; returns how many there are. Run inside
/// the transaction of the write that changed the data.
pub fn refresh_rule_findings(conn: &mut DbConnection) -> QueryResult<usize> {
    let found = compute(conn)?;
    let old = findings::table
        .filter(findings::origin.eq(FindingOrigin::Rule.as_str()))
        .select(findings::id);
    diesel::delete(
        finding_observations::table.filter(finding_observations::finding_id.eq_any(old)),
    )
    .execute(conn)?;
    diesel::delete(findings::table.filter(findings::origin.eq(FindingOrigin::Rule.as_str())))
        .execute(conn)?;
    let source_of: HashMap<i32, i32> = observations::table
        .select((observations::id, observations::source_id))
        .load::<(i32, i32)>(conn)?
        .into_iter()
        .collect();
    for (n, f) in found.iter().enumerate() {
        let code = format!("rule-{}-{:03}", f.rule, n + 1);
        let source_id = f
            .observations
            .last()
            .and_then(|o| source_of.get(o))
            .copied();
        diesel::insert_into(findings::table)
            .values((
                findings::code.eq(&code),
                findings::origin.eq(FindingOrigin::Rule.as_str()),
                findings::rule.eq(f.rule),
                findings::severity.eq(f.severity.as_str()),
                findings::message.eq(&f.message),
                findings::source_id.eq(source_id),
            ))
            .execute(conn)?;
        let id: i32 = findings::table
            .filter(findings::code.eq(&code))
            .select(findings::id)
            .first(conn)?;
        for o in &f.observations {
            diesel::insert_into(finding_observations::table)
                .values((
                    finding_observations::finding_id.eq(id),
                    finding_observations::observation_id.eq(o),
                ))
                .execute(conn)?;
        }
    }
    Ok(found.len())
}
