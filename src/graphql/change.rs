//! The `ChangeRow` result: a district's change of an indicator between two years, built from
//! [`crate::analytics::changes`].

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::context::ContextExt;
use super::enums::ChangeGap;
use super::fields::change::DISTRICT;
use super::observation;
use super::prefetch::LookaheadExt;
use super::District;
use crate::analytics::ChangeResult;
use crate::db::models::{self, DistrictId};

/// A district's change between two years.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ChangeRow {
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// Value in the `from` year (canonical unit).
    pub from_value: Option<f64>,
    /// Value in the `to` year (canonical unit).
    pub to_value: Option<f64>,
    /// `toValue - fromValue`, in `absoluteUnit`.
    pub absolute_change: Option<f64>,
    /// Unit of `absoluteChange`: the indicator's unit, or `percentage_point` when the indicator
    /// is measured in percent.
    pub absolute_unit: String,
    /// Relative change in PERCENT (12.5 means +12.5 %): `(to - from) / |from| × 100`. Null when
    /// it cannot be computed; `relativeChangeGap` says why.
    pub relative_change: Option<f64>,
    /// Why `relativeChange` is null.
    pub relative_change_gap: Option<ChangeGap>,
}

#[ComplexObject]
impl ChangeRow {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
}

impl ChangeRow {
    /// Builds the rows of a change of `indicator`, prefetching their districts when selected.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        indicator: &models::Indicator,
        rows: Vec<ChangeResult>,
    ) -> Result<Vec<ChangeRow>> {
        let districts = rows.iter().map(|r| r.district).collect();
        observation::prefetch_districts(ctx, districts, ctx.look_ahead().at(DISTRICT)).await?;
        let absolute_unit = indicator.unit.difference_unit().to_string();
        Ok(rows
            .into_iter()
            .map(|r| ChangeRow::from_result(r, absolute_unit.clone()))
            .collect())
    }

    /// The row of one computed change; `absolute_unit` is the indicator's difference unit.
    pub(crate) fn from_result(r: ChangeResult, absolute_unit: String) -> ChangeRow {
        ChangeRow {
            district_id: r.district,
            from_value: r.from,
            to_value: r.to,
            absolute_change: r.absolute,
            absolute_unit,
            relative_change: r.relative_percent,
            relative_change_gap: r.gap.map(ChangeGap::from),
        }
    }
}
