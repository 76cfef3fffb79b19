//! Writes made outside a server (`edustats import` on the command line) reach the servers'
//! subscribers and webhooks, on PostgreSQL.
//!
//! The writing process describes its write's events in the write's transaction (as a mutation
//! does), stores them in `notification_outbox` and announces the row with
//! `pg_notify('edustats', 'events:ID')` ([`announce`]); the notification is delivered when the
//! transaction commits, never after a rollback. Every server runs [`spawn`]: it hears the
//! announcement through the process's [`Listener`], reads the row, and sends its events on
//! its own [`Notifier`], so its subscribers and its webhook dispatcher get them as if the
//! server had made the write. The events are stored rather than put in the payload because
//! PostgreSQL caps a payload at 8000 bytes and one import's figures are more.
//!
//! SQLite has no LISTEN/NOTIFY: [`announce`] does nothing there, and a command-line write to
//! an SQLite database reaches no running server (docs/notifications.md says so).
//!
//! With several servers on one database, each one hears the announcement: each sends the events
//! to its own subscribers (right) and each one's dispatcher delivers them to the webhooks
//! (so a webhook receives a command-line write's events once per running server; receivers
//! already drop repeats by the body's content, and the log shows each delivery).

use diesel::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use super::{events, Event, Notifier, Write};
use crate::db::listen::{self, Listener, TOPIC_EVENTS};
use crate::db::schema::notification_outbox;
use crate::db::{now_utc, Db, DbConnection, DbError};
use crate::ingest::rows::ImportReport;

/// How long an outbox row is kept: it is read once, seconds after it is written; an hour leaves
/// room for a slow server and costs nothing.
const KEEP_FOR: chrono::Duration = chrono::Duration::hours(1);

/// Why a relay step failed (logged; a relay failure never fails a write).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The pool.
    #[error(transparent)]
    Pool(#[from] DbError),
    /// Database.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// A stored row that is not a list of events.
    #[error("outbox row {id} is not a list of events: {reason}")]
    Malformed {
        /// The row.
        id: i32,
        /// Why.
        reason: String,
    },
}

/// Describes the write `report` reports, stores its events and announces them (PostgreSQL; on
/// SQLite, or for a dry run or a write that changed nothing, does nothing). Call it inside the
/// write's transaction, after the write, so the announcement commits with it.
pub fn announce(
    conn: &mut DbConnection,
    report: &ImportReport,
    write: &Write,
) -> QueryResult<usize> {
    if matches!(conn, DbConnection::Sqlite(_)) || report.dry_run {
        return Ok(0);
    }
    let events = events(conn, report, write)?;
    if events.is_empty() {
        return Ok(0);
    }
    let json = serde_json::to_string(&events)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let cutoff = crate::db::format_utc(chrono::Utc::now() - KEEP_FOR);
    diesel::delete(notification_outbox::table.filter(notification_outbox::created_at.lt(cutoff)))
        .execute(conn)?;
    diesel::insert_into(notification_outbox::table)
        .values((
            notification_outbox::events.eq(json),
            notification_outbox::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    let id: i64 = match conn {
        DbConnection::Postgres(c) => diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "currval(pg_get_serial_sequence('notification_outbox', 'id'))",
        ))
        .get_result(c)?,
        DbConnection::Sqlite(_) => return Ok(0),
    };
    listen::emit(conn, TOPIC_EVENTS, &id.to_string())?;
    Ok(events.len())
}

/// The events of outbox row `id` (none if it is gone).
fn read(conn: &mut DbConnection, id: i32) -> Result<Vec<Event>, RelayError> {
    let json: Option<String> = notification_outbox::table
        .find(id)
        .select(notification_outbox::events)
        .first(conn)
        .optional()?;
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&json).map_err(|e| RelayError::Malformed {
        id,
        reason: e.to_string(),
    })
}

/// Relays every announced write to `notifier` until the listener is dropped (see the module
/// doc). Announcements this process's listener missed (its connection was down) are lost, and
/// logged as such by the listener.
pub fn spawn(listener: &Listener, db: Db, notifier: Notifier) -> tokio::task::JoinHandle<()> {
    let mut payloads = listener.subscribe();
    tokio::spawn(async move {
        loop {
            let payload = match payloads.recv().await {
                Ok(p) => p,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the relay fell behind the LISTEN connection; announced writes were not relayed");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if payload.topic != TOPIC_EVENTS {
                continue;
            }
            let Ok(id) = payload.rest.parse::<i32>() else {
                tracing::warn!(payload = %payload.rest, "an events announcement without a row id; ignored");
                continue;
            };
            match db.run(move |c| read(c, id)).await {
                Ok(events) => {
                    tracing::info!(
                        outbox = id,
                        events = events.len(),
                        "relaying another process's write"
                    );
                    notifier.send(events);
                }
                Err(e) => tracing::error!(error = %e, outbox = id, "announced events not read"),
            }
        }
    })
}
