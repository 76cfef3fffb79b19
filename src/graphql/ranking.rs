//! The `Ranking` result (with its `RankingEntry` rows and `SummaryStats`), built from
//! [`crate::analytics::ranking`] with the relations its selection asks for prefetched.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::connection::PageInfo;
use super::context::ContextExt;
use super::enums::SortOrder;
use super::observation::{self, Links};
use super::prefetch::{LookaheadExt, Mode};
use super::{district, District, Indicator, Observation};
use crate::analytics::RankingResult;
use crate::db::models::DistrictId;
use crate::error::ApiError;
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
    /// The observation chosen for this district (with its source and quote).
    pub observation: Observation,
    /// Opaque cursor: pass it as `after` for the entries that follow this one.
    pub cursor: String,
}

#[ComplexObject]
impl RankingEntry {
    /// The district.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
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

prefetched_fields! {
    "Ranking" {
        ENTRIES = "entries",
    }
    "RankingEntry" {
        ENTRY_DISTRICT = "district",
        ENTRY_OBSERVATION = "observation",
    }
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

impl Ranking {
    /// Builds the result of `year`'s ranking, prefetching the entries' districts and
    /// observations when selected.
    pub(crate) async fn build(ctx: &Context<'_>, year: i32, r: RankingResult) -> Result<Ranking> {
        let entries = ctx.look_ahead().at(ENTRIES);
        let districts = r.entries.iter().map(|e| e.row.observation.district_id);
        district::prefetch(ctx, districts.collect(), entries.at(ENTRY_DISTRICT)).await?;
        let chosen: Vec<Links> = r
            .entries
            .iter()
            .map(|e| (&e.row.observation).into())
            .collect();
        let node = entries.at(ENTRY_OBSERVATION);
        observation::prefetch(ctx, &chosen, node, Mode::Direct).await?;
        let ranked_count = r.ranked_count as i32;
        let entries: Vec<RankingEntry> = r
            .entries
            .into_iter()
            .map(|e| RankingEntry {
                rank: e.rank as i32,
                percentile: e.percentile,
                value: e.row.observation.value,
                year: e.row.period.year,
                district_id: e.row.observation.district_id,
                observation: e.row.observation.into(),
                cursor: encode_cursor(e.position),
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
