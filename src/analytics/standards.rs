//! The standards catalogue and the shortfalls against one standard (see
//! [`crate::stats::standards`]).

use std::collections::{BTreeMap, HashMap};

use super::shared::*;
use super::{check_year, AnalyticsError, YearInput, YEARS};
use crate::db::models::*;
use crate::db::queries::{self, ValueRow};
use crate::db::{DbConnection, DbError};
use crate::domain::{Breakdown, ObservationKind};

/// The standards catalogue, by code: every standard, or those of `indicator`.
pub fn standards(
    conn: &mut DbConnection,
    indicator: Option<&str>,
) -> Result<Vec<Standard>, AnalyticsError> {
    let ids = match indicator {
        Some(code) => Some(vec![resolve_indicator(conn, code)?.id]),
        None => None,
    };
    Ok(queries::standards(conn, ids.as_deref())?)
}

/// A value short of a standard.
#[derive(Debug, Clone)]
pub struct Shortfall {
    /// The value checked.
    pub row: ValueRow,
    /// value − threshold in the indicator's unit.
    pub gap: f64,
    /// Unit of the gap (`percentage_point` for a percent).
    pub gap_unit: &'static str,
}

/// Which standard to check, and the values checked against it: actuals of one year.
#[derive(Debug, Clone, Copy)]
pub struct ShortfallRequest<'a> {
    /// The standard's code.
    pub standard: &'a str,
    /// The year.
    pub year: i32,
    /// Each district's latest value in or before `year`.
    pub latest_on_or_before: bool,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// Where districts fall short of a standard in a year (with `latest_on_or_before`, each
/// district's latest value in or before it): one value per district and breakdown the
/// standard covers (its scope, division and years), chosen as in [`super::ranking()`], kept when it
/// misses the threshold. Values that meet it, or that a bound does not decide, are left out.
/// Ordered by district code, then breakdown. A standard without a threshold or an indicator
/// cannot be checked: `BAD_USER_INPUT`. Four statements plus the look-ups.
pub fn standard_shortfalls(
    conn: &mut DbConnection,
    request: &ShortfallRequest<'_>,
) -> Result<Vec<Shortfall>, AnalyticsError> {
    use crate::stats::standards::{check, Applicability};
    let ShortfallRequest {
        standard: code,
        year,
        latest_on_or_before,
        as_of,
    } = *request;
    check_year(YearInput::Year, year)?;
    let standard =
        queries::standard_by_code(conn, code)?.ok_or_else(|| AnalyticsError::NotFound {
            kind: "standard",
            code: code.to_string(),
        })?;
    let comparator = standard.comparator().map_err(|e| {
        AnalyticsError::Db(DbError::Query(diesel::result::Error::DeserializationError(
            Box::new(e),
        )))
    })?;
    let (Some(indicator_id), Some(threshold)) =
        (standard.indicator_id, comparator.zip(standard.value))
    else {
        return Err(AnalyticsError::Uncheckable(code.to_string()));
    };
    let indicator = queries::indicators_by_ids(conn, &[IndicatorId(indicator_id)])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "indicator",
            code: indicator_id.to_string(),
        })?;
    let scope =
        Breakdown::parse_opt(Some(&standard.scope)).map_err(|e| AnalyticsError::BadScope {
            standard: code.to_string(),
            message: e.to_string(),
        })?;
    let applies = Applicability {
        scope: scope.pairs(),
        district: standard.district_id,
        from: standard.effective_from,
        to: standard.effective_to,
    };
    let first = if latest_on_or_before {
        *YEARS.start()
    } else {
        year
    };
    let breakdowns: HashMap<BreakdownId, Breakdown> = queries::all_breakdowns(conn)?
        .into_iter()
        .filter_map(|(id, code)| Breakdown::parse_opt(Some(&code)).ok().map(|b| (id, b)))
        .collect();
    let rows = queries::targets_and_actuals(conn, Some(&[indicator.id]), None, as_of)?;
    let ranked: HashMap<DistrictId, String> = ranked_universe(conn)?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let mut groups: BTreeMap<BreakdownId, Vec<ValueRow>> = BTreeMap::new();
    for r in rows {
        let o = &r.observation;
        let Some(b) = breakdowns.get(&o.breakdown_id) else {
            continue;
        };
        let in_years = (first..=year).contains(&r.period.year);
        if o.kind == ObservationKind::Actual
            && in_years
            && ranked.contains_key(&o.district_id)
            && applies.covers(o.district_id.0, r.period.year, b.pairs())
        {
            groups.entry(o.breakdown_id).or_default().push(r);
        }
    }
    let gap_unit = indicator.unit.difference_unit();
    let mut out: Vec<(String, String, Shortfall)> = Vec::new();
    for (b, rows) in groups {
        for (d, row) in pick_per_district(rows) {
            let c = check(
                Some(threshold),
                row.observation.value,
                row.observation.qualifier,
            );
            if let (Some(false), Some(gap)) = (c.met, c.gap) {
                let district = ranked.get(&d).cloned().unwrap_or_default();
                let breakdown = breakdowns
                    .get(&b)
                    .map(|b| b.to_string())
                    .unwrap_or_default();
                out.push((district, breakdown, Shortfall { row, gap, gap_unit }));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(out.into_iter().map(|(_, _, s)| s).collect())
}
