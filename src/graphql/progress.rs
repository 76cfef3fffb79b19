//! The `TargetProgress` result: one target with the actual it is compared with, built from
//! [`crate::analytics::progress`], with the observations and districts its selection asks for
//! prefetched.

use async_graphql::{ComplexObject, Context, Enum, Lookahead, Result, SimpleObject};

use super::context::ContextExt;
use super::fields::progress::{ACTUAL, DISTRICT, PACE_FROM, TARGET};
use super::loaders::TargetsOfDistrict;
use super::lookups::indicator_by_code_in;
use super::observation::{self, Links};
use super::prefetch::{argument, fetch, LookaheadExt, Mode};
use super::{District, Indicator, Observation};
use crate::analytics::TargetProgress as Row;
use crate::db::models::DistrictId;
use crate::stats::targets::{Condition, Progress};

/// Where a target stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProgressStatus {
    /// The actual meets the target (at its date, or already before it).
    Met,
    /// The target's date is reached (the actual refers to the end of its period) and the
    /// actual does not meet it.
    Missed,
    /// Not met yet, the date is ahead, and the change per year so far is at least the change
    /// per year still needed.
    OnTrack,
    /// Not met yet, the date is ahead, and the change per year so far is short of what is
    /// needed (or goes the wrong way).
    Behind,
    /// Not met yet, the date is ahead, and there is only one actual: no pace to judge by.
    NotYetMet,
    /// The target states a level, not a threshold (an unqualified target of a neutral
    /// indicator), or a qualified actual (以上 …) does not decide it.
    Undecided,
    /// No actual of the same district, indicator and breakdown on or before the target's date.
    NoActual,
}

fn status(p: Option<&Progress>) -> ProgressStatus {
    let Some(p) = p else {
        return ProgressStatus::NoActual;
    };
    match (p.met, p.due, p.on_track) {
        (Some(true), _, _) => ProgressStatus::Met,
        (None, _, _) => ProgressStatus::Undecided,
        (Some(false), true, _) => ProgressStatus::Missed,
        (Some(false), false, Some(true)) => ProgressStatus::OnTrack,
        (Some(false), false, Some(false)) => ProgressStatus::Behind,
        (Some(false), false, None) => ProgressStatus::NotYetMet,
    }
}

fn describe(c: Option<Condition>) -> Option<String> {
    c.map(|c| match c {
        Condition::AtLeast(t) => format!("at_least {t}"),
        Condition::MoreThan(t) => format!("more_than {t}"),
        Condition::AtMost(t) => format!("at_most {t}"),
        Condition::LessThan(t) => format!("less_than {t}"),
    })
}

/// A target of one district compared with the latest actual on or before its date.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TargetProgress {
    /// The district (resolved through the loader).
    #[graphql(skip)]
    pub district_id: DistrictId,
    /// The target's indicator.
    pub indicator: Indicator,
    /// The target observation (value, qualifier, period, breakdown, source and quote).
    pub target: Observation,
    /// The target's value in the indicator's canonical unit.
    pub target_value: f64,
    /// The target's period, e.g. `2025` or `2021..2025`.
    pub target_period: String,
    /// The test the actual must pass, e.g. `at_least 95`: the target's qualifier (不低于 →
    /// at_least, 超过 / 以上 / 突破 → more_than, 以内 / 不超过 → at_most, 低于 → less_than), or
    /// for an unqualified target the indicator's direction (higher_is_better → at_least,
    /// lower_is_better → at_most). Null for an unqualified target of a neutral indicator.
    pub condition: Option<String>,
    /// The actual compared with: the latest of the same district, indicator and breakdown
    /// whose period ends on or before the end of the target's period. Null when none.
    pub actual: Option<Observation>,
    /// The actual's value (canonical unit).
    pub actual_value: Option<f64>,
    /// The actual's period, e.g. `2023-01..2023-06`.
    pub actual_period: Option<String>,
    /// The year the actual's period ends in.
    pub actual_year: Option<i32>,
    /// `actualValue − targetValue`, in `gapUnit` (negative: short of the target's value).
    pub gap: Option<f64>,
    /// Unit of `gap` and of the per-year changes: `percentage_point` for a percent indicator,
    /// the indicator's unit otherwise.
    pub gap_unit: String,
    /// Whether the actual meets the target; null when `status` is `UNDECIDED` or `NO_ACTUAL`.
    pub met: Option<bool>,
    /// Where the target stands.
    pub status: ProgressStatus,
    /// True when the actual refers to the end of the target's period: the verdict is final.
    pub due: Option<bool>,
    /// Years from the end of the actual's period to the end of the target's (0 when due).
    pub years_left: Option<f64>,
    /// For a target still ahead: the change per year still needed, `(target − actual) /
    /// yearsLeft`, in `gapUnit`.
    pub needed_per_year: Option<f64>,
    /// The change per year so far, from `paceFrom` to `actual`, in `gapUnit`; null with a
    /// single actual.
    pub pace_per_year: Option<f64>,
    /// The earliest earlier actual that is a figure, not a bound (以上 …), from which
    /// `pacePerYear` is measured.
    pub pace_from: Option<Observation>,
    /// Met, or moving towards the target at least as fast as needed.
    pub on_track: Option<bool>,
}

#[ComplexObject]
impl TargetProgress {
    /// The district the target is about.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
}

impl TargetProgress {
    /// Converts the rows, prefetching their districts and observations when selected (`node`
    /// is the selection of one row).
    pub(crate) async fn build(
        ctx: &Context<'_>,
        rows: Vec<Row>,
        node: Lookahead<'_>,
    ) -> Result<Vec<TargetProgress>> {
        prefetch_rows(ctx, &rows, &node).await?;
        Ok(rows.into_iter().map(TargetProgress::from).collect())
    }
}

/// Prefetches the districts and observations `node` (the selection of one progress entry)
/// asks for, for all `rows`. Direct calls, each skipping what the request's cache holds.
async fn prefetch_rows(ctx: &Context<'_>, rows: &[Row], node: &Lookahead<'_>) -> Result<()> {
    let districts = rows.iter().map(|r| r.target.observation.district_id);
    observation::prefetch_districts(ctx, districts.collect(), node.at(DISTRICT)).await?;
    let targets: Vec<Links> = rows
        .iter()
        .map(|r| (&r.target.observation).into())
        .collect();
    observation::prefetch(ctx, &targets, node.at(TARGET), Mode::Direct).await?;
    let actuals: Vec<Links> = rows
        .iter()
        .filter_map(|r| r.actual.as_ref().map(|a| (&a.observation).into()))
        .collect();
    observation::prefetch(ctx, &actuals, node.at(ACTUAL), Mode::Direct).await?;
    let bases: Vec<Links> = rows
        .iter()
        .filter_map(|r| r.base.as_ref().map(|a| (&a.observation).into()))
        .collect();
    observation::prefetch(ctx, &bases, node.at(PACE_FROM), Mode::Direct).await?;
    Ok(())
}

/// For a list of districts, loads what each `progress` selection in `node` (the list's
/// `progress` look-ahead) asks for: every district's targets with one direct call per distinct
/// `year`, and their relations for all districts at once. The per-district resolvers then find
/// it all in the request's cache: a fixed number of statements however many districts and
/// however loaded the machine (the loader's batching window alone may split a batch). A
/// look-up that fails is left to the resolvers, which report it with their path.
pub(crate) async fn prefetch_of_districts(
    ctx: &Context<'_>,
    districts: &[DistrictId],
    node: Lookahead<'_>,
) -> Result<()> {
    if !node.exists() || districts.is_empty() {
        return Ok(());
    }
    let loaders = ctx.loaders()?;
    for field in node.selection_fields() {
        if let Ok(Some(code)) = argument::<Option<String>>(&field, "indicator") {
            let _ = indicator_by_code_in(loaders, Mode::Direct, &code).await;
        }
        let Ok(year) = argument::<Option<i32>>(&field, "year") else {
            continue;
        };
        let keys = districts
            .iter()
            .map(|d| TargetsOfDistrict(*d, year))
            .collect();
        let Ok(rows) = fetch(loaders, keys).await else {
            continue;
        };
        let rows: Vec<Row> = rows.into_values().flatten().collect();
        prefetch_rows(ctx, &rows, &node).await?;
    }
    Ok(())
}

impl From<Row> for TargetProgress {
    fn from(r: Row) -> Self {
        let t = &r.target;
        let condition = Condition::of_target(
            t.observation.value,
            t.observation.qualifier,
            r.indicator.direction,
        );
        let p = r.progress.as_ref();
        TargetProgress {
            district_id: t.observation.district_id,
            target_value: t.observation.value,
            target_period: t.period.code.clone(),
            condition: describe(condition),
            actual_value: r.actual.as_ref().map(|a| a.observation.value),
            actual_period: r.actual.as_ref().map(|a| a.period.code.clone()),
            actual_year: r.actual.as_ref().map(|a| a.period.year),
            gap: p.map(|p| p.gap),
            gap_unit: r.indicator.unit.difference_unit().to_string(),
            met: p.and_then(|p| p.met),
            status: status(p),
            due: p.map(|p| p.due),
            years_left: p.map(|p| p.years_left),
            needed_per_year: p.and_then(|p| p.needed_per_year),
            pace_per_year: p.and_then(|p| p.pace_per_year),
            on_track: p.and_then(|p| p.on_track),
            actual: r.actual.map(|a| a.observation.into()),
            pace_from: r.base.map(|a| a.observation.into()),
            target: r.target.observation.into(),
            indicator: r.indicator.into(),
        }
    }
}
