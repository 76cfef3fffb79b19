//! Values against standards: whether a standard applies to a value (its indicator, scope,
//! division and years) and whether the value meets it, with the gap.
//!
//! A standard's scope is a breakdown that the value's breakdown must contain (a standard for
//! `stage=primary` applies to `stage=primary;ownership=public` too; an empty scope applies to
//! every breakdown). A qualified value (93.88以上) is a bound and decides only when the bound
//! does, as for targets ([`Condition::holds_for`]).

use super::targets::Condition;
use crate::domain::{Comparator, Qualifier};

/// The condition a comparator and threshold state.
pub fn condition(comparator: Comparator, threshold: f64) -> Condition {
    match comparator {
        Comparator::AtLeast => Condition::AtLeast(threshold),
        Comparator::MoreThan => Condition::MoreThan(threshold),
        Comparator::AtMost => Condition::AtMost(threshold),
        Comparator::LessThan => Condition::LessThan(threshold),
    }
}

/// Where a standard applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applicability<'a> {
    /// Its scope's (dimension, member) pairs.
    pub scope: &'a [(String, String)],
    /// The one division it is limited to, if any.
    pub district: Option<i32>,
    /// First year in force, if stated.
    pub from: Option<i32>,
    /// Last year in force, if stated.
    pub to: Option<i32>,
}

impl Applicability<'_> {
    /// Whether a value of division `district`, year `year` and breakdown `breakdown` falls
    /// under it.
    pub fn covers(&self, district: i32, year: i32, breakdown: &[(String, String)]) -> bool {
        self.district.is_none_or(|d| d == district)
            && self.from.is_none_or(|f| year >= f)
            && self.to.is_none_or(|t| year <= t)
            && self.scope.iter().all(|pair| breakdown.contains(pair))
    }
}

/// A value checked against one standard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// Whether the value meets it; `None` when the standard prints no threshold or a
    /// qualified value does not decide it.
    pub met: Option<bool>,
    /// value − threshold in the indicator's unit (percentage points for a percent); `None`
    /// without a threshold.
    pub gap: Option<f64>,
}

/// Checks `value` (printed with qualifier `q`) against `threshold`, if the standard has one.
pub fn check(threshold: Option<(Comparator, f64)>, value: f64, q: Qualifier) -> Check {
    match threshold {
        None => Check {
            met: None,
            gap: None,
        },
        Some((c, t)) => Check {
            met: condition(c, t).holds_for(value, q),
            gap: Some(value - t),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(d, m)| (d.to_string(), m.to_string()))
            .collect()
    }

    #[test]
    fn checks_each_comparator_and_bound() {
        use Comparator as C;
        use Qualifier as Q;
        let cases: &[(Comparator, f64, f64, Qualifier, Option<bool>)] = &[
            (C::AtLeast, 50.0, 45.92, Q::Exact, Some(false)),
            (C::AtLeast, 50.0, 50.0, Q::Exact, Some(true)),
            (C::MoreThan, 50.0, 50.0, Q::Exact, Some(false)),
            (C::AtMost, 1000.0, 800.0, Q::Exact, Some(true)),
            (C::LessThan, 1000.0, 1000.0, Q::Exact, Some(false)),
            // 60以上 against at least 50: the bound settles it.
            (C::AtLeast, 50.0, 60.0, Q::MoreThan, Some(true)),
            // 40以上 against at least 50: could be either.
            (C::AtLeast, 50.0, 40.0, Q::MoreThan, None),
            // 不足40 against at least 50: fails whatever it is.
            (C::AtLeast, 50.0, 40.0, Q::LessThan, Some(false)),
        ];
        for &(c, t, v, q, want) in cases {
            let got = check(Some((c, t)), v, q);
            assert_eq!(got.met, want, "{c} {t} vs {v} {q}");
            assert_eq!(got.gap, Some(v - t));
        }
        assert_eq!(
            check(None, 1.0, Qualifier::Exact),
            Check {
                met: None,
                gap: None
            }
        );
    }

    #[test]
    fn scope_district_and_years_limit_where_a_standard_applies() {
        let scope = pairs(&[("stage", "primary")]);
        let a = Applicability {
            scope: &scope,
            district: Some(7),
            from: Some(2020),
            to: Some(2022),
        };
        let primary_public = pairs(&[("ownership", "public"), ("stage", "primary")]);
        assert!(a.covers(7, 2021, &primary_public));
        assert!(!a.covers(8, 2021, &primary_public), "other district");
        assert!(!a.covers(7, 2023, &primary_public), "after effective_to");
        assert!(!a.covers(7, 2019, &primary_public), "before effective_from");
        assert!(!a.covers(7, 2021, &pairs(&[("stage", "junior_secondary")])));
        assert!(!a.covers(7, 2021, &[]), "a total is not a primary figure");
        let everywhere = Applicability {
            scope: &[],
            district: None,
            from: None,
            to: None,
        };
        assert!(everywhere.covers(1, 1990, &[]));
        assert!(everywhere.covers(1, 2030, &primary_public));
    }
}
