//! `edustats synth`: a SYNTHETIC dataset for load and query benchmarks, written into a
//! database of its own. Never real figures: every district, indicator, source and
//! observation is marked SYNTHETIC in its code or key and in its names or quote, and the
//! command refuses a database that holds anything else ([`SynthError::RealData`]).
//!
//! What it writes: a parent division `SYNTHETIC`; districts `SYN0001…` (levels district,
//! county, autonomous county); indicators `synthetic_NNN_<profile>` with units, directions
//! and categories from the domain vocabulary, some broken down by school stage (members of
//! the seed catalogue's `stage` dimension); one source per district and year whose text
//! lists every figure of that district-year, one line each, so each observation's quote is
//! found in its source as an import's would be. Values follow per-unit distributions
//! ([`generate`]), a few percent of cells are missing, and rounding makes ties.
//!
//! How: generation streams one district at a time ([`generate::chunk`]); each chunk goes to
//! the database through the bulk path ([`crate::ingest::bulk`]: COPY on PostgreSQL,
//! multi-row INSERTs on SQLite), then the quality rules run on that district
//! ([`crate::ingest::check::refresh_touched`]). Memory is one district's rows, whatever the
//! size. Everything is one transaction: a failure leaves the database as it was.

pub mod generate;

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use diesel::prelude::*;

use crate::db::models::{NewDistrict, NewIndicator, NewObservation, NewSource};
use crate::db::schema::*;
use crate::db::{now_utc, DbConnection, DbError};
use crate::domain::{AuditAction, DivisionLevel, ObservationKind, Qualifier, SourceKind};
use crate::ingest::codes::{code_map, CodeMap};
use crate::ingest::{bulk, check, period::parse_period};
pub use generate::Params;
use generate::{CODE_PREFIX, DISTRICT_PREFIX, MARK, PARENT_CODE, STAGES};

/// Why `synth` did not run.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The database holds data that is not synthetic: synth never mixes with real figures.
    #[error(
        "refusing to write SYNTHETIC data into a database that holds real data ({districts} \
         non-synthetic district(s), {sources} source(s), {observations} observation(s)); \
         use an empty database of its own"
    )]
    RealData {
        /// Districts whose code or names are not synthetic.
        districts: i64,
        /// Sources whose code is not synthetic.
        sources: i64,
        /// Observations whose key is not synthetic (counted up to one: it is a full scan).
        observations: i64,
    },
    /// A synthetic dataset is already there.
    #[error("the database already holds a SYNTHETIC dataset; pass --replace to generate it again")]
    AlreadySynthetic,
    /// A size or seed that cannot be generated.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SynthError {
    fn from(e: diesel::result::Error) -> Self {
        SynthError::Db(DbError::Query(e))
    }
}

impl From<crate::ingest::IngestError> for SynthError {
    fn from(e: crate::ingest::IngestError) -> Self {
        match e {
            crate::ingest::IngestError::Db(e) => SynthError::Db(e),
            other => SynthError::Invalid(other.to_string()),
        }
    }
}

/// What `synth` wrote, and how fast.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Always true: the data is SYNTHETIC.
    pub synthetic: bool,
    /// The seed.
    pub seed: u64,
    /// Synthetic districts (without the parent).
    pub districts: usize,
    /// Synthetic indicators.
    pub indicators: usize,
    /// Years.
    pub years: u32,
    /// Sources (one per district and year).
    pub sources: usize,
    /// Observations (totals and stage parts).
    pub observations: usize,
    /// Rule findings on the synthetic data.
    pub rule_findings: usize,
    /// Seconds of the statistics refresh after the commit (PostgreSQL's `VACUUM (ANALYZE)`;
    /// included in `seconds`).
    pub maintenance_seconds: f64,
    /// Wall-clock seconds of the whole load (catalogue, rows, rules, commit, statistics).
    pub seconds: f64,
    /// Observations per second over the whole load.
    pub observations_per_second: f64,
}

/// Printed units the synthetic figures use (as the seed catalogue defines them) and their
/// factors; inserted when missing.
const UNITS: &[(&str, &str, f64)] = &[
    ("%", "percent", 1.0),
    ("人", "person", 1.0),
    ("所", "count", 1.0),
    ("万元", "yuan", 10_000.0),
];

fn is_synthetic_district(code: &str, name_zh: &str, name_en: &str) -> bool {
    code.starts_with(DISTRICT_PREFIX) && name_zh.contains(MARK) && name_en.contains(MARK)
}

/// Counts what is not synthetic; `Ok(true)` when synthetic data is present (and nothing
/// else).
fn inspect(conn: &mut DbConnection) -> Result<bool, SynthError> {
    let all = districts::table
        .select((districts::code, districts::name_zh, districts::name_en))
        .load::<(String, String, String)>(conn)?;
    let real_districts = all
        .iter()
        .filter(|(c, zh, en)| !is_synthetic_district(c, zh, en))
        .count() as i64;
    let prefix = format!("{CODE_PREFIX}-%");
    let real_sources: i64 = sources::table
        .filter(sources::code.not_like(&prefix))
        .count()
        .get_result(conn)?;
    let real_observation: Option<i32> = observations::table
        .filter(observations::key.not_like(&prefix))
        .select(observations::id)
        .first(conn)
        .optional()?;
    let real_observations = i64::from(real_observation.is_some());
    if real_districts + real_sources + real_observations > 0 {
        return Err(SynthError::RealData {
            districts: real_districts,
            sources: real_sources,
            observations: real_observations,
        });
    }
    Ok(!all.is_empty())
}

/// Generates the SYNTHETIC dataset of `params` into the database behind `conn`, in one
/// transaction. Refuses a database holding real data; one holding a synthetic dataset only
/// with `replace` (which removes it first, in the same transaction).
pub fn run(conn: &mut DbConnection, params: Params, replace: bool) -> Result<Summary, SynthError> {
    if params.districts == 0 || params.years == 0 || params.indicators == 0 {
        return Err(SynthError::Invalid(
            "--districts, --years and --indicators must be at least 1".into(),
        ));
    }
    if params.years > 200 || params.indicators > 999_999 || params.districts > 9_999_999 {
        return Err(SynthError::Invalid(
            "at most 200 years, 999,999 indicators and 9,999,999 districts".into(),
        ));
    }
    let started = Instant::now();
    // Checked again inside the transaction; here only to choose the SQLite journal.
    let empty = crate::db::queries::is_empty(conn)?;
    let summary = bulk::with_load_settings(conn, empty, |conn| {
        crate::db::conn::write_transaction::<_, SynthError, _>(conn, |conn| {
            if inspect(conn)? {
                if !replace {
                    return Err(SynthError::AlreadySynthetic);
                }
                crate::ingest::write::clear(conn)?;
            }
            // Into an empty warehouse, the secondary indexes are built once at the end.
            let summary = if empty {
                bulk::without_secondary_indexes(conn, |conn| write(conn, &params))?
            } else {
                write(conn, &params)?
            };
            Ok(summary)
        })
    })?;
    // Counted in the load's time: until the statistics exist, PostgreSQL serves the new
    // rows several times slower.
    let maintenance = Instant::now();
    bulk::refresh_statistics(conn)?;
    // The commit (and, for SQLite, restoring the settings) counts: the rows are not loaded
    // until it returns.
    let mut summary = summary;
    summary.maintenance_seconds = maintenance.elapsed().as_secs_f64();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.observations_per_second = summary.observations as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// Inserts what is missing of the units and the `stage` members the dataset uses.
fn vocabulary(conn: &mut DbConnection) -> Result<(), SynthError> {
    let have: BTreeSet<String> = units::table
        .select(units::unit)
        .load(conn)?
        .into_iter()
        .collect();
    for (unit, canonical, factor) in UNITS.iter().filter(|(u, _, _)| !have.contains(*u)) {
        diesel::insert_into(units::table)
            .values((
                units::unit.eq(unit),
                units::canonical.eq(canonical),
                units::factor.eq(factor),
            ))
            .execute(conn)?;
    }
    let stage: Option<i32> = dimensions::table
        .filter(dimensions::code.eq("stage"))
        .select(dimensions::id)
        .first(conn)
        .optional()?;
    let stage = match stage {
        Some(id) => id,
        None => {
            diesel::insert_into(dimensions::table)
                .values((
                    dimensions::code.eq("stage"),
                    dimensions::name_zh.eq("学段"),
                    dimensions::name_en.eq("School stage"),
                ))
                .execute(conn)?;
            dimensions::table
                .filter(dimensions::code.eq("stage"))
                .select(dimensions::id)
                .first(conn)?
        }
    };
    let members: BTreeSet<String> = dimension_members::table
        .filter(dimension_members::dimension_id.eq(stage))
        .select(dimension_members::code)
        .load(conn)?
        .into_iter()
        .collect();
    let english = [
        ("primary", "Primary school"),
        ("junior_secondary", "Junior secondary"),
        ("senior_secondary", "General senior secondary"),
    ];
    for ((code, zh), (_, en)) in STAGES.iter().zip(english) {
        if !members.contains(*code) {
            diesel::insert_into(dimension_members::table)
                .values((
                    dimension_members::dimension_id.eq(stage),
                    dimension_members::code.eq(code),
                    dimension_members::name_zh.eq(zh),
                    dimension_members::name_en.eq(en),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The catalogue: parent, districts, indicators (with the stage dimension), periods and
/// breakdowns. Returns the id maps.
fn catalogue(
    conn: &mut DbConnection,
    params: &Params,
    ds: &[generate::District],
    inds: &[generate::Indicator],
) -> Result<Catalogue, SynthError> {
    vocabulary(conn)?;
    diesel::insert_into(districts::table)
        .values(NewDistrict {
            code: PARENT_CODE,
            parent_id: None,
            level: DivisionLevel::Municipality,
            name_zh: "SYNTHETIC 省级行政区",
            name_en: "SYNTHETIC province-level division",
        })
        .execute(conn)?;
    let parent: i32 = districts::table
        .filter(districts::code.eq(PARENT_CODE))
        .select(districts::id)
        .first(conn)?;
    for d in ds {
        diesel::insert_into(districts::table)
            .values(NewDistrict {
                code: &d.code,
                parent_id: Some(parent),
                level: d.level,
                name_zh: &d.name_zh,
                name_en: &d.name_en,
            })
            .execute(conn)?;
    }
    for i in inds {
        diesel::insert_into(indicators::table)
            .values(NewIndicator {
                code: &i.code,
                name_zh: &i.name_zh,
                name_en: &i.name_en,
                unit: i.profile.unit(),
                category: i.category,
                direction: i.direction,
                definition: &i.definition,
                definition_zh: &i.definition_zh,
                min_value: i.min,
                max_value: i.max,
                numerator: None,
                denominator: None,
                aliases: "",
                // A SYNTHETIC headcount adds up across districts; a rate does not.
                additive: i32::from(i.profile.unit().is_additive()),
            })
            .execute(conn)?;
    }
    let indicator_ids = code_map!(conn, indicators);
    let stage: i32 = dimensions::table
        .filter(dimensions::code.eq("stage"))
        .select(dimensions::id)
        .first(conn)?;
    for i in inds.iter().filter(|i| i.by_stage) {
        let id = indicator_ids
            .id(&i.code)
            .ok_or(diesel::result::Error::NotFound)?;
        diesel::insert_into(indicator_dimensions::table)
            .values((
                indicator_dimensions::indicator_id.eq(id),
                indicator_dimensions::dimension_id.eq(stage),
            ))
            .execute(conn)?;
    }
    let existing_periods = code_map!(conn, periods);
    for year in generate::first_year(params)..=generate::LAST_YEAR {
        let p = parse_period(&year.to_string()).map_err(SynthError::Invalid)?;
        if existing_periods.id(&p.code).is_none() {
            crate::ingest::write::insert_period(conn, &p)?;
        }
    }
    let existing_breakdowns = code_map!(conn, breakdowns);
    let stage_codes: Vec<String> = STAGES.iter().map(|(m, _)| format!("stage={m}")).collect();
    for code in std::iter::once(String::new()).chain(stage_codes.iter().cloned()) {
        if existing_breakdowns.id(&code).is_some() {
            continue;
        }
        diesel::insert_into(breakdowns::table)
            .values(breakdowns::code.eq(&code))
            .execute(conn)?;
        if let Some(member) = code.strip_prefix("stage=") {
            let breakdown: i32 = breakdowns::table
                .filter(breakdowns::code.eq(&code))
                .select(breakdowns::id)
                .first(conn)?;
            let member: i32 = dimension_members::table
                .filter(dimension_members::dimension_id.eq(stage))
                .filter(dimension_members::code.eq(member))
                .select(dimension_members::id)
                .first(conn)?;
            diesel::insert_into(breakdown_members::table)
                .values((
                    breakdown_members::breakdown_id.eq(breakdown),
                    breakdown_members::member_id.eq(member),
                ))
                .execute(conn)?;
        }
    }
    Ok(Catalogue {
        districts: code_map!(conn, districts),
        indicators: indicator_ids,
        periods: code_map!(conn, periods),
        breakdowns: code_map!(conn, breakdowns),
    })
}

struct Catalogue {
    districts: CodeMap,
    indicators: CodeMap,
    periods: CodeMap,
    breakdowns: CodeMap,
}

fn id(map: &CodeMap, code: &str) -> Result<i32, SynthError> {
    map.id(code)
        .ok_or_else(|| SynthError::Invalid(format!("{code:?} vanished during the load")))
}

/// Seconds spent per phase of the district loop (logged: where a load's time goes).
#[derive(Debug, Default)]
struct Phases {
    /// Waiting for the next district's rows (all of its generation when not threaded).
    generate: f64,
    sources: f64,
    observations: f64,
    rules: f64,
}

fn write(conn: &mut DbConnection, params: &Params) -> Result<Summary, SynthError> {
    let ds = generate::districts(params);
    let inds = generate::indicators(params);
    let cat = catalogue(conn, params, &ds, &inds)?;
    let indicator_ids: Vec<i32> = inds
        .iter()
        .map(|i| id(&cat.indicators, &i.code))
        .collect::<Result<_, _>>()?;
    let total_breakdown = id(&cat.breakdowns, "")?;
    let stage_breakdowns: HashMap<&str, i32> = STAGES
        .iter()
        .map(|(m, _)| Ok((*m, id(&cat.breakdowns, &format!("stage={m}"))?)))
        .collect::<Result<_, SynthError>>()?;
    let now = now_utc();
    let mut summary = Summary {
        synthetic: true,
        seed: params.seed,
        districts: ds.len(),
        indicators: inds.len(),
        years: params.years,
        ..Summary::default()
    };
    let note = format!("{MARK}: generated by edustats synth --seed {}", params.seed);
    // The rules' catalogue, complete once `catalogue` has run: loaded once for every district.
    let rules = check::Catalogue::load(conn)?;
    let mut phases = Phases::default();
    // The next district is generated on a second thread while this one writes: generation
    // is pure and deterministic per district, so the rows are the same in either order, and
    // a channel of two chunks keeps memory at three districts' rows whatever the size.
    let (tx, rx) = std::sync::mpsc::sync_channel::<generate::Chunk>(2);
    std::thread::scope(|scope| -> Result<(), SynthError> {
        // Owned by this closure, so it is dropped (and a blocked generator released) before
        // the scope waits for the generator when the writer stops early.
        let rx = rx;
        let (ds, inds) = (&ds, &inds);
        scope.spawn(move || {
            for d in ds {
                if tx.send(generate::chunk(params, d, inds)).is_err() {
                    break; // the writer stopped
                }
            }
        });
        for (n, d) in ds.iter().enumerate() {
            let waited = Instant::now();
            let chunk = rx
                .recv()
                .map_err(|_| SynthError::Invalid("the synthetic generator stopped early".into()))?;
            phases.generate += waited.elapsed().as_secs_f64();
            let district_id = id(&cat.districts, &d.code)?;
            let digests: Vec<String> = chunk
                .sources
                .iter()
                .map(|s| crate::db::queries::text_sha256(&s.body))
                .collect();
            let new_sources: Vec<NewSource<'_>> = chunk
                .sources
                .iter()
                .zip(&digests)
                .map(|(s, digest)| NewSource {
                    code: &s.code,
                    title_zh: &s.title_zh,
                    title_en: &s.title_en,
                    issuer: "SYNTHETIC (edustats synth)",
                    district_id,
                    doc_number: None,
                    published_on: None,
                    kind: SourceKind::Statistics,
                    review_year: Some(s.year),
                    note: Some(&note),
                    body: &s.body,
                    created_at: &now,
                    text_sha256: digest,
                })
                .collect();
            let started = Instant::now();
            bulk::sources(conn, &new_sources)?;
            phases.sources += started.elapsed().as_secs_f64();
            // By code, through its unique index: `sources` has no index on its district, and
            // a filter on it scanned every source written so far (bodies included, on
            // SQLite) once per district, which made a 3,000-district load quadratic.
            let codes: Vec<&str> = chunk.sources.iter().map(|s| s.code.as_str()).collect();
            let source_ids: HashMap<String, i32> = sources::table
                .filter(sources::code.eq_any(&codes))
                .select((sources::code, sources::id))
                .load::<(String, i32)>(conn)?
                .into_iter()
                .collect();
            let source_of: Vec<i32> = chunk
                .sources
                .iter()
                .map(|s| {
                    source_ids
                        .get(&s.code)
                        .copied()
                        .ok_or_else(|| SynthError::Invalid(format!("source {} vanished", s.code)))
                })
                .collect::<Result<_, _>>()?;
            let periods: Vec<i32> = chunk
                .sources
                .iter()
                .map(|s| id(&cat.periods, &s.year.to_string()))
                .collect::<Result<_, _>>()?;
            let rows: Vec<NewObservation<'_>> = chunk
                .observations
                .iter()
                .map(|o| NewObservation {
                    key: &o.key,
                    district_id,
                    indicator_id: indicator_ids[o.indicator],
                    period_id: periods[o.source],
                    breakdown_id: o
                        .stage
                        .and_then(|s| stage_breakdowns.get(s).copied())
                        .unwrap_or(total_breakdown),
                    kind: ObservationKind::Actual,
                    base_period_id: None,
                    value: o.value,
                    value_text: &o.value_text,
                    reported_unit: o.unit,
                    qualifier: Qualifier::Exact,
                    source_id: source_of[o.source],
                    quote: &o.quote,
                    quote_start: o.quote_start as i32,
                    quote_end: o.quote_end as i32,
                    period_note: None,
                    note: None,
                    revision: 1,
                    created_at: &now,
                    recorded_at: &now,
                    recorded_by: "synth",
                    change_reason: None,
                })
                .collect();
            let started = Instant::now();
            let after = check::max_observation_id(conn)?;
            bulk::observations(conn, &rows)?;
            let upto = check::max_observation_id(conn)?;
            phases.observations += started.elapsed().as_secs_f64();
            summary.sources += new_sources.len();
            summary.observations += rows.len();
            let started = Instant::now();
            // The district was created in this transaction, so all of its rows are the ones
            // just written, in (after, upto]: found by id, they need no district index, and
            // every secondary index of an empty warehouse is deferred to the end.
            check::refresh_new_district(conn, &rules, district_id, &rows, (after, upto))?;
            phases.rules += started.elapsed().as_secs_f64();
            if (n + 1) % 100 == 0 || n + 1 == ds.len() {
                tracing::info!(
                    districts = n + 1,
                    observations = summary.observations,
                    "synthetic districts written"
                );
            }
        }
        Ok(())
    })?;
    summary.rule_findings = check::count(conn)?;
    tracing::info!(
        generate_wait = phases.generate,
        sources = phases.sources,
        observations = phases.observations,
        rules = phases.rules,
        "seconds per phase of the district loop"
    );
    crate::auth::audit(
        conn,
        "synth",
        AuditAction::Synth,
        &format!(
            "{MARK} dataset: {} districts × {} years × {} indicators, seed {}",
            params.districts, params.years, params.indicators, params.seed
        ),
        summary.observations,
    )?;
    // A write like any other: cached answers keyed by the old version are not served again.
    crate::db::version::bump(conn)?;
    Ok(summary)
}
