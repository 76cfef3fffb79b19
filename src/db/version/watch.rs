//! The watchers that keep a [`Tracker`] current when another process writes: a PostgreSQL
//! listener on [`CHANNEL`] and a SQLite poll of `PRAGMA data_version`, each on a thread of its
//! own with a connection of its own (outside the pool, so it never takes a request's
//! connection and its statements are not counted as a request's).
//!
//! Both poll every [`WATCH_INTERVAL`] rather than block: diesel exposes PostgreSQL
//! notifications as a non-blocking read of what has arrived (`PQconsumeInput`, no round trip),
//! and SQLite's pragma is a read of shared memory; a poll costs microseconds, and the interval
//! bounds how late another process's write is seen. The PostgreSQL listener also reads the
//! version every [`CHECK_EVERY`], which proves the connection alive (a dropped connection is
//! otherwise only seen when the server closed it) and catches a notification missed.

use std::ops::ControlFlow;
use std::sync::Weak;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{Tracker, CHANNEL};
use crate::db::backend::DatabaseUrl;

/// How often a watcher looks for another process's writes.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(25);

/// How often the PostgreSQL listener reads the version on its connection.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// How long a watcher waits before connecting again after its connection failed.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What a watcher tells the [`Tracker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Connected and watching: from now on every change is signalled.
    Watching,
    /// The version is (at least) this one: a notification's payload, or a periodic read.
    Version(i64),
    /// The data changed, version unknown (SQLite's pragma, an unreadable payload).
    Changed,
    /// The connection is gone: changes may be missed until [`Signal::Watching`] again.
    Lost,
}

/// What [`listen`] hands its callback.
pub enum ListenEvent<'a> {
    /// `LISTEN` has run on a new connection: notifications sent from now on arrive.
    Listening,
    /// A notification on one of the channels.
    Notification {
        /// Its channel.
        channel: &'a str,
        /// Its payload.
        payload: &'a str,
    },
    /// The periodic check ([`CHECK_EVERY`]): the callback may run a statement on the
    /// listener's connection (an error there counts as the connection lost).
    Check(&'a mut PgConnection),
    /// The connection failed or was lost; [`listen`] connects again after a second.
    Lost(&'a str),
}

/// Listens on PostgreSQL `channels` until `on` breaks: connects (application name
/// `edustats-listen`), runs `LISTEN` for each channel, polls for notifications every
/// [`WATCH_INTERVAL`], and reconnects after a failure. Blocking: run it on a thread of its
/// own. `on` is also called with [`ListenEvent::Check`] every [`CHECK_EVERY`] and between polls
/// is free to break (e.g. once whoever consumes the events is gone).
pub fn listen<F>(url: &str, channels: &[&str], mut on: F)
where
    F: FnMut(ListenEvent<'_>) -> ControlFlow<()>,
{
    loop {
        match listen_once(url, channels, &mut on) {
            Ok(ControlFlow::Break(())) => return,
            Ok(ControlFlow::Continue(())) => {}
            Err(e) => {
                if on(ListenEvent::Lost(&e)).is_break() {
                    return;
                }
            }
        }
        std::thread::sleep(RECONNECT_AFTER);
    }
}

/// One connection's life: `Err` with the cause when it ends by a failure.
fn listen_once<F>(url: &str, channels: &[&str], on: &mut F) -> Result<ControlFlow<()>, String>
where
    F: FnMut(ListenEvent<'_>) -> ControlFlow<()>,
{
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    let mut setup = String::from("SET application_name = 'edustats-listen';");
    for c in channels {
        // A channel is an identifier: quoted, so any name of ours is taken as it is.
        setup.push_str(&format!(" LISTEN \"{}\";", c.replace('"', "\"\"")));
    }
    conn.batch_execute(&setup).map_err(|e| e.to_string())?;
    if on(ListenEvent::Listening).is_break() {
        return Ok(ControlFlow::Break(()));
    }
    let mut checked = Instant::now();
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        for n in conn.notifications_iter() {
            let n = n.map_err(|e| e.to_string())?;
            let event = ListenEvent::Notification {
                channel: &n.channel,
                payload: &n.payload,
            };
            if on(event).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        if checked.elapsed() >= CHECK_EVERY {
            checked = Instant::now();
            if on(ListenEvent::Check(&mut conn)).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
}

/// Starts the watcher of `url` for `tracker` on a thread of its own; it ends once the tracker
/// is dropped.
pub(super) fn spawn(url: DatabaseUrl, tracker: Weak<Tracker>) {
    let name = "edustats-version-watch".to_string();
    let started = std::thread::Builder::new()
        .name(name)
        .spawn(move || match url {
            DatabaseUrl::Postgres { url, .. } => watch_postgres(&url, &tracker),
            DatabaseUrl::Sqlite { path } => watch_sqlite(&path, &tracker),
        });
    if let Err(e) = started {
        // Without a watcher the cache reads the version per request, as when it is lost.
        tracing::warn!(error = %e, "the data version watcher did not start; the response cache reads the version per request");
    }
}

fn watch_postgres(url: &str, tracker: &Weak<Tracker>) {
    let mut lost_logged = false;
    listen(url, &[CHANNEL], |event| {
        let Some(t) = tracker.upgrade() else {
            return ControlFlow::Break(());
        };
        match event {
            ListenEvent::Listening => {
                t.apply(Signal::Watching);
                tracing::info!(channel = CHANNEL, "data version listener connected; the response cache knows the version without a round trip");
                lost_logged = false;
            }
            ListenEvent::Notification { channel, payload } if channel == CHANNEL => {
                t.apply(match payload.parse() {
                    Ok(v) => Signal::Version(v),
                    Err(_) => Signal::Changed,
                });
            }
            ListenEvent::Notification { .. } => {}
            ListenEvent::Check(conn) => {
                let v = crate::db::schema::data_version::table
                    .select(crate::db::schema::data_version::version)
                    .first::<i64>(conn);
                match v {
                    Ok(v) => t.apply(Signal::Version(v)),
                    // The next poll finds the connection broken, or the next check tries again.
                    Err(e) => tracing::debug!(error = %e, "data version check failed"),
                }
            }
            ListenEvent::Lost(cause) => {
                let was = t.watched();
                t.apply(Signal::Lost);
                if was || !lost_logged {
                    tracing::warn!(cause, "data version listener lost; the response cache reads the version per request until it reconnects");
                    lost_logged = true;
                }
            }
        }
        ControlFlow::Continue(())
    });
}

/// `PRAGMA data_version`'s answer.
#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data_version: i64,
}

fn pragma(conn: &mut SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|d| d.data_version)
}

fn watch_sqlite(path: &str, tracker: &Weak<Tracker>) {
    let mut lost_logged = false;
    loop {
        let watched = SqliteConnection::establish(path)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                let mut last = pragma(&mut conn).map_err(|e| e.to_string())?;
                let Some(t) = tracker.upgrade() else {
                    return Ok(());
                };
                t.apply(Signal::Watching);
                lost_logged = false;
                drop(t);
                loop {
                    std::thread::sleep(WATCH_INTERVAL);
                    let Some(t) = tracker.upgrade() else {
                        return Ok(());
                    };
                    let now = pragma(&mut conn).map_err(|e| e.to_string())?;
                    if now != last {
                        last = now;
                        t.apply(Signal::Changed);
                    }
                }
            });
        let Some(t) = tracker.upgrade() else {
            return;
        };
        if let Err(cause) = watched {
            t.apply(Signal::Lost);
            if !lost_logged {
                tracing::warn!(cause, "data version watcher lost; the response cache reads the version per request until it is back");
                lost_logged = true;
            }
        } else {
            return;
        }
        drop(t);
        std::thread::sleep(RECONNECT_AFTER);
    }
}
