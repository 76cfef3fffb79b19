//! The `Aggregate` result: distributions of one indicator across groups of districts, built
//! from [`crate::analytics::aggregate`], with the members' districts and observations
//! prefetched when selected.

use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject};

use super::context::ContextExt;
use super::fields::aggregate::{GROUPS, MEMBERS, MEMBER_DISTRICT, MEMBER_OBSERVATION};
use super::observation::{self, Links};
use super::prefetch::{LookaheadExt, Mode};
use super::{District, Indicator, Observation};
use crate::analytics::{AggregateGroup as Group, GroupBy};
use crate::db::models::{self, DistrictId};
use crate::stats::aggregate::{percentile_rank, PERCENTILE_METHOD};

/// How `aggregate` groups districts.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AggregateGroupBy {
    /// By parent division: the districts and counties of Chongqing, in one group `500000`.
    Parent,
    /// By division level: `district`, `county`, `autonomous_county`.
    Level,
    /// One group `peer_group`: the districts given in `districts`.
    Districts,
}

impl AggregateGroupBy {
    /// The analytics grouping; `districts` is only read for [`AggregateGroupBy::Districts`].
    pub fn with(self, districts: Option<Vec<String>>) -> GroupBy {
        match self {
            AggregateGroupBy::Parent => GroupBy::Parent,
            AggregateGroupBy::Level => GroupBy::Level,
            AggregateGroupBy::Districts => GroupBy::Districts(districts.unwrap_or_default()),
        }
    }
}

/// One district's value in a group.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AggregateMember {
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// Value in the indicator's canonical unit.
    pub value: f64,
    /// Year of the value (differs from the requested year only with `latestOnOrBefore`).
    pub year: i32,
    /// Percentile rank of the value within the group, 0–100 in value order: the share of the
    /// group's values below it plus half the share equal to it.
    pub percentile: f64,
    /// The observation chosen (with its source and quote).
    pub observation: Observation,
}

#[ComplexObject]
impl AggregateMember {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
}

/// Statistics of one group of districts. Null statistics mean no district of the group has a
/// value.
#[derive(SimpleObject)]
pub struct AggregateGroup {
    /// The parent's code, the level, or `peer_group`.
    pub key: String,
    /// Number of districts with a value.
    pub count: i32,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// 10th percentile (see `Aggregate.percentileMethod`).
    pub p10: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Minimum.
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
    /// Sum: only for an indicator the catalogue declares additive (amounts, counts, people,
    /// areas); always null for a rate, ratio, score or per-student amount.
    pub sum: Option<f64>,
    /// The districts with a value, by code.
    pub members: Vec<AggregateMember>,
    /// The districts of the group without a value.
    pub missing: Vec<District>,
}

/// Distributions of one indicator across groups of districts in one year.
#[derive(SimpleObject)]
pub struct Aggregate {
    /// The indicator.
    pub indicator: Indicator,
    /// The requested year.
    pub year: i32,
    /// Whether the catalogue declares the indicator additive (amounts, head counts; never a
    /// rate or a per-student amount), i.e. whether `sum` is given.
    pub additive: bool,
    /// How the percentiles are computed.
    pub percentile_method: String,
    /// The groups, by key.
    pub groups: Vec<AggregateGroup>,
}

impl Aggregate {
    /// Builds the result, prefetching the members' districts and observations when selected.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        year: i32,
        indicator: models::Indicator,
        groups: Vec<Group>,
    ) -> Result<Aggregate> {
        let members = ctx.look_ahead().at(GROUPS).at(MEMBERS);
        let ids = groups
            .iter()
            .flat_map(|g| g.values.iter().map(|(d, _)| d.id));
        observation::prefetch_districts(ctx, ids.collect(), members.at(MEMBER_DISTRICT)).await?;
        let used: Vec<Links> = groups
            .iter()
            .flat_map(|g| g.values.iter().map(|(_, r)| (&r.observation).into()))
            .collect();
        observation::prefetch(ctx, &used, members.at(MEMBER_OBSERVATION), Mode::Direct).await?;
        let groups = groups
            .into_iter()
            .map(|g| {
                let s = g.stats;
                let values: Vec<f64> = g.values.iter().map(|(_, r)| r.observation.value).collect();
                AggregateGroup {
                    key: g.key,
                    count: values.len() as i32,
                    mean: s.map(|s| s.mean),
                    median: s.map(|s| s.median),
                    p10: s.map(|s| s.p10),
                    p25: s.map(|s| s.p25),
                    p75: s.map(|s| s.p75),
                    p90: s.map(|s| s.p90),
                    min: s.map(|s| s.min),
                    max: s.map(|s| s.max),
                    sum: s.and_then(|s| s.sum),
                    members: g
                        .values
                        .into_iter()
                        .map(|(d, r)| AggregateMember {
                            district_id: d.id,
                            value: r.observation.value,
                            year: r.period.year,
                            percentile: percentile_rank(&values, r.observation.value)
                                .unwrap_or(50.0),
                            observation: r.observation.into(),
                        })
                        .collect(),
                    missing: super::all(g.missing),
                }
            })
            .collect();
        Ok(Aggregate {
            year,
            additive: indicator.is_additive(),
            percentile_method: PERCENTILE_METHOD.to_string(),
            indicator: indicator.into(),
            groups,
        })
    }
}
