//! Request-level guards of the GraphQL layer, as async-graphql extensions:
//!
//! - [`ErrorCodes`]: every error raised before execution carries `extensions.code`, as Apollo
//!   names them: `GRAPHQL_PARSE_FAILED` for a document that does not parse,
//!   `GRAPHQL_VALIDATION_FAILED` for one the schema refuses (unknown field, wrong argument type,
//!   too deep, too complex). Clients switch on the code, never on English messages.
//! - [`InputLimits`]: bounds on the size of string and list values in *read* documents
//!   (`BAD_USER_INPUT`). Reads are open to anyone, so a 10 MB `search` string must be refused
//!   before it reaches a `LIKE` pattern. Mutations are left to the body limit of the HTTP layer:
//!   they need an editor key, and a report's text is legitimately hundreds of kilobytes.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value, Variables};

/// `extensions.code` of a document that does not parse.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// `extensions.code` of a document the schema refuses.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Sets `extensions.code` on an error that has none (a code set closer to the cause wins).
pub fn with_code(mut e: ServerError, code: &str) -> ServerError {
    let has_code = e
        .extensions
        .as_ref()
        .is_some_and(|x| x.get("code").is_some());
    if !has_code {
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    e
}

/// Adds the Apollo codes to parse and validation errors (see the module doc).
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

/// `extensions.code` of a persisted-query hash the server does not know (the client then
/// sends the document with its hash), as Apollo names it.
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        // async-graphql's persisted-query extension says only "PersistedQueryNotFound".
        next.run(ctx, request).await.map_err(|e| {
            if e.message == "PersistedQueryNotFound" {
                with_code(e, PERSISTED_QUERY_NOT_FOUND)
            } else {
                with_code(e, "BAD_REQUEST")
            }
        })
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, PARSE_FAILED))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, VALIDATION_FAILED))
                .collect()
        })
    }
}

/// Bounds on the values of read documents (see the module doc).
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// Longest string value, in characters.
    pub max_string: usize,
    /// Longest list value, in items.
    pub max_list: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_string: 1_000,
            max_list: 1_000,
        }
    }
}

impl ExtensionFactory for InputLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for InputLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let reads_only = doc
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query);
        for (_, op) in doc.operations.iter() {
            if op.node.ty != OperationType::Query {
                continue;
            }
            if let Some(why) = self.in_selection(&doc, &op.node.selection_set.node, 0) {
                return Err(bad_input(why));
            }
        }
        // Variables feed every operation of the document: checked when all are reads.
        if reads_only {
            for (name, value) in variables.iter() {
                if let Some(why) = self.too_big(value) {
                    return Err(bad_input(format!("variable ${name}: {why}")));
                }
            }
        }
        Ok(doc)
    }
}

/// Request data marking a request that came by `GET` (see [`QueriesOnly`]).
#[derive(Debug, Clone, Copy)]
pub struct ReadOnlyRequest;

/// `extensions.code` of a mutation sent by `GET`.
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";

/// Refuses a document with a mutation in a request marked [`ReadOnlyRequest`]: `GET` requests
/// may be cached and replayed by proxies and prefetched by browsers, so they must not write.
/// Checked after parsing, so a persisted query sent by hash is checked too.
pub struct QueriesOnly;

impl ExtensionFactory for QueriesOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueriesOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueriesOnly {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let writes = doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation);
        if writes && ctx.data_opt::<ReadOnlyRequest>().is_some() {
            let mut e = ServerError::new("a mutation must be sent with POST, not GET", None);
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", METHOD_NOT_ALLOWED);
            return Err(e);
        }
        Ok(doc)
    }
}

fn bad_input(message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", "BAD_USER_INPUT");
    e
}

impl InputLimits {
    /// Why `value` is too big, if it is.
    fn too_big(&self, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => {
                let n = s.chars().count();
                (n > self.max_string).then(|| {
                    format!(
                        "a string of {n} characters; at most {} in a query",
                        self.max_string
                    )
                })
            }
            Value::List(items) => {
                if items.len() > self.max_list {
                    return Some(format!(
                        "a list of {} items; at most {} in a query",
                        items.len(),
                        self.max_list
                    ));
                }
                items.iter().find_map(|v| self.too_big(v))
            }
            Value::Object(fields) => fields.values().find_map(|v| self.too_big(v)),
            _ => None,
        }
    }

    /// The first literal argument under `set` that is too big. Fragments are followed to a
    /// bounded depth (validation refuses cycles later; here they must only terminate).
    fn in_selection(
        &self,
        doc: &ExecutableDocument,
        set: &SelectionSet,
        depth: usize,
    ) -> Option<String> {
        if depth > 64 {
            return None;
        }
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(f) => f
                .node
                .arguments
                .iter()
                .find_map(|(name, value)| {
                    let v = value.node.clone().into_const()?;
                    self.too_big(&v).map(|why| {
                        format!("argument `{}` of `{}`: {why}", name.node, f.node.name.node)
                    })
                })
                .or_else(|| self.in_selection(doc, &f.node.selection_set.node, depth + 1)),
            Selection::InlineFragment(fr) => {
                self.in_selection(doc, &fr.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(sp) => doc
                .fragments
                .get(&sp.node.fragment_name.node)
                .and_then(|def| self.in_selection(doc, &def.node.selection_set.node, depth + 1)),
        })
    }
}
