//! The change between two values of one indicator.

/// Why a relative change could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// No value for the base year.
    MissingFrom,
    /// No value for the target year.
    MissingTo,
    /// Neither value exists.
    MissingBoth,
    /// The base value is zero: a relative change would be infinite.
    ZeroBase,
}

/// Absolute and relative change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// `to - from`, in the indicator's unit; for a percent indicator this is percentage points.
    pub absolute: Option<f64>,
    /// `(to - from) / |from| × 100`, in percent; `None` when it cannot be computed.
    pub relative_percent: Option<f64>,
    /// Why something is missing.
    pub gap: Option<Gap>,
}

/// Computes the change from `from` to `to`. Never divides by zero and never returns an
/// infinite or NaN value. The base is taken in absolute value so that a move from -10 to -5 is
/// reported as +50 % (an improvement of half the magnitude), not -50 %.
pub fn change(from: Option<f64>, to: Option<f64>) -> Change {
    match (from, to) {
        (None, None) => Change {
            absolute: None,
            relative_percent: None,
            gap: Some(Gap::MissingBoth),
        },
        (None, Some(_)) => Change {
            absolute: None,
            relative_percent: None,
            gap: Some(Gap::MissingFrom),
        },
        (Some(_), None) => Change {
            absolute: None,
            relative_percent: None,
            gap: Some(Gap::MissingTo),
        },
        (Some(f), Some(t)) => {
            let absolute = Some(t - f);
            if f == 0.0 {
                Change {
                    absolute,
                    relative_percent: None,
                    gap: Some(Gap::ZeroBase),
                }
            } else {
                let r = (t - f) / f.abs() * 100.0;
                Change {
                    absolute,
                    relative_percent: r.is_finite().then_some(r),
                    gap: None,
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;

    #[test]
    fn changes() {
        let cases: &[(
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<Gap>,
        )] = &[
            (Some(100.0), Some(110.0), Some(10.0), Some(10.0), None),
            (
                Some(50.05),
                Some(55.05),
                Some(5.0),
                Some(9.990009990009991),
                None,
            ),
            (Some(200.0), Some(150.0), Some(-50.0), Some(-25.0), None),
            (Some(0.0), Some(5.0), Some(5.0), None, Some(Gap::ZeroBase)),
            (Some(0.0), Some(0.0), Some(0.0), None, Some(Gap::ZeroBase)),
            (Some(-10.0), Some(-5.0), Some(5.0), Some(50.0), None),
            (None, Some(5.0), None, None, Some(Gap::MissingFrom)),
            (Some(5.0), None, None, None, Some(Gap::MissingTo)),
            (None, None, None, None, Some(Gap::MissingBoth)),
        ];
        for (from, to, abs, rel, gap) in cases {
            let c = change(*from, *to);
            match (c.absolute, abs) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{from:?}->{to:?}: {a} vs {b}"),
                (a, b) => assert_eq!(a, *b, "{from:?}->{to:?}"),
            }
            match (c.relative_percent, rel) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{from:?}->{to:?}: {a} vs {b}"),
                (a, b) => assert_eq!(a, *b, "{from:?}->{to:?}"),
            }
            assert_eq!(c.gap, *gap, "{from:?}->{to:?}");
        }
    }
}
