//! The schema's migrations, embedded per backend, and the lock that lets one of several
//! servers started together over one database apply them while the others wait.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::backend::{DbConnection, DbError};
use crate::per_backend;

pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies the embedded migrations of the connection's backend, holding the migration lock
/// ([`with_migration_lock`]): of several servers started together over one database, the
/// first applies what is pending and the others wait for it, then find nothing to do.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let migrations = match conn {
        DbConnection::Postgres(_) => POSTGRES_MIGRATIONS,
        DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    with_migration_lock(conn, |conn| {
        let applied: Vec<String> = per_backend!(conn, c => c
            .run_pending_migrations(migrations)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| DbError::Migration(e.to_string())))?;
        // Data that SQL cannot compute the same way on both backends (the text digests of the
        // same-report lookup), for rows stored before its column existed.
        super::queries::fill_text_sha256(conn).map_err(DbError::Query)?;
        Ok(applied)
    })
}

/// The key of PostgreSQL's session-level advisory lock around migrations: "edustats" in ASCII.
const MIGRATION_LOCK_KEY: i64 = 0x6564_7573_7461_7473;

#[derive(QueryableByName)]
struct DatabaseFile {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    file: String,
}

/// Runs `f` (the migrations) while no other process migrates the same database. Without it,
/// two servers starting together both read the same pending list and the second fails on the
/// first's tables ("relation already exists"), which `tests/migrations.rs` reproduced on both
/// backends. One transaction around all migrations cannot serve as the lock: a SQLite
/// migration that rebuilds a table must run outside one (`run_in_transaction = false`).
///
/// - PostgreSQL: a session-level advisory lock, released before the connection goes back to
///   the pool (and by the server if the session dies).
/// - SQLite: an exclusive `flock` on `<database file>.migrate-lock`, beside the database; not
///   on the database file itself, whose POSIX locks SQLite owns and a second descriptor in the
///   same process would release on close. An in-memory database has nobody to race with.
pub fn with_migration_lock<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match conn {
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| DbError::Migration(format!("waiting for the migration lock: {e}")))?;
            let out = f(conn);
            let unlocked = conn
                .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| DbError::Migration(format!("releasing the migration lock: {e}")));
            let out = out?;
            unlocked?;
            Ok(out)
        }
        DbConnection::Sqlite(c) => {
            let files: Vec<DatabaseFile> = diesel::sql_query("PRAGMA database_list")
                .load(c)
                .map_err(|e| DbError::Migration(format!("locating the database file: {e}")))?;
            let file = files
                .into_iter()
                .find(|d| d.name == "main")
                .map(|d| d.file)
                .filter(|f| !f.is_empty());
            let Some(file) = file else {
                return f(conn);
            };
            let path = format!("{file}.migrate-lock");
            let lock = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| {
                    DbError::Migration(format!("opening the migration lock {path}: {e}"))
                })?;
            lock.lock().map_err(|e| {
                DbError::Migration(format!("taking the migration lock {path}: {e}"))
            })?;
            // Released when `lock` is dropped, after the migrations, whatever they return.
            f(conn)
        }
    }
}
