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
//! `http` and `https` URLs: certificates are verified against Mozilla's roots and, with
//! `--webhook-ca-file`, a private CA ([`super::client`]). The dispatcher and the attempts live
//! in [`super::deliver`]; at most [`DeliveryOptions::max_pending`] deliveries wait at once, and
//! one past that is logged `failed` without an attempt, never silently lost.
//!
//! [`DeliveryOptions::max_backoff`]: super::deliver::DeliveryOptions::max_backoff
//! [`DeliveryOptions::attempts`]: super::deliver::DeliveryOptions::attempts
//! [`DeliveryOptions::max_pending`]: super::deliver::DeliveryOptions::max_pending

use std::time::Duration;

use diesel::prelude::*;

use super::EventKind;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now_utc, DbConnection, DbError};

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
    /// The URL is not an absolute `http` or `https` URL.
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

/// Checks a webhook URL: absolute, `http` or `https`, with a host, no credentials in it.
pub fn validate_url(raw: &str) -> Result<url::Url, WebhookError> {
    let bad = |reason: &str| WebhookError::InvalidUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(bad(&format!(
                "the scheme must be http or https, not {other}"
            )))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_events_and_backoff() {
        assert!(validate_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(validate_url("https://hooks.example.org/edustats").is_ok());
        for bad in [
            "ftp://example.org/",
            "ws://example.org/",
            "file:///etc/passwd",
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
        let o = crate::notify::deliver::DeliveryOptions::default();
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
