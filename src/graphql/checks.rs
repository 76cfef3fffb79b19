//! A value against the standards that cover it: `StandardCheck`, the `Subject` checked, the
//! checks shared by `Observation` and `RankingEntry` (`standardChecks`, `meetsStandard`,
//! `gapToStandard`) and their prefetch. Below both objects and `standard.rs` (which owns the
//! `Standard` object), so that none of them imports another for it.
//!
//! A value is checked against the standards of its indicator that cover it (scope, division,
//! years: [`crate::stats::standards::Applicability`]); only actual and target values are in
//! the indicator's unit, so a change, growth or rank is never checked.

use async_graphql::{Context, Result, SimpleObject};

use super::context::ContextExt;
use super::loaders::StandardsOfIndicator;
use super::prefetch::{load_if, Mode};
use super::Standard;
use crate::db::models::{BreakdownId, DistrictId, IndicatorId};
use crate::domain::{ObservationKind, Qualifier};
use crate::error::{ApiError, GqlResultExt};
use crate::stats::standards::{check, Applicability};

/// A value checked against one standard.
#[derive(SimpleObject, Clone, Debug)]
pub struct StandardCheck {
    /// The standard.
    pub standard: Standard,
    /// Whether the value meets it; null when the standard prints no threshold, or the value
    /// is a bound (以上, 不足 …) that does not decide it.
    pub met: Option<bool>,
    /// value − threshold in the indicator's unit (percentage points for a percent);
    /// positive is above the threshold. Null without a threshold.
    pub gap: Option<f64>,
    /// Unit of `gap`: the indicator's unit, `percentage_point` for a percent.
    pub gap_unit: String,
}

/// What a value is, for checking it against standards.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Its indicator.
    pub indicator: IndicatorId,
    /// Its division.
    pub district: DistrictId,
    /// The year its period ends in.
    pub year: i32,
    /// Its breakdown's (dimension, member) pairs.
    pub breakdown: Vec<(String, String)>,
    /// Its kind (only actual and target values are checked).
    pub kind: ObservationKind,
    /// The value in the indicator's unit.
    pub value: f64,
    /// How the printed figure is qualified.
    pub qualifier: Qualifier,
}

/// The breakdown pairs of `id`, through the loader.
pub(crate) async fn breakdown_pairs(
    ctx: &Context<'_>,
    id: BreakdownId,
) -> Result<Vec<(String, String)>> {
    Ok(ctx
        .load_one(id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.dimension, m.member))
        .collect())
}

/// Checks `s` against every standard of its indicator that covers it, by standard code.
pub(crate) async fn covering(ctx: &Context<'_>, s: &Subject) -> Result<Vec<StandardCheck>> {
    if !matches!(s.kind, ObservationKind::Actual | ObservationKind::Target) {
        return Ok(Vec::new());
    }
    let standards = ctx
        .load_one(StandardsOfIndicator(s.indicator))
        .await?
        .unwrap_or_default();
    if standards.is_empty() {
        return Ok(Vec::new());
    }
    let unit = ctx.load_required(s.indicator).await?.unit;
    let mut out = Vec::new();
    for st in standards {
        // Both were validated on write; a bad stored value is an internal fault.
        let scope = crate::domain::Breakdown::parse_opt(Some(&st.scope))
            .map_err(|e| ApiError::Internal(format!("standard {}: {e}", st.code)))
            .gql()?;
        let applies = Applicability {
            scope: scope.pairs(),
            district: st.district_id,
            from: st.effective_from,
            to: st.effective_to,
        }
        .covers(s.district.0, s.year, &s.breakdown);
        if !applies {
            continue;
        }
        let comparator = st
            .comparator()
            .map_err(|e| ApiError::Internal(format!("standard {}: {e}", st.code)))
            .gql()?;
        let threshold = comparator.zip(st.value);
        let c = check(threshold, s.value, s.qualifier);
        out.push(StandardCheck {
            standard: st.into(),
            met: c.met,
            gap: c.gap,
            gap_unit: unit.difference_unit().to_string(),
        });
    }
    Ok(out)
}

/// `meetsStandard`: with a code, that standard's verdict (null when it does not cover the
/// value); without, false if any covering standard is missed, true if every one is met, null
/// otherwise (none covers it, or one is undecided).
pub(crate) fn meets(checks: &[StandardCheck], code: Option<&str>) -> Option<bool> {
    match code {
        Some(code) => checks
            .iter()
            .find(|c| c.standard.code == code)
            .and_then(|c| c.met),
        None => {
            let decided: Vec<Option<bool>> = checks
                .iter()
                .filter(|c| c.standard.value.is_some())
                .map(|c| c.met)
                .collect();
            if decided.contains(&Some(false)) {
                Some(false)
            } else if !decided.is_empty() && decided.iter().all(|m| *m == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
    }
}

/// `gapToStandard`: with a code, that standard's gap; without, the gap to the one covering
/// standard with a threshold (null when there are none or several).
pub(crate) fn gap(checks: &[StandardCheck], code: Option<&str>) -> Option<f64> {
    match code {
        Some(code) => checks
            .iter()
            .find(|c| c.standard.code == code)
            .and_then(|c| c.gap),
        None => {
            let gaps: Vec<f64> = checks.iter().filter_map(|c| c.gap).collect();
            match gaps.as_slice() {
                [g] => Some(*g),
                _ => None,
            }
        }
    }
}

/// Prefetches what the standard checks of values of `indicators` read: the standards of
/// those indicators and the indicators (for the gap's unit).
pub(crate) async fn prefetch(
    ctx: &Context<'_>,
    indicators: Vec<IndicatorId>,
    mode: Mode,
) -> Result<()> {
    let loaders = ctx.loaders()?;
    let keys = indicators
        .iter()
        .map(|i| StandardsOfIndicator(*i))
        .collect();
    tokio::try_join!(
        load_if(loaders, mode, true, keys),
        load_if(loaders, mode, true, indicators),
    )
    .gql()?;
    Ok(())
}

/// `meetsStandard` of `s` (see [`meets`]).
pub(crate) async fn meets_standard(
    ctx: &Context<'_>,
    s: &Subject,
    code: Option<&str>,
) -> Result<Option<bool>> {
    Ok(meets(&covering(ctx, s).await?, code))
}

/// `gapToStandard` of `s` (see [`gap`]).
pub(crate) async fn gap_to_standard(
    ctx: &Context<'_>,
    s: &Subject,
    code: Option<&str>,
) -> Result<Option<f64>> {
    Ok(gap(&covering(ctx, s).await?, code))
}
