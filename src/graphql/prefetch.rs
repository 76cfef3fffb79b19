//! Look-ahead prefetching. The DataLoader batches by a time window, which is efficient but not
//! deterministic: on a loaded machine a page's keys can straddle two windows. Resolvers that
//! return lists of observations therefore look at the selection set and load every requested
//! relation for the whole list with one `load_many` per relation before returning; the loader's
//! per-request cache then answers the per-row `load_one` calls. The result: a fixed number of
//! statements per relation, whatever the page size or the machine's load.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Lookahead, Result};

use super::loaders::*;
use crate::db::models::{self, DistrictId, IndicatorId, PeriodId};
use crate::error::{ApiError, GqlResultExt};

async fn load_if<K>(
    loaders: &Loaders,
    wanted: bool,
    keys: Vec<K>,
) -> Result<HashMap<K, <DbLoader as Loader<K>>::Value>, ApiError>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = ApiError>,
{
    if !wanted || keys.is_empty() {
        return Ok(HashMap::new());
    }
    loaders.load_many(keys).await
}

/// Prefetches what `node` (the selection of one observation) asks for, for all `obs`.
pub async fn observations(
    ctx: &Context<'_>,
    obs: &[models::Observation],
    node: Lookahead<'_>,
) -> Result<()> {
    if obs.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let want = |f: &str| node.field(f).exists();
    let mut periods: Vec<PeriodId> = Vec::new();
    if want("period") || want("year") {
        periods.extend(obs.iter().map(|o| o.period_id));
    }
    if want("basePeriod") {
        periods.extend(obs.iter().filter_map(|o| o.base_period_id.map(PeriodId)));
    }
    let (districts, indicators, sources, _, _, _) = tokio::try_join!(
        load_if(
            loaders,
            want("district"),
            obs.iter().map(|o| o.district_id).collect()
        ),
        load_if(
            loaders,
            want("indicator") || want("unit"),
            obs.iter().map(|o| o.indicator_id).collect()
        ),
        load_if(
            loaders,
            want("source"),
            obs.iter().map(|o| o.source_id).collect()
        ),
        load_if(loaders, !periods.is_empty(), periods),
        load_if(
            loaders,
            want("breakdown"),
            obs.iter().map(|o| o.breakdown_id).collect()
        ),
        load_if(
            loaders,
            want("qualityFlags"),
            obs.iter().map(|o| FindingsOfObservation(o.id)).collect()
        ),
    )
    .gql()?;
    // Second level: the relations dashboards ask for most.
    let parents: Vec<DistrictId> = districts
        .values()
        .filter_map(|d| d.parent_id.map(DistrictId))
        .collect();
    let source_districts: Vec<DistrictId> = sources.values().map(|s| s.district_id).collect();
    let indicator_ids: Vec<IndicatorId> = indicators.keys().copied().collect();
    let mut second_districts = Vec::new();
    if node.field("district").field("parent").exists() {
        second_districts.extend(parents);
    }
    if node.field("source").field("district").exists() {
        second_districts.extend(source_districts);
    }
    tokio::try_join!(
        load_if(loaders, !second_districts.is_empty(), second_districts),
        load_if(
            loaders,
            node.field("indicator").field("dimensions").exists(),
            indicator_ids
                .iter()
                .map(|i| DimensionsOfIndicator(*i))
                .collect()
        ),
        load_if(
            loaders,
            node.field("indicator").field("coverage").exists(),
            indicator_ids
                .iter()
                .map(|i| CoverageOfIndicator(*i))
                .collect()
        ),
    )
    .gql()?;
    Ok(())
}

/// Prefetches the districts (and their requested relations) that `node` asks for.
pub async fn districts(ctx: &Context<'_>, ids: Vec<DistrictId>, node: Lookahead<'_>) -> Result<()> {
    if !node.exists() || ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let loaded = loaders.load_many(ids).await.gql()?;
    if node.field("parent").exists() {
        let parents: Vec<DistrictId> = loaded
            .values()
            .filter_map(|d| d.parent_id.map(DistrictId))
            .collect();
        load_if(loaders, true, parents).await.gql()?;
    }
    Ok(())
}

/// For a list of districts: prefetches their observations (when selected) and those
/// observations' relations.
pub async fn observations_of_districts(
    ctx: &Context<'_>,
    ids: &[DistrictId],
    node: Lookahead<'_>,
) -> Result<()> {
    let obs_node = node.field("observations");
    if !obs_node.exists() || ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let grouped = loaders
        .load_many(ids.iter().map(|d| ObservationsOfDistrict(*d)))
        .await
        .gql()?;
    let all: Vec<models::Observation> = grouped.into_values().flatten().collect();
    observations(ctx, &all, obs_node).await
}

/// For a list of findings: prefetches their observations (when selected) and relations.
pub async fn observations_of_findings(
    ctx: &Context<'_>,
    ids: &[models::FindingId],
    node: Lookahead<'_>,
) -> Result<()> {
    let obs_node = node.field("observations");
    if !obs_node.exists() || ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let grouped = loaders
        .load_many(ids.iter().map(|f| ObservationsOfFinding(*f)))
        .await
        .gql()?;
    let all: Vec<models::Observation> = grouped.into_values().flatten().collect();
    observations(ctx, &all, obs_node).await
}

/// For a list of sources: prefetches their district when selected.
pub async fn sources(
    ctx: &Context<'_>,
    sources: &[models::Source],
    node: Lookahead<'_>,
) -> Result<()> {
    districts(
        ctx,
        sources.iter().map(|s| s.district_id).collect(),
        node.field("district"),
    )
    .await
}
