//! Bulk export of observations as CSV, for third-party tools. The columns start with the seed /
//! import format (so an exported file re-imports as a no-op) and add labels and normalised
//! values. Rows are read in pages of [`PAGE`] by keyset pagination (`id > last id`, no OFFSET and
//! no count per page) and written as they come, so memory does not grow with the number of rows
//! and each page costs the same wherever it is in the export.
//!
//! Connections: the server's export ([`write_csv`] over a [`Db`]) checks a connection out of the
//! pool for each page and returns it before writing the page, so a client that stops reading
//! holds no connection while the export waits for it; the CLI passes its one connection.
//! Consistency of a long export: each page is one statement (a consistent read of its rows);
//! the export as a whole is not a snapshot. The id cursor means no row is written twice or
//! skipped, a row added during the export appears if its id is past the cursor, and a row
//! corrected during the export appears as it was when its page was read.
//!
//! The statistical formats are submodules over the same pages and filters: [`sdmx`] (SDMX-CSV
//! 2.0 streamed like the CSV, SDMX-JSON structure and data messages) and [`jsonstat`] (JSON-stat
//! 2.0 datasets); the two JSON formats are built from a [`cube::Cube`], the selection read whole
//! into memory up to a bound, because their dimensions must be listed before the values.

use std::collections::HashMap;
use std::io::Write;

use diesel::prelude::*;

use crate::db::models::Observation;
use crate::db::queries::{self, ObservationQuery};
use crate::db::schema::{dimension_members, dimensions, districts, indicators, sources};
use crate::db::{Db, DbConnection, DbError};
use crate::domain::Breakdown;
use crate::ingest::codes::Codes;

pub mod cube;
pub mod jsonstat;
pub mod sdmx;

/// Rows read per query.
pub const PAGE: i64 = 500;

/// The header row.
pub const HEADER: &[&str] = &[
    "key",
    "district",
    "indicator",
    "period",
    "period_note",
    "breakdown",
    "kind",
    "base_period",
    "value",
    "unit",
    "quote",
    "note",
    "source",
    "district_zh",
    "district_en",
    "indicator_zh",
    "indicator_en",
    "canonical_value",
    "canonical_unit",
    "qualifier",
    "revision",
    "recorded_at",
    "recorded_by",
];

/// Errors while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A query failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// No connection (the pool's timeout ran out, or the server is down).
    #[error(transparent)]
    Pool(#[from] DbError),
    /// Writing failed (e.g. the client went away).
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// CSV encoding failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// JSON encoding failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The selection is larger than a message built in memory may hold.
    #[error("the selection holds more than {limit} observations, the most a {format} answer holds (it is built in memory); narrow the filter, or use /export/observations.sdmx.csv, which streams any number")]
    TooLarge {
        /// The format refused.
        format: &'static str,
        /// The bound.
        limit: usize,
    },
}

/// Where the export's reads run: one connection held throughout (the CLI), or the pool, one
/// checkout per read (the server).
pub trait Reads {
    /// Runs one read.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> Result<T, ExportError>;
}

impl Reads for DbConnection {
    fn read<T>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> Result<T, ExportError> {
        Ok(f(self)?)
    }
}

impl Reads for Db {
    /// The connection (the read replica's when there is one) goes back to the pool when the
    /// read returns, before anything is written.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> Result<T, ExportError> {
        let mut conn = self.get_read()?;
        Ok(f(&mut conn)?)
    }
}

/// The labels a row is written with: codes, district names, indicator names and units, the
/// names of breakdowns (from their members') and the titles of sources.
#[derive(Debug, Clone)]
struct Labels {
    codes: Codes,
    districts: HashMap<String, (String, String)>,
    indicators: HashMap<String, (String, String, String)>,
    /// (dimension, member) → (Chinese, English).
    members: HashMap<(String, String), (String, String)>,
    /// Source code → (Chinese title, English title).
    sources: HashMap<String, (String, String)>,
}

impl Labels {
    fn load(conn: &mut DbConnection) -> QueryResult<Labels> {
        let codes = Codes::load(conn)?;
        let districts = districts::table
            .select((districts::code, districts::name_zh, districts::name_en))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(c, z, e)| (c, (z, e)))
            .collect();
        let indicators = indicators::table
            .select((
                indicators::code,
                indicators::name_zh,
                indicators::name_en,
                indicators::unit,
            ))
            .load::<(String, String, String, String)>(conn)?
            .into_iter()
            .map(|(c, z, e, u)| (c, (z, e, u)))
            .collect();
        let members = dimension_members::table
            .inner_join(dimensions::table)
            .select((
                dimensions::code,
                dimension_members::code,
                dimension_members::name_zh,
                dimension_members::name_en,
            ))
            .load::<(String, String, String, String)>(conn)?
            .into_iter()
            .map(|(d, m, z, e)| ((d, m), (z, e)))
            .collect();
        let sources = sources::table
            .select((sources::code, sources::title_zh, sources::title_en))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(c, z, e)| (c, (z, e)))
            .collect();
        Ok(Labels {
            codes,
            districts,
            indicators,
            members,
            sources,
        })
    }

    /// Whether every id the row refers to is known. A row written after the labels were loaded
    /// (an export reads its pages over time) may name a new period, breakdown, source or
    /// indicator: the labels are then reloaded rather than written empty.
    fn knows(&self, o: &Observation) -> bool {
        let c = &self.codes;
        !c.districts.code(o.district_id.0).is_empty()
            && !c.indicators.code(o.indicator_id.0).is_empty()
            && !c.periods.code(o.period_id.0).is_empty()
            && !c.breakdowns.code(o.breakdown_id.0).is_empty()
            && !c.sources.code(o.source_id.0).is_empty()
            && o.base_period_id
                .is_none_or(|b| !c.periods.code(b).is_empty())
    }

    /// A breakdown's names (Chinese, English): its members' names joined, `合计` / `Total` for
    /// the total; a member without a name in the catalogue is shown by its code.
    fn breakdown_names(&self, code: &str) -> (String, String) {
        let Ok(b) = code.parse::<Breakdown>() else {
            return (code.to_string(), code.to_string());
        };
        if b.is_total() {
            return ("合计".into(), "Total".into());
        }
        let (zh, en): (Vec<String>, Vec<String>) = b
            .pairs()
            .iter()
            .map(|(d, m)| {
                self.members
                    .get(&(d.clone(), m.clone()))
                    .cloned()
                    .unwrap_or_else(|| (format!("{d}={m}"), format!("{d}={m}")))
            })
            .unzip();
        (zh.join("；"), en.join("; "))
    }

    /// The unit of a value of `kind` of an indicator: the kind's own (growth, rank), or the
    /// indicator's.
    fn value_unit(&self, indicator: &str, kind: crate::domain::ObservationKind) -> String {
        match kind.fixed_unit() {
            Some(u) => u.as_str().to_string(),
            None => self
                .indicators
                .get(indicator)
                .map(|i| i.2.clone())
                .unwrap_or_default(),
        }
    }
}

/// One observation as the statistical formats (SDMX, JSON-stat) carry it: the dimensions, the
/// value in its canonical unit, and the attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// District code.
    pub district: String,
    /// Indicator code.
    pub indicator: String,
    /// Breakdown in the warehouse's text form (empty: the total).
    pub breakdown: String,
    /// Observation kind.
    pub kind: crate::domain::ObservationKind,
    /// 1 for the first figure of its key (district, indicator, period, breakdown, kind), 2, 3…
    /// for later ones (see [`queries::earlier_same_key`]).
    pub figure: u32,
    /// Period code (`2022`, `2023-06`, `2021..2022`).
    pub period: String,
    /// Value in the canonical unit.
    pub value: f64,
    /// The canonical unit.
    pub unit: String,
    /// How the printed figure qualifies its number.
    pub qualifier: crate::domain::Qualifier,
    /// For a change or growth: the period compared against.
    pub base_period: Option<String>,
    /// Source code.
    pub source: String,
    /// The sentence the value comes from.
    pub quote: String,
    /// The observation's stable key.
    pub key: String,
}

impl Labels {
    /// An observation as a [`Cell`], with its figure number from `figures`.
    fn cell(&self, o: &Observation, figures: &Figures) -> Cell {
        let c = &self.codes;
        let indicator = c.indicators.code(o.indicator_id.0);
        Cell {
            district: c.districts.code(o.district_id.0),
            unit: self.value_unit(&indicator, o.kind),
            indicator,
            breakdown: c.breakdowns.code(o.breakdown_id.0),
            kind: o.kind,
            figure: figures.get(&o.id.0).copied().unwrap_or(1),
            period: c.periods.code(o.period_id.0),
            value: o.value,
            qualifier: o.qualifier,
            base_period: o.base_period_id.map(|b| c.periods.code(b)),
            source: c.sources.code(o.source_id.0),
            quote: o.quote.clone(),
            key: o.key.clone(),
        }
    }
}

/// The number of each row of a page among the figures sharing its key (see
/// [`queries::earlier_same_key`]): absent means 1.
type Figures = HashMap<i32, u32>;

/// Reads every observation matching `q` page by page through `src` and hands each page to
/// `each` with the labels (reloaded when a page names something new) and, with `figures`, each
/// row's figure number (one more statement per page). Returns the number of rows and the last
/// labels.
fn pages<R: Reads + ?Sized>(
    src: &mut R,
    q: &ObservationQuery,
    figures: bool,
    mut each: impl FnMut(&Labels, &[Observation], &Figures) -> Result<(), ExportError>,
) -> Result<(usize, Labels), ExportError> {
    let mut labels = src.read(Labels::load)?;
    let mut after = None;
    let mut count = 0;
    loop {
        let page = src.read(|conn| queries::observations_after(conn, q, after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        if !page.iter().all(|o| labels.knows(o)) {
            labels = src.read(Labels::load)?;
        }
        let numbers = if figures {
            let ids: Vec<i32> = page.iter().map(|o| o.id.0).collect();
            src.read(|conn| queries::earlier_same_key(conn, &ids))?
                .into_iter()
                .map(|(id, earlier)| (id, u32::try_from(earlier).unwrap_or(u32::MAX - 1) + 1))
                .collect()
        } else {
            Figures::new()
        };
        each(&labels, &page, &numbers)?;
        count += page.len();
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok((count, labels))
}

/// Writes every observation matching `q` as CSV to `out`; returns the number of rows. Each page
/// is read through `src` (see [`Reads`]) before any of it is written.
pub fn write_csv<R: Reads + ?Sized, W: Write>(
    src: &mut R,
    q: &ObservationQuery,
    out: W,
) -> Result<usize, ExportError> {
    write_records(src, q, out, HEADER, false, |labels, o, _| row(labels, o))
}

/// Writes `header`, then every observation matching `q` as one record of the cells `cells`
/// gives it (with the figure numbers of its page when `figures`), page by page, each page
/// flushed before the next is read; returns the number of rows. Every cell goes through
/// [`crate::csv_cell::neutralise`]: quotes and notes are free text (see `csv_cell`).
fn write_records<R: Reads + ?Sized, W: Write, const N: usize>(
    src: &mut R,
    q: &ObservationQuery,
    out: W,
    header: &[&str],
    figures: bool,
    mut cells: impl FnMut(&Labels, &Observation, &Figures) -> [String; N],
) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    let (count, _) = pages(src, q, figures, |labels, page, numbers| {
        for o in page {
            for cell in &cells(labels, o, numbers) {
                w.write_field(crate::csv_cell::neutralise(cell).as_bytes())?;
            }
            // An empty record ends the one written field by field.
            w.write_record(None::<&[u8]>)?;
        }
        w.flush()?;
        Ok(())
    })?;
    w.flush()?;
    Ok(count)
}

/// The cells of one observation in the CSV export, in [`HEADER`]'s order.
fn row(labels: &Labels, o: &Observation) -> [String; 23] {
    let r = labels.codes.row(o);
    let (dz, de) = labels
        .districts
        .get(&r.district)
        .cloned()
        .unwrap_or_default();
    let (iz, ie, unit) = labels
        .indicators
        .get(&r.indicator)
        .cloned()
        .unwrap_or_default();
    let canonical_unit = match o.kind.fixed_unit() {
        Some(u) => u.as_str().to_string(),
        None => unit,
    };
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    [
        r.key,
        r.district,
        r.indicator,
        r.period,
        opt(&r.period_note),
        opt(&r.breakdown),
        r.kind.to_string(),
        opt(&r.base_period),
        r.value,
        r.unit,
        r.quote,
        opt(&r.note),
        opt(&r.source),
        dz,
        de,
        iz,
        ie,
        o.value.to_string(),
        canonical_unit,
        o.qualifier.to_string(),
        o.revision.to_string(),
        o.recorded_at.clone(),
        o.recorded_by.clone(),
    ]
}

/// An `io::Write` that hands full buffers to an async receiver: the bridge from the blocking
/// export to a streaming HTTP body. A closed receiver (client gone) ends the export with an
/// error instead of buffering the rest.
pub struct ChannelWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
}

impl ChannelWriter {
    /// Writer over a bounded channel.
    pub fn new(tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>) -> Self {
        ChannelWriter {
            buf: Vec::with_capacity(64 * 1024),
            tx,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(64 * 1024));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
