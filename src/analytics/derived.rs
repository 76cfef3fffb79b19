//! Derived shares: an indicator whose catalogue entry names a numerator and a denominator,
//! computed per district and period from the two stored actuals (see [`crate::stats::derived`]).

use std::collections::{BTreeMap, HashMap};

use super::shared::preferred_row;
use super::AnalyticsError;
use crate::db::models::*;
use crate::db::queries::{self, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind, Qualifier};

/// A share computed from its inputs: numerator / denominator × 100 for a percent.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The computed value, in the indicator's canonical unit.
    pub value: f64,
    /// The numerator observation.
    pub numerator: ValueRow,
    /// The denominator observation (same district and period).
    pub denominator: ValueRow,
}

/// The derived values of `indicator` (a share whose catalogue entry names a numerator and a
/// denominator) in `breakdown`, per district and period with both inputs (exact figures, not
/// bounds) in `years`: numerator / denominator (× 100 for a percent). Empty for an indicator
/// without inputs. At most five statements.
pub fn derived_values(
    conn: &mut DbConnection,
    indicator: &Indicator,
    breakdown: &Breakdown,
    districts: Option<&[DistrictId]>,
    years: (i32, i32),
    as_of: Option<&str>,
) -> Result<HashMap<(DistrictId, PeriodId), Derived>, AnalyticsError> {
    use crate::domain::SeriesSpec;
    let spec = |s: &Option<String>| -> Option<SeriesSpec> {
        s.as_deref().and_then(|t| t.parse::<SeriesSpec>().ok())
    };
    let (Some(num), Some(den)) = (spec(&indicator.numerator), spec(&indicator.denominator)) else {
        return Ok(HashMap::new());
    };
    let (num, den) = (num.within(breakdown), den.within(breakdown));
    let parts =
        queries::indicators_by_codes(conn, &[num.indicator.clone(), den.indicator.clone()])?;
    let id_of = |code: &str| parts.iter().find(|i| i.code == code).map(|i| i.id);
    let (Some(num_id), Some(den_id)) = (id_of(&num.indicator), id_of(&den.indicator)) else {
        return Ok(HashMap::new());
    };
    let mut load = |id: IndicatorId, b: &Breakdown| -> Result<Vec<ValueRow>, AnalyticsError> {
        Ok(match queries::breakdown_by_code(conn, &b.to_string())? {
            Some(bid) => queries::values(
                conn,
                &ValueFilter {
                    indicators: &[id],
                    districts,
                    kind: ObservationKind::Actual,
                    breakdown: bid,
                    years,
                    as_of,
                },
            )?,
            None => Vec::new(),
        })
    };
    let numerators = load(num_id, &num.breakdown)?;
    let denominators = load(den_id, &den.breakdown)?;
    // Bounds (以上, 约) do not divide into a figure.
    let exact = |r: &ValueRow| r.observation.qualifier == Qualifier::Exact;
    let mut by_key: HashMap<(DistrictId, PeriodId), Vec<ValueRow>> = HashMap::new();
    for d in denominators.into_iter().filter(exact) {
        by_key
            .entry((d.observation.district_id, d.observation.period_id))
            .or_default()
            .push(d);
    }
    let mut nums: HashMap<(DistrictId, PeriodId), Vec<ValueRow>> = HashMap::new();
    for n in numerators.into_iter().filter(exact) {
        nums.entry((n.observation.district_id, n.observation.period_id))
            .or_default()
            .push(n);
    }
    let scale = indicator.unit.fraction_scale();
    let mut out = HashMap::new();
    for (key, ns) in nums {
        let Some(ds) = by_key.get(&key) else {
            continue;
        };
        // Several reports of the same input: the preferred one, as a ranking would choose.
        let n = preferred_row(&ns.iter().collect::<Vec<_>>()).cloned();
        let d = preferred_row(&ds.iter().collect::<Vec<_>>()).cloned();
        let (Some(n), Some(d)) = (n, d) else {
            continue;
        };
        if let Some(value) =
            crate::stats::derived::share(n.observation.value, d.observation.value, scale)
        {
            out.insert(
                key,
                Derived {
                    value,
                    numerator: n,
                    denominator: d,
                },
            );
        }
    }
    Ok(out)
}

/// The derived value to rank for each district: the one whose period ends last (then the
/// later numerator), as a reported value is chosen by year.
pub(super) fn latest_derived(
    all: HashMap<(DistrictId, PeriodId), Derived>,
) -> BTreeMap<DistrictId, Derived> {
    let mut all: Vec<Derived> = all.into_values().collect();
    all.sort_by(|a, b| {
        (&a.numerator.period.end_date, a.numerator.observation.id)
            .cmp(&(&b.numerator.period.end_date, b.numerator.observation.id))
    });
    let mut out = BTreeMap::new();
    for d in all {
        out.insert(d.numerator.observation.district_id, d);
    }
    out
}
