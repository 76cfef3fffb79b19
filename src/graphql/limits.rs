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
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
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

/// Most fields a document may hold once its fragments are inlined (ten times the complexity
/// limit: a document near it is refused by the complexity limit anyway, with its own message).
pub const MAX_EXPANDED_FIELDS: usize = 10 * super::MAX_COMPLEXITY;

/// The number of fields of the largest operation of `doc` with its fragments inlined, counted
/// once per fragment (memoised, so the count itself is linear in the document), saturating.
/// A fragment that spreads itself counts nothing more (validation refuses the cycle).
pub fn expanded_fields(doc: &ExecutableDocument) -> usize {
    use std::collections::HashMap;
    fn size<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        memo: &mut HashMap<&'a str, usize>,
        open: &mut Vec<&'a str>,
    ) -> usize {
        set.items.iter().fold(0usize, |n, item| {
            let more = match &item.node {
                Selection::Field(f) => {
                    1usize.saturating_add(size(doc, &f.node.selection_set.node, memo, open))
                }
                Selection::InlineFragment(fr) => size(doc, &fr.node.selection_set.node, memo, open),
                Selection::FragmentSpread(sp) => {
                    let name = sp.node.fragment_name.node.as_str();
                    if let Some(n) = memo.get(name) {
                        *n
                    } else if open.contains(&name) {
                        0
                    } else if let Some(def) = doc.fragments.get(&sp.node.fragment_name.node) {
                        open.push(name);
                        let n = size(doc, &def.node.selection_set.node, memo, open);
                        open.pop();
                        memo.insert(name, n);
                        n
                    } else {
                        0
                    }
                }
            };
            n.saturating_add(more)
        })
    }
    let mut memo = HashMap::new();
    doc.operations
        .iter()
        .map(|(_, op)| size(doc, &op.node.selection_set.node, &mut memo, &mut Vec::new()))
        .max()
        .unwrap_or(0)
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
        let request = next.run(ctx, request).await.map_err(|e| {
            if e.message == "PersistedQueryNotFound" {
                with_code(e, PERSISTED_QUERY_NOT_FOUND)
            } else {
                with_code(e, "BAD_REQUEST")
            }
        })?;
        // Before anything walks the document with its fragments inlined (async-graphql's own
        // recursion check, the depth limit, the input limits), refuse one whose inlined size
        // is out of all proportion: fragments spread several times in several layers
        // (`...F1 ...F1 ...F1` in F0, the same in F1, …) are a few hundred bytes that inline
        // to billions of fields and would hold a worker thread for good. A document that does
        // not parse is left to the parser's own error.
        if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
            let n = expanded_fields(&doc);
            if n > MAX_EXPANDED_FIELDS {
                return Err(with_code(
                    ServerError::new(
                        format!(
                            "the document expands to more than {MAX_EXPANDED_FIELDS} fields once its fragments are inlined"
                        ),
                        None,
                    ),
                    VALIDATION_FAILED,
                ));
            }
        }
        Ok(request)
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

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        let mut response = next.run(ctx, operation_name).await;
        // Our resolvers' errors carry their code (`ApiError`); the ones without come from
        // async-graphql itself: coercing an argument or variable to its input type (the
        // client's mistake), or anything else (ours).
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| {
                let input = e.message.contains("occurred while parsing")
                    || e.message.starts_with("Failed to parse")
                    || e.message.starts_with("Expected input type")
                    || e.message.starts_with("Invalid value for argument");
                with_code(e, if input { "BAD_USER_INPUT" } else { "INTERNAL" })
            })
            .collect();
        response
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
        Arc::new(InputLimitsCheck {
            limits: *self,
            operation: std::sync::Mutex::new(None),
        })
    }
}

/// One request's check: the limits, and the operation the request selects.
struct InputLimitsCheck {
    limits: InputLimits,
    /// `operationName` of the request (recorded before parsing).
    operation: std::sync::Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for InputLimitsCheck {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        if let Ok(mut op) = self.operation.lock() {
            op.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let limits = &self.limits;
        // No text may hold U+0000, in any operation: PostgreSQL cannot store it in a text
        // column, so it would fail deep in a query instead of here, as the client's mistake.
        let nul = |v: &Value| has_nul(v).then(|| NUL_MESSAGE.to_string());
        if variables.iter().any(|(_, v)| has_nul(v))
            || doc
                .operations
                .iter()
                .any(|(_, op)| first_literal(&doc, &op.node.selection_set.node, 0, &nul).is_some())
        {
            return Err(bad_input(NUL_MESSAGE.into()));
        }
        for (_, op) in doc.operations.iter() {
            if op.node.ty != OperationType::Query {
                continue;
            }
            let too_big = |v: &Value| limits.too_big(v);
            if let Some(why) = first_literal(&doc, &op.node.selection_set.node, 0, &too_big) {
                return Err(bad_input(why));
            }
        }
        // Variables feed the operation the request selects: checked unless that one is a
        // mutation. (Checking only when every operation is a read would let an unused
        // mutation in the document switch the check off.)
        let wanted = self.operation.lock().ok().and_then(|op| op.clone());
        let selected = match &doc.operations {
            DocumentOperations::Single(op) => Some(op.node.ty),
            DocumentOperations::Multiple(ops) => wanted
                .as_deref()
                .and_then(|name| ops.iter().find(|(n, _)| n.as_str() == name))
                .map(|(_, op)| op.node.ty),
        };
        if selected != Some(OperationType::Mutation) {
            for (name, value) in variables.iter() {
                if let Some(why) = limits.too_big(value) {
                    return Err(bad_input(format!("variable ${name}: {why}")));
                }
            }
        }
        Ok(doc)
    }
}

/// The first literal argument under `set` for which `check` has something to say, as
/// "argument `a` of `f`: …". Fragments are followed to a bounded depth (validation refuses
/// cycles later; here the walk must only terminate, and the fragment budget of [`ErrorCodes`]
/// has already bounded the document's inlined size).
fn first_literal(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    check: &dyn Fn(&Value) -> Option<String>,
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
                check(&v)
                    .map(|why| format!("argument `{}` of `{}`: {why}", name.node, f.node.name.node))
            })
            .or_else(|| first_literal(doc, &f.node.selection_set.node, depth + 1, check)),
        Selection::InlineFragment(fr) => {
            first_literal(doc, &fr.node.selection_set.node, depth + 1, check)
        }
        Selection::FragmentSpread(sp) => doc
            .fragments
            .get(&sp.node.fragment_name.node)
            .and_then(|def| first_literal(doc, &def.node.selection_set.node, depth + 1, check)),
    })
}

/// Request data marking a request that came by `GET` (see [`QueriesOnly`]).
#[derive(Debug, Clone, Copy)]
pub struct ReadOnlyRequest;

/// `extensions.code` of a mutation sent by `GET`.
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";

/// Whether the document holds a mutation (GET refuses it; the read routing keeps it on the
/// primary). One definition, so both decide the same way.
pub(crate) fn has_mutation(doc: &ExecutableDocument) -> bool {
    doc.operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Mutation)
}

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
        let writes = has_mutation(&doc);
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

const NUL_MESSAGE: &str = "text may not contain the NUL character (U+0000)";

/// Whether a value holds a string with U+0000.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.values().any(has_nul),
        _ => false,
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
}
