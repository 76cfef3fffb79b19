//! The `Standard` object (a norm with the document that sets it) and `StandardShortfall` (a
//! district short of one), with the prefetch of their lists. A value checked against the
//! standards is `checks.rs`.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::context::ContextExt;
use super::fields::standard::{
    SHORTFALL_DISTRICT, SHORTFALL_OBSERVATION, STANDARD_DISTRICT, STANDARD_INDICATOR,
    STANDARD_SOURCE,
};
use super::observation::{self, Links};
use super::prefetch::{load_if, LookaheadExt, Mode};
use super::{District, Indicator, Observation, Source};
use crate::analytics::Shortfall;
use crate::db::models::{self, DistrictId, IndicatorId, SourceId};
use crate::domain::Comparator;
use crate::error::GqlResultExt;

row_object! {
    /// A norm a value can be checked against, with its citation: the document that sets it
    /// (title, number, issuer, as printed) and the clause of the seed report that states or
    /// cites it. Empty fields are what no seed report prints; nothing is filled in.
    #[graphql(complex)]
    pub struct Standard from models::Standard as s {
        /// The indicator's id.
        #[graphql(skip)]
        indicator_id: Option<IndicatorId> = s.indicator_id.map(IndicatorId),
        /// The division's id.
        #[graphql(skip)]
        district_id: Option<DistrictId> = s.district_id.map(DistrictId),
        /// The citing source's id; none for a national standard.
        #[graphql(skip)]
        source_id: Option<SourceId> = s.source_id.map(SourceId),
        /// Stable code, e.g. `daily_physical_activity_2h`.
        code: String = s.code.clone(),
        /// Name, Chinese.
        name_zh: String = s.name_zh.clone(),
        /// Name, English.
        name_en: String = s.name_en.clone(),
        /// How a value is compared with the threshold; null when no report prints one.
        comparator: Option<Comparator> = s.comparator().ok().flatten(),
        /// The threshold in the indicator's canonical unit (a ratio 1:1000 is 1000); null
        /// when no seed report prints it.
        value: Option<f64> = s.value,
        /// The threshold as printed, e.g. `1：1000`.
        value_text: Option<String> = s.value_text.clone(),
        /// The unit as printed, e.g. 小时.
        reported_unit: Option<String> = s.reported_unit.clone(),
        /// The breakdown it applies to, e.g. `stage=primary_and_secondary`; empty for every
        /// breakdown. A value's breakdown must contain it.
        scope: String = s.scope.clone(),
        /// First year in force; null when not stated.
        effective_from: Option<i32> = s.effective_from,
        /// Last year in force; null when not stated.
        effective_to: Option<i32> = s.effective_to,
        /// Title of the document that sets it, as printed; null when the report names none.
        doc_title: Option<String> = s.doc_title.clone(),
        /// The document's number, e.g. 教督〔2017〕6号; null when not printed.
        doc_number: Option<String> = s.doc_number.clone(),
        /// The document's issuer; null when not printed.
        issuer: Option<String> = s.issuer.clone(),
        /// The clause of the seed report that states or cites it, verbatim.
        quote: String = s.quote.clone(),
        /// Why a field is empty, and how the norm was read.
        note: Option<String> = s.note.clone(),
    }
}

#[ComplexObject]
impl Standard {
    /// The indicator it applies to; null when the catalogue has none for it (then no value is
    /// checked against it).
    async fn indicator(&self, ctx: &Context<'_>) -> Result<Option<Indicator>> {
        match self.indicator_id {
            Some(id) => Ok(Some(ctx.load_required(id).await?.into())),
            None => Ok(None),
        }
    }
    /// The one division it is limited to (a district's own rule); null when it applies to all.
    async fn district(&self, ctx: &Context<'_>) -> Result<Option<District>> {
        match self.district_id {
            Some(id) => Ok(Some(ctx.load_required(id).await?.into())),
            None => Ok(None),
        }
    }
    /// The seed report whose `quote` states or cites it; null for a national standard, whose
    /// `quote` is the wording of the national document named by `docTitle`, `docNumber` and
    /// `issuer` (the seed loader checks it against the document's text in `seeds/references/`).
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Source>> {
        match self.source_id {
            Some(id) => Ok(Some(ctx.load_required(id).await?.into())),
            None => Ok(None),
        }
    }
}

/// A district whose value misses a standard.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct StandardShortfall {
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// The value checked (in the indicator's canonical unit).
    pub value: f64,
    /// The year of the value.
    pub year: i32,
    /// value − threshold (negative for an at-least standard), in the indicator's unit
    /// (percentage points for a percent).
    pub gap: f64,
    /// Unit of `gap`.
    pub gap_unit: String,
    /// The observation checked, with its source and quote.
    pub observation: Observation,
}

#[ComplexObject]
impl StandardShortfall {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
}

/// Builds the shortfall rows, prefetching their districts and observations when selected.
pub(crate) async fn shortfalls(
    ctx: &Context<'_>,
    rows: Vec<Shortfall>,
) -> Result<Vec<StandardShortfall>> {
    let node = ctx.look_ahead();
    let districts = rows.iter().map(|r| r.row.observation.district_id).collect();
    observation::prefetch_districts(ctx, districts, node.at(SHORTFALL_DISTRICT)).await?;
    let links: Vec<Links> = rows.iter().map(|r| (&r.row.observation).into()).collect();
    observation::prefetch(ctx, &links, node.at(SHORTFALL_OBSERVATION), Mode::Direct).await?;
    Ok(rows
        .into_iter()
        .map(|r| StandardShortfall {
            district_id: r.row.observation.district_id,
            value: r.row.observation.value,
            year: r.row.period.year,
            gap: r.gap,
            gap_unit: r.gap_unit.to_string(),
            observation: r.row.observation.into(),
        })
        .collect())
}

/// Converts standards, prefetching their indicators, districts and sources when selected.
pub(crate) async fn list(ctx: &Context<'_>, rows: Vec<models::Standard>) -> Result<Vec<Standard>> {
    let node = ctx.look_ahead();
    let loaders = ctx.loaders()?;
    let indicators: Vec<IndicatorId> = rows
        .iter()
        .filter_map(|s| s.indicator_id.map(IndicatorId))
        .collect();
    let districts: Vec<DistrictId> = rows
        .iter()
        .filter_map(|s| s.district_id.map(DistrictId))
        .collect();
    let sources: Vec<SourceId> = rows
        .iter()
        .filter_map(|s| s.source_id.map(SourceId))
        .collect();
    tokio::try_join!(
        load_if(
            loaders,
            Mode::Direct,
            node.wants(STANDARD_INDICATOR),
            indicators
        ),
        load_if(
            loaders,
            Mode::Direct,
            node.wants(STANDARD_DISTRICT),
            districts
        ),
        load_if(loaders, Mode::Direct, node.wants(STANDARD_SOURCE), sources),
    )
    .gql()?;
    Ok(super::all(rows))
}
