//! What `/mcp` answers when the HTTP layer refuses a request before the MCP service sees it
//! (today: the rate limits). An MCP client reads JSON-RPC, not GraphQL's `{"errors": […]}`,
//! so the refusal is a JSON-RPC error response carrying the request's id when the body has
//! one, with the HTTP status and headers the HTTP layer chose (429 and `Retry-After`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::error::ErrorCode;

/// The JSON-RPC error code of a refusal: the "server error" range JSON-RPC 2.0 reserves for
/// implementations (-32000 to -32099); the edustats code is in `error.data.code`.
pub const SERVER_ERROR: i64 = -32000;

/// The `id` of a JSON-RPC request body: a string or a number as sent; `null` for anything
/// else (a notification, a batch, a body that is not JSON), as JSON-RPC 2.0 says an error
/// answers when the id cannot be determined.
pub fn request_id(body: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut o)) => match o.remove("id") {
            Some(id @ (Value::String(_) | Value::Number(_))) => id,
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// The refusal of a rate-limited `/mcp` request: HTTP 429, `Retry-After`, and a JSON-RPC
/// error whose `data` holds `code` (`RATE_LIMITED`) and `retryAfter` in seconds.
pub fn rate_limited(id: Value, message: &str, retry_after: u64) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": SERVER_ERROR,
            "message": message,
            "data": {"code": ErrorCode::RateLimited.as_str(), "retryAfter": retry_after},
        },
    });
    let mut res = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_taken_when_there_is_one() {
        assert_eq!(
            request_id(br#"{"jsonrpc":"2.0","id":7,"method":"tools/call"}"#),
            json!(7)
        );
        assert_eq!(
            request_id(br#"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#),
            json!("a-1")
        );
        for no_id in [
            &br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#[..],
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            br#"{"id":{"nested":true}}"#,
            b"not json",
            b"",
        ] {
            assert_eq!(request_id(no_id), Value::Null);
        }
    }
}
