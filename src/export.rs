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

use std::collections::HashMap;
use std::io::Write;

use diesel::prelude::*;

use crate::db::models::Observation;
use crate::db::queries::{self, ObservationQuery};
use crate::db::schema::{districts, indicators};
use crate::db::{Db, DbConnection, DbError};
use crate::ingest::codes::Codes;

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

/// The labels a row is written with: codes, district names, indicator names and units.
struct Labels {
    codes: Codes,
    districts: HashMap<String, (String, String)>,
    indicators: HashMap<String, (String, String, String)>,
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
        Ok(Labels {
            codes,
            districts,
            indicators,
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
}

/// Writes every observation matching `q` as CSV to `out`; returns the number of rows. Each page
/// is read through `src` (see [`Reads`]) before any of it is written.
pub fn write_csv<R: Reads + ?Sized, W: Write>(
    src: &mut R,
    q: &ObservationQuery,
    out: W,
) -> Result<usize, ExportError> {
    let mut labels = src.read(Labels::load)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let mut after = None;
    let mut count = 0;
    loop {
        let page = src.read(|conn| queries::observations_after(conn, q, after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        if !page.iter().all(|o| labels.knows(o)) {
            labels = src.read(Labels::load)?;
        }
        for o in &page {
            write_row(&mut w, &labels, o)?;
            count += 1;
        }
        w.flush()?;
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    w.flush()?;
    Ok(count)
}

fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    labels: &Labels,
    o: &Observation,
) -> Result<(), ExportError> {
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
    // Every cell through `neutralise`: quotes and notes are free text (see `csv_cell`).
    let cells = [
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
    ];
    for cell in &cells {
        w.write_field(crate::csv_cell::neutralise(cell).as_bytes())?;
    }
    // An empty record ends the one written field by field.
    w.write_record(None::<&[u8]>)?;
    Ok(())
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
