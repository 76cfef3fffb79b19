//! Rankings: one value per division-level district, ranked by the indicator's direction (or
//! an explicit order), with percentiles, summary statistics, the page of entries asked for,
//! optionally the districts without a value ranked by their derived share, and the change
//! since an earlier year.

use std::collections::{BTreeMap, HashMap};

use super::change::ChangeResult;
use super::derived::{derived_values, latest_derived, Derived};
use super::shared::*;
use super::{check_year, AnalyticsError, YEARS};
use crate::db::models::*;
use crate::db::queries::{self, Group, SlimValue, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};
use crate::stats::aggregate::percentile_rank_sorted;
use crate::stats::change::change;
use crate::stats::ranking::{rank, summary, Order, Summary};

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
