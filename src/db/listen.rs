//! PostgreSQL's LISTEN/NOTIFY, for what one process must tell the others sharing its database
//! (an `edustats import` run while servers serve the same database; several servers behind a
//! load balancer): one channel, [`CHANNEL`], one way to send on it ([`emit`]) and one listener
//! per process ([`Listener`]) that hands every payload to its subscribers through a
//! `tokio::sync::broadcast` channel.
//!
//! Payloads are short text, `TOPIC:REST` ([`Payload`]), so that several concerns share the one
//! channel and the one listening connection: the notifications use topic [`TOPIC_EVENTS`] (the
//! rest is a row id of the `notification_outbox` table: PostgreSQL caps a payload at 8000
//! bytes, and an import's events are larger). A subscriber ignores topics it does not know.
//!
//! Why NOTIFY: it is transactional. [`emit`] inside a write's transaction is delivered when
//! that transaction commits, and never if it rolls back, so a listener never hears of a write
//! that did not happen. Why a thread that polls: diesel has no asynchronous LISTEN, and its
//! `PgConnection::notifications_iter` reads what has arrived without waiting; the listener
//! owns one connection outside the pool on a thread of its own and looks every
//! [`POLL_INTERVAL`] (it costs a non-blocking read of the socket, no query), so it holds no
//! pooled connection and never blocks the runtime. A connection that fails is opened again
//! after [`RETRY_INTERVAL`]; notifications sent while it was down are not delivered (logged).
//!
//! SQLite has no such mechanism: [`emit`] does nothing there, and [`Listener::start`] is for
//! PostgreSQL URLs only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use tokio::sync::broadcast;

use super::DbConnection;

/// The one channel every edustats process listens on and sends to.
pub const CHANNEL: &str = "edustats";

/// The topic of committed writes' notification events (the rest: an outbox row id).
pub const TOPIC_EVENTS: &str = "events";

/// How often the listener looks for notifications.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long the listener waits before opening a failed connection again.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// Payloads kept for subscribers that have not read them yet.
pub const CAPACITY: usize = 1024;

/// One notification: its topic and the rest of its payload, and the PostgreSQL backend process
/// that sent it (a process can tell its own notifications: see [`own_backend_pid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The part before the first `:`.
    pub topic: String,
    /// The part after it (empty if there is none).
    pub rest: String,
    /// `pg_backend_pid()` of the sending connection.
    pub sender_pid: i32,
}

impl Payload {
    /// Splits `TOPIC:REST`.
    pub fn parse(text: &str, sender_pid: i32) -> Payload {
        let (topic, rest) = text.split_once(':').unwrap_or((text, ""));
        Payload {
            topic: topic.to_string(),
            rest: rest.to_string(),
            sender_pid,
        }
    }
}

/// Sends `TOPIC:REST` on [`CHANNEL`]. Inside a transaction it is delivered at `COMMIT` (and not
/// at all after a rollback). Returns false, sending nothing, on SQLite.
pub fn emit(conn: &mut DbConnection, topic: &str, rest: &str) -> QueryResult<bool> {
    match conn {
        DbConnection::Sqlite(_) => Ok(false),
        DbConnection::Postgres(pg) => {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(CHANNEL)
                .bind::<diesel::sql_types::Text, _>(format!("{topic}:{rest}"))
                .execute(pg)?;
            Ok(true)
        }
    }
}

/// The backend process id of a PostgreSQL connection (`None` on SQLite).
pub fn own_backend_pid(conn: &mut DbConnection) -> QueryResult<Option<i32>> {
    match conn {
        DbConnection::Sqlite(_) => Ok(None),
        DbConnection::Postgres(pg) => diesel::select(
            diesel::dsl::sql::<diesel::sql_types::Integer>("pg_backend_pid()"),
        )
        .get_result(pg)
        .map(Some),
    }
}

/// A process's listener on [`CHANNEL`] (see the module doc). Dropping it stops the thread
/// within one [`POLL_INTERVAL`].
pub struct Listener {
    sender: broadcast::Sender<Arc<Payload>>,
    stop: Arc<AtomicBool>,
    listening: Arc<AtomicBool>,
}

impl Listener {
    /// Starts listening on the PostgreSQL database at `url`, on a thread of its own.
    pub fn start(url: &str) -> Listener {
        let (sender, _) = broadcast::channel(CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let listening = Arc::new(AtomicBool::new(false));
        let (tx, flag, ready, url) = (
            sender.clone(),
            stop.clone(),
            listening.clone(),
            url.to_string(),
        );
        let spawned = std::thread::Builder::new()
            .name("edustats-listen".into())
            .spawn(move || run(&url, &tx, &flag, &ready));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the LISTEN thread did not start; other processes' writes are not heard");
        }
        Listener {
            sender,
            stop,
            listening,
        }
    }

    /// A receiver of every payload heard from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Payload>> {
        self.sender.subscribe()
    }

    /// Whether the connection is open and `LISTEN` has been run (a notification committed from
    /// now on is heard).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn run(
    url: &str,
    sender: &broadcast::Sender<Arc<Payload>>,
    stop: &AtomicBool,
    listening: &AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        match listen_until_failure(url, sender, stop, listening) {
            Ok(()) => return,
            Err(e) => {
                listening.store(false, Ordering::Release);
                tracing::warn!(error = %e, "LISTEN connection failed; opening it again (notifications sent meanwhile are not heard)");
                std::thread::sleep(RETRY_INTERVAL);
            }
        }
    }
}

/// Listens until `stop` (Ok) or a connection failure (Err).
fn listen_until_failure(
    url: &str,
    sender: &broadcast::Sender<Arc<Payload>>,
    stop: &AtomicBool,
    listening: &AtomicBool,
) -> Result<(), String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    listening.store(true, Ordering::Release);
    while !stop.load(Ordering::Acquire) {
        for n in conn.notifications_iter() {
            let n = n.map_err(|e| e.to_string())?;
            if n.channel == CHANNEL {
                // An error only says nobody subscribes right now.
                let _ = sender.send(Arc::new(Payload::parse(&n.payload, n.process_id)));
            }
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_split_at_the_first_colon() {
        let p = Payload::parse("events:12:x", 7);
        assert_eq!(
            (p.topic.as_str(), p.rest.as_str(), p.sender_pid),
            ("events", "12:x", 7)
        );
        let p = Payload::parse("version", 1);
        assert_eq!((p.topic.as_str(), p.rest.as_str()), ("version", ""));
    }
}
