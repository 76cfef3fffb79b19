//! Choosing one value per district when several observations qualify.
//!
//! The rule, in order (documented in the README and in the GraphQL schema):
//! 1. the latest reference year (only when a "latest on or before" fallback is asked for;
//!    otherwise all candidates share the requested year);
//! 2. the most recently published source: a later report restates or corrects an earlier one;
//! 3. an exact figure before a qualified one (约, 余, 以上 ...);
//! 4. the lowest observation id, i.e. the order of loading, so the choice never varies.

/// What the rule needs to know about a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a> {
    /// Reference year.
    pub year: i32,
    /// Publication date of the source, ISO (`None` sorts as oldest).
    pub published_on: Option<&'a str>,
    /// True when the qualifier is `exact`.
    pub exact: bool,
    /// Observation id.
    pub id: i32,
}

/// Index of the preferred candidate, or `None` for an empty slice.
pub fn preferred(candidates: &[Candidate<'_>]) -> Option<usize> {
    (0..candidates.len()).max_by(|&a, &b| {
        let (x, y) = (&candidates[a], &candidates[b]);
        x.year
            .cmp(&y.year)
            .then_with(|| x.published_on.cmp(&y.published_on))
            .then_with(|| x.exact.cmp(&y.exact))
            // Lower id wins: reverse so that max_by picks it.
            .then_with(|| y.id.cmp(&x.id))
    })
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;

    fn c(
        year: i32,
        published_on: Option<&'static str>,
        exact: bool,
        id: i32,
    ) -> Candidate<'static> {
        Candidate {
            year,
            published_on,
            exact,
            id,
        }
    }

    #[test]
    fn preference_order() {
        let cases: Vec<(Vec<Candidate<'static>>, Option<usize>)> = vec![
            (vec![], None),
            (vec![c(2021, None, true, 1)], Some(0)),
            (
                vec![c(2021, None, true, 1), c(2022, None, false, 2)],
                Some(1),
            ),
            (
                vec![
                    c(2022, Some("2023-10-30"), true, 1),
                    c(2022, Some("2026-04-23"), false, 2),
                ],
                Some(1),
            ),
            (
                vec![
                    c(2022, Some("2023-10-30"), false, 1),
                    c(2022, Some("2023-10-30"), true, 2),
                ],
                Some(1),
            ),
            (
                vec![c(2022, None, true, 7), c(2022, None, true, 3)],
                Some(1),
            ),
            (
                vec![c(2022, None, true, 3), c(2022, Some("2020-01-01"), true, 9)],
                Some(1),
            ),
        ];
        for (candidates, expected) in cases {
            assert_eq!(preferred(&candidates), expected, "{candidates:?}");
        }
    }
}
