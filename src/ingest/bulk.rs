//! Bulk inserts: many rows per statement. PostgreSQL gets a binary `COPY … FROM STDIN`
//! (diesel's `copy_from`), SQLite multi-row `INSERT … VALUES (…), (…)` statements of a fixed
//! number of rows, so the prepared statement is reused from diesel's cache. Both run inside
//! the caller's transaction: a failing batch rolls back with everything else.
//!
//! Callers hand over a slice at a time (a chunk of a stream), so memory stays flat however
//! many rows a load writes. Only [`crate::ingest::write`] and the synthetic generator
//! (`crate::synth`) call this; rows reach it validated.

use diesel::connection::SimpleConnection;
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

/// SQLite page cache for a bulk load, in KiB: the indexes of `observations` take inserts at
/// many places at once (one per indicator, breakdown and period), which thrash SQLite's
/// default 2 MiB cache. A fixed bound, so memory stays flat in the row count.
pub const SQLITE_LOAD_CACHE_KIB: i64 = 131_072;

/// Runs `f` with the connection set up for a bulk load, and restores the settings after,
/// whatever `f` returns. SQLite only (PostgreSQL needs nothing): a larger page cache; with
/// `fresh_file` (the caller checked the database holds no warehouse rows) and no other
/// connection open on the file, the rollback journal instead of WAL for the load, with
/// `synchronous = FULL`. Both keep the transaction
/// atomic and durable: a rollback journal saves only pages that existed before the
/// transaction, so filling an empty file journals almost nothing, where WAL would write every
/// new page twice (log, then checkpoint).
pub fn with_load_settings<T, E>(
    conn: &mut DbConnection,
    fresh_file: bool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(c) = conn else {
        return f(conn);
    };
    c.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB};"))?;
    // Leaving WAL needs the file to itself: another open connection (a server, a test's
    // pool) makes it fail at once (no busy wait), and the load then runs in WAL as usual.
    let journal = fresh_file
        && c.batch_execute(
            "PRAGMA busy_timeout = 0; PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;",
        )
        .is_ok();
    c.batch_execute("PRAGMA busy_timeout = 5000;")?;
    let out = f(conn);
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -2000;")?;
        if journal {
            // As `db::conn` opens every connection (which also sets WAL again on connect).
            c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        }
    }
    out
}

/// The index kept while loading: the rules read each district's rows back through it, and
/// district-ordered loads append to it.
const KEPT_INDEX: &str = "observations_district_indicator";

#[derive(diesel::QueryableByName)]
struct IndexDefinition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    definition: String,
}

/// Drops the secondary indexes of `observations` (not its key's unique index, not
/// [`KEPT_INDEX`]), runs `f`, and creates them again from their stored definitions, all in
/// the caller's transaction: building an index once over the loaded rows is much cheaper than
/// updating it row by row at thousands of places. For loads into an empty warehouse (synth);
/// readers see the indexes either as before or as after, never without.
pub fn without_secondary_indexes<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name, sql AS definition FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'observations' AND sql IS NOT NULL"
        }
        DbConnection::Postgres(_) => {
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes \
             WHERE tablename = 'observations' AND schemaname = current_schema() \
             AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        }
    };
    let indexes: Vec<IndexDefinition> = diesel::sql_query(query)
        .load::<IndexDefinition>(conn)?
        .into_iter()
        .filter(|i| i.name != KEPT_INDEX)
        .collect();
    for i in &indexes {
        conn.batch_execute(&format!("DROP INDEX {}", i.name))?;
    }
    let out = f(conn)?;
    for i in &indexes {
        conn.batch_execute(&i.definition)?;
    }
    Ok(out)
}
