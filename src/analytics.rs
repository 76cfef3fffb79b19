//! Cross-district questions: ranking, change, comparison matrix, time series, targets against
//! actuals and distributions across districts. Each function
//! is synchronous and takes a connection: it resolves codes, loads candidate values with a
//! fixed number of queries, and hands them to the pure functions in [`crate::stats`].
//! Failures are [`AnalyticsError`]s, mapped to API codes once in [`crate::error`].

use std::collections::{BTreeMap, HashMap};

use crate::db::models::*;
use crate::db::queries::{self, Group, ValueFilter, ValueRow};
use crate::db::{DbConnection, DbError};
use crate::domain::{Breakdown, ObservationKind, Qualifier};
use crate::stats::aggregate::{distribution, percentile_rank_sorted, Distribution};
use crate::stats::change::{change, Gap};
use crate::stats::ranking::{rank, summary, Order, Summary};
use crate::stats::select::{preferred, Candidate};
use crate::stats::targets::{self, Condition, Dated, Progress};

/// Errors of the analytic questions.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// An unknown district, indicator, source or breakdown member.
    #[error("unknown {kind} {code:?}")]
    NotFound {
        /// What was looked up (`district`, `indicator`, ...).
        kind: &'static str,
        /// The code that matched nothing.
        code: String,
    },
    /// An argument is out of range or inconsistent; the message says which and why.
    #[error("{0}")]
    BadInput(String),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AnalyticsError {
    fn from(e: diesel::result::Error) -> Self {
        AnalyticsError::Db(DbError::Query(e))
    }
}

/// Years accepted as arguments.
pub const YEARS: std::ops::RangeInclusive<i32> = 1949..=2100;

/// Checks that argument `name` is a year in [`YEARS`].
pub fn check_year(name: &str, year: i32) -> Result<(), AnalyticsError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(AnalyticsError::BadInput(format!(
            "{name} must be a year between {} and {}, got {year}",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

/// Looks an indicator up by code; `NOT_FOUND` names the code.
pub fn resolve_indicator(conn: &mut DbConnection, code: &str) -> Result<Indicator, AnalyticsError> {
    queries::indicators_by_codes(conn, &[code.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "indicator",
            code: code.to_string(),
        })
}

/// Looks several indicators up, in the order given; `NOT_FOUND` names the first unknown code.
pub fn resolve_indicators(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<Vec<Indicator>, AnalyticsError> {
    let found = queries::indicators_by_codes(conn, codes)?;
    in_order(codes, found, |i| &i.code, "indicator")
}

/// Looks districts up, in the order given; `NOT_FOUND` names the first unknown code.
pub fn resolve_districts(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<Vec<District>, AnalyticsError> {
    let found = queries::districts_by_codes(conn, codes)?;
    in_order(codes, found, |d| &d.code, "district")
}

/// Puts `found` rows in the order of `codes`; the first code without a row is `NOT_FOUND`.
fn in_order<T: Clone>(
    codes: &[String],
    found: Vec<T>,
    code_of: impl Fn(&T) -> &String,
    kind: &'static str,
) -> Result<Vec<T>, AnalyticsError> {
    let by_code: HashMap<&String, &T> = found.iter().map(|row| (code_of(row), row)).collect();
    codes
        .iter()
        .map(|c| {
            by_code
                .get(c)
                .map(|row| (*row).clone())
                .ok_or_else(|| AnalyticsError::NotFound {
                    kind,
                    code: c.clone(),
                })
        })
        .collect()
}

/// Resolves a breakdown. Unknown members are `NOT_FOUND`; a valid breakdown that no value uses
/// resolves to `None` (the answer is then empty).
pub fn resolve_breakdown(
    conn: &mut DbConnection,
    breakdown: &Breakdown,
) -> Result<Option<BreakdownId>, AnalyticsError> {
    for (d, m) in breakdown.pairs() {
        if !queries::dimension_member_exists(conn, d, m)? {
            return Err(AnalyticsError::NotFound {
                kind: "breakdown member",
                code: format!("{d}={m}"),
            });
        }
    }
    Ok(queries::breakdown_by_code(conn, &breakdown.to_string())?)
}

/// Division-level districts (everything but the municipality), by code.
fn ranked_universe(conn: &mut DbConnection) -> Result<Vec<District>, AnalyticsError> {
    Ok(queries::all_districts(conn)?
        .into_iter()
        .filter(|d| d.level.is_ranked())
        .collect())
}

/// Picks one value per district with the rule of [`crate::stats::select`].
pub fn pick_per_district(rows: Vec<ValueRow>) -> BTreeMap<DistrictId, ValueRow> {
    let mut groups: BTreeMap<DistrictId, Vec<ValueRow>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.observation.district_id).or_default().push(r);
    }
    groups
        .into_iter()
        .filter_map(|(d, mut rows)| {
            let candidates: Vec<Candidate<'_>> = rows
                .iter()
                .map(|r| Candidate {
                    year: r.period.year,
                    published_on: r.published_on.as_deref(),
                    exact: r.observation.qualifier == Qualifier::Exact,
                    id: r.observation.id.0,
                })
                .collect();
            let i = preferred(&candidates)?;
            Some((d, rows.swap_remove(i)))
        })
        .collect()
}

/// The preferred value of each group of candidates matching `f` (see [`Group`]), in
/// observation id order. Without `asOf` the choice is made in SQL (one row per group crosses
/// the wire); with `asOf` every candidate is loaded, earlier revisions are overlaid, and the
/// choice is made here, because a correction may have changed a qualifier the rule looks at.
pub fn chosen(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> Result<Vec<ValueRow>, AnalyticsError> {
    if f.as_of.is_none() {
        return Ok(queries::chosen_values(conn, f, group)?);
    }
    type Key = (IndicatorId, DistrictId, Option<i32>);
    let mut groups: BTreeMap<Key, Vec<ValueRow>> = BTreeMap::new();
    for r in queries::values(conn, f)? {
        let year = match group {
            Group::District => None,
            Group::DistrictYear => Some(r.period.year),
            Group::DistrictAtEnds if r.period.year == f.years.0 || r.period.year == f.years.1 => {
                Some(r.period.year)
            }
            Group::DistrictAtEnds => continue,
        };
        let o = &r.observation;
        groups
            .entry((o.indicator_id, o.district_id, year))
            .or_default()
            .push(r);
    }
    let mut out: Vec<ValueRow> = groups
        .into_values()
        .flat_map(|rows| pick_per_district(rows).into_values())
        .collect();
    out.sort_by_key(|r| r.observation.id);
    Ok(out)
}

/// A computed ranking.
pub struct RankingResult {
    /// The indicator.
    pub indicator: Indicator,
    /// Order used.
    pub order: Order,
    /// The entries asked for (every ranked district, or those of `districts`, then the page of
    /// `first` / `after`), rank 1 first.
    pub entries: Vec<RankedEntry>,
    /// True when entries asked for follow the last one returned.
    pub has_next_page: bool,
    /// How many districts were ranked (all of them, whatever the page).
    pub ranked_count: usize,
    /// Divisions without a value.
    pub missing: Vec<District>,
    /// Number of division-level districts.
    pub district_count: usize,
    /// Statistics of the ranked values (all of them, whatever the page).
    pub stats: Option<Summary>,
}

/// One entry of a ranking.
pub struct RankedEntry {
    /// Competition rank among every ranked district, 1 first.
    pub rank: usize,
    /// 0-based position in the whole ranking (the cursor of the entry).
    pub position: usize,
    /// Percentile rank of the value among every ranked value (see [`crate::stats::aggregate::percentile_rank`]).
    pub percentile: f64,
    /// The chosen value.
    pub row: ValueRow,
}

/// The arguments of a ranking.
#[derive(Debug, Clone)]
pub struct RankingQuery<'a> {
    /// Indicator code.
    pub indicator: &'a str,
    /// Year.
    pub year: i32,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// Explicit order; `None`: best first by the indicator's direction.
    pub order: Option<Order>,
    /// Kind ranked (actual by default).
    pub kind: ObservationKind,
    /// Use each district's latest value on or before `year`.
    pub latest_on_or_before: bool,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
    /// Return only the entries of these districts (with their rank among all); `None`: all.
    pub districts: Option<&'a [String]>,
    /// Return at most this many entries.
    pub first: Option<usize>,
    /// Return only entries after this position (0-based) of the whole ranking.
    pub after: Option<usize>,
}

/// Ranks the districts. See the GraphQL docs of `ranking`. Every ranked district counts in the
/// ranks, statistics, percentiles and coverage; `districts`, `first` and `after` only choose
/// which entries are returned.
pub fn ranking(
    conn: &mut DbConnection,
    args: &RankingQuery<'_>,
) -> Result<RankingResult, AnalyticsError> {
    let RankingQuery {
        indicator,
        year,
        breakdown,
        order,
        kind,
        latest_on_or_before,
        as_of,
        districts,
        first,
        after,
    } = *args;
    check_year("year", year)?;
    let indicator = resolve_indicator(conn, indicator)?;
    let wanted: Option<std::collections::HashSet<DistrictId>> = match districts {
        Some(codes) => Some(
            resolve_districts(conn, codes)?
                .iter()
                .map(|d| d.id)
                .collect(),
        ),
        None => None,
    };
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let universe = ranked_universe(conn)?;
    let order = order.unwrap_or_else(|| Order::best_first(indicator.direction));
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
    let rows = match breakdown {
        Some(breakdown) => chosen(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: None,
                kind,
                breakdown,
                years,
                as_of,
            },
            Group::District,
        )?,
        None => Vec::new(),
    };
    let in_universe: HashMap<DistrictId, &District> = universe.iter().map(|d| (d.id, d)).collect();
    // District id order: ties keep it, as they always have.
    let chosen: Vec<ValueRow> = rows
        .into_iter()
        .filter(|r| in_universe.contains_key(&r.observation.district_id))
        .map(|r| (r.observation.district_id, r))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    let values: Vec<f64> = chosen.iter().map(|r| r.observation.value).collect();
    let ranked = rank(&values, order);
    let district_of: Vec<DistrictId> = chosen.iter().map(|r| r.observation.district_id).collect();
    let ranked_ids: std::collections::HashSet<DistrictId> = district_of.iter().copied().collect();
    let missing = universe
        .iter()
        .filter(|d| !ranked_ids.contains(&d.id))
        .cloned()
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let mut slots: Vec<Option<ValueRow>> = chosen.into_iter().map(Some).collect();
    let start = after.map_or(0, |a| a.saturating_add(1));
    let mut selected = ranked.iter().enumerate().skip(start).filter(|(_, r)| {
        wanted
            .as_ref()
            .is_none_or(|w| district_of.get(r.index).is_some_and(|d| w.contains(d)))
    });
    let limit = first.unwrap_or(usize::MAX);
    let mut entries = Vec::new();
    for (position, r) in selected.by_ref().take(limit) {
        if let Some(row) = slots.get_mut(r.index).and_then(Option::take) {
            entries.push(RankedEntry {
                rank: r.rank,
                position,
                percentile: percentile_rank_sorted(&sorted, row.observation.value),
                row,
            });
        }
    }
    let has_next_page = selected.next().is_some();
    Ok(RankingResult {
        indicator,
        order,
        stats: summary(&values),
        entries,
        has_next_page,
        ranked_count: values.len(),
        missing,
        district_count: universe.len(),
    })
}

/// One district's change.
pub struct ChangeResult {
    /// District.
    pub district: DistrictId,
    /// Base value.
    pub from: Option<f64>,
    /// Target value.
    pub to: Option<f64>,
    /// Absolute change.
    pub absolute: Option<f64>,
    /// Relative change, percent.
    pub relative_percent: Option<f64>,
    /// Why the relative change is missing.
    pub gap: Option<Gap>,
}

/// Change of `indicator` between two years, per district. Without `districts`, every district
/// with a value in either year is returned (ordered by district code).
pub fn changes(
    conn: &mut DbConnection,
    indicator: &str,
    from: i32,
    to: i32,
    districts: Option<&[String]>,
    breakdown: &Breakdown,
    as_of: Option<&str>,
) -> Result<(Indicator, Vec<ChangeResult>), AnalyticsError> {
    check_year("from", from)?;
    check_year("to", to)?;
    if from >= to {
        return Err(AnalyticsError::BadInput(format!(
            "from ({from}) must be before to ({to})"
        )));
    }
    let indicator = resolve_indicator(conn, indicator)?;
    let wanted = match districts {
        Some(codes) => Some(resolve_districts(conn, codes)?),
        None => None,
    };
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let ids: Option<Vec<DistrictId>> = wanted.as_ref().map(|w| w.iter().map(|d| d.id).collect());
    let rows = match breakdown {
        Some(b) => chosen(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: ids.as_deref(),
                kind: ObservationKind::Actual,
                breakdown: b,
                years: (from, to),
                as_of,
            },
            Group::DistrictAtEnds,
        )?,
        None => Vec::new(),
    };
    let (mut at_from, mut at_to) = (BTreeMap::new(), BTreeMap::new());
    for r in rows {
        let d = r.observation.district_id;
        if r.period.year == from {
            at_from.insert(d, r);
        } else if r.period.year == to {
            at_to.insert(d, r);
        }
    }
    let order: Vec<DistrictId> = match &wanted {
        Some(w) => w.iter().map(|d| d.id).collect(),
        None => {
            let all = queries::all_districts(conn)?;
            all.into_iter()
                .map(|d| d.id)
                .filter(|d| at_from.contains_key(d) || at_to.contains_key(d))
                .collect()
        }
    };
    let rows = order
        .into_iter()
        .map(|d| {
            let f = at_from.get(&d).map(|r| r.observation.value);
            let t = at_to.get(&d).map(|r| r.observation.value);
            let c = change(f, t);
            ChangeResult {
                district: d,
                from: f,
                to: t,
                absolute: c.absolute,
                relative_percent: c.relative_percent,
                gap: c.gap,
            }
        })
        .collect();
    Ok((indicator, rows))
}

/// A comparison matrix: rows are districts, cells indicators, each cell the chosen value.
pub struct CompareResult {
    /// Districts, as requested.
    pub districts: Vec<District>,
    /// Indicators, as requested.
    pub indicators: Vec<Indicator>,
    /// (district, indicator) → chosen value.
    pub cells: HashMap<(DistrictId, IndicatorId), ValueRow>,
}

/// Builds the districts × indicators matrix for `year`.
pub fn compare(
    conn: &mut DbConnection,
    districts: &[String],
    indicators: &[String],
    year: i32,
    breakdown: &Breakdown,
    latest_on_or_before: bool,
    as_of: Option<&str>,
) -> Result<CompareResult, AnalyticsError> {
    check_year("year", year)?;
    if districts.is_empty() || indicators.is_empty() {
        return Err(AnalyticsError::BadInput(
            "compare needs at least one district and one indicator".into(),
        ));
    }
    if districts.len() * indicators.len() > 10_000 {
        return Err(AnalyticsError::BadInput(
            "compare is limited to 10000 cells".into(),
        ));
    }
    let ds = resolve_districts(conn, districts)?;
    let is = resolve_indicators(conn, indicators)?;
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
    let rows = match breakdown {
        Some(b) => {
            let d_ids: Vec<DistrictId> = ds.iter().map(|d| d.id).collect();
            let i_ids: Vec<IndicatorId> = is.iter().map(|i| i.id).collect();
            chosen(
                conn,
                &ValueFilter {
                    indicators: &i_ids,
                    districts: Some(&d_ids),
                    kind: ObservationKind::Actual,
                    breakdown: b,
                    years,
                    as_of,
                },
                Group::District,
            )?
        }
        None => Vec::new(),
    };
    let cells = rows
        .into_iter()
        .map(|r| ((r.observation.district_id, r.observation.indicator_id), r))
        .collect();
    Ok(CompareResult {
        districts: ds,
        indicators: is,
        cells,
    })
}

/// One district's yearly values of one indicator: one chosen value per year.
pub fn time_series(
    conn: &mut DbConnection,
    district: &str,
    indicator: &str,
    breakdown: &Breakdown,
    kind: ObservationKind,
    as_of: Option<&str>,
) -> Result<(District, Indicator, Vec<ValueRow>), AnalyticsError> {
    let d = resolve_districts(conn, &[district.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "district",
            code: district.to_string(),
        })?;
    let i = resolve_indicator(conn, indicator)?;
    let rows = match resolve_breakdown(conn, breakdown)? {
        Some(breakdown) => chosen(
            conn,
            &ValueFilter {
                indicators: &[i.id],
                districts: Some(&[d.id]),
                kind,
                breakdown,
                years: (*YEARS.start(), *YEARS.end()),
                as_of,
            },
            Group::DistrictYear,
        )?,
        None => Vec::new(),
    };
    let points = rows
        .into_iter()
        .map(|r| (r.period.year, r))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    Ok((d, i, points))
}

/// Filter arguments as codes, before resolution (shared by the `observations` query and the
/// CSV export).
#[derive(Debug, Clone, Default)]
pub struct FilterCodes {
    /// District codes.
    pub districts: Option<Vec<String>>,
    /// Indicator codes.
    pub indicators: Option<Vec<String>>,
    /// Years.
    pub years: Option<Vec<i32>>,
    /// Kinds.
    pub kinds: Option<Vec<ObservationKind>>,
    /// Source codes.
    pub sources: Option<Vec<String>>,
    /// Exact breakdown.
    pub breakdown: Option<Breakdown>,
}

/// Resolves codes to ids; unknown codes are `NOT_FOUND`.
pub fn resolve_observation_filter(
    conn: &mut DbConnection,
    f: &FilterCodes,
) -> Result<queries::ObservationQuery, AnalyticsError> {
    let mut q = queries::ObservationQuery::default();
    if let Some(codes) = &f.districts {
        q.districts = Some(
            resolve_districts(conn, codes)?
                .into_iter()
                .map(|d| d.id)
                .collect(),
        );
    }
    if let Some(codes) = &f.indicators {
        q.indicators = Some(
            resolve_indicators(conn, codes)?
                .into_iter()
                .map(|i| i.id)
                .collect(),
        );
    }
    if let Some(codes) = &f.sources {
        let mut ids = Vec::new();
        for code in codes {
            let s =
                queries::source_by_code(conn, code)?.ok_or_else(|| AnalyticsError::NotFound {
                    kind: "source",
                    code: code.clone(),
                })?;
            ids.push(s.id);
        }
        q.sources = Some(ids);
    }
    if let Some(b) = &f.breakdown {
        q.breakdowns = Some(resolve_breakdown(conn, b)?.into_iter().collect());
    }
    if let Some(years) = &f.years {
        for y in years {
            check_year("year", *y)?;
        }
        q.years = Some(years.clone());
    }
    q.kinds = f.kinds.clone();
    Ok(q)
}

/// One target with the actual it is compared with.
#[derive(Debug, Clone)]
pub struct TargetProgress {
    /// The target's indicator.
    pub indicator: Indicator,
    /// The target.
    pub target: ValueRow,
    /// The latest actual of the same district, indicator and breakdown whose period ends on or
    /// before the end of the target's period (and of the `year` asked for).
    pub actual: Option<ValueRow>,
    /// The earliest earlier actual that is a figure rather than a bound (以上, 不足 …), from
    /// which the pace so far is measured.
    pub base: Option<ValueRow>,
    /// The comparison; `None` without an actual.
    pub progress: Option<Progress>,
}

/// The end of a period as a position in years (the end of June 2023 is 2023.496): periods of
/// different lengths are compared by when they end.
fn end_position(p: &Period) -> f64 {
    use chrono::Datelike;
    match chrono::NaiveDate::parse_from_str(&p.end_date, "%Y-%m-%d") {
        Ok(d) => {
            let days = if d.leap_year() { 366.0 } else { 365.0 };
            f64::from(d.year() - 1) + f64::from(d.ordinal()) / days
        }
        // Stored end dates are validated on write; the period's year is the nearest safe end.
        Err(_) => f64::from(p.year),
    }
}

/// The preferred row among `rows` (see [`crate::stats::select`]).
fn preferred_row<'a>(rows: &[&'a ValueRow]) -> Option<&'a ValueRow> {
    let candidates: Vec<Candidate<'_>> = rows
        .iter()
        .map(|r| Candidate {
            year: r.period.year,
            published_on: r.published_on.as_deref(),
            exact: r.observation.qualifier == Qualifier::Exact,
            id: r.observation.id.0,
        })
        .collect();
    preferred(&candidates).and_then(|i| rows.get(i).copied())
}

/// Targets against actuals. Each target of `indicator` (every indicator when `None`) about
/// `districts` (every district when `None`) is paired with the latest actual of the same
/// district, indicator and breakdown whose period ends on or before the end of the target's
/// period, and, with `year`, no later than the end of that year. Ordered by district code,
/// indicator code, then the end of the target's period. Three statements plus the code look-ups.
pub fn progress(
    conn: &mut DbConnection,
    indicator: Option<&str>,
    districts: Option<&[String]>,
    year: Option<i32>,
    as_of: Option<&str>,
) -> Result<Vec<TargetProgress>, AnalyticsError> {
    if let Some(y) = year {
        check_year("year", y)?;
    }
    let wanted = match indicator {
        Some(code) => Some(resolve_indicator(conn, code)?),
        None => None,
    };
    let ds = match districts {
        Some(codes) => Some(resolve_districts(conn, codes)?),
        None => None,
    };
    let d_ids: Option<Vec<DistrictId>> = ds.as_ref().map(|d| d.iter().map(|d| d.id).collect());
    progress_of(conn, wanted, d_ids.as_deref(), year, as_of)
}

/// [`progress`] over resolved arguments: every target of `indicator` (all when `None`) about
/// `districts` (all when `None`).
pub fn progress_of(
    conn: &mut DbConnection,
    wanted: Option<Indicator>,
    districts: Option<&[DistrictId]>,
    year: Option<i32>,
    as_of: Option<&str>,
) -> Result<Vec<TargetProgress>, AnalyticsError> {
    let i_ids: Option<Vec<IndicatorId>> = wanted.as_ref().map(|i| vec![i.id]);
    let rows = queries::targets_and_actuals(conn, i_ids.as_deref(), districts, as_of)?;
    let indicators: HashMap<IndicatorId, Indicator> = match wanted {
        Some(i) => HashMap::from([(i.id, i)]),
        None => {
            let mut used: Vec<IndicatorId> = rows
                .iter()
                .filter(|r| r.observation.kind == ObservationKind::Target)
                .map(|r| r.observation.indicator_id)
                .collect();
            used.sort();
            used.dedup();
            queries::indicators_by_ids(conn, &used)?
                .into_iter()
                .map(|i| (i.id, i))
                .collect()
        }
    };
    let codes: HashMap<DistrictId, String> = match districts {
        Some(ids) => queries::districts_by_ids(conn, ids)?,
        None => queries::all_districts(conn)?,
    }
    .into_iter()
    .map(|d| (d.id, d.code))
    .collect();
    type Key = (DistrictId, IndicatorId, BreakdownId);
    let key = |r: &ValueRow| -> Key {
        let o = &r.observation;
        (o.district_id, o.indicator_id, o.breakdown_id)
    };
    let mut actuals: HashMap<Key, Vec<&ValueRow>> = HashMap::new();
    for r in rows.iter().filter(|r| {
        r.observation.kind == ObservationKind::Actual && year.is_none_or(|y| r.period.year <= y)
    }) {
        actuals.entry(key(r)).or_default().push(r);
    }
    let mut out = Vec::new();
    for t in rows
        .iter()
        .filter(|r| r.observation.kind == ObservationKind::Target)
    {
        let Some(ind) = indicators.get(&t.observation.indicator_id) else {
            continue;
        };
        let t_at = end_position(&t.period);
        let earlier: Vec<&ValueRow> = actuals
            .get(&key(t))
            .map(|rows| {
                rows.iter()
                    .copied()
                    .filter(|a| end_position(&a.period) <= t_at + 1e-9)
                    .collect()
            })
            .unwrap_or_default();
        let at_extreme = |latest: bool| -> Option<&ValueRow> {
            // The pace is measured from a figure, not from a bound (93.88以上).
            let from: Vec<&ValueRow> = earlier
                .iter()
                .copied()
                .filter(|a| {
                    latest
                        || matches!(
                            a.observation.qualifier,
                            Qualifier::Exact | Qualifier::Approximate
                        )
                })
                .collect();
            let ats = from.iter().map(|a| end_position(&a.period));
            let edge = if latest {
                ats.fold(f64::NEG_INFINITY, f64::max)
            } else {
                ats.fold(f64::INFINITY, f64::min)
            };
            let at_edge: Vec<&ValueRow> = from
                .iter()
                .copied()
                .filter(|a| (end_position(&a.period) - edge).abs() < 1e-9)
                .collect();
            preferred_row(&at_edge)
        };
        let actual = at_extreme(true);
        // No pace when the latest actual is itself a bound (93.88以上): a pace between a
        // figure and a minimum says nothing about the trend.
        let base = at_extreme(false).filter(|b| {
            actual.is_some_and(|a| {
                matches!(
                    a.observation.qualifier,
                    Qualifier::Exact | Qualifier::Approximate
                ) && end_position(&b.period) < end_position(&a.period)
            })
        });
        let dated = |r: &ValueRow| Dated {
            at: end_position(&r.period),
            value: r.observation.value,
        };
        let condition =
            Condition::of_target(t.observation.value, t.observation.qualifier, ind.direction);
        let progress = actual.map(|a| {
            targets::progress(
                dated(t),
                condition,
                dated(a),
                a.observation.qualifier,
                base.map(dated),
            )
        });
        out.push(TargetProgress {
            indicator: ind.clone(),
            target: t.clone(),
            actual: actual.cloned(),
            base: base.cloned(),
            progress,
        });
    }
    let code_of = |d: DistrictId| codes.get(&d).cloned().unwrap_or_default();
    out.sort_by(|a, b| {
        (code_of(a.target.observation.district_id), &a.indicator.code)
            .cmp(&(code_of(b.target.observation.district_id), &b.indicator.code))
            .then_with(|| a.target.period.end_date.cmp(&b.target.period.end_date))
            .then_with(|| a.target.observation.key.cmp(&b.target.observation.key))
    });
    Ok(out)
}

/// How `aggregate` groups districts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// By parent division (every district and county of Chongqing has the municipality).
    Parent,
    /// By division level (district, county, autonomous county).
    Level,
    /// One group: the districts given (a peer group), in any level.
    Districts(Vec<String>),
}

/// One group of an aggregate.
#[derive(Debug, Clone)]
pub struct AggregateGroup {
    /// The group's key: the parent's code, the level, or `peer_group`.
    pub key: String,
    /// The districts in the group with a value, by code, with the value chosen for each.
    pub values: Vec<(District, ValueRow)>,
    /// Districts in the group without a value.
    pub missing: Vec<District>,
    /// Statistics of the values; `None` when no district of the group has one.
    pub stats: Option<Distribution>,
}

/// Distributions of `indicator` across districts in `year` (with `latest_on_or_before`, each
/// district's latest value in or before `year`), one value per district chosen as in
/// [`ranking`], grouped by `group_by`. A sum is given only when the indicator's unit adds up
/// ([`crate::domain::CanonicalUnit::is_additive`]): a rate is never summed. Groups by parent
/// or level cover the division-level districts; a peer group covers the districts given.
pub fn aggregate(
    conn: &mut DbConnection,
    indicator: &str,
    year: i32,
    group_by: &GroupBy,
    breakdown: &Breakdown,
    latest_on_or_before: bool,
    as_of: Option<&str>,
) -> Result<(Indicator, Vec<AggregateGroup>), AnalyticsError> {
    check_year("year", year)?;
    let indicator = resolve_indicator(conn, indicator)?;
    let universe = match group_by {
        GroupBy::Districts(codes) if codes.is_empty() => {
            return Err(AnalyticsError::BadInput(
                "groupBy DISTRICTS needs a non-empty districts list".into(),
            ))
        }
        GroupBy::Districts(codes) => resolve_districts(conn, codes)?,
        GroupBy::Parent | GroupBy::Level => ranked_universe(conn)?,
    };
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
    let ids: Vec<DistrictId> = universe.iter().map(|d| d.id).collect();
    let rows = match resolve_breakdown(conn, breakdown)? {
        Some(b) => chosen(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: Some(&ids),
                kind: ObservationKind::Actual,
                breakdown: b,
                years,
                as_of,
            },
            Group::District,
        )?,
        None => Vec::new(),
    };
    let mut chosen: BTreeMap<DistrictId, ValueRow> = rows
        .into_iter()
        .map(|r| (r.observation.district_id, r))
        .collect();
    let parents: HashMap<DistrictId, String> = match group_by {
        GroupBy::Parent => queries::all_districts(conn)?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect(),
        _ => HashMap::new(),
    };
    let mut groups: BTreeMap<String, AggregateGroup> = BTreeMap::new();
    let mut sorted = universe;
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    sorted.dedup_by(|a, b| a.id == b.id);
    for d in sorted {
        let key = match group_by {
            GroupBy::Parent => d
                .parent_id
                .and_then(|p| parents.get(&DistrictId(p)).cloned())
                .unwrap_or_else(|| "none".to_string()),
            GroupBy::Level => d.level.as_str().to_string(),
            GroupBy::Districts(_) => "peer_group".to_string(),
        };
        let g = groups.entry(key.clone()).or_insert_with(|| AggregateGroup {
            key,
            values: Vec::new(),
            missing: Vec::new(),
            stats: None,
        });
        match chosen.remove(&d.id) {
            Some(row) => g.values.push((d, row)),
            None => g.missing.push(d),
        }
    }
    let additive = indicator.unit.is_additive();
    let groups = groups
        .into_values()
        .map(|mut g| {
            let values: Vec<f64> = g.values.iter().map(|(_, r)| r.observation.value).collect();
            g.stats = distribution(&values, additive);
            g
        })
        .collect();
    Ok((indicator, groups))
}
