//! The quality rules against small hand-made tables: each rule fires exactly when its figures
//! disagree.
#![allow(clippy::type_complexity)] // tables of test cases read best inline

use super::*;

/// Test data lives for the whole test run; leaking it keeps the tables readable.
fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

fn spec(text: &str) -> Option<&'static SeriesSpec> {
    Some(leak(text.parse().unwrap()))
}

fn o<'a>(
    id: i32,
    indicator: &'a str,
    period: &'a str,
    breakdown: &str,
    kind: &str,
    value: f64,
) -> QObs<'a> {
    QObs {
        id,
        key: "k",
        district: 1,
        indicator,
        period,
        base_period: None,
        breakdown: leak(breakdown.parse().unwrap()),
        kind: ObservationKind::parse(kind).unwrap(),
        value,
        value_text: "v",
        reported_unit: "u",
    }
}

fn catalogue() -> HashMap<&'static str, QIndicator<'static>> {
    let plain = |unit: &str| QIndicator {
        unit: CanonicalUnit::parse(unit).unwrap(),
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
                unit: CanonicalUnit::parse("percent").unwrap(),
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
                unit: CanonicalUnit::parse("percent").unwrap(),
                min: Some(0.0),
                max: Some(100.0),
                numerator: spec("students{ownership=public}"),
                denominator: spec("students"),
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
            unit: CanonicalUnit::parse("percent").unwrap(),
            min: Some(0.0),
            max: None,
            numerator: spec("income{staffing=temporary}"),
            denominator: spec("income{staffing=established}"),
        },
    );
    cat.insert(
        "income",
        QIndicator {
            unit: CanonicalUnit::parse("yuan").unwrap(),
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
