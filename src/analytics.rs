//! Cross-district questions: ranking, change, comparison matrix and time series. Each function
//! is synchronous and takes a connection: it resolves codes, loads candidate values with a
//! fixed number of queries, and hands them to the pure functions in [`crate::stats`].
//! Failures are [`AnalyticsError`]s, mapped to API codes once in [`crate::error`].

use std::collections::{BTreeMap, HashMap};

use crate::db::models::*;
use crate::db::queries::{self, ValueFilter, ValueRow};
use crate::db::{DbConnection, DbError};
use crate::domain::{Breakdown, ObservationKind, Qualifier};
use crate::stats::change::{change, Gap};
use crate::stats::ranking::{rank, summary, Order, Summary};
use crate::stats::select::{preferred, Candidate};

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

/// A computed ranking.
pub struct RankingResult {
    /// The indicator.
    pub indicator: Indicator,
    /// Order used.
    pub order: Order,
    /// (rank, chosen value), rank 1 first.
    pub entries: Vec<(usize, ValueRow)>,
    /// Divisions without a value.
    pub missing: Vec<District>,
    /// Number of division-level districts.
    pub district_count: usize,
    /// Statistics of the ranked values.
    pub stats: Option<Summary>,
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
}

/// Ranks the districts. See the GraphQL docs of `ranking`.
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
    } = *args;
    check_year("year", year)?;
    let indicator = resolve_indicator(conn, indicator)?;
    let breakdown = resolve_breakdown(conn, breakdown)?;
    let universe = ranked_universe(conn)?;
    let order = order.unwrap_or_else(|| Order::best_first(indicator.direction));
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
    let rows = match breakdown {
        Some(breakdown) => queries::values(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: None,
                kind,
                breakdown,
                years,
                as_of,
            },
        )?,
        None => Vec::new(),
    };
    let in_universe: HashMap<DistrictId, &District> = universe.iter().map(|d| (d.id, d)).collect();
    let chosen: Vec<ValueRow> = pick_per_district(rows)
        .into_values()
        .filter(|r| in_universe.contains_key(&r.observation.district_id))
        .collect();
    let values: Vec<f64> = chosen.iter().map(|r| r.observation.value).collect();
    let ranked = rank(&values, order);
    let mut slots: Vec<Option<ValueRow>> = chosen.into_iter().map(Some).collect();
    let entries: Vec<(usize, ValueRow)> = ranked
        .iter()
        .filter_map(|r| {
            slots
                .get_mut(r.index)
                .and_then(Option::take)
                .map(|row| (r.rank, row))
        })
        .collect();
    let ranked_ids: std::collections::HashSet<DistrictId> = entries
        .iter()
        .map(|(_, r)| r.observation.district_id)
        .collect();
    let missing = universe
        .iter()
        .filter(|d| !ranked_ids.contains(&d.id))
        .cloned()
        .collect();
    Ok(RankingResult {
        indicator,
        order,
        stats: summary(&values),
        entries,
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
        Some(b) => queries::values(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: ids.as_deref(),
                kind: ObservationKind::Actual,
                breakdown: b,
                years: (from, to),
                as_of,
            },
        )?,
        None => Vec::new(),
    };
    let (mut at_from, mut at_to) = (Vec::new(), Vec::new());
    for r in rows {
        if r.period.year == from {
            at_from.push(r);
        } else if r.period.year == to {
            at_to.push(r);
        }
    }
    let at_from = pick_per_district(at_from);
    let at_to = pick_per_district(at_to);
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
            queries::values(
                conn,
                &ValueFilter {
                    indicators: &i_ids,
                    districts: Some(&d_ids),
                    kind: ObservationKind::Actual,
                    breakdown: b,
                    years,
                    as_of,
                },
            )?
        }
        None => Vec::new(),
    };
    let mut by_indicator: HashMap<IndicatorId, Vec<ValueRow>> = HashMap::new();
    for r in rows {
        by_indicator
            .entry(r.observation.indicator_id)
            .or_default()
            .push(r);
    }
    let mut cells = HashMap::new();
    for (i, rows) in by_indicator {
        for (d, row) in pick_per_district(rows) {
            cells.insert((d, i), row);
        }
    }
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
        Some(breakdown) => queries::values(
            conn,
            &ValueFilter {
                indicators: &[i.id],
                districts: Some(&[d.id]),
                kind,
                breakdown,
                years: (*YEARS.start(), *YEARS.end()),
                as_of,
            },
        )?,
        None => Vec::new(),
    };
    let mut by_year: BTreeMap<i32, Vec<ValueRow>> = BTreeMap::new();
    for r in rows {
        by_year.entry(r.period.year).or_default().push(r);
    }
    let points = by_year
        .into_values()
        .filter_map(|rows| pick_per_district(rows).into_values().next())
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
