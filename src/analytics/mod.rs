//! Cross-district questions, one module per question: [`ranking`](mod@ranking) (with the
//! [`derived`] shares it may rank), [`change`], [`compare`](mod@compare),
//! [`time_series`](mod@time_series) (and its target markers), [`targets`] against actuals,
//! [`aggregate`](mod@aggregate) distributions, [`standards`](mod@standards) and their
//! shortfalls, and the [`observations`] filter; [`shared`] holds the look-ups and the value
//! choice they share.
//!
//! Each question takes what to compute as a small request (`RankingRequest`, `ChangeRequest`,
//! …) in domain terms and returns domain results; what to return is the caller's choice (it
//! calls [`attach_rows`] only when it shows the entries' quotes, for instance).
//! Each function is synchronous and takes a connection: it resolves codes, loads candidate
//! values with a fixed number of queries, and hands them to the pure functions in
//! [`crate::stats`]. Failures are [`AnalyticsError`]s naming the input at fault in domain
//! terms ([`YearInput`]); the API layer words them as its clients name the inputs.

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

pub use aggregate::{aggregate, AggregateGroup, AggregateRequest, GroupBy};
pub use change::{changes, ChangeRequest, ChangeResult};
pub use compare::{compare, CompareRequest, CompareResult};
pub use derived::{derived_values, Derived};
pub use observations::{resolve_observation_filter, FilterCodes};
pub use ranking::{
    attach_rows, ranking, DerivedShares, Entry, EntryPage, RankedEntry, RankingRequest,
    RankingResult,
};
pub use shared::{
    chosen, pick_per_district, resolve_breakdown, resolve_districts, resolve_indicator,
    resolve_indicators, year_window,
};
pub use standards::{standard_shortfalls, standards, Shortfall, ShortfallRequest};
pub use targets::{progress, progress_of, TargetProgress, TargetsRequest};
pub use time_series::{series_targets, time_series, SeriesRequest};

use crate::db::DbError;

/// A year the caller gave, named for what it means to the question (the API layer names it as
/// its clients spell it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearInput {
    /// The year a question is about (a ranking's, a matrix's, a filter's, …).
    Year,
    /// The earlier year a ranking's values are compared with.
    Baseline,
    /// The first year of a change.
    From,
    /// The last year of a change.
    To,
}

/// Errors of the analytic questions. Messages are in domain words; the API layer words the
/// ones that are the caller's doing as its clients know the inputs.
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
    /// A year outside [`YEARS`].
    #[error("{input:?} must be a year between {} and {}, got {year}", YEARS.start(), YEARS.end())]
    YearOutOfRange {
        /// Which year.
        input: YearInput,
        /// The year given.
        year: i32,
    },
    /// Two years that must be in order are not: `earlier` is not before `later`.
    #[error("{:?} ({}) must be before {:?} ({})", earlier.0, earlier.1, later.0, later.1)]
    YearsOutOfOrder {
        /// The year that must come first, and its value.
        earlier: (YearInput, i32),
        /// The year that must come after it, and its value.
        later: (YearInput, i32),
    },
    /// A comparison matrix without a district or without an indicator.
    #[error("a comparison needs at least one district and one indicator")]
    EmptyMatrix,
    /// A comparison matrix over [`MAX_CELLS`] cells.
    #[error("a comparison is limited to {MAX_CELLS} cells")]
    TooManyCells,
    /// A peer group without districts.
    #[error("a peer group needs at least one district")]
    EmptyPeerGroup,
    /// A standard without a threshold printed by a seed report, or without an indicator.
    #[error("standard {0} cannot be checked: no seed report prints its threshold or the catalogue has no indicator for it (see its note)")]
    Uncheckable(String),
    /// A standard whose stored scope is not a breakdown.
    #[error("standard {standard}: {message}")]
    BadScope {
        /// The standard's code.
        standard: String,
        /// Why the scope does not parse.
        message: String,
    },
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The most cells a comparison matrix may have.
pub const MAX_CELLS: usize = 10_000;

impl From<diesel::result::Error> for AnalyticsError {
    fn from(e: diesel::result::Error) -> Self {
        AnalyticsError::Db(DbError::Query(e))
    }
}

/// Years accepted as arguments.
pub const YEARS: std::ops::RangeInclusive<i32> = 1949..=2100;

/// Checks that both years are in [`YEARS`] and that `earlier` comes before `later`.
pub fn check_order(
    earlier: (YearInput, i32),
    later: (YearInput, i32),
) -> Result<(), AnalyticsError> {
    check_year(earlier.0, earlier.1)?;
    check_year(later.0, later.1)?;
    if earlier.1 < later.1 {
        Ok(())
    } else {
        Err(AnalyticsError::YearsOutOfOrder { earlier, later })
    }
}

/// Checks that `year` is in [`YEARS`]; `input` says which year it is.
pub fn check_year(input: YearInput, year: i32) -> Result<(), AnalyticsError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(AnalyticsError::YearOutOfRange { input, year })
    }
}
