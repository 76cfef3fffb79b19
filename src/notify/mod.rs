//! Notifications: what the server tells about its writes once they have committed, to GraphQL
//! subscribers (`/graphql/ws`, [`crate::graphql::subscription`]) and to registered webhooks
//! ([`webhook`]).
//!
//! This module owns the events ([`Event`]: a report published, the figures of an indicator
//! changed, a correction made, each with what changed), the in-process channel that carries
//! them ([`Notifier`], a bounded `tokio::sync::broadcast`), and the read that describes a write's
//! figures ([`describe`]).
//!
//! Why events are built inside the write's transaction and sent after it: the description is
//! read in the same transaction as the write (so it is exactly what the write left, not what a
//! later write made of it), and it is only sent once `COMMIT` has returned; a write that rolls
//! back (validation, a conflict, a failure midway) returns an error and sends nothing. A dry
//! run sends nothing. `edustats import` runs in another process: on PostgreSQL its events reach
//! the servers through the database ([`relay`]); on SQLite they reach no server.
//!
//! A subscriber that falls behind never holds a writer: the channel keeps the last
//! [`CHANNEL_CAPACITY`] events, sending never waits, and a receiver that lags behind that is
//! told so (`SUBSCRIBER_LAGGED`) and dropped.
//!
//! The event structs derive async-graphql's `SimpleObject` and serde's `Serialize`, so a
//! subscription's payload and a webhook's body are one definition, not two kept in step by hand
//! (the same deliberate exception as `ingest/rows.rs`).

pub mod client;
pub mod deliver;
pub mod hmac;
pub mod relay;
pub mod webhook;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_graphql::SimpleObject;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::db::schema::{
    breakdowns, districts, indicators, observation_revisions, observations, periods, sources,
};
use crate::db::DbConnection;
use crate::ingest::rows::ImportReport;
use crate::observe::Metrics;

/// Events kept for receivers that have not read them yet; a receiver further behind is dropped.
pub const CHANNEL_CAPACITY: usize = 256;

/// One observation a write created or corrected, as it is after the write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct ChangedFigure {
    /// The observation's key.
    pub key: String,
    /// The indicator's code.
    pub indicator: String,
    /// The district's code.
    pub district: String,
    /// The period's code (e.g. `2024`).
    pub period: String,
    /// The breakdown's code (empty for the total).
    pub breakdown: String,
    /// The code of the source (report) the figure comes from.
    pub source: String,
    /// The figure as printed, after the write.
    pub value: String,
    /// The unit as printed, after the write.
    pub unit: String,
    /// The note after the write.
    pub note: Option<String>,
    /// The observation's revision after the write (1 for a new one).
    pub revision: i32,
    /// The figure as printed before a correction (null for a new observation).
    pub previous_value: Option<String>,
    /// The unit as printed before a correction.
    pub previous_unit: Option<String>,
    /// The note before a correction.
    pub previous_note: Option<String>,
}

/// A report was published: a source created by `importReport` or `publishDraft`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct ReportPublished {
    /// The source (report) code created.
    pub source: String,
    /// The draft published, when the report came through a review draft.
    pub draft: Option<i32>,
    /// Who wrote it (the API key's name).
    pub actor: String,
    /// When the write committed (RFC 3339, UTC).
    pub at: String,
    /// The observations the publication created or corrected.
    pub figures: Vec<ChangedFigure>,
}

/// The figures of one indicator changed (created or corrected).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct FiguresChanged {
    /// The indicator's code.
    pub indicator: String,
    /// Who wrote it.
    pub actor: String,
    /// When the write committed (RFC 3339, UTC).
    pub at: String,
    /// The indicator's observations the write created or corrected.
    pub figures: Vec<ChangedFigure>,
}

/// A correction was made: an observation got a new revision (the old one is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionMade {
    /// Who wrote it.
    pub actor: String,
    /// When the write committed (RFC 3339, UTC).
    pub at: String,
    /// The reason the writer gave.
    pub reason: Option<String>,
    /// The observation as corrected, with its previous figure, unit and note.
    pub figure: ChangedFigure,
}

/// What the server notifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A report was published.
    ReportPublished(ReportPublished),
    /// An indicator's figures changed.
    FiguresChanged(FiguresChanged),
    /// A correction was made (boxed: it is the largest by far, and events are moved around).
    CorrectionMade(Box<CorrectionMade>),
}

/// The kinds of [`Event`], as webhooks subscribe to them and as metrics label them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumString,
    strum::Display,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// [`Event::ReportPublished`].
    ReportPublished,
    /// [`Event::FiguresChanged`].
    FiguresChanged,
    /// [`Event::CorrectionMade`].
    CorrectionMade,
}

impl EventKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EventKind; 3] = [
        EventKind::ReportPublished,
        EventKind::FiguresChanged,
        EventKind::CorrectionMade,
    ];
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::ReportPublished(_) => EventKind::ReportPublished,
            Event::FiguresChanged(_) => EventKind::FiguresChanged,
            Event::CorrectionMade(_) => EventKind::CorrectionMade,
        }
    }
}

/// The sending end of the event channel (cheap to clone). The server has one; the schema holds
/// it (mutations send, subscriptions receive) and the webhook dispatcher receives from it.
#[derive(Clone)]
pub struct Notifier {
    sender: broadcast::Sender<Arc<Event>>,
    metrics: Metrics,
}

impl Notifier {
    /// A channel of [`CHANNEL_CAPACITY`] events; `metrics` counts what goes through it.
    pub fn new(metrics: Metrics) -> Notifier {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        Notifier { sender, metrics }
    }

    /// Sends events to every receiver. Never waits: a receiver that is behind loses the oldest
    /// events and learns it on its next read.
    pub fn send(&self, events: Vec<Event>) {
        for e in events {
            self.metrics.notification_sent(&e.kind().to_string());
            // An error only says that nobody listens right now.
            let _ = self.sender.send(Arc::new(e));
        }
    }

    /// A new receiver, which sees the events sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// The server's metrics (for the subscription gauges).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// What a write was, for its events.
#[derive(Debug, Clone, Default)]
pub struct Write {
    /// Who wrote.
    pub actor: String,
    /// The reason given (corrections).
    pub reason: Option<String>,
    /// The draft published, if the write published one.
    pub draft: Option<i32>,
}

/// The events of a committed write that `report` describes. Runs inside the write's
/// transaction, after the write (see the module doc); returns no event for a dry run or a
/// write that changed nothing.
pub fn events(
    conn: &mut DbConnection,
    report: &ImportReport,
    write: &Write,
) -> QueryResult<Vec<Event>> {
    if report.dry_run {
        return Ok(Vec::new());
    }
    let keys: Vec<&str> = report
        .created
        .iter()
        .chain(&report.corrected)
        .map(String::as_str)
        .collect();
    let figures = describe(conn, &keys)?;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut out = Vec::new();
    if let Some(source) = &report.source_created {
        out.push(Event::ReportPublished(ReportPublished {
            source: source.clone(),
            draft: write.draft,
            actor: write.actor.clone(),
            at: at.clone(),
            figures: figures.clone(),
        }));
    }
    let mut by_indicator: BTreeMap<&str, Vec<ChangedFigure>> = BTreeMap::new();
    for f in &figures {
        by_indicator
            .entry(f.indicator.as_str())
            .or_default()
            .push(f.clone());
    }
    for (indicator, figures) in by_indicator {
        out.push(Event::FiguresChanged(FiguresChanged {
            indicator: indicator.to_string(),
            actor: write.actor.clone(),
            at: at.clone(),
            figures,
        }));
    }
    for f in figures.iter().filter(|f| f.previous_value.is_some()) {
        out.push(Event::CorrectionMade(Box::new(CorrectionMade {
            actor: write.actor.clone(),
            at: at.clone(),
            reason: write.reason.clone(),
            figure: f.clone(),
        })));
    }
    Ok(out)
}

/// Keys per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const KEYS_PER_STATEMENT: usize = 500;

/// The observations with these keys as they are now, with the content of their latest earlier
/// revision (a corrected one), in the order of `keys`. Unknown keys are left out.
pub fn describe(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<Vec<ChangedFigure>> {
    type Row = (
        i32,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        i32,
    );
    let mut rows: Vec<Row> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        rows.extend(
            observations::table
                .inner_join(indicators::table)
                .inner_join(districts::table)
                .inner_join(periods::table)
                .inner_join(breakdowns::table)
                .inner_join(sources::table.on(sources::id.eq(observations::source_id)))
                .filter(observations::key.eq_any(chunk))
                .select((
                    observations::id,
                    observations::key,
                    indicators::code,
                    districts::code,
                    periods::code,
                    breakdowns::code,
                    sources::code,
                    observations::value_text,
                    observations::reported_unit,
                    observations::note,
                    observations::revision,
                ))
                .load::<Row>(conn)?,
        );
    }
    let ids: Vec<i32> = rows.iter().filter(|r| r.10 > 1).map(|r| r.0).collect();
    // The latest earlier revision of each corrected observation.
    let mut previous: HashMap<i32, (i32, String, String, Option<String>)> = HashMap::new();
    for chunk in ids.chunks(KEYS_PER_STATEMENT) {
        let earlier = observation_revisions::table
            .filter(observation_revisions::observation_id.eq_any(chunk))
            .select((
                observation_revisions::observation_id,
                observation_revisions::revision,
                observation_revisions::value_text,
                observation_revisions::reported_unit,
                observation_revisions::note,
            ))
            .load::<(i32, i32, String, String, Option<String>)>(conn)?;
        for (id, revision, value, unit, note) in earlier {
            let newer = previous.get(&id).is_none_or(|p| p.0 < revision);
            if newer {
                previous.insert(id, (revision, value, unit, note));
            }
        }
    }
    let mut by_key: HashMap<String, ChangedFigure> = rows
        .into_iter()
        .map(
            |(
                id,
                key,
                indicator,
                district,
                period,
                breakdown,
                source,
                value,
                unit,
                note,
                revision,
            )| {
                let before = previous.remove(&id);
                let figure = ChangedFigure {
                    key: key.clone(),
                    indicator,
                    district,
                    period,
                    breakdown,
                    source,
                    value,
                    unit,
                    note,
                    revision,
                    previous_value: before.as_ref().map(|b| b.1.clone()),
                    previous_unit: before.as_ref().map(|b| b.2.clone()),
                    previous_note: before.and_then(|b| b.3),
                };
                (key, figure)
            },
        )
        .collect();
    Ok(keys.iter().filter_map(|k| by_key.remove(*k)).collect())
}

/// Whether an indicator with this code exists (a subscription's argument is checked once, when
/// it starts).
pub fn indicator_exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    let n: i64 = indicators::table
        .filter(indicators::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether a district with this code exists.
pub fn district_exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    let n: i64 = districts::table
        .filter(districts::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
