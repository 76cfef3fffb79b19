//! The observation filter as codes (shared by the `observations` query and the exports), and
//! its resolution to ids.

use super::shared::*;
use super::{check_year, AnalyticsError, YearInput};
use crate::db::queries;
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};

/// Filter arguments as codes, before resolution (shared by the `observations` query and the
/// CSV export).
#[derive(Debug, Clone, Default)]
pub struct FilterCodes {
    /// District codes.
    pub districts: Option<Vec<String>>,
    /// Indicator codes.
    pub indicators: Option<Vec<String>>,
    /// Years.
    pub years: Option<Vec<i32>>,
    /// Kinds.
    pub kinds: Option<Vec<ObservationKind>>,
    /// Source codes.
    pub sources: Option<Vec<String>>,
    /// Exact breakdown.
    pub breakdown: Option<Breakdown>,
}

/// Resolves codes to ids; unknown codes are `NOT_FOUND`.
pub fn resolve_observation_filter(
    conn: &mut DbConnection,
    f: &FilterCodes,
) -> Result<queries::ObservationQuery, AnalyticsError> {
    let mut q = queries::ObservationQuery::default();
    if let Some(codes) = &f.districts {
        q.districts = Some(
            resolve_districts(conn, codes)?
                .into_iter()
                .map(|d| d.id)
                .collect(),
        );
    }
    if let Some(codes) = &f.indicators {
        q.indicators = Some(
            resolve_indicators(conn, codes)?
                .into_iter()
                .map(|i| i.id)
                .collect(),
        );
    }
    if let Some(codes) = &f.sources {
        let mut ids = Vec::new();
        for code in codes {
            let s =
                queries::source_by_code(conn, code)?.ok_or_else(|| AnalyticsError::NotFound {
                    kind: "source",
                    code: code.clone(),
                })?;
            ids.push(s.id);
        }
        q.sources = Some(ids);
    }
    if let Some(b) = &f.breakdown {
        q.breakdowns = Some(resolve_breakdown(conn, b)?.into_iter().collect());
    }
    if let Some(years) = &f.years {
        for y in years {
            check_year(YearInput::Year, *y)?;
        }
        q.years = Some(years.clone());
    }
    q.kinds = f.kinds.clone();
    Ok(q)
}
