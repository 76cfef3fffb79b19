//! Look-ups by code through the per-request loader ([`super::loaders`]): an indicator by its
//! code and each district's latest value of an indicator. They chain loads (a code, then what it
//! names) and load either through the loader or directly ([`Mode`]), so they sit above both the
//! loaders and the prefetch machinery rather than in either.

use super::loaders::{BreakdownByCode, BreakdownLookup, IndicatorByCode, LatestValues, Loaders};
use super::prefetch::{self, Mode};
use crate::analytics;
use crate::db::models::{Indicator, IndicatorId};
use crate::db::queries;
use crate::domain::{Breakdown, ObservationKind};
use crate::error::ApiError;

/// Resolves an indicator code through the loader (batched and cached); unknown is `NOT_FOUND`.
pub(crate) async fn indicator_by_code(
    loaders: &Loaders,
    code: &str,
) -> Result<Indicator, ApiError> {
    indicator_by_code_in(loaders, Mode::Cached, code).await
}

/// [`indicator_by_code`], loading the way `mode` says.
pub(crate) async fn indicator_by_code_in(
    loaders: &Loaders,
    mode: Mode,
    code: &str,
) -> Result<Indicator, ApiError> {
    prefetch::one(loaders, mode, IndicatorByCode(code.to_string()))
        .await?
        .ok_or_else(|| ApiError::NotFound {
            kind: "indicator",
            code: code.to_string(),
        })
}

/// Each district's latest value of `indicator` on or before `on_or_before` (default: the last
/// year accepted), for one breakdown and kind, chosen as `ranking` chooses. Through the loader
/// (`mode` [`Mode::Cached`]), so that asking it of every district of a list costs one query,
/// not one per district; or directly ([`Mode::Direct`]), from a prefetch.
pub(crate) async fn latest_values(
    loaders: &Loaders,
    mode: Mode,
    indicator: IndicatorId,
    breakdown: &Breakdown,
    kind: ObservationKind,
    on_or_before: Option<i32>,
) -> Result<Vec<queries::ValueRow>, ApiError> {
    let year = on_or_before.unwrap_or(*analytics::YEARS.end());
    super::arguments::check_year("onOrBefore", year)?;
    let breakdown =
        match prefetch::one(loaders, mode, BreakdownByCode(breakdown.to_string())).await? {
            Some(BreakdownLookup::Found(id)) => id,
            Some(BreakdownLookup::UnknownMember(code)) => {
                return Err(ApiError::NotFound {
                    kind: "breakdown member",
                    code,
                })
            }
            // A valid breakdown that no value uses: nothing to pick from.
            Some(BreakdownLookup::Unused) => return Ok(Vec::new()),
            // The loader answers every key; a missing entry is a bug, not an empty answer.
            None => {
                return Err(ApiError::Internal(format!(
                    "no breakdown lookup for {breakdown:?}"
                )))
            }
        };
    let key = LatestValues {
        indicator,
        breakdown,
        kind,
        on_or_before: year,
    };
    Ok(prefetch::one(loaders, mode, key).await?.unwrap_or_default())
}
