//! The `edustats` command line: serve the API, migrate, seed, check data quality, export the
//! GraphQL schema. `anyhow` is used here only, to print errors with their causes and exit 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edustats::config::{default_seeds_dir, DbArgs, DEFAULT_ADDR};
use edustats::db::{queries, Db};
use edustats::domain::{ObservationKind, Role};
use edustats::ingest::{self, IngestError};

/// edustats: a statistics warehouse over the education-duty reports of Chongqing's districts.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the GraphQL server. Creates the schema and loads the seeds when the database is empty.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "EDUSTATS_ADDR", default_value = DEFAULT_ADDR)]
        addr: String,
        /// Seed folder loaded into an empty database.
        #[arg(long, env = "EDUSTATS_SEEDS")]
        seeds: Option<PathBuf>,
    },
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
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    ExportSchema,
    /// Manage API keys (needed for GraphQL mutations).
    Keys {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: KeyAction,
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
        #[arg(long, value_delimiter = ',')]
        indicator: Vec<String>,
        /// District codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        district: Vec<String>,
        /// Years, comma-separated.
        #[arg(long, value_delimiter = ',')]
        year: Vec<i32>,
        /// Kinds (actual, target, change, growth, rank), comma-separated.
        #[arg(long, value_delimiter = ',')]
        kind: Vec<ObservationKind>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
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

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Create a key and print it once (only its hash is stored).
    Create {
        /// Unique name; recorded as the actor of the key's writes.
        #[arg(long)]
        name: String,
        /// `editor` (imports and corrections) or `admin` (also the audit log).
        #[arg(long)]
        role: Role,
    },
    /// List keys (names, roles, prefixes, revocation).
    List,
    /// Revoke a key by name.
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// Exit code for input with problems (every problem is printed to stderr).
const EXIT_INVALID: u8 = 2;

/// An error that carries its own exit code.
#[derive(Debug)]
struct Exit(u8, String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Exit {}

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// An absent list option means "no filter".
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn connect(args: &DbArgs) -> anyhow::Result<Db> {
    let db = Db::connect(&args.database_url, args.pool())?;
    db.migrate()?;
    Ok(db)
}

fn seed(db: &Db, dir: &std::path::Path, replace: bool) -> anyhow::Result<()> {
    let data = match ingest::seed::load_dir(dir) {
        Ok(d) => d,
        Err(IngestError::Invalid(problems)) => {
            for p in &problems {
                eprintln!("{p}");
            }
            anyhow::bail!(
                "{} problem(s) in {}; nothing was written",
                problems.len(),
                dir.display()
            );
        }
        Err(e) => return Err(e.into()),
    };
    let mut conn = db.get()?;
    let summary = ingest::write::write_dataset(&mut conn, &data, replace)?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what container runtimes send), so in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

async fn serve(db: Db, addr: String, seeds: PathBuf) -> anyhow::Result<()> {
    let empty = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            db.get()
                .map_err(anyhow::Error::from)
                .and_then(|mut c| Ok(queries::is_empty(&mut c)?))
        })
        .await??
    };
    if empty {
        tracing::info!(seeds = %seeds.display(), "empty database: loading seeds");
        let db = db.clone();
        tokio::task::spawn_blocking(move || seed(&db, &seeds, false)).await??;
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, backend = db.backend().name(), target = db.target(), "listening; GraphiQL at /graphql");
    axum::serve(listener, edustats::http::router(db))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::ExportSchema => {
            print!("{}", edustats::graphql::sdl());
            Ok(())
        }
        Command::Migrate { db } => {
            let handle = Db::connect(&db.database_url, db.pool())?;
            let applied = handle.migrate()?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                handle.target()
            );
            Ok(())
        }
        Command::Seed {
            db,
            seeds,
            replace,
            dry_run,
        } => {
            let dir = seeds.unwrap_or_else(default_seeds_dir);
            if dry_run {
                return match ingest::seed::load_dir(&dir) {
                    Ok(d) => {
                        println!(
                            "{} observations, {} indicators, {} sources: valid",
                            d.observations.len(),
                            d.indicators.len(),
                            d.sources.len()
                        );
                        Ok(())
                    }
                    Err(IngestError::Invalid(problems)) => {
                        for p in &problems {
                            eprintln!("{p}");
                        }
                        anyhow::bail!("{} problem(s)", problems.len())
                    }
                    Err(e) => Err(e.into()),
                };
            }
            seed(&connect(&db)?, &dir, replace)
        }
        Command::Check { db } => {
            let handle = connect(&db)?;
            let mut conn = handle.get()?;
            let findings = queries::findings_list(&mut conn, None, None)?;
            for f in &findings {
                println!(
                    "[{}] {} {} ({}): {}",
                    f.severity, f.code, f.rule, f.origin, f.message
                );
            }
            println!("{} finding(s)", findings.len());
            Ok(())
        }
        Command::Keys { db, action } => {
            let handle = connect(&db)?;
            let mut conn = handle.get()?;
            match action {
                KeyAction::Create { name, role } => {
                    let key = edustats::auth::create_key(&mut conn, &name, role, &cli_actor())?;
                    eprintln!(
                        "created {} key {name:?}; it is shown only now:",
                        role.as_str()
                    );
                    println!("{key}");
                }
                KeyAction::List => {
                    for k in edustats::auth::list_keys(&mut conn)? {
                        let state = k
                            .revoked_at
                            .map(|t| format!("revoked {t}"))
                            .unwrap_or_else(|| "active".into());
                        println!(
                            "{}\t{}\t{}…\tcreated {}\t{}",
                            k.name, k.role, k.prefix, k.created_at, state
                        );
                    }
                }
                KeyAction::Revoke { name } => {
                    edustats::auth::revoke_key(&mut conn, &name, &cli_actor())?;
                    println!("revoked {name:?}");
                }
            }
            Ok(())
        }
        Command::Import {
            db,
            file,
            source,
            reason,
            dry_run,
        } => {
            let handle = connect(&db)?;
            let mut conn = handle.get()?;
            let actor = cli_actor();
            let result = ingest::import::read_file(&file).and_then(|bundle| {
                let opts = ingest::import::Options {
                    actor: &actor,
                    reason: reason.as_deref(),
                    dry_run,
                    default_source: source.as_deref(),
                };
                ingest::import::import(&mut conn, &bundle, opts)
            });
            match result {
                Ok(report) => {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                    Ok(())
                }
                Err(IngestError::Invalid(problems)) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    Err(Exit(
                        EXIT_INVALID,
                        format!(
                            "{} problem(s) in {}; nothing was written",
                            problems.len(),
                            file.display()
                        ),
                    )
                    .into())
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Export {
            db,
            indicator,
            district,
            year,
            kind,
            output,
        } => {
            let handle = connect(&db)?;
            let mut conn = handle.get()?;
            let codes = edustats::analytics::FilterCodes {
                districts: non_empty(district),
                indicators: non_empty(indicator),
                years: non_empty(year),
                kinds: non_empty(kind),
                sources: None,
                breakdown: None,
            };
            let q = edustats::analytics::resolve_observation_filter(&mut conn, &codes)
                .map_err(|e| Exit(EXIT_INVALID, e.to_string()))?;
            let n = match output {
                Some(path) => edustats::export::write_csv(
                    &mut conn,
                    &q,
                    std::io::BufWriter::new(std::fs::File::create(&path)?),
                )?,
                None => edustats::export::write_csv(&mut conn, &q, std::io::stdout().lock())?,
            };
            eprintln!("{n} observation(s) exported");
            Ok(())
        }
        Command::Audit { db, limit } => {
            let handle = connect(&db)?;
            let mut conn = handle.get()?;
            for e in edustats::auth::audit_entries(&mut conn, limit.clamp(1, 10_000))? {
                println!(
                    "{}\t{}\t{}\t{} row(s)\t{}",
                    e.at, e.actor, e.action, e.row_count, e.detail
                );
            }
            Ok(())
        }
        Command::Serve { db, addr, seeds } => {
            let handle = connect(&db)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve(handle, addr, seeds.unwrap_or_else(default_seeds_dir)))
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            match e.downcast_ref::<Exit>() {
                Some(Exit(code, _)) => ExitCode::from(*code),
                None => ExitCode::FAILURE,
            }
        }
    }
}
