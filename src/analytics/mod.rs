//! Cross-district questions, one module per question: [`ranking`] (with the [`derived`] shares
//! it may rank), [`change`], [`compare`], [`time_series`] (and its target markers), [`targets`]
//! against actuals, [`aggregate`] distributions, [`standards`] and their shortfalls, and the
//! [`observations`] filter; [`shared`] holds the look-ups and the value choice they share. Each
//! function is synchronous and takes a connection: it resolves codes, loads candidate values
//! with a fixed number of queries, and hands them to the pure functions in [`crate::stats`].
//! Failures are [`AnalyticsError`]s, mapped to API codes once in [`crate::error`].

pub mod aggregate;
pub mod change;
pub mod compare;
pub mod derived;
pub mod observations;
pub mod ranking;
pub mod shared;
pub mod standards;
pub mod targets;
pub mod time_series;

pub use aggregate::{aggregate, AggregateGroup, GroupBy};
pub use change::{changes, ChangeResult};
pub use compare::{compare, CompareResult};
pub use derived::{derived_values, Derived};
pub use observations::{resolve_observation_filter, FilterCodes};
pub use ranking::{ranking, Entry, RankedEntry, RankingQuery, RankingResult};
pub use shared::{
    chosen, pick_per_district, resolve_breakdown, resolve_districts, resolve_indicator,
    resolve_indicators,
};
pub use standards::{standard_shortfalls, standards, Shortfall};
pub use targets::{progress, progress_of, TargetProgress};
pub use time_series::{series_targets, time_series};

use crate::db::DbError;

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
