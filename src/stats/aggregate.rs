//! Distribution statistics of one value per district: count, mean, median, percentiles,
//! minimum, maximum, and a sum only when the unit adds up; and the percentile rank of a value
//! within a set.
//!
//! Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7, the default
//! of R and NumPy): for sorted values x₀…xₙ₋₁ the p-quantile is at position h = (n − 1)·p,
//! interpolated between x⌊h⌋ and x⌈h⌉.

/// The name of the percentile definition, as the API reports it.
pub const PERCENTILE_METHOD: &str =
    "linear interpolation between closest ranks (Hyndman-Fan type 7, as R and NumPy default)";

/// Statistics of a group of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (type 7: the mean of the two middle values for an even count).
    pub median: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Sum, only when the caller says the values add up (never for a rate).
    pub sum: Option<f64>,
}

/// The `p`-quantile (0 ≤ p ≤ 1) of values sorted ascending, type 7; `None` when empty.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// Statistics of `values`; `additive` says whether a sum means anything. `None` when empty.
pub fn distribution(values: &[f64], additive: bool) -> Option<Distribution> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p| quantile(&sorted, p);
    let total: f64 = sorted.iter().sum();
    Some(Distribution {
        count: sorted.len(),
        mean: total / sorted.len() as f64,
        median: q(0.5)?,
        p10: q(0.1)?,
        p25: q(0.25)?,
        p75: q(0.75)?,
        p90: q(0.9)?,
        min: *sorted.first()?,
        max: *sorted.last()?,
        sum: additive.then_some(total),
    })
}

/// Percentile rank of `x` among `values` (0–100, in value order whatever the indicator's
/// direction): the share of values below it plus half the share equal to it (the mid-rank
/// definition, so a set of one gives 50 and ties share a percentile). `None` when empty.
pub fn percentile_rank(values: &[f64], x: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let below = values.iter().filter(|v| **v < x).count() as f64;
    let equal = values.iter().filter(|v| **v == x).count() as f64;
    Some(100.0 * (below + equal / 2.0) / values.len() as f64)
}

/// [`percentile_rank`] over values already sorted ascending (by `f64::total_cmp`): two binary
/// searches instead of a pass, so that a ranking of thousands of districts does not cost a
/// pass per entry. 50 for an empty slice, as a set of one.
pub fn percentile_rank_sorted(sorted: &[f64], x: f64) -> f64 {
    if sorted.is_empty() {
        return 50.0;
    }
    let below = sorted.partition_point(|v| *v < x) as f64;
    let up_to = sorted.partition_point(|v| *v <= x) as f64;
    100.0 * (below + (up_to - below) / 2.0) / sorted.len() as f64
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;

    #[test]
    fn quantiles_type_7() {
        // (sorted values, p, expected) — expected values as R's quantile(type = 7) gives them.
        let cases: &[(&[f64], f64, Option<f64>)] = &[
            (&[], 0.5, None),
            (&[7.0], 0.9, Some(7.0)),
            (&[1.0, 2.0], 0.5, Some(1.5)),
            (&[1.0, 2.0, 3.0, 4.0], 0.5, Some(2.5)),
            (&[1.0, 2.0, 3.0, 4.0], 0.25, Some(1.75)),
            (&[1.0, 2.0, 3.0, 4.0], 0.75, Some(3.25)),
            (&[1.0, 2.0, 3.0, 4.0], 0.1, Some(1.3)),
            (&[1.0, 2.0, 3.0, 4.0], 0.9, Some(3.7)),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 0.1, Some(14.0)),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 0.0, Some(10.0)),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 1.0, Some(50.0)),
        ];
        for (values, p, expected) in cases {
            let got = quantile(values, *p);
            match (got, expected) {
                (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{values:?} {p}: {g}"),
                (g, e) => assert_eq!(g, *e, "{values:?} {p}"),
            }
        }
    }

    #[test]
    fn distributions() {
        // An even count, unsorted input; a sum only when additive.
        let d = distribution(&[4.0, 1.0, 3.0, 2.0], true).expect("non-empty");
        assert_eq!((d.count, d.min, d.max), (4, 1.0, 4.0));
        assert!((d.mean - 2.5).abs() < 1e-9 && (d.median - 2.5).abs() < 1e-9);
        assert!((d.p10 - 1.3).abs() < 1e-9 && (d.p90 - 3.7).abs() < 1e-9);
        assert_eq!(d.sum, Some(10.0));
        let rate = distribution(&[4.0, 1.0], false).expect("non-empty");
        assert_eq!(rate.sum, None);
        assert_eq!(distribution(&[], true), None);
    }

    #[test]
    fn percentile_ranks() {
        let cases: &[(&[f64], f64, Option<f64>)] = &[
            (&[], 1.0, None),
            (&[5.0], 5.0, Some(50.0)),
            (&[1.0, 2.0, 3.0, 4.0], 1.0, Some(12.5)),
            (&[1.0, 2.0, 3.0, 4.0], 4.0, Some(87.5)),
            (&[1.0, 2.0, 2.0, 4.0], 2.0, Some(50.0)),
        ];
        for (values, x, expected) in cases {
            assert_eq!(percentile_rank(values, *x), *expected, "{values:?} {x}");
        }
    }

    #[test]
    fn sorted_percentile_ranks_equal_the_pass() {
        let values = [3.0, -1.0, 2.0, 2.0, 0.0, -0.0, 7.5, 2.0, 3.0];
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        for x in values.iter().chain(&[-5.0, 100.0, 2.5]) {
            let pass = percentile_rank(&values, *x).expect("non-empty");
            assert_eq!(percentile_rank_sorted(&sorted, *x), pass, "{x}");
        }
        assert_eq!(percentile_rank_sorted(&[], 1.0), 50.0);
    }
}
