//! Id ↔ code maps of the small catalogue tables, loaded once per write or export: they turn a
//! stored observation back into an input row (the export and correction format) and an input
//! row's codes into ids, without a query per row.

use std::collections::HashMap;

use diesel::prelude::*;

use super::rows::ObservationRow;
use crate::db::models::Observation;
use crate::db::schema::{breakdowns, districts, indicators, periods, sources};
use crate::db::DbConnection;

/// Loads the id ↔ code map of a table (`code` column unless another is named).
macro_rules! code_map {
    ($conn:expr, $table:ident) => {
        code_map!($conn, $table, code)
    };
    ($conn:expr, $table:ident, $code:ident) => {
        $crate::ingest::codes::CodeMap::from_rows(
            $table::table
                .select(($table::id, $table::$code))
                .load::<(i32, String)>($conn)?,
        )
    };
}
pub(crate) use code_map;

/// One table's codes by id, and ids by code.
#[derive(Debug, Clone, Default)]
pub struct CodeMap {
    by_id: HashMap<i32, String>,
    by_code: HashMap<String, i32>,
}

impl CodeMap {
    /// Builds the maps from (id, code) rows.
    pub fn from_rows(rows: Vec<(i32, String)>) -> CodeMap {
        let by_code = rows.iter().map(|(id, c)| (c.clone(), *id)).collect();
        CodeMap {
            by_id: rows.into_iter().collect(),
            by_code,
        }
    }

    /// The code of an id (empty when unknown, which a foreign key rules out).
    pub fn code(&self, id: i32) -> String {
        self.by_id.get(&id).cloned().unwrap_or_default()
    }

    /// The id of a code.
    pub fn id(&self, code: &str) -> Option<i32> {
        self.by_code.get(code).copied()
    }

    /// Every code, sorted.
    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.by_code.keys().cloned().collect();
        codes.sort();
        codes
    }
}

/// The code maps of districts, indicators, periods, breakdowns and sources.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    /// Districts.
    pub districts: CodeMap,
    /// Indicators.
    pub indicators: CodeMap,
    /// Periods.
    pub periods: CodeMap,
    /// Breakdowns (canonical text).
    pub breakdowns: CodeMap,
    /// Sources.
    pub sources: CodeMap,
}

impl Codes {
    /// Loads every map (five small queries).
    pub fn load(conn: &mut DbConnection) -> QueryResult<Codes> {
        Ok(Codes {
            districts: code_map!(conn, districts),
            indicators: code_map!(conn, indicators),
            periods: code_map!(conn, periods),
            breakdowns: code_map!(conn, breakdowns),
            sources: code_map!(conn, sources),
        })
    }

    /// A stored observation as a row of the seed / import / export format.
    pub fn row(&self, o: &Observation) -> ObservationRow {
        ObservationRow {
            key: o.key.clone(),
            district: self.districts.code(o.district_id.0),
            indicator: self.indicators.code(o.indicator_id.0),
            period: self.periods.code(o.period_id.0),
            period_note: o.period_note.clone(),
            breakdown: Some(self.breakdowns.code(o.breakdown_id.0)),
            kind: o.kind,
            base_period: o.base_period_id.map(|b| self.periods.code(b)),
            value: o.value_text.clone(),
            unit: o.reported_unit.clone(),
            quote: o.quote.clone(),
            note: o.note.clone(),
            source: Some(self.sources.code(o.source_id.0)),
        }
    }
}
