//! The `TimeSeries` result, its `TimePoint`s and its `TargetMarker`s, built from
//! [`crate::analytics::time_series`] and [`crate::analytics::series_targets`].

use async_graphql::{Context, Lookahead, Result, SimpleObject};

use super::enums::Qualifier;
use super::fields::time_series::{POINTS, POINT_OBSERVATION, TARGETS, TARGET_OBSERVATION};
use super::observation::{self, Links};
use super::prefetch::{LookaheadExt, Mode};
use super::{District, Indicator, Observation};
use crate::db::models;
use crate::db::queries::ValueRow;

/// One point of a time series.
#[derive(SimpleObject)]
pub struct TimePoint {
    /// Year of the reference period.
    pub year: i32,
    /// Value in the canonical unit.
    pub value: f64,
    /// The observation used, with its source and quote.
    pub observation: Observation,
}

/// Yearly values of one indicator for one district.
#[derive(SimpleObject)]
pub struct TimeSeries {
    /// The district.
    pub district: District,
    /// The indicator.
    pub indicator: Indicator,
    /// One point per year with a value, ascending.
    pub points: Vec<TimePoint>,
    /// The targets of the same district, indicator and breakdown (every period kind, e.g. a
    /// 2021..2025 plan target), ordered by the end of their period: markers to draw next to
    /// the points. `progress` says whether each is met.
    pub targets: Vec<TargetMarker>,
}

/// A target of a time series' district, indicator and breakdown.
#[derive(SimpleObject)]
pub struct TargetMarker {
    /// The year its period ends in (where the marker goes).
    pub year: i32,
    /// Its period, e.g. `2025` or `2021..2025`.
    pub period: String,
    /// The target in the indicator's canonical unit.
    pub value: f64,
    /// How it is qualified: 不低于 → AT_LEAST, 突破 / 以上 → MORE_THAN, 以内 → AT_MOST …
    pub qualifier: Qualifier,
    /// The target observation, with its source and quote.
    pub observation: Observation,
}

/// Whether the selection of `timeSeries` asks for its targets (loaded only then).
pub(crate) fn wants_targets(node: &Lookahead<'_>) -> bool {
    node.wants(TARGETS)
}

impl TimeSeries {
    /// Builds the series, prefetching the points' observations when selected.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        district: models::District,
        indicator: models::Indicator,
        points: Vec<ValueRow>,
        targets: Vec<ValueRow>,
    ) -> Result<TimeSeries> {
        let used: Vec<Links> = points.iter().map(|p| (&p.observation).into()).collect();
        let node = ctx.look_ahead().at(POINTS).at(POINT_OBSERVATION);
        observation::prefetch(ctx, &used, node, Mode::Direct).await?;
        let marked: Vec<Links> = targets.iter().map(|t| (&t.observation).into()).collect();
        let node = ctx.look_ahead().at(TARGETS).at(TARGET_OBSERVATION);
        observation::prefetch(ctx, &marked, node, Mode::Direct).await?;
        Ok(TimeSeries {
            district: district.into(),
            indicator: indicator.into(),
            points: points
                .into_iter()
                .map(|p| TimePoint {
                    year: p.period.year,
                    value: p.observation.value,
                    observation: p.observation.into(),
                })
                .collect(),
            targets: targets
                .into_iter()
                .map(|t| TargetMarker {
                    year: t.period.year,
                    period: t.period.code,
                    value: t.observation.value,
                    qualifier: t.observation.qualifier,
                    observation: t.observation.into(),
                })
                .collect(),
        })
    }
}
