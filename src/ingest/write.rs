//! Writes a validated [`Dataset`] in one transaction, then recomputes the rule-based quality
//! findings in the same transaction, so readers never see data without its findings.

use std::collections::HashMap;

use diesel::prelude::*;

use super::seed::Dataset;
use super::IngestError;
use crate::db::models::*;
use crate::db::schema::*;
use crate::db::DbConnection;
use crate::domain::{AuditAction, FindingOrigin, Severity, SourceKind};

/// What a load wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    /// Divisions.
    pub districts: usize,
    /// Indicators.
    pub indicators: usize,
    /// Source documents.
    pub sources: usize,
    /// Observations.
    pub observations: usize,
    /// Findings recorded while curating.
    pub curated_findings: usize,
    /// Findings computed by the quality rules.
    pub rule_findings: usize,
}

/// Looks up an id the validated dataset guarantees; a miss means the dataset and the database
/// disagree, reported as an error rather than a panic.
fn id<K: std::hash::Hash + Eq + std::fmt::Debug + ?Sized>(
    map: &HashMap<impl std::borrow::Borrow<K> + std::hash::Hash + Eq, i32>,
    key: &K,
    what: &str,
) -> Result<i32, IngestError> {
    map.get(key).copied().ok_or_else(|| {
        IngestError::Invalid(vec![super::Problem::new(
            "dataset",
            0,
            what,
            format!("{what} {key:?} is missing after insertion"),
        )])
    })
}

fn code_map(rows: Vec<(i32, String)>) -> HashMap<String, i32> {
    rows.into_iter().map(|(id, code)| (code, id)).collect()
}

/// Deletes every row of every table (children first). Used by `seed --replace`.
fn clear(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(finding_observations::table).execute(conn)?;
    // API keys and the audit log survive a reload: they are not seed data.
    diesel::delete(observation_revisions::table).execute(conn)?;
    diesel::delete(findings::table).execute(conn)?;
    diesel::delete(observations::table).execute(conn)?;
    diesel::delete(sources::table).execute(conn)?;
    diesel::delete(periods::table).execute(conn)?;
    diesel::delete(breakdown_members::table).execute(conn)?;
    diesel::delete(breakdowns::table).execute(conn)?;
    diesel::delete(indicator_dimensions::table).execute(conn)?;
    diesel::delete(indicators::table).execute(conn)?;
    diesel::delete(dimension_members::table).execute(conn)?;
    diesel::delete(dimensions::table).execute(conn)?;
    diesel::delete(units::table).execute(conn)?;
    diesel::update(districts::table)
        .set(districts::parent_id.eq(None::<i32>))
        .execute(conn)?;
    diesel::delete(districts::table).execute(conn)?;
    Ok(())
}

/// Loads `data` into the database atomically. Refuses a database that already holds data unless
/// `replace` is set, in which case the old contents are removed in the same transaction.
pub fn write_dataset(
    conn: &mut DbConnection,
    data: &Dataset,
    replace: bool,
) -> Result<LoadSummary, IngestError> {
    let now = crate::db::now_utc();
    conn.transaction::<_, IngestError, _>(|conn| {
        let existing: i64 = observations::table.count().get_result(conn)?;
        let districts_existing: i64 = districts::table.count().get_result(conn)?;
        if existing + districts_existing > 0 {
            if !replace {
                return Err(IngestError::NotEmpty(existing));
            }
            clear(conn)?;
        }
        // Rows are inserted one by one: MultiConnection has no RETURNING, and SQLite's batch
        // insert path is not available through it. Ids are then read back by code in one query
        // per table. A full load is about a thousand statements, well under a second.
        for d in data.districts.iter().filter(|d| d.parent.is_empty()) {
            insert_district(conn, d, None)?;
        }
        let ids = code_map(
            districts::table
                .select((districts::id, districts::code))
                .load(conn)?,
        );
        for d in data.districts.iter().filter(|d| !d.parent.is_empty()) {
            insert_district(conn, d, ids.get(&d.parent).copied())?;
        }
        let district_ids = code_map(
            districts::table
                .select((districts::id, districts::code))
                .load(conn)?,
        );

        for u in &data.units {
            diesel::insert_into(units::table)
                .values(NewUnit {
                    unit: &u.unit,
                    canonical: u.canonical.as_str(),
                    factor: u.factor,
                })
                .execute(conn)?;
        }
        for (code, (zh, en)) in &data.dimensions {
            diesel::insert_into(dimensions::table)
                .values(NewDimension {
                    code,
                    name_zh: zh,
                    name_en: en,
                })
                .execute(conn)?;
        }
        let dimension_ids = code_map(
            dimensions::table
                .select((dimensions::id, dimensions::code))
                .load(conn)?,
        );
        for ((dimension, code), (zh, en)) in &data.members {
            let dimension_id = id(&dimension_ids, dimension.as_str(), "dimension")?;
            diesel::insert_into(dimension_members::table)
                .values(NewMember {
                    dimension_id,
                    code,
                    name_zh: zh,
                    name_en: en,
                })
                .execute(conn)?;
        }
        let member_ids: HashMap<(i32, String), i32> = dimension_members::table
            .select((
                dimension_members::id,
                dimension_members::dimension_id,
                dimension_members::code,
            ))
            .load::<(i32, i32, String)>(conn)?
            .into_iter()
            .map(|(id, d, c)| ((d, c), id))
            .collect();

        for (i, _) in &data.indicators {
            diesel::insert_into(indicators::table)
                .values(NewIndicator {
                    code: &i.code,
                    name_zh: &i.name_zh,
                    name_en: &i.name_en,
                    unit: i.unit,
                    category: i.category,
                    direction: i.direction,
                    definition: &i.definition,
                    min_value: i.min,
                    max_value: i.max,
                    numerator: i.numerator.as_deref().filter(|s| !s.is_empty()),
                    denominator: i.denominator.as_deref().filter(|s| !s.is_empty()),
                })
                .execute(conn)?;
        }
        let indicator_ids = code_map(
            indicators::table
                .select((indicators::id, indicators::code))
                .load(conn)?,
        );
        for (i, dims) in &data.indicators {
            for d in dims {
                diesel::insert_into(indicator_dimensions::table)
                    .values((
                        indicator_dimensions::indicator_id.eq(id(
                            &indicator_ids,
                            i.code.as_str(),
                            "indicator",
                        )?),
                        indicator_dimensions::dimension_id.eq(id(
                            &dimension_ids,
                            d.as_str(),
                            "dimension",
                        )?),
                    ))
                    .execute(conn)?;
            }
        }

        for b in &data.breakdowns {
            diesel::insert_into(breakdowns::table)
                .values(breakdowns::code.eq(b.to_string()))
                .execute(conn)?;
        }
        let breakdown_ids = code_map(
            breakdowns::table
                .select((breakdowns::id, breakdowns::code))
                .load(conn)?,
        );
        for b in &data.breakdowns {
            let code = b.to_string();
            for (d, m) in b.pairs() {
                let member = id(
                    &member_ids,
                    &(id(&dimension_ids, d.as_str(), "dimension")?, m.clone()),
                    "member",
                )?;
                diesel::insert_into(breakdown_members::table)
                    .values((
                        breakdown_members::breakdown_id.eq(id(
                            &breakdown_ids,
                            code.as_str(),
                            "breakdown",
                        )?),
                        breakdown_members::member_id.eq(member),
                    ))
                    .execute(conn)?;
            }
        }

        for p in data.periods.values() {
            diesel::insert_into(periods::table)
                .values(NewPeriod {
                    code: &p.code,
                    kind: p.kind,
                    start_date: &p.start,
                    end_date: &p.end,
                    year: p.year,
                })
                .execute(conn)?;
        }
        let period_ids = code_map(
            periods::table
                .select((periods::id, periods::code))
                .load(conn)?,
        );

        for s in &data.sources {
            let r = &s.record;
            diesel::insert_into(sources::table)
                .values(NewSource {
                    code: &s.code,
                    title_zh: &r.title_zh,
                    title_en: &r.title_en,
                    issuer: &r.issuer,
                    district_id: id(&district_ids, r.district.as_str(), "district")?,
                    doc_number: r.doc_number.as_deref(),
                    published_on: r.date.as_deref(),
                    kind: SourceKind::parse(&r.kind).map_err(|e| {
                        IngestError::Invalid(vec![super::Problem::new(
                            &format!("sources/{}.toml", s.code),
                            0,
                            "kind",
                            e.to_string(),
                        )])
                    })?,
                    review_year: r.review_year,
                    note: r.note.as_deref(),
                    body: &s.body,
                    created_at: &now,
                })
                .execute(conn)?;
        }
        let source_ids = code_map(
            sources::table
                .select((sources::id, sources::code))
                .load(conn)?,
        );

        for o in &data.observations {
            let r = &o.row;
            let trimmed = |s: &Option<String>| {
                s.as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
            };
            let period_note = trimmed(&r.period_note);
            let note = trimmed(&r.note);
            let base = trimmed(&r.base_period);
            diesel::insert_into(observations::table)
                .values(NewObservation {
                    key: &r.key,
                    district_id: id(&district_ids, r.district.as_str(), "district")?,
                    indicator_id: id(&indicator_ids, r.indicator.as_str(), "indicator")?,
                    period_id: id(&period_ids, r.period.trim(), "period")?,
                    breakdown_id: id(
                        &breakdown_ids,
                        o.breakdown.to_string().as_str(),
                        "breakdown",
                    )?,
                    kind: r.kind,
                    base_period_id: base
                        .as_deref()
                        .map(|b| id(&period_ids, b, "period"))
                        .transpose()?,
                    value: o.value,
                    value_text: &r.value,
                    reported_unit: &r.unit,
                    qualifier: o.qualifier,
                    source_id: id(&source_ids, o.source.as_str(), "source")?,
                    quote: &r.quote,
                    quote_start: o.quote_start as i32,
                    quote_end: o.quote_end as i32,
                    period_note: period_note.as_deref(),
                    note: note.as_deref(),
                    revision: 1,
                    created_at: &now,
                    recorded_at: &now,
                    recorded_by: "seed",
                    change_reason: None,
                })
                .execute(conn)?;
        }
        let observation_ids = code_map(
            observations::table
                .select((observations::id, observations::key))
                .load(conn)?,
        );

        for f in &data.findings {
            diesel::insert_into(findings::table)
                .values(NewFinding {
                    code: &f.code,
                    origin: FindingOrigin::Curated,
                    rule: &f.rule,
                    severity: Severity::Warning,
                    message: &f.message,
                    source_id: source_ids.get(&f.source).copied(),
                })
                .execute(conn)?;
        }
        let finding_ids = code_map(
            findings::table
                .select((findings::id, findings::code))
                .load(conn)?,
        );
        for f in &data.findings {
            let mut keys: Vec<&str> = f
                .observations
                .split(';')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                diesel::insert_into(finding_observations::table)
                    .values((
                        finding_observations::finding_id.eq(id(
                            &finding_ids,
                            f.code.as_str(),
                            "finding",
                        )?),
                        finding_observations::observation_id.eq(id(
                            &observation_ids,
                            key,
                            "observation",
                        )?),
                    ))
                    .execute(conn)?;
            }
        }
        let rule_findings = super::check::refresh_rule_findings(conn)?;
        crate::auth::audit(
            conn,
            "seed",
            AuditAction::Seed,
            &format!(
                "loaded {} observations from {} sources{}",
                data.observations.len(),
                data.sources.len(),
                if replace {
                    " (replacing the previous contents)"
                } else {
                    ""
                }
            ),
            data.observations.len(),
        )?;
        Ok(LoadSummary {
            districts: data.districts.len(),
            indicators: data.indicators.len(),
            sources: data.sources.len(),
            observations: data.observations.len(),
            curated_findings: data.findings.len(),
            rule_findings,
        })
    })
}

fn insert_district(
    conn: &mut DbConnection,
    d: &super::seed::DistrictRow,
    parent_id: Option<i32>,
) -> QueryResult<usize> {
    diesel::insert_into(districts::table)
        .values(NewDistrict {
            code: &d.code,
            parent_id,
            level: d.level,
            name_zh: &d.name_zh,
            name_en: &d.name_en,
        })
        .execute(conn)
}
