//! The `LatestValue` object: a district's latest value of an indicator. Which value is latest
//! is decided by [`super::lookups::latest_values`] (batched across districts and indicators),
//! and a district list prefetches what its `latestValue` fields ask for ([`prefetch`]).

use async_graphql::{ComplexObject, Context, Lookahead, Result, SelectionField, SimpleObject};

use super::context::ContextExt;
use super::enums::ObservationKind;
use super::inputs::{breakdown_arg, BreakdownInput};
use super::lookups::{indicator_by_code_in, latest_values};
use super::prefetch::{argument, Mode};
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
        let loaders = ctx.loaders()?;
        let rows = latest_values(
            loaders,
            Mode::Cached,
            indicator,
            breakdown,
            kind,
            on_or_before,
        );
        Ok(rows.await.gql()?.into_iter().map(Self::from).collect())
    }
}

/// The arguments of one `District.latestValue` selection, as its resolver reads them.
struct LatestArgs {
    indicator: String,
    breakdown: Breakdown,
    kind: ObservationKind,
    on_or_before: Option<i32>,
}

impl LatestArgs {
    /// The arguments of `field`, or `None` when the resolver would refuse them (it then reports
    /// the error itself, with the field's path).
    fn of(field: &SelectionField<'_>) -> Option<LatestArgs> {
        let breakdown: Option<Vec<BreakdownInput>> = argument(field, "breakdown").ok()?;
        let kind: Option<ObservationKind> = argument(field, "kind").ok()?;
        Some(LatestArgs {
            indicator: argument(field, "indicator").ok()?,
            breakdown: breakdown_arg(breakdown).ok()?,
            kind: kind.unwrap_or(ObservationKind::Actual),
            on_or_before: argument(field, "onOrBefore").ok()?,
        })
    }
}

/// Loads, for a list of districts, what each `latestValue` selection in `node` (the list's
/// `latestValue` look-ahead) asks for, with one direct call per look-up and no batching window,
/// so the per-district resolvers find it all in the loader's cache: a fixed number of
/// statements per distinct set of arguments, whatever the machine's load. A look-up that fails
/// is left to the resolvers, which report it with their path.
pub(crate) async fn prefetch(ctx: &Context<'_>, node: Lookahead<'_>) -> Result<()> {
    if !node.exists() {
        return Ok(());
    }
    let loaders = ctx.loaders()?;
    for field in node.selection_fields() {
        let Some(a) = LatestArgs::of(&field) else {
            continue;
        };
        let Ok(indicator) = indicator_by_code_in(loaders, Mode::Direct, &a.indicator).await else {
            continue;
        };
        let rows = latest_values(
            loaders,
            Mode::Direct,
            indicator.id,
            &a.breakdown,
            a.kind,
            a.on_or_before,
        );
        // Ignored on purpose: the resolvers load the same keys again and report the error.
        let _ = rows.await;
    }
    Ok(())
}
