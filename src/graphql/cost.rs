//! The query's cost, reported in `extensions.cost` of every executed response, as GitHub and
//! Shopify report theirs:
//!
//! - `requested`: the complexity async-graphql computes when validating the document (each
//!   selected field counts 1, lists are not multiplied; the same number the complexity limit
//!   checks, so a client can see how close it is to `limit`);
//! - `actual`: the values the server actually resolved: every field and every list item
//!   (`{ districts { code } }` over 39 districts is 1 + 39 items + 39 codes = 79). It is what
//!   the request really cost the resolvers, and it can be far above `requested` for long lists;
//! - `limit`: the highest `requested` the server accepts.
//!
//! A document refused before execution (parse, validation, too complex) has no cost.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, Value};

/// Adds `extensions.cost` to an executed response: `requested` as [`requested`] counted it,
/// `actual` from the answer's data.
pub fn report(response: Response, requested: usize, limit: usize) -> Response {
    let cost = Value::from_json(serde_json::json!({
        "requested": requested,
        "actual": resolved(&response.data),
        "limit": limit,
    }));
    match cost {
        Ok(cost) => response.extension("cost", cost),
        // Unreachable with plain numbers; a response without its cost is still an answer.
        Err(_) => response,
    }
}

/// The document's complexity as async-graphql's validation computes it (and as the
/// complexity limit checks it): every field of every operation counts 1, fragments inlined
/// where they are spread, lists not multiplied, `__typename` not counted (async-graphql's
/// validation does not visit it). No field of this schema sets its own complexity, so the
/// count is the number of the other field selections. Counted here because
/// async-graphql reports it only to extensions, and the schema runs without any
/// ([`super::gate`]); a test pins the two counts together.
pub fn requested(doc: &ExecutableDocument) -> usize {
    super::limits::operation_sizes(doc, |f| f.name.node != "__typename")
        .fold(0, usize::saturating_add)
}

/// The values resolved to produce `data`: every field of every object and every list item
/// (the root object itself is not one). Counted from the answer after execution rather than by
/// a `resolve` hook around every field: such a hook wraps each of the thousands of fields of a
/// long list in one more future, which measured about a sixth of a ranking's CPU.
fn resolved(data: &Value) -> u64 {
    fn walk(v: &Value) -> u64 {
        match v {
            Value::Object(fields) => fields.values().map(|f| 1 + walk(f)).sum(),
            Value::List(items) => items.iter().map(|i| 1 + walk(i)).sum(),
            _ => 0,
        }
    }
    walk(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_field_and_list_item() {
        let data = Value::from_json(serde_json::json!({
            "districts": [{"code": "a"}, {"code": "b", "name": null}],
            "x": 1
        }))
        .expect("json");
        // districts 1, two items 2, their fields 1 + 2, x 1.
        assert_eq!(resolved(&data), 7);
        assert_eq!(resolved(&Value::Null), 0);
    }
}
