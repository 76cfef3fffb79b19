//! The query root. Resolvers only parse arguments, call [`crate::analytics`] or
//! [`crate::db::queries`] on the blocking pool, and wrap the results in GraphQL types.

use async_graphql::{Context, Object, Result};

use super::loaders::{ObservationsOfDistrict, ObservationsOfFinding, ObservationsOfSource};
use super::prefetch;
use super::types::*;
use crate::analytics;
use crate::db::models::{self, ObservationId};
use crate::db::Db;
use crate::db::{format_utc, queries};
use crate::domain::Breakdown;
use crate::error::{ApiError, GqlResultExt};
use crate::stats::change::Gap;
use crate::stats::ranking::Order;
use chrono::{DateTime, Utc};

/// Default page size of the observations connection.
pub const DEFAULT_PAGE: i32 = 50;
/// Largest page size a client may ask for.
pub const MAX_PAGE: i32 = 500;

pub(crate) fn db<'a>(ctx: &Context<'a>) -> Result<&'a Db> {
    ctx.data::<Db>()
}

/// A breakdown argument (absent: the total); a dimension named twice is `BAD_USER_INPUT`.
pub(crate) fn breakdown_arg(breakdown: Option<Vec<BreakdownInput>>) -> Result<Breakdown> {
    Breakdown::from_pairs(
        breakdown
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.dimension, b.member)),
    )
    .map_err(|e| ApiError::BadInput(e.to_string()).into_graphql())
}

fn encode_cursor(id: ObservationId) -> String {
    format!("obs:{}", id.0)
}

fn decode_cursor(cursor: &str) -> Result<ObservationId, ApiError> {
    cursor
        .strip_prefix("obs:")
        .and_then(|n| n.parse::<i32>().ok())
        .map(ObservationId)
        .ok_or_else(|| {
            ApiError::BadInput(format!(
                "invalid cursor {cursor:?}: pass an endCursor or cursor from a previous page"
            ))
        })
}

fn order_of(order: Option<SortOrder>) -> Option<Order> {
    order.map(|o| match o {
        SortOrder::Asc => Order::Ascending,
        SortOrder::Desc => Order::Descending,
    })
}

/// Read access to the warehouse.
pub struct QueryRoot;

/// Read access to the warehouse: districts, indicators, observations, rankings, changes,
/// comparison matrices, time series, source documents and data-quality findings.
#[Object]
impl QueryRoot {
    /// Every division: the municipality of Chongqing (500000) and its 38 districts and counties,
    /// ordered by code.
    async fn districts(&self, ctx: &Context<'_>) -> Result<Vec<District>> {
        let rows = db(ctx)?
            .run(|c| queries::all_districts(c).map_err(ApiError::from))
            .await
            .gql()?;
        let la = ctx.look_ahead();
        let parents = rows
            .iter()
            .filter_map(|d| d.parent_id.map(models::DistrictId))
            .collect();
        prefetch::districts(ctx, parents, la.field("parent")).await?;
        let ids = rows.iter().map(|d| ObservationsOfDistrict(d.id)).collect();
        prefetch::observations_of(ctx, ids, la).await?;
        Ok(rows.into_iter().map(District).collect())
    }

    /// One division by its code, e.g. `500153`.
    async fn district(&self, ctx: &Context<'_>, code: String) -> Result<District> {
        let d = db(ctx)?
            .run(move |c| analytics::resolve_districts(c, std::slice::from_ref(&code)))
            .await
            .gql()?;
        d.into_iter()
            .next()
            .map(District)
            .ok_or_else(|| ApiError::Internal("empty resolve".into()).into_graphql())
    }

    /// The indicator catalogue. `search` matches the Chinese or English name or the code
    /// (case-insensitive substring); `category` restricts to one category.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        category: Option<String>,
    ) -> Result<Vec<Indicator>> {
        let rows = db(ctx)?
            .run(move |c| {
                queries::search_indicators(c, search.as_deref(), category.as_deref())
                    .map_err(ApiError::from)
            })
            .await
            .gql()?;
        Ok(rows.into_iter().map(Indicator).collect())
    }

    /// One indicator by code.
    async fn indicator(&self, ctx: &Context<'_>, code: String) -> Result<Indicator> {
        Ok(Indicator(
            super::types::indicator_by_code(ctx, &code).await?,
        ))
    }

    /// Observations matching `filter`, in a stable order, paginated (Relay). `first` defaults to
    /// 50 and may not exceed 500.
    async fn observations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ObservationFilter>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<ObservationConnection> {
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(ApiError::BadInput(format!(
                "first must be between 0 and {MAX_PAGE}, got {first}"
            ))
            .into_graphql());
        }
        let after = after.as_deref().map(decode_cursor).transpose().gql()?;
        let mut filter = filter.unwrap_or_default();
        let breakdown = filter
            .breakdown
            .take()
            .map(|b| breakdown_arg(Some(b)))
            .transpose()?;
        let (page, total) = db(ctx)?
            .run(move |c| {
                let mut q = analytics::resolve_observation_filter(
                    c,
                    &analytics::FilterCodes {
                        districts: filter.districts,
                        indicators: filter.indicators,
                        years: filter.years,
                        kinds: filter.kinds,
                        sources: filter.sources,
                        breakdown,
                    },
                )?;
                q.as_of = as_of.map(format_utc);
                // One extra row tells whether another page follows.
                let (mut rows, total) =
                    queries::observations_page(c, &q, after, i64::from(first) + 1)?;
                let more = rows.len() > first as usize;
                rows.truncate(first as usize);
                Ok::<_, ApiError>(((rows, more), total))
            })
            .await
            .gql()?;
        let (rows, has_next_page) = page;
        prefetch::observations(
            ctx,
            &rows,
            ctx.look_ahead().field("edges").field("node"),
            prefetch::Mode::Direct,
        )
        .await?;
        let edges: Vec<ObservationEdge> = rows
            .into_iter()
            .map(|o| ObservationEdge {
                cursor: encode_cursor(o.id),
                node: Observation(o),
            })
            .collect();
        Ok(ObservationConnection {
            total_count: total,
            page_info: PageInfo {
                has_next_page,
                has_previous_page: false,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        })
    }

    /// Ranks the districts and counties on one indicator in one year.
    ///
    /// Best first according to the indicator's direction (rank 1 is the lowest value for a
    /// lower-is-better indicator; the highest for higher-is-better and neutral ones) unless
    /// `order` says otherwise. Ties share a rank and the next rank skips (1, 2, 2, 4). Values are
    /// compared in the canonical unit. Without `breakdown` the totals are ranked. When several
    /// observations give a district's value, the one from the most recently published report
    /// wins, then an exact figure over a qualified one, then the first loaded. With
    /// `latestOnOrBefore`, each district's latest value in or before `year` is used and each
    /// entry says which year.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        indicator: String,
        year: i32,
        breakdown: Option<Vec<BreakdownInput>>,
        order: Option<SortOrder>,
        #[graphql(default_with = "ObservationKind::Actual")] kind: ObservationKind,
        #[graphql(default = false)] latest_on_or_before: bool,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Ranking> {
        let as_of = as_of.map(format_utc);
        let b = breakdown_arg(breakdown)?;
        let r = db(ctx)?
            .run(move |c| {
                analytics::ranking(
                    c,
                    &analytics::RankingQuery {
                        indicator: &indicator,
                        year,
                        breakdown: &b,
                        order: order_of(order),
                        kind,
                        latest_on_or_before,
                        as_of: as_of.as_deref(),
                    },
                )
            })
            .await
            .gql()?;
        let entries = ctx.look_ahead().field("entries");
        prefetch::districts(
            ctx,
            r.entries
                .iter()
                .map(|(_, e)| e.observation.district_id)
                .collect(),
            entries.field("district"),
        )
        .await?;
        let chosen: Vec<models::Observation> = r
            .entries
            .iter()
            .map(|(_, e)| e.observation.clone())
            .collect();
        prefetch::observations(
            ctx,
            &chosen,
            entries.field("observation"),
            prefetch::Mode::Direct,
        )
        .await?;
        let missing = r.missing.into_iter().map(District).collect();
        let ranked_count = r.entries.len() as i32;
        Ok(Ranking {
            year,
            order: match r.order {
                Order::Ascending => SortOrder::Asc,
                Order::Descending => SortOrder::Desc,
            },
            entries: r
                .entries
                .into_iter()
                .map(|(rank, row)| RankingEntry {
                    rank: rank as i32,
                    value: row.observation.value,
                    year: row.period.year,
                    district_id: row.observation.district_id,
                    observation: row.observation,
                })
                .collect(),
            missing,
            ranked_count,
            district_count: r.district_count as i32,
            coverage: format!("{ranked_count} of {}", r.district_count),
            stats: r.stats.map(|s| SummaryStats {
                count: s.count as i32,
                mean: s.mean,
                median: s.median,
                min: s.min,
                max: s.max,
            }),
            indicator: Indicator(r.indicator),
        })
    }

    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    /// Change of an indicator between two years, one row per district (the districts given, in
    /// that order, or every district with a value in either year). Uses actual values of the
    /// given breakdown (totals by default), chosen as in `ranking`.
    async fn change(
        &self,
        ctx: &Context<'_>,
        indicator: String,
        from: i32,
        to: i32,
        districts: Option<Vec<String>>,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Vec<ChangeRow>> {
        let as_of = as_of.map(format_utc);
        let b = breakdown_arg(breakdown)?;
        let (ind, rows) = db(ctx)?
            .run(move |c| {
                analytics::changes(
                    c,
                    &indicator,
                    from,
                    to,
                    districts.as_deref(),
                    &b,
                    as_of.as_deref(),
                )
            })
            .await
            .gql()?;
        prefetch::districts(
            ctx,
            rows.iter().map(|r| r.district).collect(),
            ctx.look_ahead().field("district"),
        )
        .await?;
        let absolute_unit = ind.unit.difference_unit().to_string();
        Ok(rows
            .into_iter()
            .map(|r| ChangeRow {
                district_id: r.district,
                from_value: r.from,
                to_value: r.to,
                absolute_change: r.absolute,
                absolute_unit: absolute_unit.clone(),
                relative_change: r.relative_percent,
                relative_change_gap: r.gap.map(|g| match g {
                    Gap::MissingFrom => ChangeGap::MissingFrom,
                    Gap::MissingTo => ChangeGap::MissingTo,
                    Gap::MissingBoth => ChangeGap::MissingBoth,
                    Gap::ZeroBase => ChangeGap::ZeroBase,
                }),
            })
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    /// The districts × indicators matrix a dashboard draws, for one year. With
    /// `latestOnOrBefore`, each cell falls back to the latest earlier year and says which.
    async fn compare(
        &self,
        ctx: &Context<'_>,
        districts: Vec<String>,
        indicators: Vec<String>,
        year: i32,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(default = false)] latest_on_or_before: bool,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<CompareMatrix> {
        let as_of = as_of.map(format_utc);
        let b = breakdown_arg(breakdown)?;
        let mut r = db(ctx)?
            .run(move |c| {
                analytics::compare(
                    c,
                    &districts,
                    &indicators,
                    year,
                    &b,
                    latest_on_or_before,
                    as_of.as_deref(),
                )
            })
            .await
            .gql()?;
        let used: Vec<models::Observation> =
            r.cells.values().map(|c| c.observation.clone()).collect();
        prefetch::observations(
            ctx,
            &used,
            ctx.look_ahead()
                .field("rows")
                .field("cells")
                .field("observation"),
            prefetch::Mode::Direct,
        )
        .await?;
        let rows = r
            .districts
            .into_iter()
            .map(|d| CompareRow {
                cells: r
                    .indicators
                    .iter()
                    .map(|i| {
                        let cell = r.cells.remove(&(d.id, i.id));
                        CompareCell {
                            indicator: i.code.clone(),
                            value: cell.as_ref().map(|c| c.observation.value),
                            year: cell.as_ref().map(|c| c.period.year),
                            observation: cell.map(|c| c.observation),
                        }
                    })
                    .collect(),
                district: District(d),
            })
            .collect();
        Ok(CompareMatrix {
            year,
            indicators: r.indicators.into_iter().map(Indicator).collect(),
            rows,
        })
    }

    /// One district's values of one indicator over the years (whole-year periods), one point per
    /// year chosen as in `ranking`.
    async fn time_series(
        &self,
        ctx: &Context<'_>,
        district: String,
        indicator: String,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(default_with = "ObservationKind::Actual")] kind: ObservationKind,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<TimeSeries> {
        let as_of = as_of.map(format_utc);
        let b = breakdown_arg(breakdown)?;
        let (d, i, points) = db(ctx)?
            .run(move |c| {
                analytics::time_series(c, &district, &indicator, &b, kind, as_of.as_deref())
            })
            .await
            .gql()?;
        let used: Vec<models::Observation> = points.iter().map(|p| p.observation.clone()).collect();
        prefetch::observations(
            ctx,
            &used,
            ctx.look_ahead().field("points").field("observation"),
            prefetch::Mode::Direct,
        )
        .await?;
        Ok(TimeSeries {
            district: District(d),
            indicator: Indicator(i),
            points: points
                .into_iter()
                .map(|p| TimePoint {
                    year: p.period.year,
                    value: p.observation.value,
                    observation: p.observation,
                })
                .collect(),
        })
    }

    /// Every source document.
    async fn sources(&self, ctx: &Context<'_>) -> Result<Vec<Source>> {
        let rows = db(ctx)?
            .run(|c| queries::all_sources(c).map_err(ApiError::from))
            .await
            .gql()?;
        prefetch::sources(ctx, &rows, ctx.look_ahead()).await?;
        let ids = rows.iter().map(|s| ObservationsOfSource(s.id)).collect();
        prefetch::observations_of(ctx, ids, ctx.look_ahead()).await?;
        Ok(rows.into_iter().map(Source).collect())
    }

    /// One source document by code, with its text and observations.
    async fn source(&self, ctx: &Context<'_>, code: String) -> Result<Source> {
        let s = db(ctx)?
            .run(move |c| {
                queries::source_by_code(c, &code)?.ok_or(ApiError::NotFound {
                    kind: "source",
                    code,
                })
            })
            .await
            .gql()?;
        Ok(Source(s))
    }

    /// The audit log, newest first: every import, correction and key change (admin key
    /// required).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] limit: i32,
    ) -> Result<Vec<AuditEntry>> {
        super::mutation::require(ctx, crate::auth::Role::Admin).await?;
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::BadInput(format!(
                "limit must be between 1 and 1000, got {limit}"
            ))
            .into_graphql());
        }
        let rows = db(ctx)?
            .run(move |c| crate::auth::audit_entries(c, i64::from(limit)).map_err(ApiError::from))
            .await
            .gql()?;
        Ok(rows.into_iter().map(AuditEntry).collect())
    }

    /// Data-quality findings: figures in the reports that do not agree with each other.
    /// Optionally only one rule's (`sum_of_parts`, `range`, ...) or one source's.
    async fn quality_findings(
        &self,
        ctx: &Context<'_>,
        rule: Option<String>,
        source: Option<String>,
    ) -> Result<Vec<QualityFinding>> {
        let rows = db(ctx)?
            .run(move |c| {
                let source_id = match source {
                    Some(code) => Some(
                        queries::source_by_code(c, &code)?
                            .ok_or(ApiError::NotFound {
                                kind: "source",
                                code,
                            })?
                            .id,
                    ),
                    None => None,
                };
                Ok::<_, ApiError>(queries::findings_list(c, rule.as_deref(), source_id)?)
            })
            .await
            .gql()?;
        let ids: Vec<models::FindingId> = rows.iter().map(|f| f.id).collect();
        prefetch::observations_of(
            ctx,
            ids.iter().map(|f| ObservationsOfFinding(*f)).collect(),
            ctx.look_ahead(),
        )
        .await?;
        let ids = rows.iter().map(|f| ObservationsOfFinding(f.id)).collect();
        prefetch::observations_of(ctx, ids, ctx.look_ahead()).await?;
        Ok(rows.into_iter().map(QualityFinding).collect())
    }
}
