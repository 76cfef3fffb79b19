//! Competition ranking ("1, 2, 2, 4") and summary statistics.

use crate::domain::Direction;

/// The order values are ranked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lowest value first.
    Ascending,
    /// Highest value first.
    Descending,
}

impl Order {
    /// Best first for an indicator direction: lower-is-better ranks the lowest value first;
    /// higher-is-better and neutral rank the highest first (for neutral indicators "best" has no
    /// meaning, so the conventional largest-first order is used).
    pub fn best_first(direction: Direction) -> Order {
        match direction {
            Direction::LowerIsBetter => Order::Ascending,
            Direction::HigherIsBetter | Direction::Neutral => Order::Descending,
        }
    }
}

/// One ranked item: its rank and its index in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// 1-based rank; tied values share a rank and the next rank skips.
    pub rank: usize,
    /// Index of the item in the input slice.
    pub index: usize,
}

/// Ranks `values` in `order`. Ties (exactly equal values, compared in the canonical unit) share
/// the best rank of their group; the next distinct value gets 1 + the number of items before it.
/// Items with equal values keep their input order, so callers get a deterministic result by
/// passing a deterministic input order (e.g. by district code).
pub fn rank(values: &[f64], order: Order) -> Vec<Ranked> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| {
        let cmp = values[a].total_cmp(&values[b]);
        match order {
            Order::Ascending => cmp,
            Order::Descending => cmp.reverse(),
        }
    });
    let mut out = Vec::with_capacity(values.len());
    for (pos, &i) in idx.iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if values[idx[pos - 1]] == values[i] => {
                let prev: &Ranked = prev;
                prev.rank
            }
            _ => pos + 1,
        };
        out.push(Ranked { rank, index: i });
    }
    out
}

/// Summary statistics of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Summary of `values`; `None` when there are none.
pub fn summary(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Summary {
        count: n,
        mean: sorted.iter().sum::<f64>() / n as f64,
        median,
        min: sorted[0],
        max: sorted[n - 1],
    })
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;

    #[test]
    fn competition_ranking() {
        // (values, order, expected ranks in output order, expected input indices in output order)
        let cases: &[(&[f64], Order, &[usize], &[usize])] = &[
            (
                &[10.0, 30.0, 20.0],
                Order::Descending,
                &[1, 2, 3],
                &[1, 2, 0],
            ),
            (
                &[10.0, 30.0, 20.0],
                Order::Ascending,
                &[1, 2, 3],
                &[0, 2, 1],
            ),
            (
                &[5.0, 7.0, 7.0, 1.0],
                Order::Descending,
                &[1, 1, 3, 4],
                &[1, 2, 0, 3],
            ),
            (
                &[5.0, 3.0, 3.0, 9.0],
                Order::Ascending,
                &[1, 1, 3, 4],
                &[1, 2, 0, 3],
            ),
            (
                &[9.0, 8.0, 8.0, 7.0],
                Order::Descending,
                &[1, 2, 2, 4],
                &[0, 1, 2, 3],
            ),
            (&[2.0, 2.0, 2.0], Order::Descending, &[1, 1, 1], &[0, 1, 2]),
            (&[], Order::Descending, &[], &[]),
        ];
        for (values, order, ranks, indices) in cases {
            let got = rank(values, *order);
            let got_ranks: Vec<usize> = got.iter().map(|r| r.rank).collect();
            let got_idx: Vec<usize> = got.iter().map(|r| r.index).collect();
            assert_eq!(&got_ranks, ranks, "{values:?} {order:?}");
            assert_eq!(&got_idx, indices, "{values:?} {order:?}");
        }
    }

    #[test]
    fn best_first_follows_direction() {
        assert_eq!(
            Order::best_first(Direction::LowerIsBetter),
            Order::Ascending
        );
        assert_eq!(
            Order::best_first(Direction::HigherIsBetter),
            Order::Descending
        );
        assert_eq!(Order::best_first(Direction::Neutral), Order::Descending);
    }

    #[test]
    fn summaries() {
        let cases: &[(&[f64], Option<(usize, f64, f64, f64, f64)>)] = &[
            (&[], None),
            (&[4.0], Some((1, 4.0, 4.0, 4.0, 4.0))),
            (&[1.0, 3.0, 2.0], Some((3, 2.0, 2.0, 1.0, 3.0))),
            (&[1.0, 2.0, 3.0, 10.0], Some((4, 4.0, 2.5, 1.0, 10.0))),
        ];
        for (values, expected) in cases {
            let got = summary(values).map(|s| (s.count, s.mean, s.median, s.min, s.max));
            assert_eq!(got, *expected, "{values:?}");
        }
    }
}
