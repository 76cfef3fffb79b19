//! Cross-district questions: ranking, change, comparison matrix, time series, targets against
//! actuals and distributions across districts. Each function
//! is synchronous and takes a connection: it resolves codes, loads candidate values with a
//! fixed number of queries, and hands them to the pure functions in [`crate::stats`].
//! Failures are [`AnalyticsError`]s, mapped to API codes once in [`crate::error`].

use std::collections::{BTreeMap, HashMap};

use crate::db::models::*;
use crate::db::queries::{self, Group, SlimValue, ValueFilter, ValueRow};
use crate::db::{DbConnection, DbError};
use crate::domain::{Breakdown, DivisionLevel, ObservationKind, Qualifier};
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

/// The chosen values of `f` as the choice index holds them (one statement), each with its full
/// row when the answer is `asOf` an earlier instant: those are chosen in Rust after the overlay
/// of earlier revisions ([`chosen`]), and a row fetched again by id would be today's.
fn chosen_slim(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> Result<Vec<(SlimValue, Option<ValueRow>)>, AnalyticsError> {
    if f.as_of.is_some() {
        return Ok(chosen(conn, f, group)?
            .into_iter()
            .map(|r| (SlimValue::from(&r), Some(r)))
            .collect());
    }
    Ok(queries::chosen_slim(conn, f, group)?
        .into_iter()
        .map(|v| (v, None))
        .collect())
}

/// Fetches the full row of every reported entry that lacks it (one statement).
fn attach_rows(conn: &mut DbConnection, entries: &mut [RankedEntry]) -> Result<(), AnalyticsError> {
    let missing: Vec<ObservationId> = entries
        .iter()
        .filter_map(|e| match &e.entry {
            Entry::Reported {
                value, row: None, ..
            } => Some(value.id),
            _ => None,
        })
        .collect();
    let mut rows: HashMap<ObservationId, ValueRow> = queries::value_rows_by_ids(conn, &missing)?
        .into_iter()
        .map(|r| (r.observation.id, r))
        .collect();
    for e in entries {
        if let Entry::Reported { value, row, .. } = &mut e.entry {
            if row.is_none() {
                // Absent only if deleted since the choice, in another transaction: the entry
                // then keeps its value without a row, as a derived entry has none.
                *row = rows.remove(&value.id);
            }
        }
    }
    Ok(())
}

/// Division-level districts (everything but the municipality), by code.
/// The ids of [`ranked_universe`], in the same (code) order, without reading the rest of the
/// rows. One statement.
fn ranked_universe_ids(conn: &mut DbConnection) -> Result<Vec<DistrictId>, AnalyticsError> {
    let mut ids = Vec::new();
    for (id, level) in queries::district_levels(conn)? {
        // A level that does not parse was written behind edustats' back: a failed read.
        let level = DivisionLevel::parse(&level)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        if level.is_ranked() {
            ids.push(id);
        }
    }
    Ok(ids)
}

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
    /// The breakdown ranked.
    pub breakdown: Breakdown,
    /// The kind ranked (of every reported entry).
    pub kind: ObservationKind,
}

/// One entry of a ranking.
pub struct RankedEntry {
    /// Competition rank among every ranked district, 1 first.
    pub rank: usize,
    /// 0-based position in the whole ranking (the cursor of the entry).
    pub position: usize,
    /// Percentile rank of the value among every ranked value (see
    /// [`crate::stats::aggregate::percentile_rank`]).
    pub percentile: f64,
    /// The value ranked.
    pub entry: Entry,
    /// The change from the district's value in `compareWith` to this entry's value; `None`
    /// when the ranking was asked for no comparison.
    pub change: Option<ChangeResult>,
}

/// A value of a ranking: reported (an observation) or derived from its inputs.
// A ranking has at most 38 entries, built once per request: the size of a variant does not
// matter, and unboxed rows keep the code that reads them plain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Entry {
    /// The value a report prints, with the value derived from its inputs for the same
    /// period when the warehouse has them (and the caller asked).
    Reported {
        /// The chosen value, as the choice index holds it.
        value: SlimValue,
        /// The chosen observation's full row (quote, source …): present when the caller asked
        /// for it ([`RankingQuery::full_rows`]) or the answer is `asOf` an earlier instant.
        row: Option<ValueRow>,
        /// The derived value of the same district and period, if any (boxed: most entries
        /// have none).
        derived: Option<Box<Derived>>,
    },
    /// No report prints the value; it is computed from its numerator and denominator.
    Derived(Box<Derived>),
}

impl Entry {
    /// The value ranked.
    pub fn value(&self) -> f64 {
        match self {
            Entry::Reported { value, .. } => value.value,
            Entry::Derived(d) => d.value,
        }
    }

    /// The year of the value.
    pub fn year(&self) -> i32 {
        match self {
            Entry::Reported { value, .. } => value.year,
            Entry::Derived(d) => d.numerator.period.year,
        }
    }

    /// The district.
    pub fn district(&self) -> DistrictId {
        match self {
            Entry::Reported { value, .. } => value.district_id,
            Entry::Derived(d) => d.numerator.observation.district_id,
        }
    }
}

/// A share computed from its inputs: numerator / denominator × 100 for a percent.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The computed value, in the indicator's canonical unit.
    pub value: f64,
    /// The numerator observation.
    pub numerator: ValueRow,
    /// The denominator observation (same district and period).
    pub denominator: ValueRow,
}

/// The derived values of `indicator` (a share whose catalogue entry names a numerator and a
/// denominator) in `breakdown`, per district and period with both inputs (exact figures, not
/// bounds) in `years`: numerator / denominator (× 100 for a percent). Empty for an indicator
/// without inputs. At most five statements.
pub fn derived_values(
    conn: &mut DbConnection,
    indicator: &Indicator,
    breakdown: &Breakdown,
    districts: Option<&[DistrictId]>,
    years: (i32, i32),
    as_of: Option<&str>,
) -> Result<HashMap<(DistrictId, PeriodId), Derived>, AnalyticsError> {
    use crate::domain::SeriesSpec;
    let spec = |s: &Option<String>| -> Option<SeriesSpec> {
        s.as_deref().and_then(|t| t.parse::<SeriesSpec>().ok())
    };
    let (Some(num), Some(den)) = (spec(&indicator.numerator), spec(&indicator.denominator)) else {
        return Ok(HashMap::new());
    };
    let (num, den) = (num.within(breakdown), den.within(breakdown));
    let parts =
        queries::indicators_by_codes(conn, &[num.indicator.clone(), den.indicator.clone()])?;
    let id_of = |code: &str| parts.iter().find(|i| i.code == code).map(|i| i.id);
    let (Some(num_id), Some(den_id)) = (id_of(&num.indicator), id_of(&den.indicator)) else {
        return Ok(HashMap::new());
    };
    let mut load = |id: IndicatorId, b: &Breakdown| -> Result<Vec<ValueRow>, AnalyticsError> {
        Ok(match queries::breakdown_by_code(conn, &b.to_string())? {
            Some(bid) => queries::values(
                conn,
                &ValueFilter {
                    indicators: &[id],
                    districts,
                    kind: ObservationKind::Actual,
                    breakdown: bid,
                    years,
                    as_of,
                },
            )?,
            None => Vec::new(),
        })
    };
    let numerators = load(num_id, &num.breakdown)?;
    let denominators = load(den_id, &den.breakdown)?;
    // Bounds (以上, 约) do not divide into a figure.
    let exact = |r: &ValueRow| r.observation.qualifier == Qualifier::Exact;
    let mut by_key: HashMap<(DistrictId, PeriodId), Vec<ValueRow>> = HashMap::new();
    for d in denominators.into_iter().filter(exact) {
        by_key
            .entry((d.observation.district_id, d.observation.period_id))
            .or_default()
            .push(d);
    }
    let mut nums: HashMap<(DistrictId, PeriodId), Vec<ValueRow>> = HashMap::new();
    for n in numerators.into_iter().filter(exact) {
        nums.entry((n.observation.district_id, n.observation.period_id))
            .or_default()
            .push(n);
    }
    let scale = indicator.unit.fraction_scale();
    let mut out = HashMap::new();
    for (key, ns) in nums {
        let Some(ds) = by_key.get(&key) else {
            continue;
        };
        // Several reports of the same input: the preferred one, as a ranking would choose.
        let n = preferred_row(&ns.iter().collect::<Vec<_>>()).cloned();
        let d = preferred_row(&ds.iter().collect::<Vec<_>>()).cloned();
        let (Some(n), Some(d)) = (n, d) else {
            continue;
        };
        if let Some(value) =
            crate::stats::derived::share(n.observation.value, d.observation.value, scale)
        {
            out.insert(
                key,
                Derived {
                    value,
                    numerator: n,
                    denominator: d,
                },
            );
        }
    }
    Ok(out)
}

/// The derived value to rank for each district: the one whose period ends last (then the
/// later numerator), as a reported value is chosen by year.
fn latest_derived(all: HashMap<(DistrictId, PeriodId), Derived>) -> BTreeMap<DistrictId, Derived> {
    let mut all: Vec<Derived> = all.into_values().collect();
    all.sort_by(|a, b| {
        (&a.numerator.period.end_date, a.numerator.observation.id)
            .cmp(&(&b.numerator.period.end_date, b.numerator.observation.id))
    });
    let mut out = BTreeMap::new();
    for d in all {
        out.insert(d.numerator.observation.district_id, d);
    }
    out
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
    /// Rank districts without a reported value by the value derived from the indicator's
    /// numerator and denominator (actual values only), marked as derived.
    pub include_derived: bool,
    /// Compute the derived value beside each reported one (for `RankingEntry.derivation`);
    /// off unless asked for, as it costs up to five statements.
    pub with_derivations: bool,
    /// Fetch the full row (quote, source, notes) of each returned reported entry, one more
    /// statement; without it entries carry only what the choice index holds.
    pub full_rows: bool,
    /// Compare each entry's value with the district's value of this earlier year
    /// ([`RankedEntry::change`]), one more statement.
    pub compare_with: Option<i32>,
    /// Return the full rows of the divisions without a value ([`RankingResult::missing`]);
    /// without it the ranking reads only the ids and levels of the divisions (for coverage
    /// and the universe), and `missing` is empty.
    pub missing_rows: bool,
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
        breakdown: wanted_breakdown,
        order,
        kind,
        latest_on_or_before,
        as_of,
        districts,
        first,
        after,
        include_derived,
        with_derivations,
        full_rows,
        compare_with,
        missing_rows,
    } = *args;
    check_year("year", year)?;
    if let Some(c) = compare_with {
        check_year("compareWith", c)?;
        if c >= year {
            return Err(AnalyticsError::BadInput(format!(
                "compareWith ({c}) must be before year ({year})"
            )));
        }
    }
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
    let breakdown = resolve_breakdown(conn, wanted_breakdown)?;
    // The full rows only when the answer lists the missing divisions: reading and dropping
    // every division's names was about a tenth of a ranking's CPU in the server.
    let (universe, universe_rows) = if missing_rows {
        let rows = ranked_universe(conn)?;
        (rows.iter().map(|d| d.id).collect(), rows)
    } else {
        (ranked_universe_ids(conn)?, Vec::new())
    };
    let order = order.unwrap_or_else(|| Order::best_first(indicator.direction));
    let years = if latest_on_or_before {
        (*YEARS.start(), year)
    } else {
        (year, year)
    };
    // Every district's value of the indicator in `years` (the ranking's, and with `compareWith`
    // the earlier year's), chosen by the same rule.
    let indicators = [indicator.id];
    let filter = |breakdown, years| ValueFilter {
        indicators: &indicators,
        districts: None,
        kind,
        breakdown,
        years,
        as_of,
    };
    let rows = match breakdown {
        Some(breakdown) => chosen_slim(conn, &filter(breakdown, years), Group::District)?,
        None => Vec::new(),
    };
    let in_universe: std::collections::HashSet<DistrictId> = universe.iter().copied().collect();
    // Derived values are computed for actuals only: a target or a reported change is not a
    // ratio of two stored actuals.
    let derived = if kind == ObservationKind::Actual && (include_derived || with_derivations) {
        derived_values(conn, &indicator, wanted_breakdown, None, years, as_of)?
    } else {
        HashMap::new()
    };
    let mut chosen: Vec<Entry> = Vec::new();
    let mut reported: std::collections::HashSet<DistrictId> = std::collections::HashSet::new();
    // District id order: ties keep it, as they always have.
    let by_district: BTreeMap<DistrictId, (SlimValue, Option<ValueRow>)> =
        rows.into_iter().map(|r| (r.0.district_id, r)).collect();
    for (value, row) in by_district
        .into_values()
        .filter(|(v, _)| in_universe.contains(&v.district_id))
    {
        reported.insert(value.district_id);
        let same_period = (value.district_id, value.period_id);
        let d = derived.get(&same_period).cloned().map(Box::new);
        chosen.push(Entry::Reported {
            value,
            row,
            derived: d,
        });
    }
    if include_derived {
        for (d, value) in latest_derived(derived) {
            if in_universe.contains(&d) && !reported.contains(&d) {
                chosen.push(Entry::Derived(Box::new(value)));
            }
        }
    }
    let values: Vec<f64> = chosen.iter().map(Entry::value).collect();
    let ranked = rank(&values, order);
    let district_of: Vec<DistrictId> = chosen.iter().map(Entry::district).collect();
    let ranked_ids: std::collections::HashSet<DistrictId> = district_of.iter().copied().collect();
    let missing = universe_rows
        .into_iter()
        .filter(|d| !ranked_ids.contains(&d.id))
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let mut slots: Vec<Option<Entry>> = chosen.into_iter().map(Some).collect();
    let start = after.map_or(0, |a| a.saturating_add(1));
    let mut selected = ranked.iter().enumerate().skip(start).filter(|(_, r)| {
        wanted
            .as_ref()
            .is_none_or(|w| district_of.get(r.index).is_some_and(|d| w.contains(d)))
    });
    let limit = first.unwrap_or(usize::MAX);
    let mut entries = Vec::new();
    for (position, r) in selected.by_ref().take(limit) {
        if let Some(entry) = slots.get_mut(r.index).and_then(Option::take) {
            entries.push(RankedEntry {
                rank: r.rank,
                position,
                percentile: percentile_rank_sorted(&sorted, entry.value()),
                entry,
                change: None,
            });
        }
    }
    let has_next_page = selected.next().is_some();
    if full_rows {
        attach_rows(conn, &mut entries)?;
    }
    if let (Some(c), Some(breakdown)) = (compare_with, breakdown) {
        let before: HashMap<DistrictId, f64> =
            chosen_slim(conn, &filter(breakdown, (c, c)), Group::District)?
                .into_iter()
                .map(|(v, _)| (v.district_id, v.value))
                .collect();
        for e in &mut entries {
            let district = e.entry.district();
            let (from, to) = (before.get(&district).copied(), Some(e.entry.value()));
            let ch = change(from, to);
            e.change = Some(ChangeResult {
                district,
                from,
                to,
                absolute: ch.absolute,
                relative_percent: ch.relative_percent,
                gap: ch.gap,
            });
        }
    }
    Ok(RankingResult {
        indicator,
        order,
        stats: summary(&values),
        entries,
        has_next_page,
        ranked_count: values.len(),
        missing,
        district_count: universe.len(),
        breakdown: wanted_breakdown.clone(),
        kind,
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
        Some(b) => chosen_slim(
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
    for (r, _) in rows {
        let d = r.district_id;
        if r.year == from {
            at_from.insert(d, r);
        } else if r.year == to {
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
            let f = at_from.get(&d).map(|r| r.value);
            let t = at_to.get(&d).map(|r| r.value);
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
/// [`ranking`], grouped by `group_by`. A sum is given only when the catalogue declares the
/// indicator additive ([`Indicator::is_additive`], checked on load against the unit): a rate
/// or a per-student amount is never summed. Groups by parent
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
    let additive = indicator.is_additive();
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

/// The standards catalogue, by code: every standard, or those of `indicator`.
pub fn standards(
    conn: &mut DbConnection,
    indicator: Option<&str>,
) -> Result<Vec<Standard>, AnalyticsError> {
    let ids = match indicator {
        Some(code) => Some(vec![resolve_indicator(conn, code)?.id]),
        None => None,
    };
    Ok(queries::standards(conn, ids.as_deref())?)
}

/// A value short of a standard.
#[derive(Debug, Clone)]
pub struct Shortfall {
    /// The value checked.
    pub row: ValueRow,
    /// value − threshold in the indicator's unit.
    pub gap: f64,
    /// Unit of the gap (`percentage_point` for a percent).
    pub gap_unit: &'static str,
}

/// Where districts fall short of standard `code` in `year` (with `latest_on_or_before`, each
/// district's latest value in or before `year`): one value per district and breakdown the
/// standard covers (its scope, division and years), chosen as in [`ranking`], kept when it
/// misses the threshold. Values that meet it, or that a bound does not decide, are left out.
/// Ordered by district code, then breakdown. A standard without a threshold or an indicator
/// cannot be checked: `BAD_USER_INPUT`. Four statements plus the look-ups.
pub fn standard_shortfalls(
    conn: &mut DbConnection,
    code: &str,
    year: i32,
    latest_on_or_before: bool,
    as_of: Option<&str>,
) -> Result<Vec<Shortfall>, AnalyticsError> {
    use crate::stats::standards::{check, Applicability};
    check_year("year", year)?;
    let standard =
        queries::standard_by_code(conn, code)?.ok_or_else(|| AnalyticsError::NotFound {
            kind: "standard",
            code: code.to_string(),
        })?;
    let comparator = standard.comparator().map_err(|e| {
        AnalyticsError::Db(DbError::Query(diesel::result::Error::DeserializationError(
            Box::new(e),
        )))
    })?;
    let (Some(indicator_id), Some(threshold)) =
        (standard.indicator_id, comparator.zip(standard.value))
    else {
        return Err(AnalyticsError::BadInput(format!(
            "standard {code} cannot be checked: no seed report prints its threshold or the catalogue has no indicator for it (see its note)"
        )));
    };
    let indicator = queries::indicators_by_ids(conn, &[IndicatorId(indicator_id)])?
        .into_iter()
        .next()
        .ok_or_else(|| AnalyticsError::NotFound {
            kind: "indicator",
            code: indicator_id.to_string(),
        })?;
    let scope = Breakdown::parse_opt(Some(&standard.scope))
        .map_err(|e| AnalyticsError::BadInput(format!("standard {code}: {e}")))?;
    let applies = Applicability {
        scope: scope.pairs(),
        district: standard.district_id,
        from: standard.effective_from,
        to: standard.effective_to,
    };
    let first = if latest_on_or_before {
        *YEARS.start()
    } else {
        year
    };
    let breakdowns: HashMap<BreakdownId, Breakdown> = queries::all_breakdowns(conn)?
        .into_iter()
        .filter_map(|(id, code)| Breakdown::parse_opt(Some(&code)).ok().map(|b| (id, b)))
        .collect();
    let rows = queries::targets_and_actuals(conn, Some(&[indicator.id]), None, as_of)?;
    let ranked: HashMap<DistrictId, String> = ranked_universe(conn)?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let mut groups: BTreeMap<BreakdownId, Vec<ValueRow>> = BTreeMap::new();
    for r in rows {
        let o = &r.observation;
        let Some(b) = breakdowns.get(&o.breakdown_id) else {
            continue;
        };
        let in_years = (first..=year).contains(&r.period.year);
        if o.kind == ObservationKind::Actual
            && in_years
            && ranked.contains_key(&o.district_id)
            && applies.covers(o.district_id.0, r.period.year, b.pairs())
        {
            groups.entry(o.breakdown_id).or_default().push(r);
        }
    }
    let gap_unit = indicator.unit.difference_unit();
    let mut out: Vec<(String, String, Shortfall)> = Vec::new();
    for (b, rows) in groups {
        for (d, row) in pick_per_district(rows) {
            let c = check(
                Some(threshold),
                row.observation.value,
                row.observation.qualifier,
            );
            if let (Some(false), Some(gap)) = (c.met, c.gap) {
                let district = ranked.get(&d).cloned().unwrap_or_default();
                let breakdown = breakdowns
                    .get(&b)
                    .map(|b| b.to_string())
                    .unwrap_or_default();
                out.push((district, breakdown, Shortfall { row, gap, gap_unit }));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(out.into_iter().map(|(_, _, s)| s).collect())
}

/// The targets of one district's series (indicator and exact breakdown), every period kind
/// (a plan's 2021..2025 target included), ordered by the end of their period: the markers a
/// time series shows next to its actuals. Breakdown look-ups plus one statement.
pub fn series_targets(
    conn: &mut DbConnection,
    district: DistrictId,
    indicator: IndicatorId,
    breakdown: &Breakdown,
    as_of: Option<&str>,
) -> Result<Vec<ValueRow>, AnalyticsError> {
    let Some(b) = resolve_breakdown(conn, breakdown)? else {
        return Ok(Vec::new());
    };
    let mut rows: Vec<ValueRow> =
        queries::targets_and_actuals(conn, Some(&[indicator]), Some(&[district]), as_of)?
            .into_iter()
            .filter(|r| {
                r.observation.kind == ObservationKind::Target && r.observation.breakdown_id == b
            })
            .collect();
    rows.sort_by(|a, b| {
        (&a.period.end_date, &a.observation.key).cmp(&(&b.period.end_date, &b.observation.key))
    });
    Ok(rows)
}
