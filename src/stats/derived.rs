//! Derived shares: a share computed from its numerator and denominator (as the catalogue
//! declares them), and the comparison of such a value with the one a report prints.
//!
//! A printed figure is rounded to the digits it shows, so a derived value agrees with it when
//! the difference is at most half a unit of its last printed digit (`50.15` ± 0.005, `29` ±
//! 0.5), in the canonical unit: the tolerance says what the printed figure can vouch for, not
//! a guess at what is close enough.

/// numerator / denominator × `scale` (100 for a percent); `None` for a zero denominator.
pub fn share(numerator: f64, denominator: f64, scale: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator * scale)
}

/// Half a unit of the last digit printed in `value_text` (the figure as printed, e.g. `50.15`,
/// `约10`, `2.1万`), converted to the canonical unit through `value` (the figure in that unit).
/// `None` when the text has no number or the number is zero (no scale to convert with).
pub fn printed_tolerance(value_text: &str, value: f64) -> Option<f64> {
    let number: String = value_text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let printed: f64 = number.parse().ok()?;
    if printed == 0.0 {
        return None;
    }
    let decimals = number
        .split_once('.')
        .map_or(0, |(_, frac)| frac.len() as i32);
    let half_unit = 0.5 * 10f64.powi(-decimals);
    Some(half_unit * (value / printed).abs())
}

/// A derived value against the reported one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    /// derived − reported, in the canonical unit.
    pub difference: f64,
    /// The largest difference the printed figure's rounding explains.
    pub tolerance: f64,
    /// |difference| ≤ tolerance.
    pub agrees: bool,
}

/// Compares `derived` with the reported `value` printed as `value_text`. Without a printed
/// precision (no digits), the tolerance is zero: only an exact match agrees.
pub fn agreement(derived: f64, value: f64, value_text: &str) -> Agreement {
    let tolerance = printed_tolerance(value_text, value).unwrap_or(0.0);
    let difference = derived - value;
    // A hair of slack for binary floating point (7353 / 14662 × 100 is not exactly 50.15…).
    let agrees = difference.abs() <= tolerance + 1e-9 * value.abs().max(1.0);
    Agreement {
        difference,
        tolerance,
        agrees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_scales_and_refuses_zero() {
        assert_eq!(share(1.0, 4.0, 100.0), Some(25.0));
        assert_eq!(share(1.0, 0.0, 100.0), None);
    }

    #[test]
    fn tolerance_is_half_the_last_printed_digit() {
        let cases: &[(&str, f64, f64)] = &[
            ("50.15", 50.15, 0.005),
            ("29", 29.0, 0.5),
            ("约10", 10.0, 0.5),
            // 2.1万 persons: half of 0.1万 = 500 persons.
            ("2.1万", 21000.0, 500.0),
            ("15.68", 15.68, 0.005),
        ];
        for &(text, value, want) in cases {
            let got = printed_tolerance(text, value).expect(text);
            assert!((got - want).abs() < 1e-9, "{text}: {got} != {want}");
        }
        assert_eq!(printed_tolerance("", 1.0), None);
        assert_eq!(printed_tolerance("0", 0.0), None);
    }

    #[test]
    fn agreement_within_rounding_only() {
        // Dadukou 2020: 7353 / 14662 printed as 50.15%.
        let d = share(7353.0, 14662.0, 100.0).expect("share");
        assert!(agreement(d, 50.15, "50.15").agrees);
        // The same inputs against a figure printed as 51.2 (SYNTHETIC case).
        let a = agreement(d, 51.2, "51.2");
        assert!(!a.agrees);
        assert!((a.difference - (d - 51.2)).abs() < 1e-12);
        assert!((a.tolerance - 0.05).abs() < 1e-12);
    }
}
