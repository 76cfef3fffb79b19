//! API keys: only the live key with the exact secret authenticates; a key sharing the public
//! prefix, a truncated key, a revoked key and garbage are all refused without an error.

use crate::common::TestApp;
use edustats::auth::{self, Role};

#[test]
fn only_the_exact_live_key_authenticates() {
    let app = TestApp::empty();
    let key = app.key("ed", Role::Editor);
    let other = app.key("ad", Role::Admin);
    let mut conn = app.db.get().expect("connection");
    let who = |conn: &mut edustats::db::DbConnection, k: &str| {
        auth::authenticate(conn, k)
            .expect("lookup")
            .map(|p| (p.name, p.role))
    };
    assert_eq!(who(&mut conn, &key), Some(("ed".into(), Role::Editor)));
    assert_eq!(who(&mut conn, &other), Some(("ad".into(), Role::Admin)));
    // Same public prefix, one secret digit changed (first, middle, last).
    for i in [12, 40, key.len() - 1] {
        let mut forged: Vec<char> = key.chars().collect();
        forged[i] = if forged[i] == '0' { '1' } else { '0' };
        let forged: String = forged.into_iter().collect();
        assert_eq!(who(&mut conn, &forged), None, "changed at {i}");
    }
    for bad in [
        "",
        "esk_",
        &key[..12],
        &key[..key.len() - 1],
        "x",
        "é日本語",
    ] {
        assert_eq!(who(&mut conn, bad), None, "{bad:?}");
    }
    let longer = format!("{key}0");
    assert_eq!(who(&mut conn, &longer), None);
    auth::revoke_key(&mut conn, "ed", "test").expect("revoke");
    assert_eq!(who(&mut conn, &key), None, "a revoked key");
    assert_eq!(who(&mut conn, &other), Some(("ad".into(), Role::Admin)));
}
