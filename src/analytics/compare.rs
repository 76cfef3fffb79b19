//! The comparison matrix: districts × indicators, each cell the value chosen for one year.

use std::collections::HashMap;

use super::shared::*;
use super::{check_year, AnalyticsError, YearInput, MAX_CELLS};
use crate::db::models::*;
use crate::db::queries::{Group, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};

/// A comparison matrix: rows are districts, cells indicators, each cell the chosen value.
pub struct CompareResult {
    /// Districts, as requested.
    pub districts: Vec<District>,
    /// Indicators, as requested.
    pub indicators: Vec<Indicator>,
    /// (district, indicator) → chosen value.
    pub cells: HashMap<(DistrictId, IndicatorId), ValueRow>,
}

/// What a comparison matrix holds: actual values of these districts and indicators.
#[derive(Debug, Clone, Copy)]
pub struct CompareRequest<'a> {
    /// District codes, the matrix's rows in this order.
    pub districts: &'a [String],
    /// Indicator codes, each row's cells in this order.
    pub indicators: &'a [String],
    /// The year.
    pub year: i32,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// A cell falls back to the latest value before `year`.
    pub latest_on_or_before: bool,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// Builds the districts × indicators matrix for a year.
pub fn compare(
    conn: &mut DbConnection,
    request: &CompareRequest<'_>,
) -> Result<CompareResult, AnalyticsError> {
    let CompareRequest {
        districts,
        indicators,
        year,
        breakdown,
        latest_on_or_before,
        as_of,
    } = *request;
    check_year(YearInput::Year, year)?;
    if districts.is_empty() || indicators.is_empty() {
        return Err(AnalyticsError::EmptyMatrix);
    }
    if districts.len() * indicators.len() > MAX_CELLS {
        return Err(AnalyticsError::TooManyCells);
    }
    let ds = resolve_districts(conn, districts)?;
    let is = resolve_indicators(conn, indicators)?;
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let years = year_window(year, latest_on_or_before);
    let rows = match breakdown {
        Some(b) => {
            let d_ids: Vec<DistrictId> = ds.iter().map(|d| d.id).collect();
            let i_ids: Vec<IndicatorId> = is.iter().map(|i| i.id).collect();
            chosen(
                conn,
                &ValueFilter {
                    indicators: &i_ids,
                    districts: Some(&d_ids),
                    kind: ObservationKind::Actual,
                    breakdown: b,
                    years,
                    as_of,
                },
                Group::District,
            )?
        }
        None => Vec::new(),
    };
    let cells = rows
        .into_iter()
        .map(|r| ((r.observation.district_id, r.observation.indicator_id), r))
        .collect();
    Ok(CompareResult {
        districts: ds,
        indicators: is,
        cells,
    })
}
