//! The rate limits of `/graphql`, `/graphql/ws`, `/mcp` and the exports: two keyed GCRA
//! limiters (per client address, per API key), the client address behind trusted proxies, and
//! the layer that refuses a request over a limit with 429, `Retry-After` and `RATE_LIMITED`
//! (a JSON-RPC error on `/mcp`, a GraphQL-shaped one elsewhere).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::layers::read_body;
use super::{bearer, graphql_error, AppState};
use crate::error::{ApiError, ErrorCode};

/// Rate limits, in requests per minute (0: none). A request counts against its client
/// address; one with a bearer token also against its key, so random tokens cannot escape the
/// address's limit.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Per client address.
    pub per_address_per_minute: u32,
    /// Per API key (bearer token).
    pub per_key_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` entries are trusted (0: the header is ignored).
    pub trusted_proxies: usize,
}

impl Default for RateLimits {
    /// No limits: what an embedded router (the tests, a library user) starts with. `serve`
    /// turns them on by default (see [`crate::config::RateArgs`]).
    fn default() -> Self {
        RateLimits {
            per_address_per_minute: 0,
            per_key_per_minute: 0,
            trusted_proxies: 0,
        }
    }
}

/// Why a request was refused: which limit it went over, and the whole seconds until a retry
/// can pass it (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client address's limit ([`RateLimits::per_address_per_minute`]).
    PerAddress {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// The API key's limit ([`RateLimits::per_key_per_minute`]).
    PerKey {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
}

impl Refusal {
    /// Seconds until a retry can succeed.
    pub fn retry_after(self) -> u64 {
        match self {
            Refusal::PerAddress { retry_after } | Refusal::PerKey { retry_after } => retry_after,
        }
    }

    /// The limit's label in the `rate_limited_total` metric and the log.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::PerAddress { .. } => "address",
            Refusal::PerKey { .. } => "key",
        }
    }

    /// What the limit counts, as the refusal's message names it.
    fn counted(self) -> &'static str {
        match self {
            Refusal::PerAddress { .. } => "client address",
            Refusal::PerKey { .. } => "API key",
        }
    }

    /// The limit, in requests per minute.
    fn per_minute(self, limits: &RateLimits) -> u32 {
        match self {
            Refusal::PerAddress { .. } => limits.per_address_per_minute,
            Refusal::PerKey { .. } => limits.per_key_per_minute,
        }
    }
}

/// How often (in checks) the rate limiters forget keys that are back to a full quota, so
/// the key tables stay as small as the set of recently active clients.
const RATE_SWEEP_EVERY: u64 = 4096;

/// The two keyed limiters.
pub(super) struct RateLimiter {
    limits: RateLimits,
    by_address: Option<DefaultKeyedRateLimiter<Option<IpAddr>>>,
    by_key: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    checks: AtomicU64,
}

impl RateLimiter {
    /// The limiters of `limits` (a limit of 0 has none).
    pub(super) fn new(limits: RateLimits) -> RateLimiter {
        let quota = |per_minute: u32| NonZeroU32::new(per_minute).map(Quota::per_minute);
        RateLimiter {
            limits,
            by_address: quota(limits.per_address_per_minute).map(governor::RateLimiter::keyed),
            by_key: quota(limits.per_key_per_minute).map(governor::RateLimiter::keyed),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a request against its address and its key; the refusal when a limit is spent.
    fn check(&self, address: Option<IpAddr>, token: Option<&str>) -> Result<(), Refusal> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RATE_SWEEP_EVERY == RATE_SWEEP_EVERY - 1 {
            for l in self.by_address.iter() {
                l.retain_recent();
                l.shrink_to_fit();
            }
            for l in self.by_key.iter() {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        let wait = |e: governor::NotUntil<_>| {
            let d = e.wait_time_from(DefaultClock::default().now());
            // Retry-After is whole seconds; rounding down would invite a retry that fails.
            (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
        };
        // An IPv6 client usually holds a whole /64 and can take a new address per request:
        // the limit counts the /64, as a v4 address counts one host.
        let address = address.map(|a| match a {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
            v4 => v4,
        });
        if let Some(l) = &self.by_address {
            l.check_key(&address).map_err(|e| Refusal::PerAddress {
                retry_after: wait(e),
            })?;
        }
        if let (Some(l), Some(token)) = (&self.by_key, token) {
            // Keyed by the token's hash: the table never holds a usable secret.
            use sha2::Digest;
            let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
            l.check_key(&key).map_err(|e| Refusal::PerKey {
                retry_after: wait(e),
            })?;
        }
        Ok(())
    }

    /// The client's address: the connection's, or with trusted proxies the entry of
    /// `X-Forwarded-For` that the outermost trusted proxy wrote (entries further left were
    /// written by the client and prove nothing).
    fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let n = self.limits.trusted_proxies;
        if n == 0 {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        entries
            .len()
            .checked_sub(n)
            .and_then(|i| entries.get(i))
            .and_then(|e| e.parse::<IpAddr>().ok())
            .or(peer)
    }
}

/// Applies the rate limits; a refusal is 429 with `Retry-After` and code `RATE_LIMITED`.
pub(super) async fn rate_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let address = state.rate.client_address(req.headers(), peer);
    let token = bearer(req.headers());
    let refusal = match state.rate.check(address, token.as_deref()) {
        Ok(()) => return next.run(req).await,
        Err(refusal) => refusal,
    };
    state.metrics.rate_limited(refusal.label());
    if req.uri().path() == "/graphql" {
        state.metrics.graphql_answered(
            "unparsed",
            ErrorCode::RateLimited.as_str(),
            Duration::ZERO,
            None,
        );
    }
    let seconds = refusal.retry_after();
    let message = format!(
        "rate limit: at most {} requests per minute per {}; retry in {seconds} s",
        refusal.per_minute(&state.rate.limits),
        refusal.counted(),
    );
    if req.uri().path() == "/mcp" {
        // An MCP client reads JSON-RPC: the refusal names the request it answers. The body is
        // read within the usual size and time limits; one that cannot be read is answered with
        // a null id.
        let (parts, body) = req.into_parts();
        let id = match read_body(&parts.headers, body, &state.limits).await {
            Ok(bytes) => crate::mcp::refusal::request_id(&bytes),
            Err(_) => serde_json::Value::Null,
        };
        tracing::info!(
            limit = refusal.label(),
            retry_after = seconds,
            "mcp request rate limited"
        );
        return crate::mcp::refusal::rate_limited(id, &message, seconds);
    }
    let mut res = graphql_error(ApiError::RateLimited {
        message,
        retry_after: seconds,
    });
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_address_is_refused_by_its_own_limit() {
        let limiter = RateLimiter::new(RateLimits {
            per_address_per_minute: 1,
            per_key_per_minute: 0,
            trusted_proxies: 0,
        });
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        assert_eq!(limiter.check(a, None), Ok(()));
        let refusal = limiter
            .check(a, None)
            .expect_err("the second request is over");
        assert!(matches!(refusal, Refusal::PerAddress { .. }), "{refusal:?}");
        assert!(refusal.retry_after() >= 1);
        assert_eq!(refusal.label(), "address");
    }

    #[test]
    fn a_spent_key_is_refused_by_the_key_limit() {
        let limiter = RateLimiter::new(RateLimits {
            per_address_per_minute: 0,
            per_key_per_minute: 1,
            trusted_proxies: 0,
        });
        assert_eq!(limiter.check(None, Some("k")), Ok(()));
        let refusal = limiter.check(None, Some("k")).expect_err("over");
        assert!(matches!(refusal, Refusal::PerKey { .. }), "{refusal:?}");
        assert_eq!(refusal.per_minute(&limiter.limits), 1);
        // Another key has its own quota.
        assert_eq!(limiter.check(None, Some("other")), Ok(()));
    }
}
