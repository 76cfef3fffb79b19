//! The data version kept in the process: what the response cache keys its answers by, known
//! without a database round trip for as long as something watches the database for writes.
//!
//! The database stays the one source of truth (`data_version`, bumped by [`bump`] inside every
//! write of figures), so servers and the CLI over one database agree on it. What this module
//! adds is a [`Tracker`] per pool that remembers the version last read and forgets it the moment
//! it may have moved:
//!
//! - a write committed through this process forgets it at once: [`bump`] marks the connection's
//!   thread, and the connection's instrumentation ([`on_event`]) forgets the version when the
//!   outermost `COMMIT` of that transaction has run. One place for every write path (imports,
//!   corrections, publications, seeds, synth), whoever calls it; forgetting is always safe, so
//!   a rolled-back or failed commit costs one read, never a stale answer;
//! - a write by another process reaches the watcher ([`watch`]): on PostgreSQL [`bump`] also
//!   sends `pg_notify(CHANNEL, version)` in the write's transaction (delivered at `COMMIT`, never
//!   for a rollback) and a listener connection announces it; on SQLite a held connection polls
//!   `PRAGMA data_version`, which changes when another connection commits.
//!
//! While nothing watches (before the watcher has connected, after its connection dropped,
//! until it is back) the version is read from the database per request, as before: a dropped
//! listener costs throughput, never correctness. A version read while a write was committing
//! is not remembered (the [`Ticket`] of the read is outdated by the write), and a version older
//! than one a notification announced is not either (a replica that has not caught up yet).

mod watch;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;

use super::backend::{DatabaseUrl, DbConnection};

pub use watch::{listen, ListenEvent, Signal, CHECK_EVERY, WATCH_INTERVAL};

/// The PostgreSQL notification channel of data version changes; the payload is the new version
/// in decimal.
pub const CHANNEL: &str = "edustats_data_version";

/// Bumps the data version. Called by every write of figures, inside its transaction, so that a
/// cached answer is never served after the write commits: on PostgreSQL one statement that
/// also notifies [`CHANNEL`] with the new version; on SQLite the update alone (the other
/// processes' watchers see the file change). The in-process version of this pool is forgotten
/// once the transaction commits ([`on_event`]). A bulk loader writing outside
/// [`crate::ingest::write`] must call it too.
pub fn bump(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let in_transaction = crate::per_backend!(&mut *conn, c =>
        AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_some());
    PENDING.with(|p| {
        p.set(if in_transaction {
            Pending::AtCommit
        } else {
            Pending::ThisStatement
        })
    });
    match conn {
        DbConnection::Postgres(c) => {
            diesel::sql_query(format!(
                "WITH v AS (UPDATE data_version SET version = version + 1 RETURNING version) \
                 SELECT pg_notify('{CHANNEL}', version::text) FROM v"
            ))
            .execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            use crate::db::schema::data_version;
            diesel::update(data_version::table)
                .set(data_version::version.eq(data_version::version + 1))
                .execute(c)?;
        }
    }
    Ok(())
}

/// What this thread's connection owes the tracker after [`bump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// Forget the version when the outermost transaction has committed.
    AtCommit,
    /// Forget it when the bump's own statement has run (a bump outside a transaction).
    ThisStatement,
}

std::thread_local! {
    /// Set by [`bump`], read by [`on_event`] on the same thread: a connection is used by one
    /// thread at a time, and its instrumentation runs on that thread.
    static PENDING: std::cell::Cell<Pending> = const { std::cell::Cell::new(Pending::None) };
}

/// The per-connection part of the hook: whether the statement running is the outermost
/// `COMMIT`. Kept by the connection's instrumentation.
#[derive(Debug, Default)]
pub struct CommitWatch {
    committing: bool,
}

/// Called by the pool's connection instrumentation for every event: forgets `tracker`'s
/// version once a transaction that bumped it has committed (or its commit has failed: whether
/// it took effect is then unknown, and forgetting is always safe).
pub fn on_event(tracker: &Tracker, state: &mut CommitWatch, event: &InstrumentationEvent<'_>) {
    match event {
        InstrumentationEvent::CommitTransaction { depth, .. } if depth.get() == 1 => {
            state.committing = true;
        }
        InstrumentationEvent::RollbackTransaction { depth, .. } if depth.get() == 1 => {
            PENDING.with(|p| p.set(Pending::None));
        }
        InstrumentationEvent::FinishQuery { .. } => {
            let pending = PENDING.with(|p| p.get());
            let due = match pending {
                Pending::AtCommit => std::mem::take(&mut state.committing),
                Pending::ThisStatement => true,
                Pending::None => {
                    state.committing = false;
                    false
                }
            };
            if due {
                PENDING.with(|p| p.set(Pending::None));
                tracker.invalidate();
            }
        }
        _ => {}
    }
}

/// The data version as this process knows it (one per pool, shared by its clones).
pub struct Tracker {
    state: Mutex<State>,
    /// Versions read from the database because none was known (for `/metrics`).
    reads: AtomicU64,
    /// Times the watcher lost its connection (for `/metrics`).
    losses: AtomicU64,
    started: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    /// Moves whenever the version may have changed; a read that started at another
    /// generation is not remembered.
    generation: u64,
    /// The version, while it is known to be current.
    known: Option<i64>,
    /// The highest version announced: a read of an older one (a lagging replica) is not
    /// remembered.
    announced: i64,
    /// Whether a watcher is connected: without one nothing is remembered.
    watched: bool,
}

/// What the cache does for a request: use the version known, or read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The current version, known without a round trip.
    Known(i64),
    /// Read it from the database, then hand it back with [`Tracker::learned`].
    Read(Ticket),
}

/// The generation at which a read of the version started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl Default for Tracker {
    fn default() -> Self {
        Tracker::new()
    }
}

impl Tracker {
    /// A tracker that knows nothing and is not watched (every lookup reads).
    pub fn new() -> Tracker {
        Tracker {
            state: Mutex::new(State::default()),
            reads: AtomicU64::new(0),
            losses: AtomicU64::new(0),
            started: AtomicBool::new(false),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The version if it is known to be current, else a ticket to read it with.
    pub fn lookup(&self) -> Lookup {
        let s = self.state();
        match s.known {
            Some(v) if s.watched => Lookup::Known(v),
            _ => Lookup::Read(Ticket(s.generation)),
        }
    }

    /// A version read from the database with `ticket`: remembered if nothing may have changed
    /// it since the read started, a watcher is connected, and no newer one was announced.
    pub fn learned(&self, ticket: Ticket, version: i64) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state();
        if s.watched && s.generation == ticket.0 && version >= s.announced {
            s.known = Some(version);
        }
    }

    /// Forgets the version: it may have changed.
    pub fn invalidate(&self) {
        let mut s = self.state();
        s.generation += 1;
        s.known = None;
    }

    /// What a watcher saw (see [`Signal`]).
    pub fn apply(&self, signal: Signal) {
        match signal {
            Signal::Watching => {
                // Whatever was written while nobody watched is read afresh.
                let mut s = self.state();
                s.watched = true;
                s.generation += 1;
                s.known = None;
            }
            Signal::Version(v) => {
                let mut s = self.state();
                s.announced = s.announced.max(v);
                if s.known.is_none_or(|k| k < v) {
                    s.generation += 1;
                    s.known = None;
                }
            }
            Signal::Changed => self.invalidate(),
            Signal::Lost => {
                let mut s = self.state();
                s.watched = false;
                s.generation += 1;
                s.known = None;
                self.losses.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether a watcher is connected (the version is then known without a round trip).
    pub fn watched(&self) -> bool {
        self.state().watched
    }

    /// Versions read from the database so far because none was known.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Times the watcher's connection was lost so far.
    pub fn losses(&self) -> u64 {
        self.losses.load(Ordering::Relaxed)
    }

    /// Starts the watcher of `url` on a thread of its own, once per tracker; it ends when the
    /// tracker is dropped.
    pub fn watch(self: &Arc<Self>, url: &DatabaseUrl) {
        if self.started.swap(true, Ordering::Relaxed) {
            return;
        }
        watch::spawn(url.clone(), Arc::downgrade(self));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Tracker {
        let t = Tracker::new();
        t.apply(Signal::Watching);
        t
    }

    fn ticket(t: &Tracker) -> Ticket {
        match t.lookup() {
            Lookup::Read(k) => k,
            Lookup::Known(v) => panic!("known {v}, expected a read"),
        }
    }

    #[test]
    fn unwatched_always_reads() {
        let t = Tracker::new();
        let k = ticket(&t);
        t.learned(k, 3);
        assert!(matches!(t.lookup(), Lookup::Read(_)));
        assert_eq!(t.reads(), 1);
    }

    #[test]
    fn watched_remembers_until_invalidated() {
        let t = watched();
        let k = ticket(&t);
        t.learned(k, 3);
        assert_eq!(t.lookup(), Lookup::Known(3));
        t.invalidate();
        let k = ticket(&t);
        t.learned(k, 4);
        assert_eq!(t.lookup(), Lookup::Known(4));
    }

    #[test]
    fn a_read_overtaken_by_a_change_is_not_remembered() {
        let t = watched();
        let k = ticket(&t);
        t.invalidate(); // a write committed while the read was running
        t.learned(k, 3);
        assert!(matches!(t.lookup(), Lookup::Read(_)));
    }

    #[test]
    fn an_announced_version_outdates_older_reads() {
        let t = watched();
        let k = ticket(&t);
        t.learned(k, 3);
        t.apply(Signal::Version(3));
        assert_eq!(
            t.lookup(),
            Lookup::Known(3),
            "its own version: nothing changes"
        );
        t.apply(Signal::Version(5));
        let k = ticket(&t);
        t.learned(k, 4); // a replica behind the primary
        assert!(matches!(t.lookup(), Lookup::Read(_)));
        let k = ticket(&t);
        t.learned(k, 5);
        assert_eq!(t.lookup(), Lookup::Known(5));
    }

    #[test]
    fn a_lost_watcher_falls_back_to_reads() {
        let t = watched();
        let k = ticket(&t);
        t.learned(k, 3);
        t.apply(Signal::Lost);
        assert_eq!(t.losses(), 1);
        let k = ticket(&t);
        t.learned(k, 3);
        assert!(
            matches!(t.lookup(), Lookup::Read(_)),
            "not remembered unwatched"
        );
        t.apply(Signal::Watching);
        let k = ticket(&t);
        t.learned(k, 3);
        assert_eq!(t.lookup(), Lookup::Known(3));
    }
}
