//! Ingest: Chinese quantity parsing ([`quantity`]), reference periods ([`period`]), reading and
//! validating the seed folder ([`seed`]) and writing a validated dataset atomically ([`write`]).
//!
//! Error policy: validation never stops at the first problem; it returns every [`Problem`] with
//! its file, line and field, and nothing is written unless there are none. Writes happen in one
//! transaction, so a failure midway leaves the database as it was.

pub mod check;
pub mod import;
pub mod period;
pub mod quantity;
pub mod seed;
pub mod write;

use std::fmt;

use crate::db::DbError;

/// One thing wrong with one row of input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// File (relative to the seed folder), or the import's name.
    pub file: String,
    /// 1-based line; 0 when the problem is about the file or a merged catalogue entry.
    pub line: u64,
    /// The column at fault, empty when it concerns the whole row.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// Builds a problem.
    pub fn new(file: &str, line: u64, field: &str, message: String) -> Self {
        Problem {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.field.is_empty() {
            write!(f, " [{}]", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors of the ingest layer.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input has problems; nothing was written.
    #[error("{} problem(s) in the input; nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// A file or folder could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS message.
        message: String,
    },
    /// The database already holds data and replacing it was not asked for.
    #[error("the database is not empty ({0} observations); pass --replace to reload it")]
    NotEmpty(i64),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for IngestError {
    fn from(e: diesel::result::Error) -> Self {
        IngestError::Db(DbError::Query(e))
    }
}
