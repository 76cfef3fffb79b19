//! Distributions of one indicator across districts, grouped by parent, level or a peer group
//! (see [`crate::stats::aggregate`]).

use std::collections::{BTreeMap, HashMap};

use super::shared::*;
use super::{check_year, AnalyticsError, YearInput};
use crate::db::models::*;
use crate::db::queries::{self, Group, ValueFilter, ValueRow};
use crate::db::DbConnection;
use crate::domain::{Breakdown, ObservationKind};
use crate::stats::aggregate::{distribution, Distribution};

/// How `aggregate` groups districts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// By parent division (every district and county of Chongqing has the municipality).
    Parent,
    /// By division level (district, county, autonomous county).
    Level,
    /// One group: the districts given (a peer group), in any level.
    Districts(Vec<String>),
}

/// One group of an aggregate.
#[derive(Debug, Clone)]
pub struct AggregateGroup {
    /// The group's key: the parent's code, the level, or `peer_group`.
    pub key: String,
    /// The districts in the group with a value, by code, with the value chosen for each.
    pub values: Vec<(District, ValueRow)>,
    /// Districts in the group without a value.
    pub missing: Vec<District>,
    /// Statistics of the values; `None` when no district of the group has one.
    pub stats: Option<Distribution>,
}

/// What an aggregate describes: one indicator's actual values across districts in a year.
#[derive(Debug, Clone, Copy)]
pub struct AggregateRequest<'a> {
    /// Indicator code.
    pub indicator: &'a str,
    /// The year.
    pub year: i32,
    /// How districts are grouped.
    pub group_by: &'a GroupBy,
    /// Exact breakdown (empty: the total).
    pub breakdown: &'a Breakdown,
    /// Each district's latest value in or before `year`.
    pub latest_on_or_before: bool,
    /// Answer as the warehouse was at this instant.
    pub as_of: Option<&'a str>,
}

/// Distributions of an indicator across districts in a year (with `latest_on_or_before`, each
/// district's latest value in or before it), one value per district chosen as in
/// [`super::ranking()`], grouped by `group_by`. A sum is given only when the catalogue declares the
/// indicator additive ([`Indicator::is_additive`], checked on load against the unit): a rate
/// or a per-student amount is never summed. Groups by parent
/// or level cover the division-level districts; a peer group covers the districts given.
pub fn aggregate(
    conn: &mut DbConnection,
    request: &AggregateRequest<'_>,
) -> Result<(Indicator, Vec<AggregateGroup>), AnalyticsError> {
    let AggregateRequest {
        indicator,
        year,
        group_by,
        breakdown,
        latest_on_or_before,
        as_of,
    } = *request;
    check_year(YearInput::Year, year)?;
    let indicator = resolve_indicator(conn, indicator)?;
    let universe = match group_by {
        GroupBy::Districts(codes) if codes.is_empty() => {
            return Err(AnalyticsError::EmptyPeerGroup)
        }
        GroupBy::Districts(codes) => resolve_districts(conn, codes)?,
        GroupBy::Parent | GroupBy::Level => ranked_universe(conn)?,
    };
    let years = year_window(year, latest_on_or_before);
    let ids: Vec<DistrictId> = universe.iter().map(|d| d.id).collect();
    let rows = match resolve_breakdown(conn, breakdown)? {
        Some(b) => chosen(
            conn,
            &ValueFilter {
                indicators: &[indicator.id],
                districts: Some(&ids),
                kind: ObservationKind::Actual,
                breakdown: b,
                years,
                as_of,
            },
            Group::District,
        )?,
        None => Vec::new(),
    };
    let mut chosen: BTreeMap<DistrictId, ValueRow> = rows
        .into_iter()
        .map(|r| (r.observation.district_id, r))
        .collect();
    let parents: HashMap<DistrictId, String> = match group_by {
        GroupBy::Parent => queries::all_districts(conn)?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect(),
        _ => HashMap::new(),
    };
    let mut groups: BTreeMap<String, AggregateGroup> = BTreeMap::new();
    let mut sorted = universe;
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    sorted.dedup_by(|a, b| a.id == b.id);
    for d in sorted {
        let key = match group_by {
            GroupBy::Parent => d
                .parent_id
                .and_then(|p| parents.get(&DistrictId(p)).cloned())
                .unwrap_or_else(|| "none".to_string()),
            GroupBy::Level => d.level.as_str().to_string(),
            GroupBy::Districts(_) => "peer_group".to_string(),
        };
        let g = groups.entry(key.clone()).or_insert_with(|| AggregateGroup {
            key,
            values: Vec::new(),
            missing: Vec::new(),
            stats: None,
        });
        match chosen.remove(&d.id) {
            Some(row) => g.values.push((d, row)),
            None => g.missing.push(d),
        }
    }
    let additive = indicator.is_additive();
    let groups = groups
        .into_values()
        .map(|mut g| {
            let values: Vec<f64> = g.values.iter().map(|(_, r)| r.observation.value).collect();
            g.stats = distribution(&values, additive);
            g
        })
        .collect();
    Ok((indicator, groups))
}
