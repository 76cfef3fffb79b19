//! Targets against actuals: each target paired with the latest actual of its series and the
//! earliest figure the pace is measured from (see [`crate::stats::targets`]).

use std::collections::HashMap;

use super::shared::*;
use super::{check_year, AnalyticsError, YearInput};
use crate::db::models::*;
use crate::db::queries::{self, ValueRow};
use crate::db::DbConnection;
use crate::domain::{ObservationKind, Qualifier};
use crate::stats::targets::{self, Condition, Dated, Progress};

/// One target with the actual it is compared with.
#[derive(Debug, Clone)]
pub struct TargetProgress {
    /// The target's indicator.
    pub indicator: Indicator,
    /// The target.
    pub target: ValueRow,
    /// The latest actual of the same district, indicator and breakdown whose period ends on or
    /// before the end of the target's period (and of the `year` asked for).
    pub actual: Option<ValueRow>,
    /// The earliest earlier actual that is a figure rather than a bound (以上, 不足 …), from
    /// which the pace so far is measured.
    pub base: Option<ValueRow>,
    /// The comparison; `None` without an actual.
    pub progress: Option<Progress>,
}

/// The end of a period as a position in years (the end of June 2023 is 2023.496): periods of
/// different lengths are compared by when they end.
fn end_position(p: &Period) -> f64 {
    use chrono::Datelike;
    match chrono::NaiveDate::parse_from_str(&p.end_date, "%Y-%m-%d") {
        Ok(d) => {
            let days = if d.leap_year() { 366.0 } else { 365.0 };
            f64::from(d.year() - 1) + f64::from(d.ordinal()) / days
        }
        // Stored end dates are validated on write; the period's year is the nearest safe end.
        Err(_) => f64::from(p.year),
    }
}

/// Which targets to compare with their actuals.
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetsRequest<'a> {
    /// Indicator code; `None`: every indicator with a target.
    pub indicator: Option<&'a str>,
    /// District codes; `None`: every district.
    pub districts: Option<&'a [String]>,
    /// Compare with actuals up to the end of this year only.
    pub year: Option<i32>,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// Targets against actuals. Each target of `indicator` (every indicator when `None`) about
/// `districts` (every district when `None`) is paired with the latest actual of the same
/// district, indicator and breakdown whose period ends on or before the end of the target's
/// period, and, with `year`, no later than the end of that year. Ordered by district code,
/// indicator code, then the end of the target's period. Three statements plus the code look-ups.
pub fn progress(
    conn: &mut DbConnection,
    request: &TargetsRequest<'_>,
) -> Result<Vec<TargetProgress>, AnalyticsError> {
    let TargetsRequest {
        indicator,
        districts,
        year,
        as_of,
    } = *request;
    if let Some(y) = year {
        check_year(YearInput::Year, y)?;
    }
    let wanted = match indicator {
        Some(code) => Some(resolve_indicator(conn, code)?),
        None => None,
    };
    let ds = match districts {
        Some(codes) => Some(resolve_districts(conn, codes)?),
        None => None,
    };
    let d_ids: Option<Vec<DistrictId>> = ds.as_ref().map(|d| d.iter().map(|d| d.id).collect());
    progress_of(conn, wanted, d_ids.as_deref(), year, as_of)
}

/// [`progress`] over resolved arguments: every target of `indicator` (all when `None`) about
/// `districts` (all when `None`).
pub fn progress_of(
    conn: &mut DbConnection,
    wanted: Option<Indicator>,
    districts: Option<&[DistrictId]>,
    year: Option<i32>,
    as_of: Option<&str>,
) -> Result<Vec<TargetProgress>, AnalyticsError> {
    let i_ids: Option<Vec<IndicatorId>> = wanted.as_ref().map(|i| vec![i.id]);
    let rows = queries::targets_and_actuals(conn, i_ids.as_deref(), districts, as_of)?;
    let indicators: HashMap<IndicatorId, Indicator> = match wanted {
        Some(i) => HashMap::from([(i.id, i)]),
        None => {
            let mut used: Vec<IndicatorId> = rows
                .iter()
                .filter(|r| r.observation.kind == ObservationKind::Target)
                .map(|r| r.observation.indicator_id)
                .collect();
            used.sort();
            used.dedup();
            queries::indicators_by_ids(conn, &used)?
                .into_iter()
                .map(|i| (i.id, i))
                .collect()
        }
    };
    let codes: HashMap<DistrictId, String> = match districts {
        Some(ids) => queries::districts_by_ids(conn, ids)?,
        None => queries::all_districts(conn)?,
    }
    .into_iter()
    .map(|d| (d.id, d.code))
    .collect();
    type Key = (DistrictId, IndicatorId, BreakdownId);
    let key = |r: &ValueRow| -> Key {
        let o = &r.observation;
        (o.district_id, o.indicator_id, o.breakdown_id)
    };
    let mut actuals: HashMap<Key, Vec<&ValueRow>> = HashMap::new();
    for r in rows.iter().filter(|r| {
        r.observation.kind == ObservationKind::Actual && year.is_none_or(|y| r.period.year <= y)
    }) {
        actuals.entry(key(r)).or_default().push(r);
    }
    let mut out = Vec::new();
    for t in rows
        .iter()
        .filter(|r| r.observation.kind == ObservationKind::Target)
    {
        let Some(ind) = indicators.get(&t.observation.indicator_id) else {
            continue;
        };
        let t_at = end_position(&t.period);
        let earlier: Vec<&ValueRow> = actuals
            .get(&key(t))
            .map(|rows| {
                rows.iter()
                    .copied()
                    .filter(|a| end_position(&a.period) <= t_at + 1e-9)
                    .collect()
            })
            .unwrap_or_default();
        let at_extreme = |latest: bool| -> Option<&ValueRow> {
            // The pace is measured from a figure, not from a bound (93.88以上).
            let from: Vec<&ValueRow> = earlier
                .iter()
                .copied()
                .filter(|a| {
                    latest
                        || matches!(
                            a.observation.qualifier,
                            Qualifier::Exact | Qualifier::Approximate
                        )
                })
                .collect();
            let ats = from.iter().map(|a| end_position(&a.period));
            let edge = if latest {
                ats.fold(f64::NEG_INFINITY, f64::max)
            } else {
                ats.fold(f64::INFINITY, f64::min)
            };
            let at_edge: Vec<&ValueRow> = from
                .iter()
                .copied()
                .filter(|a| (end_position(&a.period) - edge).abs() < 1e-9)
                .collect();
            preferred_row(&at_edge)
        };
        let actual = at_extreme(true);
        // No pace when the latest actual is itself a bound (93.88以上): a pace between a
        // figure and a minimum says nothing about the trend.
        let base = at_extreme(false).filter(|b| {
            actual.is_some_and(|a| {
                matches!(
                    a.observation.qualifier,
                    Qualifier::Exact | Qualifier::Approximate
                ) && end_position(&b.period) < end_position(&a.period)
            })
        });
        let dated = |r: &ValueRow| Dated {
            at: end_position(&r.period),
            value: r.observation.value,
        };
        let condition =
            Condition::of_target(t.observation.value, t.observation.qualifier, ind.direction);
        let progress = actual.map(|a| {
            targets::progress(
                dated(t),
                condition,
                dated(a),
                a.observation.qualifier,
                base.map(dated),
            )
        });
        out.push(TargetProgress {
            indicator: ind.clone(),
            target: t.clone(),
            actual: actual.cloned(),
            base: base.cloned(),
            progress,
        });
    }
    let code_of = |d: DistrictId| codes.get(&d).cloned().unwrap_or_default();
    out.sort_by(|a, b| {
        (code_of(a.target.observation.district_id), &a.indicator.code)
            .cmp(&(code_of(b.target.observation.district_id), &b.indicator.code))
            .then_with(|| a.target.period.end_date.cmp(&b.target.period.end_date))
            .then_with(|| a.target.observation.key.cmp(&b.target.observation.key))
    });
    Ok(out)
}
