//! The API's words for what analytics refuses: each [`AnalyticsError`] as the [`ApiError`] a
//! client receives, with the year inputs named as the GraphQL arguments (and the export's
//! query parameters, which share them) spell them. This is the one place that knows which
//! argument a domain input came from.

use crate::analytics::{AnalyticsError, YearInput, MAX_CELLS, YEARS};
use crate::error::ApiError;

/// The argument a year input arrives in.
fn argument(input: YearInput) -> &'static str {
    match input {
        YearInput::Year => "year",
        YearInput::Baseline => "compareWith",
        YearInput::From => "from",
        YearInput::To => "to",
    }
}

/// `BAD_USER_INPUT` for a year outside [`YEARS`] given in `argument`.
fn year_out_of_range(argument: &str, year: i32) -> ApiError {
    ApiError::BadInput(format!(
        "{argument} must be a year between {} and {}, got {year}",
        YEARS.start(),
        YEARS.end()
    ))
}

/// Checks a year argument that the resolver reads itself (not through an analytics request).
pub(crate) fn check_year(argument: &str, year: i32) -> Result<(), ApiError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(year_out_of_range(argument, year))
    }
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::NotFound { kind, code } => ApiError::NotFound { kind, code },
            AnalyticsError::YearOutOfRange { input, year } => {
                year_out_of_range(argument(input), year)
            }
            AnalyticsError::YearsOutOfOrder { earlier, later } => ApiError::BadInput(format!(
                "{} ({}) must be before {} ({})",
                argument(earlier.0),
                earlier.1,
                argument(later.0),
                later.1
            )),
            AnalyticsError::EmptyMatrix => {
                ApiError::BadInput("compare needs at least one district and one indicator".into())
            }
            AnalyticsError::TooManyCells => {
                ApiError::BadInput(format!("compare is limited to {MAX_CELLS} cells"))
            }
            AnalyticsError::EmptyPeerGroup => {
                ApiError::BadInput("groupBy DISTRICTS needs a non-empty districts list".into())
            }
            AnalyticsError::Uncheckable(_) | AnalyticsError::BadScope { .. } => {
                ApiError::BadInput(e.to_string())
            }
            AnalyticsError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The messages clients have always seen, byte for byte.
    #[test]
    fn analytics_errors_keep_their_wording() {
        let cases = [
            (
                AnalyticsError::YearOutOfRange {
                    input: YearInput::Baseline,
                    year: 1900,
                },
                "compareWith must be a year between 1949 and 2100, got 1900",
            ),
            (
                AnalyticsError::YearsOutOfOrder {
                    earlier: (YearInput::Baseline, 2023),
                    later: (YearInput::Year, 2022),
                },
                "compareWith (2023) must be before year (2022)",
            ),
            (
                AnalyticsError::YearsOutOfOrder {
                    earlier: (YearInput::From, 2022),
                    later: (YearInput::To, 2022),
                },
                "from (2022) must be before to (2022)",
            ),
            (
                AnalyticsError::TooManyCells,
                "compare is limited to 10000 cells",
            ),
            (
                AnalyticsError::EmptyPeerGroup,
                "groupBy DISTRICTS needs a non-empty districts list",
            ),
            (
                AnalyticsError::Uncheckable("x".into()),
                "standard x cannot be checked: no seed report prints its threshold or the catalogue has no indicator for it (see its note)",
            ),
        ];
        for (error, message) in cases {
            let api = ApiError::from(error);
            assert!(matches!(api, ApiError::BadInput(_)), "{api:?}");
            assert_eq!(api.to_string(), message);
        }
        assert_eq!(
            check_year("onOrBefore", 2101).map_err(|e| e.to_string()),
            Err("onOrBefore must be a year between 1949 and 2100, got 2101".to_string())
        );
    }
}
