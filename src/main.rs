//! The `edustats` command line: serve the API, migrate, seed, check data quality, export the
//! GraphQL schema. `anyhow` is used here only, to print errors with their causes and exit 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edustats::config::{default_seeds_dir, DbArgs, DEFAULT_ADDR};
use edustats::db::{queries, Db};
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
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
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
            ExitCode::FAILURE
        }
    }
}
