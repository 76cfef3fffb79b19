//! One district's series of one indicator: a chosen value per year, and the targets a chart
//! marks beside them.

use std::collections::BTreeMap;

use super::shared::*;
use super::{AnalyticsError, YEARS};
use crate::db::models::*;
use crate::db::queries::{self, Group, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};

/// Which series: one district's values of one indicator, breakdown and kind.
#[derive(Debug, Clone, Copy)]
pub struct SeriesRequest<'a> {
    /// District code.
    pub district: &'a str,
    /// Indicator code.
    pub indicator: &'a str,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// The kind of the values.
    pub kind: ObservationKind,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// One district's yearly values of one indicator: one chosen value per year.
pub fn time_series(
    conn: &mut DbConnection,
    request: &SeriesRequest<'_>,
) -> Result<(District, Indicator, Vec<ValueRow>), AnalyticsError> {
    let SeriesRequest {
        district,
        indicator,
        breakdown,
        kind,
        as_of,
    } = *request;
    let d = resolve_districts(conn, &[district.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "district",
            code: district.to_string(),
        })?;
    let i = resolve_indicator(conn, indicator)?;
    let rows = match resolve_breakdown(conn, breakdown)? {
        Some(breakdown) => chosen(
            conn,
            &ValueFilter {
                indicators: &[i.id],
                districts: Some(&[d.id]),
                kind,
                breakdown,
                years: (*YEARS.start(), *YEARS.end()),
                as_of,
            },
            Group::DistrictYear,
        )?,
        None => Vec::new(),
    };
    let points = rows
        .into_iter()
        .map(|r| (r.period.year, r))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    Ok((d, i, points))
}

/// The targets of one district's series (indicator and exact breakdown), every period kind
/// (a plan's 2021..2025 target included), ordered by the end of their period: the markers a
/// time series shows next to its actuals. Breakdown look-ups plus one statement.
pub fn series_targets(
    conn: &mut DbConnection,
    district: DistrictId,
    indicator: IndicatorId,
    breakdown: &Breakdown,
    as_of: Option<&str>,
) -> Result<Vec<ValueRow>, AnalyticsError> {
    let Some(b) = resolve_breakdown(conn, breakdown)? else {
        return Ok(Vec::new());
    };
    let mut rows: Vec<ValueRow> =
        queries::targets_and_actuals(conn, Some(&[indicator]), Some(&[district]), as_of)?
            .into_iter()
            .filter(|r| {
                r.observation.kind == ObservationKind::Target && r.observation.breakdown_id == b
            })
            .collect();
    rows.sort_by(|a, b| {
        (&a.period.end_date, &a.observation.key).cmp(&(&b.period.end_date, &b.observation.key))
    });
    Ok(rows)
}
