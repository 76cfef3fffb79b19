//! Bulk inserts: many rows per statement. PostgreSQL gets a binary `COPY … FROM STDIN`
//! (diesel's `copy_from`), SQLite multi-row `INSERT … VALUES (…), (…)` statements; the
//! observations' statement has a fixed number of rows and stays prepared for the whole load
//! ([`ObservationArray`]). Both run inside the caller's transaction: a failing batch rolls
//! back with everything else.
//!
//! Callers hand over a slice at a time (a chunk of a stream), so memory stays flat however
//! many rows a load writes. Only [`crate::ingest::write`], the rules' findings
//! ([`crate::ingest::check`]) and the synthetic generator (`crate::synth`) call this; rows
//! reach it validated.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::models::{NewObservation, NewSource};
use crate::db::schema::{observations, sources};
use crate::db::DbConnection;

/// Rows per SQLite statement of diesel's variable-length batches (the rows after the last
/// full [`ObservationArray`]): 22 bound columns × 1,000 rows stays under SQLite's default
/// limit of 32,766 variables per statement. Such a statement is prepared on every call.
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

/// One multi-row `INSERT` of `rows` (a slice of insertable values, e.g. `(column.eq(…), …)`
/// tuples) into `table`, in the caller's transaction. diesel's batch insert needs the concrete
/// backend, which the `MultiConnection` does not give it, hence one arm per backend. The caller
/// keeps a statement under SQLite's 32,766 bound values.
macro_rules! insert_batch {
    ($conn:expr, $table:path, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}
pub(crate) use insert_batch;

/// Inserts observations (without ids: the database assigns them); returns how many. On
/// SQLite in statements of [`SQLITE_ROWS_PER_ARRAY`] rows that are prepared once per
/// connection ([`ObservationArray`]), the few remaining rows through diesel's batch.
pub fn observations(conn: &mut DbConnection, rows: &[NewObservation<'_>]) -> QueryResult<usize> {
    if let DbConnection::Sqlite(c) = conn {
        let mut n = 0;
        let mut arrays = rows.chunks_exact(SQLITE_ROWS_PER_ARRAY);
        for array in &mut arrays {
            n += ObservationArray(array).execute(c)?;
        }
        let rest = arrays.remainder();
        if !rest.is_empty() {
            n += diesel::insert_into(observations::table)
                .values(rest.to_vec())
                .execute(c)?;
        }
        return Ok(n);
    }
    bulk_insert!(conn, observations, rows, SQLITE_ROWS_PER_STATEMENT)
}

/// Observation rows per SQLite statement of [`ObservationArray`]: 64 rows × 22 columns =
/// 1,408 parameters.
pub const SQLITE_ROWS_PER_ARRAY: usize = 64;

/// Pushes the values given as bind parameters of their SQL types, separated by commas: one
/// row of a hand-written `INSERT … VALUES`.
macro_rules! bind_values {
    ($out:ident, $ty0:ty = $v0:expr $(, $ty:ty = $v:expr)* $(,)?) => {
        $out.push_bind_param::<$ty0, _>($v0)?;
        $( $out.push_sql(", "); $out.push_bind_param::<$ty, _>($v)?; )*
    };
}

/// [`SQLITE_ROWS_PER_ARRAY`] observation rows as one SQLite `INSERT`, written by hand because
/// its SQL is the same for every call and diesel can therefore keep it prepared: diesel's own
/// batch of a slice is parsed and planned again on every call (its SQL depends on the
/// length), which the profile of a load showed as ~7 % in SQLite's parser plus the
/// allocator's work of building and freeing each 22,000-parameter program; its batch of a
/// fixed-size array would be cached, but needs `'static` rows. The caller passes exactly
/// that many rows (`chunks_exact`).
struct ObservationArray<'r, 'a>(&'r [NewObservation<'a>]);

/// The cache key of [`ObservationArray`]'s statement.
struct ObservationArrayId;

impl diesel::query_builder::QueryId for ObservationArray<'_, '_> {
    type QueryId = ObservationArrayId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for ObservationArray<'_, '_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Double, Integer, Nullable, Text};
        if self.0.len() != SQLITE_ROWS_PER_ARRAY {
            // The statement is cached by type: another length would reuse the wrong SQL.
            return Err(diesel::result::Error::QueryBuilderError(
                "an observation array of the wrong length".into(),
            ));
        }
        out.push_sql(
            "INSERT INTO observations (key, district_id, indicator_id, period_id, \
             breakdown_id, kind, base_period_id, value, value_text, reported_unit, qualifier, \
             source_id, quote, quote_start, quote_end, period_note, note, revision, created_at, \
             recorded_at, recorded_by, change_reason) VALUES ",
        );
        for (i, r) in self.0.iter().enumerate() {
            // Every field named, no `..`: a column added to `NewObservation` fails to compile
            // here until it is added to this statement too.
            let NewObservation {
                key,
                district_id,
                indicator_id,
                period_id,
                breakdown_id,
                kind,
                base_period_id,
                value,
                value_text,
                reported_unit,
                qualifier,
                source_id,
                quote,
                quote_start,
                quote_end,
                period_note,
                note,
                revision,
                created_at,
                recorded_at,
                recorded_by,
                change_reason,
            } = r;
            out.push_sql(if i == 0 { "(" } else { ", (" });
            bind_values!(out,
                Text = key,
                Integer = district_id,
                Integer = indicator_id,
                Integer = period_id,
                Integer = breakdown_id,
                Text = kind.as_str(),
                Nullable<Integer> = base_period_id,
                Double = value,
                Text = value_text,
                Text = reported_unit,
                Text = qualifier.as_str(),
                Integer = source_id,
                Text = quote,
                Integer = quote_start,
                Integer = quote_end,
                Nullable<Text> = period_note,
                Nullable<Text> = note,
                Integer = revision,
                Text = created_at,
                Text = recorded_at,
                Text = recorded_by,
                Nullable<Text> = change_reason,
            );
            out.push_sql(")");
        }
        Ok(())
    }
}

impl RunQueryDsl<diesel::sqlite::SqliteConnection> for ObservationArray<'_, '_> {}

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

/// After a committed bulk load into PostgreSQL: `VACUUM (ANALYZE)` of the tables a load
/// fills, so that the server plans with statistics and the index-only scans of the ranking
/// and change queries find their pages all-visible. Without it a freshly synthesized
/// 300-district set answered a ranking about 4× slower (42 requests/s, then 160 after
/// `ANALYZE` and 187 after `VACUUM`, BENCHMARKS.md "Loading") until autovacuum came round.
/// `VACUUM` cannot run in a transaction, so this runs after the commit; a failure here
/// leaves the committed load as it is and is the caller's to report. SQLite needs nothing:
/// its planner uses no statistics unless `ANALYZE` was run once, and edustats never runs it.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(_) = conn {
        conn.batch_execute(
            "VACUUM (ANALYZE) observations, sources, findings, finding_observations",
        )?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct IndexDefinition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    definition: String,
}

/// Drops the secondary indexes of `observations` (not its key's unique index; on PostgreSQL
/// also its foreign keys and the key's unique constraint), runs `f`, and creates them again
/// from their stored definitions, all in the caller's transaction: building an index once
/// over the loaded rows is much cheaper than updating it row by row at thousands of places.
/// For loads into an empty warehouse (synth, which reads its rows back by id range:
/// [`crate::ingest::check::refresh_new_district`]); readers see the indexes either as before
/// or as after, never without.
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
    let indexes: Vec<IndexDefinition> = diesel::sql_query(query).load::<IndexDefinition>(conn)?;
    // PostgreSQL: the foreign keys and the key's unique constraint too. Each foreign key is a
    // trigger that looks up its parent row for every inserted row (six per observation), and
    // the unique index on the text key takes inserts at scattered places; on a 302,021-row
    // insert they made it 3.5× slower than one into the table with only its primary key and
    // one secondary index, and they took a 300-district synth from 92 s to 35–38 s (BENCHMARKS.md
    // "Loading"). Added back at the end, in the same transaction, they check every loaded row
    // at once (one join per foreign key, one sort for the unique index): a violation fails
    // the load as it would have row by row, and nothing is committed. SQLite cannot drop a
    // constraint, and its checks are cheap lookups in-process.
    let constraints: Vec<IndexDefinition> = match conn {
        DbConnection::Postgres(_) => diesel::sql_query(
            "SELECT conname AS name, pg_get_constraintdef(oid) AS definition \
             FROM pg_constraint WHERE conrelid = 'observations'::regclass \
             AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        )
        .load::<IndexDefinition>(conn)?,
        DbConnection::Sqlite(_) => Vec::new(),
    };
    for c in &constraints {
        conn.batch_execute(&format!(
            "ALTER TABLE observations DROP CONSTRAINT {}",
            c.name
        ))?;
    }
    for i in &indexes {
        conn.batch_execute(&format!("DROP INDEX {}", i.name))?;
    }
    let out = f(conn)?;
    if let DbConnection::Postgres(_) = conn {
        // The index builds sort in memory up to this bound (the server's default is 64 MB);
        // for this transaction only, and a fixed bound whatever the row count.
        conn.batch_execute(&format!(
            "SET LOCAL maintenance_work_mem = '{PG_INDEX_BUILD_MEMORY}'"
        ))?;
    }
    let started = std::time::Instant::now();
    for i in &indexes {
        conn.batch_execute(&i.definition)?;
    }
    let indexes_built = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    for c in &constraints {
        conn.batch_execute(&format!(
            "ALTER TABLE observations ADD CONSTRAINT {} {}",
            c.name, c.definition
        ))?;
    }
    tracing::info!(
        indexes = indexes_built,
        constraints = started.elapsed().as_secs_f64(),
        "seconds to build the deferred indexes and check the deferred constraints"
    );
    Ok(out)
}

/// `maintenance_work_mem` for the index builds at the end of a PostgreSQL load.
pub const PG_INDEX_BUILD_MEMORY: &str = "256MB";
