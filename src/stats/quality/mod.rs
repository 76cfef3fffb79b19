//! Data-quality rules over the warehouse. Figures are never corrected: a rule only produces a
//! finding that names the observations involved and says what does not agree.
//!
//! Rules (codes are stable, they appear in the API):
//! - `range`: an actual or target value outside its indicator's valid range (e.g. a share > 100);
//! - `sum_of_parts`: parts broken down by one dimension that do not add up to their total (for
//!   exhaustive dimensions such as ownership: public + private must equal the total; for others
//!   the parts may not exceed it); additive units only;
//! - `share_consistency`: a share that disagrees with its numerator and denominator;
//! - `change_consistency`: a reported change or growth rate that disagrees with the two values
//!   it compares;
//! - `per_student_plausibility`: a per-student amount in yuan outside 10 – 200 000, the usual sign
//!   of a figure printed in the wrong unit (万元 for 元).

use std::collections::{BTreeMap, HashMap};

use crate::domain::{Breakdown, CanonicalUnit, ObservationKind, SeriesSpec, Severity};

/// An observation as the rules see it.
#[derive(Debug, Clone)]
pub struct QObs<'a> {
    /// Observation id.
    pub id: i32,
    /// Seed key, for messages.
    pub key: &'a str,
    /// District id.
    pub district: i32,
    /// Indicator code.
    pub indicator: &'a str,
    /// Period code.
    pub period: &'a str,
    /// Base period code for changes.
    pub base_period: Option<&'a str>,
    /// Breakdown (the total when empty).
    pub breakdown: &'a Breakdown,
    /// Kind.
    pub kind: ObservationKind,
    /// Value in canonical units.
    pub value: f64,
    /// Value as printed, for messages.
    pub value_text: &'a str,
    /// Unit as printed, for messages.
    pub reported_unit: &'a str,
}

/// An indicator as the rules see it.
#[derive(Debug, Clone)]
pub struct QIndicator<'a> {
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Valid range.
    pub min: Option<f64>,
    /// Valid range.
    pub max: Option<f64>,
    /// Share numerator.
    pub numerator: Option<&'a SeriesSpec>,
    /// Share denominator.
    pub denominator: Option<&'a SeriesSpec>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFinding {
    /// Rule code.
    pub rule: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Explanation with the figures involved.
    pub message: String,
    /// The same in Chinese, for the Chinese view.
    pub message_zh: String,
    /// Observation ids involved.
    pub observations: Vec<i32>,
}

/// Dimensions whose members partition the total.
const EXHAUSTIVE: &[(&str, &[&str])] = &[("ownership", &["public", "private"])];
/// Members that aggregate other members of their dimension, or are not parts at all.
const NOT_PARTS: &[(&str, &str)] = &[
    ("stage", "compulsory"),
    ("stage", "primary_and_secondary"),
    ("stage", "upper_secondary"),
];
/// Dimensions that label how something was counted or which framework it belongs to, rather
/// than splitting a total into parts.
const NON_ADDITIVE_DIMENSIONS: &[&str] = &[
    "statistic",
    "count_unit",
    "occupation",
    "supervision_scope",
    "framework",
];

fn fmt(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn printed(o: &QObs<'_>) -> String {
    format!("{} ({}{})", o.key, o.value_text, o.reported_unit)
}

/// Runs every rule. The result is sorted by rule and then by the observations involved, so
/// repeated runs produce the same findings in the same order.
pub fn check(obs: &[QObs<'_>], indicators: &HashMap<&str, QIndicator<'_>>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    // Index of actual values: (district, indicator, period, breakdown) → first observation.
    let mut actual: BTreeMap<(i32, &str, &str, &Breakdown), &QObs<'_>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.kind == ObservationKind::Actual) {
        actual
            .entry((o.district, o.indicator, o.period, o.breakdown))
            .or_insert(o);
    }

    for o in obs {
        let Some(ind) = indicators.get(o.indicator) else {
            continue;
        };
        // range
        if o.kind.is_level() {
            let below = ind.min.is_some_and(|m| o.value < m);
            let above = ind.max.is_some_and(|m| o.value > m);
            if below || above {
                out.push(RuleFinding {
                    rule: "range",
                    severity: Severity::Error,
                    message: format!(
                        "{}: {} {} is outside the valid range [{}, {}] of {}",
                        printed(o),
                        fmt(o.value),
                        ind.unit,
                        ind.min.map(fmt).unwrap_or_else(|| "-inf".into()),
                        ind.max.map(fmt).unwrap_or_else(|| "+inf".into()),
                        o.indicator
                    ),
                    message_zh: format!(
                        "{}：{} {} 超出 {} 的有效范围 [{}, {}]",
                        printed(o),
                        fmt(o.value),
                        ind.unit,
                        o.indicator,
                        ind.min.map(fmt).unwrap_or_else(|| "-∞".into()),
                        ind.max.map(fmt).unwrap_or_else(|| "+∞".into()),
                    ),
                    observations: vec![o.id],
                });
            }
        }
        // per_student_plausibility
        if o.indicator.starts_with("per_student")
            && ind.unit == CanonicalUnit::Yuan
            && o.kind.is_level()
            && !(10.0..=200_000.0).contains(&o.value)
        {
            out.push(RuleFinding {
                rule: "per_student_plausibility",
                severity: Severity::Error,
                message: format!(
                    "{}: a per-student amount of {} yuan is implausible; check the printed unit",
                    printed(o),
                    fmt(o.value)
                ),
                message_zh: format!(
                    "{}：生均金额 {} 元不合常理，请核对原文所印单位",
                    printed(o),
                    fmt(o.value)
                ),
                observations: vec![o.id],
            });
        }
        // change_consistency
        if let (Some(base), ObservationKind::Change | ObservationKind::Growth) =
            (o.base_period, o.kind)
        {
            let from = actual.get(&(o.district, o.indicator, base, o.breakdown));
            let to = actual.get(&(o.district, o.indicator, o.period, o.breakdown));
            if let (Some(from), Some(to)) = (from, to) {
                let (computed, tolerance, unit) = if o.kind == ObservationKind::Growth {
                    if from.value == 0.0 {
                        continue;
                    }
                    ((to.value - from.value) / from.value.abs() * 100.0, 0.5, "%")
                } else {
                    let tol = (0.005 * from.value.abs().max(to.value.abs())).max(0.05);
                    (to.value - from.value, tol, ind.unit.as_str())
                };
                if (computed - o.value).abs() > tolerance {
                    out.push(RuleFinding {
                        rule: "change_consistency",
                        severity: Severity::Warning,
                        message: format!(
                            "{}: reported {} of {} {unit}, but {} → {} gives {} {unit}",
                            printed(o),
                            o.kind,
                            fmt(o.value),
                            printed(from),
                            printed(to),
                            fmt(computed)
                        ),
                        message_zh: format!(
                            "{}：报告的{}为 {} {unit}，但按 {} → {} 计算为 {} {unit}",
                            printed(o),
                            if o.kind == ObservationKind::Growth {
                                "增长率"
                            } else {
                                "变化量"
                            },
                            fmt(o.value),
                            printed(from),
                            printed(to),
                            fmt(computed)
                        ),
                        observations: vec![from.id, to.id, o.id],
                    });
                }
            }
        }
        // share_consistency
        if let (Some(num), Some(den), ObservationKind::Actual) =
            (ind.numerator, ind.denominator, o.kind)
        {
            // The share's own breakdown applies to both parts (a preschool share compares
            // preschool figures); the spec's members are added on top.
            let (num, den) = (num.within(o.breakdown), den.within(o.breakdown));
            let n = actual.get(&(o.district, num.indicator.as_str(), o.period, &num.breakdown));
            let d = actual.get(&(o.district, den.indicator.as_str(), o.period, &den.breakdown));
            if let (Some(n), Some(d)) = (n, d) {
                if d.value != 0.0 {
                    let computed = n.value / d.value * ind.unit.fraction_scale();
                    let tolerance = if ind.unit == CanonicalUnit::Percent {
                        0.5
                    } else {
                        0.005 * computed.abs()
                    };
                    if (computed - o.value).abs() > tolerance {
                        out.push(RuleFinding {
                            rule: "share_consistency",
                            severity: Severity::Warning,
                            message: format!(
                                "{}: share {} disagrees with {} / {} = {}",
                                printed(o),
                                fmt(o.value),
                                printed(n),
                                printed(d),
                                fmt(computed)
                            ),
                            message_zh: format!(
                                "{}：占比 {} 与 {} / {} = {} 不符",
                                printed(o),
                                fmt(o.value),
                                printed(n),
                                printed(d),
                                fmt(computed)
                            ),
                            observations: vec![n.id, d.id, o.id],
                        });
                    }
                }
            }
        }
    }

    // sum_of_parts
    for (&(district, indicator, period, breakdown), total) in &actual {
        let Some(ind) = indicators.get(indicator) else {
            continue;
        };
        if !ind.unit.is_additive() {
            continue;
        }
        let total_breakdown = Breakdown::total();
        let mut by_dimension: BTreeMap<&str, Vec<(&str, &QObs<'_>)>> = BTreeMap::new();
        for (&(d2, i2, p2, b2), part) in
            actual.range((district, indicator, period, &total_breakdown)..)
        {
            if (d2, i2, p2) != (district, indicator, period) {
                break;
            }
            if let Some((dim, member)) = b2.extra_over(breakdown) {
                if NOT_PARTS.contains(&(dim, member)) || NON_ADDITIVE_DIMENSIONS.contains(&dim) {
                    continue;
                }
                by_dimension.entry(dim).or_default().push((member, part));
            }
        }
        for (dim, parts) in by_dimension {
            if parts.len() < 2 {
                continue;
            }
            let sum: f64 = parts.iter().map(|(_, p)| p.value).sum();
            let tolerance = (0.005 * total.value.abs()).max(0.5);
            let exhaustive =
                EXHAUSTIVE
                    .iter()
                    .find(|(d, _)| *d == dim)
                    .is_some_and(|(_, members)| {
                        members.iter().all(|m| parts.iter().any(|(pm, _)| pm == m))
                    });
            let bad = if exhaustive {
                (sum - total.value).abs() > tolerance
            } else {
                sum > total.value + tolerance
            };
            if bad {
                let listed = parts
                    .iter()
                    .map(|(_, p)| printed(p))
                    .collect::<Vec<_>>()
                    .join(" + ");
                let mut ids: Vec<i32> = parts.iter().map(|(_, p)| p.id).collect();
                ids.push(total.id);
                ids.sort_unstable();
                out.push(RuleFinding {
                    rule: "sum_of_parts",
                    severity: Severity::Error,
                    message: format!(
                        "{indicator} by {dim}: {listed} = {} but the total {} is {}{}",
                        fmt(sum),
                        printed(total),
                        fmt(total.value),
                        if exhaustive {
                            ""
                        } else {
                            " (parts exceed the total)"
                        }
                    ),
                    message_zh: format!(
                        "{indicator} 按 {dim} 分：{listed} = {}，但合计 {} 为 {}{}",
                        fmt(sum),
                        printed(total),
                        fmt(total.value),
                        if exhaustive {
                            ""
                        } else {
                            "（各部分之和超过合计）"
                        }
                    ),
                    observations: ids,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.rule
            .cmp(b.rule)
            .then_with(|| a.observations.cmp(&b.observations))
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
