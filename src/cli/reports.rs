//! Reading reports from the command line: `edustats extract` (report files to review bundles,
//! with a warning for a report the warehouse already holds) and `edustats eval-extract` (the
//! extractor measured against the seeds).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use edustats::config::{default_seeds_dir, DbArgs};
use edustats::db::queries;
use edustats::extract;
use edustats::ingest;
use edustats::ingest::rows::SourceInput;

use super::{connect, ingest_failure, refused};

#[allow(clippy::too_many_arguments)] // one per command-line option
pub(crate) fn cmd_extract(
    db: &DbArgs,
    reports: &[PathBuf],
    district: Option<String>,
    code: Option<String>,
    exclude: Option<&str>,
    seeds: Option<PathBuf>,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let files = report_files(reports)?;
    // Several reports: a folder for their bundles, each with its own default code. A single
    // report is read before the database is opened: a file that cannot be read costs no
    // connection and changes nothing.
    let run = if files.len() > 1 {
        if code.is_some() {
            return Err(refused(
                "--code names one source: with several reports each gets its own default code",
            ));
        }
        let Some(dir) = output else {
            return Err(refused(
                "several reports give several bundles: name a folder for them with --output",
            ));
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| refused(format!("cannot create {}: {e}", dir.display())))?;
        ExtractRun::Many(dir)
    } else {
        ExtractRun::One(read_report(&files[0]).map_err(refused)?)
    };
    let mut conn = connect(db)?.get()?;
    let knowledge = if queries::is_empty(&mut conn)? {
        let dir = seeds.unwrap_or_else(default_seeds_dir);
        let data = ingest::seed::load_dir(&dir).map_err(|e| ingest_failure(e, &dir.display()))?;
        extract::Knowledge::from_dataset(&data, exclude)
    } else {
        extract::Knowledge::load(&mut conn, exclude)?
    };
    let opts = extract::Options {
        district,
        code,
        ..Default::default()
    };
    let dir = match run {
        ExtractRun::Many(dir) => dir,
        ExtractRun::One(doc) => {
            let report =
                extract::prepare(doc, &knowledge, &opts).map_err(|e| refused(e.to_string()))?;
            let source = report.source();
            warn_same_report(&mut conn, source, &Seen::of(&files[0], source), &[])?;
            let (proposed, unmatched) = write_bundle(&report, output)?;
            eprintln!("{proposed} proposed observation(s), {unmatched} unmatched figure(s)");
            return Ok(());
        }
    };
    // One bundle each, a line of progress each; a report that cannot be read or extracted is
    // named and skipped (nothing written for it), and the exit status says so.
    let n = files.len();
    let mut failed = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut written: HashSet<String> = HashSet::new();
    for (i, file) in files.iter().enumerate() {
        let step = format!("[{}/{n}] {}", i + 1, file.display());
        let report = read_report(file)
            .and_then(|doc| extract::prepare(doc, &knowledge, &opts).map_err(|e| e.to_string()));
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                eprintln!("{step}: not extracted: {e}");
                failed.push(file.display().to_string());
                continue;
            }
        };
        let this = Seen::of(file, report.source());
        warn_same_report(&mut conn, report.source(), &this, &seen)?;
        seen.push(this);
        let mut name = file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("report-{}", i + 1));
        while !written.insert(name.clone()) {
            name = format!("{}-{}", name, i + 1);
        }
        let out = dir.join(format!("{name}.json"));
        let (proposed, unmatched) = write_bundle(&report, Some(&out))?;
        eprintln!(
            "{step}: {proposed} proposed, {unmatched} unmatched -> {}",
            out.display()
        );
    }
    eprintln!("{} of {n} report(s) extracted", n - failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(refused(format!(
            "{} report(s) not extracted: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// Extracts a report into its bundle, pretty-printed JSON and a line end, written to `output`
/// (standard output when `None`) as its figures are decided: a large report's proposals are
/// never all held in memory, nor its bundle as one string. Returns the numbers of proposed and
/// unmatched figures.
pub(crate) fn write_bundle(
    report: &extract::Prepared<'_>,
    output: Option<&Path>,
) -> anyhow::Result<(usize, usize)> {
    fn to(
        report: &extract::Prepared<'_>,
        out: impl std::io::Write,
    ) -> anyhow::Result<(usize, usize)> {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(out);
        let counts = report.write_bundle(&mut out)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(counts)
    }
    match output {
        Some(path) => to(report, std::fs::File::create(path)?),
        None => to(report, std::io::stdout().lock()),
    }
}

/// What `extract` was given: one report (read already), or several for a folder of bundles.
pub(crate) enum ExtractRun<'a> {
    One(edustats::document::Document),
    Many(&'a Path),
}

/// A report extracted in this run, as the later ones are compared with it: its file, the hash
/// of its text and its document number (the whole extraction is not kept).
pub(crate) struct Seen {
    file: String,
    text_sha256: String,
    doc_number: Option<String>,
}

impl Seen {
    fn of(file: &Path, source: &SourceInput) -> Seen {
        Seen {
            file: file.display().to_string(),
            text_sha256: queries::text_sha256(&source.text),
            doc_number: queries::doc_number_key(source.doc_number.as_deref()).map(String::from),
        }
    }

    /// What `other` shares with this report: `"text"`, `"document number"` or nothing (the
    /// rule of [`queries::same_reports`], applied to the reports of this run).
    fn shares(&self, other: &Seen) -> Option<&'static str> {
        let probe = queries::Probe {
            text_sha256: &other.text_sha256,
            doc_number: other.doc_number.as_deref(),
            draft: None,
        };
        queries::repeat_reason(&probe, Some(&self.text_sha256), self.doc_number.as_deref())
            .map(shared)
    }
}

/// "text" or "document number", as the warnings say.
pub(crate) fn shared(reason: edustats::domain::RepeatReason) -> &'static str {
    match reason {
        edustats::domain::RepeatReason::SameText => "text",
        edustats::domain::RepeatReason::SameDocumentNumber => "document number",
    }
}

/// The report files named: files as given, folders as their files in name order (hidden
/// files and subfolders left out).
pub(crate) fn report_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| refused(format!("cannot read the folder {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .filter(|f| {
                    !f.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            inner.sort();
            if inner.is_empty() {
                return Err(refused(format!("the folder {} holds no file", p.display())));
            }
            files.extend(inner);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// One report file read into a document; the message names the file.
pub(crate) fn read_report(file: &Path) -> Result<edustats::document::Document, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    edustats::document::read(&bytes, &edustats::document::ReadLimits::default())
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// Warns (on standard error) when the report is already in the warehouse, in an open review
/// draft or earlier in this batch: the same text (whitespace aside), or the same document
/// number. Importing it again would hold it twice.
pub(crate) fn warn_same_report(
    conn: &mut edustats::db::DbConnection,
    source: &SourceInput,
    this: &Seen,
    earlier: &[Seen],
) -> anyhow::Result<()> {
    let number = source.doc_number.as_deref();
    for same in queries::same_report(conn, number, &source.text)? {
        let what = shared(same.reason);
        match same.of {
            queries::Repeated::Source(code) => eprintln!(
                "warning: {} is already in the warehouse as source {code} (same {what})",
                this.file
            ),
            queries::Repeated::Draft { id, code } => eprintln!(
                "warning: {} is already in open review draft {id} for source {code} (same {what})",
                this.file
            ),
        }
    }
    for e in earlier {
        if let Some(what) = e.shares(this) {
            eprintln!(
                "warning: {} is the same report as {} (same {what})",
                this.file, e.file
            );
        }
    }
    Ok(())
}

pub(crate) fn cmd_eval_extract(
    seeds: Option<PathBuf>,
    details: bool,
    threshold: Option<f64>,
    min_support: Option<f64>,
    labelled: Option<PathBuf>,
) -> anyhow::Result<()> {
    let dir = seeds.unwrap_or_else(default_seeds_dir);
    let data = ingest::seed::load_dir(&dir).map_err(|e| ingest_failure(e, &dir.display()))?;
    if let Some(folder) = labelled {
        let knowledge = extract::Knowledge::from_dataset(&data, None);
        let scores = extract::labelled::evaluate_dir(&folder, &knowledge, threshold, min_support)
            .map_err(|e| refused(e.to_string()))?;
        out!("{}", extract::labelled::table(&scores));
        if details {
            print_details(scores.iter().map(|s| (&s.document, &s.details)))?;
        }
        return Ok(());
    }
    let scores = extract::eval::evaluate(&data, threshold, min_support);
    out!("{}", extract::eval::table(&scores));
    if details {
        print_details(scores.iter().map(|s| (&s.source, &s.details)))?;
    }
    Ok(())
}

/// `--details`: each document's details under its name.
fn print_details<'a>(
    scores: impl Iterator<Item = (&'a String, &'a Vec<String>)>,
) -> anyhow::Result<()> {
    for (name, details) in scores {
        outln!("\n## {name}");
        for d in details {
            outln!("- {d}");
        }
    }
    Ok(())
}
