//! The API error and the error-code vocabulary: one enum of errors, one mapping to GraphQL
//! `extensions.code` (an [`ErrorCode`], the one list of codes the server sends) and to an HTTP
//! status.
//!
//! Each layer has its own error ([`DbError`], [`crate::analytics::AnalyticsError`],
//! [`IngestError`]); this module is the one place that turns them into [`ApiError`] (except
//! the analytics error, whose inputs the API names by its arguments:
//! [`crate::graphql::arguments`]), including the storage errors that are the
//! caller's doing: a row a lookup expected is `NOT_FOUND`, a unique-key violation (two writers
//! racing for the same key) is `CONFLICT`, and so is a draft whose report the warehouse
//! already holds.
//!
//! Policy: user mistakes (unknown codes, bad arguments) carry a precise message; internal
//! failures are logged with their full cause and reach the client only as "internal error" or
//! "service unavailable", so SQL, driver messages or file paths never leak.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use strum::{Display, IntoStaticStr, VariantArray};

use crate::auth::AuthError;
use crate::db::DbError;
use crate::document::ReadError;
use crate::extract::drafts::DraftError;
use crate::extract::ExtractError;
use crate::ingest::import::CorrectionError;
use crate::ingest::{IngestError, Problem};

/// Every code the server sends: in `extensions.code` of a GraphQL error, in `error.code` of
/// the other routes' and the MCP tools' errors, and in `error.data.code` of a refused MCP
/// request. Clients switch on it, never on messages. docs/api.md lists them ("Error codes"),
/// and a test holds the list and this enum to the same set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Display, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// An unknown code (the error's `kind` and `value` name it), a record that no longer
    /// exists, or a page, asset or SDMX artefact that is not served.
    NotFound,
    /// An argument, variable or parameter the server cannot use (malformed, out of range, over
    /// the input limits), or input records with problems (listed in `problems`).
    BadUserInput,
    /// A concurrent write took the same key first, the database stayed busy past its wait, or
    /// a draft's report is already a source; nothing was written.
    Conflict,
    /// A write (or the audit log) without a valid API key.
    Unauthenticated,
    /// The key's role does not allow the operation.
    Forbidden,
    /// No database connection within the pool timeout.
    Unavailable,
    /// The request, its body or one of its statements ran past its time limit.
    Timeout,
    /// As many exports as the server runs at once are running.
    TooManyExports,
    /// The request body is over the body limit, or a message built in memory would be larger
    /// than the server builds.
    PayloadTooLarge,
    /// The HTTP request is not a GraphQL request the server takes (not JSON, a batch of the
    /// wrong size, an unreadable body, no supported WebSocket subprotocol, a query or mutation
    /// on `/graphql/ws`, a persisted query sent wrongly).
    BadRequest,
    /// A rate limit (per client address or per API key) refused the request.
    RateLimited,
    /// The database has no space left for the write; nothing was written.
    StorageFull,
    /// The database accepts no writes at the moment; nothing was written.
    ReadOnly,
    /// A subscriber fell further behind the events than the server keeps; its subscription
    /// ends.
    SubscriberLagged,
    /// Anything else; the cause is logged, never sent.
    Internal,
    /// The GraphQL document does not parse.
    GraphqlParseFailed,
    /// The schema refuses the document (unknown field, wrong argument type, too deep, too
    /// complex, too large once its fragments are inlined).
    GraphqlValidationFailed,
    /// A persisted query's hash the server does not know (the client then sends the document
    /// with its hash).
    PersistedQueryNotFound,
    /// The operation to run cannot be chosen: `operationName` names none of the document's,
    /// or the document holds several and none is named.
    OperationResolutionFailure,
    /// A mutation sent by `GET`.
    MethodNotAllowed,
    /// More subscriptions on one `/graphql/ws` connection than the server allows.
    TooManySubscriptions,
    /// `/graphql/ws`, or the server itself, holds as many connections as it allows.
    TooManyConnections,
}

impl ErrorCode {
    /// The code as sent (`BAD_USER_INPUT`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A code compares with its wire spelling (what tests and clients hold).
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Errors a client can receive.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// An unknown district, indicator, source or breakdown code.
    #[error("unknown {kind} {code:?}")]
    NotFound {
        /// What was looked up (`district`, `indicator`, ...).
        kind: &'static str,
        /// The code that matched nothing.
        code: String,
    },
    /// A row that a query looked up does not exist (e.g. removed since its code was resolved).
    #[error("the record asked for does not exist")]
    RecordNotFound,
    /// An argument is invalid.
    #[error("{0}")]
    BadInput(String),
    /// Input records with problems: every one is listed (`extensions.problems`).
    #[error("{} problem(s) in the input; nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// A concurrent write got there first (a unique key already taken), or a draft's report is
    /// already a source (`publishDraft` without `allowRepeat`); nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// No valid API key was presented for a write.
    #[error("{0}")]
    Unauthenticated(String),
    /// The key's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The database could not be reached in time.
    #[error("service unavailable, try again")]
    Unavailable(String),
    /// The request or one of its statements ran past its time limit. A statement that timed
    /// out wrote nothing; a request answered at the request limit may still complete a write
    /// already running (the message says so: check before retrying a write).
    #[error("{0}")]
    Timeout(String),
    /// As many exports as the server streams at once are running; retry later.
    #[error("{0}")]
    TooManyExports(String),
    /// The request body is larger than the server accepts.
    #[error("{0}")]
    TooLarge(String),
    /// The HTTP request is not a GraphQL request (not JSON, not a request object, a batch
    /// larger than allowed).
    #[error("{0}")]
    BadRequest(String),
    /// A rate limit refused the request (HTTP 429 with `Retry-After`).
    #[error("{message}")]
    RateLimited {
        /// Which limit, and when to retry.
        message: String,
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// The database has no room for the write (disk or quota full); nothing was written. An
    /// operator must free space; retrying before that fails the same way.
    #[error("{0}")]
    StorageFull(String),
    /// The database accepts no writes (a read-only file or mount, a standby server); nothing
    /// was written. Reads still work.
    #[error("{0}")]
    ReadOnly(String),
    /// A subscriber fell further behind the events than the server keeps; its subscription
    /// ends (it may subscribe again, and read what it missed with a query).
    #[error("{0}")]
    Lagged(String),
    /// Anything else; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients switch on (`extensions.code`).
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound { .. } | ApiError::RecordNotFound => ErrorCode::NotFound,
            ApiError::BadInput(_) | ApiError::Invalid(_) => ErrorCode::BadUserInput,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Timeout(_) => ErrorCode::Timeout,
            ApiError::TooManyExports(_) => ErrorCode::TooManyExports,
            ApiError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::StorageFull(_) => ErrorCode::StorageFull,
            ApiError::ReadOnly(_) => ErrorCode::ReadOnly,
            ApiError::Lagged(_) => ErrorCode::SubscriberLagged,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status for non-GraphQL endpoints.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } | ApiError::RecordNotFound => StatusCode::NOT_FOUND,
            ApiError::BadInput(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable(_) | ApiError::Timeout(_) | ApiError::TooManyExports(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::ReadOnly(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Lagged(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the cause of an internal or unavailable error (the only place it is kept: the
    /// client gets the fixed message). Called by both edges, GraphQL and plain HTTP.
    pub fn log(&self) {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            ApiError::StorageFull(_) | ApiError::ReadOnly(_) => {
                tracing::error!(
                    code = self.code().as_str(),
                    "a write was refused by the storage"
                )
            }
            _ => {}
        }
    }

    /// A file that cannot be read as a report (`BAD_USER_INPUT`), named when the client
    /// gave its name.
    pub fn unreadable(name: Option<&str>, e: ReadError) -> ApiError {
        match name {
            Some(name) => ApiError::BadInput(format!("{name}: {e}")),
            None => ApiError::BadInput(e.to_string()),
        }
    }

    /// Converts into a GraphQL error with `extensions.code` (and the offending code for
    /// NOT_FOUND), logging the cause once ([`ApiError::log`]).
    pub fn into_graphql(self) -> async_graphql::Error {
        self.log();
        let code = self.code().as_str();
        let mut err = async_graphql::Error::new(self.to_string());
        err = err.extend_with(|_, ext| ext.set("code", code));
        if let ApiError::Invalid(problems) = &self {
            // `row` is the record's line (in the equivalent CSV file for a list); `path` its
            // place in the input (`observations[3]`), null for a file. `code` says what kind of
            // problem it is and `messageZh` says it in Chinese, for clients that show problems
            // to Chinese readers (the review page).
            let list: Vec<async_graphql::Value> = problems
                .iter()
                .map(|p| {
                    async_graphql::Value::from_json(serde_json::json!({
                        "row": p.line,
                        "path": p.path,
                        "field": p.field,
                        "message": p.message,
                        "code": p.code,
                        "messageZh": p.message_zh,
                    }))
                    .unwrap_or_default()
                })
                .collect();
            err = err.extend_with(|_, ext| ext.set("problems", async_graphql::Value::List(list)));
        }
        if let ApiError::NotFound { kind, code } = &self {
            let (kind, code) = (*kind, code.clone());
            err = err.extend_with(|_, ext| {
                ext.set("kind", kind);
                ext.set("value", code.as_str());
            });
        }
        err
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(e) => e.into(),
            DbError::Unavailable { .. } | DbError::Connect { .. } => {
                ApiError::Unavailable(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// What a client is told when a statement ran past the server's statement timeout.
const STATEMENT_TIMEOUT_MESSAGE: &str =
    "a database statement ran past the server's time limit; nothing was written: narrow the query or retry";

/// What a client is told when its write waited for another past the busy timeout (SQLite), or
/// PostgreSQL broke a deadlock or a serialization conflict by cancelling it.
const BUSY_MESSAGE: &str =
    "the database was busy with other writes and this one could not wait longer; nothing was written: retry";

/// What a client is told when the disk or quota under the database is full.
const STORAGE_FULL_MESSAGE: &str =
    "the database has no space left for this write; nothing was written: an operator must free space";

/// What a client is told when the database accepts no writes.
const READ_ONLY_MESSAGE: &str =
    "the database is read-only at the moment; nothing was written: reads still work";

/// Storage faults a client can act on, told apart by the driver's message: neither SQLite's
/// (`SQLITE_FULL`, `SQLITE_READONLY`, `SQLITE_BUSY`) nor PostgreSQL's (SQLSTATE 53100, 25006,
/// 40P01) are named by diesel's `DatabaseErrorKind`.
fn storage_fault(message: &str) -> Option<ApiError> {
    const FULL: [&str; 3] = [
        "database or disk is full",
        "No space left on device",
        "could not extend file",
    ];
    const READ_ONLY: [&str; 3] = [
        "attempt to write a readonly database",
        "read-only transaction",
        "read-only file system",
    ];
    const BUSY: [&str; 3] = [
        "database is locked",
        "database table is locked",
        "deadlock detected",
    ];
    if FULL.iter().any(|w| message.contains(w)) {
        Some(ApiError::StorageFull(STORAGE_FULL_MESSAGE.into()))
    } else if READ_ONLY.iter().any(|w| message.contains(w)) {
        Some(ApiError::ReadOnly(READ_ONLY_MESSAGE.into()))
    } else if BUSY.iter().any(|w| message.contains(w)) {
        Some(ApiError::Conflict(BUSY_MESSAGE.into()))
    } else {
        None
    }
}

/// What a client is told when its write lost a race for a unique key.
const CONFLICT_MESSAGE: &str =
    "another write stored the same record at the same time; nothing was written: retry";

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => {
                // A lookup that found nothing: the client's code was wrong, or an internal
                // `.first()` missed; the log tells which.
                tracing::info!("a queried row does not exist");
                ApiError::RecordNotFound
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // The constraint names a table and columns: useful in the log, internal to clients.
                tracing::info!(
                    table = info.table_name(),
                    constraint = info.constraint_name(),
                    detail = info.message(),
                    "unique-key conflict between concurrent writes"
                );
                ApiError::Conflict(CONFLICT_MESSAGE.into())
            }
            // The server went away under a pooled connection (stopped, restarted, network cut):
            // the database is unavailable, not the request wrong. The pool drops the broken
            // connection and opens a new one once the server is back. PostgreSQL's shutdown
            // message (SQLSTATE 57P01) is not named by diesel, hence the text.
            ref lost if crate::db::conn::is_connection_lost(lost) => {
                ApiError::Unavailable(lost.to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                tracing::info!(detail = info.message(), "serialization failure");
                ApiError::Conflict(BUSY_MESSAGE.into())
            }
            // Text PostgreSQL cannot store (U+0000 in a file import: SQLSTATE 22021), the
            // input's fault; the GraphQL layer refuses it earlier.
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                ApiError::BadInput("text may not contain the NUL character (U+0000)".into())
            }
            // PostgreSQL's statement_timeout (SQLSTATE 57014, which diesel does not name).
            Error::DatabaseError(_, info) if info.message().contains("statement timeout") => {
                tracing::warn!(detail = info.message(), "statement timeout");
                ApiError::Timeout(STATEMENT_TIMEOUT_MESSAGE.into())
            }
            Error::DatabaseError(kind, info) => match storage_fault(info.message()) {
                Some(fault) => {
                    tracing::warn!(detail = info.message(), "storage fault");
                    fault
                }
                None => ApiError::Internal(Error::DatabaseError(kind, info).to_string()),
            },
            // A commit that failed (a full disk at COMMIT) is the commit's error, whatever the
            // rollback that followed said.
            Error::RollbackErrorOnCommit { commit_error, .. } => (*commit_error).into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            // The holder of an expired key is told so, and when: it is their key.
            AuthError::Expired { .. } => ApiError::Unauthenticated(e.to_string()),
            AuthError::Db(e) => e.into(),
            // Key management is the command line's; reaching here is a wiring bug.
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::export::ExportError> for ApiError {
    fn from(e: crate::export::ExportError) -> Self {
        use crate::export::ExportError;
        match e {
            ExportError::Db(e) => e.into(),
            ExportError::Pool(e) => e.into(),
            // SDMX's REST API answers a response too large for the request with 413 as well.
            ExportError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<CorrectionError> for ApiError {
    fn from(e: CorrectionError) -> Self {
        match e {
            CorrectionError::UnknownKey(code) => ApiError::NotFound {
                kind: "observation",
                code,
            },
            CorrectionError::NoChange(_) => ApiError::BadInput(e.to_string()),
            CorrectionError::Ingest(e) => e.into(),
        }
    }
}

impl From<DraftError> for ApiError {
    fn from(e: DraftError) -> Self {
        match e {
            DraftError::UnknownDraft(id) => ApiError::NotFound {
                kind: "draft",
                code: id.to_string(),
            },
            DraftError::UnknownItem { draft, item } => ApiError::NotFound {
                kind: "draft item",
                code: format!("{draft}/{item}"),
            },
            DraftError::UnknownIndicator(code) => ApiError::NotFound {
                kind: "indicator",
                code,
            },
            DraftError::Extract(ExtractError::UnknownDistrict(code)) => ApiError::NotFound {
                kind: "district",
                code,
            },
            e @ (DraftError::Closed { .. } | DraftError::BadInput(_) | DraftError::Extract(_)) => {
                ApiError::BadInput(e.to_string())
            }
            // The report is in the warehouse already: a state of the data, like a key taken.
            e @ DraftError::Repeat { .. } => ApiError::Conflict(e.to_string()),
            DraftError::Ingest(e) => e.into(),
            e @ DraftError::Corrupt(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Db(db) => db.into(),
            IngestError::Invalid(problems) => ApiError::Invalid(problems),
            e @ IngestError::Inconsistent(_) => ApiError::Internal(e.to_string()),
            other => ApiError::BadInput(other.to_string()),
        }
    }
}

/// Shorthand for resolvers: `db_call().await.gql()?`.
pub trait GqlResultExt<T> {
    /// Maps the error into a GraphQL error with its code.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResultExt<T> for Result<T, ApiError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(ApiError::into_graphql)
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    use super::*;

    #[test]
    fn a_missing_row_is_not_found() {
        let e = ApiError::from(DbError::Query(diesel::result::Error::NotFound));
        assert_eq!(e.code(), "NOT_FOUND");
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_unique_violation_is_a_conflict_without_sql_in_the_message() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE t (k TEXT PRIMARY KEY); INSERT INTO t VALUES ('a');")
            .expect("setup");
        let err = conn
            .batch_execute("INSERT INTO t VALUES ('a');")
            .expect_err("duplicate key");
        let e = ApiError::from(DbError::Query(err));
        assert_eq!(e.code(), "CONFLICT");
        let message = e.into_graphql().message;
        assert!(
            !message.contains("UNIQUE") && !message.contains("t.k"),
            "{message}"
        );
    }

    #[test]
    fn the_pool_cause_is_logged_never_sent() {
        let db = DbError::Unavailable {
            timeout: std::time::Duration::from_millis(200),
            cause: "timed out waiting for connection: connection refused".into(),
        };
        let e = ApiError::from(db);
        assert!(matches!(&e, ApiError::Unavailable(cause) if cause.contains("connection refused")));
        assert_eq!(e.code(), "UNAVAILABLE");
        assert_eq!(e.to_string(), "service unavailable, try again");
    }

    #[test]
    fn other_query_errors_are_internal_and_say_nothing() {
        let e = ApiError::from(diesel::result::Error::BrokenTransactionManager);
        assert_eq!(e.code(), "INTERNAL");
        assert_eq!(e.into_graphql().message, "internal error");
    }

    fn sqlite_error(setup: &str, statement: &str) -> ApiError {
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        conn.batch_execute(setup).expect("setup");
        let err = conn
            .batch_execute(statement)
            .expect_err("the statement fails");
        ApiError::from(DbError::Query(err))
    }

    #[test]
    fn a_full_database_is_storage_full() {
        // max_page_count caps the file as a full disk would.
        let e = sqlite_error(
            "CREATE TABLE t (v BLOB); PRAGMA max_page_count = 2;",
            "INSERT INTO t VALUES (randomblob(100000));",
        );
        assert_eq!(
            (e.code().as_str(), e.status().as_u16()),
            ("STORAGE_FULL", 507)
        );
        assert!(e.to_string().contains("nothing was written"), "{e}");
    }

    #[test]
    fn a_read_only_database_is_read_only() {
        let e = sqlite_error(
            "CREATE TABLE t (v TEXT); PRAGMA query_only = 1;",
            "INSERT INTO t VALUES ('x');",
        );
        assert_eq!((e.code().as_str(), e.status().as_u16()), ("READ_ONLY", 503));
    }

    #[test]
    fn a_busy_database_is_a_conflict() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("b.sqlite3").display().to_string();
        let mut holder = diesel::SqliteConnection::establish(&path).expect("open");
        holder
            .batch_execute("CREATE TABLE t (v TEXT); BEGIN IMMEDIATE;")
            .expect("take the write lock");
        let mut other = diesel::SqliteConnection::establish(&path).expect("open");
        other
            .batch_execute("PRAGMA busy_timeout = 0;")
            .expect("no wait");
        let err = other
            .batch_execute("INSERT INTO t VALUES ('x');")
            .expect_err("locked");
        let e = ApiError::from(DbError::Query(err));
        assert_eq!(e.code(), "CONFLICT");
        assert!(e.to_string().contains("retry"), "{e}");
    }

    /// The codes docs/api.md lists ("Error codes") are the codes the server sends, both ways:
    /// a code added without its line, or a line left for a code removed, fails here.
    #[test]
    fn the_documented_error_codes_are_the_enum() {
        use std::collections::BTreeSet;
        let doc = include_str!("../docs/api.md");
        let section = doc
            .split("\n## Error codes\n")
            .nth(1)
            .expect("docs/api.md has an \"Error codes\" section");
        let section = section.split("\n## ").next().unwrap_or(section);
        let documented: BTreeSet<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let sent: BTreeSet<&str> = ErrorCode::VARIANTS.iter().map(|c| c.as_str()).collect();
        let undocumented: Vec<_> = sent.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&sent).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "docs/api.md lacks {undocumented:?} and lists {unknown:?}, which the server never sends"
        );
    }

    #[test]
    fn codes_are_sent_in_screaming_snake_case() {
        assert_eq!(ErrorCode::BadUserInput.as_str(), "BAD_USER_INPUT");
        assert_eq!(
            ErrorCode::GraphqlParseFailed.to_string(),
            "GRAPHQL_PARSE_FAILED"
        );
        assert_eq!(
            serde_json::to_value(ErrorCode::PayloadTooLarge).ok(),
            Some(serde_json::json!("PAYLOAD_TOO_LARGE"))
        );
        assert_eq!(ApiError::Lagged(String::new()).code(), "SUBSCRIBER_LAGGED");
    }
}
