//! The `Observation` object (a value from a report), its `BreakdownMember`s, and the prefetch of
//! an observation list's relations, used by every resolver that returns observations; with it
//! the prefetch of districts and their parents, which those lists reach too (an observation's
//! district, a source's, a shortfall's, a target's).

use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, Lookahead, Result};

use super::checks::{self, StandardCheck, Subject};
use super::context::ContextExt;
use super::enums::{ObservationKind, Qualifier};
use super::fields;
use super::fields::observation::{
    BASE_PERIOD, BREAKDOWN, DISTRICT, GAP_TO_STANDARD, INDICATOR, MEETS_STANDARD, PERIOD,
    QUALITY_FLAGS, SOURCE, STANDARD_CHECKS, UNIT, YEAR,
};
use super::loaders::{
    CoverageOfIndicator, DbLoader, DimensionsOfIndicator, FindingsOfObservation, NoteZhOf,
    RankableOfIndicator, RevisionsOfObservation,
};
use super::prefetch::{fetch, load_if, Field, LookaheadExt, Mode};
use super::revision::Revision;
use super::{District, Indicator, Period, QualityFinding, Source};
use crate::db::models::{
    self, BreakdownId, DistrictId, IndicatorId, ObservationId, PeriodId, SourceId,
};
use crate::error::{ApiError, GqlResultExt};

/// The keys an observation refers to: what its relation resolvers and prefetches load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    /// The observation itself.
    pub id: ObservationId,
    /// The division it is about.
    pub district: DistrictId,
    /// Its indicator.
    pub indicator: IndicatorId,
    /// Its reference period.
    pub period: PeriodId,
    /// The period a change is relative to.
    pub base_period: Option<PeriodId>,
    /// Its breakdown.
    pub breakdown: BreakdownId,
    /// The report it comes from.
    pub source: SourceId,
}

impl From<&models::Observation> for Links {
    fn from(o: &models::Observation) -> Self {
        Links {
            id: o.id,
            district: o.district_id,
            indicator: o.indicator_id,
            period: o.period_id,
            base_period: o.base_period_id.map(PeriodId),
            breakdown: o.breakdown_id,
            source: o.source_id,
        }
    }
}

row_object! {
    /// A value from a report: measured, targeted, or a reported change or rank.
    #[graphql(complex)]
    pub struct Observation from models::Observation as o {
        /// The keys of its relations.
        #[graphql(skip)]
        links: Links = Links::from(&o),
        /// Stable key, e.g. `rc22-014`.
        key: String = o.key,
        /// The value in the canonical unit (`unit`).
        value: f64 = o.value,
        /// The figure exactly as printed, e.g. `20余`, `6.61`, `100：12.8`.
        value_text: String = o.value_text,
        /// The unit as printed, e.g. 亿元.
        reported_unit: String = o.reported_unit,
        /// Qualifier of the printed figure.
        qualifier: Qualifier = o.qualifier,
        /// What the value states.
        kind: ObservationKind = o.kind,
        /// How the period was inferred when the sentence does not state it.
        period_note: Option<String> = o.period_note,
        /// The sentence it comes from, verbatim.
        quote: String = o.quote,
        /// Character offset of the quote in the source text.
        quote_start: i32 = o.quote_start,
        /// Character offset just past the quote in the source text.
        quote_end: i32 = o.quote_end,
        /// Curator's note (e.g. why a figure looks wrong; it is never corrected).
        note: Option<String> = o.note,
        /// Revision number of the content shown (1 = as first recorded).
        revision: i32 = o.revision,
        /// When this observation was first recorded (ISO 8601 UTC).
        created_at: String = o.created_at,
        /// When the content shown was recorded.
        recorded_at: String = o.recorded_at,
        /// Who recorded the content shown: `seed`, an API key's name, or `cli:<user>`.
        recorded_by: String = o.recorded_by,
        /// Why the content shown was recorded (always set for corrections).
        change_reason: Option<String> = o.change_reason,
    }
}

row_object! {
    /// One member of a breakdown dimension, as a result.
    pub struct BreakdownMember from models::BreakdownMember as m {
        /// Dimension code, e.g. `stage`.
        dimension: String = m.dimension,
        /// Dimension name, Chinese.
        dimension_zh: String = m.dimension_zh,
        /// Dimension name, English.
        dimension_en: String = m.dimension_en,
        /// Member code, e.g. `primary`.
        member: String = m.member,
        /// Member name, Chinese.
        name_zh: String = m.name_zh,
        /// Member name, English.
        name_en: String = m.name_en,
    }
}

#[ComplexObject]
impl Observation {
    /// Canonical unit of `value`: the indicator's unit for actual, target and change values
    /// (for a percent indicator a change is in percentage points), `percent` for growth,
    /// `rank` for a reported rank.
    async fn unit(&self, ctx: &Context<'_>) -> Result<String> {
        let unit = match self.kind.fixed_unit() {
            Some(unit) => unit,
            None => ctx.load_required(self.links.indicator).await?.unit,
        };
        Ok(unit.as_str().to_string())
    }
    /// Year of the reference period (the year it ends in).
    async fn year(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(ctx.load_required(self.links.period).await?.year)
    }
    /// The reference period (what the figure describes, not when it was reported).
    async fn period(&self, ctx: &Context<'_>) -> Result<Period> {
        Ok(ctx.load_required(self.links.period).await?.into())
    }
    /// For a change or growth: the period compared against.
    async fn base_period(&self, ctx: &Context<'_>) -> Result<Option<Period>> {
        match self.links.base_period {
            Some(id) => Ok(ctx.load_one(id).await?.map(Period::from)),
            None => Ok(None),
        }
    }
    /// The division the figure is about.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.links.district).await?.into())
    }
    /// The indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> Result<Indicator> {
        Ok(ctx.load_required(self.links.indicator).await?.into())
    }
    /// Breakdown members (empty for a total).
    async fn breakdown(&self, ctx: &Context<'_>) -> Result<Vec<BreakdownMember>> {
        let members = ctx.load_one(self.links.breakdown).await?;
        Ok(super::all(members.unwrap_or_default()))
    }
    /// The report it comes from.
    async fn source(&self, ctx: &Context<'_>) -> Result<Source> {
        Ok(ctx.load_required(self.links.source).await?.into())
    }
    /// Earlier revisions, oldest first (empty when the figure was never corrected).
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<Revision>> {
        let all = ctx.load_one(RevisionsOfObservation(self.links.id)).await?;
        Ok(all
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.revision < self.revision)
            .map(Revision::from)
            .collect())
    }
    /// The curator's note in Chinese, when a translation of its current wording was recorded
    /// (`seeds/translations/`); null otherwise: show `note` then.
    async fn note_zh(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(note) = &self.note else {
            return Ok(None);
        };
        let found = ctx.load_one(NoteZhOf(self.key.clone())).await?;
        // A translation of an earlier wording of the note is not shown.
        Ok(found
            .filter(|(sha, _)| *sha == crate::db::queries::text_sha256(note))
            .map(|(_, zh)| zh))
    }
    /// Data-quality findings that involve this observation.
    async fn quality_flags(&self, ctx: &Context<'_>) -> Result<Vec<QualityFinding>> {
        let findings = ctx.load_one(FindingsOfObservation(self.links.id)).await?;
        Ok(super::all(findings.unwrap_or_default()))
    }
    /// This value against every standard of its indicator that covers it (scope, division,
    /// years), by standard code. Empty for a change, growth or rank, and when none covers it.
    async fn standard_checks(&self, ctx: &Context<'_>) -> Result<Vec<StandardCheck>> {
        checks::covering(ctx, &self.subject(ctx).await?).await
    }
    /// Whether this value meets `standard` (a code; null when that standard does not cover
    /// it or prints no threshold, or a bound such as 以上 does not decide it). Without
    /// `standard`: false if it misses any covering standard, true if it meets every one,
    /// null otherwise.
    async fn meets_standard(
        &self,
        ctx: &Context<'_>,
        standard: Option<String>,
    ) -> Result<Option<bool>> {
        checks::meets_standard(ctx, &self.subject(ctx).await?, standard.as_deref()).await
    }
    /// value − the threshold of `standard` (a code), in the indicator's unit (percentage
    /// points for a percent): positive is above it. Without `standard`, the gap to the one
    /// covering standard with a threshold; null when none (or several) cover it.
    async fn gap_to_standard(
        &self,
        ctx: &Context<'_>,
        standard: Option<String>,
    ) -> Result<Option<f64>> {
        checks::gap_to_standard(ctx, &self.subject(ctx).await?, standard.as_deref()).await
    }
}

impl Observation {
    /// What the standard checks read: year and breakdown through the loaders.
    async fn subject(&self, ctx: &Context<'_>) -> Result<Subject> {
        Ok(Subject {
            indicator: self.links.indicator,
            district: self.links.district,
            year: ctx.load_required(self.links.period).await?.year,
            breakdown: checks::breakdown_pairs(ctx, self.links.breakdown).await?,
            kind: self.kind,
            value: self.value,
            qualifier: self.qualifier,
        })
    }
}

/// Whether `node` (an observation's selection) asks for a standard check.
pub(crate) fn wants_standards(node: &Lookahead<'_>) -> bool {
    node.wants(STANDARD_CHECKS) || node.wants(MEETS_STANDARD) || node.wants(GAP_TO_STANDARD)
}

/// Converts observations and prefetches what `node` (the selection of one observation) asks
/// for, for all of them.
pub(crate) async fn prefetched(
    ctx: &Context<'_>,
    rows: Vec<models::Observation>,
    node: Lookahead<'_>,
    mode: Mode,
) -> Result<Vec<Observation>> {
    let links: Vec<Links> = rows.iter().map(Links::from).collect();
    prefetch(ctx, &links, node, mode).await?;
    Ok(super::all(rows))
}

/// Prefetches what `node` (the selection of one observation) asks for, for all `obs`, and the
/// second-level relations dashboards ask for most.
pub(crate) async fn prefetch(
    ctx: &Context<'_>,
    obs: &[Links],
    node: Lookahead<'_>,
    mode: Mode,
) -> Result<()> {
    if obs.is_empty() {
        return Ok(());
    }
    let loaders = ctx.loaders()?;
    let mut periods: Vec<PeriodId> = Vec::new();
    let standards = wants_standards(&node);
    if node.wants(PERIOD) || node.wants(YEAR) || standards {
        periods.extend(obs.iter().map(|o| o.period));
    }
    if node.wants(BASE_PERIOD) {
        periods.extend(obs.iter().filter_map(|o| o.base_period));
    }
    let (districts, indicators, sources, _, _, _) = tokio::try_join!(
        load_if(
            loaders,
            mode,
            node.wants(DISTRICT),
            obs.iter().map(|o| o.district).collect()
        ),
        load_if(
            loaders,
            mode,
            node.wants(INDICATOR) || node.wants(UNIT),
            obs.iter().map(|o| o.indicator).collect()
        ),
        load_if(
            loaders,
            mode,
            node.wants(SOURCE),
            obs.iter().map(|o| o.source).collect()
        ),
        load_if(loaders, mode, !periods.is_empty(), periods),
        load_if(
            loaders,
            mode,
            node.wants(BREAKDOWN) || standards,
            obs.iter().map(|o| o.breakdown).collect()
        ),
        load_if(
            loaders,
            mode,
            node.wants(QUALITY_FLAGS),
            obs.iter().map(|o| FindingsOfObservation(o.id)).collect()
        ),
    )
    .gql()?;
    let mut second_districts: Vec<DistrictId> = Vec::new();
    if node.at(DISTRICT).wants(fields::district::PARENT) {
        second_districts.extend(
            districts
                .values()
                .filter_map(|d| d.parent_id.map(DistrictId)),
        );
    }
    if node.at(SOURCE).wants(fields::source::DISTRICT) {
        second_districts.extend(sources.values().map(|s| s.district_id));
    }
    let indicator_ids: Vec<IndicatorId> = indicators.keys().copied().collect();
    if standards {
        let mut wanted: Vec<IndicatorId> = obs.iter().map(|o| o.indicator).collect();
        wanted.sort();
        wanted.dedup();
        checks::prefetch(ctx, wanted, mode).await?;
    }
    tokio::try_join!(
        load_if(
            loaders,
            mode,
            !second_districts.is_empty(),
            second_districts
        ),
        load_if(
            loaders,
            mode,
            node.at(INDICATOR).wants(fields::indicator::DIMENSIONS),
            indicator_ids
                .iter()
                .copied()
                .map(DimensionsOfIndicator)
                .collect()
        ),
        load_if(
            loaders,
            mode,
            node.at(INDICATOR).wants(fields::indicator::COVERAGE),
            indicator_ids
                .iter()
                .copied()
                .map(CoverageOfIndicator)
                .collect()
        ),
        load_if(
            loaders,
            mode,
            node.at(INDICATOR).wants(fields::indicator::RANKABLE),
            indicator_ids
                .iter()
                .copied()
                .map(RankableOfIndicator)
                .collect()
        ),
    )
    .gql()?;
    Ok(())
}

/// Prefetches the districts `ids` when `node` (their selection) exists, and their parents when
/// it selects `parent`.
pub(crate) async fn prefetch_districts(
    ctx: &Context<'_>,
    ids: Vec<DistrictId>,
    node: Lookahead<'_>,
) -> Result<()> {
    if !node.exists() || ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.loaders()?;
    let loaded = fetch(loaders, ids).await.gql()?;
    if node.wants(fields::district::PARENT) {
        let parents: Vec<DistrictId> = loaded
            .values()
            .filter_map(|d| d.parent_id.map(DistrictId))
            .collect();
        fetch(loaders, parents).await.gql()?;
    }
    Ok(())
}

/// For a list of parents (districts, findings, sources): when `field` (their `observations`)
/// is selected in `node`, prefetches their observations and those observations' relations.
pub(crate) async fn prefetch_observations_of<K>(
    ctx: &Context<'_>,
    keys: Vec<K>,
    node: Lookahead<'_>,
    field: Field,
) -> Result<()>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Value = Vec<models::Observation>, Error = ApiError>,
{
    let obs_node = node.at(field);
    if !obs_node.exists() || keys.is_empty() {
        return Ok(());
    }
    let grouped = fetch(ctx.loaders()?, keys).await.gql()?;
    let links: Vec<Links> = grouped.values().flatten().map(Links::from).collect();
    prefetch(ctx, &links, obs_node, Mode::Direct).await
}

/// The observations a parent's `observations` field returns: through the loader (a root
/// prefetch already put them in the cache), with their relations prefetched as one batch.
pub(crate) async fn of_parent<K>(ctx: &Context<'_>, key: K) -> Result<Vec<Observation>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Value = Vec<models::Observation>, Error = ApiError>,
{
    let rows = ctx.load_one(key).await?.unwrap_or_default();
    prefetched(ctx, rows, ctx.look_ahead(), Mode::Cached).await
}
