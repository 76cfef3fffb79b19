//! A breakdown: the dimension members a figure is restricted to (`stage=primary`,
//! `ownership=public;stage=preschool`). The total has no members.
//!
//! One canonical text form, used in seeds, imports, exports, storage (`breakdowns.code`) and
//! error messages: `dimension=member` pairs sorted by dimension, joined by `;`, no spaces.
//! Parsing accepts any order and surrounding spaces; a dimension named twice, an empty side or a
//! part without `=` is an error.

use std::fmt;
use std::str::FromStr;

/// A set of (dimension, member) pairs, at most one member per dimension, sorted by dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Breakdown {
    pairs: Vec<(String, String)>,
}

/// Why a breakdown text or pair list is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakdownError {
    /// A part is not `dimension=member`: one side is empty, or (for pairs given apart) the
    /// dimension holds `=` or `;`, or the member `;`.
    #[error("breakdown part {0:?} is not dimension=member")]
    Malformed(String),
    /// The same dimension appears twice.
    #[error("breakdown names dimension {0:?} twice")]
    DuplicateDimension(String),
}

impl Breakdown {
    /// The total: no restriction.
    pub fn total() -> Breakdown {
        Breakdown::default()
    }

    /// Builds a breakdown from pairs in any order; refuses pairs the text form cannot carry (see
    /// [`BreakdownError::Malformed`]), so that every breakdown prints and parses back.
    pub fn from_pairs<I, D, M>(pairs: I) -> Result<Breakdown, BreakdownError>
    where
        I: IntoIterator<Item = (D, M)>,
        D: AsRef<str>,
        M: AsRef<str>,
    {
        let mut out: Vec<(String, String)> = Vec::new();
        for (d, m) in pairs {
            let (d, m) = (d.as_ref().trim(), m.as_ref().trim());
            // The separators of the text form: a pair holding one would print as other pairs
            // (dimension `ownership=public;stage`, member `primary` prints as the two-member
            // breakdown `ownership=public;stage=primary`). A member may hold `=`: the text form
            // splits a part at its first `=`.
            if d.is_empty() || m.is_empty() || d.contains(['=', ';']) || m.contains(';') {
                return Err(BreakdownError::Malformed(format!("{d}={m}")));
            }
            out.push((d.to_string(), m.to_string()));
        }
        out.sort();
        if let Some(w) = out.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(BreakdownError::DuplicateDimension(w[0].0.clone()));
        }
        Ok(Breakdown { pairs: out })
    }

    /// Parses an optional text, where absent or blank means the total.
    pub fn parse_opt(text: Option<&str>) -> Result<Breakdown, BreakdownError> {
        text.unwrap_or("").parse()
    }

    /// True for the total.
    pub fn is_total(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs, sorted by dimension.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The member of `dimension`, if the breakdown restricts it.
    pub fn member(&self, dimension: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(d, _)| d == dimension)
            .map(|(_, m)| m.as_str())
    }

    /// This breakdown with `other`'s members added; `other` wins on a shared dimension.
    pub fn overlaid_with(&self, other: &Breakdown) -> Breakdown {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(d, _)| other.member(d).is_none())
            .cloned()
            .collect();
        pairs.extend(other.pairs.iter().cloned());
        pairs.sort();
        Breakdown { pairs }
    }

    /// If this breakdown is `base` plus exactly one more dimension, that (dimension, member).
    pub fn extra_over(&self, base: &Breakdown) -> Option<(&str, &str)> {
        if self.pairs.len() != base.pairs.len() + 1 {
            return None;
        }
        if !base.pairs.iter().all(|p| self.pairs.contains(p)) {
            return None;
        }
        self.pairs
            .iter()
            .find(|p| !base.pairs.contains(p))
            .map(|(d, m)| (d.as_str(), m.as_str()))
    }
}

impl FromStr for Breakdown {
    type Err = BreakdownError;

    fn from_str(text: &str) -> Result<Breakdown, BreakdownError> {
        let mut pairs = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (d, m) = part
                .split_once('=')
                .ok_or_else(|| BreakdownError::Malformed(part.to_string()))?;
            if d.trim().is_empty() || m.trim().is_empty() {
                return Err(BreakdownError::Malformed(part.to_string()));
            }
            pairs.push((d, m));
        }
        Breakdown::from_pairs(pairs)
    }
}

impl fmt::Display for Breakdown {
    /// The canonical text, empty for the total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (d, m)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{d}={m}")?;
        }
        Ok(())
    }
}

/// An indicator restricted to a breakdown, as written in the catalogue's share specs:
/// `public_kindergarten_enrolment{ownership=public}`, or a bare indicator code for its total.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesSpec {
    /// Indicator code.
    pub indicator: String,
    /// Breakdown (the total when the spec has no braces).
    pub breakdown: Breakdown,
}

impl SeriesSpec {
    /// The same series with `base`'s members added where the spec leaves a dimension open
    /// (a preschool share compares preschool numerator and denominator).
    pub fn within(&self, base: &Breakdown) -> SeriesSpec {
        SeriesSpec {
            indicator: self.indicator.clone(),
            breakdown: base.overlaid_with(&self.breakdown),
        }
    }
}

impl FromStr for SeriesSpec {
    type Err = BreakdownError;

    fn from_str(text: &str) -> Result<SeriesSpec, BreakdownError> {
        let text = text.trim();
        let (indicator, breakdown) = match text.split_once('{') {
            Some((code, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .ok_or_else(|| BreakdownError::Malformed(text.to_string()))?;
                (code.trim(), inner.parse()?)
            }
            None => (text, Breakdown::total()),
        };
        if indicator.is_empty() {
            return Err(BreakdownError::Malformed(text.to_string()));
        }
        Ok(SeriesSpec {
            indicator: indicator.to_string(),
            breakdown,
        })
    }
}

impl fmt::Display for SeriesSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.indicator)?;
        if !self.breakdown.is_total() {
            write!(f, "{{{}}}", self.breakdown)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_to_the_canonical_form() {
        let cases = [
            ("", ""),
            ("  ", ""),
            ("stage=primary", "stage=primary"),
            (" stage = primary ; ", "stage=primary"),
            (
                "stage=preschool;ownership=public",
                "ownership=public;stage=preschool",
            ),
        ];
        for (text, canonical) in cases {
            let b: Breakdown = text.parse().unwrap();
            assert_eq!(b.to_string(), canonical, "{text:?}");
            assert_eq!(b.is_total(), canonical.is_empty());
            let again: Breakdown = canonical.parse().unwrap();
            assert_eq!(again, b, "canonical text round-trips");
        }
    }

    #[test]
    fn rejects_malformed_and_repeated_dimensions() {
        let cases = [
            ("stage", BreakdownError::Malformed("stage".into())),
            ("stage=", BreakdownError::Malformed("stage=".into())),
            ("=primary", BreakdownError::Malformed("=primary".into())),
            (
                "stage=primary;stage=junior",
                BreakdownError::DuplicateDimension("stage".into()),
            ),
        ];
        for (text, err) in cases {
            assert_eq!(text.parse::<Breakdown>().unwrap_err(), err, "{text:?}");
        }
        assert_eq!(
            Breakdown::from_pairs([("a", "x"), ("a", "y")]).unwrap_err(),
            BreakdownError::DuplicateDimension("a".into())
        );
    }

    #[test]
    fn pairs_holding_a_separator_are_refused() {
        // Found by fuzzing (tests/it/fuzz.rs, breakdown_pairs): the minimal input `=;` / `{`
        // printed as `=;={`, which does not parse; and a client's pair could spell another
        // breakdown's code.
        let refused = [
            ("=;", "{"),
            ("ownership=public;stage", "primary"),
            ("stage", "primary;ownership=public"),
            ("a=b", "c"),
        ];
        for (d, m) in refused {
            assert_eq!(
                Breakdown::from_pairs([(d, m)]).unwrap_err(),
                BreakdownError::Malformed(format!("{d}={m}")),
                "{d:?} / {m:?}"
            );
        }
        // `=` in a member is what parsing gives too: it round-trips.
        let b = Breakdown::from_pairs([("a", "b=c")]).unwrap();
        assert_eq!(b.to_string().parse::<Breakdown>().unwrap(), b);
    }

    #[test]
    fn operations() {
        let base: Breakdown = "stage=primary".parse().unwrap();
        let part: Breakdown = "ownership=public;stage=primary".parse().unwrap();
        assert_eq!(part.extra_over(&base), Some(("ownership", "public")));
        assert_eq!(base.extra_over(&part), None);
        assert_eq!(part.extra_over(&Breakdown::total()), None);
        assert_eq!(part.member("stage"), Some("primary"));
        assert_eq!(part.member("area"), None);
        let spec: Breakdown = "stage=junior".parse().unwrap();
        assert_eq!(
            part.overlaid_with(&spec).to_string(),
            "ownership=public;stage=junior"
        );
    }

    #[test]
    fn series_specs() {
        let s: SeriesSpec = "enrolment{ownership=public}".parse().unwrap();
        assert_eq!(s.indicator, "enrolment");
        assert_eq!(s.breakdown.to_string(), "ownership=public");
        let stage: Breakdown = "stage=preschool;ownership=private".parse().unwrap();
        assert_eq!(
            s.within(&stage).to_string(),
            "enrolment{ownership=public;stage=preschool}"
        );
        let bare: SeriesSpec = " enrolment ".parse().unwrap();
        assert!(bare.breakdown.is_total());
        assert_eq!(bare.to_string(), "enrolment");
        assert!("enrolment{ownership=public".parse::<SeriesSpec>().is_err());
        assert!("{ownership=public}".parse::<SeriesSpec>().is_err());
    }
}
