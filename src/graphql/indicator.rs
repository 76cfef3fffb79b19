//! The `Indicator` object (one concept of the catalogue) and its `Coverage` rows.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::context::ContextExt;
use super::enums::{Direction, ObservationKind};
use super::inputs::{breakdown_arg, BreakdownInput};
use super::latest::LatestValue;
use super::loaders::{CoverageOfIndicator, DimensionsOfIndicator, RankableOfIndicator};
use super::prefetch::fetch;
use super::{BreakdownMember, District};
use crate::db::models::{self, BreakdownId, DistrictId, IndicatorId};
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

/// One slice of an indicator that rankings rank (a kind and a breakdown), with how many
/// districts a ranking of each year would rank: what a dashboard's picker shows and chooses.
#[derive(SimpleObject)]
pub struct RankableSlice {
    /// The kind of the values (`ranking`'s `kind` argument).
    pub kind: ObservationKind,
    /// The breakdown (`ranking`'s `breakdown` argument); empty for the total.
    pub breakdown: Vec<BreakdownMember>,
    /// Districts (not the municipality) with a value of this slice in some year.
    pub district_count: i32,
    /// Every year with a value of this slice, ascending.
    pub years: Vec<RankableYear>,
}

/// How many districts a ranking of one year ranks.
#[derive(SimpleObject)]
pub struct RankableYear {
    /// The year.
    pub year: i32,
    /// Districts with a value of this year: `rankedCount` of `ranking(year:)`.
    pub ranked_count: i32,
    /// Districts with a value of this year or an earlier one: `rankedCount` of
    /// `ranking(year:, latestOnOrBefore: true)`.
    pub ranked_on_or_before: i32,
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
    /// The slices rankings rank (kind × breakdown), each with the districts a ranking of each
    /// year ranks, counted as `ranking` counts (years and months; not the municipality).
    /// Slices come by kind (actual first), the total before breakdowns.
    async fn rankable(&self, ctx: &Context<'_>) -> Result<Vec<RankableSlice>> {
        let rows = ctx
            .load_one(RankableOfIndicator(self.id))
            .await?
            .unwrap_or_default();
        let slices = rankable_slices(&rows);
        let breakdowns = fetch(ctx.loaders()?, slices.iter().map(|s| s.1).collect())
            .await
            .gql()?;
        let mut out: Vec<RankableSlice> = slices
            .into_iter()
            .map(|(kind, breakdown, district_count, years)| RankableSlice {
                kind,
                breakdown: super::all(breakdowns.get(&breakdown).cloned().unwrap_or_default()),
                district_count,
                years,
            })
            .collect();
        // Stable: within a kind and a number of members, the order of the rows (breakdown id).
        out.sort_by_key(|s| (s.kind != ObservationKind::Actual, s.breakdown.len()));
        Ok(out)
    }
}

/// Groups rankable rows (ordered by kind, breakdown, district, year) into slices with their
/// per-year counts, ordered by kind and breakdown id.
fn rankable_slices(
    rows: &[crate::db::queries::RankableRow],
) -> Vec<(ObservationKind, BreakdownId, i32, Vec<RankableYear>)> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut groups: BTreeMap<(ObservationKind, BreakdownId), Vec<(i32, DistrictId)>> =
        BTreeMap::new();
    for r in rows {
        groups
            .entry((r.kind, r.breakdown))
            .or_default()
            .push((r.year, r.district));
    }
    groups
        .into_iter()
        .map(|((kind, breakdown), mut pairs)| {
            pairs.sort();
            let mut seen = BTreeSet::new();
            let mut years: Vec<RankableYear> = Vec::new();
            for (year, district) in pairs {
                seen.insert(district);
                match years.last_mut() {
                    Some(y) if y.year == year => {
                        y.ranked_count += 1;
                        y.ranked_on_or_before = count(&seen);
                    }
                    _ => years.push(RankableYear {
                        year,
                        ranked_count: 1,
                        ranked_on_or_before: count(&seen),
                    }),
                }
            }
            (kind, breakdown, count(&seen), years)
        })
        .collect()
}

/// A set's size as a GraphQL `Int` (at most the number of districts).
fn count<T>(set: &std::collections::BTreeSet<T>) -> i32 {
    i32::try_from(set.len()).unwrap_or(i32::MAX)
}
