//! The observation queries: pages of the observations connection (with `asOf` overlays),
//! revisions, observations by key, district and source, and the values year-based questions
//! choose from. Synchronous, one statement per call whatever the number of keys.

use diesel::prelude::*;

use super::ids;
use crate::db::backend::{DbConnection, MultiBackend};
use crate::db::models::*;
use crate::db::schema::*;
use crate::domain::{ObservationKind, PeriodKind};

/// Resolved filter for the observations connection. `None` means "no restriction"; an empty
/// list means "nothing matches".
#[derive(Debug, Clone, Default)]
pub struct ObservationQuery {
    /// Districts.
    pub districts: Option<Vec<DistrictId>>,
    /// Indicators.
    pub indicators: Option<Vec<IndicatorId>>,
    /// Years of the reference period.
    pub years: Option<Vec<i32>>,
    /// Exact breakdown.
    pub breakdowns: Option<Vec<BreakdownId>>,
    /// Kinds (`actual`, ...).
    pub kinds: Option<Vec<ObservationKind>>,
    /// Sources.
    pub sources: Option<Vec<SourceId>>,
    /// Show the warehouse as it was at this instant (ISO 8601 UTC, stored format).
    pub as_of: Option<String>,
}

fn filtered(q: &ObservationQuery) -> observations::BoxedQuery<'static, MultiBackend> {
    let mut query = observations::table.into_boxed::<MultiBackend>();
    if let Some(d) = &q.districts {
        query = query.filter(observations::district_id.eq_any(ids(d, |k| k.0)));
    }
    if let Some(i) = &q.indicators {
        query = query.filter(observations::indicator_id.eq_any(ids(i, |k| k.0)));
    }
    if let Some(b) = &q.breakdowns {
        query = query.filter(observations::breakdown_id.eq_any(ids(b, |k| k.0)));
    }
    if let Some(s) = &q.sources {
        query = query.filter(observations::source_id.eq_any(ids(s, |k| k.0)));
    }
    if let Some(k) = &q.kinds {
        query = query.filter(observations::kind.eq_any(k.iter().map(|k| k.as_str())));
    }
    if let Some(t) = &q.as_of {
        query = query.filter(observations::created_at.le(t.clone()));
    }
    if let Some(y) = &q.years {
        query = query.filter(
            observations::period_id.eq_any(
                periods::table
                    .filter(periods::year.eq_any(y.clone()))
                    .select(periods::id),
            ),
        );
    }
    query
}

/// One page of observations in id order, after `after` (keyset pagination: stable under
/// inserts), plus the total number matching the filter. Two statements.
pub fn observations_page(
    conn: &mut DbConnection,
    q: &ObservationQuery,
    after: Option<ObservationId>,
    limit: i64,
) -> QueryResult<(Vec<Observation>, i64)> {
    let total: i64 = filtered(q).count().get_result(conn)?;
    Ok((observations_after(conn, q, after, limit)?, total))
}

/// One page of observations in id order, after `after`, without the total: what the CSV export
/// reads (a count per page would scan every matching row again for each page). One statement
/// (two with `asOf` when a row was corrected since).
pub fn observations_after(
    conn: &mut DbConnection,
    q: &ObservationQuery,
    after: Option<ObservationId>,
    limit: i64,
) -> QueryResult<Vec<Observation>> {
    let mut page = filtered(q)
        .select(Observation::as_select())
        .order(observations::id.asc())
        .limit(limit);
    if let Some(after) = after {
        page = page.filter(observations::id.gt(after.0));
    }
    let mut rows = page.load(conn)?;
    if let Some(t) = &q.as_of {
        overlay_as_of(conn, &mut rows, t)?;
    }
    Ok(rows)
}

/// For each of `ids` that has earlier observations with the same key (district, indicator,
/// period, breakdown, kind), how many: what numbers the figures of one key (two reports, or one
/// report printing two figures for the same thing) apart in the statistical exports. Counted
/// over the whole warehouse, not a filter's selection, so a figure's number does not depend on
/// the query. One statement; rows without an earlier twin are absent.
pub fn earlier_same_key(
    conn: &mut DbConnection,
    ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, i64>> {
    // `observations` is the earlier figure, `page` the page's row. `id + 0` keeps SQLite's
    // planner (which has no statistics) from choosing an index for the id range (the period's,
    // a thousand times slower on 170,000 rows) over the covering index on the whole key.
    let page = diesel::alias!(observations as page);
    let pairs: Vec<i32> = observations::table
        .inner_join(
            page.on(page
                .field(observations::district_id)
                .eq(observations::district_id)
                .and(
                    page.field(observations::indicator_id)
                        .eq(observations::indicator_id),
                )
                .and(
                    page.field(observations::period_id)
                        .eq(observations::period_id),
                )
                .and(
                    page.field(observations::breakdown_id)
                        .eq(observations::breakdown_id),
                )
                .and(page.field(observations::kind).eq(observations::kind))
                .and((observations::id + 0).lt(page.field(observations::id)))),
        )
        .filter(page.field(observations::id).eq_any(ids.to_vec()))
        .select(page.field(observations::id))
        .load(conn)?;
    let mut counts = std::collections::HashMap::new();
    for id in pairs {
        *counts.entry(id).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Replaces, in `rows`, the content of observations corrected after `as_of` with the revision
/// that was current at `as_of`. One statement (none when nothing was corrected since).
pub fn overlay_as_of(
    conn: &mut DbConnection,
    rows: &mut [Observation],
    as_of: &str,
) -> QueryResult<()> {
    let later: Vec<i32> = rows
        .iter()
        .filter(|o| o.recorded_at.as_str() > as_of)
        .map(|o| o.id.0)
        .collect();
    if later.is_empty() {
        return Ok(());
    }
    let revisions: Vec<ObservationRevision> = observation_revisions::table
        .filter(observation_revisions::observation_id.eq_any(later))
        .filter(observation_revisions::recorded_at.le(as_of))
        .filter(observation_revisions::superseded_at.gt(as_of))
        .select(ObservationRevision::as_select())
        .load(conn)?;
    let by_id: std::collections::HashMap<ObservationId, ObservationRevision> = revisions
        .into_iter()
        .map(|r| (r.observation_id, r))
        .collect();
    for o in rows.iter_mut() {
        if let Some(r) = by_id.get(&o.id) {
            o.value = r.value;
            o.value_text = r.value_text.clone();
            o.reported_unit = r.reported_unit.clone();
            o.qualifier = r.qualifier;
            o.quote = r.quote.clone();
            o.quote_start = r.quote_start;
            o.quote_end = r.quote_end;
            o.note = r.note.clone();
            o.revision = r.revision;
            o.recorded_at = r.recorded_at.clone();
            o.recorded_by = r.recorded_by.clone();
            o.change_reason = r.change_reason.clone();
        }
    }
    Ok(())
}

/// Earlier revisions of each observation given (DataLoader batch), oldest first.
pub fn revisions_of(
    conn: &mut DbConnection,
    keys: &[ObservationId],
) -> QueryResult<Vec<ObservationRevision>> {
    observation_revisions::table
        .filter(observation_revisions::observation_id.eq_any(ids(keys, |k| k.0)))
        .select(ObservationRevision::as_select())
        .order((
            observation_revisions::observation_id,
            observation_revisions::revision,
        ))
        .load(conn)
}

/// An observation by its key.
pub fn observation_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Observation>> {
    observations::table
        .filter(observations::key.eq(key))
        .select(Observation::as_select())
        .first(conn)
        .optional()
}

/// Every observation of the districts given (DataLoader batch), in id order.
pub fn observations_by_districts(
    conn: &mut DbConnection,
    keys: &[DistrictId],
) -> QueryResult<Vec<Observation>> {
    observations::table
        .filter(observations::district_id.eq_any(ids(keys, |k| k.0)))
        .select(Observation::as_select())
        .order(observations::id.asc())
        .load(conn)
}

/// Every observation taken from the sources given (DataLoader batch), in id order.
pub fn observations_by_sources(
    conn: &mut DbConnection,
    keys: &[SourceId],
) -> QueryResult<Vec<Observation>> {
    observations::table
        .filter(observations::source_id.eq_any(ids(keys, |k| k.0)))
        .select(Observation::as_select())
        .order(observations::id.asc())
        .load(conn)
}

/// Every observation's id, indicator and source, in id order: what choosing the extractor's
/// examples needs, without loading the rows.
pub fn observation_refs(
    conn: &mut DbConnection,
) -> QueryResult<Vec<(ObservationId, IndicatorId, SourceId)>> {
    let rows: Vec<(i32, i32, i32)> = observations::table
        .select((
            observations::id,
            observations::indicator_id,
            observations::source_id,
        ))
        .order(observations::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(o, i, s)| (ObservationId(o), IndicatorId(i), SourceId(s)))
        .collect())
}

/// Most ids bound in one statement of [`observations_by_ids`]: under SQLite's limit on bound
/// parameters (32,766) and PostgreSQL's (65,535).
const IDS_PER_STATEMENT: usize = 10_000;

/// The observations with these ids, in id order. One statement per 10,000 ids (the bind
/// limits), so a handful for any catalogue.
pub fn observations_by_ids(
    conn: &mut DbConnection,
    keys: &[ObservationId],
) -> QueryResult<Vec<Observation>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(IDS_PER_STATEMENT) {
        let rows: Vec<Observation> = observations::table
            .filter(observations::id.eq_any(ids(chunk, |k| k.0)))
            .select(Observation::as_select())
            .order(observations::id.asc())
            .load(conn)?;
        out.extend(rows);
    }
    out.sort_by_key(|o| o.id.0);
    Ok(out)
}

/// Period kinds that year-based queries use: whole years, and points in time (a month, e.g.
/// 年底 → `2020-12`) within the year. Spans (half-years, multi-year totals) are not comparable
/// with annual figures and are left out.
pub const YEAR_KINDS: [PeriodKind; 2] = [PeriodKind::Year, PeriodKind::Month];

/// An observation with the period it refers to and the publication date of its source: what
/// rankings, changes, matrices and time series choose from.
#[derive(Debug, Clone)]
pub struct ValueRow {
    /// The observation.
    pub observation: Observation,
    /// Its reference period.
    pub period: Period,
    /// Publication date of its source (ISO), used to prefer the latest report.
    pub published_on: Option<String>,
}

impl From<(Observation, Period, Option<String>)> for ValueRow {
    fn from((observation, period, published_on): (Observation, Period, Option<String>)) -> Self {
        ValueRow {
            observation,
            period,
            published_on,
        }
    }
}

/// Which values a year-based question chooses from.
#[derive(Debug, Clone)]
pub struct ValueFilter<'a> {
    /// Indicators.
    pub indicators: &'a [IndicatorId],
    /// Districts; `None` for all.
    pub districts: Option<&'a [DistrictId]>,
    /// Kind (`actual`, ...).
    pub kind: ObservationKind,
    /// Exact breakdown.
    pub breakdown: BreakdownId,
    /// Inclusive range of years.
    pub years: (i32, i32),
    /// Show the warehouse as it was at this instant.
    pub as_of: Option<&'a str>,
}

/// Values matching `f` whose period is one of [`YEAR_KINDS`], with their period and their
/// source's publication date. One statement, whatever the number of indicators and districts.
pub fn values(conn: &mut DbConnection, f: &ValueFilter<'_>) -> QueryResult<Vec<ValueRow>> {
    let mut query = observations::table
        .inner_join(periods::table)
        .inner_join(sources::table)
        .filter(observations::indicator_id.eq_any(ids(f.indicators, |k| k.0)))
        .filter(observations::kind.eq(f.kind.as_str()))
        .filter(observations::breakdown_id.eq(f.breakdown.0))
        .filter(periods::kind.eq_any(YEAR_KINDS.map(PeriodKind::as_str)))
        .filter(periods::year.between(f.years.0, f.years.1))
        .select((
            Observation::as_select(),
            Period::as_select(),
            sources::published_on,
        ))
        .order(observations::id.asc())
        .into_boxed::<MultiBackend>();
    if let Some(d) = f.districts {
        query = query.filter(observations::district_id.eq_any(ids(d, |k| k.0)));
    }
    if let Some(t) = f.as_of {
        query = query.filter(observations::created_at.le(t.to_string()));
    }
    let rows: Vec<(Observation, Period, Option<String>)> = query.load(conn)?;
    let (mut obs, rest): (Vec<Observation>, Vec<(Period, Option<String>)>) =
        rows.into_iter().map(|(o, p, d)| (o, (p, d))).unzip();
    if let Some(t) = f.as_of {
        overlay_as_of(conn, &mut obs, t)?;
    }
    Ok(obs
        .into_iter()
        .zip(rest)
        .map(|(o, (p, d))| ValueRow::from((o, p, d)))
        .collect())
}

/// Targets and actuals of `indicators` (all when `None`) about `districts` (all when `None`),
/// every breakdown and every period kind (a half-year actual counts against a target), with
/// their periods and their sources' publication dates: what targets are compared with. One
/// statement.
pub fn targets_and_actuals(
    conn: &mut DbConnection,
    indicators: Option<&[IndicatorId]>,
    districts: Option<&[DistrictId]>,
    as_of: Option<&str>,
) -> QueryResult<Vec<ValueRow>> {
    let kinds = [ObservationKind::Target, ObservationKind::Actual].map(ObservationKind::as_str);
    let mut query = observations::table
        .inner_join(periods::table)
        .inner_join(sources::table)
        .filter(observations::kind.eq_any(kinds))
        .select((
            Observation::as_select(),
            Period::as_select(),
            sources::published_on,
        ))
        .order(observations::id.asc())
        .into_boxed::<MultiBackend>();
    if let Some(i) = indicators {
        query = query.filter(observations::indicator_id.eq_any(ids(i, |k| k.0)));
    }
    if let Some(d) = districts {
        query = query.filter(observations::district_id.eq_any(ids(d, |k| k.0)));
    }
    if let Some(t) = as_of {
        query = query.filter(observations::created_at.le(t.to_string()));
    }
    let rows: Vec<(Observation, Period, Option<String>)> = query.load(conn)?;
    let (mut obs, rest): (Vec<Observation>, Vec<(Period, Option<String>)>) =
        rows.into_iter().map(|(o, p, d)| (o, (p, d))).unzip();
    if let Some(t) = as_of {
        overlay_as_of(conn, &mut obs, t)?;
    }
    Ok(obs
        .into_iter()
        .zip(rest)
        .map(|(observation, (period, published_on))| ValueRow {
            observation,
            period,
            published_on,
        })
        .collect())
}
