//! The API error: one enum, one mapping to GraphQL `extensions.code` and to an HTTP status.
//!
//! Policy: user mistakes (unknown codes, bad arguments) carry a precise message; internal
//! failures are logged with their full cause and reach the client only as "internal error",
//! so SQL or file paths never leak.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;

use crate::db::DbError;
use crate::ingest::{IngestError, Problem};

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
    /// An argument is invalid.
    #[error("{0}")]
    BadInput(String),
    /// Input records with problems: every one is listed (`extensions.problems`).
    #[error("{} problem(s) in the input; nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// No valid API key was presented for a write.
    #[error("{0}")]
    Unauthenticated(String),
    /// The key's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The database could not be reached in time.
    #[error("service unavailable, try again")]
    Unavailable(String),
    /// Anything else; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients switch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } => "NOT_FOUND",
            ApiError::BadInput(_) | ApiError::Invalid(_) => "BAD_USER_INPUT",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status for non-GraphQL endpoints.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BadInput(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Converts into a GraphQL error with `extensions.code` (and the offending code for
    /// NOT_FOUND). Internal and unavailable causes are logged here, once.
    pub fn into_graphql(self) -> async_graphql::Error {
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let code = self.code();
        let mut err = async_graphql::Error::new(self.to_string());
        err = err.extend_with(|_, ext| ext.set("code", code));
        if let ApiError::Invalid(problems) = &self {
            let list: Vec<async_graphql::Value> = problems
                .iter()
                .map(|p| {
                    let mut m = async_graphql::indexmap::IndexMap::new();
                    m.insert(
                        async_graphql::Name::new("row"),
                        async_graphql::Value::from(p.line),
                    );
                    m.insert(
                        async_graphql::Name::new("field"),
                        async_graphql::Value::from(p.field.as_str()),
                    );
                    m.insert(
                        async_graphql::Name::new("message"),
                        async_graphql::Value::from(p.message.as_str()),
                    );
                    async_graphql::Value::Object(m)
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
            DbError::Unavailable(_) | DbError::Connect { .. } => {
                ApiError::Unavailable(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Db(db) => db.into(),
            IngestError::Invalid(problems) => ApiError::Invalid(problems),
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
