//! Look-ahead prefetching. The DataLoader batches by a time window, which costs that window in
//! latency at every level and is not deterministic: on a loaded machine a page's keys can
//! straddle two windows. Resolvers that return lists therefore look at the selection set, load
//! every requested relation for the whole list at once (calling the batch function directly, so
//! there is no window to wait for), and feed the results into the loader's per-request cache,
//! which then answers the per-row `load_one` calls. The result: one statement per relation,
//! whatever the page size or the machine's load, and no batching delay on these paths.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Lookahead, Result};

use super::loaders::*;
use crate::db::models::{self, DistrictId, IndicatorId, PeriodId};
use crate::error::{ApiError, GqlResultExt};

/// Loads the `keys` not yet in the request's cache with one call of the batch function (no
/// batching window), primes the cache with them, and returns the values of all `keys`.
pub(crate) async fn fetch<K>(
    loaders: &Loaders,
    keys: Vec<K>,
) -> Result<HashMap<K, <DbLoader as Loader<K>>::Value>, ApiError>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = ApiError>,
{
    let mut out = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let cached = loaders.get_cached_values::<K>();
    let mut missing: Vec<K> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if !seen.insert(k.clone()) {
            continue;
        }
        match cached.get(&k) {
            Some(v) => {
                out.insert(k, v.clone());
            }
            None => missing.push(k),
        }
    }
    if !missing.is_empty() {
        let values = loaders.loader().load(&missing).await?;
        loaders.feed_many(values.clone()).await;
        out.extend(values);
    }
    Ok(out)
}

/// How a prefetch loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From a root resolver: one direct batch call per relation, no batching window.
    Direct,
    /// From a resolver that runs once per item of an outer list: through the loader, so that a
    /// root prefetch already in the cache is reused and sibling items still share one batch.
    Cached,
}

async fn load_if<K>(
    loaders: &Loaders,
    mode: Mode,
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
    match mode {
        Mode::Direct => fetch(loaders, keys).await,
        Mode::Cached => loaders.load_many(keys).await,
    }
}

/// Prefetches what `node` (the selection of one observation) asks for, for all `obs`.
pub async fn observations(
    ctx: &Context<'_>,
    obs: &[models::Observation],
    node: Lookahead<'_>,
    mode: Mode,
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
            mode,
            want("district"),
            obs.iter().map(|o| o.district_id).collect()
        ),
        load_if(
            loaders,
            mode,
            want("indicator") || want("unit"),
            obs.iter().map(|o| o.indicator_id).collect()
        ),
        load_if(
            loaders,
            mode,
            want("source"),
            obs.iter().map(|o| o.source_id).collect()
        ),
        load_if(loaders, mode, !periods.is_empty(), periods),
        load_if(
            loaders,
            mode,
            want("breakdown"),
            obs.iter().map(|o| o.breakdown_id).collect()
        ),
        load_if(
            loaders,
            mode,
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
        load_if(
            loaders,
            mode,
            !second_districts.is_empty(),
            second_districts
        ),
        load_if(
            loaders,
            mode,
            node.field("indicator").field("dimensions").exists(),
            indicator_ids
                .iter()
                .map(|i| DimensionsOfIndicator(*i))
                .collect()
        ),
        load_if(
            loaders,
            mode,
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
    let loaded = fetch(loaders, ids).await.gql()?;
    if node.field("parent").exists() {
        let parents: Vec<DistrictId> = loaded
            .values()
            .filter_map(|d| d.parent_id.map(DistrictId))
            .collect();
        fetch(loaders, parents).await.gql()?;
    }
    Ok(())
}

/// For a list of parents (districts, findings, sources): prefetches their observations, when
/// `node` selects `observations`, and those observations' relations.
pub async fn observations_of<K>(ctx: &Context<'_>, keys: Vec<K>, node: Lookahead<'_>) -> Result<()>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Value = Vec<models::Observation>, Error = ApiError>,
{
    let obs_node = node.field("observations");
    if !obs_node.exists() || keys.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let grouped = fetch(loaders, keys).await.gql()?;
    let all: Vec<models::Observation> = grouped.into_values().flatten().collect();
    observations(ctx, &all, obs_node, Mode::Direct).await
}

/// For a list of sources: prefetches their district and text when selected.
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
    .await?;
    if node.field("text").exists() {
        let loaders = ctx.data::<Loaders>()?;
        fetch(
            loaders,
            sources.iter().map(|s| TextOfSource(s.id)).collect(),
        )
        .await
        .gql()?;
    }
    Ok(())
}
