//! The `edustats` command line: the arguments and the dispatch to one function per subcommand
//! (`cmd_*`, in [`cli`], each a thin wrapper over the library). `anyhow` is used here only.
//!
//! Exit codes, one policy for every subcommand (also in `--help`): 0 success; 1 failure (the
//! database cannot be reached, an I/O error, an internal error), printed with its causes; 2
//! refused input (an invalid seed folder or import file, a bad argument, a non-empty database
//! without `--replace`), with every problem printed on its own line and nothing written.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use edustats::analytics::FilterCodes;
use edustats::config::{DbArgs, ServeArgs};
use edustats::domain::ObservationKind;
use edustats::observe::LogFormat;

use cli::admin::{cmd_keys, cmd_webhooks, KeyAction, WebhookAction};
use cli::data::{
    cmd_audit, cmd_check, cmd_export, cmd_export_schema, cmd_import, cmd_mcp, cmd_migrate,
    cmd_seed, cmd_synth,
};
use cli::reports::{cmd_eval_extract, cmd_extract};
use cli::serve::cmd_serve;
use cli::{init_logging, Refused, StdoutClosed, EXIT_REFUSED};

/// edustats: a statistics warehouse over the education-duty reports of Chongqing's districts.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Exit codes: 0 success; 1 failure (database unreachable, I/O or internal \
                  error); 2 refused input (invalid seed folder, import file or argument: every \
                  problem is printed, one per line, and nothing is written)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the GraphQL server. Creates the schema and loads the seeds when the database is empty.
    /// Settings come from flags, then environment variables, then the `--config` TOML file.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load the seed folder into an empty database (atomic: all or nothing).
    Seed {
        #[command(flatten)]
        db: DbArgs,
        /// Seed folder.
        #[arg(long, env = "EDUSTATS_SEEDS")]
        seeds: Option<PathBuf>,
        /// Replace the contents of a non-empty database (in one transaction).
        #[arg(long)]
        replace: bool,
        /// Only validate the seed folder; do not touch the database.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the data-quality findings (rule-based and curated). Exit code 0 even when there are
    /// findings: they describe the reports, not a failure.
    Check {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Speak the Model Context Protocol over standard input and output: the read-only tools
    /// of `serve`'s `/mcp`, for an MCP client that starts the server itself (Claude Desktop,
    /// see docs/mcp.md). Logs go to standard error.
    Mcp {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    ExportSchema,
    /// Manage API keys (needed for GraphQL mutations).
    Keys {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Manage webhooks: receivers of the server's notifications (docs/notifications.md).
    Webhooks {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Import a report or corrections from a .json bundle or a .csv of observation rows, in one
    /// transaction. Every problem is listed (exit code 2) and nothing is written unless there
    /// are none.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The file: .json (a source record with its text, and observations) or .csv (observation
        /// rows in the seed format, e.g. a file written by `edustats export`).
        file: PathBuf,
        /// Source of CSV rows that have no `source` column.
        #[arg(long)]
        source: Option<String>,
        /// Why: required when rows change stored observations (they become new revisions).
        #[arg(long)]
        reason: Option<String>,
        /// Validate and report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write observations as CSV (the format `import` reads, plus labels).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Indicator codes, comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = trimmed::<String>)]
        indicator: Vec<String>,
        /// District codes, comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = trimmed::<String>)]
        district: Vec<String>,
        /// Years, comma-separated.
        #[arg(long, value_delimiter = ',', value_parser = trimmed::<i32>)]
        year: Vec<i32>,
        /// Kinds (actual, target, change, growth, rank), comma-separated.
        #[arg(long, value_delimiter = ',')]
        kind: Vec<ObservationKind>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Propose every figure of a report as an observation: writes an import bundle (the
    /// `.json` format `import` reads) with a confidence and a reason per figure, and the
    /// figures that match no indicator under `unmatched`. The report may be plain text (any
    /// common encoding), a saved web page, Word (.docx), PDF with a text layer, or a
    /// spreadsheet (.xlsx, .xls, .csv), recognised by content; a file that cannot be read is
    /// refused (exit code 2) and nothing is written.
    Extract {
        #[command(flatten)]
        db: DbArgs,
        /// The report file(s), or folders whose files are all reports (read in name order).
        /// With more than one report, `--output` names a folder that gets one bundle per
        /// report (`<file name>.json`).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// The district the report is about (default: read from its title or issuer).
        #[arg(long)]
        district: Option<String>,
        /// Source code for the record (default: `<district>-<year>-<kind>`).
        #[arg(long)]
        code: Option<String>,
        /// Leave this source's observations (and the indicators only it uses) out of the
        /// knowledge: how the evaluation extracts a report the warehouse already holds.
        #[arg(long)]
        exclude_source: Option<String>,
        /// Seed folder used when the database is empty.
        #[arg(long, env = "EDUSTATS_SEEDS")]
        seeds: Option<PathBuf>,
        /// Output file (default: standard output); a folder when there are several reports.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Leave-one-report-out evaluation of `extract` over the seed reports: prints the
    /// per-report table (recall, precision, indicator accuracy, kind/period/breakdown
    /// agreement).
    EvalExtract {
        /// Seed folder.
        #[arg(long, env = "EDUSTATS_SEEDS")]
        seeds: Option<PathBuf>,
        /// Also list every missed figure, wrong indicator and extra proposal.
        #[arg(long)]
        details: bool,
        /// Similarity below which a figure goes to `unmatched` (default: the extractor's).
        #[arg(long)]
        threshold: Option<f64>,
        /// Share of the words naming a figure its indicator must hold, else the figure goes to
        /// `unmatched` (default: the extractor's).
        #[arg(long)]
        min_support: Option<f64>,
        /// Score a folder of labelled documents instead (each file beside its
        /// `<file>.labels.csv`, e.g. tests/fixtures/heldout), extracted with the whole catalogue.
        #[arg(long)]
        labelled: Option<PathBuf>,
    },
    /// Generate a SYNTHETIC dataset (invented figures, every code and name marked SYNTHETIC)
    /// into a database of its own, for load and query benchmarks. Refuses (exit code 2) a
    /// database that holds any real district, source or observation. Deterministic from
    /// `--seed`. One transaction.
    Synth {
        #[command(flatten)]
        db: DbArgs,
        /// Synthetic districts.
        #[arg(long, default_value_t = 3_000)]
        districts: u32,
        /// Years per district (ending in 2024).
        #[arg(long, default_value_t = 20)]
        years: u32,
        /// Synthetic indicators.
        #[arg(long, default_value_t = 200)]
        indicators: u32,
        /// Seed of the generator: the same seed gives the same rows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replace a SYNTHETIC dataset already in the database (never real data).
        #[arg(long)]
        replace: bool,
    },
    /// Print the audit log, newest first.
    Audit {
        #[command(flatten)]
        db: DbArgs,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// Parses one item of a comma-separated option, ignoring the spaces around it (`2020, 2021`).
fn trimmed<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim().parse().map_err(|e| format!("{:?}: {e}", s.trim()))
}

/// An absent list option means "no filter".
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    let command = cli.command;
    if let Command::Serve(args) = command {
        let serve = matches
            .subcommand_matches("serve")
            .ok_or_else(|| anyhow::anyhow!("no matches for the serve command"))?;
        return cmd_serve(*args, serve);
    }
    // Serve sets up its logging once its settings are known; the others log as text.
    init_logging(LogFormat::Text);
    match command {
        Command::Serve(_) => Ok(()),
        Command::Migrate { db } => cmd_migrate(&db),
        Command::Seed {
            db,
            seeds,
            replace,
            dry_run,
        } => cmd_seed(&db, seeds, replace, dry_run),
        Command::Check { db } => cmd_check(&db),
        Command::Mcp { db } => cmd_mcp(&db),
        Command::ExportSchema => cmd_export_schema(),
        Command::Keys { db, action } => cmd_keys(&db, action),
        Command::Webhooks { db, action } => cmd_webhooks(&db, action),
        Command::Import {
            db,
            file,
            source,
            reason,
            dry_run,
        } => cmd_import(&db, &file, source.as_deref(), reason.as_deref(), dry_run),
        Command::Export {
            db,
            indicator,
            district,
            year,
            kind,
            output,
        } => {
            let filter = FilterCodes {
                districts: non_empty(district),
                indicators: non_empty(indicator),
                years: non_empty(year),
                kinds: non_empty(kind),
                sources: None,
                breakdown: None,
            };
            cmd_export(&db, filter, output.as_deref())
        }
        Command::Extract {
            db,
            reports,
            district,
            code,
            exclude_source,
            seeds,
            output,
        } => cmd_extract(
            &db,
            &reports,
            district,
            code,
            exclude_source.as_deref(),
            seeds,
            output.as_deref(),
        ),
        Command::EvalExtract {
            seeds,
            details,
            threshold,
            min_support,
            labelled,
        } => cmd_eval_extract(seeds, details, threshold, min_support, labelled),
        Command::Synth {
            db,
            districts,
            years,
            indicators,
            seed,
            replace,
        } => cmd_synth(
            &db,
            edustats::synth::Params {
                districts,
                years,
                indicators,
                seed,
            },
            replace,
        ),
        Command::Audit { db, limit } => cmd_audit(&db, limit),
    }
}

fn main() -> ExitCode {
    edustats::memory::cap_arenas();
    // Parsed in two steps so `serve` can tell a flag or variable from a default (the config
    // file sits between them).
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<StdoutClosed>().is_some() => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<Refused>() {
            // The one problem printer: every problem on its own line, then the summary.
            Some(r) => {
                for p in &r.problems {
                    eprintln!("{p}");
                }
                eprintln!("error: {}", r.message);
                ExitCode::from(EXIT_REFUSED)
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
