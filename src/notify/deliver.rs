//! The webhook dispatcher: it receives every committed write's events from the
//! [`Notifier`] and delivers each to the active webhooks registered for it, a signed `POST`
//! per event and webhook with retries (the protocol is described in [`super::webhook`]).
//!
//! Deliveries run on tasks of their own, so a slow receiver delays only its own deliveries.
//! Their number is capped ([`DeliveryOptions::max_pending`], `--max-webhook-deliveries`): a
//! receiver that never answers keeps each of its deliveries pending for the whole retry
//! schedule, and without a cap a burst of writes would grow the tasks (and the memory of
//! their bodies) without bound. A delivery past the cap is written to the delivery log as
//! `failed` with zero attempts and the reason, counted as `dropped` in
//! `edustats_webhook_deliveries_total` and logged: refused, never silently lost.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use diesel::prelude::*;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;

use super::client::{self, Client};
use super::webhook::{
    sign, DeliveryStatus, WebhookError, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
};
use super::{Event, EventKind, Notifier};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now_utc, Db, DbConnection};
use crate::observe::Metrics;

/// Deliveries pending at once by default (`--max-webhook-deliveries`).
pub const DEFAULT_MAX_PENDING: usize = 1024;

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryOptions {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub first_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// Time limit of one attempt (connection, TLS handshake, request and answer head).
    pub timeout: Duration,
    /// Most deliveries pending at once, in their attempts or waiting for a retry (at least 1);
    /// one more is logged `failed` without an attempt (see the module doc).
    pub max_pending: usize,
}

impl Default for DeliveryOptions {
    /// 6 attempts over about half a minute (1 + 2 + 4 + 8 + 16 s of waits), 10 s each; at most
    /// [`DEFAULT_MAX_PENDING`] deliveries pending.
    fn default() -> Self {
        DeliveryOptions {
            attempts: 6,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

impl DeliveryOptions {
    /// The wait after failed attempt `n` (1-based).
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// An active registration, as the dispatcher needs it.
#[derive(Clone)]
struct Target {
    id: i32,
    name: String,
    url: String,
    secret: String,
}

/// Starts the dispatcher with a client that trusts the public roots only (see [`spawn_with`]).
pub fn spawn(db: Db, notifier: &Notifier, options: DeliveryOptions) -> tokio::task::JoinHandle<()> {
    match client::build(&client::TlsOptions::default()) {
        Ok(c) => spawn_with(db, notifier, options, c),
        Err(e) => {
            // Without an extra CA file nothing is read, so only a broken build gets here.
            tracing::error!(error = %e, "webhook client not built; webhooks are not delivered");
            tokio::spawn(async {})
        }
    }
}

/// Starts the dispatcher: it receives every event from `notifier` and delivers it to the active
/// webhooks registered for it through `client` (see the module doc). It runs until the notifier
/// is dropped. If it falls more than the channel's capacity behind, the events it missed are
/// not delivered (logged, and counted as `lost` in `edustats_webhook_deliveries_total`).
pub fn spawn_with(
    db: Db,
    notifier: &Notifier,
    options: DeliveryOptions,
    client: Client,
) -> tokio::task::JoinHandle<()> {
    let mut receiver = notifier.subscribe();
    let metrics = notifier.metrics().clone();
    let max_pending = options.max_pending.max(1);
    metrics.set_limit("max_webhook_deliveries", max_pending);
    let pending = Arc::new(Semaphore::new(max_pending));
    tokio::spawn(async move {
        loop {
            let event = match receiver.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "the webhook dispatcher fell behind; events were not delivered"
                    );
                    for _ in 0..missed {
                        metrics.webhook_delivery("lost");
                    }
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let kind = event.kind();
            let targets = db
                .run(move |c| targets(c, kind).map_err(WebhookError::from))
                .await;
            let targets = match targets {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(error = %e, event = %kind, "webhooks not read; the event is not delivered");
                    continue;
                }
            };
            for target in targets {
                let Ok(permit) = pending.clone().try_acquire_owned() else {
                    drop_delivery(&db, &metrics, &target, kind, max_pending).await;
                    continue;
                };
                let gauge = metrics.webhook_pending();
                let task = deliver(
                    db.clone(),
                    client.clone(),
                    target,
                    event.clone(),
                    options,
                    metrics.clone(),
                );
                tokio::spawn(async move {
                    task.await;
                    drop((permit, gauge));
                });
            }
        }
    })
}

/// Logs a delivery refused by the cap: `failed`, no attempt, the reason in `last_error`.
async fn drop_delivery(db: &Db, metrics: &Metrics, target: &Target, kind: EventKind, cap: usize) {
    metrics.webhook_delivery("dropped");
    let reason = format!(
        "dropped without an attempt: {cap} deliveries were already pending (max_webhook_deliveries)"
    );
    tracing::warn!(webhook = %target.name, event = %kind, cap, "webhook delivery dropped: too many pending");
    let webhook = target.id;
    let logged = db
        .run(move |c| {
            let id = start_delivery(c, webhook, kind)?;
            record_attempt(c, id, 0, DeliveryStatus::Failed, None, Some(reason))
                .map_err(WebhookError::from)
        })
        .await;
    if let Err(e) = logged {
        tracing::error!(error = %e, webhook = %target.name, "dropped delivery not logged");
    }
}

/// The active webhooks registered for `kind`.
fn targets(conn: &mut DbConnection, kind: EventKind) -> QueryResult<Vec<Target>> {
    let rows = webhooks::table
        .filter(webhooks::active.eq(1))
        .select((
            webhooks::id,
            webhooks::name,
            webhooks::url,
            webhooks::secret,
            webhooks::events,
        ))
        .load::<(i32, String, String, String, String)>(conn)?;
    let kind = kind.to_string();
    Ok(rows
        .into_iter()
        .filter(|r| r.4.split(',').any(|e| e == kind))
        .map(|(id, name, url, secret, _)| Target {
            id,
            name,
            url,
            secret,
        })
        .collect())
}

/// Logs a new delivery; returns its id.
fn start_delivery(conn: &mut DbConnection, webhook: i32, kind: EventKind) -> QueryResult<i32> {
    let now = now_utc();
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(webhook),
            webhook_deliveries::event.eq(kind.to_string()),
            webhook_deliveries::status.eq(DeliveryStatus::Pending.to_string()),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::created_at.eq(&now),
            webhook_deliveries::updated_at.eq(&now),
        ))
        .execute(conn)?;
    // No RETURNING through MultiConnection: the id the connection's last insert took (both
    // functions are per connection, so a concurrent insert elsewhere does not interfere).
    use diesel::sql_types::BigInt;
    let id: i64 = match conn {
        DbConnection::Sqlite(c) => {
            diesel::select(diesel::dsl::sql::<BigInt>("last_insert_rowid()")).get_result(c)?
        }
        DbConnection::Postgres(c) => {
            diesel::select(diesel::dsl::sql::<BigInt>("lastval()")).get_result(c)?
        }
    };
    i32::try_from(id).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// Records an attempt.
fn record_attempt(
    conn: &mut DbConnection,
    id: i32,
    attempts: i32,
    status: DeliveryStatus,
    last_status: Option<i32>,
    last_error: Option<String>,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::attempts.eq(attempts),
            webhook_deliveries::status.eq(status.to_string()),
            webhook_deliveries::last_status.eq(last_status),
            webhook_deliveries::last_error.eq(last_error),
            webhook_deliveries::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Delivers one event to one webhook, with retries (see the module doc).
async fn deliver(
    db: Db,
    client: Client,
    target: Target,
    event: Arc<Event>,
    options: DeliveryOptions,
    metrics: Metrics,
) {
    let kind = event.kind();
    let webhook = target.id;
    let id = match db
        .run(move |c| start_delivery(c, webhook, kind).map_err(WebhookError::from))
        .await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, webhook = %target.name, "delivery not logged; not sent");
            return;
        }
    };
    let body = match serde_json::to_value(&*event) {
        Ok(mut v) => {
            v["delivery"] = serde_json::json!(id);
            v["webhook"] = serde_json::json!(target.name);
            Bytes::from(v.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "event not serialised");
            return;
        }
    };
    let attempts = options.attempts.max(1);
    for n in 1..=attempts {
        let outcome = attempt(&client, &target, kind, id, &body, options.timeout).await;
        let (state, last_status, last_error) = match outcome {
            Ok(s) if (200..300).contains(&s) => (DeliveryStatus::Delivered, Some(s), None),
            Ok(s) => (
                DeliveryStatus::Pending,
                Some(s),
                Some(format!("the receiver answered HTTP {s}")),
            ),
            Err(e) => (DeliveryStatus::Pending, None, Some(e)),
        };
        let state = if state == DeliveryStatus::Pending && n == attempts {
            DeliveryStatus::Failed
        } else {
            state
        };
        metrics.webhook_delivery(match state {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Pending => "retry",
        });
        let tries = i32::try_from(n).unwrap_or(i32::MAX);
        let logged = db
            .run(move |c| {
                record_attempt(c, id, tries, state, last_status.map(i32::from), last_error)
                    .map_err(WebhookError::from)
            })
            .await;
        if let Err(e) = logged {
            tracing::error!(error = %e, delivery = id, "delivery attempt not logged");
        }
        if state != DeliveryStatus::Pending {
            return;
        }
        tokio::time::sleep(options.backoff(n)).await;
    }
}

/// One signed `POST`; the answer's status, or why there was none.
async fn attempt(
    client: &Client,
    target: &Target,
    kind: EventKind,
    id: i32,
    body: &Bytes,
    timeout: Duration,
) -> Result<u16, String> {
    let timestamp = chrono::Utc::now().timestamp();
    let request = hyper::Request::post(target.url.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "edustats-webhooks")
        .header(EVENT_HEADER, kind.to_string())
        .header(DELIVERY_HEADER, id.to_string())
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, sign(&target.secret, timestamp, body))
        .body(http_body_util::Full::new(body.clone()))
        .map_err(|e| format!("the request could not be built: {e}"))?;
    match tokio::time::timeout(timeout, client.request(request)).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(e)) => Err(client::explain(&e)),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}
