//! The `Ranking` result (with its `RankingEntry` rows, their `Derivation`s and
//! `SummaryStats`), built from [`crate::analytics::ranking`] with the relations its selection
//! asks for prefetched. An entry is reported (an observation) or, with `includeDerived`,
//! derived from the indicator's numerator and denominator, and says which.

use async_graphql::{ComplexObject, Context, Lookahead, Result, SimpleObject};

use super::change::ChangeRow;
use super::checks::{self, StandardCheck, Subject};
use super::connection::PageInfo;
use super::context::ContextExt;
use super::enums::SortOrder;
use super::fields::ranking::{
    DERIVATION_DENOMINATOR, DERIVATION_NUMERATOR, ENTRIES, ENTRY_DERIVATION, ENTRY_DISTRICT,
    ENTRY_GAP_TO_STANDARD, ENTRY_INPUTS, ENTRY_MEETS_STANDARD, ENTRY_OBSERVATION,
    ENTRY_STANDARD_CHECKS, MISSING,
};
use super::observation::{self, Links};
use super::prefetch::{LookaheadExt, Mode};
use super::{District, Indicator, Observation};
use crate::analytics::{Entry, RankingResult};
use crate::db::models::DistrictId;
use crate::domain::{ObservationKind, Qualifier};
use crate::error::ApiError;
use crate::stats::derived::agreement;
use crate::stats::ranking::Summary;

/// Summary statistics of ranked values.
#[derive(SimpleObject, Clone, Copy)]
pub struct SummaryStats {
    /// Number of values.
    pub count: i32,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

impl From<Summary> for SummaryStats {
    fn from(s: Summary) -> Self {
        SummaryStats {
            count: s.count as i32,
            mean: s.mean,
            median: s.median,
            min: s.min,
            max: s.max,
        }
    }
}

/// One row of a ranking.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RankingEntry {
    /// 1 is best (see `Ranking.order`); ties share a rank and the next rank skips (1, 2, 2, 4).
    pub rank: i32,
    /// Value in the indicator's canonical unit.
    pub value: f64,
    /// The year of the value used (differs from the requested year only with `latestOnOrBefore`).
    pub year: i32,
    /// Percentile rank of the value among the ranked values, 0–100 in value order whatever the
    /// indicator's direction: the share of values below it plus half the share equal to it.
    pub percentile: f64,
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// What the standard checks read.
    #[graphql(skip)]
    pub subject: Subject,
    /// The observation chosen for this district (with its source and quote); null for a
    /// derived entry, which no report prints.
    pub observation: Option<Observation>,
    /// True when no report prints the value and it is computed from the indicator's
    /// numerator and denominator (only with `includeDerived`); `inputs` holds them.
    pub derived: bool,
    /// For a derived entry: the numerator and denominator observations it is computed from,
    /// in that order. Empty for a reported entry.
    pub inputs: Vec<Observation>,
    /// For a reported entry of a share whose numerator and denominator are stored for the
    /// same district and period: the value they give, and whether it agrees with the printed
    /// one within the printed figure's rounding. Null otherwise.
    pub derivation: Option<Derivation>,
    /// Opaque cursor: pass it as `after` for the entries that follow this one.
    pub cursor: String,
    /// With `ranking(compareWith:)`: the change from the district's value in that year to
    /// this entry's value (`fromValue` null when the district had none). Null without
    /// `compareWith`.
    pub change: Option<ChangeRow>,
}

/// A reported share against the value derived from its inputs.
#[derive(SimpleObject)]
pub struct Derivation {
    /// numerator / denominator (× 100 for a percent), in the indicator's canonical unit.
    pub value: f64,
    /// derived − reported.
    pub difference: f64,
    /// Half a unit of the reported figure's last printed digit (50.15 → 0.005, 29 → 0.5):
    /// the largest difference its rounding explains.
    pub tolerance: f64,
    /// |difference| ≤ tolerance. False flags a share that its own inputs do not give.
    pub agrees: bool,
    /// The numerator observation.
    pub numerator: Observation,
    /// The denominator observation.
    pub denominator: Observation,
}

#[ComplexObject]
impl RankingEntry {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
    /// The value against every standard of the indicator that covers it (see
    /// `Observation.standardChecks`).
    async fn standard_checks(&self, ctx: &Context<'_>) -> Result<Vec<StandardCheck>> {
        checks::covering(ctx, &self.subject).await
    }
    /// Whether the value meets `standard` (see `Observation.meetsStandard`).
    async fn meets_standard(
        &self,
        ctx: &Context<'_>,
        standard: Option<String>,
    ) -> Result<Option<bool>> {
        checks::meets_standard(ctx, &self.subject, standard.as_deref()).await
    }
    /// value − the threshold of `standard` (see `Observation.gapToStandard`).
    async fn gap_to_standard(
        &self,
        ctx: &Context<'_>,
        standard: Option<String>,
    ) -> Result<Option<f64>> {
        checks::gap_to_standard(ctx, &self.subject, standard.as_deref()).await
    }
}

/// A ranking of districts on one indicator in one year.
#[derive(SimpleObject)]
pub struct Ranking {
    /// The indicator ranked.
    pub indicator: Indicator,
    /// The requested year.
    pub year: i32,
    /// The order used: by default best first according to the indicator's direction.
    pub order: SortOrder,
    /// Ranked districts, rank 1 first: all of them, or those asked for with `districts`, then
    /// the page `first` / `after` selects.
    pub entries: Vec<RankingEntry>,
    /// Pagination state of `entries`.
    pub page_info: PageInfo,
    /// District- and county-level divisions with no value.
    pub missing: Vec<District>,
    /// How many divisions were ranked (all of them, whatever the page).
    pub ranked_count: i32,
    /// How many district- and county-level divisions exist (38).
    pub district_count: i32,
    /// "2 of 38": ranked out of existing divisions.
    pub coverage: String,
    /// Statistics of every ranked value (whatever the page); null when nothing was ranked.
    pub stats: Option<SummaryStats>,
}

fn encode_cursor(position: usize) -> String {
    format!("rank:{position}")
}

/// The position an `after` cursor of a ranking stands for; anything but a cursor this API made
/// is `BAD_USER_INPUT`.
pub(crate) fn decode_cursor(cursor: &str) -> Result<usize, ApiError> {
    cursor
        .strip_prefix("rank:")
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(|| {
            ApiError::BadInput(format!(
                "invalid cursor {cursor:?}: pass a RankingEntry.cursor or pageInfo.endCursor of a ranking"
            ))
        })
}

/// Whether the selection of `ranking` asks for the derivation of reported entries (the
/// ranking then loads the inputs).
pub(crate) fn wants_derivations(node: &Lookahead<'_>) -> bool {
    node.at(ENTRIES).wants(ENTRY_DERIVATION)
}

/// Whether the selection of `ranking` reads the chosen observations' full rows (the entry's
/// `observation`, or the printed figure a `derivation` compares with).
pub(crate) fn wants_full_rows(node: &Lookahead<'_>) -> bool {
    let entries = node.at(ENTRIES);
    entries.wants(ENTRY_OBSERVATION) || entries.wants(ENTRY_DERIVATION)
}

/// Whether the selection of `ranking` lists the divisions without a value (`missing`), whose
/// full rows the ranking then reads.
pub(crate) fn wants_missing(node: &Lookahead<'_>) -> bool {
    node.wants(MISSING)
}

impl Ranking {
    /// Builds the result of `year`'s ranking, prefetching the entries' districts,
    /// observations, inputs and standards when selected.
    pub(crate) async fn build(ctx: &Context<'_>, year: i32, r: RankingResult) -> Result<Ranking> {
        let entries = ctx.look_ahead().at(ENTRIES);
        let districts = r.entries.iter().map(|e| e.entry.district());
        observation::prefetch_districts(ctx, districts.collect(), entries.at(ENTRY_DISTRICT))
            .await?;
        let mut chosen: Vec<Links> = Vec::new();
        let mut inputs: Vec<Links> = Vec::new();
        let mut derivation_inputs: Vec<Links> = Vec::new();
        for e in &r.entries {
            match &e.entry {
                Entry::Reported { row, derived, .. } => {
                    if let Some(row) = row {
                        chosen.push((&row.observation).into());
                    }
                    if let Some(d) = derived {
                        derivation_inputs.push((&d.numerator.observation).into());
                        derivation_inputs.push((&d.denominator.observation).into());
                    }
                }
                Entry::Derived(d) => {
                    inputs.push((&d.numerator.observation).into());
                    inputs.push((&d.denominator.observation).into());
                }
            }
        }
        observation::prefetch(ctx, &chosen, entries.at(ENTRY_OBSERVATION), Mode::Direct).await?;
        observation::prefetch(ctx, &inputs, entries.at(ENTRY_INPUTS), Mode::Direct).await?;
        let derivation = entries.at(ENTRY_DERIVATION);
        for field in [DERIVATION_NUMERATOR, DERIVATION_DENOMINATOR] {
            observation::prefetch(ctx, &derivation_inputs, derivation.at(field), Mode::Direct)
                .await?;
        }
        let standards = [
            ENTRY_STANDARD_CHECKS,
            ENTRY_MEETS_STANDARD,
            ENTRY_GAP_TO_STANDARD,
        ]
        .iter()
        .any(|f| entries.wants(*f));
        if standards && !r.entries.is_empty() {
            checks::prefetch(ctx, vec![r.indicator.id], Mode::Direct).await?;
        }
        let ranked_count = r.ranked_count as i32;
        let indicator_id = r.indicator.id;
        let absolute_unit = r.indicator.unit.difference_unit().to_string();
        let breakdown: Vec<(String, String)> = r.breakdown.pairs().to_vec();
        let entries: Vec<RankingEntry> = r
            .entries
            .into_iter()
            .map(|ranked| {
                let (rank, percentile, e) = (ranked.rank, ranked.percentile, ranked.entry);
                let cursor = encode_cursor(ranked.position);
                let change = ranked
                    .change
                    .map(|c| ChangeRow::from_result(c, absolute_unit.clone()));
                {
                    let (kind, qualifier) = match &e {
                        Entry::Reported { value, .. } => (r.kind, value.qualifier),
                        Entry::Derived(_) => (ObservationKind::Actual, Qualifier::Exact),
                    };
                    let subject = Subject {
                        indicator: indicator_id,
                        district: e.district(),
                        year: e.year(),
                        breakdown: breakdown.clone(),
                        kind,
                        value: e.value(),
                        qualifier,
                    };
                    let (value, year, district_id) = (e.value(), e.year(), e.district());
                    let (observation, derived, inputs, derivation) = match e {
                        Entry::Reported {
                            value,
                            row,
                            derived,
                            ..
                        } => {
                            // The printed figure's text gives the rounding tolerance; the
                            // ranking fetches full rows whenever derivations are selected.
                            let derivation = derived.zip(row.as_ref()).map(|(d, row)| {
                                let d = *d;
                                let a =
                                    agreement(d.value, value.value, &row.observation.value_text);
                                Derivation {
                                    value: d.value,
                                    difference: a.difference,
                                    tolerance: a.tolerance,
                                    agrees: a.agrees,
                                    numerator: d.numerator.observation.into(),
                                    denominator: d.denominator.observation.into(),
                                }
                            });
                            let observation = row.map(|row| row.observation.into());
                            (observation, false, Vec::new(), derivation)
                        }
                        Entry::Derived(d) => {
                            let d = *d;
                            (
                                None,
                                true,
                                vec![
                                    d.numerator.observation.into(),
                                    d.denominator.observation.into(),
                                ],
                                None,
                            )
                        }
                    };
                    RankingEntry {
                        rank: rank as i32,
                        percentile,
                        value,
                        year,
                        district_id,
                        subject,
                        observation,
                        derived,
                        inputs,
                        derivation,
                        cursor,
                        change,
                    }
                }
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: r.has_next_page,
            has_previous_page: false,
            start_cursor: entries.first().map(|e| e.cursor.clone()),
            end_cursor: entries.last().map(|e| e.cursor.clone()),
        };
        Ok(Ranking {
            year,
            order: r.order.into(),
            entries,
            page_info,
            missing: super::all(r.missing),
            ranked_count,
            district_count: r.district_count as i32,
            coverage: format!("{ranked_count} of {}", r.district_count),
            stats: r.stats.map(SummaryStats::from),
            indicator: r.indicator.into(),
        })
    }
}
