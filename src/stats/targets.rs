//! Targets against actuals: whether a value meets a target (the target's qualifier first, the
//! indicator's direction for an unqualified target), the gap, and for a target not yet due the
//! change per year still needed against the change per year so far.
//!
//! Times are positions in years (e.g. 2023.5 for the end of June 2023), computed by the caller
//! from the periods' end dates, so a half-year actual is not mistaken for a whole year.

use crate::domain::{Direction, Qualifier};

/// The test a value must pass to meet a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// value ≥ threshold.
    AtLeast(f64),
    /// value > threshold.
    MoreThan(f64),
    /// value ≤ threshold.
    AtMost(f64),
    /// value < threshold.
    LessThan(f64),
}

impl Condition {
    /// The condition a target states: its qualifier when it has one (不低于 → at least, 超过 /
    /// 以上 / 突破 → more than, 以内 / 不超过 → at most, 低于 / 不足 → less than); for an exact or
    /// approximate target, the indicator's direction (higher is better → at least, lower is
    /// better → at most). `None` for an unqualified target of a neutral indicator: it states a
    /// level (e.g. planned enrolment), not a threshold, so it is neither met nor missed.
    pub fn of_target(value: f64, qualifier: Qualifier, direction: Direction) -> Option<Condition> {
        match qualifier {
            Qualifier::AtLeast => Some(Condition::AtLeast(value)),
            Qualifier::MoreThan => Some(Condition::MoreThan(value)),
            Qualifier::AtMost => Some(Condition::AtMost(value)),
            Qualifier::LessThan => Some(Condition::LessThan(value)),
            Qualifier::Exact | Qualifier::Approximate => match direction {
                Direction::HigherIsBetter => Some(Condition::AtLeast(value)),
                Direction::LowerIsBetter => Some(Condition::AtMost(value)),
                Direction::Neutral => None,
            },
        }
    }

    /// Whether the exact value `x` passes.
    pub fn holds(self, x: f64) -> bool {
        match self {
            Condition::AtLeast(t) => x >= t,
            Condition::MoreThan(t) => x > t,
            Condition::AtMost(t) => x <= t,
            Condition::LessThan(t) => x < t,
        }
    }

    fn threshold(self) -> f64 {
        match self {
            Condition::AtLeast(t)
            | Condition::MoreThan(t)
            | Condition::AtMost(t)
            | Condition::LessThan(t) => t,
        }
    }

    fn upward(self) -> bool {
        matches!(self, Condition::AtLeast(_) | Condition::MoreThan(_))
    }

    /// Whether a reported value `x` with qualifier `q` passes. A qualified value is a bound
    /// (93.88以上 says only "≥ 93.88"), so the answer is `None` when the bound does not decide
    /// it; an approximate value is taken as printed.
    pub fn holds_for(self, x: f64, q: Qualifier) -> Option<bool> {
        let t = self.threshold();
        // The reported value is a lower bound (x or more), an upper bound, or a point.
        let (lower, strict) = match q {
            Qualifier::Exact | Qualifier::Approximate => return Some(self.holds(x)),
            Qualifier::AtLeast => (true, false),
            Qualifier::MoreThan => (true, true),
            Qualifier::AtMost => (false, false),
            Qualifier::LessThan => (false, true),
        };
        if lower == self.upward() {
            // The bound points the way the condition does: the bound passing settles it.
            let passes = self.holds(x) || (strict && if lower { x >= t } else { x <= t });
            passes.then_some(true)
        } else {
            // The bound points away: the bound failing settles it.
            let fails = !self.holds(x) || (strict && if lower { x >= t } else { x <= t });
            fails.then_some(false)
        }
    }
}

/// A dated value: position in years and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dated {
    /// End of the reference period, in years (2023.5 = end of June 2023).
    pub at: f64,
    /// Value.
    pub value: f64,
}

/// How a target stands against the latest actual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// actual − target, in the indicator's unit (percentage points for a percent).
    pub gap: f64,
    /// Whether the actual meets the target; `None` when the target states no threshold or a
    /// qualified actual does not decide it.
    pub met: Option<bool>,
    /// Whether the actual refers to the end of the target's period (the verdict is final);
    /// otherwise the target is still ahead.
    pub due: bool,
    /// Years from the actual to the end of the target's period (0 when due).
    pub years_left: f64,
    /// For a target still ahead: (target − actual) / years left.
    pub needed_per_year: Option<f64>,
    /// Change per year from the earliest earlier actual to the latest (needs two dates).
    pub pace_per_year: Option<f64>,
    /// Met already, or (for a target still ahead) moving towards it at least as fast as needed;
    /// for a due target, the same as `met`.
    pub on_track: Option<bool>,
}

/// Compares `target` (ending at `target_at`) with the latest actual `actual` (its qualifier
/// `actual_q`) and the earliest earlier actual `base`, if any, for the pace so far.
pub fn progress(
    target: Dated,
    condition: Option<Condition>,
    actual: Dated,
    actual_q: Qualifier,
    base: Option<Dated>,
) -> Progress {
    // Periods of the same end are due; a rounding margin keeps a month's end from counting.
    let years_left = (target.at - actual.at).max(0.0);
    let due = years_left < 1e-6;
    let met = condition.and_then(|c| c.holds_for(actual.value, actual_q));
    let needed_per_year = (!due).then(|| (target.value - actual.value) / years_left);
    let pace_per_year = base
        .filter(|b| actual.at - b.at > 1e-6)
        .map(|b| (actual.value - b.value) / (actual.at - b.at));
    let on_track = match (met, due) {
        (Some(true), _) => Some(true),
        (m, true) => m,
        (_, false) => match (condition, needed_per_year, pace_per_year) {
            (Some(c), Some(needed), Some(pace)) => Some(if c.upward() {
                pace >= needed
            } else {
                pace <= needed
            }),
            _ => None,
        },
    };
    Progress {
        gap: actual.value - target.value,
        met,
        due,
        years_left,
        needed_per_year,
        pace_per_year,
        on_track,
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;
    use Direction::*;
    use Qualifier::*;

    #[test]
    fn target_conditions() {
        // (target qualifier, direction, actual, actual qualifier, expected verdict)
        let cases: &[(Qualifier, Direction, f64, Qualifier, Option<bool>)] = &[
            (Exact, HigherIsBetter, 95.0, Exact, Some(true)),
            (Exact, HigherIsBetter, 89.68, Exact, Some(false)),
            (Exact, LowerIsBetter, 89.0, Exact, Some(true)),
            (Exact, LowerIsBetter, 96.0, Exact, Some(false)),
            (Exact, Neutral, 95.0, Exact, None),
            (Approximate, HigherIsBetter, 95.0, Exact, Some(true)),
            // The qualifier beats the direction: 以内 on a higher-is-better indicator.
            (AtMost, HigherIsBetter, 96.0, Exact, Some(false)),
            (AtMost, HigherIsBetter, 95.0, Exact, Some(true)),
            (LessThan, HigherIsBetter, 95.0, Exact, Some(false)),
            (MoreThan, HigherIsBetter, 95.0, Exact, Some(false)),
            (MoreThan, Neutral, 95.01, Exact, Some(true)),
            (AtLeast, LowerIsBetter, 95.0, Exact, Some(true)),
            // Qualified actuals are bounds.
            (Exact, HigherIsBetter, 96.0, AtLeast, Some(true)),
            (Exact, HigherIsBetter, 93.88, AtLeast, None),
            (MoreThan, HigherIsBetter, 95.0, MoreThan, Some(true)),
            (MoreThan, HigherIsBetter, 95.0, AtLeast, None),
            (AtMost, Neutral, 96.0, AtLeast, Some(false)),
            (AtMost, Neutral, 95.0, AtLeast, None),
            (AtMost, Neutral, 95.0, MoreThan, Some(false)),
            (AtMost, Neutral, 90.0, AtMost, Some(true)),
            (AtLeast, Neutral, 90.0, LessThan, Some(false)),
            (AtLeast, Neutral, 95.0, LessThan, Some(false)),
            (AtLeast, Neutral, 96.0, LessThan, None),
        ];
        for (tq, dir, x, xq, expected) in cases {
            let c = Condition::of_target(95.0, *tq, *dir);
            let got = c.and_then(|c| c.holds_for(*x, *xq));
            assert_eq!(got, *expected, "target {tq} {dir}, actual {x} {xq}");
        }
    }

    #[test]
    fn progress_cases() {
        let at_least_95 = Some(Condition::AtLeast(95.0));
        let t = Dated {
            at: 2026.0,
            value: 95.0,
        };
        let d = |at, value| Dated { at, value };
        // (actual, base, met, due, needed per year, pace per year, on track)
        let cases: &[(
            Dated,
            Option<Dated>,
            Option<bool>,
            bool,
            Option<f64>,
            Option<f64>,
            Option<bool>,
        )] = &[
            // Rongchang's 学前三年毛入园率: 89.68 at mid-2023, 2.5 years before the end of 2025.
            (
                d(2023.5, 89.68),
                None,
                Some(false),
                false,
                Some(5.32 / 2.5),
                None,
                None,
            ),
            // Rising 2 a year, 2 needed a year: on track.
            (
                d(2024.0, 91.0),
                Some(d(2022.0, 87.0)),
                Some(false),
                false,
                Some(2.0),
                Some(2.0),
                Some(true),
            ),
            // Falling: behind.
            (
                d(2024.0, 91.0),
                Some(d(2023.0, 93.0)),
                Some(false),
                false,
                Some(2.0),
                Some(-2.0),
                Some(false),
            ),
            // Met already, ahead of time.
            (
                d(2024.0, 96.0),
                None,
                Some(true),
                false,
                Some(-0.5),
                None,
                Some(true),
            ),
            // Due and missed.
            (
                d(2026.0, 94.0),
                Some(d(2024.0, 90.0)),
                Some(false),
                true,
                None,
                Some(2.0),
                Some(false),
            ),
        ];
        for (actual, base, met, due, needed, pace, on_track) in cases {
            let p = progress(t, at_least_95, *actual, Exact, *base);
            assert_eq!(p.met, *met, "{actual:?}");
            assert_eq!(p.due, *due, "{actual:?}");
            assert!((p.gap - (actual.value - 95.0)).abs() < 1e-9);
            let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            assert!(close(p.needed_per_year, *needed), "{actual:?}: {p:?}");
            assert!(close(p.pace_per_year, *pace), "{actual:?}: {p:?}");
            assert_eq!(p.on_track, *on_track, "{actual:?}");
        }
    }
}
