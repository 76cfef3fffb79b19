//! Webhooks: the registrations an administrator makes (`edustats webhooks add|list|remove`),
//! the delivery of [`crate::notify`]'s events to them, and the delivery log
//! (`edustats webhooks deliveries`).
//!
//! A delivery is a `POST` of the event as JSON (`{"delivery", "webhook", "event", "data"}`,
//! `data` being the subscription's payload) with these headers:
//! - `x-edustats-event`: the event (`report_published`, `figures_changed`, `correction_made`);
//! - `x-edustats-delivery`: the delivery's id in the log (the same on every retry: a receiver
//!   that has seen it may drop it);
//! - `x-edustats-timestamp`: when this attempt was signed, in Unix seconds;
//! - `x-edustats-signature`: `sha256=` and the hex HMAC-SHA256, under the webhook's secret, of
//!   the timestamp, a `.`, and the body. A receiver checks it ([`verify`]) and refuses a
//!   timestamp more than [`REPLAY_WINDOW`] away from its clock, so a captured request cannot be
//!   replayed later.
//!
//! Any 2xx answer is a delivery; anything else (another status, no answer within the timeout,
//! no connection) is retried after 1, 2, 4 … seconds (doubling, at most
//! [`DeliveryOptions::max_backoff`]), [`DeliveryOptions::attempts`] times in all, then the
//! delivery is `failed`. Every attempt updates the log. Deliveries run on their own tasks: a
//! slow receiver delays only its own deliveries, never a write or another webhook.
//!
//! Plain `http` URLs only: this build has no TLS client. A receiver outside the host is reached
//! through a local TLS-terminating proxy, or over a private network.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use diesel::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use super::{Event, EventKind, Notifier};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now_utc, Db, DbConnection, DbError};
use crate::observe::Metrics;

/// How far a delivery's timestamp may be from the receiver's clock (see the module doc).
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-edustats-signature";
/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-edustats-timestamp";
/// The event header.
pub const EVENT_HEADER: &str = "x-edustats-event";
/// The delivery id header.
pub const DELIVERY_HEADER: &str = "x-edustats-delivery";

/// Shortest secret accepted when the administrator gives one.
pub const MIN_SECRET_CHARS: usize = 16;

/// Errors of webhook management and delivery.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not an absolute `http` URL.
    #[error("invalid webhook URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An event name that does not exist.
    #[error("unknown event {0:?}: use report_published, figures_changed, correction_made or all")]
    UnknownEvent(String),
    /// No event given.
    #[error("give at least one event (report_published, figures_changed, correction_made or all)")]
    NoEvents,
    /// Bad name.
    #[error("invalid webhook name {0:?}: use 1-64 letters, digits, '-', '_' or '.'")]
    InvalidName(String),
    /// A secret too short to sign with.
    #[error("the secret must be at least {MIN_SECRET_CHARS} characters (or leave it out: one is generated)")]
    WeakSecret,
    /// A webhook with that name exists.
    #[error("a webhook named {0:?} already exists")]
    Duplicate(String),
    /// No active webhook with that name.
    #[error("no active webhook named {0:?}")]
    Unknown(String),
    /// Randomness unavailable.
    #[error("cannot generate a secret: {0}")]
    Random(String),
    /// The pool.
    #[error(transparent)]
    Pool(#[from] DbError),
    /// Database.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl WebhookError {
    /// Whether the error is the caller's input (refused, exit code 2) rather than a failure.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            WebhookError::Random(_) | WebhookError::Pool(_) | WebhookError::Db(_)
        )
    }
}

/// The state of a delivery in the log.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::Display, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet; retries remain.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// Every state (the CHECK list of `webhook_deliveries.status`).
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];
}

/// A registration, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its name.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// The events it receives.
    pub events: Vec<EventKind>,
    /// False once removed.
    pub active: bool,
    /// When it was registered.
    pub created_at: String,
    /// Who registered it.
    pub created_by: String,
}

/// One delivery in the log (loaded as selected in [`deliveries`], field by field).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Delivery {
    /// Its id (the `x-edustats-delivery` header).
    pub id: i32,
    /// The webhook's name.
    pub webhook: String,
    /// The event.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the event was taken for delivery.
    pub created_at: String,
    /// When the log entry last changed.
    pub updated_at: String,
}

/// Parses `report_published,correction_made` (or `all`) into event kinds, without repeats.
pub fn parse_events(list: &str) -> Result<Vec<EventKind>, WebhookError> {
    let mut out: Vec<EventKind> = Vec::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if word == "all" {
            return Ok(EventKind::ALL.to_vec());
        }
        let kind: EventKind = word
            .parse()
            .map_err(|_| WebhookError::UnknownEvent(word.to_string()))?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    out.sort();
    Ok(out)
}

/// Checks a webhook URL: absolute, `http`, with a host, no credentials in it.
pub fn validate_url(raw: &str) -> Result<url::Url, WebhookError> {
    let bad = |reason: &str| WebhookError::InvalidUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(bad(
                "this build has no TLS client: use an http URL (a local TLS-terminating proxy reaches an https receiver)",
            ))
        }
        other => return Err(bad(&format!("the scheme must be http, not {other}"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials in the URL are not allowed: the signature authenticates the sender",
        ));
    }
    Ok(url)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn events_text(events: &[EventKind]) -> String {
    events
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Registers a webhook and returns its secret (generated when `secret` is `None`).
pub fn add(
    conn: &mut DbConnection,
    name: &str,
    url: &str,
    events: &[EventKind],
    secret: Option<String>,
    actor: &str,
) -> Result<String, WebhookError> {
    if !valid_name(name) {
        return Err(WebhookError::InvalidName(name.to_string()));
    }
    let url = validate_url(url)?;
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    let secret = match secret {
        Some(s) if s.chars().count() < MIN_SECRET_CHARS => return Err(WebhookError::WeakSecret),
        Some(s) => s,
        None => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| WebhookError::Random(e.to_string()))?;
            format!("whsec_{}", hex::encode(bytes))
        }
    };
    crate::db::conn::write_transaction::<_, WebhookError, _>(conn, |conn| {
        let taken: i64 = webhooks::table
            .filter(webhooks::name.eq(name))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(WebhookError::Duplicate(name.to_string()));
        }
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::name.eq(name),
                webhooks::url.eq(url.as_str()),
                webhooks::events.eq(events_text(events)),
                webhooks::secret.eq(&secret),
                webhooks::active.eq(1),
                webhooks::created_at.eq(now_utc()),
                webhooks::created_by.eq(actor),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(secret)
}

/// Every registration, removed ones included, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Webhook>, WebhookError> {
    let rows = webhooks::table
        .order(webhooks::name)
        .select((
            webhooks::name,
            webhooks::url,
            webhooks::events,
            webhooks::active,
            webhooks::created_at,
            webhooks::created_by,
        ))
        .load::<(String, String, String, i32, String, String)>(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(name, url, events, active, created_at, created_by)| Webhook {
                name,
                url,
                // The stored list was written by `add`; a word it cannot have written is skipped.
                events: events.split(',').filter_map(|e| e.parse().ok()).collect(),
                active: active == 1,
                created_at,
                created_by,
            },
        )
        .collect())
}

/// Removes a webhook: it receives nothing from now on; its deliveries stay in the log.
pub fn remove(conn: &mut DbConnection, name: &str) -> Result<(), WebhookError> {
    let n = diesel::update(
        webhooks::table
            .filter(webhooks::name.eq(name))
            .filter(webhooks::active.eq(1)),
    )
    .set(webhooks::active.eq(0))
    .execute(conn)?;
    if n == 0 {
        return Err(WebhookError::Unknown(name.to_string()));
    }
    Ok(())
}

/// The latest `limit` deliveries (of one webhook, if named), newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    name: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, WebhookError> {
    if let Some(n) = name {
        let known: i64 = webhooks::table
            .filter(webhooks::name.eq(n))
            .count()
            .get_result(conn)?;
        if known == 0 {
            return Err(WebhookError::Unknown(n.to_string()));
        }
    }
    let mut q = webhook_deliveries::table
        .inner_join(webhooks::table)
        .order(webhook_deliveries::id.desc())
        .limit(limit.max(0))
        .select((
            webhook_deliveries::id,
            webhooks::name,
            webhook_deliveries::event,
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::last_status,
            webhook_deliveries::last_error,
            webhook_deliveries::created_at,
            webhook_deliveries::updated_at,
        ))
        .into_boxed();
    if let Some(n) = name {
        q = q.filter(webhooks::name.eq(n.to_string()));
    }
    Ok(q.load::<Delivery>(conn)?)
}

/// The `x-edustats-signature` value of `body` signed at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "sha256={}",
        hex::encode(super::hmac::hmac_sha256(secret.as_bytes(), &message))
    )
}

/// What a receiver checks: the signature header is [`sign`]'s for this body and timestamp, and
/// the timestamp is within [`REPLAY_WINDOW`] of `now` (Unix seconds).
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    let window = i64::try_from(REPLAY_WINDOW.as_secs()).unwrap_or(i64::MAX);
    if (now - ts).abs() > window {
        return false;
    }
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let mut message = format!("{ts}.").into_bytes();
    message.extend_from_slice(body);
    super::hmac::verify(secret.as_bytes(), &message, hex_sig)
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryOptions {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub first_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// Time limit of one attempt (connection, request and answer head).
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    /// 6 attempts over about half a minute (1 + 2 + 4 + 8 + 16 s of waits), 10 s each.
    fn default() -> Self {
        DeliveryOptions {
            attempts: 6,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
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

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<Bytes>,
>;

/// Starts the dispatcher: it receives every event from `notifier` and delivers it to the active
/// webhooks registered for it, each delivery on a task of its own (see the module doc). It
/// runs until the notifier is dropped. If it falls more than the channel's capacity behind,
/// the events it missed are not delivered (logged, and counted as `lost` in
/// `edustats_webhook_deliveries_total`).
pub fn spawn(db: Db, notifier: &Notifier, options: DeliveryOptions) -> tokio::task::JoinHandle<()> {
    let mut receiver = notifier.subscribe();
    let metrics = notifier.metrics().clone();
    tokio::spawn(async move {
        let client: Client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
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
                tokio::spawn(deliver(
                    db.clone(),
                    client.clone(),
                    target,
                    event.clone(),
                    options,
                    metrics.clone(),
                ));
            }
        }
    })
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
        Ok(Err(e)) => {
            // hyper's own message is terse ("client error (Connect)"): the causes say why.
            let mut why = format!("no answer: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                why.push_str(&format!(": {c}"));
                cause = c.source();
            }
            Err(why)
        }
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_events_and_backoff() {
        assert!(validate_url("http://127.0.0.1:8080/hook").is_ok());
        for bad in [
            "ftp://example.org/",
            "https://example.org/",
            "not a url",
            "http://user:pw@example.org/",
        ] {
            assert!(
                matches!(validate_url(bad), Err(WebhookError::InvalidUrl { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            parse_events("correction_made, report_published,correction_made").ok(),
            Some(vec![EventKind::ReportPublished, EventKind::CorrectionMade])
        );
        assert_eq!(parse_events("all").ok(), Some(EventKind::ALL.to_vec()));
        assert!(matches!(
            parse_events("published"),
            Err(WebhookError::UnknownEvent(_))
        ));
        assert!(matches!(parse_events(" , "), Err(WebhookError::NoEvents)));
        let o = DeliveryOptions::default();
        assert_eq!(o.backoff(1), Duration::from_secs(1));
        assert_eq!(o.backoff(4), Duration::from_secs(8));
        assert_eq!(o.backoff(40), Duration::from_secs(300));
    }

    #[test]
    fn a_signature_verifies_only_within_the_window_and_for_its_body() {
        let body = br#"{"event":"report_published"}"#;
        let sig = sign("whsec_test_secret_0000", 1_700_000_000, body);
        assert!(verify(
            "whsec_test_secret_0000",
            "1700000000",
            &sig,
            body,
            1_700_000_100
        ));
        assert!(!verify(
            "whsec_test_secret_0000",
            "1700000000",
            &sig,
            body,
            1_700_000_400
        ));
        assert!(!verify(
            "whsec_test_secret_0000",
            "1700000001",
            &sig,
            body,
            1_700_000_001
        ));
        assert!(!verify(
            "other_secret_000000",
            "1700000000",
            &sig,
            body,
            1_700_000_000
        ));
        assert!(!verify(
            "whsec_test_secret_0000",
            "1700000000",
            &sig,
            b"{}",
            1_700_000_000
        ));
    }
}
