//! The subcommands' bodies, by group ([`serve`], [`data`], [`admin`], [`reports`]), and what
//! they share: the exit-code policy's errors ([`Refused`], [`StdoutClosed`]), writing to a
//! standard output that may close, and connecting to the database. `main.rs` parses and
//! dispatches only.

use std::path::Path;

use edustats::config::DbArgs;
use edustats::db::Db;
use edustats::ingest::{self, IngestError, Problem};
use edustats::observe::LogFormat;

/// `println!` that returns the error (see [`StdoutClosed`]) instead of panicking on a closed
/// pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::cli::stdout_error)?
    }};
}

/// `print!`, likewise.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err($crate::cli::stdout_error)?
    }};
}

pub(crate) mod admin;
pub(crate) mod data;
pub(crate) mod reports;
pub(crate) mod serve;

/// Exit code of a refused input or argument (every problem is printed first).
pub(crate) const EXIT_REFUSED: u8 = 2;

/// The reader of standard output went away (`edustats check | head`): not a failure of the
/// command, and nothing more to say; the process ends quietly with exit code 0, as the
/// standard tools do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub(crate) struct StdoutClosed;

/// An error writing to standard output, with a closed pipe told apart.
pub(crate) fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("writing to standard output")
    }
}

/// An export's error, with a closed standard output told apart (see [`StdoutClosed`]).
pub(crate) fn export_error(e: edustats::export::ExportError) -> anyhow::Error {
    use edustats::export::ExportError;
    let closed = match &e {
        ExportError::Io(io) => io.kind() == std::io::ErrorKind::BrokenPipe,
        ExportError::Csv(c) => {
            matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
        }
        _ => false,
    };
    if closed {
        StdoutClosed.into()
    } else {
        e.into()
    }
}

/// Input or arguments edustats refused, with every problem found; nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refused {
    /// What was refused, for the last line.
    pub(crate) message: String,
    /// Every problem found, one line each.
    pub(crate) problems: Vec<Problem>,
}

pub(crate) fn refused(message: impl Into<String>) -> anyhow::Error {
    Refused {
        message: message.into(),
        problems: Vec::new(),
    }
    .into()
}

/// Sorts ingest errors into refused input (exit 2) and failures (exit 1).
pub(crate) fn ingest_failure(e: IngestError, input: &dyn std::fmt::Display) -> anyhow::Error {
    match e {
        IngestError::Invalid(problems) => Refused {
            message: format!(
                "{} problem(s) in {input}; nothing was written",
                problems.len()
            ),
            problems,
        }
        .into(),
        e @ (IngestError::NotEmpty(_) | IngestError::Unsupported(_)) => refused(e.to_string()),
        other => other.into(),
    }
}

pub(crate) fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

pub(crate) fn connect(args: &DbArgs) -> anyhow::Result<Db> {
    connect_with(args, args.pool())
}

pub(crate) fn connect_with(args: &DbArgs, pool: edustats::db::PoolOptions) -> anyhow::Result<Db> {
    let db = Db::connect(&args.database_url, pool)?;
    db.migrate()?;
    Ok(db)
}

pub(crate) fn seed_into(db: &Db, dir: &Path, replace: bool) -> anyhow::Result<()> {
    let mut conn = db.get()?;
    let summary = ingest::seed::load(&mut conn, dir, replace)
        .map_err(|e| ingest_failure(e, &dir.display()))?;
    outln!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Logs to standard error, filtered by `RUST_LOG` (default [`edustats::observe::DEFAULT_LOG_FILTER`]).
pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| edustats::observe::DEFAULT_LOG_FILTER.into());
    // Fails only if a subscriber is already set, and then that one keeps logging.
    let _ = tracing::subscriber::set_global_default(edustats::observe::subscriber(
        format,
        filter,
        std::io::stderr,
    ));
}
