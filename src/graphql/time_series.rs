//! The `TimeSeries` result and its `TimePoint`s, built from [`crate::analytics::time_series`].

use async_graphql::{Context, Result, SimpleObject};

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
}

prefetched_fields! {
    "TimeSeries" {
        POINTS = "points",
    }
    "TimePoint" {
        POINT_OBSERVATION = "observation",
    }
}

impl TimeSeries {
    /// Builds the series, prefetching the points' observations when selected.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        district: models::District,
        indicator: models::Indicator,
        points: Vec<ValueRow>,
    ) -> Result<TimeSeries> {
        let used: Vec<Links> = points.iter().map(|p| (&p.observation).into()).collect();
        let node = ctx.look_ahead().at(POINTS).at(POINT_OBSERVATION);
        observation::prefetch(ctx, &used, node, Mode::Direct).await?;
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
        })
    }
}
