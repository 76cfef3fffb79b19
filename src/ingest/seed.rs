//! The seed folder (format: `seeds/README.md`): reading and validating it into a [`Dataset`]:
//! the catalogue (divisions, units, dimensions, indicators) and a [`Plan`] that creates every
//! source, observation and curated finding. [`super::write::write_dataset`] writes it.
//! [`Dataset`] itself is defined in [`super::dataset`], which the writer reads without
//! depending on this reader.
//!
//! A [`Dataset`] is only produced when there is no problem at all, so the writer never sees
//! invalid data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

pub use super::dataset::Dataset;
use super::plan::Plan;
use super::read::{csv_dir, csv_file, files_in};
use super::rows::{
    BreakdownRow, DistrictRow, FindingRow, IndicatorRow, NoteTranslationRow, ObservationRow,
    SourceInput, UnitRow, SOURCE_RECORD_KEYS,
};
use super::validate::{self, Catalog, IndicatorInfo, OutOfRange};
use super::{fail_on, IngestError, Located, Place, Problem};

/// Merges catalogue rows by key: the same key twice is fine when the rows are identical, a
/// conflict otherwise (both places are named). Rows keep their place.
fn merge<T: Clone + PartialEq, K: Ord + Clone + std::fmt::Debug>(
    rows: Vec<Located<T>>,
    key: impl Fn(&T) -> K,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Located<T>> {
    let mut seen: BTreeMap<K, usize> = BTreeMap::new();
    let mut out: Vec<Located<T>> = Vec::new();
    for r in rows {
        let k = key(&r.row);
        match seen.get(&k) {
            Some(&i) if out[i].row != r.row => problems.push(r.at.problem(
                "code",
                format!("{what} {k:?} is also defined differently at {}", out[i].at),
            )),
            Some(_) => {}
            None => {
                seen.insert(k, out.len());
                out.push(r);
            }
        }
    }
    out
}

/// Reads the catalogue files of `dir` and merges their rows by key (see [`merge`]).
fn read_merged<T, K>(
    root: &Path,
    dir: &str,
    key: impl Fn(&T) -> K,
    p: &mut Vec<Problem>,
) -> Result<Vec<Located<T>>, IngestError>
where
    T: serde::de::DeserializeOwned + Clone + PartialEq,
    K: Ord + Clone + std::fmt::Debug,
{
    let rows = csv_dir(root, dir, p)?;
    // "units" → "unit": what a row of the folder is called in messages.
    Ok(merge(rows, key, dir.trim_end_matches('s'), p))
}

/// Reads the source records (`sources/<code>.toml`) and their texts (`sources/<code>.txt`).
fn read_sources(
    root: &Path,
    p: &mut Vec<Problem>,
) -> Result<Vec<Located<SourceInput>>, IngestError> {
    let mut out = Vec::new();
    for rel in files_in(root, "sources", ".toml")? {
        let code = rel
            .trim_start_matches("sources/")
            .trim_end_matches(".toml")
            .to_string();
        let at = Place::line(&rel, 0);
        let record = std::fs::read_to_string(root.join(&rel))
            .map_err(|e| e.to_string())
            .and_then(|t| {
                let table: toml::Table = toml::from_str(&t).map_err(|e| e.to_string())?;
                // A misspelt key would otherwise be silently ignored.
                if let Some(k) = table
                    .keys()
                    .find(|k| !SOURCE_RECORD_KEYS.contains(&k.as_str()))
                {
                    return Err(format!(
                        "unknown key {k:?} (known: {})",
                        SOURCE_RECORD_KEYS.join(", ")
                    ));
                }
                table.try_into::<SourceInput>().map_err(|e| e.to_string())
            });
        let body = std::fs::read_to_string(root.join(format!("sources/{code}.txt")));
        match (record, body) {
            (Ok(mut record), Ok(body)) => {
                // The code is the file name and the text is the .txt file (neither is a key of
                // the record).
                record.code = code;
                record.text = body;
                out.push(Located { at, row: record });
            }
            (Err(e), _) => p.push(at.problem("", format!("invalid source record: {e}"))),
            (_, Err(e)) => {
                p.push(at.problem("", format!("cannot read its text sources/{code}.txt: {e}")))
            }
        }
    }
    Ok(out)
}

/// Reads the national documents' texts (`references/<code>.txt`, optional folder): code → text.
/// A national standard cites one of them instead of a seed report, so a code must not also be a
/// source's (a standards file would not say which it cites).
fn read_references(
    root: &Path,
    catalog: &Catalog,
    p: &mut Vec<Problem>,
) -> Result<BTreeMap<String, String>, IngestError> {
    let mut out = BTreeMap::new();
    if !root.join("references").is_dir() {
        return Ok(out);
    }
    for rel in files_in(root, "references", ".txt")? {
        let code = rel
            .trim_start_matches("references/")
            .trim_end_matches(".txt")
            .to_string();
        let at = Place::line(&rel, 0);
        if catalog.bodies.contains_key(&code) {
            p.push(at.problem("", format!("reference {code:?} has a source's code")));
            continue;
        }
        match std::fs::read_to_string(root.join(&rel)) {
            Ok(text) => {
                out.insert(code, text);
            }
            Err(e) => p.push(at.problem("", format!("cannot read {rel}: {e}"))),
        }
    }
    Ok(out)
}

/// Reads and validates the seed folder at `root`.
pub fn load_dir(root: &Path) -> Result<Dataset, IngestError> {
    if !root.join("districts.csv").is_file() {
        return Err(IngestError::Io {
            path: root.display().to_string(),
            message: "not a seed folder (no districts.csv)".into(),
        });
    }
    let mut p = Vec::new();
    let districts = merge(
        csv_file::<DistrictRow>(&root.join("districts.csv"), "districts.csv", &mut p),
        |r| r.code.clone(),
        "district",
        &mut p,
    );
    let units = read_merged(root, "units", |r: &UnitRow| r.unit.clone(), &mut p)?;
    let breakdown_rows = read_merged(
        root,
        "breakdowns",
        |r: &BreakdownRow| (r.dimension.clone(), r.member.clone()),
        &mut p,
    )?;
    let indicators = read_merged(
        root,
        "indicators",
        |r: &IndicatorRow| r.code.clone(),
        &mut p,
    )?;
    let finding_rows = read_merged(root, "findings", |r: &FindingRow| r.code.clone(), &mut p)?;
    let observation_rows = csv_dir(root, "observations", &mut p)?;
    let sources = read_sources(root, &mut p)?;
    // The standards folder is optional (a seed folder made for a test may have none).
    let standard_rows = if root.join("standards").is_dir() {
        csv_dir(root, "standards", &mut p)?
    } else {
        Vec::new()
    };

    let mut data = Dataset::default();
    let district_codes: HashSet<String> = districts.iter().map(|d| d.row.code.clone()).collect();
    for d in &districts {
        if !d.row.parent.is_empty() && !district_codes.contains(&d.row.parent) {
            p.push(d.at.problem(
                "parent",
                format!("district {}: unknown parent {}", d.row.code, d.row.parent),
            ));
        }
    }
    for u in &units {
        if !(u.row.factor.is_finite() && u.row.factor > 0.0) {
            p.push(u.at.problem(
                "factor",
                format!("unit {}: factor must be positive", u.row.unit),
            ));
        }
    }
    for b in breakdown_rows.iter().filter(|b| b.row.member.is_empty()) {
        data.dimensions.insert(
            b.row.dimension.clone(),
            (b.row.name_zh.clone(), b.row.name_en.clone()),
        );
    }
    for b in breakdown_rows.iter().filter(|b| !b.row.member.is_empty()) {
        if !data.dimensions.contains_key(&b.row.dimension) {
            p.push(b.at.problem(
                "dimension",
                format!(
                    "member {}={} of an undefined dimension",
                    b.row.dimension, b.row.member
                ),
            ));
        }
        data.members.insert(
            (b.row.dimension.clone(), b.row.member.clone()),
            (b.row.name_zh.clone(), b.row.name_en.clone()),
        );
    }
    for Located { at, row: i } in indicators {
        // The seed catalogue is curated, so every indicator carries its Chinese definition (the
        // dashboard's Chinese view shows it); only a draft's new indicator may lack one.
        if !validate::holds_chinese(&i.definition_zh) {
            p.push(at.problem(
                "definition_zh",
                format!(
                    "indicator {}: a seed indicator needs its definition in Chinese",
                    i.code
                ),
            ));
        }
        let dims = validate::indicator(&i, &at, |d| data.dimensions.contains_key(d), &mut p);
        data.indicators.push((i, dims));
    }
    let catalog = Catalog {
        districts: district_codes,
        units: units
            .iter()
            .map(|u| (u.row.unit.clone(), (u.row.canonical, u.row.factor)))
            .collect(),
        indicators: data
            .indicators
            .iter()
            .map(|(i, dims)| {
                let info = IndicatorInfo {
                    unit: i.unit,
                    dimensions: dims.clone(),
                    min: i.min,
                    max: i.max,
                };
                (i.code.clone(), info)
            })
            .collect(),
        members: data.members.keys().cloned().collect(),
        bodies: sources
            .iter()
            .map(|s| (s.row.code.clone(), s.row.text.clone()))
            .collect(),
    }
    .with_canonical_units();
    let mut valid_sources = Vec::new();
    for s in sources {
        if let Some(kind) = validate::source(&s.row, &s.at, &catalog, &mut p) {
            valid_sources.push((s.row, kind));
        }
    }
    let note_translations = note_translations(root, &observation_rows, &mut p)?;
    // Each observations file is named after its source.
    let rows = observation_rows
        .into_iter()
        .map(|o: Located<_>| {
            let source = source_of_file(&o.at.file, "observations");
            (o, source)
        })
        .collect();
    // Seeds keep out-of-range figures as printed (the `range` quality rule flags them).
    let validated = validate::observations(rows, &catalog, OutOfRange::Keep, &mut p);
    for f in &finding_rows {
        if !catalog.bodies.contains_key(&f.row.source) {
            p.push(f.at.problem(
                "source",
                format!("finding {}: unknown source {:?}", f.row.code, f.row.source),
            ));
        }
        for key in f
            .row
            .observations
            .split(';')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            if !validated.keys.contains(key) {
                p.push(f.at.problem(
                    "observations",
                    format!("finding {}: unknown observation {key:?}", f.row.code),
                ));
            }
        }
    }
    // Each standards file is named after the seed report that states or cites its norms.
    let standard_rows = standard_rows
        .into_iter()
        .map(|s: Located<_>| {
            let source = source_of_file(&s.at.file, "standards");
            (s, source)
        })
        .collect();
    let references = read_references(root, &catalog, &mut p)?;
    data.standards = super::standards::validate(standard_rows, &catalog, &references, &mut p);
    fail_on(p)?;
    data.plan = Plan::create_all(valid_sources, validated);
    data.plan.findings = finding_rows.into_iter().map(|f| f.row).collect();
    data.districts = districts.into_iter().map(|d| d.row).collect();
    data.units = units.into_iter().map(|u| u.row).collect();
    data.note_translations = note_translations;
    Ok(data)
}

/// The source a per-source file is about: `observations/<code>.csv` → `code` (the files of
/// `observations/`, `standards/` and `translations/` are named after their source).
fn source_of_file(file: &str, dir: &str) -> String {
    file.strip_prefix(dir)
        .and_then(|f| f.strip_prefix('/'))
        .unwrap_or(file)
        .trim_end_matches(".csv")
        .to_string()
}

/// Reads `translations/<source-code>.csv` (optional): each row translates the note of one
/// observation of `observations/<source-code>.csv`, once. The translation records the digest of the English it translates, so a
/// note corrected later shows its own (English) wording instead of a stale translation.
fn note_translations(
    root: &Path,
    observations: &[Located<ObservationRow>],
    p: &mut Vec<Problem>,
) -> Result<Vec<(String, String, String)>, IngestError> {
    if !root.join("translations").is_dir() {
        return Ok(Vec::new());
    }
    let rows: Vec<Located<NoteTranslationRow>> = csv_dir(root, "translations", p)?;
    // Key → (the source of its file, its note).
    let notes: HashMap<&str, (String, Option<&str>)> = observations
        .iter()
        .map(|o| {
            let source = source_of_file(&o.at.file, "observations");
            (o.row.key.as_str(), (source, o.row.note.as_deref()))
        })
        .collect();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for r in rows {
        let source = source_of_file(&r.at.file, "translations");
        let note = match notes.get(r.row.key.as_str()) {
            Some((s, note)) if *s == source => note.map(str::trim).filter(|n| !n.is_empty()),
            _ => {
                p.push(r.at.problem(
                    "key",
                    format!(
                        "no observation {:?} in observations/{source}.csv",
                        r.row.key
                    ),
                ));
                continue;
            }
        };
        let Some(note) = note else {
            p.push(r.at.problem(
                "key",
                format!("observation {:?} has no note to translate", r.row.key),
            ));
            continue;
        };
        if r.row.note_zh.trim().is_empty() {
            p.push(r.at.problem("note_zh", "the translation is empty"));
            continue;
        }
        if let Some(first) = seen.insert(r.row.key.clone(), r.at.to_string()) {
            p.push(r.at.problem(
                "key",
                format!("{:?} is translated twice (also at {first})", r.row.key),
            ));
            continue;
        }
        out.push((
            r.row.key,
            crate::db::queries::text_sha256(note),
            r.row.note_zh.trim().to_string(),
        ));
    }
    Ok(out)
}

/// Reads, validates and writes the seed folder at `root` in one transaction (see
/// [`super::write::write_dataset`] for `replace`).
pub fn load(
    conn: &mut crate::db::DbConnection,
    root: &Path,
    replace: bool,
) -> Result<super::write::LoadSummary, IngestError> {
    let data = load_dir(root)?;
    super::write::write_dataset(conn, &data, replace)
}
