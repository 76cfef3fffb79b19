//! The gate every GraphQL request passes on its way to the schema, and the one place the HTTP
//! layer executes requests ([`Endpoint`]).
//!
//! Why a gate and not async-graphql extensions: as soon as a schema has one extension,
//! async-graphql runs every field and every list item through the extension chain's `resolve`
//! hook (one more boxed future each), whether or not any extension hooks it. All our checks are
//! request-level, yet the extensions that held them cost about a third of a ranking's server
//! CPU (`BENCHMARKS.md`). So the schema has no extension, and the checks run here, once per
//! request, before and after [`EduSchema::execute`].
//!
//! Before execution, in this order; the first refusal ends the request with one error, its
//! `extensions.code` set, and no `data`:
//! 1. a persisted query (Apollo's automatic persisted queries, `extensions.persistedQuery`) is
//!    looked up by its hash, or stored with it: `PERSISTED_QUERY_NOT_FOUND`, `BAD_REQUEST`;
//! 2. the document is parsed once (`GRAPHQL_PARSE_FAILED`), and the parsed document is handed to
//!    the schema, which does not parse it again; the last documents parsed are kept by their
//!    text, so a document sent again is not parsed again;
//! 3. its size with fragments inlined, its depth ([`super::depth`]) and directives repeated in
//!    one place ([`limits::check_directives`]): `GRAPHQL_VALIDATION_FAILED`;
//! 4. the operation to run is chosen (`OPERATION_RESOLUTION_FAILURE`);
//! 5. a request that came by `GET` may not hold a mutation (`METHOD_NOT_ALLOWED`);
//! 6. the input limits (`BAD_USER_INPUT`, [`super::limits`]);
//! 7. read routing: a document without a mutation is sent to the read replica, when the server
//!    has one (`--read-database-url`). The switch is on the request's own database handle,
//!    whose clones in the DataLoaders share it. A document with any mutation stays on the
//!    primary as a whole, so what a mutation returns is read from the database it wrote to.
//!    Reads in later requests may see the replica a little behind (streaming replication is
//!    asynchronous); the README says so.
//!
//! The schema then validates the document (its rules, the complexity limit) and executes it.
//! Afterwards every error without a code gets one: a refusal by validation (no `data`, no
//! error with a path) `GRAPHQL_VALIDATION_FAILED`; an error raised while executing
//! `BAD_USER_INPUT` or `INTERNAL` ([`limits::code_execution_error`]). An executed response
//! carries `extensions.cost` ([`super::cost`]). Every response lists at most
//! [`limits::MAX_ERRORS`] errors of at most [`limits::MAX_MESSAGE_CHARS`] characters each, so an
//! error never echoes an unbounded part of the request.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::futures_util::{self, stream::BoxStream, StreamExt};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{BatchResponse, Request, Response, ServerError, ServerResult, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};

use super::limits::{self, with_code, InputLimits};
use super::PERSISTED_QUERIES;
use super::{build_schema_with, cost, depth, EduSchema, SchemaOptions};
use super::{MAX_COMPLEXITY, MAX_DEPTH, PARSED_DOCUMENTS, PARSED_DOCUMENT_MAX_BYTES};
use crate::db::Db;
use crate::error::ErrorCode;
use crate::notify::Notifier;

/// The schema with its gate (see the module doc).
pub struct Endpoint {
    schema: EduSchema,
    input: InputLimits,
    /// Documents of automatic persisted queries by the hex SHA-256 of their text, least
    /// recently used evicted. Parsed once, when the client first sends the text.
    persisted: Mutex<LruCache<String, ExecutableDocument>>,
    /// Documents already parsed, by their text (see [`PARSED_DOCUMENTS`]). A document is the
    /// same whoever sends it: every check runs on it again for each request.
    parsed: Mutex<LruCache<String, ExecutableDocument>>,
}

/// One request as the HTTP layer hands it over.
pub struct Incoming {
    /// The request, its context attached ([`super::context::attach`]).
    pub request: Request,
    /// The request's own database handle, the one attached to it: reads are routed to the
    /// replica on it.
    pub db: Db,
    /// The request came by `GET`, so it must not write.
    pub read_only: bool,
}

/// A single request or a batch of them, as the client sent it.
pub enum IncomingBatch {
    /// One request; answered with one response. (Boxed: a request is large and a batch is
    /// not.)
    Single(Box<Incoming>),
    /// A batch; answered with an array of responses, in order.
    Batch(Vec<Incoming>),
}

/// What admission hands to execution.
struct Admitted {
    request: Request,
    /// The document's complexity (`extensions.cost.requested`).
    requested: usize,
}

impl Endpoint {
    /// The schema (see [`super::build_schema_for`]) behind its gate.
    pub fn new(db: Option<Db>, options: SchemaOptions) -> Endpoint {
        Endpoint::with_notifier(db, options, None)
    }

    /// The schema with the server's event channel ([`super::build_schema_with`]) behind its
    /// gate.
    pub fn with_notifier(
        db: Option<Db>,
        options: SchemaOptions,
        notifier: Option<Notifier>,
    ) -> Endpoint {
        Endpoint {
            schema: build_schema_with(db, options, notifier),
            input: options.input,
            persisted: Mutex::new(LruCache::new(
                NonZeroUsize::new(PERSISTED_QUERIES).unwrap_or(NonZeroUsize::MIN),
            )),
            parsed: Mutex::new(LruCache::new(
                NonZeroUsize::new(PARSED_DOCUMENTS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Admits and executes one request (see the module doc).
    pub async fn execute(&self, incoming: Incoming) -> Response {
        let mut response = match self.admit(incoming) {
            Err(e) => Response::from_errors(vec![e]),
            Ok(Admitted { request, requested }) => {
                finish(self.schema.execute(request).await, requested)
            }
        };
        response.errors = limits::bound_errors(std::mem::take(&mut response.errors));
        response
    }

    /// Executes a request or a batch; a batch's requests run one after the other, as
    /// async-graphql runs them.
    pub async fn execute_batch(&self, batch: IncomingBatch) -> BatchResponse {
        match batch {
            IncomingBatch::Single(one) => BatchResponse::Single(self.execute(*one).await),
            IncomingBatch::Batch(many) => {
                let mut responses = Vec::with_capacity(many.len());
                for one in many {
                    responses.push(self.execute(one).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }

    /// Admits and starts a subscription (`/graphql/ws`): the document checks of steps 2, 3, 4
    /// and 6 (no persisted queries over the socket), then the schema's own validation and
    /// complexity limit. Only a subscription operation is accepted there (`BAD_REQUEST`
    /// otherwise: queries and mutations go to `POST /graphql`, where the whole gate, the
    /// rate limits and the time limit apply). Every error carries a code.
    pub fn subscribe(&self, mut request: Request) -> BoxStream<'static, Response> {
        let admitted = (|| {
            let doc = parse(&request.query)?;
            limits::check_expansion(&doc)?;
            depth::check_depth(&doc, MAX_DEPTH)?;
            limits::check_directives(&doc)?;
            let selected = selected_operation(&doc, request.operation_name.as_deref())?;
            if selected != OperationType::Subscription {
                return Err(bad_request(
                    "only subscriptions are served on /graphql/ws; send queries and mutations to POST /graphql".into(),
                ));
            }
            self.input.check(&doc, &request.variables, selected)?;
            request.set_parsed_query(doc);
            Ok(())
        })();
        if let Err(e) = admitted {
            let response = Response::from_errors(vec![e]);
            return Box::pin(futures_util::stream::once(async move { response }));
        }
        Box::pin(self.schema.execute_stream(request).map(|mut response| {
            code_errors(&mut response);
            response.errors = limits::bound_errors(std::mem::take(&mut response.errors));
            response
        }))
    }

    /// Steps 1 to 7 of the module doc.
    fn admit(&self, incoming: Incoming) -> ServerResult<Admitted> {
        let Incoming {
            mut request,
            db,
            read_only,
        } = incoming;
        let doc = match self.persisted(&mut request)? {
            Some(doc) => doc,
            None => self.parse_known(&request.query)?,
        };
        limits::check_expansion(&doc)?;
        depth::check_depth(&doc, MAX_DEPTH)?;
        limits::check_directives(&doc)?;
        let selected = selected_operation(&doc, request.operation_name.as_deref())?;
        if selected == OperationType::Subscription {
            return Err(bad_request(
                "subscriptions are served over the graphql-transport-ws protocol at /graphql/ws"
                    .into(),
            ));
        }
        if read_only {
            limits::check_read_only(&doc)?;
        }
        self.input.check(&doc, &request.variables, selected)?;
        if !limits::has_mutation(&doc) {
            db.route_reads_to_replica();
        }
        let requested = cost::requested(&doc);
        request.set_parsed_query(doc);
        Ok(Admitted { request, requested })
    }

    /// Step 2: the document of `text`, parsed once and kept while it is sent often enough (a
    /// clone of the kept document costs a fraction of parsing it again).
    fn parse_known(&self, text: &str) -> ServerResult<ExecutableDocument> {
        if text.len() > PARSED_DOCUMENT_MAX_BYTES {
            return parse(text);
        }
        let known = self
            .parsed
            .lock()
            .ok()
            .and_then(|mut kept| kept.get(text).cloned());
        if let Some(doc) = known {
            return Ok(doc);
        }
        let doc = parse(text)?;
        if let Ok(mut kept) = self.parsed.lock() {
            kept.put(text.to_string(), doc.clone());
        }
        Ok(doc)
    }

    /// Step 1: the document of a persisted query, if the request is one. A request with the
    /// hash only is answered from the store; one with the text too has the text checked
    /// against the hash, parsed and stored.
    fn persisted(&self, request: &mut Request) -> ServerResult<Option<ExecutableDocument>> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(None);
        };
        let pq = persisted_query(value)?;
        if request.query.is_empty() {
            let doc = self
                .persisted
                .lock()
                .ok()
                .and_then(|mut store| store.get(&pq.hash).cloned());
            return match doc {
                Some(doc) => Ok(Some(doc)),
                None => Err(with_code(
                    ServerError::new("PersistedQueryNotFound", None),
                    ErrorCode::PersistedQueryNotFound,
                )),
            };
        }
        let hash = hex::encode(Sha256::digest(request.query.as_bytes()));
        if hash != pq.hash.to_ascii_lowercase() {
            return Err(bad_request(
                "the persisted query's sha256Hash is not the SHA-256 of its query".into(),
            ));
        }
        let doc = parse(&request.query)?;
        if let Ok(mut store) = self.persisted.lock() {
            store.put(hash, doc.clone());
        }
        Ok(Some(doc))
    }
}

/// Parses a document; a syntax error is `GRAPHQL_PARSE_FAILED`.
fn parse(text: &str) -> ServerResult<ExecutableDocument> {
    async_graphql::parser::parse_query(text)
        .map_err(|e| with_code(e.into(), ErrorCode::GraphqlParseFailed))
}

/// `extensions.persistedQuery` of a request.
struct PersistedQuery {
    hash: String,
}

fn persisted_query(value: Value) -> ServerResult<PersistedQuery> {
    let Value::Object(fields) = value else {
        return Err(bad_request(
            "extensions.persistedQuery must be an object with `version` and `sha256Hash`".into(),
        ));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        other => {
            return Err(bad_request(format!(
                "only version 1 of persisted queries is supported, not {}",
                other.map_or_else(|| "none".to_string(), |v| v.to_string())
            )))
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) => Ok(PersistedQuery { hash: hash.clone() }),
        _ => Err(bad_request(
            "extensions.persistedQuery.sha256Hash must be a string".into(),
        )),
    }
}

fn bad_request(message: String) -> ServerError {
    with_code(ServerError::new(message, None), ErrorCode::BadRequest)
}

/// Step 4: the type of the operation the request runs, chosen as async-graphql chooses it:
/// the one named by `operationName`, or the document's only operation.
fn selected_operation(doc: &ExecutableDocument, name: Option<&str>) -> ServerResult<OperationType> {
    let chosen = match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Ok(op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
            .values()
            .next()
            .map(|op| op.node.ty)
            .ok_or_else(|| "the document holds no operation".to_string()),
        (DocumentOperations::Multiple(_), None) => Err(
            "the document holds several operations: name the one to run in operationName"
                .to_string(),
        ),
        (DocumentOperations::Single(_), Some(n)) => Err(format!(
            "operationName is \"{n}\", but the document's only operation has no name"
        )),
        (DocumentOperations::Multiple(ops), Some(n)) => ops
            .iter()
            .find(|(name, _)| name.as_str() == n)
            .map(|(_, op)| op.node.ty)
            .ok_or_else(|| format!("the document has no operation named \"{n}\"")),
    };
    chosen.map_err(|message| {
        with_code(
            ServerError::new(message, None),
            ErrorCode::OperationResolutionFailure,
        )
    })
}

/// Puts a code on every error of an executed `response`; true when validation refused the
/// request (nothing was executed).
fn code_errors(response: &mut Response) -> bool {
    // Validation refuses before anything resolves: no data, and its errors point at the
    // document (locations), never at a response path. Every error raised by a resolver or by
    // coercing an argument carries the path of its field.
    let refused = !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(|e| {
            if refused {
                with_code(e, ErrorCode::GraphqlValidationFailed)
            } else {
                limits::code_execution_error(e)
            }
        })
        .collect();
    refused
}

/// After execution: codes on every error, and the cost of an executed response.
fn finish(mut response: Response, requested: usize) -> Response {
    if code_errors(&mut response) {
        response
    } else {
        cost::report(response, requested, MAX_COMPLEXITY)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use async_graphql::extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextValidation,
    };
    use async_graphql::ValidationResult;

    use super::*;

    /// Records the complexity async-graphql's validation computes (tests only: the server's
    /// schema has no extension).
    struct Complexity(Arc<AtomicUsize>);

    impl ExtensionFactory for Complexity {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(Complexity(self.0.clone()))
        }
    }

    #[async_graphql::async_trait::async_trait]
    impl Extension for Complexity {
        async fn validation(
            &self,
            ctx: &ExtensionContext<'_>,
            next: NextValidation<'_>,
        ) -> Result<ValidationResult, Vec<ServerError>> {
            let result = next.run(ctx).await?;
            self.0.store(result.complexity, Ordering::Relaxed);
            Ok(result)
        }
    }

    #[tokio::test]
    async fn the_requested_cost_is_async_graphqls_complexity() {
        let seen = Arc::new(AtomicUsize::new(usize::MAX));
        let schema = async_graphql::Schema::build(
            super::super::query::QueryRoot,
            super::super::mutation::MutationRoot,
            async_graphql::EmptySubscription,
        )
        .extension(Complexity(seen.clone()))
        .finish();
        let documents = [
            ("{ __typename }", None),
            ("{ districts { code nameZh parent { code } } }", None),
            (
                "{ a: districts { ...D } b: districts { ...D ... on District { level } } } \
                 fragment D on District { code nameEn parent { ...P } } fragment P on District { code }",
                None,
            ),
            (
                "query One { districts { code } } query Two { districts { code nameZh } }",
                Some("Two"),
            ),
            ("{ __schema { types { name fields { name } } } }", None),
        ];
        for (text, operation) in documents {
            let mut request = Request::new(text);
            if let Some(op) = operation {
                request = request.operation_name(op);
            }
            seen.store(usize::MAX, Ordering::Relaxed);
            // No database: execution fails, but validation has run and been recorded.
            let _ = schema.execute(request).await;
            let doc = async_graphql::parser::parse_query(text).expect("parses");
            assert_eq!(
                cost::requested(&doc),
                seen.load(Ordering::Relaxed),
                "{text}"
            );
        }
    }

    fn pq(version: i64, hash: &str) -> Value {
        Value::from_json(serde_json::json!({"version": version, "sha256Hash": hash})).expect("json")
    }

    #[test]
    fn the_operation_is_chosen_as_async_graphql_chooses_it() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).expect("parses");
        let code = |r: ServerResult<OperationType>| {
            r.err()
                .and_then(|e| e.extensions)
                .and_then(|x| x.get("code").cloned())
        };
        let one = parse("{ a }");
        let named = parse("query A { a } mutation B { b }");
        assert_eq!(
            selected_operation(&one, None).ok(),
            Some(OperationType::Query)
        );
        assert_eq!(
            selected_operation(&named, Some("B")).ok(),
            Some(OperationType::Mutation)
        );
        let failure = Some(Value::from("OPERATION_RESOLUTION_FAILURE"));
        assert_eq!(code(selected_operation(&named, None)), failure);
        assert_eq!(code(selected_operation(&named, Some("C"))), failure);
        assert_eq!(code(selected_operation(&one, Some("A"))), failure);
    }

    #[test]
    fn a_persisted_query_must_say_version_1_and_a_string_hash() {
        assert!(persisted_query(pq(1, "ab")).is_ok());
        for bad in [pq(2, "ab"), Value::from("x")] {
            let e = persisted_query(bad).err().expect("refused");
            assert_eq!(
                e.extensions.and_then(|x| x.get("code").cloned()),
                Some(Value::from("BAD_REQUEST"))
            );
        }
    }
}
