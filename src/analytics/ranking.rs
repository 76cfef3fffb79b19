//! Rankings: one value per division-level district, ranked by the indicator's direction (or
//! an explicit order), with percentiles, summary statistics, the page of entries asked for,
//! optionally the districts without a value ranked by their derived share, and the change
//! since an earlier year.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::change::ChangeResult;
use super::derived::{derived_values, latest_derived, Derived};
use super::shared::*;
use super::{check_order, check_year, AnalyticsError, YearInput};
use crate::db::models::*;
use crate::db::queries::{self, Group, SlimValue, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};
use crate::stats::aggregate::percentile_rank_sorted;
use crate::stats::ranking::{rank, summary, Order, Ranked, Summary};

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
    /// The change from the district's value in the baseline year to this entry's value; `None`
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
        /// The chosen observation's full row (quote, source …): present after [`attach_rows`]
        /// or when the answer is `as_of` an earlier instant.
        row: Option<ValueRow>,
        /// The derived value of the same district and period, if any and if the ranking
        /// computed derived shares (boxed: most entries have none).
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

/// Whether a ranking computes the shares derived from the indicator's numerator and
/// denominator (actual values of a share only; up to five statements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivedShares {
    /// Not computed.
    Skip,
    /// Computed beside each reported value ([`Entry::Reported`]`.derived`), not ranked.
    Beside,
    /// Computed beside each reported value, and ranked for the districts without one
    /// ([`Entry::Derived`]).
    Ranked,
}

/// Which entries of a ranking are returned; every ranked district counts whatever they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryPage<'a> {
    /// Only the entries of these districts (with their rank among all); `None`: all.
    pub districts: Option<&'a [String]>,
    /// At most this many entries.
    pub first: Option<usize>,
    /// Only entries after this position (0-based) of the whole ranking.
    pub after: Option<usize>,
}

/// What a ranking ranks, and what it computes beside the ranks.
#[derive(Debug, Clone, Copy)]
pub struct RankingRequest<'a> {
    /// Indicator code.
    pub indicator: &'a str,
    /// Year.
    pub year: i32,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// Explicit order; `None`: best first by the indicator's direction.
    pub order: Option<Order>,
    /// Kind ranked.
    pub kind: ObservationKind,
    /// Use each district's latest value on or before `year`.
    pub latest_on_or_before: bool,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
    /// The entries returned.
    pub page: EntryPage<'a>,
    /// Derived shares: not computed, beside the reported values, or also ranked.
    pub derived: DerivedShares,
    /// Compare each returned entry's value with the district's value of this earlier year
    /// ([`RankedEntry::change`]), one more statement.
    pub baseline: Option<i32>,
    /// List the divisions without a value with their names ([`RankingResult::missing`]);
    /// otherwise only the ids and levels of the divisions are read (for the coverage), and
    /// `missing` is empty.
    pub list_missing: bool,
}

/// Ranks the districts. Every ranked district counts in the ranks, statistics, percentiles
/// and coverage; the request's [`EntryPage`] only chooses which entries are returned. Reported
/// entries carry what the choice index holds; [`attach_rows`] adds their full rows.
pub fn ranking(
    conn: &mut DbConnection,
    request: &RankingRequest<'_>,
) -> Result<RankingResult, AnalyticsError> {
    let RankingRequest {
        indicator,
        year,
        breakdown: wanted_breakdown,
        order,
        kind,
        latest_on_or_before,
        as_of,
        page,
        derived: derived_shares,
        baseline,
        list_missing,
    } = *request;
    check_year(YearInput::Year, year)?;
    if let Some(c) = baseline {
        check_order((YearInput::Baseline, c), (YearInput::Year, year))?;
    }
    let indicator = resolve_indicator(conn, indicator)?;
    let wanted: Option<HashSet<DistrictId>> = match page.districts {
        Some(codes) => Some(
            resolve_districts(conn, codes)?
                .iter()
                .map(|d| d.id)
                .collect(),
        ),
        None => None,
    };
    let page_filter = PageFilter {
        districts: wanted,
        start: page.after.map_or(0, |a| a.saturating_add(1)),
        limit: page.first.unwrap_or(usize::MAX),
    };
    let breakdown = resolve_breakdown(conn, wanted_breakdown)?;
    // The full rows only when the answer lists the missing divisions: reading and dropping
    // every division's names was about a tenth of a ranking's CPU in the server.
    let (universe, universe_rows) = if list_missing {
        let rows = ranked_universe(conn)?;
        (rows.iter().map(|d| d.id).collect(), rows)
    } else {
        (ranked_universe_ids(conn)?, Vec::new())
    };
    let order = order.unwrap_or_else(|| Order::best_first(indicator.direction));
    let years = year_window(year, latest_on_or_before);
    // Every district's value of the indicator in `years` (the ranking's, and with a baseline
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
    let in_universe: HashSet<DistrictId> = universe.iter().copied().collect();
    // Derived values are computed for actuals only: a target or a reported change is not a
    // ratio of two stored actuals.
    let derived = if kind == ObservationKind::Actual && derived_shares != DerivedShares::Skip {
        derived_values(conn, &indicator, wanted_breakdown, None, years, as_of)?
    } else {
        HashMap::new()
    };
    let chosen = candidates(
        rows,
        derived,
        &in_universe,
        derived_shares == DerivedShares::Ranked,
    );
    let values: Vec<f64> = chosen.iter().map(Entry::value).collect();
    let ranked = rank(&values, order);
    let ranked_ids: HashSet<DistrictId> = chosen.iter().map(Entry::district).collect();
    let missing = universe_rows
        .into_iter()
        .filter(|d| !ranked_ids.contains(&d.id))
        .collect();
    let (mut entries, has_next_page) = page_of(chosen, &ranked, &values, &page_filter);
    if let (Some(c), Some(breakdown)) = (baseline, breakdown) {
        let before: HashMap<DistrictId, f64> =
            chosen_slim(conn, &filter(breakdown, (c, c)), Group::District)?
                .into_iter()
                .map(|(v, _)| (v.district_id, v.value))
                .collect();
        for e in &mut entries {
            let district = e.entry.district();
            let from = before.get(&district).copied();
            e.change = Some(ChangeResult::between(district, from, Some(e.entry.value())));
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

/// The entries to rank, in district id order (ties keep it, as they always have): each
/// reported value of a division in `universe`, with the derived value of its period beside it
/// when there is one, then with `rank_derived` the latest derived value of each division
/// without a reported one.
fn candidates(
    rows: Vec<(SlimValue, Option<ValueRow>)>,
    derived: HashMap<(DistrictId, PeriodId), Derived>,
    universe: &HashSet<DistrictId>,
    rank_derived: bool,
) -> Vec<Entry> {
    let mut chosen: Vec<Entry> = Vec::new();
    let mut reported: HashSet<DistrictId> = HashSet::new();
    let by_district: BTreeMap<DistrictId, (SlimValue, Option<ValueRow>)> =
        rows.into_iter().map(|r| (r.0.district_id, r)).collect();
    for (value, row) in by_district
        .into_values()
        .filter(|(v, _)| universe.contains(&v.district_id))
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
    if rank_derived {
        for (d, value) in latest_derived(derived) {
            if universe.contains(&d) && !reported.contains(&d) {
                chosen.push(Entry::Derived(Box::new(value)));
            }
        }
    }
    chosen
}

/// Which ranked entries are returned, resolved: [`EntryPage`] with district ids and positions.
struct PageFilter {
    /// Only these districts' entries; `None`: all.
    districts: Option<HashSet<DistrictId>>,
    /// The first position returned.
    start: usize,
    /// At most this many entries.
    limit: usize,
}

/// The entries `page` selects from `chosen` ranked as `ranked` (`values` are the values of
/// `chosen`), with their percentile among every value, and whether more follow.
fn page_of(
    chosen: Vec<Entry>,
    ranked: &[Ranked],
    values: &[f64],
    page: &PageFilter,
) -> (Vec<RankedEntry>, bool) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let district_of: Vec<DistrictId> = chosen.iter().map(Entry::district).collect();
    let mut slots: Vec<Option<Entry>> = chosen.into_iter().map(Some).collect();
    let mut selected = ranked.iter().enumerate().skip(page.start).filter(|(_, r)| {
        page.districts
            .as_ref()
            .is_none_or(|w| district_of.get(r.index).is_some_and(|d| w.contains(d)))
    });
    let mut entries = Vec::new();
    for (position, r) in selected.by_ref().take(page.limit) {
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
    (entries, has_next_page)
}

/// Fetches the full row (quote, source, notes) of every reported entry that lacks it (one
/// statement): a ranking's entries carry only what the choice index holds, unless it is
/// answered `as_of` an earlier instant.
pub fn attach_rows(
    conn: &mut DbConnection,
    entries: &mut [RankedEntry],
) -> Result<(), AnalyticsError> {
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
