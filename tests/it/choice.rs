//! The choice of one value among several reports is written twice: in Rust
//! (`stats::select`, used for `asOf` answers) and in SQL (`db::queries::choice`, a window
//! function). Both must choose the same observation for every indicator, kind, breakdown and
//! year: checked here on the real seeds, on the synthetic fixture (ties, qualified figures,
//! undated sources) and on a SYNTHETIC scale set with a second, later, approximate report for
//! every fifth district.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use edustats::analytics::{self, YEARS};
use edustats::db::models::{BreakdownId, IndicatorId, ObservationId};
use edustats::db::queries::{self, Group, SlimValue, ValueFilter};
use edustats::db::schema::{observations as o, periods as p};
use edustats::db::DbConnection;
use edustats::domain::ObservationKind;

fn rust_choice(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> BTreeSet<ObservationId> {
    let rows = queries::values(conn, f).expect("values");
    let mut groups: BTreeMap<Option<i32>, Vec<queries::ValueRow>> = BTreeMap::new();
    for r in rows {
        let key = match group {
            Group::District => None,
            Group::DistrictYear => Some(r.period.year),
            Group::DistrictAtEnds if r.period.year == f.years.0 || r.period.year == f.years.1 => {
                Some(r.period.year)
            }
            Group::DistrictAtEnds => continue,
        };
        groups.entry(key).or_default().push(r);
    }
    groups
        .into_values()
        .flat_map(|rows| analytics::pick_per_district(rows).into_values())
        .map(|r| r.observation.id)
        .collect()
}

fn sql_choice(
    conn: &mut DbConnection,
    f: &ValueFilter<'_>,
    group: Group,
) -> BTreeSet<ObservationId> {
    queries::chosen_values(conn, f, group)
        .expect("chosen values")
        .into_iter()
        .map(|r| r.observation.id)
        .collect()
}

/// Compares both choices everywhere; returns how many comparisons had more candidates than
/// choices (so the test can tell it compared real choices, not only single candidates).
fn compare_everywhere(app: &crate::common::TestApp) -> (usize, usize) {
    let mut conn = app.db.get().expect("connection");
    let combos: Vec<(i32, String, i32)> = o::table
        .select((o::indicator_id, o::kind, o::breakdown_id))
        .distinct()
        .load(&mut *conn)
        .expect("combinations");
    let years: Vec<i32> = p::table
        .select(p::year)
        .distinct()
        .order(p::year)
        .load(&mut *conn)
        .expect("years");
    let (mut compared, mut real_choices) = (0, 0);
    for (indicator, kind, breakdown) in combos {
        let kind = ObservationKind::parse(&kind).expect("stored kind");
        let indicators = [IndicatorId(indicator)];
        let filter = |years: (i32, i32)| ValueFilter {
            indicators: &indicators,
            districts: None,
            kind,
            breakdown: BreakdownId(breakdown),
            years,
            as_of: None,
        };
        let mut cases = vec![(filter((*YEARS.start(), *YEARS.end())), Group::DistrictYear)];
        for y in &years {
            cases.push((filter((*y, *y)), Group::District));
            cases.push((filter((*YEARS.start(), *y)), Group::District));
            cases.push((filter((years[0], *y)), Group::DistrictAtEnds));
        }
        for (f, group) in cases {
            let rust = rust_choice(&mut conn, &f, group);
            let sql = sql_choice(&mut conn, &f, group);
            assert_eq!(
                sql, rust,
                "indicator {indicator}, {kind}, breakdown {breakdown}, {:?}, {group:?}",
                f.years
            );
            // The slim choice (read from the choice index) chooses the same observations and
            // carries the same district, period, year, value and qualifier as their full rows.
            let full: Vec<SlimValue> = queries::chosen_values(&mut conn, &f, group)
                .expect("chosen values")
                .iter()
                .map(SlimValue::from)
                .collect();
            let slim = queries::chosen_slim(&mut conn, &f, group).expect("slim choice");
            assert_eq!(
                slim, full,
                "slim: indicator {indicator}, {kind}, breakdown {breakdown}, {:?}, {group:?}",
                f.years
            );
            let candidates = queries::values(&mut conn, &f).expect("values").len();
            compared += 1;
            if candidates > rust.len() {
                real_choices += 1;
            }
        }
    }
    (compared, real_choices)
}

#[test]
fn sql_and_rust_choose_the_same_on_the_seeds() {
    let (compared, real) = compare_everywhere(&crate::common::TestApp::seeded());
    println!("{compared} comparisons, {real} with a choice among several candidates");
    assert!(real > 50, "only {real} real choices compared");
}

#[test]
fn sql_and_rust_choose_the_same_on_synthetic_data() {
    let (compared, real) = compare_everywhere(&crate::common::TestApp::synthetic());
    println!("fixture: {compared} comparisons, {real} with a choice");
    assert!(real > 0, "the fixture has no choice to make");
    let app = crate::common::TestApp::seeded();
    crate::common::add_synthetic_scale(&app.db, "teachers_in_exchange", 30, 4);
    let (compared, real) = compare_everywhere(&app);
    println!("seeds + SYNTHETIC scale set: {compared} comparisons, {real} with a choice");
    assert!(real > 50);
}
