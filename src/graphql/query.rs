//! The query root. Resolvers only parse arguments, call [`crate::analytics`] or
//! [`crate::db::queries`] on the blocking pool, and hand the rows to the object modules, which
//! convert them and prefetch what the selection asks for.

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

use super::aggregate::{Aggregate, AggregateGroupBy};
use super::connection::{decode_cursor, ObservationConnection, DEFAULT_PAGE, MAX_PAGE};
use super::context::ContextExt;
use super::draft::Draft;
use super::enums::{ObservationKind, SortOrder};
use super::guard::RoleGuard;
use super::inputs::{breakdown_arg, BreakdownInput, ObservationFilter};
use super::lookups::indicator_by_code;
use super::{district, finding, ranking, source, standard, time_series};
use super::{AuditEntry, ChangeRow, CompareMatrix, District, Indicator, QualityFinding};
use super::{Ranking, Source, Standard, StandardShortfall, TargetProgress, TimeSeries};
use crate::analytics::{self, AnalyticsError, DerivedShares, EntryPage};
use crate::auth::Role;
use crate::db::{format_utc, queries};
use crate::domain::{Category, DraftStatus};
use crate::error::{ApiError, GqlResultExt};
use crate::extract;

/// Read access to the warehouse.
pub struct QueryRoot;

/// Read access to the warehouse: districts, indicators, observations, rankings, changes,
/// comparison matrices, time series, source documents and data-quality findings.
#[Object]
impl QueryRoot {
    /// Every division: the municipality of Chongqing (500000) and its 38 districts and counties,
    /// ordered by code.
    async fn districts(&self, ctx: &Context<'_>) -> Result<Vec<District>> {
        let rows = ctx.run(|c| queries::all_districts(c).map_err(ApiError::from));
        district::list(ctx, rows.await?).await
    }

    /// One division by its code, e.g. `500153`.
    async fn district(&self, ctx: &Context<'_>, code: String) -> Result<District> {
        let found = ctx
            .run(move |c| analytics::resolve_districts(c, std::slice::from_ref(&code)))
            .await?;
        found
            .into_iter()
            .next()
            .map(District::from)
            .ok_or_else(|| ApiError::Internal("empty resolve".into()).into_graphql())
    }

    /// The indicator catalogue. `search` matches the Chinese or English name or the code
    /// (case-insensitive substring); `category` restricts to one category (an unknown category
    /// is `BAD_USER_INPUT` listing the known ones).
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        category: Option<String>,
    ) -> Result<Vec<Indicator>> {
        let category = category
            .map(|c| Category::parse(&c))
            .transpose()
            .map_err(|e| ApiError::BadInput(e.to_string()).into_graphql())?;
        let rows = ctx.run(move |c| {
            queries::search_indicators(c, search.as_deref(), category).map_err(ApiError::from)
        });
        Ok(super::all(rows.await?))
    }

    /// One indicator by code.
    async fn indicator(&self, ctx: &Context<'_>, code: String) -> Result<Indicator> {
        Ok(indicator_by_code(ctx.loaders()?, &code).await.gql()?.into())
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
        let codes = analytics::FilterCodes {
            districts: filter.districts,
            indicators: filter.indicators,
            years: filter.years,
            kinds: filter.kinds,
            sources: filter.sources,
            breakdown,
        };
        let (rows, more, total) = ctx
            .run(move |c| {
                let mut q = analytics::resolve_observation_filter(c, &codes)?;
                q.as_of = as_of.map(format_utc);
                // One extra row tells whether another page follows.
                let (mut rows, total) =
                    queries::observations_page(c, &q, after, i64::from(first) + 1)?;
                let more = rows.len() > first as usize;
                rows.truncate(first as usize);
                Ok::<_, AnalyticsError>((rows, more, total))
            })
            .await?;
        ObservationConnection::build(ctx, rows, more, total).await
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
    ///
    /// `districts`, `first` and `after` choose which entries are returned, not what is ranked:
    /// ranks, percentiles, `stats`, `rankedCount`, `coverage` and `missing` always cover every
    /// district and county.
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
        #[graphql(
            default = false,
            desc = "Also rank districts with no reported value by the value derived from the indicator's numerator and denominator (actual values of a share only); such entries say `derived: true`, have no `observation`, and carry their `inputs`."
        )]
        include_derived: bool,
        #[graphql(
            desc = "Return only the entries of these districts, each with its rank among all (a district without a value is in `missing`). Unknown codes are NOT_FOUND."
        )]
        districts: Option<Vec<String>>,
        #[graphql(desc = "Return at most this many entries (0 or more; all when omitted).")]
        first: Option<i32>,
        #[graphql(
            desc = "Return the entries after this cursor (`RankingEntry.cursor`, `Ranking.pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Compare each entry's value with the district's value of this earlier year (`RankingEntry.change`), chosen by the same rule; with `latestOnOrBefore` the entry's value may be of a year before `year`."
        )]
        compare_with: Option<i32>,
    ) -> Result<Ranking> {
        let as_of = as_of.map(format_utc);
        let breakdown = breakdown_arg(breakdown)?;
        let first = match first {
            Some(n) => Some(usize::try_from(n).map_err(|_| {
                ApiError::BadInput(format!("first must be 0 or more, got {n}")).into_graphql()
            })?),
            None => None,
        };
        let after = after
            .as_deref()
            .map(ranking::decode_cursor)
            .transpose()
            .map_err(ApiError::into_graphql)?;
        let selection = ctx.look_ahead();
        let derived = match (include_derived, ranking::wants_derivations(&selection)) {
            (true, _) => DerivedShares::Ranked,
            (false, true) => DerivedShares::Beside,
            (false, false) => DerivedShares::Skip,
        };
        let full_rows = ranking::wants_full_rows(&selection);
        let list_missing = ranking::wants_missing(&selection);
        let r = ctx.run(move |c| {
            let request = analytics::RankingRequest {
                indicator: &indicator,
                year,
                breakdown: &breakdown,
                order: order.map(Into::into),
                kind,
                latest_on_or_before,
                as_of: as_of.as_deref(),
                page: EntryPage {
                    districts: districts.as_deref(),
                    first,
                    after,
                },
                derived,
                baseline: compare_with,
                list_missing,
            };
            let mut r = analytics::ranking(c, &request)?;
            if full_rows {
                analytics::attach_rows(c, &mut r.entries)?;
            }
            Ok::<_, AnalyticsError>(r)
        });
        Ranking::build(ctx, year, r.await?).await
    }

    /// Change of an indicator between two years, one row per district (the districts given, in
    /// that order, or every district with a value in either year). Uses actual values of the
    /// given breakdown (totals by default), chosen as in `ranking`.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
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
        let (indicator, rows) = ctx
            .run(move |c| {
                let request = analytics::ChangeRequest {
                    indicator: &indicator,
                    from,
                    to,
                    districts: districts.as_deref(),
                    breakdown: &b,
                    as_of: as_of.as_deref(),
                };
                analytics::changes(c, &request)
            })
            .await?;
        ChangeRow::build(ctx, &indicator, rows).await
    }

    /// The districts × indicators matrix a dashboard draws, for one year. With
    /// `latestOnOrBefore`, each cell falls back to the latest earlier year and says which.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
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
        let r = ctx.run(move |c| {
            let request = analytics::CompareRequest {
                districts: &districts,
                indicators: &indicators,
                year,
                breakdown: &b,
                latest_on_or_before,
                as_of: as_of.as_deref(),
            };
            analytics::compare(c, &request)
        });
        CompareMatrix::build(ctx, year, r.await?).await
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
        let want_targets = time_series::wants_targets(&ctx.look_ahead());
        let (d, i, points, targets) = ctx
            .run(move |c| {
                let as_of = as_of.as_deref();
                let request = analytics::SeriesRequest {
                    district: &district,
                    indicator: &indicator,
                    breakdown: &b,
                    kind,
                    as_of,
                };
                let (d, i, points) = analytics::time_series(c, &request)?;
                let targets = match want_targets {
                    true => analytics::series_targets(c, d.id, i.id, &b, as_of)?,
                    false => Vec::new(),
                };
                Ok::<_, AnalyticsError>((d, i, points, targets))
            })
            .await?;
        TimeSeries::build(ctx, d, i, points, targets).await
    }

    /// Targets against actuals. Each target (observation of kind TARGET) of `indicator` (every
    /// indicator when omitted) about `districts` (every district when omitted), in every
    /// breakdown, is paired with the latest actual of the same district, indicator and
    /// breakdown whose period ends on or before the end of the target's period (and, with
    /// `year`, no later than the end of that year; a half-year actual counts). It says the gap,
    /// whether the target is met (its qualifier first, then the indicator's direction), and for
    /// a target still ahead the change per year needed against the change per year so far.
    /// Ordered by district code, indicator code, then the target's date.
    async fn progress(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
        districts: Option<Vec<String>>,
        year: Option<i32>,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Vec<TargetProgress>> {
        let as_of = as_of.map(format_utc);
        let rows = ctx.run(move |c| {
            let request = analytics::TargetsRequest {
                indicator: indicator.as_deref(),
                districts: districts.as_deref(),
                year,
                as_of: as_of.as_deref(),
            };
            analytics::progress(c, &request)
        });
        TargetProgress::build(ctx, rows.await?, ctx.look_ahead()).await
    }

    /// Distribution of one indicator across districts in one year: count, mean, median,
    /// p10/p25/p75/p90, min, max, and a sum only when the catalogue declares the indicator
    /// additive (never for a rate or a per-student amount). One value per district, chosen as in `ranking`; with `latestOnOrBefore` each
    /// district's latest value in or before `year`. `groupBy`: PARENT (default) or LEVEL over
    /// the 38 districts and counties, or DISTRICTS for the peer group listed in `districts`.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    async fn aggregate(
        &self,
        ctx: &Context<'_>,
        indicator: String,
        year: i32,
        #[graphql(default_with = "AggregateGroupBy::Parent")] group_by: AggregateGroupBy,
        districts: Option<Vec<String>>,
        breakdown: Option<Vec<BreakdownInput>>,
        #[graphql(default = false)] latest_on_or_before: bool,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Aggregate> {
        if districts.is_some() && group_by != AggregateGroupBy::Districts {
            return Err(ApiError::BadInput(
                "districts is only read with groupBy: DISTRICTS".into(),
            )
            .into_graphql());
        }
        let as_of = as_of.map(format_utc);
        let b = breakdown_arg(breakdown)?;
        let group = group_by.with(districts);
        let (i, groups) = ctx
            .run(move |c| {
                let request = analytics::AggregateRequest {
                    indicator: &indicator,
                    year,
                    group_by: &group,
                    breakdown: &b,
                    latest_on_or_before,
                    as_of: as_of.as_deref(),
                };
                analytics::aggregate(c, &request)
            })
            .await?;
        Aggregate::build(ctx, year, i, groups).await
    }

    /// The standards catalogue (norms with the document that sets each and the quote of the
    /// seed report that states or cites it), by code; with `indicator`, that indicator's.
    async fn standards(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
    ) -> Result<Vec<Standard>> {
        let rows = ctx.run(move |c| analytics::standards(c, indicator.as_deref()));
        standard::list(ctx, rows.await?).await
    }

    /// Where districts fall short of a standard in `year` (with `latestOnOrBefore`, each
    /// district's latest value in or before `year`): one actual value per district and
    /// breakdown the standard covers, chosen as in `ranking`, listed when it misses the
    /// threshold. Ordered by district code, then breakdown. A standard that prints no
    /// threshold cannot be checked: BAD_USER_INPUT.
    async fn standard_shortfalls(
        &self,
        ctx: &Context<'_>,
        standard: String,
        year: i32,
        #[graphql(default = false)] latest_on_or_before: bool,
        #[graphql(
            desc = "Answer as the warehouse was at this instant: earlier revisions of figures corrected since, and no observation recorded later."
        )]
        as_of: Option<DateTime<Utc>>,
    ) -> Result<Vec<StandardShortfall>> {
        let as_of = as_of.map(format_utc);
        let rows = ctx.run(move |c| {
            let request = analytics::ShortfallRequest {
                standard: &standard,
                year,
                latest_on_or_before,
                as_of: as_of.as_deref(),
            };
            analytics::standard_shortfalls(c, &request)
        });
        standard::shortfalls(ctx, rows.await?).await
    }

    /// Every source document.
    async fn sources(&self, ctx: &Context<'_>) -> Result<Vec<Source>> {
        let rows = ctx.run(|c| queries::all_sources(c).map_err(ApiError::from));
        source::list(ctx, rows.await?).await
    }

    /// One source document by code, with its text and observations.
    async fn source(&self, ctx: &Context<'_>, code: String) -> Result<Source> {
        let s = ctx.run(move |c| {
            queries::source_by_code(c, &code)?.ok_or(ApiError::NotFound {
                kind: "source",
                code,
            })
        });
        Ok(s.await?.into())
    }

    /// The audit log, newest first: every import, correction and key change (admin key
    /// required).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] limit: i32,
    ) -> Result<Vec<AuditEntry>> {
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::BadInput(format!(
                "limit must be between 1 and 1000, got {limit}"
            ))
            .into_graphql());
        }
        let rows = ctx
            .run(move |c| crate::auth::audit_entries(c, i64::from(limit)).map_err(ApiError::from));
        Ok(super::all(rows.await?))
    }

    /// Data-quality findings: figures in the reports that do not agree with each other.
    /// Optionally only one rule's (`sum_of_parts`, `range`, ...) or one source's.
    async fn quality_findings(
        &self,
        ctx: &Context<'_>,
        rule: Option<String>,
        source: Option<String>,
    ) -> Result<Vec<QualityFinding>> {
        let rows = ctx
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
            .await?;
        finding::list(ctx, rows).await
    }

    /// Review drafts, newest first, optionally of one status (editor key required: drafts
    /// are not public).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn drafts(&self, ctx: &Context<'_>, status: Option<DraftStatus>) -> Result<Vec<Draft>> {
        // Items only when asked for: a list of every draft with all its items is large.
        let items = ctx.look_ahead().field("items").exists();
        let repeats = ctx.look_ahead().field("repeats").exists();
        let (list, found) = ctx
            .run(move |c| {
                let list = extract::drafts::list(c, status, items)?;
                let found = match repeats {
                    true => extract::drafts::repeats(c, &list)?,
                    false => Vec::new(),
                };
                Ok::<_, extract::drafts::DraftError>((list, found))
            })
            .await?;
        Ok(super::draft::with_repeats(list, found))
    }

    /// One review draft with its items (editor key required).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn draft(&self, ctx: &Context<'_>, id: i32) -> Result<Draft> {
        let repeats = ctx.look_ahead().field("repeats").exists();
        let d = ctx.run(move |c| {
            let d = extract::drafts::get(c, id)?;
            extract::drafts::with_repeats(c, d, repeats)
        });
        let (d, found) = d.await?;
        Ok(Draft::new(d, found))
    }
}
