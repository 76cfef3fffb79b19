//! `/graphql/ws`: one WebSocket connection's GraphQL subscriptions (graphql-transport-ws, and
//! the older graphql-ws protocol async-graphql also speaks), executed through the gate
//! ([`Endpoint::subscribe`]), and the caps on them.
//!
//! The caps exist because a subscription costs the server a broadcast receiver and a task
//! slot for as long as the client likes, and nothing else bounds how many a client opens:
//! - [`NotifyLimits::max_ws_connections`]: connections open at once on `/graphql/ws`; the
//!   upgrade past it is refused in `http/graphql.rs` with HTTP 503 `TOO_MANY_CONNECTIONS` (the accept
//!   loop's caps count every TCP connection, but a WebSocket holds its slot for hours, so
//!   subscribers alone could otherwise fill it);
//! - [`NotifyLimits::max_subscriptions_per_connection`]: subscriptions open at once on one
//!   connection; one more is answered with a graphql-transport-ws `error` message whose
//!   payload is a GraphQL error with `extensions.code` `TOO_MANY_SUBSCRIPTIONS`, and the
//!   connection and its other subscriptions go on.
//!
//! async-graphql reports a subscription's errors as a `next` message followed by `complete`;
//! the protocol's own refusal is an `error` message (which ends the operation, no `complete`
//! after it). [`serve`] runs async-graphql's protocol machine itself, rather than through
//! `async-graphql-axum`'s wrapper, to turn that one refusal into an `error` message.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::futures_util::{future, stream, SinkExt, StreamExt};
use async_graphql::http::{WebSocketProtocols as Protocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};

use crate::error::ErrorCode;
use crate::graphql::gate::Endpoint;
use crate::observe::Metrics;

/// The caps of `/graphql/ws` (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct NotifyLimits {
    /// Connections open at once on `/graphql/ws`.
    pub max_ws_connections: usize,
    /// Subscriptions open at once on one connection.
    pub max_subscriptions_per_connection: usize,
}

impl NotifyLimits {
    /// 256 connections, 32 subscriptions each: a dashboard needs a handful per page, and
    /// 256 × 32 receivers stay far below what one broadcast channel serves.
    pub const DEFAULT: NotifyLimits = NotifyLimits {
        max_ws_connections: 256,
        max_subscriptions_per_connection: 32,
    };
}

impl Default for NotifyLimits {
    fn default() -> Self {
        NotifyLimits::DEFAULT
    }
}

/// The executor of one `/graphql/ws` connection: subscriptions only, through the gate, at
/// most `max` open at once.
#[derive(Clone)]
pub struct Subscriptions {
    endpoint: Arc<Endpoint>,
    open: Arc<AtomicUsize>,
    max: usize,
    metrics: Metrics,
}

impl Subscriptions {
    /// A fresh executor for one connection (its count starts at zero).
    pub fn new(endpoint: Arc<Endpoint>, max: usize, metrics: Metrics) -> Subscriptions {
        Subscriptions {
            endpoint,
            open: Arc::new(AtomicUsize::new(0)),
            max: max.max(1),
            metrics,
        }
    }
}

/// Gives a subscription's slot back when its stream is dropped (ended, stopped by the client,
/// replaced by a subscribe with the same id, or the connection closed).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn coded(message: String, code: ErrorCode) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![crate::graphql::limits::with_code(
        async_graphql::ServerError::new(message, None),
        code,
    )])
}

impl async_graphql::Executor for Subscriptions {
    async fn execute(&self, _request: async_graphql::Request) -> async_graphql::Response {
        coded(
            "only subscriptions are served on /graphql/ws; send queries and mutations to POST /graphql".into(),
            ErrorCode::BadRequest,
        )
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        _session_data: Option<Arc<async_graphql::Data>>,
    ) -> stream::BoxStream<'static, async_graphql::Response> {
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max {
            self.open.fetch_sub(1, Ordering::AcqRel);
            self.metrics.subscription_refused("per_connection");
            let refusal = coded(
                format!(
                    "at most {} subscriptions may be open on one connection: complete one, or open another connection",
                    self.max
                ),
                ErrorCode::TooManySubscriptions,
            );
            return stream::once(future::ready(refusal)).boxed();
        }
        let slot = Slot(self.open.clone());
        self.endpoint
            .subscribe(request)
            .map(move |r| {
                let _held = &slot;
                r
            })
            .boxed()
    }
}

/// Serves one upgraded connection until either side ends it.
pub async fn serve(socket: WebSocket, executor: Subscriptions, protocol: Protocols) {
    let (sink, incoming) = socket.split();
    let input = incoming
        .take_while(|r| future::ready(r.is_ok()))
        .filter_map(|r| {
            future::ready(match r {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let mut refused: HashSet<String> = HashSet::new();
    let outgoing =
        async_graphql::http::WebSocket::new(executor, input, protocol).filter_map(move |msg| {
            future::ready(match msg {
                WsMessage::Text(text) => {
                    let text = if protocol == Protocols::GraphQLWS {
                        refusal_as_error(text, &mut refused)
                    } else {
                        Some(text)
                    };
                    text.map(|t| Message::Text(t.into()))
                }
                WsMessage::Close(code, reason) => Some(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }))),
            })
        });
    async_graphql::futures_util::pin_mut!(outgoing, sink);
    while let Some(item) = outgoing.next().await {
        if sink.send(item).await.is_err() {
            break;
        }
    }
}

/// Rewrites the `next` message that carries an [`ErrorCode::TooManySubscriptions`] refusal (no
/// data, the code on an error) into the protocol's `error` message, and drops the `complete` that
/// async-graphql sends after it (`None`). Every other message passes unchanged; only a
/// message that mentions the code is parsed, so the check costs a substring search.
fn refusal_as_error(text: String, refused: &mut HashSet<String>) -> Option<String> {
    if !refused.is_empty() && text.contains("\"complete\"") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if v["type"] == "complete" {
                if let Some(id) = v["id"].as_str() {
                    if refused.remove(id) {
                        return None;
                    }
                }
            }
        }
        return Some(text);
    }
    if !text.contains(ErrorCode::TooManySubscriptions.as_str()) {
        return Some(text);
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Some(text);
    };
    let payload = &v["payload"];
    let is_refusal = v["type"] == "next"
        && payload.get("data").is_none_or(serde_json::Value::is_null)
        && payload["errors"].as_array().is_some_and(|errors| {
            errors
                .iter()
                .any(|e| e["extensions"]["code"] == ErrorCode::TooManySubscriptions.as_str())
        });
    let Some(id) = v["id"].as_str().filter(|_| is_refusal) else {
        return Some(text);
    };
    refused.insert(id.to_string());
    Some(serde_json::json!({"type": "error", "id": id, "payload": payload["errors"]}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_refusal_becomes_an_error_and_its_complete_is_dropped() {
        let mut refused = HashSet::new();
        let data = r#"{"type":"next","id":"1","payload":{"data":{"x":"TOO_MANY_SUBSCRIPTIONS in a note"}}}"#;
        assert_eq!(
            refusal_as_error(data.into(), &mut refused).as_deref(),
            Some(data)
        );
        let next = r#"{"type":"next","id":"7","payload":{"errors":[{"message":"m","extensions":{"code":"TOO_MANY_SUBSCRIPTIONS"}}]}}"#;
        let out = refusal_as_error(next.into(), &mut refused).expect("an error message");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["type"], "error");
        assert_eq!(v["id"], "7");
        assert_eq!(
            v["payload"][0]["extensions"]["code"],
            "TOO_MANY_SUBSCRIPTIONS"
        );
        let other_complete = r#"{"type":"complete","id":"1"}"#;
        assert_eq!(
            refusal_as_error(other_complete.into(), &mut refused).as_deref(),
            Some(other_complete)
        );
        assert_eq!(
            refusal_as_error(r#"{"type":"complete","id":"7"}"#.into(), &mut refused),
            None
        );
        assert!(refused.is_empty());
    }
}
