//! Connections and the pool: one binary over SQLite (embedded, the default) and PostgreSQL.
//!
//! The backend is chosen by the database URL (`postgres://` / `postgresql://` select PostgreSQL;
//! `sqlite://PATH`, `sqlite:PATH` or a bare path select SQLite). We dispatch on the URL ourselves,
//! rather than letting a driver guess, so that a refused connection names the host and port that
//! refused it instead of a generic "invalid URL".
//!
//! Read replicas: a [`Db`] may hold a second pool on a PostgreSQL streaming replica
//! ([`Db::with_read_replica`]). Writes, migrations and the CLI always use the primary. A GraphQL
//! request starts on the primary and is switched to the replica only once its document is known
//! to be a query ([`Db::route_reads_to_replica`], called by `graphql::routing`), so a mutation
//! and everything it reads back stay on the primary (read-your-writes within a request). The
//! CSV export reads from the replica ([`Db::get_read`]).
//!
//! Error policy: every failure here is a [`DbError`]; callers map it once (see `crate::error`).
//! Database calls are synchronous and must run on the blocking pool ([`Db::run`]); no connection
//! is ever held across an `.await`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::MigrationHarness;

pub use super::backend::{
    is_connection_lost, write_transaction, Backend, DatabaseUrl, DbConnection, DbError,
};
use super::catalogue::{self, Catalogue, Catalogues};
pub use super::migrate::{run_migrations, with_migration_lock};
use super::migrate::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use super::version::Tracker;
use crate::per_backend;

/// Counts the SQL statements a connection starts. Shared by every connection of one pool, so a
/// test can prove that a GraphQL query issues a bounded number of statements.
/// It also tells the pool's data version [`Tracker`] when a write has committed
/// ([`super::version::on_event`]).
struct StatementCounter {
    statements: Arc<AtomicU64>,
    tracker: Arc<Tracker>,
    commit: super::version::CommitWatch,
}

std::thread_local! {
    /// The statement counter of the request whose closure runs on this thread ([`Db::run`] sets
    /// it for the duration of the closure). A connection is used by one thread at a time, so the
    /// statements it starts meanwhile are exactly that request's.
    static REQUEST_STATEMENTS: std::cell::RefCell<Option<Arc<AtomicU64>>> =
        const { std::cell::RefCell::new(None) };
}

/// Clears [`REQUEST_STATEMENTS`] when the closure ends, even by a panic, so a pooled thread
/// never counts for a request it no longer serves.
struct RequestScope;

impl RequestScope {
    fn enter(counter: Option<Arc<AtomicU64>>) -> RequestScope {
        REQUEST_STATEMENTS.with(|c| *c.borrow_mut() = counter);
        RequestScope
    }
}

impl Drop for RequestScope {
    fn drop(&mut self) {
        REQUEST_STATEMENTS.with(|c| *c.borrow_mut() = None);
    }
}

std::thread_local! {
    /// Set when a statement on this thread found its connection gone; read (and cleared) by
    /// [`Manager::has_broken`] when that connection goes back to the pool, on the same thread
    /// (a connection is used by one thread at a time). diesel's `is_broken` only looks at the
    /// transaction state, so without this a dead PostgreSQL connection would go back to the
    /// pool and fail every request that drew it, long after the server is back.
    static CONNECTION_LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        super::version::on_event(&self.tracker, &mut self.commit, &event);
        if let InstrumentationEvent::FinishQuery { error: Some(e), .. } = &event {
            if is_connection_lost(e) {
                CONNECTION_LOST.with(|l| l.set(true));
            }
        }
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.statements.fetch_add(1, Ordering::Relaxed);
            REQUEST_STATEMENTS.with(|c| {
                if let Some(n) = c.borrow().as_ref() {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }
}

/// The pool's state at one instant, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections checked out.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The pool's upper bound.
    pub max: u32,
    /// Callers waiting for a connection right now.
    pub waiting: u64,
}

/// The r2d2 manager: connects through [`DatabaseUrl`] so errors keep their real cause.
pub struct Manager {
    url: DatabaseUrl,
    statements: Arc<AtomicU64>,
    statement_timeout: Option<Duration>,
    tracker: Arc<Tracker>,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        let mut conn = self.url.establish()?;
        if let (Some(t), DbConnection::Postgres(c)) = (self.statement_timeout, &mut conn) {
            c.batch_execute(&format!("SET statement_timeout = {}", t.as_millis().max(1)))?;
        }
        conn.set_instrumentation(StatementCounter {
            statements: self.statements.clone(),
            tracker: self.tracker.clone(),
            commit: Default::default(),
        });
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.ping().map_err(DbError::Query)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // Read and clear: the flag belongs to the connection this thread is returning.
        CONNECTION_LOST.with(|l| l.replace(false)) || conn.is_broken()
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Upper bound on open connections.
    pub max_size: u32,
    /// How long a request waits for a free connection before failing with `UNAVAILABLE`.
    pub checkout_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every connection of the pool (`None`: the server's
    /// default). The server sets it so that no query holds a connection for long; the CLI's
    /// imports and seeds leave it unset. SQLite has no equivalent; the HTTP layer's request
    /// time limit still answers the client.
    pub statement_timeout: Option<Duration>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            checkout_timeout: Duration::from_secs(5),
            statement_timeout: None,
        }
    }
}

/// A pooled connection.
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Handle to the database: a bounded pool plus the backend it talks to, and optionally a second
/// pool on a read replica. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    /// The replica's pool, when one is configured ([`Db::with_read_replica`]).
    replica: Option<Replica>,
    /// Set on a per-request clone once the request is known to only read: [`Db::run`] then
    /// draws from the replica. Shared by every clone of that request's handle (the loaders hold
    /// clones made before the document was parsed).
    reads_on_replica: Option<Arc<AtomicBool>>,
    backend: Backend,
    target: String,
    statements: Arc<AtomicU64>,
    checkout_timeout: Duration,
    /// Callers blocked in [`Db::get`] (r2d2 does not count them).
    waiting: Arc<AtomicU64>,
    /// Set on the per-request clone ([`Db::for_request`]): that request's statement count.
    request_statements: Option<Arc<AtomicU64>>,
    /// The data version as this process knows it (see [`super::version`]).
    tracker: Arc<Tracker>,
    /// The primary's URL, for the data version watcher's own connection.
    url: DatabaseUrl,
    /// The catalogue snapshot of the primary, used while the data version is watched
    /// ([`super::catalogue`]).
    catalogues: Arc<Catalogues>,
}

/// A read replica's pool and where it points (no password), for logs.
#[derive(Clone)]
struct Replica {
    pool: r2d2::Pool<Manager>,
    target: String,
}

/// Which pool a connection came from, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolRole {
    /// The primary: every write, and reads without a replica.
    Primary,
    /// The read replica.
    Replica,
}

/// Builds a pool without connecting (the caller has already connected once to check the URL).
fn build_pool(manager: Manager, options: PoolOptions) -> r2d2::Pool<Manager> {
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(0))
        // No ping on checkout: it would double the statements of every request. Broken
        // connections are still detected by `has_broken` and replaced.
        .test_on_check_out(false)
        .connection_timeout(options.checkout_timeout)
        .build_unchecked(manager)
}

impl Db {
    /// Opens a pool. One connection is made eagerly so that a wrong URL or a refused connection
    /// fails here, with the driver's message, rather than on the first request.
    pub fn connect(raw_url: &str, options: PoolOptions) -> Result<Db, DbError> {
        let url = DatabaseUrl::parse(raw_url)?;
        let backend = url.backend();
        let target = url.redacted();
        let statements = Arc::new(AtomicU64::new(0));
        let tracker = Arc::new(Tracker::new());
        let manager = Manager {
            url: url.clone(),
            statements: statements.clone(),
            statement_timeout: options.statement_timeout,
            tracker: tracker.clone(),
        };
        let first = manager.connect()?;
        drop(first);
        let pool = build_pool(manager, options);
        let catalogues = Arc::new(Catalogues::new(tracker.clone()));
        Ok(Db {
            pool,
            replica: None,
            reads_on_replica: None,
            backend,
            target,
            statements,
            checkout_timeout: options.checkout_timeout,
            waiting: Arc::new(AtomicU64::new(0)),
            request_statements: None,
            tracker,
            url,
            catalogues,
        })
    }

    /// Adds a pool on a read replica of this (PostgreSQL) database. The replica must be a
    /// PostgreSQL server too: SQLite has no replicas, and a replica of another backend could not
    /// hold the same data. One connection is made now, so a wrong URL fails at start-up. The
    /// replica's connections share this handle's statement counter.
    pub fn with_read_replica(mut self, raw_url: &str, options: PoolOptions) -> Result<Db, DbError> {
        let url = DatabaseUrl::parse(raw_url)?;
        if self.backend != Backend::Postgres || url.backend() != Backend::Postgres {
            return Err(DbError::InvalidUrl {
                url: url.redacted(),
                reason: "a read replica needs PostgreSQL for both the database and the replica"
                    .into(),
            });
        }
        let target = url.redacted();
        let manager = Manager {
            url,
            statements: self.statements.clone(),
            statement_timeout: options.statement_timeout,
            tracker: self.tracker.clone(),
        };
        drop(manager.connect()?);
        self.replica = Some(Replica {
            pool: build_pool(manager, options),
            target,
        });
        Ok(self)
    }

    /// Where the replica is (no password), when there is one.
    pub fn replica_target(&self) -> Option<&str> {
        self.replica.as_ref().map(|r| r.target.as_str())
    }

    /// A clone of this handle (same pools) that also counts the statements run through
    /// [`Db::run`] into `counter`: the HTTP layer gives one to each GraphQL request. It uses
    /// the primary until [`Db::route_reads_to_replica`] is called on it (or on a clone of it).
    pub fn for_request(&self, counter: Arc<AtomicU64>) -> Db {
        Db {
            request_statements: Some(counter),
            reads_on_replica: Some(Arc::new(AtomicBool::new(false))),
            ..self.clone()
        }
    }

    /// Sends this request's later [`Db::run`] calls to the replica, if one is configured.
    /// Called once the request is known to be read-only; a no-op on a handle that is not a
    /// request's own or has no replica.
    pub fn route_reads_to_replica(&self) {
        if let (Some(flag), Some(_)) = (&self.reads_on_replica, &self.replica) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// The catalogue snapshot held at the version known now, for a handle that reads the
    /// primary ([`super::catalogue`]); `None` otherwise. No connection, no statement: what a
    /// look-up that would otherwise go through [`Db::run`] for catalogue rows only can use.
    pub fn catalogue(&self) -> Option<Arc<Catalogue>> {
        if self.current_role() == PoolRole::Replica {
            return None;
        }
        self.catalogues.held()
    }

    /// The pool [`Db::run`] draws from now.
    pub fn current_role(&self) -> PoolRole {
        let on_replica = self.replica.is_some()
            && self
                .reads_on_replica
                .as_ref()
                .is_some_and(|f| f.load(Ordering::Relaxed));
        if on_replica {
            PoolRole::Replica
        } else {
            PoolRole::Primary
        }
    }

    /// In use, idle, the maximum and the callers waiting, for `/metrics`.
    pub fn pool_state(&self) -> PoolState {
        let s = self.pool.state();
        PoolState {
            in_use: s.connections.saturating_sub(s.idle_connections),
            idle: s.idle_connections,
            max: self.pool.max_size(),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }

    /// How many embedded migrations the database has not applied (for `/readyz`).
    pub fn pending_migrations(&self) -> Result<usize, DbError> {
        let mut conn = self.get()?;
        let migrations = match &*conn {
            DbConnection::Postgres(_) => POSTGRES_MIGRATIONS,
            DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
        };
        per_backend!(&mut *conn, c => c
            .pending_migrations(migrations)
            .map(|m| m.len())
            .map_err(|e| DbError::Migration(e.to_string())))
    }

    /// The data version as this process knows it (shared by every clone of this handle).
    pub fn data_version(&self) -> &Tracker {
        &self.tracker
    }

    /// Starts watching the database for other processes' writes, so that the data version is
    /// known without a round trip (see [`super::version`]); once per pool, for the response
    /// cache and the catalogue snapshot ([`super::catalogue`]). The watcher ends when the last
    /// clone of this handle is dropped.
    pub fn watch_data_version(&self) {
        self.tracker.watch(&self.url);
    }

    /// The backend this handle talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where it connects (no password), for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// SQL statements started by all connections of this pool so far.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Checks a connection to the primary out of the pool (blocking; call from the blocking
    /// pool). Writes always come here.
    pub fn get(&self) -> Result<PooledConnection, DbError> {
        self.checkout(&self.pool)
    }

    /// Checks out a connection for reads only: the replica's when one is configured, else the
    /// primary's (blocking; call from the blocking pool).
    pub fn get_read(&self) -> Result<PooledConnection, DbError> {
        match &self.replica {
            Some(r) => self.checkout(&r.pool),
            None => self.get(),
        }
    }

    fn checkout(&self, pool: &r2d2::Pool<Manager>) -> Result<PooledConnection, DbError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let got = pool.get();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        got.map_err(|e| DbError::Unavailable {
            timeout: self.checkout_timeout,
            cause: e.to_string(),
        })
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool, so a diesel call never blocks
    /// the async runtime. The connection goes back to the pool before this returns. It comes
    /// from the primary unless this request was routed to the replica
    /// ([`Db::route_reads_to_replica`]).
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.run_on(self.current_role(), f).await
    }

    /// Like [`Db::run`] but always on the read pool (the replica's when there is one): for a
    /// read that must see the same database as the request's reads will, e.g. the response
    /// cache's data version (read from the primary, it could be ahead of a lagging replica,
    /// and a stale answer would be cached under the new version).
    pub async fn run_read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.run_on(PoolRole::Replica, f).await
    }

    /// Like [`Db::run`] but always on the primary, even in a request routed to the replica:
    /// for what must see (or write) the primary's current state, such as checking an API key
    /// (a revocation takes effect at once, whatever the replica's lag) and recording its use.
    pub async fn run_primary<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.run_on(PoolRole::Primary, f).await
    }

    /// The body of [`Db::run`], [`Db::run_read`] and [`Db::run_primary`]: a connection from the pool `role` names
    /// (`Replica` is the read pool, which is the primary's when no replica is configured), on
    /// the blocking pool, with the request's statement counter.
    async fn run_on<T, E, F>(&self, role: PoolRole, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = match role {
                PoolRole::Replica => db.get_read()?,
                PoolRole::Primary => db.get()?,
            };
            let _scope = RequestScope::enter(db.request_statements.clone());
            // The snapshot is the primary's: a replica may lag behind the version.
            let primary = role == PoolRole::Primary || db.replica.is_none();
            let _catalogue = catalogue::Scope::enter(primary.then(|| db.catalogues.clone()));
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.get()?;
        run_migrations(&mut conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connections opened at the same moment on a new SQLite file all come up in WAL mode:
    /// the losers of the race to convert the file are answered "database is locked" without
    /// the busy timeout, which failed a server start (seen in `servers_started_together_
    /// migrate_once`) until [`sqlite_wal`] retried.
    #[test]
    fn connections_opened_together_on_a_new_file_all_open() {
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("new.sqlite3").display().to_string();
            let url = DatabaseUrl::parse(&format!("sqlite://{path}")).expect("url");
            let barrier = Arc::new(std::sync::Barrier::new(6));
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    let (url, barrier) = (url.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        url.establish().map(|_| ())
                    })
                })
                .collect();
            for o in openers {
                let opened = o.join().expect("no panic");
                assert!(opened.is_ok(), "round {round}: {opened:?}");
            }
        }
    }

    /// Two writers that read before they write, at the same moment, on one SQLite file: with
    /// deferred transactions the second fails at once ("database is locked", whatever the busy
    /// timeout); with [`write_transaction`] it waits its turn and both writes land.
    #[test]
    fn sqlite_writers_wait_for_each_other() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.sqlite3").display().to_string();
        let open = || {
            let mut c = SqliteConnection::establish(&path).expect("open");
            c.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                .expect("pragmas");
            DbConnection::Sqlite(c)
        };
        open()
            .batch_execute("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (0);")
            .expect("setup");
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, mut conn) = (barrier.clone(), open());
                std::thread::spawn(move || {
                    barrier.wait();
                    write_transaction::<_, diesel::result::Error, _>(&mut conn, |conn| {
                        let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                            "(SELECT n FROM t)",
                        ))
                        .get_result(conn)?;
                        std::thread::sleep(Duration::from_millis(100));
                        diesel::sql_query(format!("UPDATE t SET n = {}", n + 1)).execute(conn)?;
                        Ok(())
                    })
                })
            })
            .collect();
        for w in writers {
            w.join()
                .expect("writer thread")
                .expect("both writers succeed");
        }
        let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT n FROM t)",
        ))
        .get_result(&mut open())
        .expect("read");
        assert_eq!(n, 2, "each writer saw the other's committed value");
    }

    #[test]
    fn a_nested_write_transaction_is_a_savepoint() {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("open"));
        conn.batch_execute("CREATE TABLE t (n INTEGER NOT NULL);")
            .expect("setup");
        write_transaction::<_, diesel::result::Error, _>(&mut conn, |conn| {
            diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn)?;
            let inner = write_transaction::<(), diesel::result::Error, _>(conn, |conn| {
                diesel::sql_query("INSERT INTO t VALUES (2)").execute(conn)?;
                Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            Ok(())
        })
        .expect("outer commits");
        let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT COUNT(*) FROM t)",
        ))
        .get_result(&mut conn)
        .expect("count");
        assert_eq!(n, 1, "the inner write was rolled back, the outer one kept");
    }

    #[test]
    fn parses_urls() {
        let cases: &[(&str, Option<Backend>)] = &[
            (
                "postgres://postgres@127.0.0.1:5432/edustats",
                Some(Backend::Postgres),
            ),
            ("postgresql://u:p@db/x", Some(Backend::Postgres)),
            ("sqlite://data/edustats.sqlite3", Some(Backend::Sqlite)),
            ("sqlite:edustats.sqlite3", Some(Backend::Sqlite)),
            ("edustats.sqlite3", Some(Backend::Sqlite)),
            ("mysql://root@localhost/x", None),
            ("", None),
            ("sqlite://", None),
        ];
        for (raw, expected) in cases {
            let got = DatabaseUrl::parse(raw).ok().map(|u| u.backend());
            assert_eq!(got, *expected, "{raw}");
        }
    }

    #[test]
    fn postgres_url_parts_and_redaction() {
        let url = DatabaseUrl::parse("postgres://bob:secret@db.example:6543/stats").unwrap();
        assert_eq!(url.redacted(), "postgres://db.example:6543/stats");
        assert!(!url.redacted().contains("secret"));
    }
}
