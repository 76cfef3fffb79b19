//! Change of one indicator between two years, per district (see [`crate::stats::change`]).

use std::collections::BTreeMap;

use super::shared::*;
use super::{check_order, AnalyticsError, YearInput};
use crate::db::models::*;
use crate::db::queries::{self, Group, ValueFilter};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};
use crate::stats::change::{change, Gap};

/// One district's change.
pub struct ChangeResult {
    /// District.
    pub district: DistrictId,
    /// Base value.
    pub from: Option<f64>,
    /// Target value.
    pub to: Option<f64>,
    /// Absolute change.
    pub absolute: Option<f64>,
    /// Relative change, percent.
    pub relative_percent: Option<f64>,
    /// Why the relative change is missing.
    pub gap: Option<Gap>,
}

impl ChangeResult {
    /// The change of `district` from `from` to `to` (see [`change`]).
    pub fn between(district: DistrictId, from: Option<f64>, to: Option<f64>) -> Self {
        let c = change(from, to);
        ChangeResult {
            district,
            from,
            to,
            absolute: c.absolute,
            relative_percent: c.relative_percent,
            gap: c.gap,
        }
    }
}

/// What a change compares: actual values of one indicator and breakdown in two years.
#[derive(Debug, Clone, Copy)]
pub struct ChangeRequest<'a> {
    /// Indicator code.
    pub indicator: &'a str,
    /// The first year.
    pub from: i32,
    /// The last year, after `from`.
    pub to: i32,
    /// These districts, in this order; `None`: every district with a value in either year.
    pub districts: Option<&'a [String]>,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// Change of an indicator between two years, per district. Without `districts`, every district
/// with a value in either year is returned (ordered by district code).
pub fn changes(
    conn: &mut DbConnection,
    request: &ChangeRequest<'_>,
) -> Result<(Indicator, Vec<ChangeResult>), AnalyticsError> {
    let ChangeRequest {
        indicator,
        from,
        to,
        districts,
        breakdown,
        as_of,
    } = *request;
    check_order((YearInput::From, from), (YearInput::To, to))?;
    let indicator = resolve_indicator(conn, indicator)?;
    let wanted = match districts {
        Some(codes) => Some(resolve_districts(conn, codes)?),
        None => None,
    };
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let ids: Option<Vec<DistrictId>> = wanted.as_ref().map(|w| w.iter().map(|d| d.id).collect());
    let rows = match breakdown {
        Some(b) => chosen_slim(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: ids.as_deref(),
                kind: ObservationKind::Actual,
                breakdown: b,
                years: (from, to),
                as_of,
            },
            Group::DistrictAtEnds,
        )?,
        None => Vec::new(),
    };
    let (mut at_from, mut at_to) = (BTreeMap::new(), BTreeMap::new());
    for (r, _) in rows {
        let d = r.district_id;
        if r.year == from {
            at_from.insert(d, r);
        } else if r.year == to {
            at_to.insert(d, r);
        }
    }
    let order: Vec<DistrictId> = match &wanted {
        Some(w) => w.iter().map(|d| d.id).collect(),
        None => {
            let all = queries::all_districts(conn)?;
            all.into_iter()
                .map(|d| d.id)
                .filter(|d| at_from.contains_key(d) || at_to.contains_key(d))
                .collect()
        }
    };
    let rows = order
        .into_iter()
        .map(|d| {
            let f = at_from.get(&d).map(|r| r.value);
            let t = at_to.get(&d).map(|r| r.value);
            ChangeResult::between(d, f, t)
        })
        .collect();
    Ok((indicator, rows))
}
