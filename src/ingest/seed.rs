//! Reading and validating the seed folder (format: `seeds/README.md`).
//!
//! Validation collects EVERY problem, each with its file, line and field, before anything is
//! written: a curator fixing a file wants the whole list, not the first error. A [`Dataset`] is
//! only produced when there is no problem at all, so the writer never sees invalid data.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::period::{parse_period, ParsedPeriod};
use super::quantity::parse_quantity;
use super::{IngestError, Problem};
use crate::domain::{
    Breakdown, CanonicalUnit, Category, Direction, DivisionLevel, ObservationKind, Qualifier,
    SourceKind,
};

/// A row with where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// File, relative to the seed folder.
    pub file: String,
    /// 1-based line of the row in its file (the header is line 1).
    pub line: u64,
    /// The row.
    pub row: T,
}

/// `districts.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DistrictRow {
    /// Stable code.
    pub code: String,
    /// Parent division code (empty for the municipality).
    pub parent: String,
    /// Administrative level.
    pub level: DivisionLevel,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
}

/// `units/*.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct UnitRow {
    /// Unit (reported unit for observations, canonical unit for indicators).
    pub unit: String,
    /// Canonical unit it converts to.
    pub canonical: CanonicalUnit,
    /// Multiplier to the canonical unit.
    pub factor: f64,
}

/// `breakdowns/*.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BreakdownRow {
    /// Dimension code.
    pub dimension: String,
    /// Member code (empty: the row names the dimension itself).
    pub member: String,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
}

/// `indicators/*.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct IndicatorRow {
    /// Stable code.
    pub code: String,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Category.
    pub category: Category,
    /// Which way is better.
    pub direction: Direction,
    /// One-line definition.
    pub definition: String,
    /// Breakdown dimensions, `;`-separated.
    pub dimensions: String,
    /// Lowest valid value, if bounded.
    pub min: Option<f64>,
    /// Highest valid value, if bounded.
    pub max: Option<f64>,
    /// For a share: numerator spec `code{dim=member}`.
    pub numerator: Option<String>,
    /// For a share: denominator spec.
    pub denominator: Option<String>,
}

/// `observations/*.csv`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct ObservationRow {
    /// Unique row key.
    pub key: String,
    /// District code.
    pub district: String,
    /// Indicator code.
    pub indicator: String,
    /// Reference period (`2022`, `2023-06`, `2023-01..2023-06`, `2019..2021`).
    pub period: String,
    /// How the period was inferred, if it was.
    pub period_note: Option<String>,
    /// Breakdown, `dimension=member;...`.
    pub breakdown: Option<String>,
    /// What the figure states.
    pub kind: ObservationKind,
    /// For changes: the period compared against.
    pub base_period: Option<String>,
    /// The figure as printed.
    pub value: String,
    /// Unit (reported unit for observations, canonical unit for indicators).
    pub unit: String,
    /// The sentence, copied from the source text.
    pub quote: String,
    /// Curator's note.
    pub note: Option<String>,
    /// The source code, in imports and exports that span several sources (seed files name
    /// their source by file name instead).
    #[serde(default)]
    pub source: Option<String>,
}

/// `findings/*.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FindingRow {
    /// Stable code.
    pub code: String,
    /// Source code.
    pub source: String,
    /// Observation keys involved, `;`-separated.
    pub observations: String,
    /// Rule code.
    pub rule: String,
    /// Explanation.
    pub message: String,
}

/// `sources/<code>.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceRecord {
    /// Title, Chinese.
    pub title_zh: String,
    /// Title, English.
    pub title_en: String,
    /// Issuing body.
    pub issuer: String,
    /// District code.
    pub district: String,
    /// Document number as printed.
    pub doc_number: Option<String>,
    /// Date printed on the document (ISO).
    pub date: Option<String>,
    /// Kind (`actual`, `target`, `change`, `growth`, `rank`; for sources: the document kind).
    pub kind: String,
    /// Year the document reviews.
    pub review_year: Option<i32>,
    /// Curator's note.
    pub note: Option<String>,
}

/// A source with its code and text.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// Stable code.
    pub code: String,
    /// The record.
    pub record: SourceRecord,
    /// The text, verbatim.
    pub body: String,
}

/// An observation after validation: everything resolved and normalised.
#[derive(Debug, Clone)]
pub struct ResolvedObservation {
    /// The row as read.
    pub row: ObservationRow,
    /// Its line in the input, for problems found after validation.
    pub line: u64,
    /// Source code.
    pub source: String,
    /// Breakdown.
    pub breakdown: Breakdown,
    /// The figure in its canonical unit.
    pub value: f64,
    /// Qualifier of the printed figure.
    pub qualifier: Qualifier,
    /// Character offset of the quote in the source text.
    pub quote_start: usize,
    /// Character offset just past the quote.
    pub quote_end: usize,
}

/// Everything in the seed folder, validated and ready to write.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Divisions.
    pub districts: Vec<DistrictRow>,
    /// Units.
    pub units: Vec<UnitRow>,
    /// Dimension code → (zh, en).
    pub dimensions: BTreeMap<String, (String, String)>,
    /// (dimension, member) → (zh, en).
    pub members: BTreeMap<(String, String), (String, String)>,
    /// Indicators with their dimensions.
    pub indicators: Vec<(IndicatorRow, Vec<String>)>,
    /// Periods used, by code.
    pub periods: BTreeMap<String, ParsedPeriod>,
    /// Breakdowns used.
    pub breakdowns: BTreeSet<Breakdown>,
    /// Source documents.
    pub sources: Vec<SourceDoc>,
    /// Observation keys involved, `;`-separated.
    pub observations: Vec<ResolvedObservation>,
    /// Curated findings.
    pub findings: Vec<FindingRow>,
}

fn read_csv<T: DeserializeOwned>(
    root: &Path,
    rel: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Located<T>> {
    let path = root.join(rel);
    let mut out = Vec::new();
    let mut reader = match csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(&path)
    {
        Ok(r) => r,
        Err(e) => {
            problems.push(Problem::new(rel, 0, "", format!("cannot read: {e}")));
            return out;
        }
    };
    let headers = reader.headers().cloned().unwrap_or_default();
    for (i, record) in reader.deserialize::<T>().enumerate() {
        // +2: the header is line 1 and `i` is 0-based. Rows with embedded newlines make this
        // approximate, so the error also carries the key where one exists.
        let line = i as u64 + 2;
        match record {
            Ok(row) => out.push(Located {
                file: rel.to_string(),
                line,
                row,
            }),
            Err(e) => problems.push(malformed_row(rel, line, &headers, &e)),
        }
    }
    out
}

/// A row that does not deserialize, with the column at fault when the CSV reader knows it
/// (e.g. an unknown kind or level names its column and the accepted values).
pub fn malformed_row(
    file: &str,
    line: u64,
    headers: &csv::StringRecord,
    e: &csv::Error,
) -> Problem {
    let field = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err
            .field()
            .and_then(|i| headers.get(i as usize))
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let message = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.kind().to_string(),
        _ => e.to_string(),
    };
    Problem::new(file, line, &field, format!("malformed row: {message}"))
}

fn files_in(root: &Path, dir: &str, ext: &str) -> Result<Vec<String>, IngestError> {
    let path = root.join(dir);
    let entries = std::fs::read_dir(&path).map_err(|e| IngestError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    names.sort();
    Ok(names)
}

fn read_csv_dir<T: DeserializeOwned>(
    root: &Path,
    dir: &str,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Located<T>>, IngestError> {
    let mut out = Vec::new();
    for rel in files_in(root, dir, ".csv")? {
        out.extend(read_csv(root, &rel, problems));
    }
    Ok(out)
}

/// Merges catalogue rows by key: the same key twice is fine when the rows are identical, a
/// conflict otherwise (both places are named).
fn merge<T: Clone + PartialEq, K: Ord + Clone + std::fmt::Debug>(
    rows: Vec<Located<T>>,
    key: impl Fn(&T) -> K,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    let mut seen: BTreeMap<K, Located<T>> = BTreeMap::new();
    let mut order = Vec::new();
    for r in rows {
        let k = key(&r.row);
        match seen.get(&k) {
            Some(first) if first.row != r.row => problems.push(Problem::new(
                &r.file,
                r.line,
                "code",
                format!(
                    "{what} {k:?} is also defined differently in {}:{}",
                    first.file, first.line
                ),
            )),
            Some(_) => {}
            None => {
                order.push(k.clone());
                seen.insert(k, r);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| seen.remove(&k).map(|l| l.row))
        .collect()
}

/// Removes every whitespace character, remembering for each kept character its char offset in
/// the original: quotes are matched whitespace-insensitively (report texts break lines
/// mid-sentence and pad numbers with spaces) but offsets point into the original text.
pub fn squeeze(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::new();
    for (i, c) in text.chars().enumerate() {
        if !c.is_whitespace() {
            out.push(c);
            map.push(i);
        }
    }
    (out, map)
}

/// Finds `quote` in `body` ignoring whitespace; returns char offsets `[start, end)` in `body`.
pub fn locate_quote(body: &str, quote: &str) -> Option<(usize, usize)> {
    let (squeezed_body, map) = squeeze(body);
    let (squeezed_quote, _) = squeeze(quote);
    if squeezed_quote.is_empty() {
        return None;
    }
    let byte_pos = squeezed_body.find(&squeezed_quote)?;
    let start_char = squeezed_body[..byte_pos].chars().count();
    let len = squeezed_quote.chars().count();
    let start = *map.get(start_char)?;
    let end = *map.get(start_char + len - 1)? + 1;
    Some((start, end))
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What an indicator is validated against.
#[derive(Debug, Clone)]
pub struct IndicatorInfo {
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Dimensions it may be broken down by.
    pub dimensions: Vec<String>,
    /// Valid range.
    pub min: Option<f64>,
    /// Valid range.
    pub max: Option<f64>,
}

/// The catalogue observation rows are validated against: read from the seed folder for
/// `seed`, from the database for `import`.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// District codes.
    pub districts: HashSet<String>,
    /// Reported unit → (canonical unit, factor).
    pub units: HashMap<String, (CanonicalUnit, f64)>,
    /// Indicators by code.
    pub indicators: HashMap<String, IndicatorInfo>,
    /// (dimension, member) pairs.
    pub members: HashSet<(String, String)>,
    /// Source code → text.
    pub bodies: HashMap<String, String>,
}

impl Catalog {
    /// Accepts every canonical unit code as a unit of itself.
    pub fn with_canonical_units(mut self) -> Self {
        for &u in CanonicalUnit::all() {
            self.units.entry(u.as_str().to_string()).or_insert((u, 1.0));
        }
        self
    }
}

/// Validated observation rows with the periods and breakdowns they need.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// Rows that passed.
    pub observations: Vec<ResolvedObservation>,
    /// Periods used (including base periods).
    pub periods: BTreeMap<String, ParsedPeriod>,
    /// Breakdowns used.
    pub breakdowns: BTreeSet<Breakdown>,
    /// Every key seen.
    pub keys: HashSet<String>,
}

/// Validates observation rows (each with the code of its source), appending every problem
/// found. `check_range` also rejects actual and target values outside the indicator's range.
pub fn validate_observations(
    rows: Vec<(Located<ObservationRow>, String)>,
    catalog: &Catalog,
    check_range: bool,
    p: &mut Vec<Problem>,
) -> Validated {
    let mut out = Validated::default();
    let district_codes = &catalog.districts;
    let unit_map = &catalog.units;
    let bodies = &catalog.bodies;
    let mut contents: HashMap<String, String> = HashMap::new();
    let mut keys: HashMap<String, (String, u64)> = HashMap::new();
    for (o, source) in rows {
        let row = &o.row;
        let before = p.len();
        let mut bad = |field: &str, msg: String| {
            p.push(Problem::new(
                &o.file,
                o.line,
                field,
                format!("{}: {msg}", row.key),
            ))
        };
        if let Some((file, line)) = keys.get(&row.key) {
            bad("key", format!("duplicate key (first at {file}:{line})"));
        }
        keys.insert(row.key.clone(), (o.file.clone(), o.line));
        if !district_codes.contains(&row.district) {
            bad("district", format!("unknown district {:?}", row.district));
        }
        let period = parse_period(&row.period);
        match &period {
            Ok(pp) => {
                out.periods.insert(pp.code.clone(), pp.clone());
            }
            Err(e) => bad("period", e.clone()),
        }
        if let Some(base) = opt(&row.base_period) {
            match parse_period(base) {
                Ok(pp) => {
                    out.periods.insert(pp.code.clone(), pp);
                }
                Err(e) => bad("base_period", e),
            }
        }
        let breakdown = match Breakdown::parse_opt(row.breakdown.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                bad("breakdown", e.to_string());
                Breakdown::total()
            }
        };
        let indicator = catalog.indicators.get(&row.indicator);
        if indicator.is_none() {
            bad(
                "indicator",
                format!("unknown indicator {:?}", row.indicator),
            );
        }
        for (d, m) in breakdown.pairs() {
            if !catalog.members.contains(&(d.clone(), m.clone())) {
                bad("breakdown", format!("unknown breakdown member {d}={m}"));
            } else if let Some(info) = indicator {
                if !info.dimensions.contains(d) {
                    bad(
                        "breakdown",
                        format!("indicator {} has no dimension {d:?}", row.indicator),
                    );
                }
            }
        }
        let quantity = match parse_quantity(&row.value) {
            Ok(q) => Some(q),
            Err(e) => {
                bad("value", e.to_string());
                None
            }
        };
        let conversion = unit_map.get(&row.unit);
        if conversion.is_none() {
            bad("unit", format!("unknown unit {:?}", row.unit));
        }
        let expected_unit = indicator.map(|i| row.kind.value_unit(i.unit));
        if let (Some((canonical, _)), Some(expected)) = (conversion, expected_unit) {
            if *canonical != expected {
                bad("unit", format!("unit {:?} converts to {canonical}, but a {} value of {} must be in {expected}", row.unit, row.kind, row.indicator));
            }
        }
        let located = match bodies.get(&source) {
            None => {
                bad(
                    "key",
                    format!("no source record sources/{source}.toml for this file"),
                );
                None
            }
            Some(body) => {
                let found = locate_quote(body, &row.quote);
                if found.is_none() {
                    bad(
                        "quote",
                        format!("quote not found in sources/{source}.txt: {:?}", row.quote),
                    );
                }
                found
            }
        };
        if let Some(q) = &quantity {
            let (squeezed_quote, _) = squeeze(&row.quote);
            for numeral in &q.numerals {
                if !squeezed_quote.contains(numeral.as_str()) {
                    bad(
                        "value",
                        format!(
                            "the number {numeral:?} of value {:?} does not occur in the quote",
                            row.value
                        ),
                    );
                }
            }
        }
        let content = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            row.district,
            row.indicator,
            row.period,
            breakdown,
            row.kind,
            source,
            row.value,
            row.unit,
            squeeze(&row.quote).0
        );
        if let Some(first) = contents.get(&content) {
            bad(
                "key",
                format!("duplicate row: same figure, period, breakdown and quote as {first}"),
            );
        }
        contents.insert(content, row.key.clone());
        if let (true, Some(q), Some((_, factor)), Some(info)) =
            (check_range, &quantity, conversion, indicator)
        {
            let v = q.value * factor;
            if row.kind.is_level()
                && (info.min.is_some_and(|m| v < m) || info.max.is_some_and(|m| v > m))
            {
                bad(
                    "value",
                    format!(
                        "{v} is outside the valid range [{}, {}] of {}",
                        info.min
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| "-inf".into()),
                        info.max
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| "+inf".into()),
                        row.indicator
                    ),
                );
            }
        }
        if p.len() > before {
            continue;
        }
        if let (Some(q), Some((_, factor)), Some((start, end))) = (quantity, conversion, located) {
            out.breakdowns.insert(breakdown.clone());
            out.observations.push(ResolvedObservation {
                line: o.line,
                row: o.row,
                source,
                breakdown,
                value: q.value * factor,
                qualifier: q.qualifier,
                quote_start: start,
                quote_end: end,
            });
        }
    }
    out.keys = keys.into_keys().collect();
    out
}

/// Reads and validates the seed folder at `root`.
pub fn load_dir(root: &Path) -> Result<Dataset, IngestError> {
    let root: PathBuf = root.to_path_buf();
    if !root.join("districts.csv").is_file() {
        return Err(IngestError::Io {
            path: root.display().to_string(),
            message: "not a seed folder (no districts.csv)".into(),
        });
    }
    let mut p = Vec::new();
    let districts = merge(
        read_csv::<DistrictRow>(&root, "districts.csv", &mut p),
        |r| r.code.clone(),
        "district",
        &mut p,
    );
    let units = merge(
        read_csv_dir::<UnitRow>(&root, "units", &mut p)?,
        |r| r.unit.clone(),
        "unit",
        &mut p,
    );
    let breakdown_rows = merge(
        read_csv_dir::<BreakdownRow>(&root, "breakdowns", &mut p)?,
        |r| (r.dimension.clone(), r.member.clone()),
        "breakdown",
        &mut p,
    );
    let indicator_rows = read_csv_dir::<IndicatorRow>(&root, "indicators", &mut p)?;
    let indicators = merge(
        indicator_rows.clone(),
        |r| r.code.clone(),
        "indicator",
        &mut p,
    );
    let observation_rows = read_csv_dir::<ObservationRow>(&root, "observations", &mut p)?;
    let finding_rows = read_csv_dir::<FindingRow>(&root, "findings", &mut p)?;

    let mut sources = Vec::new();
    for rel in files_in(&root, "sources", ".toml")? {
        let code = rel
            .trim_start_matches("sources/")
            .trim_end_matches(".toml")
            .to_string();
        let text_path = root.join(format!("sources/{code}.txt"));
        let record = std::fs::read_to_string(root.join(&rel))
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<SourceRecord>(&t).map_err(|e| e.to_string()));
        let body = std::fs::read_to_string(&text_path);
        match (record, body) {
            (Ok(record), Ok(body)) => sources.push(SourceDoc { code, record, body }),
            (Err(e), _) => p.push(Problem::new(
                &rel,
                0,
                "",
                format!("invalid source record: {e}"),
            )),
            (_, Err(e)) => p.push(Problem::new(
                &rel,
                0,
                "",
                format!("cannot read its text sources/{code}.txt: {e}"),
            )),
        }
    }

    let mut data = Dataset::default();
    // Districts.
    let district_codes: BTreeSet<String> = districts.iter().map(|d| d.code.clone()).collect();
    for d in &districts {
        if !d.parent.is_empty() && !district_codes.contains(&d.parent) {
            p.push(Problem::new(
                "districts.csv",
                0,
                "parent",
                format!("district {}: unknown parent {}", d.code, d.parent),
            ));
        }
    }
    // Units.
    let mut unit_map: HashMap<String, (CanonicalUnit, f64)> = CanonicalUnit::all()
        .iter()
        .map(|&u| (u.as_str().to_string(), (u, 1.0)))
        .collect();
    for u in &units {
        if !(u.factor.is_finite() && u.factor > 0.0) {
            p.push(Problem::new(
                "units",
                0,
                "factor",
                format!("unit {}: factor must be positive", u.unit),
            ));
        }
        unit_map.insert(u.unit.clone(), (u.canonical, u.factor));
    }
    // Breakdowns.
    for b in &breakdown_rows {
        if b.member.is_empty() {
            data.dimensions
                .insert(b.dimension.clone(), (b.name_zh.clone(), b.name_en.clone()));
        }
    }
    for b in &breakdown_rows {
        if !b.member.is_empty() {
            if !data.dimensions.contains_key(&b.dimension) {
                p.push(Problem::new(
                    "breakdowns",
                    0,
                    "dimension",
                    format!(
                        "member {}={} of an undefined dimension",
                        b.dimension, b.member
                    ),
                ));
            }
            data.members.insert(
                (b.dimension.clone(), b.member.clone()),
                (b.name_zh.clone(), b.name_en.clone()),
            );
        }
    }
    // Indicators.
    for i in indicators {
        let here = indicator_rows
            .iter()
            .find(|r| r.row.code == i.code)
            .map(|r| (r.file.clone(), r.line))
            .unwrap_or_default();
        let mut bad = |field: &str, msg: String| {
            p.push(Problem::new(
                &here.0,
                here.1,
                field,
                format!("indicator {}: {msg}", i.code),
            ))
        };
        if i.name_zh.is_empty() || i.name_en.is_empty() || i.definition.is_empty() {
            bad("name_zh", "names and definition are required".into());
        }
        let dims: Vec<String> = i
            .dimensions
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect();
        for d in &dims {
            if !data.dimensions.contains_key(d) {
                bad("dimensions", format!("unknown dimension {d:?}"));
            }
        }
        data.indicators.push((i, dims));
    }
    // Sources.
    for s in &sources {
        let rel = format!("sources/{}.toml", s.code);
        if !district_codes.contains(&s.record.district) {
            p.push(Problem::new(
                &rel,
                0,
                "district",
                format!("unknown district {}", s.record.district),
            ));
        }
        if let Err(e) = SourceKind::parse(&s.record.kind) {
            p.push(Problem::new(&rel, 0, "kind", e.to_string()));
        }
    }
    let catalog = Catalog {
        districts: district_codes.iter().cloned().collect(),
        units: unit_map,
        indicators: data
            .indicators
            .iter()
            .map(|(i, dims)| {
                (
                    i.code.clone(),
                    IndicatorInfo {
                        unit: i.unit,
                        dimensions: dims.clone(),
                        min: i.min,
                        max: i.max,
                    },
                )
            })
            .collect(),
        members: data.members.keys().cloned().collect(),
        bodies: sources
            .iter()
            .map(|s| (s.code.clone(), s.body.clone()))
            .collect(),
    };
    let rows = observation_rows
        .into_iter()
        .map(|o| {
            let source = o
                .file
                .trim_start_matches("observations/")
                .trim_end_matches(".csv")
                .to_string();
            (o, source)
        })
        .collect();
    // Seeds keep out-of-range figures as printed (the `range` quality rule flags them); imports
    // reject them (see `crate::ingest::import`).
    let validated = validate_observations(rows, &catalog, false, &mut p);
    let keys: HashSet<String> = validated.keys.clone();
    data.periods = validated.periods;
    data.breakdowns = validated.breakdowns;
    data.observations = validated.observations;
    let bodies = &catalog.bodies;
    // Findings.
    for f in merge(finding_rows, |r| r.code.clone(), "finding", &mut p) {
        if !bodies.contains_key(&f.source) {
            p.push(Problem::new(
                "findings",
                0,
                "source",
                format!("finding {}: unknown source {:?}", f.code, f.source),
            ));
        }
        for key in f
            .observations
            .split(';')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            if !keys.contains(key) {
                p.push(Problem::new(
                    "findings",
                    0,
                    "observations",
                    format!("finding {}: unknown observation {key:?}", f.code),
                ));
            }
        }
        data.findings.push(f);
    }
    if !p.is_empty() {
        return Err(IngestError::Invalid(p));
    }
    data.districts = districts;
    data.units = units;
    data.sources = sources;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_match_across_whitespace_and_map_offsets() {
        let body = "一是全区共有\n学校 269所，其中公办172所。";
        let (s, e) = locate_quote(body, "共有学校269所").unwrap();
        let found: String = body.chars().skip(s).take(e - s).collect();
        assert_eq!(found, "共有\n学校 269所");
        assert!(locate_quote(body, "共有学校270所").is_none());
        assert!(locate_quote(body, "  ").is_none());
    }
}
