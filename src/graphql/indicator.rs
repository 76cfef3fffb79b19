//! The `Indicator` object (one concept of the catalogue) and its `Coverage` rows.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::context::ContextExt;
use super::enums::{Direction, ObservationKind};
use super::inputs::{breakdown_arg, BreakdownInput};
use super::latest::LatestValue;
use super::loaders::{CoverageOfIndicator, DimensionsOfIndicator};
use super::prefetch::fetch;
use super::District;
use crate::db::models::{self, DistrictId, IndicatorId};
use crate::error::GqlResultExt;

row_object! {
    /// An indicator of the catalogue: one concept, one canonical unit.
    #[graphql(complex)]
    pub struct Indicator from models::Indicator as i {
        /// Surrogate key.
        #[graphql(skip)]
        id: IndicatorId = i.id,
        /// Stable snake_case code, e.g. `smart_education_platform_coverage`.
        code: String = i.code,
        /// Chinese name.
        name_zh: String = i.name_zh,
        /// English name.
        name_en: String = i.name_en,
        /// Canonical unit of actual and target values: `yuan`, `person`, `percent`, `count`, ...
        unit: String = i.unit.as_str().to_string(),
        /// Category, e.g. `funding`, `digital`, `health`.
        category: String = i.category.as_str().to_string(),
        /// Whether larger values are better; rankings put the best first.
        direction: Direction = i.direction,
        /// One-line definition.
        definition: String = i.definition,
        /// The definition in Chinese (for a national statistic, the national statistical
        /// definition); empty when none was written, e.g. for an indicator confirmed while
        /// reviewing a draft: show `definition` then.
        definition_zh: String = i.definition_zh,
        /// Smallest valid value, if bounded.
        min_value: Option<f64> = i.min_value,
        /// Largest valid value, if bounded.
        max_value: Option<f64> = i.max_value,
    }
}

/// A district's years with data for an indicator.
#[derive(SimpleObject)]
pub struct Coverage {
    /// The district.
    pub district: District,
    /// Years (of the reference periods) with at least one value, ascending.
    pub years: Vec<i32>,
}

#[ComplexObject]
impl Indicator {
    /// Breakdown dimensions this indicator may be split by (e.g. `stage`).
    async fn dimensions(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let dimensions = ctx.load_one(DimensionsOfIndicator(self.id)).await?;
        Ok(dimensions.unwrap_or_default())
    }
    /// Each district's latest value on or before `onOrBefore` (default: any year), for the
    /// given breakdown (default: the total) and kind (default: actual), ordered by district.
    /// Each value says its year; the choice among several reports follows `ranking`'s rule.
    async fn latest_values(
        &self,
        ctx: &Context<'_>,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(default_with = "ObservationKind::Actual")] kind: ObservationKind,
        on_or_before: Option<i32>,
    ) -> Result<Vec<LatestValue>> {
        let breakdown = breakdown_arg(breakdown)?;
        LatestValue::of_indicator(ctx, self.id, &breakdown, kind, on_or_before).await
    }
    /// Which districts have data, in which years (any kind, any breakdown): for dashboard pickers.
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Vec<Coverage>> {
        let rows = ctx.load_one(CoverageOfIndicator(self.id)).await?;
        // Rows come ordered by district, then year: group consecutive rows.
        let mut out: Vec<(DistrictId, Vec<i32>)> = Vec::new();
        for (d, y) in rows.unwrap_or_default() {
            match out.last_mut() {
                Some((last, years)) if *last == d => years.push(y),
                _ => out.push((d, vec![y])),
            }
        }
        let ids = out.iter().map(|(d, _)| *d).collect();
        let districts = fetch(ctx.loaders()?, ids).await.gql()?;
        Ok(out
            .into_iter()
            .filter_map(|(d, years)| {
                let district = districts.get(&d).cloned()?.into();
                Some(Coverage { district, years })
            })
            .collect())
    }
}

prefetched_fields! {
    "Indicator" {
        DIMENSIONS = "dimensions",
        COVERAGE = "coverage",
    }
}
