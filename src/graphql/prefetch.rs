//! Look-ahead prefetching, the machinery. The DataLoader batches by a time window, which costs
//! that window in latency at every level and is not deterministic: on a loaded machine a page's
//! keys can straddle two windows. Resolvers that return lists therefore look at the selection
//! set, load every requested relation for the whole list at once (calling the batch function
//! directly, so there is no window to wait for), and feed the results into the loader's
//! per-request cache, which then answers the per-row `load_one` calls. The result: one
//! statement per relation, whatever the page size or the machine's load.
//!
//! What to prefetch is decided next to the resolvers it serves, in each object's module, which
//! reads the fields it looks ahead for through [`LookaheadExt::at`]; their names are declared
//! once in `fields.rs`, and `graphql::tests` checks every such name against the schema.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{InputType, Lookahead, SelectionField};

use super::loaders::{DbLoader, Loaders};
use crate::error::ApiError;

/// A field of a GraphQL type that a prefetch looks ahead for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The GraphQL type that has the field, e.g. `Observation`.
    pub ty: &'static str,
    /// The field's GraphQL name, e.g. `qualityFlags`.
    pub name: &'static str,
}

/// Selection look-ups by declared [`Field`] rather than by a bare string.
pub trait LookaheadExt<'a> {
    /// The sub-selection of `field` (absent when the query does not select it).
    fn at(&self, field: Field) -> Lookahead<'a>;
    /// Whether the query selects `field`.
    fn wants(&self, field: Field) -> bool;
}

impl<'a> LookaheadExt<'a> for Lookahead<'a> {
    fn at(&self, field: Field) -> Lookahead<'a> {
        self.field(field.name)
    }

    fn wants(&self, field: Field) -> bool {
        self.field(field.name).exists()
    }
}

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
    let mut seen = HashSet::new();
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

/// Loads `keys` when `wanted`, the way `mode` says.
pub(crate) async fn load_if<K>(
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

/// Loads one key the way `mode` says: for the steps of a chain of look-ups (a code, then what
/// it names) that a prefetch runs directly and a resolver runs through the loader.
pub(crate) async fn one<K>(
    loaders: &Loaders,
    mode: Mode,
    key: K,
) -> Result<Option<<DbLoader as Loader<K>>::Value>, ApiError>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = ApiError>,
{
    match mode {
        Mode::Direct => Ok(fetch(loaders, vec![key.clone()]).await?.remove(&key)),
        Mode::Cached => loaders.load_one(key).await,
    }
}

/// The argument `name` of a selected field as its resolver would read it (variables resolved,
/// coerced to `T`, absent as `T`'s parse of nothing). `Err(())` when it cannot be read or
/// coerced: the resolver refuses it then, with its path, so a prefetch just skips that field.
pub(crate) fn argument<T: InputType>(field: &SelectionField<'_>, name: &str) -> Result<T, ()> {
    let args = field.arguments().map_err(drop)?;
    let value = args
        .into_iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v);
    T::parse(value).map_err(drop)
}
