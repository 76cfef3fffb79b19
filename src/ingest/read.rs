//! Reading input files into located rows: CSV (with the line and the column of every
//! malformed row), the seed folder's files, and import files (`.json` bundles, `.csv` rows).
//! Nothing here validates content beyond the shape of a row.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::rows::{Bundle, IndicatorRow, ObservationRow};
use super::{IngestError, Located, Place, Problem};

/// Reads a CSV file of `T` rows (cells trimmed). A malformed row becomes a problem naming its
/// line and column; the other rows are still read.
pub fn csv_file<T: DeserializeOwned>(
    path: &Path,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Located<T>> {
    match CsvRows::open(path, name, problems) {
        Some(mut rows) => rows.next_chunk(usize::MAX, problems),
        None => Vec::new(),
    }
}

/// A CSV file read a chunk of rows at a time (a large import never holds the whole file).
/// Problems as for [`csv_file`].
pub struct CsvRows<T> {
    reader: csv::Reader<std::fs::File>,
    headers: csv::StringRecord,
    record: csv::StringRecord,
    name: String,
    done: bool,
    row: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned> CsvRows<T> {
    /// Opens the file and reads its header row; `None` (with the problem recorded) when
    /// either cannot be read.
    pub fn open(path: &Path, name: &str, problems: &mut Vec<Problem>) -> Option<CsvRows<T>> {
        let mut reader = match csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
        {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(name, 0, "", format!("cannot read: {e}")));
                return None;
            }
        };
        let headers = match reader.headers() {
            Ok(h) if !h.is_empty() => h.clone(),
            Ok(_) => {
                problems.push(Problem::new(
                    name,
                    1,
                    "",
                    "the file has no header row".into(),
                ));
                return None;
            }
            Err(e) => {
                problems.push(Problem::new(
                    name,
                    1,
                    "",
                    format!("unreadable header row: {e}"),
                ));
                return None;
            }
        };
        Some(CsvRows {
            reader,
            headers,
            record: csv::StringRecord::new(),
            name: name.to_string(),
            done: false,
            row: std::marker::PhantomData,
        })
    }

    /// Up to `n` more rows (fewer at the end of the file; none once it is read).
    pub fn next_chunk(&mut self, n: usize, problems: &mut Vec<Problem>) -> Vec<Located<T>> {
        let mut out = Vec::new();
        while !self.done && out.len() < n {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => self.done = true,
                Ok(true) => {
                    // The reader's position counts the lines of quoted cells that span several.
                    let line = self.record.position().map_or(0, |p| p.line());
                    // Cells an export escaped against spreadsheet formulas (`csv_cell`) are
                    // read back as they were.
                    if crate::csv_cell::any_escaped(self.record.iter()) {
                        let position = self.record.position().cloned();
                        self.record = self.record.iter().map(crate::csv_cell::restore).collect();
                        self.record.set_position(position);
                    }
                    match self.record.deserialize::<T>(Some(&self.headers)) {
                        Ok(row) => out.push(Located {
                            at: Place::line(&self.name, line),
                            row,
                        }),
                        Err(e) => problems.push(malformed_row(
                            &self.name,
                            line,
                            &self.headers,
                            &self.record,
                            &e,
                        )),
                    }
                }
                Err(e) => {
                    // Invalid UTF-8 or a ragged row: report it and read on.
                    let line = e.position().map_or(0, |p| p.line());
                    problems.push(malformed_row(
                        &self.name,
                        line,
                        &self.headers,
                        &self.record,
                        &e,
                    ));
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                }
            }
        }
        out
    }
}

/// A row that does not deserialize, with the column at fault. The CSV reader knows the column
/// of a cell it cannot convert (a number); for a term the vocabulary rejects (an unknown kind or
/// level), serde reports only the message, which quotes the cell, so the column is the one
/// holding the quoted value.
fn malformed_row(
    name: &str,
    line: u64,
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
    e: &csv::Error,
) -> Problem {
    let (index, message) = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let message = err.kind().to_string();
            let index = err.field().map(|i| i as usize).or_else(|| {
                record
                    .iter()
                    .position(|cell| !cell.is_empty() && message.contains(&format!("{cell:?}")))
            });
            (index, message)
        }
        _ => (None, e.to_string()),
    };
    let field = index.and_then(|i| headers.get(i)).unwrap_or("");
    Problem::new(name, line, field, format!("malformed row: {message}"))
}

/// The files of `dir` (relative to `root`) ending in `ext`, sorted, as `dir/name` paths.
pub fn files_in(root: &Path, dir: &str, ext: &str) -> Result<Vec<String>, IngestError> {
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

/// Every row of every `.csv` file in `dir` (relative to `root`).
pub fn csv_dir<T: DeserializeOwned>(
    root: &Path,
    dir: &str,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Located<T>>, IngestError> {
    let mut out = Vec::new();
    for rel in files_in(root, dir, ".csv")? {
        out.extend(csv_file(&root.join(&rel), &rel, problems));
    }
    Ok(out)
}

/// The rows of an import, each with its place: a JSON bundle's observations carry their JSON
/// path; a CSV file's rows their line. Records that could not be read are not in the bundle;
/// their problems are, and validation adds its own to them, so one bad record never hides the
/// problems of the others.
#[derive(Debug, Clone, Default)]
pub struct LocatedBundle {
    /// The bundle (its source, if any).
    pub bundle: Bundle,
    /// Where each of `bundle.observations` is, in the same order.
    pub places: Vec<Place>,
    /// Records that could not be read.
    pub problems: Vec<Problem>,
    /// New catalogue indicators the rows may use, validated like seed indicators and created
    /// in the same transaction (only a reviewed extraction draft sets them: import files and
    /// `importReport` add figures, not catalogue entries).
    pub indicators: Vec<Located<IndicatorRow>>,
}

impl LocatedBundle {
    /// Rows given as a structured list (JSON, GraphQL): `observations[i]`.
    pub fn structured(bundle: Bundle) -> LocatedBundle {
        let places = (0..bundle.observations.len())
            .map(|i| Place::item("observations", i))
            .collect();
        LocatedBundle {
            bundle,
            places,
            problems: Vec::new(),
            indicators: Vec::new(),
        }
    }
}

/// The field a serde message is about: the one it says is missing, or the one whose value it
/// quotes (an unknown kind quotes the kind).
fn field_of(message: &str, record: &serde_json::Value) -> String {
    if let Some(rest) = message.split("missing field `").nth(1) {
        return rest.split('`').next().unwrap_or("").to_string();
    }
    record
        .as_object()
        .and_then(|m| {
            m.iter().find(|(_, v)| {
                v.as_str()
                    .is_some_and(|s| !s.is_empty() && message.contains(&format!("{s:?}")))
            })
        })
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}

/// Reads a JSON bundle record by record: a record that does not deserialize becomes a problem
/// at its JSON path, and the others are read.
fn json_bundle(name: &str, text: &str) -> Result<LocatedBundle, IngestError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        IngestError::Invalid(vec![Problem::new(
            name,
            e.line() as u64,
            "",
            format!("invalid JSON: {e}"),
        )])
    })?;
    let mut out = LocatedBundle::default();
    let item_problem = |at: Place, record: &serde_json::Value, e: serde_json::Error| {
        let message = e.to_string();
        at.problem(
            &field_of(&message, record),
            format!("malformed record: {message}"),
        )
    };
    if let Some(source) = value.get("source").filter(|s| !s.is_null()) {
        let at = Place {
            file: "source".into(),
            line: 0,
            path: None,
        };
        match serde_json::from_value(source.clone()) {
            Ok(s) => out.bundle.source = Some(s),
            Err(e) => out.problems.push(item_problem(at, source, e)),
        }
    }
    match value.get("observations") {
        Some(serde_json::Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = Place::item("observations", i);
                match serde_json::from_value::<ObservationRow>(item.clone()) {
                    Ok(row) => {
                        out.bundle.observations.push(row);
                        out.places.push(at);
                    }
                    Err(e) => out.problems.push(item_problem(at, item, e)),
                }
            }
        }
        _ => out.problems.push(Problem::new(
            name,
            0,
            "observations",
            "a bundle needs an `observations` list (it may be empty)".into(),
        )),
    }
    Ok(out)
}

/// Refuses a path that is not an existing `.json` or `.csv` file.
pub fn check_import_path(path: &Path) -> Result<(), IngestError> {
    let name = path.display().to_string();
    let extension = path.extension().and_then(|e| e.to_str());
    if !matches!(extension, Some("json") | Some("csv")) {
        return Err(IngestError::Unsupported(format!(
            "{name}: expected a .json or .csv file"
        )));
    }
    if !path.is_file() {
        return Err(IngestError::Io {
            path: name,
            message: "no such file".into(),
        });
    }
    Ok(())
}

/// Reads an import file: `.json` (a [`Bundle`]) or `.csv` (observation rows in the seed format;
/// extra columns, such as those of an export, are ignored).
pub fn import_file(path: &Path) -> Result<LocatedBundle, IngestError> {
    check_import_path(path)?;
    let name = path.display().to_string();
    let extension = path.extension().and_then(|e| e.to_str());
    if extension == Some("json") {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::Io {
            path: name.clone(),
            message: e.to_string(),
        })?;
        return json_bundle(&name, &text);
    }
    let mut problems = Vec::new();
    // One import is one file, named in the summary; each problem gives the row's line in it,
    // under the name of the list, as for JSON bundles.
    let rows = csv_file::<ObservationRow>(path, "observations", &mut problems);
    let (places, observations) = rows.into_iter().map(|r| (r.at, r.row)).unzip();
    Ok(LocatedBundle {
        bundle: Bundle {
            source: None,
            observations,
        },
        places,
        problems,
        indicators: Vec::new(),
    })
}
