//! GraphQL object types. Each wraps a read model; relations are resolved through the
//! per-request DataLoader ([`super::loaders`]), never by a query per row.

use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject};

use super::loaders::*;
use crate::db::models;
use crate::error::{ApiError, GqlResultExt};

/// Loads one value through the request's DataLoader.
pub(crate) async fn load_one<K>(
    ctx: &Context<'_>,
    key: K,
) -> Result<Option<<DbLoader as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = ApiError>,
{
    let loaders = ctx.data::<Loaders>()?;
    loaders.load_one(key).await.gql()
}

/// Loads a value that must exist (a foreign key target).
pub(crate) async fn load_required<K>(
    ctx: &Context<'_>,
    key: K,
    what: &'static str,
) -> Result<<DbLoader as Loader<K>>::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    DbLoader: Loader<K, Error = ApiError>,
{
    let debug = format!("{key:?}");
    load_one(ctx, key).await?.ok_or_else(|| {
        ApiError::Internal(format!("dangling {what} reference {debug}")).into_graphql()
    })
}

pub use crate::domain::{Direction, ObservationKind, Qualifier};

/// One member of a breakdown dimension, as an argument.
#[derive(InputObject, Clone, Debug)]
pub struct BreakdownInput {
    /// Dimension code, e.g. `stage`.
    pub dimension: String,
    /// Member code, e.g. `primary`.
    pub member: String,
}

/// One member of a breakdown dimension, as a result.
#[derive(SimpleObject, Clone, Debug)]
pub struct BreakdownMember {
    /// Dimension code, e.g. `stage`.
    pub dimension: String,
    /// Dimension name, Chinese.
    pub dimension_zh: String,
    /// Dimension name, English.
    pub dimension_en: String,
    /// Member code, e.g. `primary`.
    pub member: String,
    /// Member name, Chinese.
    pub name_zh: String,
    /// Member name, English.
    pub name_en: String,
}

impl From<models::BreakdownMember> for BreakdownMember {
    fn from(m: models::BreakdownMember) -> Self {
        BreakdownMember {
            dimension: m.dimension,
            dimension_zh: m.dimension_zh,
            dimension_en: m.dimension_en,
            member: m.member,
            name_zh: m.name_zh,
            name_en: m.name_en,
        }
    }
}

/// A district- or county-level division of Chongqing, or the municipality itself.
pub struct District(pub models::District);

/// A district- or county-level division of Chongqing, or the municipality itself.
#[Object]
impl District {
    /// Official administrative division code (GB/T 2260), e.g. `500153`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Chinese name, e.g. 荣昌区.
    async fn name_zh(&self) -> &str {
        &self.0.name_zh
    }
    /// English name, e.g. Rongchang District.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// `municipality`, `district`, `county` or `autonomous_county`.
    async fn level(&self) -> &str {
        self.0.level.as_str()
    }
    /// The parent division (the municipality for a district or county).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<District>> {
        match self.0.parent_id {
            Some(id) => Ok(load_one(ctx, models::DistrictId(id)).await?.map(District)),
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
        let indicator = indicator_by_code(ctx, &indicator).await?;
        let all = latest_values(ctx, indicator.id, breakdown, kind, on_or_before).await?;
        Ok(all.into_iter().find(|v| v.district_id == self.0.id))
    }
    /// Every observation about this division, optionally of one indicator.
    async fn observations(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
    ) -> Result<Vec<Observation>> {
        let all = load_one(ctx, ObservationsOfDistrict(self.0.id))
            .await?
            .unwrap_or_default();
        let wanted = match indicator {
            Some(code) => Some(indicator_by_code(ctx, &code).await?.id),
            None => None,
        };
        let selected: Vec<models::Observation> = all
            .into_iter()
            .filter(|o| wanted.is_none_or(|w| o.indicator_id == w))
            .collect();
        super::prefetch::observations(
            ctx,
            &selected,
            ctx.look_ahead(),
            super::prefetch::Mode::Cached,
        )
        .await?;
        Ok(selected.into_iter().map(Observation).collect())
    }
}

/// An indicator of the catalogue: one concept, one canonical unit.
pub struct Indicator(pub models::Indicator);

/// A district's years with data for an indicator.
#[derive(SimpleObject)]
pub struct Coverage {
    /// The district.
    pub district: District,
    /// Years (of the reference periods) with at least one value, ascending.
    pub years: Vec<i32>,
}

/// An indicator of the catalogue: one concept, one canonical unit.
#[Object]
impl Indicator {
    /// Stable snake_case code, e.g. `smart_education_platform_coverage`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Chinese name.
    async fn name_zh(&self) -> &str {
        &self.0.name_zh
    }
    /// English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// Canonical unit of actual and target values: `yuan`, `person`, `percent`, `count`, ...
    async fn unit(&self) -> &str {
        self.0.unit.as_str()
    }
    /// Category, e.g. `funding`, `digital`, `health`.
    async fn category(&self) -> &str {
        self.0.category.as_str()
    }
    /// Whether larger values are better; rankings put the best first.
    async fn direction(&self) -> Direction {
        self.0.direction
    }
    /// One-line definition.
    async fn definition(&self) -> &str {
        &self.0.definition
    }
    /// Smallest valid value, if bounded.
    async fn min_value(&self) -> Option<f64> {
        self.0.min_value
    }
    /// Largest valid value, if bounded.
    async fn max_value(&self) -> Option<f64> {
        self.0.max_value
    }
    /// Breakdown dimensions this indicator may be split by (e.g. `stage`).
    async fn dimensions(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(load_one(ctx, DimensionsOfIndicator(self.0.id))
            .await?
            .unwrap_or_default())
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
        latest_values(ctx, self.0.id, breakdown, kind, on_or_before).await
    }
    /// Which districts have data, in which years (any kind, any breakdown): for dashboard pickers.
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Vec<Coverage>> {
        let rows = load_one(ctx, CoverageOfIndicator(self.0.id))
            .await?
            .unwrap_or_default();
        let mut out: Vec<(models::DistrictId, Vec<i32>)> = Vec::new();
        for (d, y) in rows {
            match out.last_mut() {
                Some((last, years)) if *last == d => years.push(y),
                _ => out.push((d, vec![y])),
            }
        }
        let loaders = ctx.data::<Loaders>()?;
        let districts = super::prefetch::fetch(loaders, out.iter().map(|(d, _)| *d).collect())
            .await
            .gql()?;
        Ok(out
            .into_iter()
            .filter_map(|(d, years)| {
                districts.get(&d).cloned().map(|d| Coverage {
                    district: District(d),
                    years,
                })
            })
            .collect())
    }
}

/// A reference period.
pub struct Period(pub models::Period);

/// A reference period.
#[Object]
impl Period {
    /// Canonical code: `2022`, `2023-06`, `2023-01..2023-06` or `2019..2021`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// `year`, `month` or `span`.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    /// First day (ISO 8601).
    async fn start_date(&self) -> &str {
        &self.0.start_date
    }
    /// Last day (ISO 8601).
    async fn end_date(&self) -> &str {
        &self.0.end_date
    }
    /// The calendar year the period ends in; year arguments of other queries match this.
    async fn year(&self) -> i32 {
        self.0.year
    }
}

/// A source document: a district government's report.
pub struct Source(pub models::Source);

/// A source document: a district government's report.
#[Object]
impl Source {
    /// Stable code, e.g. `rongchang-2022-self-evaluation`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Title, Chinese.
    async fn title_zh(&self) -> &str {
        &self.0.title_zh
    }
    /// Title, English.
    async fn title_en(&self) -> &str {
        &self.0.title_en
    }
    /// Issuing body.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// The district the document reports on.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(District(
            load_required(ctx, self.0.district_id, "district").await?,
        ))
    }
    /// Document number as printed, e.g. 荣昌府函〔2026〕82号.
    async fn document_number(&self) -> Option<&str> {
        self.0.doc_number.as_deref()
    }
    /// Date printed on the document (ISO 8601).
    async fn date(&self) -> Option<&str> {
        self.0.published_on.as_deref()
    }
    /// `self_evaluation`, `rectification_plan` or `rectification_report`.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    /// The year the document reviews.
    async fn review_year(&self) -> Option<i32> {
        self.0.review_year
    }
    /// Curator's note about the document (e.g. a printed date that contradicts its content).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The full text, verbatim. Quote offsets of observations index into it (in characters).
    async fn text(&self, ctx: &Context<'_>) -> Result<String> {
        load_required(ctx, TextOfSource(self.0.id), "source text").await
    }
    /// Every observation taken from this document.
    async fn observations(&self, ctx: &Context<'_>) -> Result<Vec<Observation>> {
        let rows = load_one(ctx, ObservationsOfSource(self.0.id))
            .await?
            .unwrap_or_default();
        super::prefetch::observations(ctx, &rows, ctx.look_ahead(), super::prefetch::Mode::Cached)
            .await?;
        Ok(rows.into_iter().map(Observation).collect())
    }
}

/// A value from a report: measured, targeted, or a reported change or rank.
pub struct Observation(pub models::Observation);

/// A value from a report: measured, targeted, or a reported change or rank.
#[Object]
impl Observation {
    /// Stable key, e.g. `rc22-014`.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// The value in the canonical unit (`unit`).
    async fn value(&self) -> f64 {
        self.0.value
    }
    /// Canonical unit of `value`: the indicator's unit for actual, target and change values
    /// (for a percent indicator a change is in percentage points), `percent` for growth,
    /// `rank` for a reported rank.
    async fn unit(&self, ctx: &Context<'_>) -> Result<String> {
        let unit = match self.0.kind.fixed_unit() {
            Some(unit) => unit,
            None => {
                load_required(ctx, self.0.indicator_id, "indicator")
                    .await?
                    .unit
            }
        };
        Ok(unit.as_str().to_string())
    }
    /// The figure exactly as printed, e.g. `20余`, `6.61`, `100：12.8`.
    async fn value_text(&self) -> &str {
        &self.0.value_text
    }
    /// The unit as printed, e.g. 亿元.
    async fn reported_unit(&self) -> &str {
        &self.0.reported_unit
    }
    /// Qualifier of the printed figure.
    async fn qualifier(&self) -> Qualifier {
        self.0.qualifier
    }
    /// What the value states.
    async fn kind(&self) -> ObservationKind {
        self.0.kind
    }
    /// Year of the reference period (the year it ends in).
    async fn year(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(load_required(ctx, self.0.period_id, "period").await?.year)
    }
    /// The reference period (what the figure describes, not when it was reported).
    async fn period(&self, ctx: &Context<'_>) -> Result<Period> {
        Ok(Period(
            load_required(ctx, self.0.period_id, "period").await?,
        ))
    }
    /// How the period was inferred when the sentence does not state it.
    async fn period_note(&self) -> Option<&str> {
        self.0.period_note.as_deref()
    }
    /// For a change or growth: the period compared against.
    async fn base_period(&self, ctx: &Context<'_>) -> Result<Option<Period>> {
        match self.0.base_period_id {
            Some(id) => Ok(load_one(ctx, models::PeriodId(id)).await?.map(Period)),
            None => Ok(None),
        }
    }
    /// The division the figure is about.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(District(
            load_required(ctx, self.0.district_id, "district").await?,
        ))
    }
    /// The indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> Result<Indicator> {
        Ok(Indicator(
            load_required(ctx, self.0.indicator_id, "indicator").await?,
        ))
    }
    /// Breakdown members (empty for a total).
    async fn breakdown(&self, ctx: &Context<'_>) -> Result<Vec<BreakdownMember>> {
        Ok(load_one(ctx, self.0.breakdown_id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(BreakdownMember::from)
            .collect())
    }
    /// The report it comes from.
    async fn source(&self, ctx: &Context<'_>) -> Result<Source> {
        Ok(Source(
            load_required(ctx, self.0.source_id, "source").await?,
        ))
    }
    /// The sentence it comes from, verbatim.
    async fn quote(&self) -> &str {
        &self.0.quote
    }
    /// Character offset of the quote in the source text.
    async fn quote_start(&self) -> i32 {
        self.0.quote_start
    }
    /// Character offset just past the quote in the source text.
    async fn quote_end(&self) -> i32 {
        self.0.quote_end
    }
    /// Curator's note (e.g. why a figure looks wrong; it is never corrected).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Revision number of the content shown (1 = as first recorded).
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// When this observation was first recorded (ISO 8601 UTC).
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    /// When the content shown was recorded.
    async fn recorded_at(&self) -> &str {
        &self.0.recorded_at
    }
    /// Who recorded the content shown: `seed`, an API key's name, or `cli:<user>`.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
    /// Why the content shown was recorded (always set for corrections).
    async fn change_reason(&self) -> Option<&str> {
        self.0.change_reason.as_deref()
    }
    /// Earlier revisions, oldest first (empty when the figure was never corrected).
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<Revision>> {
        Ok(load_one(ctx, RevisionsOfObservation(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.revision < self.0.revision)
            .map(Revision)
            .collect())
    }
    /// Data-quality findings that involve this observation.
    async fn quality_flags(&self, ctx: &Context<'_>) -> Result<Vec<QualityFinding>> {
        Ok(load_one(ctx, FindingsOfObservation(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(QualityFinding)
            .collect())
    }
}

/// A data-quality finding: figures that do not agree. Figures are never corrected.
pub struct QualityFinding(pub models::Finding);

/// A data-quality finding: figures that do not agree. Figures are never corrected.
#[Object]
impl QualityFinding {
    /// Stable code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// `rule` (computed by a check) or `curated` (recorded while curating the reports).
    async fn origin(&self) -> &str {
        self.0.origin.as_str()
    }
    /// Rule code, e.g. `sum_of_parts`, `range`, `change_consistency`.
    async fn rule(&self) -> &str {
        &self.0.rule
    }
    /// `error` or `warning`.
    async fn severity(&self) -> &str {
        self.0.severity.as_str()
    }
    /// What does not agree, with the figures.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The source document concerned.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Source>> {
        match self.0.source_id {
            Some(id) => Ok(load_one(ctx, models::SourceId(id)).await?.map(Source)),
            None => Ok(None),
        }
    }
    /// The observations involved (with their quotes).
    async fn observations(&self, ctx: &Context<'_>) -> Result<Vec<Observation>> {
        let rows = load_one(ctx, ObservationsOfFinding(self.0.id))
            .await?
            .unwrap_or_default();
        super::prefetch::observations(ctx, &rows, ctx.look_ahead(), super::prefetch::Mode::Cached)
            .await?;
        Ok(rows.into_iter().map(Observation).collect())
    }
}

/// Summary statistics of ranked values.
#[derive(SimpleObject, Clone, Copy)]
pub struct SummaryStats {
    /// Number of values.
    pub count: i32,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// One row of a ranking.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RankingEntry {
    /// 1 is best (see `Ranking.order`); ties share a rank and the next rank skips (1, 2, 2, 4).
    pub rank: i32,
    /// Value in the indicator's canonical unit.
    pub value: f64,
    /// The year of the value used (differs from the requested year only with `latestOnOrBefore`).
    pub year: i32,
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: models::DistrictId,
    /// The observation the value comes from.
    #[graphql(skip)]
    pub observation: models::Observation,
}

#[ComplexObject]
impl RankingEntry {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(District(
            load_required(ctx, self.district_id, "district").await?,
        ))
    }
    /// The observation chosen for this district (with its source and quote).
    async fn observation(&self) -> Observation {
        Observation(self.observation.clone())
    }
}

/// Sort order of a ranking.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// Lowest value first.
    Asc,
    /// Highest value first.
    Desc,
}

/// A ranking of districts on one indicator in one year.
#[derive(SimpleObject)]
pub struct Ranking {
    /// The indicator ranked.
    pub indicator: Indicator,
    /// The requested year.
    pub year: i32,
    /// The order used: by default best first according to the indicator's direction.
    pub order: SortOrder,
    /// Ranked districts, rank 1 first.
    pub entries: Vec<RankingEntry>,
    /// District- and county-level divisions with no value.
    pub missing: Vec<District>,
    /// How many divisions were ranked.
    pub ranked_count: i32,
    /// How many district- and county-level divisions exist (38).
    pub district_count: i32,
    /// "2 of 38": ranked out of existing divisions.
    pub coverage: String,
    /// Statistics of the ranked values; null when nothing was ranked.
    pub stats: Option<SummaryStats>,
}

/// Why a relative change is null.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChangeGap {
    /// No value in the `from` year.
    MissingFrom,
    /// No value in the `to` year.
    MissingTo,
    /// No value in either year.
    MissingBoth,
    /// The `from` value is zero: a relative change would be infinite.
    ZeroBase,
}

/// A district's change between two years.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ChangeRow {
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: models::DistrictId,
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
        Ok(District(
            load_required(ctx, self.district_id, "district").await?,
        ))
    }
}

/// One cell of a comparison matrix.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CompareCell {
    /// Indicator code of the column.
    pub indicator: String,
    /// Value (canonical unit), null when the district has none.
    pub value: Option<f64>,
    /// The year of the value used (differs from the requested year only with
    /// `latestOnOrBefore`).
    pub year: Option<i32>,
    /// The observation the value comes from, if any.
    #[graphql(skip)]
    pub observation: Option<models::Observation>,
}

#[ComplexObject]
impl CompareCell {
    /// The observation used, with its source and quote.
    async fn observation(&self) -> Option<Observation> {
        self.observation.clone().map(Observation)
    }
}

/// One row (district) of a comparison matrix.
#[derive(SimpleObject)]
pub struct CompareRow {
    /// The district.
    pub district: District,
    /// One cell per requested indicator, in the requested order.
    pub cells: Vec<CompareCell>,
}

/// Districts × indicators for one year.
#[derive(SimpleObject)]
pub struct CompareMatrix {
    /// The requested year.
    pub year: i32,
    /// Columns, in the requested order.
    pub indicators: Vec<Indicator>,
    /// Rows, in the requested order.
    pub rows: Vec<CompareRow>,
}

/// One point of a time series.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TimePoint {
    /// Year of the reference period.
    pub year: i32,
    /// Value in the canonical unit.
    pub value: f64,
    /// The observation the value comes from.
    #[graphql(skip)]
    pub observation: models::Observation,
}

#[ComplexObject]
impl TimePoint {
    /// The observation used, with its source and quote.
    async fn observation(&self) -> Observation {
        Observation(self.observation.clone())
    }
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

/// Pagination state of a connection.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow the last edge.
    pub has_next_page: bool,
    /// Always false: the connection is forward-only.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// An edge of the observations connection.
#[derive(SimpleObject)]
pub struct ObservationEdge {
    /// Opaque cursor.
    pub cursor: String,
    /// The observation.
    pub node: Observation,
}

/// A page of observations (Relay connection).
#[derive(SimpleObject)]
pub struct ObservationConnection {
    /// Observations matching the filter, over all pages.
    pub total_count: i64,
    /// Pagination state.
    pub page_info: PageInfo,
    /// This page.
    pub edges: Vec<ObservationEdge>,
}

/// Filter of the observations connection; every field is optional and fields combine with AND.
#[derive(InputObject, Default)]
pub struct ObservationFilter {
    /// District codes.
    pub districts: Option<Vec<String>>,
    /// Indicator codes.
    pub indicators: Option<Vec<String>>,
    /// Years of the reference period.
    pub years: Option<Vec<i32>>,
    /// Exact breakdown (an empty list selects totals only).
    pub breakdown: Option<Vec<BreakdownInput>>,
    /// Kinds.
    pub kinds: Option<Vec<ObservationKind>>,
    /// Source codes.
    pub sources: Option<Vec<String>>,
}

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
    pub district_id: models::DistrictId,
    /// The observation the value comes from.
    #[graphql(skip)]
    pub observation: models::Observation,
}

#[ComplexObject]
impl LatestValue {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(District(
            load_required(ctx, self.district_id, "district").await?,
        ))
    }
    /// The observation chosen (rule: latest year, then latest report, then exact figure, then
    /// first loaded), with its source and quote.
    async fn observation(&self) -> Observation {
        Observation(self.observation.clone())
    }
}

/// Every district's latest value of `indicator` (batched across indicators and districts).
pub(crate) async fn latest_values(
    ctx: &Context<'_>,
    indicator: models::IndicatorId,
    breakdown: Option<Vec<BreakdownInput>>,
    kind: ObservationKind,
    on_or_before: Option<i32>,
) -> Result<Vec<LatestValue>> {
    let year = on_or_before.unwrap_or(*crate::analytics::YEARS.end());
    if !crate::analytics::YEARS.contains(&year) {
        return Err(ApiError::BadInput(format!(
            "onOrBefore must be a year between 1949 and 2100, got {year}"
        ))
        .into_graphql());
    }
    let code = super::query::breakdown_arg(breakdown)?.to_string();
    let breakdown = match load_one(ctx, BreakdownByCode(code)).await? {
        Some(BreakdownLookup::Found(id)) => id,
        Some(BreakdownLookup::UnknownMember(m)) => {
            return Err(ApiError::NotFound {
                kind: "breakdown member",
                code: m,
            }
            .into_graphql())
        }
        _ => return Ok(Vec::new()),
    };
    let key = LatestValues {
        indicator,
        breakdown,
        kind,
        on_or_before: year,
    };
    let rows = load_one(ctx, key).await?.unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|r| LatestValue {
            value: r.observation.value,
            year: r.period.year,
            district_id: r.observation.district_id,
            observation: r.observation,
        })
        .collect())
}

/// Resolves an indicator code through the request's loader (batched and cached).
pub(crate) async fn indicator_by_code(ctx: &Context<'_>, code: &str) -> Result<models::Indicator> {
    load_one(ctx, IndicatorByCode(code.to_string()))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound {
                kind: "indicator",
                code: code.to_string(),
            }
            .into_graphql()
        })
}

/// An earlier revision of an observation: what it said before a correction.
pub struct Revision(pub models::ObservationRevision);

/// An earlier revision of an observation: what it said before a correction.
#[Object]
impl Revision {
    /// Revision number.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// Value in the canonical unit.
    async fn value(&self) -> f64 {
        self.0.value
    }
    /// Value as printed.
    async fn value_text(&self) -> &str {
        &self.0.value_text
    }
    /// Unit as printed.
    async fn reported_unit(&self) -> &str {
        &self.0.reported_unit
    }
    /// Qualifier.
    async fn qualifier(&self) -> Qualifier {
        self.0.qualifier
    }
    /// Quote.
    async fn quote(&self) -> &str {
        &self.0.quote
    }
    /// Curator's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When this revision was recorded.
    async fn recorded_at(&self) -> &str {
        &self.0.recorded_at
    }
    /// Who recorded it.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
    /// Why it was recorded.
    async fn change_reason(&self) -> Option<&str> {
        self.0.change_reason.as_deref()
    }
    /// When the next revision replaced it.
    async fn superseded_at(&self) -> &str {
        &self.0.superseded_at
    }
}

/// An entry of the audit log.
pub struct AuditEntry(pub models::AuditEntry);

/// An entry of the audit log: every write, who made it, when, and how many rows.
#[Object]
impl AuditEntry {
    /// When (ISO 8601 UTC).
    async fn at(&self) -> &str {
        &self.0.at
    }
    /// Who: an API key's name, or `cli:<user>`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// `import`, `correction`, `seed`, `key_create` or `key_revoke`.
    async fn action(&self) -> &str {
        self.0.action.as_str()
    }
    /// What, in words.
    async fn detail(&self) -> &str {
        &self.0.detail
    }
    /// Rows written.
    async fn row_count(&self) -> i32 {
        self.0.row_count
    }
}
