//! Ingest: everything that puts figures into the warehouse, through one path.
//!
//! ```text
//! read (seed folder, import file, GraphQL input) → rows (one definition: [`rows`])
//!   → validate against a catalogue ([`validate`]) → plan what to write ([`plan`])
//!   → apply it in one transaction ([`write`]), then refresh the rule findings ([`check`])
//! ```
//!
//! The seed loader ([`seed`]), imports and corrections ([`import`]) differ only in where the
//! rows and the catalogue come from and in how the plan is computed (a seed load creates
//! everything; an import compares with what is stored).
//!
//! Error policy: validation never stops at the first problem; it returns every [`Problem`]
//! with its place (file and line, or JSON path) and field, and nothing is written unless there
//! are none. Writes happen in one transaction, so a failure midway leaves the database as it
//! was.

pub mod bulk;
pub mod check;
pub mod codes;
pub mod dataset;
pub mod earlier;
pub mod import;
pub mod period;
pub mod plan;
pub mod quantity;
pub mod read;
pub mod rows;
pub mod said;
pub mod seed;
pub mod standards;
pub mod validate;
pub mod write;

use std::fmt;

use crate::db::DbError;

/// Where an input record is: its file (or the import's name) and line, and for structured
/// input (a JSON bundle, a GraphQL mutation) the path of the record inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    /// File (relative to the seed folder), or the name of the input (`observations`, `source`).
    pub file: String,
    /// 1-based line (for a list of records, the line it would have in the equivalent CSV file,
    /// whose header is line 1); 0 when the problem concerns the whole file.
    pub line: u64,
    /// JSON path of the record, e.g. `observations[3]`, for structured input.
    pub path: Option<String>,
}

impl Place {
    /// A line of a file.
    pub fn line(file: &str, line: u64) -> Place {
        Place {
            file: file.to_string(),
            line,
            path: None,
        }
    }

    /// The `index`-th record (0-based) of the list `list` of a structured input: its path, and
    /// the line it would have in the equivalent CSV file.
    pub fn item(list: &str, index: usize) -> Place {
        Place {
            file: list.to_string(),
            line: index as u64 + 2,
            path: Some(format!("{list}[{index}]")),
        }
    }

    /// A problem at this place, in English only (its code `other`; its Chinese names the
    /// field at fault, see [`said::other_zh`]).
    pub fn problem(&self, field: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.line,
            path: self.path.clone(),
            field: field.to_string(),
            message: message.into(),
            code: "other",
            message_zh: said::other_zh(field),
        }
    }

    /// A typed problem at this place, worded in English and Chinese.
    pub fn said(&self, field: &str, said: said::Said) -> Problem {
        Problem {
            code: said.code(),
            message_zh: said.zh(),
            ..self.problem(field, said.en())
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{path}"),
            None if self.line > 0 => write!(f, "{}:{}", self.file, self.line),
            None => write!(f, "{}", self.file),
        }
    }
}

/// A record with where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// Where.
    pub at: Place,
    /// The record.
    pub row: T,
}

/// One thing wrong with one record of input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// File (relative to the seed folder), or the input's name.
    pub file: String,
    /// 1-based line; 0 when the problem is about the whole file.
    pub line: u64,
    /// JSON path of the record, for structured input.
    pub path: Option<String>,
    /// The field at fault, empty when it concerns the whole record.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What kind of problem it is: a stable code (`pending`, `unknown_indicator`, …, `other`),
    /// see [`said::Said::code`].
    pub code: &'static str,
    /// What is wrong, in Chinese.
    pub message_zh: String,
}

impl Problem {
    /// A problem about a whole file or input.
    pub fn new(file: &str, line: u64, field: &str, message: String) -> Self {
        Place::line(file, line).problem(field, message)
    }

    /// The same problem said of a record: its key before the message, in both languages.
    pub fn of_key(self, key: &str) -> Self {
        Problem {
            message: format!("{key}: {}", self.message),
            message_zh: format!("{key}：{}", self.message_zh),
            ..self
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(path) = &self.path {
            write!(f, " ({path})")?;
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
    /// The input is not something this command reads (e.g. a file of the wrong type).
    #[error("{0}")]
    Unsupported(String),
    /// The database changed under the write (a code the plan relies on disappeared): nothing
    /// was written; retrying usually succeeds.
    #[error("inconsistent database: {0}")]
    Inconsistent(String),
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

/// Returns the problems as an error when there are any.
pub fn fail_on(problems: Vec<Problem>) -> Result<(), IngestError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(IngestError::Invalid(problems))
    }
}
