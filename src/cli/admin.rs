//! The administrator's commands: API keys (`edustats keys`) and webhooks (`edustats webhooks`),
//! their arguments and their bodies.

use clap::Subcommand;
use edustats::auth::{self, AuthError, Expiry};
use edustats::config::DbArgs;
use edustats::domain::Role;
use edustats::notify::webhook::{self, WebhookError};

use super::{cli_actor, connect, refused};

#[derive(Debug, Subcommand)]
pub(crate) enum KeyAction {
    /// Create a key and print it once (only its hash is stored).
    ///
    /// Without `--expires-in` or `--expires-at` the key never expires.
    Create {
        /// Unique name; recorded as the actor of the key's writes.
        #[arg(long)]
        name: String,
        /// `editor` (imports and corrections) or `admin` (also the audit log).
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// List keys, with their expiry, last use and state.
    ///
    /// One line per key, tab-separated: name, role, prefix, when the current secret was issued,
    /// expiry, last use (to the minute) and state (active, expired or revoked).
    List,
    /// Give a key a new secret and print it once; the old secret stops working at once.
    ///
    /// The key keeps its name and role. Without an expiry option it keeps its lifetime (a
    /// 90-day key gets 90 days from now). An expired key can be rotated; a revoked one cannot.
    Rotate {
        /// The key's name.
        name: String,
        #[command(flatten)]
        expiry: ExpiryArgs,
        /// The new secret never expires.
        #[arg(long, conflicts_with_all = ["expires_in", "expires_at"])]
        no_expiry: bool,
    },
    /// Revoke a key by name.
    Revoke {
        /// The key's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookAction {
    /// Register a webhook and print its secret once (signs every delivery, HMAC-SHA256).
    Add {
        /// Unique name.
        #[arg(long)]
        name: String,
        /// Where deliveries are POSTed: an absolute http or https URL (https certificates are verified; see serve --webhook-ca-file).
        #[arg(long)]
        url: String,
        /// Events, comma-separated: report_published, figures_changed, correction_made, or all.
        #[arg(long)]
        events: String,
        /// The shared secret (at least 16 characters); default: a random one.
        #[arg(long, env = "EDUSTATS_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
    /// List webhooks: name, URL, events, state (active or removed), registered at, by.
    List,
    /// Remove a webhook: it receives nothing more; its deliveries stay in the log.
    Remove {
        /// The webhook's name.
        name: String,
    },
    /// The delivery log, newest first: id, webhook, event, status (pending, delivered,
    /// failed), attempts, last HTTP status, last error, created, updated.
    Deliveries {
        /// Only this webhook's deliveries.
        #[arg(long)]
        name: Option<String>,
        /// At most this many lines.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// When a key expires: after a lifetime or at an instant (not both). A bad value is refused
/// with exit code 2, saying what is wrong.
#[derive(Debug, clap::Args)]
pub(crate) struct ExpiryArgs {
    /// Expire this long after the secret is issued: a whole number and d (days), h (hours) or
    /// m (minutes), e.g. 90d.
    #[arg(long, value_name = "DURATION", value_parser = auth::parse_duration, conflicts_with = "expires_at")]
    expires_in: Option<chrono::TimeDelta>,
    /// Expire at this instant, in RFC 3339 (e.g. 2027-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = auth::parse_instant)]
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ExpiryArgs {
    /// The expiry asked for, if any.
    fn expiry(&self) -> Option<Expiry> {
        self.expires_in
            .map(Expiry::In)
            .or(self.expires_at.map(Expiry::At))
    }
}

pub(crate) fn cmd_keys(db: &DbArgs, action: KeyAction) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    // Refused (exit 2): a bad name or expiry, an unknown, duplicate or revoked key. Failures
    // (exit 1): the database, the system's randomness.
    let auth_failure = |e: AuthError| match e {
        AuthError::Db(e) => anyhow::Error::from(e),
        e @ AuthError::Random(_) => anyhow::Error::from(e),
        other => refused(other.to_string()),
    };
    match action {
        KeyAction::Create { name, role, expiry } => {
            let issued = auth::create_key_expiring(
                &mut conn,
                &name,
                role,
                expiry.expiry().unwrap_or(Expiry::Never),
                &cli_actor(),
            )
            .map_err(auth_failure)?;
            eprintln!(
                "created {role} key {name:?} ({}); it is shown only now:",
                expires_words(issued.expires_at.as_deref())
            );
            outln!("{}", issued.key);
        }
        KeyAction::List => {
            let now = chrono::Utc::now();
            for k in auth::list_keys(&mut conn)? {
                let state = match auth::key_state(&k, now) {
                    auth::KeyState::Revoked => {
                        format!("revoked {}", k.revoked_at.as_deref().unwrap_or_default())
                    }
                    other => other.to_string(),
                };
                outln!(
                    "{}\t{}\t{}…\tcreated {}\texpires {}\tlast used {}\t{}",
                    k.name,
                    k.role,
                    k.prefix,
                    k.created_at,
                    k.expires_at.as_deref().unwrap_or("never"),
                    k.last_used_at.as_deref().unwrap_or("never"),
                    state
                );
            }
        }
        KeyAction::Rotate {
            name,
            expiry,
            no_expiry,
        } => {
            let expiry = if no_expiry {
                Some(Expiry::Never)
            } else {
                expiry.expiry()
            };
            let issued =
                auth::rotate_key(&mut conn, &name, expiry, &cli_actor()).map_err(auth_failure)?;
            eprintln!(
                "rotated key {name:?} ({}); the old secret no longer works; the new one is \
                 shown only now:",
                expires_words(issued.expires_at.as_deref())
            );
            outln!("{}", issued.key);
        }
        KeyAction::Revoke { name } => {
            auth::revoke_key(&mut conn, &name, &cli_actor()).map_err(auth_failure)?;
            outln!("revoked {name:?}");
        }
    }
    Ok(())
}

pub(crate) fn cmd_webhooks(db: &DbArgs, action: WebhookAction) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    // Refused (exit 2): a bad name, URL, event list or secret, an unknown or duplicate name.
    // Failures (exit 1): the database, the system's randomness.
    let failure = |e: WebhookError| {
        if e.is_refusal() {
            refused(e.to_string())
        } else {
            anyhow::Error::from(e)
        }
    };
    match action {
        WebhookAction::Add {
            name,
            url,
            events,
            secret,
        } => {
            let kinds = webhook::parse_events(&events).map_err(failure)?;
            let secret = webhook::add(&mut conn, &name, &url, &kinds, secret, &cli_actor())
                .map_err(failure)?;
            eprintln!("registered webhook {name:?}; its secret is shown only now:");
            outln!("{secret}");
        }
        WebhookAction::List => {
            for w in webhook::list(&mut conn).map_err(failure)? {
                let events: Vec<String> = w.events.iter().map(ToString::to_string).collect();
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    w.name,
                    w.url,
                    events.join(","),
                    if w.active { "active" } else { "removed" },
                    w.created_at,
                    w.created_by
                );
            }
        }
        WebhookAction::Remove { name } => {
            webhook::remove(&mut conn, &name).map_err(failure)?;
            outln!("removed {name:?}");
        }
        WebhookAction::Deliveries { name, limit } => {
            for d in webhook::deliveries(&mut conn, name.as_deref(), limit).map_err(failure)? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.id,
                    d.webhook,
                    d.event,
                    d.status,
                    d.attempts,
                    d.last_status
                        .map_or_else(|| "-".to_string(), |s| s.to_string()),
                    d.last_error.as_deref().unwrap_or("-"),
                    d.created_at,
                    d.updated_at
                );
            }
        }
    }
    Ok(())
}

/// "expires T" or "never expires", for what the key commands print.
pub(crate) fn expires_words(expires_at: Option<&str>) -> String {
    expires_at.map_or_else(|| "never expires".to_string(), |t| format!("expires {t}"))
}
