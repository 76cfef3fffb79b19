//! The comparison matrix: districts × indicators, each cell the value chosen for one year.

use std::collections::HashMap;

use super::shared::*;
use super::{check_year, AnalyticsError, YEARS};
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

/// Builds the districts × indicators matrix for `year`.
pub fn compare(
    conn: &mut DbConnection,
    districts: &[String],
    indicators: &[String],
    year: i32,
    breakdown: &Breakdown,
    latest_on_or_before: bool,
    as_of: Option<&str>,
) -> Result<CompareResult, AnalyticsError> {
    check_year("year", year)?;
    if districts.is_empty() || indicators.is_empty() {
        return Err(AnalyticsError::BadInput(
            "compare needs at least one district and one indicator".into(),
        ));
    }
    if districts.len() * indicators.len() > 10_000 {
        return Err(AnalyticsError::BadInput(
            "compare is limited to 10000 cells".into(),
        ));
    }
    let ds = resolve_districts(conn, districts)?;
    let is = resolve_indicators(conn, indicators)?;
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
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
