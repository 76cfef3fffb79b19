//! The response cache and the ETags of `GET /graphql`.
//!
//! An answer depends on the request (query text, variables, operation name, persisted-query
//! extensions), on who asks, and on the data. Only anonymous requests are cached (a request
//! with a key may see drafts and the audit log, whose writes do not bump the version), so
//! "who asks" is always the anonymous role; the data is summed up by the data version that
//! every write of figures bumps in its own transaction (`db::version::bump`; the server knows it
//! without a round trip while a watcher keeps it current, see [`crate::db::version`]). The key
//! is the SHA-256 of all of it: a write changes the version, so no answer cached before it is
//! ever served after it commits, on this server or on another over the same database.
//!
//! The cache holds the answers of one data version, the latest it was given: an answer of an
//! older version can never be served again (the version is in every key), so a new version
//! drops them at once instead of leaving them to age out while they fill the byte budget (under
//! steady writes the soak run saw the cache grow the server by ~50 MB a minute this way). Reads
//! from replicas at different lags may alternate versions; that costs misses, never a stale
//! answer.
//!
//! The cache is bounded (entries and bytes; least recently used first out) and off unless the
//! server is configured with it (`--response-cache on`, the default of `serve`). A `GET`
//! answer's ETag is the key itself, so a client's `If-None-Match` is answered `304` from the
//! version and the request alone, without running the query.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

/// The cache key (and, in hex, the ETag) of an answer.
pub type Key = [u8; 32];

/// The bounds of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Most answers kept.
    pub entries: usize,
    /// Most bytes of answers kept.
    pub bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            entries: 10_000,
            bytes: 64 * 1024 * 1024,
        }
    }
}

/// Whether the cache is `hit`, `miss`, or not consulted (`bypass`: a keyed request, a batch,
/// a write, or the cache off), as the `x-response-cache` header says.
pub const HEADER: &str = "x-response-cache";

/// A bounded cache of serialized answers.
pub struct ResponseCache {
    limits: CacheLimits,
    inner: Mutex<Inner>,
}

struct Inner {
    answers: lru::LruCache<Key, Bytes>,
    bytes: usize,
    /// The data version of every answer held.
    version: Option<i64>,
}

impl ResponseCache {
    /// An empty cache with these bounds (at least one entry).
    pub fn new(limits: CacheLimits) -> ResponseCache {
        let cap = NonZeroUsize::new(limits.entries).unwrap_or(NonZeroUsize::MIN);
        ResponseCache {
            limits,
            inner: Mutex::new(Inner {
                answers: lru::LruCache::new(cap),
                bytes: 0,
                version: None,
            }),
        }
    }

    /// The answer stored under `key`, if any (and marks it recently used).
    pub fn get(&self, key: &Key) -> Option<Bytes> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.answers.get(key).cloned()
    }

    /// Stores an answer computed at data version `version`, evicting the least recently used
    /// ones beyond the bounds; an answer of another version than those held replaces them all.
    /// An answer larger than the whole byte budget is not stored.
    pub fn put(&self, key: Key, version: i64, body: Bytes) {
        if body.len() > self.limits.bytes {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.version != Some(version) {
            inner.answers.clear();
            inner.bytes = 0;
            inner.version = Some(version);
        }
        inner.bytes += body.len();
        if let Some((_, old)) = inner.answers.push(key, body) {
            inner.bytes -= old.len();
        }
        while inner.bytes > self.limits.bytes {
            match inner.answers.pop_lru() {
                Some((_, old)) => inner.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Number of answers held and their bytes.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.answers.len(), inner.bytes)
    }
}

/// The key of an anonymous request's answer at data version `version`. Every part is
/// length-prefixed, so no two different requests hash the same bytes.
pub fn key(version: i64, request: &async_graphql::Request) -> Key {
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(b"edustats-response-v1 anonymous");
    part(&version.to_le_bytes());
    part(request.query.as_bytes());
    part(request.operation_name.as_deref().unwrap_or("").as_bytes());
    // Serializing a map of values cannot fail; an empty part would only cost a miss.
    part(&serde_json::to_vec(&request.variables).unwrap_or_default());
    part(&serde_json::to_vec(&request.extensions).unwrap_or_default());
    h.finalize().into()
}

/// The ETag of an answer: its key in hex, quoted.
pub fn etag(key: &Key) -> String {
    format!("\"{}\"", hex::encode(key))
}

/// Whether an `If-None-Match` header value names `etag` (a list, weak or strong, or `*`).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || tag == etag
    })
}

/// Whether `query` selects a query operation (not a mutation or a subscription): only those
/// answers are cached. An unparsable document is not (it never gets this far anyway).
pub fn is_query(query: &str, operation: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let ty = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        // A named operation alone in its document is `Multiple` with one entry.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    ty == Some(OperationType::Query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_bytes_and_entries() {
        let c = ResponseCache::new(CacheLimits {
            entries: 3,
            bytes: 10,
        });
        let k = |n: u8| [n; 32];
        c.put(k(1), 1, Bytes::from_static(b"aaaa"));
        c.put(k(2), 1, Bytes::from_static(b"bbbb"));
        assert_eq!(c.size(), (2, 8));
        // 12 bytes > 10: the least recently used (1) goes.
        c.put(k(3), 1, Bytes::from_static(b"cccc"));
        assert_eq!(c.get(&k(1)), None);
        assert_eq!(c.size(), (2, 8));
        // Too large for the budget: not stored, nothing evicted.
        c.put(k(4), 1, Bytes::from(vec![0u8; 11]));
        assert_eq!(c.size(), (2, 8));
        // Replacing an entry counts its bytes once.
        c.put(k(2), 1, Bytes::from_static(b"bb"));
        assert_eq!(c.size(), (2, 6));
        c.put(k(5), 1, Bytes::from_static(b"e"));
        c.put(k(6), 1, Bytes::from_static(b"f"));
        assert_eq!(c.size().0, 3, "entry bound");
    }

    #[test]
    fn a_new_data_version_drops_the_answers_of_the_old_one() {
        let c = ResponseCache::new(CacheLimits {
            entries: 100,
            bytes: 1000,
        });
        let k = |n: u8| [n; 32];
        c.put(k(1), 7, Bytes::from_static(b"old one"));
        c.put(k(2), 7, Bytes::from_static(b"old two"));
        assert_eq!(c.size(), (2, 14));
        c.put(k(3), 8, Bytes::from_static(b"new"));
        assert_eq!(c.size(), (1, 3), "only the new version's answer is held");
        assert_eq!(c.get(&k(1)), None);
        assert_eq!(c.get(&k(3)).as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn keys_differ_by_every_part() {
        let r = |q: &str| async_graphql::Request::new(q);
        let base = key(1, &r("{ a }"));
        assert_eq!(base, key(1, &r("{ a }")));
        assert_ne!(base, key(2, &r("{ a }")), "version");
        assert_ne!(base, key(1, &r("{ b }")), "query");
        assert_ne!(base, key(1, &r("{ a }").operation_name("A")), "operation");
        let vars = async_graphql::Variables::from_json(serde_json::json!({"x": 1}));
        assert_ne!(base, key(1, &r("{ a }").variables(vars)), "variables");
    }

    #[test]
    fn etags_and_if_none_match() {
        let t = etag(&[0xab; 32]);
        assert_eq!(t.len(), 66);
        assert!(matches(&t, &t));
        assert!(matches(&format!("\"x\", W/{t}"), &t));
        assert!(matches("*", &t));
        assert!(!matches("\"other\"", &t));
    }

    #[test]
    fn only_queries_are_cached() {
        assert!(is_query("{ a }", None));
        assert!(is_query("query Q { a }", None));
        assert!(!is_query("mutation { a }", None));
        assert!(is_query("query A { a } mutation B { b }", Some("A")));
        assert!(!is_query("query A { a } mutation B { b }", Some("B")));
        assert!(!is_query("query A { a } query B { b }", None));
        assert!(!is_query("{", None));
    }
}
