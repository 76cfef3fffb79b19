//! API keys and roles. Reads are open; every mutation requires `Authorization: Bearer <key>`
//! with a sufficient role. A key is shown once at creation; only its SHA-256 is stored (keys
//! are 256 random bits, so a fast hash is enough: there is nothing to brute-force).

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::{ApiKey, AuditEntry};
use crate::db::schema::{api_keys, audit_log};
use crate::db::{now_utc, DbConnection};

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

/// Creates a key and returns it (the only time it is visible). Audited.
pub fn create_key(
    conn: &mut DbConnection,
    name: &str,
    role: Role,
    actor: &str,
) -> Result<String, AuthError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        return Err(AuthError::InvalidName(name.to_string()));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    let key = format!("esk_{}", hex::encode(bytes));
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
                api_keys::prefix.eq(&key[..PREFIX_LEN]),
                api_keys::created_at.eq(now_utc()),
            ))
            .execute(conn)?;
        audit(
            conn,
            actor,
            AuditAction::KeyCreate,
            &format!("created {} key {name:?}", role.as_str()),
            1,
        )?;
        Ok(())
    })?;
    Ok(key)
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

/// The principal of a live (not revoked) key.
///
/// Timing: the lookup is by the key's printed prefix (`esk_` and 8 hex digits, shown by
/// `keys list`, not a secret), and the SHA-256 of the presented key is compared with each
/// candidate's stored hash in constant time ([`subtle`]), so the time taken says nothing about
/// how much of a stored hash a guess matched. (Comparing hashes, not keys, already leaks
/// nothing useful about a key; the constant-time comparison makes that independent of the
/// database's string comparison.)
pub fn authenticate(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Principal>> {
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
            found = Some(Principal {
                name: k.name,
                role: k.role,
            });
        }
    }
    Ok(found)
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
}
