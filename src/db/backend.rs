//! The two backends behind one connection type: [`DbConnection`] (SQLite or PostgreSQL, chosen
//! by the [`DatabaseUrl`]), the storage layer's error [`DbError`], and what every caller of a
//! connection shares: [`write_transaction`] and [`is_connection_lost`]. The pool built on them
//! is [`super::conn`], the migrations [`super::migrate`]; both, and the queries and the data
//! version, depend on this module, which depends on none of them.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// A connection to either backend. Diesel's derive implements `Connection` for the enum over the
/// SQL both backends share, so queries are written once.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// Production backend.
    Postgres(PgConnection),
    /// Embedded default backend.
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection type.
///
/// This is the one place where backend-specific code is allowed: grep for `per_backend!` to find
/// every spot where SQLite and PostgreSQL are treated differently. The body is compiled once per
/// backend, so generic diesel code inside it type-checks against each concrete connection.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Lower-case name used in logs and test output.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL could not be understood.
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given (passwords are never logged: see [`DatabaseUrl::redacted`]).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server or file refused the connection.
    #[error("cannot connect to {backend} database at {target}: {message}")]
    Connect {
        /// Backend name.
        backend: &'static str,
        /// `host:port/db` or the file path.
        target: String,
        /// The driver's own message.
        message: String,
    },
    /// No pooled connection became free within the checkout timeout. The pool's own message
    /// (the last connection error, if any) is kept for the log.
    #[error("database unavailable: no connection within {timeout:?}: {cause}")]
    Unavailable {
        /// The checkout timeout that ran out.
        timeout: Duration,
        /// What the pool said (r2d2's message, with the driver's last connection error).
        cause: String,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Any query error.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// A blocking task panicked or was cancelled.
    #[error("blocking task failed: {0}")]
    Task(String),
}

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path.
    Sqlite {
        /// Path of the database file.
        path: String,
    },
    /// A PostgreSQL connection URL.
    Postgres {
        /// The full URL, handed to libpq.
        url: String,
        /// Host, for error messages.
        host: String,
        /// Port, for error messages.
        port: u16,
        /// Database name, for error messages.
        database: String,
    },
}

impl DatabaseUrl {
    /// Parses a URL or path. See the module doc for the accepted forms.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        let invalid = |reason: &str| DbError::InvalidUrl {
            url: raw.to_string(),
            reason: reason.to_string(),
        };
        if raw.is_empty() {
            return Err(invalid("empty"));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
            let host = parsed.host_str().unwrap_or("localhost").to_string();
            let port = parsed.port().unwrap_or(5432);
            let database = parsed.path().trim_start_matches('/').to_string();
            return Ok(DatabaseUrl::Postgres {
                url: raw.to_string(),
                host,
                port,
                database,
            });
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.contains("://") {
            return Err(invalid(
                "unsupported scheme: use postgres://, sqlite:// or a file path",
            ));
        }
        if path.is_empty() {
            return Err(invalid("no SQLite file path"));
        }
        Ok(DatabaseUrl::Sqlite {
            path: path.to_string(),
        })
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A description safe to log: no password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite { path } => format!("sqlite:{path}"),
            DatabaseUrl::Postgres {
                host,
                port,
                database,
                ..
            } => format!("postgres://{host}:{port}/{database}"),
        }
    }

    /// Opens one connection, set up as every connection of the pool is.
    pub(crate) fn establish(&self) -> Result<DbConnection, DbError> {
        match self {
            DatabaseUrl::Sqlite { path } => {
                let mut conn = SqliteConnection::establish(path).map_err(|e| DbError::Connect {
                    backend: "sqlite",
                    target: path.clone(),
                    message: e.to_string(),
                })?;
                // WAL lets readers continue while an import writes; the busy timeout makes a
                // second writer wait instead of failing at once; SQLite does not enforce
                // foreign keys unless asked, PostgreSQL always does.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                )?;
                sqlite_wal(&mut conn)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres {
                url,
                host,
                port,
                database,
            } => {
                let conn = PgConnection::establish(url).map_err(|e| DbError::Connect {
                    backend: "postgres",
                    target: format!("{host}:{port}/{database}"),
                    message: e.to_string().trim().to_string(),
                })?;
                Ok(DbConnection::Postgres(conn))
            }
        }
    }
}

/// Puts a SQLite connection's database in WAL mode. Connections opened at once on a new file
/// (servers started together) race to convert it, and SQLite answers the losers "database is
/// locked" at once without calling the busy handler (the conversion needs an exclusive lock it
/// does not wait for), so the switch is retried for as long as the busy timeout would have
/// waited (5 s); any other error, or a lock held longer, is returned.
fn sqlite_wal(conn: &mut SqliteConnection) -> Result<(), diesel::result::Error> {
    const WAIT: Duration = Duration::from_secs(5);
    let started = std::time::Instant::now();
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("database is locked") && started.elapsed() < WAIT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

/// Runs `f` in a transaction that writes: on SQLite one that takes the write lock when it
/// begins (`BEGIN IMMEDIATE`), on PostgreSQL an ordinary one. Every transaction that writes goes
/// through here.
///
/// Why: SQLite's default (deferred) transaction starts as a reader and asks for the write lock at
/// its first write. When another connection holds that lock, SQLite cannot wait (the reader's
/// snapshot would be stale once the writer commits), so it fails at once with "database is
/// locked", ignoring the busy timeout: two publishes or imports at the same moment gave the loser
/// `INTERNAL`. Taking the lock at `BEGIN` puts the wait where the busy timeout applies, so
/// concurrent writers queue behind each other. Inside an open transaction this is a savepoint,
/// as diesel's own nesting does.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let outermost_sqlite = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_none(),
        DbConnection::Postgres(_) => false,
    };
    if !outermost_sqlite {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = &mut *conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    type Manager = <DbConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        // As diesel's `Connection::transaction`: the caller's error wins unless the rollback
        // itself failed for another reason than an already broken transaction.
        Err(user_error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

/// Whether `e` says the connection itself is gone (the server stopped or restarted, the
/// network cut), as opposed to a statement that failed on a live connection. PostgreSQL's
/// messages for these (libpq's and SQLSTATE 57P01) are not named by diesel, hence the text.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            [
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "could not send data to server",
                "could not receive data from server",
                "connection not open",
                "SSL SYSCALL error",
            ]
            .iter()
            .any(|w| m.contains(w))
        }
        _ => false,
    }
}
