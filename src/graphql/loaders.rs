//! DataLoaders: every nested field (an observation's district, a district's observations, ...)
//! is fetched through here, so a page of N observations costs one query per kind of relation,
//! not N. A loader is created per request (see [`new_loaders`]) so nothing is cached across
//! requests, and each batch returns an entry for every key (an empty list where nothing
//! matches), so a missing relation can be told apart from a failed load. The look-ups built on
//! these loaders (an indicator by code, the latest values) are in [`super::lookups`].

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::analytics;
use crate::db::models::*;
use crate::db::{queries, Db, DbConnection};
use crate::domain::ObservationKind;
use crate::error::ApiError;

/// The batch function shared by all loaders: runs a query for all keys on the blocking pool.
pub struct DbLoader {
    db: Db,
}

/// The per-request loader.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// How long a loader collects keys before querying (for relations not prefetched).
pub const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

/// Builds the loader for one request. Its cache lives as long as the request, so prefetched
/// relations ([`super::prefetch`]) answer the per-row loads.
pub fn new_loaders(db: Db) -> Loaders {
    // The batch window only matters for relations the list resolvers do not prefetch (see
    // `prefetch`): it is what sibling resolvers share. It is also latency added to every such
    // round, hence short.
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
        .delay(BATCH_WINDOW)
}

/// Declares loader keys that wrap the id of a parent: its relation's rows are what they load.
macro_rules! parent_keys {
    ($( $(#[$doc:meta])* $name:ident($id:ty); )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub struct $name(pub $id);
        )*
    };
}

parent_keys! {
    /// Key: the observations of a district.
    ObservationsOfDistrict(DistrictId);
    /// Key: the observations taken from a source.
    ObservationsOfSource(SourceId);
    /// Key: the observations a finding involves.
    ObservationsOfFinding(FindingId);
    /// Key: the findings involving an observation.
    FindingsOfObservation(ObservationId);
    /// Key: the breakdown dimensions of an indicator.
    DimensionsOfIndicator(IndicatorId);
    /// Key: the standards of an indicator.
    StandardsOfIndicator(IndicatorId);
    /// Key: which districts and years have data for an indicator.
    CoverageOfIndicator(IndicatorId);
    /// Key: what rankings of an indicator can rank (kind, breakdown, district, year).
    RankableOfIndicator(IndicatorId);
}

impl DbLoader {
    async fn by_id<K, V, F, G>(
        &self,
        keys: &[K],
        query: F,
        key_of: G,
    ) -> Result<HashMap<K, V>, ApiError>
    where
        K: Copy + Eq + Hash + Send + Sync + 'static,
        V: Send + 'static,
        F: FnOnce(&mut DbConnection, &[K]) -> diesel::QueryResult<Vec<V>> + Send + 'static,
        G: Fn(&V) -> K + Send + 'static,
    {
        let keys = keys.to_vec();
        self.db
            .run(move |conn| {
                let rows = query(conn, &keys).map_err(ApiError::from)?;
                Ok(rows.into_iter().map(|v| (key_of(&v), v)).collect())
            })
            .await
    }

    /// Loads rows for a one-to-many relation and groups them, with an entry for every key.
    async fn grouped<K, V, F>(&self, keys: &[K], query: F) -> Result<HashMap<K, Vec<V>>, ApiError>
    where
        K: Copy + Eq + Hash + Send + Sync + 'static,
        V: Send + 'static,
        F: FnOnce(&mut DbConnection, &[K]) -> diesel::QueryResult<Vec<(K, V)>> + Send + 'static,
    {
        let keys = keys.to_vec();
        self.db
            .run(move |conn| {
                let rows = query(conn, &keys).map_err(ApiError::from)?;
                let mut out: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
                for (k, v) in rows {
                    out.entry(k).or_default().push(v);
                }
                Ok(out)
            })
            .await
    }
}

macro_rules! by_id_loader {
    ($key:ty, $value:ty, $query:path) => {
        impl Loader<$key> for DbLoader {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, ApiError> {
                self.by_id(keys, |c, k| $query(c, k), |v: &$value| v.id)
                    .await
            }
        }
    };
}

/// A one-to-many loader: the key wraps a parent id, and `$pair` turns each row of `$query`
/// into (parent id, value). Every key gets an entry, empty when nothing matches.
macro_rules! grouped_loader {
    ($key:ident => $value:ty, $query:path, $pair:expr) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$value>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Vec<$value>>, ApiError> {
                self.grouped(keys, |c, k| {
                    let ids: Vec<_> = k.iter().map(|k| k.0).collect();
                    Ok($query(c, &ids)?
                        .into_iter()
                        .map($pair)
                        .map(|(parent, v)| ($key(parent), v))
                        .collect())
                })
                .await
            }
        }
    };
}

impl Loader<DistrictId> for DbLoader {
    type Value = District;
    type Error = ApiError;

    async fn load(&self, keys: &[DistrictId]) -> Result<HashMap<DistrictId, District>, ApiError> {
        // From the catalogue snapshot when one is held: no trip through the blocking pool,
        // which was most of what the districts of a ranking's entries cost.
        if let Some(catalogue) = self.db.catalogue() {
            let found = keys.iter().filter_map(|k| catalogue.district(*k));
            return Ok(found.map(|d| (d.id, d.clone())).collect());
        }
        self.by_id(keys, queries::districts_by_ids, |v: &District| v.id)
            .await
    }
}
by_id_loader!(IndicatorId, Indicator, queries::indicators_by_ids);
by_id_loader!(PeriodId, Period, queries::periods_by_ids);
by_id_loader!(SourceId, Source, queries::sources_by_ids);

impl Loader<BreakdownId> for DbLoader {
    type Value = Vec<BreakdownMember>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[BreakdownId],
    ) -> Result<HashMap<BreakdownId, Self::Value>, ApiError> {
        self.grouped(keys, queries::breakdown_members).await
    }
}

grouped_loader!(ObservationsOfDistrict => Observation, queries::observations_by_districts, |o| (o.district_id, o));

grouped_loader!(ObservationsOfSource => Observation, queries::observations_by_sources, |o| (o.source_id, o));

grouped_loader!(ObservationsOfFinding => Observation, queries::observations_by_findings, |(f, o)| (f, o));

grouped_loader!(FindingsOfObservation => Finding, queries::findings_by_observations, |(o, f)| (o, f));

grouped_loader!(DimensionsOfIndicator => String, queries::indicator_dimensions, |(i, d)| (i, d));

grouped_loader!(StandardsOfIndicator => Standard, queries::standards_by_indicators, |(i, s)| (i, s));

grouped_loader!(CoverageOfIndicator => (DistrictId, i32), queries::coverage, |(i, d, y)| (i, (d, y)));

grouped_loader!(RankableOfIndicator => queries::RankableRow, queries::rankable, |(i, r)| (i, r));

/// Key: the Chinese translation of an observation's note, by observation key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteZhOf(pub String);

impl Loader<NoteZhOf> for DbLoader {
    /// (SHA-256 of the English note translated, the translation).
    type Value = (String, String);
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[NoteZhOf],
    ) -> Result<HashMap<NoteZhOf, (String, String)>, ApiError> {
        let keys: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        self.db
            .run(move |c| {
                Ok(queries::note_translations(c, &keys)?
                    .into_iter()
                    .map(|(k, sha, zh)| (NoteZhOf(k), (sha, zh)))
                    .collect())
            })
            .await
    }
}

/// Key: an indicator by its code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndicatorByCode(pub String);

impl Loader<IndicatorByCode> for DbLoader {
    type Value = Indicator;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[IndicatorByCode],
    ) -> Result<HashMap<IndicatorByCode, Indicator>, ApiError> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        self.db
            .run(move |c| {
                Ok(queries::indicators_by_codes(c, &codes)?
                    .into_iter()
                    .map(|i| (IndicatorByCode(i.code.clone()), i))
                    .collect())
            })
            .await
    }
}

/// Key: a breakdown by its canonical code (`dimension=member;...`, dimensions sorted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BreakdownByCode(pub String);

/// What a breakdown code resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakdownLookup {
    /// Values use this breakdown.
    Found(BreakdownId),
    /// Valid members, but no value uses this combination.
    Unused,
    /// A member that does not exist (`dimension=member`).
    UnknownMember(String),
}

impl Loader<BreakdownByCode> for DbLoader {
    type Value = BreakdownLookup;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[BreakdownByCode],
    ) -> Result<HashMap<BreakdownByCode, BreakdownLookup>, ApiError> {
        let keys = keys.to_vec();
        self.db
            .run(move |c| {
                let members: std::collections::HashSet<(String, String)> =
                    queries::all_members(c)?.into_iter().collect();
                let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
                let found: HashMap<String, BreakdownId> = queries::breakdowns_by_codes(c, &codes)?
                    .into_iter()
                    .map(|(id, code)| (code, id))
                    .collect();
                Ok(keys
                    .into_iter()
                    .map(|k| {
                        let unknown = k.0.split(';').filter(|p| !p.is_empty()).find(|p| {
                            p.split_once('=').is_none_or(|(d, m)| {
                                !members.contains(&(d.to_string(), m.to_string()))
                            })
                        });
                        let v = match (unknown, found.get(&k.0)) {
                            (Some(p), _) => BreakdownLookup::UnknownMember(p.to_string()),
                            (None, Some(id)) => BreakdownLookup::Found(*id),
                            (None, None) => BreakdownLookup::Unused,
                        };
                        (k, v)
                    })
                    .collect())
            })
            .await
    }
}

/// Key: each district's latest value of an indicator on or before a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestValues {
    /// Indicator.
    pub indicator: IndicatorId,
    /// Exact breakdown.
    pub breakdown: BreakdownId,
    /// Kind (`actual`, ...).
    pub kind: ObservationKind,
    /// Latest year considered.
    pub on_or_before: i32,
}

impl Loader<LatestValues> for DbLoader {
    type Value = Vec<queries::ValueRow>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[LatestValues],
    ) -> Result<HashMap<LatestValues, Self::Value>, ApiError> {
        let keys = keys.to_vec();
        self.db
            .run(move |c| {
                // One query per distinct (breakdown, kind, year) among the keys: usually one.
                let mut groups: HashMap<(BreakdownId, ObservationKind, i32), Vec<IndicatorId>> =
                    HashMap::new();
                for k in &keys {
                    groups
                        .entry((k.breakdown, k.kind, k.on_or_before))
                        .or_default()
                        .push(k.indicator);
                }
                let mut out: HashMap<LatestValues, Self::Value> =
                    keys.iter().map(|k| (*k, Vec::new())).collect();
                for ((breakdown, kind, on_or_before), indicators) in groups {
                    let rows = queries::chosen_values(
                        c,
                        &queries::ValueFilter {
                            indicators: &indicators,
                            districts: None,
                            kind,
                            breakdown,
                            years: (*analytics::YEARS.start(), on_or_before),
                            as_of: None,
                        },
                        queries::Group::District,
                    )?;
                    let mut by_indicator: HashMap<IndicatorId, Vec<queries::ValueRow>> =
                        HashMap::new();
                    for r in rows {
                        by_indicator
                            .entry(r.observation.indicator_id)
                            .or_default()
                            .push(r);
                    }
                    for (indicator, rows) in by_indicator {
                        let key = LatestValues {
                            indicator,
                            breakdown,
                            kind,
                            on_or_before,
                        };
                        // One row per district already; district order as before.
                        let mut rows = rows;
                        rows.sort_by_key(|r| r.observation.district_id);
                        out.insert(key, rows);
                    }
                }
                Ok(out)
            })
            .await
    }
}

/// Key: the earlier revisions of an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RevisionsOfObservation(pub ObservationId);

grouped_loader!(RevisionsOfObservation => ObservationRevision, queries::revisions_of, |r| (r.observation_id, r));

/// Key: the full text of a source (kept out of [`Source`] so listings do not carry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextOfSource(pub SourceId);

impl Loader<TextOfSource> for DbLoader {
    type Value = String;
    type Error = ApiError;

    async fn load(&self, keys: &[TextOfSource]) -> Result<HashMap<TextOfSource, String>, ApiError> {
        self.by_id(
            keys,
            |c, k| {
                let ids: Vec<SourceId> = k.iter().map(|k| k.0).collect();
                queries::source_bodies(c, &ids)
            },
            |(id, _): &(SourceId, String)| TextOfSource(*id),
        )
        .await
        .map(|m| m.into_iter().map(|(k, (_, body))| (k, body)).collect())
    }
}

/// Key: the targets of a district compared with its actuals (see
/// [`analytics::progress_of`]), with actuals up to the end of a year if given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TargetsOfDistrict(pub DistrictId, pub Option<i32>);

impl Loader<TargetsOfDistrict> for DbLoader {
    type Value = Vec<analytics::TargetProgress>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[TargetsOfDistrict],
    ) -> Result<HashMap<TargetsOfDistrict, Self::Value>, ApiError> {
        let keys = keys.to_vec();
        self.db
            .run(move |c| {
                // One comparison per distinct year asked for, each over all the keys' districts.
                let mut years: Vec<Option<i32>> = keys.iter().map(|k| k.1).collect();
                years.sort();
                years.dedup();
                let mut out: HashMap<TargetsOfDistrict, Self::Value> =
                    keys.iter().map(|k| (*k, Vec::new())).collect();
                for year in years {
                    let ids: Vec<DistrictId> =
                        keys.iter().filter(|k| k.1 == year).map(|k| k.0).collect();
                    for row in analytics::progress_of(c, None, Some(&ids), year, None)? {
                        let key = TargetsOfDistrict(row.target.observation.district_id, year);
                        out.entry(key).or_default().push(row);
                    }
                }
                Ok(out)
            })
            .await
    }
}
