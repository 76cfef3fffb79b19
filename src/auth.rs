//! API keys and roles. Reads are open; every mutation requires `Authorization: Bearer <key>`
//! with a sufficient role. A key is shown once at creation; only its SHA-256 is stored (keys
//! are 256 random bits, so a fast hash is enough: there is nothing to brute-force).
//!
//! A key may expire ([`Expiry`]): past that instant it is refused as `UNAUTHENTICATED` with a
//! message saying so. [`rotate_key`] gives a key a new secret (same name and role; the old
//! secret stops working at once). Each key records when it last authenticated, to the minute
//! ([`authenticate`]).

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::{ApiKey, AuditEntry};
use crate::db::schema::{api_keys, audit_log};
use crate::db::{format_utc, now_utc, DbConnection};

use crate::domain::AuditAction;
pub use crate::domain::Role;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's name: recorded as the actor of its writes.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The bearer token a request carried, if any (put in the GraphQL request data by the HTTP
/// handler; checked only by resolvers that need it).
#[derive(Debug, Clone, Default)]
pub struct Credentials(pub Option<String>);

/// Errors of key management.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A key with that name exists.
    #[error("a key named {0:?} already exists")]
    Duplicate(String),
    /// No key with that name.
    #[error("no key named {0:?}")]
    Unknown(String),
    /// The key was revoked: it cannot be rotated (create a new key instead).
    #[error("key {0:?} is revoked; create a new key instead")]
    Revoked(String),
    /// The expiry asked for is not in the future.
    #[error("the expiry {0} has already passed; give a time in the future")]
    ExpiryPassed(String),
    /// The expiry asked for is too far away to represent.
    #[error("the expiry is too far in the future")]
    ExpiryOutOfRange,
    /// The presented key is right but past its expiry (a client error: `UNAUTHENTICATED`).
    #[error(
        "API key {name:?} expired at {at}; an administrator can issue it a new secret \
         with `edustats keys rotate {name}`"
    )]
    Expired {
        /// The key's name.
        name: String,
        /// When it expired (stored format).
        at: String,
    },
    /// Bad name.
    #[error("invalid key name {0:?}: use 1-64 letters, digits, '-', '_' or '.'")]
    InvalidName(String),
    /// Randomness unavailable.
    #[error("cannot generate a key: {0}")]
    Random(String),
    /// Database.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Length of a key's public prefix (`esk_` and 8 hex digits), stored to find the key.
const PREFIX_LEN: usize = 12;

/// A key's last use is recorded at most this often: most requests then only read the key,
/// and a busy client does not turn every read into a write.
pub const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// The longest lifetime [`parse_duration`] accepts (100 years): anything longer is a typo, and
/// this keeps the expiry well inside what the time type represents.
const MAX_LIFETIME_DAYS: i64 = 36_500;

/// When a key stops authenticating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Never.
    Never,
    /// This long after its secret is issued (`--expires-in 90d`).
    In(TimeDelta),
    /// At this instant (`--expires-at 2027-01-31T00:00:00Z`).
    At(DateTime<Utc>),
}

impl Expiry {
    /// The instant, for a secret issued at `now`; `None`: never. An instant that is not after
    /// `now` is refused (such a key would be dead on arrival).
    fn resolve(self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, AuthError> {
        let at = match self {
            Expiry::Never => return Ok(None),
            Expiry::In(d) => now
                .checked_add_signed(d)
                .ok_or(AuthError::ExpiryOutOfRange)?,
            Expiry::At(t) => t,
        };
        if at <= now {
            return Err(AuthError::ExpiryPassed(format_utc(at)));
        }
        Ok(Some(at))
    }
}

/// A duration or instant on the command line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was given.
    #[error("empty duration: give a whole number and a unit, e.g. 90d, 12h or 30m")]
    Empty,
    /// It does not start with a whole number.
    #[error("{0:?} does not start with a whole number: write e.g. 90d, 12h or 30m")]
    NoNumber(String),
    /// A number without a unit.
    #[error("{0:?} has no unit: add d (days), h (hours) or m (minutes), e.g. {0}d")]
    NoUnit(String),
    /// A unit that is not d, h or m.
    #[error("unknown unit {unit:?} in {input:?}: use d (days), h (hours) or m (minutes)")]
    UnknownUnit {
        /// The whole input.
        input: String,
        /// What followed the number.
        unit: String,
    },
    /// Zero: a key that expires as it is issued.
    #[error("{0:?} is zero: a key's lifetime must be longer than that")]
    Zero(String),
    /// Longer than [`MAX_LIFETIME_DAYS`].
    #[error("{0:?} is too long: at most {MAX_LIFETIME_DAYS}d (100 years)")]
    TooLong(String),
    /// Not an RFC 3339 instant.
    #[error("{input:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {reason}")]
    NotAnInstant {
        /// The input.
        input: String,
        /// The parser's reason.
        reason: String,
    },
}

/// Parses a key lifetime: a whole number and one unit, `d` (days), `h` (hours) or `m`
/// (minutes), e.g. `90d`. One unit only, so that there is one spelling per lifetime.
pub fn parse_duration(s: &str) -> Result<TimeDelta, DurationError> {
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    if digits.is_empty() {
        return Err(DurationError::NoNumber(s.to_string()));
    }
    let minutes_per_unit: i64 = match unit {
        "" => return Err(DurationError::NoUnit(s.to_string())),
        "d" => 24 * 60,
        "h" => 60,
        "m" => 1,
        other => {
            return Err(DurationError::UnknownUnit {
                input: s.to_string(),
                unit: other.to_string(),
            })
        }
    };
    // Only digits, so a parse failure is an overflow: too long either way.
    let n: i64 = digits
        .parse()
        .map_err(|_| DurationError::TooLong(s.to_string()))?;
    if n == 0 {
        return Err(DurationError::Zero(s.to_string()));
    }
    let minutes = n
        .checked_mul(minutes_per_unit)
        .filter(|m| *m <= MAX_LIFETIME_DAYS * 24 * 60)
        .ok_or_else(|| DurationError::TooLong(s.to_string()))?;
    Ok(TimeDelta::minutes(minutes))
}

/// Parses an instant in RFC 3339 (`2027-01-31T00:00:00Z`, or with an offset), as UTC.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, DurationError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DurationError::NotAnInstant {
            input: s.to_string(),
            reason: e.to_string(),
        })
}

/// Where a key stands, as `keys list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum KeyState {
    /// It authenticates.
    Active,
    /// Past its expiry (rotate it to use it again).
    Expired,
    /// Revoked (for good).
    Revoked,
}

/// The state of `key` at `now`. Revocation wins over expiry: it is final.
pub fn key_state(key: &ApiKey, now: DateTime<Utc>) -> KeyState {
    if key.revoked_at.is_some() {
        KeyState::Revoked
    } else if key
        .expires_at
        .as_deref()
        .is_some_and(|t| t <= format_utc(now).as_str())
    {
        KeyState::Expired
    } else {
        KeyState::Active
    }
}

/// A newly issued secret: shown once, never stored.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// The key, to hand to its holder.
    pub key: String,
    /// When it expires (stored format); `None`: never.
    pub expires_at: Option<String>,
}

/// 256 random bits as a key, and its public prefix.
fn new_secret() -> Result<(String, String), AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    let key = format!("esk_{}", hex::encode(bytes));
    let prefix = key[..PREFIX_LEN].to_string();
    Ok((key, prefix))
}

/// SHA-256 of a key, hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Records an entry in the audit log.
pub fn audit(
    conn: &mut DbConnection,
    actor: &str,
    action: AuditAction,
    detail: &str,
    rows: usize,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now_utc()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action.as_str()),
            audit_log::detail.eq(detail),
            audit_log::row_count.eq(i32::try_from(rows).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates a key that never expires and returns it (the only time it is visible). Audited.
pub fn create_key(
    conn: &mut DbConnection,
    name: &str,
    role: Role,
    actor: &str,
) -> Result<String, AuthError> {
    create_key_expiring(conn, name, role, Expiry::Never, actor).map(|k| k.key)
}

/// Creates a key with an expiry and returns it (the only time it is visible). Audited. An
/// expiry that is not in the future is refused.
pub fn create_key_expiring(
    conn: &mut DbConnection,
    name: &str,
    role: Role,
    expiry: Expiry,
    actor: &str,
) -> Result<IssuedKey, AuthError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        return Err(AuthError::InvalidName(name.to_string()));
    }
    let now = Utc::now();
    let expires_at = expiry.resolve(now)?.map(format_utc);
    let (key, prefix) = new_secret()?;
    crate::db::conn::write_transaction::<_, AuthError, _>(conn, |conn| {
        let exists: i64 = api_keys::table
            .filter(api_keys::name.eq(name))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(AuthError::Duplicate(name.to_string()));
        }
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::name.eq(name),
                api_keys::role.eq(role.as_str()),
                api_keys::key_hash.eq(hash_key(&key)),
                api_keys::prefix.eq(&prefix),
                api_keys::created_at.eq(format_utc(now)),
                api_keys::expires_at.eq(&expires_at),
            ))
            .execute(conn)?;
        audit(
            conn,
            actor,
            AuditAction::KeyCreate,
            &format!(
                "created {} key {name:?}, {}",
                role.as_str(),
                expiry_words(expires_at.as_deref())
            ),
            1,
        )?;
        Ok(())
    })?;
    Ok(IssuedKey { key, expires_at })
}

/// "expires T" or "no expiry", for the audit log.
fn expiry_words(expires_at: Option<&str>) -> String {
    expires_at.map_or_else(|| "no expiry".to_string(), |t| format!("expires {t}"))
}

/// Gives a live key a new secret: same name and role; the old secret stops working when this
/// commits (no grace period: a leaked secret is dead at once). The holder needs the new key,
/// returned here and never stored. Audited. An expired key may be rotated (that is how it is
/// brought back); a revoked one may not.
///
/// `expiry`: `None` keeps the key's lifetime (a key issued for 90 days gets 90 days from now;
/// a key without expiry keeps none); `Some` sets a new one. The key's `created_at` becomes now
/// (it is the current secret's issue time) and its last use is cleared.
pub fn rotate_key(
    conn: &mut DbConnection,
    name: &str,
    expiry: Option<Expiry>,
    actor: &str,
) -> Result<IssuedKey, AuthError> {
    let (key, prefix) = new_secret()?;
    crate::db::conn::write_transaction::<_, AuthError, _>(conn, |conn| {
        let old: ApiKey = api_keys::table
            .filter(api_keys::name.eq(name))
            .select(ApiKey::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AuthError::Unknown(name.to_string()))?;
        if old.revoked_at.is_some() {
            return Err(AuthError::Revoked(name.to_string()));
        }
        let now = Utc::now();
        let expiry = match expiry {
            Some(e) => e,
            None => lifetime(&old).map_or(Expiry::Never, Expiry::In),
        };
        let expires_at = expiry.resolve(now)?.map(format_utc);
        // `revoked_at IS NULL` again: a revocation committed since the read above wins.
        let n = diesel::update(
            api_keys::table
                .filter(api_keys::id.eq(old.id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set((
            api_keys::key_hash.eq(hash_key(&key)),
            api_keys::prefix.eq(&prefix),
            api_keys::created_at.eq(format_utc(now)),
            api_keys::expires_at.eq(&expires_at),
            api_keys::last_used_at.eq(None::<String>),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AuthError::Revoked(name.to_string()));
        }
        audit(
            conn,
            actor,
            AuditAction::KeyRotate,
            &format!(
                "rotated {} key {name:?} (new prefix {prefix}), {}",
                old.role.as_str(),
                expiry_words(expires_at.as_deref())
            ),
            1,
        )?;
        Ok(IssuedKey { key, expires_at })
    })
}

/// How long a key's secret was issued for (expiry minus issue time), when it has an expiry and
/// both times read back.
fn lifetime(key: &ApiKey) -> Option<TimeDelta> {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok();
    let issued = parse(&key.created_at)?;
    let expires = parse(key.expires_at.as_deref()?)?;
    Some(expires.signed_duration_since(issued)).filter(|d| *d > TimeDelta::zero())
}

/// Every key (hashes included, never the keys).
pub fn list_keys(conn: &mut DbConnection) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .select(ApiKey::as_select())
        .order(api_keys::name.asc())
        .load(conn)
}

/// Revokes a key by name. Audited. Revoking twice is an error naming the key.
pub fn revoke_key(conn: &mut DbConnection, name: &str, actor: &str) -> Result<(), AuthError> {
    crate::db::conn::write_transaction::<_, AuthError, _>(conn, |conn| {
        let n = diesel::update(
            api_keys::table
                .filter(api_keys::name.eq(name))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(now_utc()))
        .execute(conn)?;
        if n == 0 {
            return Err(AuthError::Unknown(name.to_string()));
        }
        audit(
            conn,
            actor,
            AuditAction::KeyRevoke,
            &format!("revoked key {name:?}"),
            1,
        )?;
        Ok(())
    })
}

/// The principal of a live key: not revoked, not expired. `Ok(None)`: no such key (unknown,
/// forged or revoked: one answer for all, so a caller learns nothing about other keys);
/// [`AuthError::Expired`]: the right secret of a key past its expiry (its holder is told so).
///
/// A key that authenticates has its last use recorded ([`LAST_USED_RESOLUTION`]); that write
/// is one short statement, skipped when the recorded use is recent, and its failure is logged,
/// never the request's. Call it on the primary (a replica refuses the write) and outside a
/// transaction (on PostgreSQL a failed statement would abort the caller's transaction).
///
/// Timing: the lookup is by the key's printed prefix (`esk_` and 8 hex digits, shown by
/// `keys list`, not a secret), and the SHA-256 of the presented key is compared with each
/// candidate's stored hash in constant time ([`subtle`]), so the time taken says nothing about
/// how much of a stored hash a guess matched. (Comparing hashes, not keys, already leaks
/// nothing useful about a key; the constant-time comparison makes that independent of the
/// database's string comparison.)
pub fn authenticate(conn: &mut DbConnection, key: &str) -> Result<Option<Principal>, AuthError> {
    authenticate_at(conn, key, Utc::now())
}

/// [`authenticate`] as of `now` (tests move the clock to see expiry and the last-use rule).
pub fn authenticate_at(
    conn: &mut DbConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, AuthError> {
    use subtle::ConstantTimeEq;
    let Some(prefix) = key.get(..PREFIX_LEN) else {
        return Ok(None);
    };
    let candidates: Vec<ApiKey> = api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .load(conn)?;
    let presented = hash_key(key);
    // Every candidate is compared (no early exit), so the time depends only on their number.
    let mut found = None;
    for k in candidates {
        if bool::from(presented.as_bytes().ct_eq(k.key_hash.as_bytes())) {
            found = Some(k);
        }
    }
    let Some(k) = found else {
        return Ok(None);
    };
    let now_text = format_utc(now);
    if let Some(at) = k.expires_at.filter(|t| t.as_str() <= now_text.as_str()) {
        return Err(AuthError::Expired { name: k.name, at });
    }
    record_use(conn, k.id, &k.name, k.last_used_at.as_deref(), now);
    Ok(Some(Principal {
        name: k.name,
        role: k.role,
    }))
}

/// Records that key `id` authenticated at `now`, unless its recorded use is more recent than
/// [`LAST_USED_RESOLUTION`]. Checked here first, so that most authentications write nothing;
/// the same condition in the `UPDATE` keeps concurrent requests from writing it twice. A single
/// autocommit statement: on SQLite it holds the write lock for microseconds, and a concurrent
/// writer waits (busy timeout) rather than fails. A failure is logged and otherwise ignored:
/// the bookkeeping must never refuse a valid key.
fn record_use(
    conn: &mut DbConnection,
    id: i32,
    name: &str,
    last_used_at: Option<&str>,
    now: DateTime<Utc>,
) {
    let Some(cutoff) = now.checked_sub_signed(LAST_USED_RESOLUTION) else {
        return;
    };
    let cutoff = format_utc(cutoff);
    if last_used_at.is_some_and(|t| t >= cutoff.as_str()) {
        return;
    }
    let written = diesel::update(
        api_keys::table.filter(api_keys::id.eq(id)).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(&cutoff)),
        ),
    )
    .set(api_keys::last_used_at.eq(format_utc(now)))
    .execute(conn);
    if let Err(e) = written {
        tracing::warn!(key = name, error = %e, "could not record the API key's last use");
    }
}

/// The newest audit entries first.
pub fn audit_entries(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<AuditEntry>> {
    audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_hashes() {
        assert_eq!(Role::parse("editor"), Ok(Role::Editor));
        assert_eq!(Role::parse("admin"), Ok(Role::Admin));
        assert!(Role::parse("root").is_err());
        assert!(Role::Admin > Role::Editor);
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn durations_take_one_unit_of_days_hours_or_minutes() {
        assert_eq!(parse_duration("90d"), Ok(TimeDelta::days(90)));
        assert_eq!(parse_duration("12h"), Ok(TimeDelta::hours(12)));
        assert_eq!(parse_duration("30m"), Ok(TimeDelta::minutes(30)));
        assert_eq!(parse_duration("007d"), Ok(TimeDelta::days(7)));
        assert_eq!(parse_duration("36500d"), Ok(TimeDelta::days(36_500)));
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        let err = |s: &str| parse_duration(s).expect_err(s).to_string();
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        for s in ["d", "-5d", " 5d"] {
            assert!(
                matches!(parse_duration(s), Err(DurationError::NoNumber(_))),
                "{s}"
            );
        }
        assert_eq!(
            err("90"),
            "\"90\" has no unit: add d (days), h (hours) or m (minutes), e.g. 90d"
        );
        assert_eq!(
            err("90x"),
            "unknown unit \"x\" in \"90x\": use d (days), h (hours) or m (minutes)"
        );
        // Seconds, weeks, spaces, upper case, fractions and combinations are not spellings.
        for s in ["90s", "2w", "90 d", "90D", "1.5d", "1d12h", "5d "] {
            assert!(
                matches!(parse_duration(s), Err(DurationError::UnknownUnit { .. })),
                "{s}"
            );
        }
        for s in ["0d", "0m"] {
            assert!(
                matches!(parse_duration(s), Err(DurationError::Zero(_))),
                "{s}"
            );
        }
        for s in ["36501d", "99999999999999999999999m", "9223372036854775807d"] {
            assert!(
                matches!(parse_duration(s), Err(DurationError::TooLong(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn instants_are_rfc_3339_read_as_utc() {
        let t = parse_instant("2027-01-31T08:00:00+08:00").expect("instant");
        assert_eq!(format_utc(t), "2027-01-31T00:00:00.000000Z");
        for bad in ["2027-01-31", "tomorrow", "2027-01-31 00:00:00", ""] {
            assert!(
                matches!(parse_instant(bad), Err(DurationError::NotAnInstant { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_expiry_must_be_in_the_future() {
        let now = parse_instant("2026-06-01T00:00:00Z").expect("now");
        assert_eq!(Expiry::Never.resolve(now).ok(), Some(None));
        assert_eq!(
            Expiry::In(TimeDelta::days(1)).resolve(now).ok().flatten(),
            parse_instant("2026-06-02T00:00:00Z").ok()
        );
        assert!(matches!(
            Expiry::At(now).resolve(now),
            Err(AuthError::ExpiryPassed(_))
        ));
        assert!(matches!(
            Expiry::In(TimeDelta::MAX).resolve(now),
            Err(AuthError::ExpiryOutOfRange)
        ));
    }
}
