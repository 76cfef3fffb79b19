//! The `LatestValue` object: a district's latest value of an indicator. Which value is latest
//! is decided by [`super::loaders::latest_values`] (batched across districts and indicators).

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::context::ContextExt;
use super::enums::ObservationKind;
use super::loaders::latest_values;
use super::{District, Observation};
use crate::db::models::{DistrictId, IndicatorId};
use crate::db::queries::ValueRow;
use crate::domain::Breakdown;
use crate::error::GqlResultExt;

/// A district's latest value of an indicator.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LatestValue {
    /// Value in the canonical unit of its kind.
    pub value: f64,
    /// The year of the value (the latest on or before the requested year).
    pub year: i32,
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// The observation chosen (rule: latest year, then latest report, then exact figure, then
    /// first loaded), with its source and quote.
    pub observation: Observation,
}

impl From<ValueRow> for LatestValue {
    fn from(r: ValueRow) -> Self {
        LatestValue {
            value: r.observation.value,
            year: r.period.year,
            district_id: r.observation.district_id,
            observation: r.observation.into(),
        }
    }
}

#[ComplexObject]
impl LatestValue {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
}

impl LatestValue {
    /// Every district's latest value of `indicator`, ordered by district.
    pub(crate) async fn of_indicator(
        ctx: &Context<'_>,
        indicator: IndicatorId,
        breakdown: &Breakdown,
        kind: ObservationKind,
        on_or_before: Option<i32>,
    ) -> Result<Vec<LatestValue>> {
        let rows = latest_values(ctx.loaders()?, indicator, breakdown, kind, on_or_before);
        Ok(rows.await.gql()?.into_iter().map(Self::from).collect())
    }
}
