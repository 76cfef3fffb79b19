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
    /// Canonical breakdown code (`''` for the total).
    pub breakdown: &'a str,
    /// Kind.
    pub kind: &'a str,
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
    pub unit: &'a str,
    /// Valid range.
    pub min: Option<f64>,
    /// Valid range.
    pub max: Option<f64>,
    /// Share numerator spec (`code{dim=member}`).
    pub numerator: Option<&'a str>,
    /// Share denominator spec.
    pub denominator: Option<&'a str>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFinding {
    /// Rule code.
    pub rule: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// Explanation with the figures involved.
    pub message: String,
    /// Observation ids involved.
    pub observations: Vec<i32>,
}

const ADDITIVE_UNITS: &[&str] = &[
    "yuan",
    "person",
    "person_time",
    "count",
    "square_meter",
    "mu",
];
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

fn pairs(code: &str) -> Vec<(&str, &str)> {
    code.split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .collect()
}

fn with_member(base: &[(&str, &str)], d: &str, m: &str) -> String {
    let mut all: Vec<(&str, &str)> = base.to_vec();
    all.push((d, m));
    all.sort();
    all.iter()
        .map(|(d, m)| format!("{d}={m}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Adds the members of `breakdown` to a spec `code{dim=member}` (the spec wins on a shared
/// dimension), returning a new spec.
fn merge_breakdown(breakdown: &str, spec: &str) -> String {
    let (code, own) = match spec.split_once('{') {
        Some((c, rest)) => (c.trim(), rest.trim_end_matches('}')),
        None => (spec.trim(), ""),
    };
    let mut all: Vec<(&str, &str)> = pairs(own);
    for (d, m) in pairs(breakdown) {
        if !all.iter().any(|(od, _)| *od == d) {
            all.push((d, m));
        }
    }
    if all.is_empty() {
        return code.to_string();
    }
    all.sort();
    format!(
        "{code}{{{}}}",
        all.iter()
            .map(|(d, m)| format!("{d}={m}"))
            .collect::<Vec<_>>()
            .join(";")
    )
}

/// Splits `code{dim=member;...}` into the indicator code and a canonical breakdown code.
pub fn parse_spec(spec: &str) -> (&str, String) {
    match spec.split_once('{') {
        Some((code, rest)) => {
            let mut p = pairs(rest.trim_end_matches('}'));
            p.sort();
            (
                code.trim(),
                p.iter()
                    .map(|(d, m)| format!("{d}={m}"))
                    .collect::<Vec<_>>()
                    .join(";"),
            )
        }
        None => (spec.trim(), String::new()),
    }
}

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
    let mut actual: BTreeMap<(i32, &str, &str, &str), &QObs<'_>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.kind == "actual") {
        actual
            .entry((o.district, o.indicator, o.period, o.breakdown))
            .or_insert(o);
    }

    for o in obs {
        let Some(ind) = indicators.get(o.indicator) else {
            continue;
        };
        // range
        if o.kind == "actual" || o.kind == "target" {
            let below = ind.min.is_some_and(|m| o.value < m);
            let above = ind.max.is_some_and(|m| o.value > m);
            if below || above {
                out.push(RuleFinding {
                    rule: "range",
                    severity: "error",
                    message: format!(
                        "{}: {} {} is outside the valid range [{}, {}] of {}",
                        printed(o),
                        fmt(o.value),
                        ind.unit,
                        ind.min.map(fmt).unwrap_or_else(|| "-inf".into()),
                        ind.max.map(fmt).unwrap_or_else(|| "+inf".into()),
                        o.indicator
                    ),
                    observations: vec![o.id],
                });
            }
        }
        // per_student_plausibility
        if o.indicator.starts_with("per_student")
            && ind.unit == "yuan"
            && (o.kind == "actual" || o.kind == "target")
            && !(10.0..=200_000.0).contains(&o.value)
        {
            out.push(RuleFinding {
                rule: "per_student_plausibility",
                severity: "error",
                message: format!(
                    "{}: a per-student amount of {} yuan is implausible; check the printed unit",
                    printed(o),
                    fmt(o.value)
                ),
                observations: vec![o.id],
            });
        }
        // change_consistency
        if let (Some(base), "change" | "growth") = (o.base_period, o.kind) {
            let from = actual.get(&(o.district, o.indicator, base, o.breakdown));
            let to = actual.get(&(o.district, o.indicator, o.period, o.breakdown));
            if let (Some(from), Some(to)) = (from, to) {
                let (computed, tolerance, unit) = if o.kind == "growth" {
                    if from.value == 0.0 {
                        continue;
                    }
                    ((to.value - from.value) / from.value.abs() * 100.0, 0.5, "%")
                } else {
                    let tol = (0.005 * from.value.abs().max(to.value.abs())).max(0.05);
                    (to.value - from.value, tol, ind.unit)
                };
                if (computed - o.value).abs() > tolerance {
                    out.push(RuleFinding {
                        rule: "change_consistency",
                        severity: "warning",
                        message: format!(
                            "{}: reported {} of {} {unit}, but {} → {} gives {} {unit}",
                            printed(o),
                            o.kind,
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
        if let (Some(num), Some(den), "actual") = (ind.numerator, ind.denominator, o.kind) {
            // The share's own breakdown applies to both parts (a preschool share compares
            // preschool figures); the spec's members are added on top.
            let (num, den) = (
                merge_breakdown(o.breakdown, num),
                merge_breakdown(o.breakdown, den),
            );
            let (nc, nb) = parse_spec(&num);
            let (dc, db) = parse_spec(&den);
            let n = actual.get(&(o.district, nc, o.period, nb.as_str()));
            let d = actual.get(&(o.district, dc, o.period, db.as_str()));
            if let (Some(n), Some(d)) = (n, d) {
                if d.value != 0.0 {
                    let scale = if ind.unit == "percent" { 100.0 } else { 1.0 };
                    let computed = n.value / d.value * scale;
                    let tolerance = if ind.unit == "percent" {
                        0.5
                    } else {
                        0.005 * computed.abs()
                    };
                    if (computed - o.value).abs() > tolerance {
                        out.push(RuleFinding {
                            rule: "share_consistency",
                            severity: "warning",
                            message: format!(
                                "{}: share {} disagrees with {} / {} = {}",
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
        if !ADDITIVE_UNITS.contains(&ind.unit) {
            continue;
        }
        let base = pairs(breakdown);
        let mut by_dimension: BTreeMap<&str, Vec<(&str, &QObs<'_>)>> = BTreeMap::new();
        for (&(d2, i2, p2, b2), part) in actual.range((district, indicator, period, "")..) {
            if (d2, i2, p2) != (district, indicator, period) {
                break;
            }
            let bp = pairs(b2);
            if bp.len() != base.len() + 1 || !base.iter().all(|x| bp.contains(x)) {
                continue;
            }
            if let Some(&(dim, member)) = bp.iter().find(|x| !base.contains(x)) {
                if NOT_PARTS.contains(&(dim, member)) || NON_ADDITIVE_DIMENSIONS.contains(&dim) {
                    continue;
                }
                if with_member(&base, dim, member) == b2 {
                    by_dimension.entry(dim).or_default().push((member, part));
                }
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
                    severity: "error",
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
#[allow(clippy::type_complexity)] // tables of test cases read best inline
mod tests {
    use super::*;

    fn o<'a>(
        id: i32,
        indicator: &'a str,
        period: &'a str,
        breakdown: &'a str,
        kind: &'a str,
        value: f64,
    ) -> QObs<'a> {
        QObs {
            id,
            key: "k",
            district: 1,
            indicator,
            period,
            base_period: None,
            breakdown,
            kind,
            value,
            value_text: "v",
            reported_unit: "u",
        }
    }

    fn catalogue() -> HashMap<&'static str, QIndicator<'static>> {
        let plain = |unit| QIndicator {
            unit,
            min: Some(0.0),
            max: None,
            numerator: None,
            denominator: None,
        };
        HashMap::from([
            ("students", plain("person")),
            (
                "rate",
                QIndicator {
                    unit: "percent",
                    min: Some(0.0),
                    max: Some(100.0),
                    numerator: None,
                    denominator: None,
                },
            ),
            ("per_student_spending", plain("yuan")),
            ("spending", plain("yuan")),
            (
                "public_share",
                QIndicator {
                    unit: "percent",
                    min: Some(0.0),
                    max: Some(100.0),
                    numerator: Some("students{ownership=public}"),
                    denominator: Some("students"),
                },
            ),
        ])
    }

    /// Each case: the observations, and the rules expected to fire (in order).
    #[test]
    fn rules_fire_exactly_when_figures_disagree() {
        let mut growth_ok = o(3, "spending", "2021", "", "growth", 10.0);
        growth_ok.base_period = Some("2020");
        let mut growth_bad = o(3, "spending", "2021", "", "growth", 7.17);
        growth_bad.base_period = Some("2020");
        let mut change_bad = o(3, "spending", "2021", "", "change", 5.0);
        change_bad.base_period = Some("2020");
        let cases: Vec<(&str, Vec<QObs<'static>>, Vec<&str>)> = vec![
            (
                "rate within range",
                vec![o(1, "rate", "2022", "", "actual", 99.28)],
                vec![],
            ),
            (
                "rate above 100",
                vec![o(1, "rate", "2022", "", "actual", 100.5)],
                vec!["range"],
            ),
            (
                "negative count",
                vec![o(1, "students", "2022", "", "target", -1.0)],
                vec!["range"],
            ),
            (
                "ownership parts add up",
                vec![
                    o(1, "students", "2022", "", "actual", 269.0),
                    o(2, "students", "2022", "ownership=public", "actual", 172.0),
                    o(3, "students", "2022", "ownership=private", "actual", 97.0),
                ],
                vec![],
            ),
            (
                "ownership parts do not add up (Rongchang 2022)",
                vec![
                    o(1, "students", "2022", "", "actual", 106291.0),
                    o(2, "students", "2022", "ownership=public", "actual", 80668.0),
                    o(
                        3,
                        "students",
                        "2022",
                        "ownership=private",
                        "actual",
                        17547.0,
                    ),
                ],
                vec!["sum_of_parts"],
            ),
            (
                "stage parts below the total are fine, aggregates ignored",
                vec![
                    o(1, "students", "2022", "", "actual", 100.0),
                    o(2, "students", "2022", "stage=primary", "actual", 50.0),
                    o(
                        3,
                        "students",
                        "2022",
                        "stage=junior_secondary",
                        "actual",
                        30.0,
                    ),
                    o(4, "students", "2022", "stage=compulsory", "actual", 80.0),
                ],
                vec![],
            ),
            (
                "stage parts above the total",
                vec![
                    o(1, "students", "2022", "", "actual", 100.0),
                    o(2, "students", "2022", "stage=primary", "actual", 70.0),
                    o(
                        3,
                        "students",
                        "2022",
                        "stage=junior_secondary",
                        "actual",
                        40.0,
                    ),
                ],
                vec!["sum_of_parts"],
            ),
            (
                "share agrees",
                vec![
                    o(1, "students", "2020", "", "actual", 14662.0),
                    o(2, "students", "2020", "ownership=public", "actual", 7353.0),
                    o(3, "public_share", "2020", "", "actual", 50.15),
                ],
                vec![],
            ),
            (
                "share disagrees",
                vec![
                    o(1, "students", "2020", "", "actual", 14662.0),
                    o(2, "students", "2020", "ownership=public", "actual", 7353.0),
                    o(3, "public_share", "2020", "", "actual", 60.0),
                ],
                vec!["share_consistency"],
            ),
            (
                "growth agrees",
                vec![
                    o(1, "spending", "2020", "", "actual", 100.0),
                    o(2, "spending", "2021", "", "actual", 110.0),
                    growth_ok,
                ],
                vec![],
            ),
            (
                "growth disagrees",
                vec![
                    o(1, "spending", "2020", "", "actual", 100.0),
                    o(2, "spending", "2021", "", "actual", 110.0),
                    growth_bad,
                ],
                vec!["change_consistency"],
            ),
            (
                "stated difference disagrees",
                vec![
                    o(1, "spending", "2020", "", "actual", 100.0),
                    o(2, "spending", "2021", "", "actual", 110.0),
                    change_bad,
                ],
                vec!["change_consistency"],
            ),
            (
                "plausible per-student amount",
                vec![o(1, "per_student_spending", "2020", "", "actual", 18151.74)],
                vec![],
            ),
            (
                "per-student amount printed in 万元",
                vec![o(
                    1,
                    "per_student_spending",
                    "2020",
                    "",
                    "actual",
                    181_517_400.0,
                )],
                vec!["per_student_plausibility"],
            ),
        ];
        let cat = catalogue();
        for (name, obs, expected) in cases {
            let got: Vec<&str> = check(&obs, &cat).iter().map(|f| f.rule).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn findings_name_the_observations() {
        let obs = vec![
            o(1, "students", "2022", "", "actual", 106291.0),
            o(2, "students", "2022", "ownership=public", "actual", 80668.0),
            o(
                3,
                "students",
                "2022",
                "ownership=private",
                "actual",
                17547.0,
            ),
        ];
        let f = check(&obs, &catalogue());
        assert_eq!(f[0].observations, vec![1, 2, 3]);
        assert!(f[0].message.contains("98215"), "{}", f[0].message);
    }

    #[test]
    fn share_inherits_its_own_breakdown() {
        let mut cat = catalogue();
        cat.insert(
            "income_ratio",
            QIndicator {
                unit: "percent",
                min: Some(0.0),
                max: None,
                numerator: Some("income{staffing=temporary}"),
                denominator: Some("income{staffing=established}"),
            },
        );
        cat.insert(
            "income",
            QIndicator {
                unit: "yuan",
                min: Some(0.0),
                max: None,
                numerator: None,
                denominator: None,
            },
        );
        let agree = vec![
            o(
                1,
                "income",
                "2023",
                "ownership=public;staffing=temporary",
                "actual",
                34679.0,
            ),
            o(
                2,
                "income",
                "2023",
                "ownership=public;staffing=established",
                "actual",
                118659.0,
            ),
            o(
                3,
                "income_ratio",
                "2023",
                "ownership=public",
                "actual",
                29.0,
            ),
        ];
        assert!(check(&agree, &cat).is_empty());
        let mut disagree = agree.clone();
        disagree[2].value = 40.0;
        assert_eq!(
            check(&disagree, &cat)
                .iter()
                .map(|f| f.rule)
                .collect::<Vec<_>>(),
            vec!["share_consistency"]
        );
    }

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("students{stage=preschool;ownership=public}"),
            ("students", "ownership=public;stage=preschool".to_string())
        );
        assert_eq!(parse_spec("students"), ("students", String::new()));
    }
}
