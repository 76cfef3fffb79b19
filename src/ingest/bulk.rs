//! Bulk inserts: many rows per statement. PostgreSQL gets a binary `COPY … FROM STDIN`
//! (diesel's `copy_from`), SQLite multi-row `INSERT … VALUES (…), (…)` statements of a fixed
//! number of rows, so the prepared statement is reused from diesel's cache. Both run inside
//! the caller's transaction: a failing batch rolls back with everything else.
//!
//! Callers hand over a slice at a time (a chunk of a stream), so memory stays flat however
//! many rows a load writes. Only [`crate::ingest::write`] and the synthetic generator
//! (`crate::synth`) call this; rows reach it validated.

use diesel::prelude::*;

use crate::db::models::{NewObservation, NewSource};
use crate::db::schema::{observations, sources};
use crate::db::DbConnection;

/// Rows per SQLite statement: 22 bound columns × 1,000 rows stays under SQLite's default
/// limit of 32,766 variables per statement.
pub const SQLITE_ROWS_PER_STATEMENT: usize = 1_000;

/// Inserts rows of one table in batches: COPY on PostgreSQL, multi-row INSERTs on SQLite.
macro_rules! bulk_insert {
    ($conn:expr, $table:ident, $rows:expr, $per_statement:expr) => {{
        let rows = $rows;
        if rows.is_empty() {
            return Ok(0);
        }
        match $conn {
            DbConnection::Postgres(c) => diesel::copy_from($table::table)
                .from_insertable(rows.to_vec())
                .execute(c),
            DbConnection::Sqlite(c) => {
                let mut n = 0;
                for chunk in rows.chunks($per_statement) {
                    n += diesel::insert_into($table::table)
                        .values(chunk.to_vec())
                        .execute(c)?;
                }
                Ok(n)
            }
        }
    }};
}

/// Inserts observations (without ids: the database assigns them); returns how many.
pub fn observations(conn: &mut DbConnection, rows: &[NewObservation<'_>]) -> QueryResult<usize> {
    bulk_insert!(conn, observations, rows, SQLITE_ROWS_PER_STATEMENT)
}

/// Inserts sources (without ids); returns how many. Fewer rows per SQLite statement: a
/// source carries its whole text.
pub fn sources(conn: &mut DbConnection, rows: &[NewSource<'_>]) -> QueryResult<usize> {
    bulk_insert!(conn, sources, rows, 100)
}
