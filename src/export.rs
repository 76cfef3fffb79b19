//! Bulk export of observations as CSV, for third-party tools. The columns start with the seed /
//! import format (so an exported file re-imports as a no-op) and add labels and normalised
//! values. Rows are read in pages of [`PAGE`] by keyset pagination and written as they come, so
//! memory does not grow with the number of rows.

use std::collections::HashMap;
use std::io::Write;

use diesel::prelude::*;

use crate::db::models::Observation;
use crate::db::queries::{self, ObservationQuery};
use crate::db::schema::{districts, indicators};
use crate::db::DbConnection;
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
    /// Database.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// Writing failed (e.g. the client went away).
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// CSV encoding failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes every observation matching `q` as CSV to `out`; returns the number of rows.
pub fn write_csv<W: Write>(
    conn: &mut DbConnection,
    q: &ObservationQuery,
    out: W,
) -> Result<usize, ExportError> {
    let codes = Codes::load(conn)?;
    let names: HashMap<String, (String, String)> = districts::table
        .select((districts::code, districts::name_zh, districts::name_en))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(c, z, e)| (c, (z, e)))
        .collect();
    let indicator_info: HashMap<String, (String, String, String)> = indicators::table
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
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let mut after = None;
    let mut count = 0;
    loop {
        let (page, _) = queries::observations_page(conn, q, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for o in &page {
            write_row(&mut w, &codes, &names, &indicator_info, o)?;
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
    codes: &Codes,
    names: &HashMap<String, (String, String)>,
    indicator_info: &HashMap<String, (String, String, String)>,
    o: &Observation,
) -> Result<(), ExportError> {
    let r = codes.row(o);
    let (dz, de) = names.get(&r.district).cloned().unwrap_or_default();
    let (iz, ie, unit) = indicator_info
        .get(&r.indicator)
        .cloned()
        .unwrap_or_default();
    let canonical_unit = match o.kind.fixed_unit() {
        Some(u) => u.as_str().to_string(),
        None => unit,
    };
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    w.write_record([
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
    ])?;
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
