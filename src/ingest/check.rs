//! Runs the data-quality rules ([`crate::stats::quality`]) and stores their findings (origin
//! `rule`). Curated findings are left alone.
//!
//! Incremental: every rule compares observations of one district only, and within a district
//! only observations of one indicator (range, per-student plausibility, change and
//! sum-of-parts) or of a share and its numerator and denominator (share consistency). So a
//! write recomputes, for each district it touched, only the indicators it touched, closed
//! under the share links (a share with its inputs, an input with every share that uses it):
//! it deletes the stored rule findings involving those observations and stores the new ones.
//! The rows read are the touched series, not the warehouse. [`compute`] is the full run,
//! kept as the reference the incremental result must equal (tested in `tests/bulk_load.rs`).
//!
//! A finding's code is derived from its content (`rule-<rule>-<observation ids>`), so the same
//! finding keeps its code whichever run produced it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use diesel::prelude::*;

use crate::db::models::NewObservation;
use crate::db::queries;
use crate::db::schema::*;
use crate::db::DbConnection;
use crate::domain::{Breakdown, FindingOrigin, ObservationKind, SeriesSpec};
use crate::stats::quality::{check, QIndicator, QObs, RuleFinding};

/// A stored text that should have been validated on the way in and does not parse: the
/// database was changed behind edustats' back. Reported as a failed read, never skipped.
fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(e))
}

fn spec(text: Option<&str>) -> QueryResult<Option<SeriesSpec>> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| t.parse().map_err(corrupt))
        .transpose()
}

/// The columns of an observation the rules read (not its quote or history).
type RuleRow = (
    i32,
    String,
    i32,
    i32,
    i32,
    Option<i32>,
    i32,
    String,
    f64,
    String,
    String,
    i32,
);

/// An observation as loaded for the rules.
struct Row {
    id: i32,
    key: String,
    district: i32,
    indicator: i32,
    period: i32,
    base_period: Option<i32>,
    breakdown: i32,
    kind: ObservationKind,
    value: f64,
    value_text: String,
    reported_unit: String,
    source: i32,
}

macro_rules! rule_columns {
    () => {
        (
            observations::id,
            observations::key,
            observations::district_id,
            observations::indicator_id,
            observations::period_id,
            observations::base_period_id,
            observations::breakdown_id,
            observations::kind,
            observations::value,
            observations::value_text,
            observations::reported_unit,
            observations::source_id,
        )
    };
}

impl Row {
    fn view(&self) -> RowView<'_> {
        RowView {
            id: self.id,
            key: &self.key,
            district: self.district,
            indicator: self.indicator,
            period: self.period,
            base_period: self.base_period,
            breakdown: self.breakdown,
            kind: self.kind,
            value: self.value,
            value_text: &self.value_text,
            reported_unit: &self.reported_unit,
            source: self.source,
        }
    }
}

/// An observation as the rules see it, borrowed: from a [`Row`] read back, or from the
/// [`NewObservation`] a bulk load has just written ([`refresh_new_district`]).
struct RowView<'a> {
    id: i32,
    key: &'a str,
    district: i32,
    indicator: i32,
    period: i32,
    base_period: Option<i32>,
    breakdown: i32,
    kind: ObservationKind,
    value: f64,
    value_text: &'a str,
    reported_unit: &'a str,
    source: i32,
}

/// The rows read back after a bulk write do not match the rows written
/// ([`refresh_new_district`]).
#[derive(Debug)]
struct IdMismatch {
    district: i32,
    written: usize,
    read: usize,
}

impl std::fmt::Display for IdMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "district {}: {} observations written, {} read back by id, keys not matched",
            self.district, self.written, self.read
        )
    }
}

impl std::error::Error for IdMismatch {}

fn rows(loaded: Vec<RuleRow>) -> QueryResult<Vec<Row>> {
    loaded
        .into_iter()
        .map(|r| {
            Ok(Row {
                id: r.0,
                key: r.1,
                district: r.2,
                indicator: r.3,
                period: r.4,
                base_period: r.5,
                breakdown: r.6,
                kind: ObservationKind::parse(&r.7).map_err(corrupt)?,
                value: r.8,
                value_text: r.9,
                reported_unit: r.10,
                source: r.11,
            })
        })
        .collect()
}

/// The catalogue the rules need (indicators with their share specs, period codes and
/// breakdowns), loaded once per run: small tables, a fixed number of queries. A bulk load
/// loads it once after writing its catalogue and hands it to every
/// [`refresh_new_district`].
pub struct Catalogue {
    indicators: Vec<crate::db::models::Indicator>,
    specs: HashMap<i32, (Option<SeriesSpec>, Option<SeriesSpec>)>,
    periods: HashMap<i32, String>,
    breakdowns: HashMap<i32, Breakdown>,
}

impl Catalogue {
    /// Reads the catalogue from the database.
    pub fn load(conn: &mut DbConnection) -> QueryResult<Catalogue> {
        let indicators = queries::all_indicators(conn)?;
        let periods = queries::all_periods(conn)?
            .into_iter()
            .map(|p| (p.id.0, p.code))
            .collect();
        let breakdowns = queries::all_breakdowns(conn)?
            .into_iter()
            .map(|(id, code)| Ok((id.0, code.parse::<Breakdown>().map_err(corrupt)?)))
            .collect::<QueryResult<_>>()?;
        let specs = indicators
            .iter()
            .map(|i| {
                let num = spec(i.numerator.as_deref())?;
                let den = spec(i.denominator.as_deref())?;
                Ok((i.id.0, (num, den)))
            })
            .collect::<QueryResult<_>>()?;
        Ok(Catalogue {
            indicators,
            specs,
            periods,
            breakdowns,
        })
    }

    /// Runs every rule over `rows` (observations in id order, as the full run reads them).
    fn findings<'r>(&self, rows: impl IntoIterator<Item = RowView<'r>>) -> Vec<RuleFinding> {
        let codes: HashMap<i32, &str> = self
            .indicators
            .iter()
            .map(|i| (i.id.0, i.code.as_str()))
            .collect();
        let catalogue: HashMap<&str, QIndicator<'_>> = self
            .indicators
            .iter()
            .map(|i| {
                let (num, den) = &self.specs[&i.id.0];
                (
                    i.code.as_str(),
                    QIndicator {
                        unit: i.unit,
                        min: i.min_value,
                        max: i.max_value,
                        numerator: num.as_ref(),
                        denominator: den.as_ref(),
                    },
                )
            })
            .collect();
        let views: Vec<RowView<'r>> = rows.into_iter().collect();
        let input: Vec<QObs<'_>> = views
            .iter()
            .filter_map(|o| {
                Some(QObs {
                    id: o.id,
                    key: o.key,
                    district: o.district,
                    indicator: codes.get(&o.indicator)?,
                    period: self.periods.get(&o.period)?,
                    base_period: o
                        .base_period
                        .and_then(|b| self.periods.get(&b))
                        .map(String::as_str),
                    breakdown: self.breakdowns.get(&o.breakdown)?,
                    kind: o.kind,
                    value: o.value,
                    value_text: o.value_text,
                    reported_unit: o.reported_unit,
                })
            })
            .collect();
        check(&input, &catalogue)
    }

    /// `touched` closed under the share links: the indicators whose findings a write of
    /// `touched` can change, and every indicator those findings read.
    fn closure(&self, touched: &BTreeSet<i32>) -> BTreeSet<i32> {
        let ids: HashMap<&str, i32> = self
            .indicators
            .iter()
            .map(|i| (i.code.as_str(), i.id.0))
            .collect();
        // Undirected links share ↔ numerator, share ↔ denominator.
        let mut links: HashMap<i32, Vec<i32>> = HashMap::new();
        for (share, (num, den)) in &self.specs {
            for input in [num, den].into_iter().flatten() {
                if let Some(&input) = ids.get(input.indicator.as_str()) {
                    links.entry(*share).or_default().push(input);
                    links.entry(input).or_default().push(*share);
                }
            }
        }
        let mut out: BTreeSet<i32> = touched.clone();
        let mut todo: Vec<i32> = touched.iter().copied().collect();
        while let Some(i) = todo.pop() {
            for &j in links.get(&i).into_iter().flatten() {
                if out.insert(j) {
                    todo.push(j);
                }
            }
        }
        out
    }
}

/// Computes the rule findings over everything in the database (read-only): the reference
/// the stored, incrementally maintained findings equal.
pub fn compute(conn: &mut DbConnection) -> QueryResult<Vec<RuleFinding>> {
    let catalogue = Catalogue::load(conn)?;
    let loaded = observations::table
        .select(rule_columns!())
        .order(observations::id.asc())
        .load::<RuleRow>(conn)?;
    Ok(catalogue.findings(rows(loaded)?.iter().map(Row::view)))
}

/// The (district id → indicator ids) a write created or changed observations of.
pub type Touched = BTreeMap<i32, BTreeSet<i32>>;

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Observations the rules read.
    pub rows_read: usize,
    /// Rule findings stored after the refresh (all of them, not only the new ones).
    pub findings: usize,
}

/// The stable code of a finding: its rule and the observations it names.
fn finding_code(f: &RuleFinding) -> String {
    let ids: Vec<String> = f.observations.iter().map(i32::to_string).collect();
    format!("rule-{}-{}", f.rule, ids.join("-"))
}

/// Recomputes the rule findings of the series a write touched; run inside the transaction
/// of that write. Reads, per touched district, only the observations of the touched
/// indicators (closed under the share links).
pub fn refresh_touched(conn: &mut DbConnection, touched: &Touched) -> QueryResult<Refresh> {
    let mut refresh = Refresh::default();
    if !touched.is_empty() {
        let catalogue = Catalogue::load(conn)?;
        let all: BTreeSet<i32> = catalogue.indicators.iter().map(|i| i.id.0).collect();
        for (&district, indicators) in touched {
            let scope = catalogue.closure(indicators);
            // Every indicator: no list to bind (a synthetic load touches them all).
            let every = scope == all;
            let scope_ids: Vec<i32> = scope.into_iter().collect();
            let in_scope = observations::table
                .filter(observations::district_id.eq(district))
                .filter(
                    observations::indicator_id
                        .eq_any(scope_ids.clone())
                        .or(every.into_sql::<diesel::sql_types::Bool>()),
                );
            let loaded = in_scope
                .select(rule_columns!())
                .order(observations::id.asc())
                .load::<RuleRow>(conn)?;
            let rows = rows(loaded)?;
            refresh.rows_read += rows.len();
            // The stored rule findings that involve an observation in scope: replaced.
            let stale: Vec<i32> = finding_observations::table
                .inner_join(findings::table)
                .filter(findings::origin.eq(FindingOrigin::Rule.as_str()))
                .filter(
                    finding_observations::observation_id.eq_any(
                        observations::table
                            .filter(observations::district_id.eq(district))
                            .filter(
                                observations::indicator_id
                                    .eq_any(scope_ids)
                                    .or(every.into_sql::<diesel::sql_types::Bool>()),
                            )
                            .select(observations::id),
                    ),
                )
                .select(findings::id)
                .distinct()
                .load(conn)?;
            replace_findings(conn, &catalogue, &rows, &stale)?;
        }
    }
    refresh.findings = count(conn)?;
    Ok(refresh)
}

/// Deletes the `stale` rule findings and stores those the rules find in `rows`.
fn replace_findings(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    rows: &[Row],
    stale: &[i32],
) -> QueryResult<()> {
    let found = catalogue.findings(rows.iter().map(Row::view));
    if !stale.is_empty() {
        diesel::delete(
            finding_observations::table.filter(finding_observations::finding_id.eq_any(stale)),
        )
        .execute(conn)?;
        diesel::delete(findings::table.filter(findings::id.eq_any(stale))).execute(conn)?;
    }
    let source_of: HashMap<i32, i32> = rows.iter().map(|r| (r.id, r.source)).collect();
    store(conn, &found, &source_of)
}

/// [`refresh_touched`] for a district created in the caller's transaction whose every
/// observation is in `written`, just written with ids in `after < id <= upto`, as a bulk
/// load writes a district: every indicator of it is touched. The same findings as
/// `refresh_touched` of that district, at a fraction of its cost:
///
/// - the rules run on `written` itself; only the ids the database gave the rows are read
///   back (id and key, through the primary key by id range, so a load into an empty
///   warehouse needs no secondary index on `observations` while it writes: all of them are
///   built once at the end, `ingest::bulk`). Both bounds are given so that PostgreSQL,
///   without statistics on a table being loaded, still plans a primary-key range scan;
/// - there is nothing stale to delete: the district is new in this transaction, so no stored
///   finding can name one of its observations;
/// - `catalogue` is loaded once by the caller for the whole load.
///
/// Reading back the twelve columns the rules use took about a fifth of a 300-district load
/// (BENCHMARKS.md, "Loading"). Returns the rows the rules read.
pub fn refresh_new_district(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    district: i32,
    written: &[NewObservation<'_>],
    (after, upto): (i32, i32),
) -> QueryResult<usize> {
    let ids: Vec<(i32, String)> = observations::table
        .filter(observations::id.gt(after))
        .filter(observations::id.le(upto))
        .filter(observations::district_id.eq(district))
        .select((observations::id, observations::key))
        .order(observations::id.asc())
        .load(conn)?;
    if ids.len() != written.len() {
        // Another writer's rows in the range, or rows lost: either way the ids cannot be
        // matched to what was written, and the load must not commit on a guess.
        return Err(corrupt(IdMismatch {
            district,
            written: written.len(),
            read: ids.len(),
        }));
    }
    // Both backends give the rows of one statement ascending ids in the order written, so
    // the keys match by position; matched by key if they ever do not.
    let in_order = ids.iter().zip(written).all(|((_, k), w)| k == w.key);
    let by_key: HashMap<&str, &NewObservation<'_>> = if in_order {
        HashMap::new()
    } else {
        written.iter().map(|w| (w.key, w)).collect()
    };
    let mut views = Vec::with_capacity(written.len());
    for (n, (id, key)) in ids.iter().enumerate() {
        let w = if in_order {
            &written[n]
        } else {
            by_key.get(key.as_str()).copied().ok_or_else(|| {
                corrupt(IdMismatch {
                    district,
                    written: written.len(),
                    read: ids.len(),
                })
            })?
        };
        views.push(RowView {
            id: *id,
            key: w.key,
            district: w.district_id,
            indicator: w.indicator_id,
            period: w.period_id,
            base_period: w.base_period_id,
            breakdown: w.breakdown_id,
            kind: w.kind,
            value: w.value,
            value_text: w.value_text,
            reported_unit: w.reported_unit,
            source: w.source_id,
        });
    }
    let source_of: HashMap<i32, i32> = views.iter().map(|v| (v.id, v.source)).collect();
    let found = catalogue.findings(views);
    store(conn, &found, &source_of)?;
    Ok(written.len())
}

/// The highest observation id (0 in an empty table): the `after` bound of
/// [`refresh_new_district`].
pub fn max_observation_id(conn: &mut DbConnection) -> QueryResult<i32> {
    let max: Option<i32> = observations::table
        .select(diesel::dsl::max(observations::id))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// How many rule findings are stored.
pub fn count(conn: &mut DbConnection) -> QueryResult<usize> {
    let n: i64 = findings::table
        .filter(findings::origin.eq(FindingOrigin::Rule.as_str()))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Inserts findings and their observation links; codes from their content.
fn store(
    conn: &mut DbConnection,
    found: &[RuleFinding],
    source_of: &HashMap<i32, i32>,
) -> QueryResult<()> {
    if found.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    let mut coded = Vec::with_capacity(found.len());
    for f in found {
        // Two findings of one rule over the same observations differ only in their message;
        // a suffix keeps both.
        let base = finding_code(f);
        let mut code = base.clone();
        let mut n = 1;
        while !seen.insert(code.clone()) {
            n += 1;
            code = format!("{base}-{n}");
        }
        coded.push((code, f));
    }
    // Multi-row INSERTs, not one statement per finding and per link: a load whose data the
    // rules object to often (a real report's table of 5,000 rows with a unit slip, say)
    // would otherwise pay a round trip per finding. Rows per statement stay under SQLite's
    // 32,766 bound variables (7 per finding, 2 per link).
    let rows: Vec<_> = coded
        .iter()
        .map(|(code, f)| {
            let source_id = f
                .observations
                .last()
                .and_then(|o| source_of.get(o))
                .copied();
            (
                findings::code.eq(code.as_str()),
                findings::origin.eq(FindingOrigin::Rule.as_str()),
                findings::rule.eq(f.rule),
                findings::severity.eq(f.severity.as_str()),
                findings::message.eq(f.message.as_str()),
                findings::source_id.eq(source_id),
                findings::message_zh.eq(f.message_zh.as_str()),
            )
        })
        .collect();
    for chunk in rows.chunks(FINDINGS_PER_STATEMENT) {
        super::bulk::insert_batch!(&mut *conn, findings::table, chunk)?;
    }
    let codes: Vec<&str> = coded.iter().map(|(c, _)| c.as_str()).collect();
    let mut ids: HashMap<String, i32> = HashMap::new();
    for chunk in codes.chunks(1_000) {
        ids.extend(
            findings::table
                .filter(findings::code.eq_any(chunk))
                .select((findings::code, findings::id))
                .load::<(String, i32)>(conn)?,
        );
    }
    let mut links = Vec::new();
    for (code, f) in &coded {
        let Some(&id) = ids.get(code) else {
            return Err(diesel::result::Error::NotFound);
        };
        for o in &f.observations {
            links.push((
                finding_observations::finding_id.eq(id),
                finding_observations::observation_id.eq(*o),
            ));
        }
    }
    for chunk in links.chunks(LINKS_PER_STATEMENT) {
        super::bulk::insert_batch!(&mut *conn, finding_observations::table, chunk)?;
    }
    Ok(())
}

/// Findings per INSERT of [`store`] (7 bound values each).
const FINDINGS_PER_STATEMENT: usize = 1_000;

/// Finding–observation links per INSERT of [`store`] (2 bound values each).
const LINKS_PER_STATEMENT: usize = 5_000;

/// Replaces every stored rule finding with a full run (used when the whole warehouse
/// changed, e.g. a seed load with `--replace`); returns how many there are.
pub fn refresh_all(conn: &mut DbConnection) -> QueryResult<usize> {
    let found = compute(conn)?;
    let old = findings::table
        .filter(findings::origin.eq(FindingOrigin::Rule.as_str()))
        .select(findings::id);
    diesel::delete(
        finding_observations::table.filter(finding_observations::finding_id.eq_any(old)),
    )
    .execute(conn)?;
    diesel::delete(findings::table.filter(findings::origin.eq(FindingOrigin::Rule.as_str())))
        .execute(conn)?;
    let source_of: HashMap<i32, i32> = observations::table
        .select((observations::id, observations::source_id))
        .load::<(i32, i32)>(conn)?
        .into_iter()
        .collect();
    store(conn, &found, &source_of)?;
    Ok(found.len())
}
