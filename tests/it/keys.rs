//! The API key lifecycle: expiry, rotation and the record of last use, through the library,
//! GraphQL (a mutation, and the editor-guarded read the review page makes) and the command line.
//! On the default test backend: SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use edustats::auth::{self, AuthError, Expiry, Role};
use edustats::db::schema::api_keys;
use edustats::db::{format_utc, DbConnection};
use serde_json::{json, Value};

use crate::common::{edustats, TestApp};

/// A mutation that needs an editor key; past the guard it finds no such draft (`NOT_FOUND`), so
/// it writes nothing and tells an accepted key from a refused one.
const DISCARD: &str = "mutation { discardDraft(draft: 424242) { id } }";

/// What [`DISCARD`] answers once the key is accepted.
const ACCEPTED: &str = "NOT_FOUND";

/// The review page's first call with the key it was given.
const DRAFTS: &str = "{ drafts { id } }";

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

fn message(v: &Value) -> &str {
    v["errors"][0]["message"].as_str().unwrap_or("")
}

/// Sets a key's expiry directly (the commands refuse a time in the past).
fn set_expiry(conn: &mut DbConnection, name: &str, at: &str) {
    let n = diesel::update(api_keys::table.filter(api_keys::name.eq(name)))
        .set(api_keys::expires_at.eq(at))
        .execute(conn)
        .expect("update");
    assert_eq!(n, 1);
}

fn stored(conn: &mut DbConnection, name: &str) -> edustats::db::models::ApiKey {
    auth::list_keys(conn)
        .expect("list")
        .into_iter()
        .find(|k| k.name == name)
        .expect("the key is listed")
}

fn instant(t: &str) -> chrono::DateTime<Utc> {
    auth::parse_instant(t).expect("a stored instant")
}

#[tokio::test]
async fn an_expired_key_is_unauthenticated_and_says_when() {
    let app = TestApp::synthetic();
    let key = app.key("temp", Role::Editor);
    let v = app.graphql_as(&key, DISCARD, json!({})).await;
    assert_eq!(code(&v), ACCEPTED, "a live key works: {v}");
    let used = stored(&mut app.db.get().expect("connection"), "temp").last_used_at;
    assert!(used.is_some());

    set_expiry(
        &mut app.db.get().expect("connection"),
        "temp",
        "2020-01-02T03:04:05.000000Z",
    );
    for query in [DISCARD, DRAFTS] {
        let v = app.graphql_as(&key, query, json!({})).await;
        assert_eq!(code(&v), "UNAUTHENTICATED", "{query}: {v}");
        assert!(
            message(&v).contains("API key \"temp\" expired at 2020-01-02T03:04:05.000000Z"),
            "{query}: {v}"
        );
        assert!(message(&v).contains("keys rotate temp"), "{v}");
    }
    // A forged key with the same public prefix learns nothing about the expired one.
    let forged = format!("{}{}", &key[..12], "0".repeat(key.len() - 12));
    let v = app.graphql_as(&forged, DISCARD, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
    assert_eq!(message(&v), "invalid or revoked API key", "{v}");
    // Revoked keys answer as before, expired or not.
    auth::revoke_key(&mut app.db.get().expect("connection"), "temp", "test").expect("revoke");
    let v = app.graphql_as(&key, DISCARD, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
    assert_eq!(message(&v), "invalid or revoked API key", "{v}");
    // The expired attempts recorded no use (the minute rule aside: none is more than a
    // minute after the first use).
    assert_eq!(
        stored(&mut app.db.get().expect("connection"), "temp").last_used_at,
        used
    );
}

#[test]
fn a_key_works_until_its_expiry_and_one_without_expiry_always() {
    let app = TestApp::empty();
    let mut conn = app.db.get().expect("connection");
    let issued = auth::create_key_expiring(
        &mut conn,
        "hour",
        Role::Editor,
        Expiry::In(TimeDelta::hours(1)),
        "test",
    )
    .expect("create");
    let k = stored(&mut conn, "hour");
    assert_eq!(k.expires_at, issued.expires_at);
    let expires = instant(issued.expires_at.as_deref().expect("an expiry"));
    assert_eq!(expires - instant(&k.created_at), TimeDelta::hours(1));

    let at = |conn: &mut DbConnection, t| auth::authenticate_at(conn, &issued.key, t);
    let p = at(&mut conn, expires - TimeDelta::seconds(1))
        .expect("authenticates")
        .expect("a principal");
    assert_eq!((p.name.as_str(), p.role), ("hour", Role::Editor));
    match at(&mut conn, expires) {
        Err(AuthError::Expired { name, at }) => {
            assert_eq!(name, "hour");
            assert_eq!(Some(at), issued.expires_at);
        }
        other => panic!("expected Expired, got {other:?}"),
    }

    let forever = app.key("forever", Role::Admin);
    let p = auth::authenticate_at(&mut conn, &forever, Utc::now() + TimeDelta::days(36_500))
        .expect("authenticates")
        .expect("a principal");
    assert_eq!(p.name, "forever");
    assert_eq!(stored(&mut conn, "forever").expires_at, None);

    // An expiry in the past is refused, and nothing is written.
    let past = Expiry::At(instant("2020-01-01T00:00:00Z"));
    let e = auth::create_key_expiring(&mut conn, "stale", Role::Editor, past, "test")
        .expect_err("refused");
    assert!(matches!(e, AuthError::ExpiryPassed(_)), "{e}");
    assert_eq!(auth::list_keys(&mut conn).expect("list").len(), 2);
}

#[tokio::test]
async fn rotation_retires_the_old_secret_at_once() {
    let app = TestApp::synthetic();
    let old = app.key("rot", Role::Editor);
    let v = app.graphql_as(&old, DISCARD, json!({})).await;
    assert_eq!(code(&v), ACCEPTED, "{v}");

    let new = auth::rotate_key(&mut app.db.get().expect("connection"), "rot", None, "ops")
        .expect("rotate");
    assert_ne!(new.key, old);
    assert_eq!(new.expires_at, None, "a key without expiry keeps none");
    let k = stored(&mut app.db.get().expect("connection"), "rot");
    assert_eq!((k.role, k.prefix.as_str()), (Role::Editor, &new.key[..12]));
    assert_eq!(k.last_used_at, None, "the new secret has not been used yet");
    let v = app.graphql_as(&old, DISCARD, json!({})).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "the old secret: {v}");
    assert_eq!(message(&v), "invalid or revoked API key", "{v}");
    let v = app.graphql_as(&new.key, DISCARD, json!({})).await;
    assert_eq!(code(&v), ACCEPTED, "the new secret: {v}");
    let v = app.graphql_as(&new.key, DRAFTS, json!({})).await;
    assert!(v.get("errors").is_none(), "the new secret: {v}");

    let mut conn = app.db.get().expect("connection");
    assert!(
        stored(&mut conn, "rot").last_used_at.is_some(),
        "and now it has"
    );
    let p = auth::authenticate(&mut conn, &new.key)
        .expect("authenticates")
        .expect("a principal");
    assert_eq!((p.name.as_str(), p.role), ("rot", Role::Editor));

    // A 90-day key rotated without an expiry option gets 90 days from the rotation.
    auth::create_key_expiring(
        &mut conn,
        "ninety",
        Role::Admin,
        Expiry::In(TimeDelta::days(90)),
        "test",
    )
    .expect("create");
    set_expiry(&mut conn, "ninety", "2020-01-01T00:00:00.000000Z");
    let expired = stored(&mut conn, "ninety");
    assert!(matches!(
        auth::key_state(&expired, Utc::now()),
        auth::KeyState::Expired
    ));
    // An expired key is brought back by rotation; its lifetime is the one it was issued with
    // (here the expiry set above is before its creation, so none is left to keep).
    let back = auth::rotate_key(
        &mut conn,
        "ninety",
        Some(Expiry::In(TimeDelta::days(90))),
        "ops",
    )
    .expect("rotate an expired key");
    let again = auth::rotate_key(&mut conn, "ninety", None, "ops").expect("rotate");
    let k = stored(&mut conn, "ninety");
    assert_eq!(k.expires_at, again.expires_at);
    assert_eq!(
        instant(k.expires_at.as_deref().expect("an expiry")) - instant(&k.created_at),
        TimeDelta::days(90),
        "the lifetime is kept"
    );
    assert!(auth::authenticate(&mut conn, &back.key)
        .expect("lookup")
        .is_none());
    assert!(auth::authenticate(&mut conn, &again.key)
        .expect("lookup")
        .is_some());
    let never = auth::rotate_key(&mut conn, "ninety", Some(Expiry::Never), "ops").expect("rotate");
    assert_eq!(never.expires_at, None);

    // Unknown and revoked keys are refused by name.
    let e = auth::rotate_key(&mut conn, "nobody", None, "ops").expect_err("unknown");
    assert_eq!(e.to_string(), "no key named \"nobody\"");
    auth::revoke_key(&mut conn, "rot", "ops").expect("revoke");
    let e = auth::rotate_key(&mut conn, "rot", None, "ops").expect_err("revoked");
    assert!(matches!(e, AuthError::Revoked(_)), "{e}");

    // Every rotation is audited, with the actor.
    let rotations: Vec<_> = auth::audit_entries(&mut conn, 50)
        .expect("audit")
        .into_iter()
        .filter(|e| e.action.as_str() == "key_rotate")
        .collect();
    assert_eq!(rotations.len(), 4, "{rotations:?}");
    assert!(rotations.iter().all(|e| e.actor == "ops"));
    assert!(
        rotations[3]
            .detail
            .starts_with("rotated editor key \"rot\""),
        "{rotations:?}"
    );
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let app = TestApp::synthetic();
    let key = app.key("user", Role::Editor);
    let last_used = || stored(&mut app.db.get().expect("connection"), "user").last_used_at;
    assert_eq!(last_used(), None);
    let before = format_utc(Utc::now());
    let v = app.graphql_as(&key, DISCARD, json!({})).await;
    assert_eq!(code(&v), ACCEPTED, "{v}");
    let first = last_used().expect("recorded by the request");
    assert!(first >= before, "{first} < {before}");
    // Within the minute: nothing written (and the request still answers).
    let v = app.graphql_as(&key, DRAFTS, json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(last_used().as_deref(), Some(first.as_str()));

    let mut conn = app.db.get().expect("connection");
    let t = instant(&first);
    let seen = |conn: &mut DbConnection, at| {
        auth::authenticate_at(conn, &key, at)
            .expect("authenticates")
            .expect("a principal");
        stored(conn, "user").last_used_at
    };
    assert_eq!(
        seen(&mut conn, t + TimeDelta::seconds(59)),
        Some(first.clone())
    );
    let later = t + TimeDelta::seconds(61);
    assert_eq!(seen(&mut conn, later), Some(format_utc(later)));
}

/// The record of use is bookkeeping: when it cannot be written (another writer holds the lock
/// and the statement may not wait), the key still authenticates.
#[test]
fn a_failed_record_of_use_does_not_refuse_the_key() {
    let app = TestApp::empty();
    let key = app.key("busy", Role::Editor);
    let mut holder = app.db.get().expect("connection");
    let mut conn = app.db.get().expect("connection");
    match (&mut *holder, &mut *conn) {
        (DbConnection::Sqlite(h), DbConnection::Sqlite(c)) => {
            use diesel::connection::SimpleConnection;
            h.batch_execute("BEGIN IMMEDIATE; UPDATE api_keys SET role = role;")
                .expect("take the write lock");
            c.batch_execute("PRAGMA busy_timeout = 0").expect("no wait");
        }
        (DbConnection::Postgres(h), DbConnection::Postgres(c)) => {
            use diesel::connection::SimpleConnection;
            h.batch_execute("BEGIN; SELECT 1 FROM api_keys FOR UPDATE;")
                .expect("lock the row");
            c.batch_execute("SET lock_timeout = '20ms'")
                .expect("short wait");
        }
        _ => unreachable!("one backend per test"),
    }
    let p = auth::authenticate(&mut conn, &key)
        .expect("authenticates although the record failed")
        .expect("a principal");
    assert_eq!(p.name, "busy");
    {
        use diesel::connection::SimpleConnection;
        holder.batch_execute("ROLLBACK").expect("release");
    }
    assert_eq!(stored(&mut conn, "busy").last_used_at, None, "not recorded");
    // With the lock gone, the next use is recorded.
    auth::authenticate(&mut conn, &key)
        .expect("authenticates")
        .expect("a principal");
    assert!(stored(&mut conn, "busy").last_used_at.is_some());
}

/// `keys list`'s line for `name`, split at the tabs.
fn listed(url: &str, name: &str) -> Vec<String> {
    let (code, out, err) = edustats(url, &["keys", "list"]);
    assert_eq!(code, Some(0), "{err}");
    out.lines()
        .map(|l| l.split('\t').map(String::from).collect::<Vec<_>>())
        .find(|f| f[0] == name)
        .unwrap_or_else(|| panic!("{name} not listed:\n{out}"))
}

#[test]
fn the_key_commands_create_rotate_and_list() {
    let app = TestApp::empty();
    let url = app.url.as_str();
    let (code, out, err) = edustats(
        url,
        &[
            "keys",
            "create",
            "--name",
            "ci",
            "--role",
            "editor",
            "--expires-in",
            "90d",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let key = out.trim().to_string();
    assert!(key.starts_with("esk_") && key.len() == 68, "{out}");
    assert!(
        err.contains("created editor key \"ci\" (expires 20"),
        "{err}"
    );
    let (code, _, err) = edustats(
        url,
        &["keys", "create", "--name", "forever", "--role", "admin"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("(never expires)"), "{err}");

    assert_eq!(
        listed(url, "forever")[4..],
        ["expires never", "last used never", "active"]
    );
    let ci = listed(url, "ci");
    assert_eq!(
        ci[..3],
        ["ci", "editor", format!("{}…", &key[..12]).as_str()]
    );
    let created = instant(ci[3].strip_prefix("created ").expect("created"));
    let expires = instant(ci[4].strip_prefix("expires ").expect("expires"));
    assert_eq!(expires - created, TimeDelta::days(90));
    assert_eq!(ci[5..], ["last used never", "active"]);

    // A use shows in the list.
    let mut conn = app.db.get().expect("connection");
    auth::authenticate(&mut conn, &key)
        .expect("lookup")
        .expect("the printed key authenticates");
    assert!(listed(url, "ci")[5].starts_with("last used 20"));

    // Rotation prints a new key; the old one stops working; the lifetime is kept.
    let (code, out, err) = edustats(url, &["keys", "rotate", "ci"]);
    assert_eq!(code, Some(0), "{err}");
    let new = out.trim().to_string();
    assert!(new.starts_with("esk_") && new != key, "{out}");
    assert!(err.contains("the old secret no longer works"), "{err}");
    assert!(auth::authenticate(&mut conn, &key)
        .expect("lookup")
        .is_none());
    let p = auth::authenticate(&mut conn, &new)
        .expect("lookup")
        .expect("the new key authenticates");
    assert_eq!((p.name.as_str(), p.role), ("ci", Role::Editor));
    let ci = listed(url, "ci");
    assert_eq!(ci[2], format!("{}…", &new[..12]));
    let created = instant(ci[3].strip_prefix("created ").expect("created"));
    let expires = instant(ci[4].strip_prefix("expires ").expect("expires"));
    assert_eq!(expires - created, TimeDelta::days(90));

    // Rotation with a new lifetime, and without any.
    let (code, _, err) = edustats(url, &["keys", "rotate", "ci", "--expires-in", "12h"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("(expires 20"), "{err}");
    let (code, _, err) = edustats(url, &["keys", "rotate", "ci", "--no-expiry"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(listed(url, "ci")[4], "expires never");

    // Expired and revoked keys say so.
    set_expiry(&mut conn, "forever", "2020-01-01T00:00:00.000000Z");
    assert_eq!(listed(url, "forever")[6], "expired");
    let (code, _, err) = edustats(url, &["keys", "revoke", "ci"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(listed(url, "ci")[6].starts_with("revoked 20"));

    // Refused input: exit code 2, saying what is wrong; nothing written.
    let create = |extra: &[&'static str]| {
        let mut args = vec!["keys", "create", "--name", "x", "--role", "editor"];
        args.extend_from_slice(extra);
        args
    };
    for (args, says) in [
        (create(&["--expires-in", "90x"]), "unknown unit \"x\""),
        (create(&["--expires-in", "90"]), "has no unit"),
        (create(&["--expires-in", "0d"]), "is zero"),
        (create(&["--expires-in", "36501d"]), "too long"),
        (create(&["--expires-in", "-1d"]), "'-1'"),
        (create(&["--expires-at", "tomorrow"]), "RFC 3339"),
        (
            create(&["--expires-at", "2020-01-01T00:00:00Z"]),
            "has already passed",
        ),
        (
            create(&["--expires-in", "1d", "--expires-at", "2030-01-01T00:00:00Z"]),
            "cannot be used with",
        ),
        (vec!["keys", "rotate", "ci"], "key \"ci\" is revoked"),
        (vec!["keys", "rotate", "nobody"], "no key named \"nobody\""),
        (
            vec![
                "keys",
                "rotate",
                "forever",
                "--no-expiry",
                "--expires-in",
                "1d",
            ],
            "cannot be used with",
        ),
        (
            vec!["keys", "rotate", "forever", "--expires-in", "1w"],
            "unknown unit \"w\"",
        ),
    ] {
        let (code, _, err) = edustats(url, &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (_, out, _) = edustats(url, &["keys", "list"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(listed(url, "forever")[6], "expired", "not rotated");
}
