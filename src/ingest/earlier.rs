//! What the earlier chunks of a streamed import held, for the duplicate checks: every key with
//! the place of its first row, and every row content's digest with its key. Kept in two
//! temporary tables of the import's connection, not in memory, so that the import's memory
//! stays that of one chunk whatever the file's length (issue 11: memory flat in the row
//! count). The tables live in the import's transaction: a rollback takes them away with
//! everything else, and [`Earlier::drop_tables`] removes them before a commit.
//!
//! A chunk is first checked against itself by the [`Validator`](super::validate::Validator)
//! (in memory, as a whole-file import is); [`Earlier::check`] then checks its first
//! occurrences against the earlier chunks, with the same messages, and records them.

use std::collections::HashSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::bulk::insert_batch;
use super::validate::{duplicate_key, duplicate_row, Seen, Validated};
use super::Problem;
use crate::db::DbConnection;

diesel::table! {
    /// The keys of earlier chunks (a temporary table: [`Earlier::create`]).
    import_earlier_keys (key) {
        /// An observation key.
        key -> Text,
        /// Where its first row is (`Place`'s display).
        place -> Text,
    }
}

diesel::table! {
    /// The content digests of earlier chunks (a temporary table: [`Earlier::create`]).
    import_earlier_contents (hi, lo) {
        /// The digest's high 64 bits.
        hi -> BigInt,
        /// Its low 64 bits.
        lo -> BigInt,
        /// The key of the first row with this content.
        key -> Text,
    }
}

/// Keys (or digests) per look-up statement: far below either backend's parameter limit.
const LOOKUP: usize = 10_000;

/// Rows per insert statement: 3 bound values each stays far below SQLite's 32,766.
const INSERT: usize = 1_000;

/// The temporary tables of one streamed import (see the module doc).
#[derive(Debug)]
pub struct Earlier {
    _created: (),
}

impl Earlier {
    /// Creates the (empty) tables on `conn`, inside the caller's transaction. Qualified drops
    /// first: a connection that ended an earlier import without [`Earlier::drop_tables`]
    /// (none does, but a pool reuses connections) cannot make this one fail, and a permanent
    /// table of the same name is never touched.
    pub fn create(conn: &mut DbConnection) -> QueryResult<Earlier> {
        let schema = temp_schema(conn);
        let on_commit = match conn {
            DbConnection::Postgres(_) => " ON COMMIT DROP",
            DbConnection::Sqlite(_) => "",
        };
        // BIGINT on both: SQLite gives the type name integer affinity.
        conn.batch_execute(&format!(
            "DROP TABLE IF EXISTS {schema}.import_earlier_keys; \
             DROP TABLE IF EXISTS {schema}.import_earlier_contents; \
             CREATE TEMPORARY TABLE import_earlier_keys \
               (key TEXT PRIMARY KEY, place TEXT NOT NULL){on_commit}; \
             CREATE TEMPORARY TABLE import_earlier_contents \
               (hi BIGINT NOT NULL, lo BIGINT NOT NULL, key TEXT NOT NULL, \
                PRIMARY KEY (hi, lo)){on_commit};"
        ))?;
        Ok(Earlier { _created: () })
    }

    /// Checks a chunk's first occurrences (`seen`, from
    /// [`Validator::take_seen`](super::validate::Validator::take_seen)) against the earlier
    /// chunks: a key or a content already there is a problem at the chunk's row, with the
    /// message the validator gives within a chunk, and that row leaves `validated` (it must
    /// neither be written nor be compared with the stored row an earlier chunk wrote). The
    /// rest are recorded for the chunks after.
    pub fn check(
        &mut self,
        conn: &mut DbConnection,
        seen: Seen,
        validated: &mut Validated,
        problems: &mut Vec<Problem>,
    ) -> QueryResult<()> {
        let mut refused: HashSet<String> = HashSet::new();

        let keys: Vec<&str> = seen.keys.keys().map(String::as_str).collect();
        for slice in keys.chunks(LOOKUP) {
            let hits: Vec<(String, String)> = import_earlier_keys::table
                .filter(import_earlier_keys::key.eq_any(slice))
                .select((import_earlier_keys::key, import_earlier_keys::place))
                .load(conn)?;
            for (key, first) in hits {
                if let Some(at) = seen.keys.get(&key) {
                    problems.push(at.problem("key", format!("{key}: {}", duplicate_key(&first))));
                    refused.insert(key);
                }
            }
        }
        // Only repeated keys are in `refused` so far (figures come next).
        let new_keys: Vec<_> = seen
            .keys
            .iter()
            .filter(|(k, _)| !refused.contains(*k))
            .map(|(k, at)| {
                (
                    import_earlier_keys::key.eq(k.as_str()),
                    import_earlier_keys::place.eq(at.to_string()),
                )
            })
            .collect();
        for slice in new_keys.chunks(INSERT) {
            insert_batch!(conn, import_earlier_keys::table, slice)?;
        }

        let his: Vec<i64> = seen.contents.keys().map(|d| split(*d).0).collect();
        let mut repeated: HashSet<u128> = HashSet::new();
        for slice in his.chunks(LOOKUP) {
            let hits: Vec<(i64, i64, String)> = import_earlier_contents::table
                .filter(import_earlier_contents::hi.eq_any(slice))
                .select((
                    import_earlier_contents::hi,
                    import_earlier_contents::lo,
                    import_earlier_contents::key,
                ))
                .load(conn)?;
            for (hi, lo, first) in hits {
                let digest = join(hi, lo);
                // Only the high half was looked up: the low half must match too.
                if let Some((key, at)) = seen.contents.get(&digest) {
                    problems.push(at.problem("key", format!("{key}: {}", duplicate_row(&first))));
                    repeated.insert(digest);
                    refused.insert(key.clone());
                }
            }
        }
        let new_contents: Vec<_> = seen
            .contents
            .iter()
            .filter(|(d, _)| !repeated.contains(d))
            .map(|(d, (key, _))| {
                let (hi, lo) = split(*d);
                (
                    import_earlier_contents::hi.eq(hi),
                    import_earlier_contents::lo.eq(lo),
                    import_earlier_contents::key.eq(key.as_str()),
                )
            })
            .collect();
        for slice in new_contents.chunks(INSERT) {
            insert_batch!(conn, import_earlier_contents::table, slice)?;
        }

        if !refused.is_empty() {
            validated
                .observations
                .retain(|o| !refused.contains(&o.row.key));
        }
        Ok(())
    }

    /// Drops the tables (before the import's transaction commits: a dry run commits too).
    pub fn drop_tables(self, conn: &mut DbConnection) -> QueryResult<()> {
        let schema = temp_schema(conn);
        conn.batch_execute(&format!(
            "DROP TABLE {schema}.import_earlier_keys; DROP TABLE {schema}.import_earlier_contents;"
        ))
    }
}

/// The schema of the connection's temporary tables, to name them unambiguously.
fn temp_schema(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Postgres(_) => "pg_temp",
        DbConnection::Sqlite(_) => "temp",
    }
}

/// A digest as two signed 64-bit columns (both backends' widest integer).
fn split(digest: u128) -> (i64, i64) {
    ((digest >> 64) as u64 as i64, digest as u64 as i64)
}

/// The inverse of [`split`].
fn join(hi: i64, lo: i64) -> u128 {
    (u128::from(hi as u64) << 64) | u128::from(lo as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_survives_its_split_into_two_columns() {
        for d in [
            0,
            1,
            u128::MAX,
            1 << 64,
            (1 << 127) | 5,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        ] {
            let (hi, lo) = split(d);
            assert_eq!(join(hi, lo), d);
        }
    }
}
