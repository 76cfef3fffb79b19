//! The `District` object (a division of Chongqing) and the prefetch of a district list's
//! parents, observations, latest values and progress.

use async_graphql::{ComplexObject, Context, Result};

use super::context::ContextExt;
use super::enums::ObservationKind;
use super::fields::district::{LATEST_VALUE, OBSERVATIONS, PARENT, PROGRESS};
use super::inputs::{breakdown_arg, BreakdownInput};
use super::latest::LatestValue;
use super::loaders::{ObservationsOfDistrict, TargetsOfDistrict};
use super::lookups::indicator_by_code;
use super::observation;
use super::prefetch::{LookaheadExt, Mode};
use super::{Observation, TargetProgress};
use crate::db::models::{self, DistrictId};
use crate::error::GqlResultExt;

row_object! {
    /// A district- or county-level division of Chongqing, or the municipality itself.
    #[graphql(complex)]
    pub struct District from models::District as d {
        /// Surrogate key.
        #[graphql(skip)]
        id: DistrictId = d.id,
        /// The parent division's key.
        #[graphql(skip)]
        parent_id: Option<DistrictId> = d.parent_id.map(DistrictId),
        /// Official administrative division code (GB/T 2260), e.g. `500153`.
        code: String = d.code,
        /// Chinese name, e.g. 荣昌区.
        name_zh: String = d.name_zh,
        /// English name, e.g. Rongchang District.
        name_en: String = d.name_en,
        /// `municipality`, `district`, `county` or `autonomous_county`.
        level: String = d.level.as_str().to_string(),
    }
}

#[ComplexObject]
impl District {
    /// The parent division (the municipality for a district or county).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<District>> {
        match self.parent_id {
            Some(id) => Ok(ctx.load_one(id).await?.map(District::from)),
            None => Ok(None),
        }
    }
    /// This division's latest value of `indicator` on or before `onOrBefore` (default: any
    /// year), for the given breakdown (default: the total) and kind (default: actual). Null when
    /// it has none. Batched: asking it of all 39 divisions costs the same as of one.
    async fn latest_value(
        &self,
        ctx: &Context<'_>,
        indicator: String,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(default_with = "ObservationKind::Actual")] kind: ObservationKind,
        on_or_before: Option<i32>,
    ) -> Result<Option<LatestValue>> {
        let indicator = indicator_by_code(ctx.loaders()?, &indicator).await.gql()?;
        let breakdown = breakdown_arg(breakdown)?;
        let all = LatestValue::of_indicator(ctx, indicator.id, &breakdown, kind, on_or_before);
        Ok(all.await?.into_iter().find(|v| v.district_id == self.id))
    }
    /// Every target of this division compared with its latest actual on or before the
    /// target's date (see `Query.progress`), optionally of one indicator and with actuals up to
    /// the end of `year` only. Batched across sibling districts.
    async fn progress(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
        year: Option<i32>,
    ) -> Result<Vec<TargetProgress>> {
        if let Some(y) = year {
            super::arguments::check_year("year", y).gql()?;
        }
        let wanted = match indicator {
            Some(code) => Some(indicator_by_code(ctx.loaders()?, &code).await.gql()?.id),
            None => None,
        };
        let rows: Vec<_> = ctx
            .load_one(TargetsOfDistrict(self.id, year))
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|r| wanted.is_none_or(|w| r.indicator.id == w))
            .collect();
        TargetProgress::build(ctx, rows, ctx.look_ahead()).await
    }
    /// Every observation about this division, optionally of one indicator.
    async fn observations(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
    ) -> Result<Vec<Observation>> {
        let all = ctx.load_one(ObservationsOfDistrict(self.id)).await?;
        let wanted = match indicator {
            Some(code) => Some(indicator_by_code(ctx.loaders()?, &code).await.gql()?.id),
            None => None,
        };
        let selected: Vec<models::Observation> = all
            .unwrap_or_default()
            .into_iter()
            .filter(|o| wanted.is_none_or(|w| o.indicator_id == w))
            .collect();
        observation::prefetched(ctx, selected, ctx.look_ahead(), Mode::Cached).await
    }
}

/// Converts a district list, prefetching the relations its selection asks for.
pub(crate) async fn list(ctx: &Context<'_>, rows: Vec<models::District>) -> Result<Vec<District>> {
    let node = ctx.look_ahead();
    let parents = rows
        .iter()
        .filter_map(|d| d.parent_id.map(DistrictId))
        .collect();
    observation::prefetch_districts(ctx, parents, node.at(PARENT)).await?;
    super::latest::prefetch(ctx, node.at(LATEST_VALUE)).await?;
    let ids: Vec<DistrictId> = rows.iter().map(|d| d.id).collect();
    super::progress::prefetch_of_districts(ctx, &ids, node.at(PROGRESS)).await?;
    let ids = rows.iter().map(|d| ObservationsOfDistrict(d.id)).collect();
    observation::prefetch_observations_of(ctx, ids, node, OBSERVATIONS).await?;
    Ok(super::all(rows))
}
