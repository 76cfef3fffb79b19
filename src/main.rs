//! The `edustats` command line: one function per subcommand (`cmd_*`), each a thin wrapper over
//! the library. `anyhow` is used here only.
//!
//! Exit codes, one policy for every subcommand (also in `--help`): 0 success; 1 failure (the
//! database cannot be reached, an I/O error, an internal error), printed with its causes; 2
//! refused input (an invalid seed folder or import file, a bad argument, a non-empty database
//! without `--replace`), with every problem printed on its own line and nothing written.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use edustats::analytics::{AnalyticsError, FilterCodes};
use edustats::auth::{self, AuthError, Expiry};
use edustats::config::{default_seeds_dir, DbArgs, ServeArgs};
use edustats::db::{queries, Db};
use edustats::domain::{ObservationKind, Role};
use edustats::extract;
use edustats::ingest::rows::SourceInput;
use edustats::ingest::{self, IngestError, Problem};
use edustats::notify::deliver;
use edustats::notify::webhook::{self, WebhookError};
use edustats::observe::LogFormat;

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

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Create a key and print it once (only its hash is stored).
    ///
    /// Without `--expires-in` or `--expires-at` the key never expires.
    Create {
        /// Unique name; recorded as the actor of the key's writes.
        #[arg(long)]
        name: String,
        /// `editor` (imports and corrections) or `admin` (also the audit log).
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// List keys, with their expiry, last use and state.
    ///
    /// One line per key, tab-separated: name, role, prefix, when the current secret was issued,
    /// expiry, last use (to the minute) and state (active, expired or revoked).
    List,
    /// Give a key a new secret and print it once; the old secret stops working at once.
    ///
    /// The key keeps its name and role. Without an expiry option it keeps its lifetime (a
    /// 90-day key gets 90 days from now). An expired key can be rotated; a revoked one cannot.
    Rotate {
        /// The key's name.
        name: String,
        #[command(flatten)]
        expiry: ExpiryArgs,
        /// The new secret never expires.
        #[arg(long, conflicts_with_all = ["expires_in", "expires_at"])]
        no_expiry: bool,
    },
    /// Revoke a key by name.
    Revoke {
        /// The key's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum WebhookAction {
    /// Register a webhook and print its secret once (signs every delivery, HMAC-SHA256).
    Add {
        /// Unique name.
        #[arg(long)]
        name: String,
        /// Where deliveries are POSTed: an absolute http or https URL (https certificates are verified; see serve --webhook-ca-file).
        #[arg(long)]
        url: String,
        /// Events, comma-separated: report_published, figures_changed, correction_made, or all.
        #[arg(long)]
        events: String,
        /// The shared secret (at least 16 characters); default: a random one.
        #[arg(long, env = "EDUSTATS_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
    /// List webhooks: name, URL, events, state (active or removed), registered at, by.
    List,
    /// Remove a webhook: it receives nothing more; its deliveries stay in the log.
    Remove {
        /// The webhook's name.
        name: String,
    },
    /// The delivery log, newest first: id, webhook, event, status (pending, delivered,
    /// failed), attempts, last HTTP status, last error, created, updated.
    Deliveries {
        /// Only this webhook's deliveries.
        #[arg(long)]
        name: Option<String>,
        /// At most this many lines.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// When a key expires: after a lifetime or at an instant (not both). A bad value is refused
/// with exit code 2, saying what is wrong.
#[derive(Debug, clap::Args)]
struct ExpiryArgs {
    /// Expire this long after the secret is issued: a whole number and d (days), h (hours) or
    /// m (minutes), e.g. 90d.
    #[arg(long, value_name = "DURATION", value_parser = auth::parse_duration, conflicts_with = "expires_at")]
    expires_in: Option<chrono::TimeDelta>,
    /// Expire at this instant, in RFC 3339 (e.g. 2027-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = auth::parse_instant)]
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ExpiryArgs {
    /// The expiry asked for, if any.
    fn expiry(&self) -> Option<Expiry> {
        self.expires_in
            .map(Expiry::In)
            .or(self.expires_at.map(Expiry::At))
    }
}

/// Exit code of a refused input or argument (every problem is printed first).
const EXIT_REFUSED: u8 = 2;

/// The reader of standard output went away (`edustats check | head`): not a failure of the
/// command, and nothing more to say; the process ends quietly with exit code 0, as the
/// standard tools do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
struct StdoutClosed;

/// An error writing to standard output, with a closed pipe told apart.
fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("writing to standard output")
    }
}

/// An export's error, with a closed standard output told apart (see [`StdoutClosed`]).
fn export_error(e: edustats::export::ExportError) -> anyhow::Error {
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

/// `println!` that returns the error (see [`StdoutClosed`]) instead of panicking on a closed
/// pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err(stdout_error)?
    }};
}

/// `print!`, likewise.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*).map_err(stdout_error)?
    }};
}

/// Input or arguments edustats refused, with every problem found; nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Refused {
    message: String,
    problems: Vec<Problem>,
}

fn refused(message: impl Into<String>) -> anyhow::Error {
    Refused {
        message: message.into(),
        problems: Vec::new(),
    }
    .into()
}

/// Sorts ingest errors into refused input (exit 2) and failures (exit 1).
fn ingest_failure(e: IngestError, input: &dyn std::fmt::Display) -> anyhow::Error {
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

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
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

fn connect(args: &DbArgs) -> anyhow::Result<Db> {
    connect_with(args, args.pool())
}

fn connect_with(args: &DbArgs, pool: edustats::db::PoolOptions) -> anyhow::Result<Db> {
    let db = Db::connect(&args.database_url, pool)?;
    db.migrate()?;
    Ok(db)
}

fn seed_into(db: &Db, dir: &Path, replace: bool) -> anyhow::Result<()> {
    let mut conn = db.get()?;
    let summary = ingest::seed::load(&mut conn, dir, replace)
        .map_err(|e| ingest_failure(e, &dir.display()))?;
    outln!("{}", serde_json::to_string(&summary)?);
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

/// What `serve` starts besides the router: the webhook dispatcher's options and client, and
/// the PostgreSQL URL to LISTEN on (`None` on SQLite).
struct Notifications {
    delivery: deliver::DeliveryOptions,
    webhook_client: edustats::notify::client::Client,
    listen_url: Option<String>,
}

async fn serve(
    db: Db,
    addr: String,
    seeds: PathBuf,
    options: edustats::http::Options,
    connections: edustats::serve::ConnectionLimits,
    notifications: Notifications,
) -> anyhow::Result<()> {
    let Notifications {
        delivery,
        webhook_client,
        listen_url,
    } = notifications;
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
        tokio::task::spawn_blocking(move || seed_into(&db, &seeds, false)).await??;
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let (reports, districts, rows) = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let mut conn = db.get()?;
            Ok(queries::holdings(&mut conn)?)
        })
        .await??
    };
    tracing::info!(%addr, backend = db.backend().name(), target = db.target(), reports, districts, observations = rows, "listening; dashboard at /, GraphiQL at /graphql");
    // A plain line on standard output as well: the first thing a new user sees after the build.
    outln!(
        "edustats: serving http://{addr}/ (dashboard; GraphiQL at /graphql) from {} {}: \
         {reports} reports, {rows} observations, {districts} districts with data",
        db.backend().name(),
        db.target()
    );
    // The accept loop (`edustats::serve`) hands the peer address to the per-address rate limit.
    let (app, notifier) = edustats::http::router_and_notifier(db.clone(), options);
    // Writes of other processes on the same PostgreSQL database (`edustats import`) reach this
    // server's subscribers and webhooks through LISTEN (`notify::relay`); SQLite has no LISTEN.
    let _relay = match &listen_url {
        Some(url) => {
            let listener = edustats::db::listen::Listener::start(url);
            let task = edustats::notify::relay::spawn(&listener, db.clone(), notifier.clone());
            Some((listener, task))
        }
        None => None,
    };
    // Webhook deliveries: the registered receivers get every committed write's events.
    let _dispatcher = deliver::spawn_with(db, &notifier, delivery, webhook_client);
    edustats::serve::serve(listener, app, connections, shutdown_signal()).await?;
    Ok(())
}

/// Resolves the settings (flags, environment, file), then serves. A bad setting is refused
/// input (exit code 2) naming its key.
fn cmd_serve(args: ServeArgs, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    let args = args.resolve(matches).map_err(|e| refused(e.to_string()))?;
    let options = args.http_options().map_err(|e| refused(e.to_string()))?;
    // Validation has read the CA file already; a failure here is the file changing since.
    let webhook_client = edustats::notify::client::build(&args.notify.tls())
        .map_err(|e| refused(format!("invalid setting `webhook_ca_file`: {e}")))?;
    if args.check_config {
        out!("{}", toml::to_string(&args.to_file())?);
        return Ok(());
    }
    init_logging(args.log_format);
    let mut pool = args.db.pool();
    pool.statement_timeout = args.limits.statement_timeout();
    let mut handle = connect_with(&args.db, pool)?;
    if let Some(url) = &args.read_database_url {
        handle = handle.with_read_replica(url, pool)?;
        tracing::info!(
            replica = handle.replica_target().unwrap_or_default(),
            "reads go to the replica"
        );
    }
    edustats::memory::start_trimming(args.limits.malloc_trim());
    let runtime = tokio::runtime::Runtime::new()?;
    let listen_url =
        (handle.backend() == edustats::db::Backend::Postgres).then(|| args.db.database_url.clone());
    runtime.block_on(serve(
        handle,
        args.addr,
        args.seeds.unwrap_or_else(default_seeds_dir),
        options,
        args.limits.connections(),
        Notifications {
            delivery: args.notify.delivery(),
            webhook_client,
            listen_url,
        },
    ))
}

/// Logs to standard error, filtered by `RUST_LOG` (default [`edustats::observe::DEFAULT_LOG_FILTER`]).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| edustats::observe::DEFAULT_LOG_FILTER.into());
    // Fails only if a subscriber is already set, and then that one keeps logging.
    let _ = tracing::subscriber::set_global_default(edustats::observe::subscriber(
        format,
        filter,
        std::io::stderr,
    ));
}

fn cmd_migrate(db: &DbArgs) -> anyhow::Result<()> {
    let handle = Db::connect(&db.database_url, db.pool())?;
    let applied = handle.migrate()?;
    outln!(
        "{} migration(s) applied on {}",
        applied.len(),
        handle.target()
    );
    Ok(())
}

fn cmd_seed(
    db: &DbArgs,
    seeds: Option<PathBuf>,
    replace: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    let dir = seeds.unwrap_or_else(default_seeds_dir);
    if !dry_run {
        return seed_into(&connect(db)?, &dir, replace);
    }
    let d = ingest::seed::load_dir(&dir).map_err(|e| ingest_failure(e, &dir.display()))?;
    outln!(
        "{} observations, {} indicators, {} sources, {} standards: valid",
        d.plan.create.len(),
        d.indicators.len(),
        d.plan.sources.len(),
        d.standards.len()
    );
    Ok(())
}

fn cmd_mcp(db: &DbArgs) -> anyhow::Result<()> {
    let handle = connect(db)?;
    let limits = edustats::http::Limits::default();
    let endpoint = edustats::graphql::gate::Endpoint::new(
        Some(handle.clone()),
        edustats::graphql::SchemaOptions {
            input: limits.input,
            introspection: true,
        },
    );
    let cx = edustats::mcp::McpContext {
        endpoint: std::sync::Arc::new(endpoint),
        db: handle,
        // Nothing scrapes a stdio server's metrics; the calls are still counted the same way.
        metrics: edustats::observe::Metrics::new(),
        timeout: limits.request_timeout,
    };
    tokio::runtime::Runtime::new()?.block_on(edustats::mcp::serve_stdio(cx))?;
    Ok(())
}

fn cmd_check(db: &DbArgs) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    let findings = queries::findings_list(&mut conn, None, None)?;
    for f in &findings {
        outln!(
            "[{}] {} {} ({}): {}",
            f.severity,
            f.code,
            f.rule,
            f.origin,
            f.message
        );
    }
    outln!("{} finding(s)", findings.len());
    Ok(())
}

fn cmd_keys(db: &DbArgs, action: KeyAction) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    // Refused (exit 2): a bad name or expiry, an unknown, duplicate or revoked key. Failures
    // (exit 1): the database, the system's randomness.
    let auth_failure = |e: AuthError| match e {
        AuthError::Db(e) => anyhow::Error::from(e),
        e @ AuthError::Random(_) => anyhow::Error::from(e),
        other => refused(other.to_string()),
    };
    match action {
        KeyAction::Create { name, role, expiry } => {
            let issued = auth::create_key_expiring(
                &mut conn,
                &name,
                role,
                expiry.expiry().unwrap_or(Expiry::Never),
                &cli_actor(),
            )
            .map_err(auth_failure)?;
            eprintln!(
                "created {role} key {name:?} ({}); it is shown only now:",
                expires_words(issued.expires_at.as_deref())
            );
            outln!("{}", issued.key);
        }
        KeyAction::List => {
            let now = chrono::Utc::now();
            for k in auth::list_keys(&mut conn)? {
                let state = match auth::key_state(&k, now) {
                    auth::KeyState::Revoked => {
                        format!("revoked {}", k.revoked_at.as_deref().unwrap_or_default())
                    }
                    other => other.to_string(),
                };
                outln!(
                    "{}\t{}\t{}…\tcreated {}\texpires {}\tlast used {}\t{}",
                    k.name,
                    k.role,
                    k.prefix,
                    k.created_at,
                    k.expires_at.as_deref().unwrap_or("never"),
                    k.last_used_at.as_deref().unwrap_or("never"),
                    state
                );
            }
        }
        KeyAction::Rotate {
            name,
            expiry,
            no_expiry,
        } => {
            let expiry = if no_expiry {
                Some(Expiry::Never)
            } else {
                expiry.expiry()
            };
            let issued =
                auth::rotate_key(&mut conn, &name, expiry, &cli_actor()).map_err(auth_failure)?;
            eprintln!(
                "rotated key {name:?} ({}); the old secret no longer works; the new one is \
                 shown only now:",
                expires_words(issued.expires_at.as_deref())
            );
            outln!("{}", issued.key);
        }
        KeyAction::Revoke { name } => {
            auth::revoke_key(&mut conn, &name, &cli_actor()).map_err(auth_failure)?;
            outln!("revoked {name:?}");
        }
    }
    Ok(())
}

fn cmd_webhooks(db: &DbArgs, action: WebhookAction) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    // Refused (exit 2): a bad name, URL, event list or secret, an unknown or duplicate name.
    // Failures (exit 1): the database, the system's randomness.
    let failure = |e: WebhookError| {
        if e.is_refusal() {
            refused(e.to_string())
        } else {
            anyhow::Error::from(e)
        }
    };
    match action {
        WebhookAction::Add {
            name,
            url,
            events,
            secret,
        } => {
            let kinds = webhook::parse_events(&events).map_err(failure)?;
            let secret = webhook::add(&mut conn, &name, &url, &kinds, secret, &cli_actor())
                .map_err(failure)?;
            eprintln!("registered webhook {name:?}; its secret is shown only now:");
            outln!("{secret}");
        }
        WebhookAction::List => {
            for w in webhook::list(&mut conn).map_err(failure)? {
                let events: Vec<String> = w.events.iter().map(ToString::to_string).collect();
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    w.name,
                    w.url,
                    events.join(","),
                    if w.active { "active" } else { "removed" },
                    w.created_at,
                    w.created_by
                );
            }
        }
        WebhookAction::Remove { name } => {
            webhook::remove(&mut conn, &name).map_err(failure)?;
            outln!("removed {name:?}");
        }
        WebhookAction::Deliveries { name, limit } => {
            for d in webhook::deliveries(&mut conn, name.as_deref(), limit).map_err(failure)? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.id,
                    d.webhook,
                    d.event,
                    d.status,
                    d.attempts,
                    d.last_status
                        .map_or_else(|| "-".to_string(), |s| s.to_string()),
                    d.last_error.as_deref().unwrap_or("-"),
                    d.created_at,
                    d.updated_at
                );
            }
        }
    }
    Ok(())
}

/// "expires T" or "never expires", for what the key commands print.
fn expires_words(expires_at: Option<&str>) -> String {
    expires_at.map_or_else(|| "never expires".to_string(), |t| format!("expires {t}"))
}

fn cmd_import(
    db: &DbArgs,
    file: &Path,
    source: Option<&str>,
    reason: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    let actor = cli_actor();
    let opts = ingest::import::Options {
        actor: &actor,
        reason,
        dry_run,
        default_source: source,
    };
    // The write's events go to the servers running on the same database (PostgreSQL: through
    // the notification outbox and NOTIFY, `notify::relay`; nothing on SQLite).
    let write = edustats::notify::Write {
        actor: actor.clone(),
        reason: reason.map(str::to_string),
        draft: None,
    };
    // A CSV file is streamed a chunk at a time (large files); a JSON bundle is read whole.
    let report = if file.extension().is_some_and(|e| e == "csv") {
        let report = ingest::bulk::with_load_settings(&mut conn, false, |conn| {
            ingest::import::import_csv(conn, file, opts)
        })
        .map_err(|e| ingest_failure(e, &file.display()))?;
        // The streamed import commits in a transaction of its own (with its load settings):
        // its events are described and announced in the next one. A failure there leaves the
        // import done and unannounced, which is said, not hidden.
        let announced =
            edustats::db::conn::write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| {
                edustats::notify::relay::announce(c, &report, &write)
            });
        if let Err(e) = announced {
            eprintln!("warning: the import is committed, but its events were not announced to running servers: {e}");
        }
        report
    } else {
        ingest::read::import_file(file)
            .and_then(|input| {
                edustats::db::conn::write_transaction::<_, ingest::IngestError, _>(&mut conn, |c| {
                    let report = ingest::import::import(c, &input, opts)?;
                    edustats::notify::relay::announce(c, &report, &write)?;
                    Ok(report)
                })
            })
            .map_err(|e| ingest_failure(e, &file.display()))?
    };
    outln!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn cmd_export(db: &DbArgs, filter: FilterCodes, output: Option<&Path>) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    // Refused in the API's words (the flags share the export's parameter names).
    let q = edustats::analytics::resolve_observation_filter(&mut conn, &filter).map_err(|e| {
        refused(match e {
            AnalyticsError::Db(e) => e.to_string(),
            e => edustats::error::ApiError::from(e).to_string(),
        })
    })?;
    let n = match output {
        Some(path) => edustats::export::write_csv(
            &mut *conn,
            &q,
            std::io::BufWriter::new(std::fs::File::create(path)?),
        )?,
        None => edustats::export::write_csv(&mut *conn, &q, std::io::stdout().lock())
            .map_err(export_error)?,
    };
    eprintln!("{n} observation(s) exported");
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one per command-line option
fn cmd_extract(
    db: &DbArgs,
    reports: &[PathBuf],
    district: Option<String>,
    code: Option<String>,
    exclude: Option<&str>,
    seeds: Option<PathBuf>,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let files = report_files(reports)?;
    // Several reports: a folder for their bundles, each with its own default code. A single
    // report is read before the database is opened: a file that cannot be read costs no
    // connection and changes nothing.
    let run = if files.len() > 1 {
        if code.is_some() {
            return Err(refused(
                "--code names one source: with several reports each gets its own default code",
            ));
        }
        let Some(dir) = output else {
            return Err(refused(
                "several reports give several bundles: name a folder for them with --output",
            ));
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| refused(format!("cannot create {}: {e}", dir.display())))?;
        ExtractRun::Many(dir)
    } else {
        ExtractRun::One(read_report(&files[0]).map_err(refused)?)
    };
    let mut conn = connect(db)?.get()?;
    let knowledge = if queries::is_empty(&mut conn)? {
        let dir = seeds.unwrap_or_else(default_seeds_dir);
        let data = ingest::seed::load_dir(&dir).map_err(|e| ingest_failure(e, &dir.display()))?;
        extract::Knowledge::from_dataset(&data, exclude)
    } else {
        extract::Knowledge::load(&mut conn, exclude)?
    };
    let opts = extract::Options {
        district,
        code,
        ..Default::default()
    };
    let dir = match run {
        ExtractRun::Many(dir) => dir,
        ExtractRun::One(doc) => {
            let report =
                extract::prepare(doc, &knowledge, &opts).map_err(|e| refused(e.to_string()))?;
            let source = report.source();
            warn_same_report(&mut conn, source, &Seen::of(&files[0], source), &[])?;
            let (proposed, unmatched) = write_bundle(&report, output)?;
            eprintln!("{proposed} proposed observation(s), {unmatched} unmatched figure(s)");
            return Ok(());
        }
    };
    // One bundle each, a line of progress each; a report that cannot be read or extracted is
    // named and skipped (nothing written for it), and the exit status says so.
    let n = files.len();
    let mut failed = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut written: HashSet<String> = HashSet::new();
    for (i, file) in files.iter().enumerate() {
        let step = format!("[{}/{n}] {}", i + 1, file.display());
        let report = read_report(file)
            .and_then(|doc| extract::prepare(doc, &knowledge, &opts).map_err(|e| e.to_string()));
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                eprintln!("{step}: not extracted: {e}");
                failed.push(file.display().to_string());
                continue;
            }
        };
        let this = Seen::of(file, report.source());
        warn_same_report(&mut conn, report.source(), &this, &seen)?;
        seen.push(this);
        let mut name = file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("report-{}", i + 1));
        while !written.insert(name.clone()) {
            name = format!("{}-{}", name, i + 1);
        }
        let out = dir.join(format!("{name}.json"));
        let (proposed, unmatched) = write_bundle(&report, Some(&out))?;
        eprintln!(
            "{step}: {proposed} proposed, {unmatched} unmatched -> {}",
            out.display()
        );
    }
    eprintln!("{} of {n} report(s) extracted", n - failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(refused(format!(
            "{} report(s) not extracted: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// Extracts a report into its bundle, pretty-printed JSON and a line end, written to `output`
/// (standard output when `None`) as its figures are decided: a large report's proposals are
/// never all held in memory, nor its bundle as one string. Returns the numbers of proposed and
/// unmatched figures.
fn write_bundle(
    report: &extract::Prepared<'_>,
    output: Option<&Path>,
) -> anyhow::Result<(usize, usize)> {
    fn to(
        report: &extract::Prepared<'_>,
        out: impl std::io::Write,
    ) -> anyhow::Result<(usize, usize)> {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(out);
        let counts = report.write_bundle(&mut out)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(counts)
    }
    match output {
        Some(path) => to(report, std::fs::File::create(path)?),
        None => to(report, std::io::stdout().lock()),
    }
}

/// What `extract` was given: one report (read already), or several for a folder of bundles.
enum ExtractRun<'a> {
    One(edustats::document::Document),
    Many(&'a Path),
}

/// A report extracted in this run, as the later ones are compared with it: its file, the hash
/// of its text and its document number (the whole extraction is not kept).
struct Seen {
    file: String,
    text_sha256: String,
    doc_number: Option<String>,
}

impl Seen {
    fn of(file: &Path, source: &SourceInput) -> Seen {
        Seen {
            file: file.display().to_string(),
            text_sha256: queries::text_sha256(&source.text),
            doc_number: queries::doc_number_key(source.doc_number.as_deref()).map(String::from),
        }
    }

    /// What `other` shares with this report: `"text"`, `"document number"` or nothing (the
    /// rule of [`queries::same_reports`], applied to the reports of this run).
    fn shares(&self, other: &Seen) -> Option<&'static str> {
        let probe = queries::Probe {
            text_sha256: &other.text_sha256,
            doc_number: other.doc_number.as_deref(),
            draft: None,
        };
        queries::repeat_reason(&probe, Some(&self.text_sha256), self.doc_number.as_deref())
            .map(shared)
    }
}

/// "text" or "document number", as the warnings say.
fn shared(reason: edustats::domain::RepeatReason) -> &'static str {
    match reason {
        edustats::domain::RepeatReason::SameText => "text",
        edustats::domain::RepeatReason::SameDocumentNumber => "document number",
    }
}

/// The report files named: files as given, folders as their files in name order (hidden
/// files and subfolders left out).
fn report_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| refused(format!("cannot read the folder {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file())
                .filter(|f| {
                    !f.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            inner.sort();
            if inner.is_empty() {
                return Err(refused(format!("the folder {} holds no file", p.display())));
            }
            files.extend(inner);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// One report file read into a document; the message names the file.
fn read_report(file: &Path) -> Result<edustats::document::Document, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    edustats::document::read(&bytes, &edustats::document::ReadLimits::default())
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// Warns (on standard error) when the report is already in the warehouse, in an open review
/// draft or earlier in this batch: the same text (whitespace aside), or the same document
/// number. Importing it again would hold it twice.
fn warn_same_report(
    conn: &mut edustats::db::DbConnection,
    source: &SourceInput,
    this: &Seen,
    earlier: &[Seen],
) -> anyhow::Result<()> {
    let number = source.doc_number.as_deref();
    for same in queries::same_report(conn, number, &source.text)? {
        let what = shared(same.reason);
        match same.of {
            queries::Repeated::Source(code) => eprintln!(
                "warning: {} is already in the warehouse as source {code} (same {what})",
                this.file
            ),
            queries::Repeated::Draft { id, code } => eprintln!(
                "warning: {} is already in open review draft {id} for source {code} (same {what})",
                this.file
            ),
        }
    }
    for e in earlier {
        if let Some(what) = e.shares(this) {
            eprintln!(
                "warning: {} is the same report as {} (same {what})",
                this.file, e.file
            );
        }
    }
    Ok(())
}

fn cmd_eval_extract(
    seeds: Option<PathBuf>,
    details: bool,
    threshold: Option<f64>,
    min_support: Option<f64>,
    labelled: Option<PathBuf>,
) -> anyhow::Result<()> {
    let dir = seeds.unwrap_or_else(default_seeds_dir);
    let data = ingest::seed::load_dir(&dir).map_err(|e| ingest_failure(e, &dir.display()))?;
    if let Some(folder) = labelled {
        let knowledge = extract::Knowledge::from_dataset(&data, None);
        let scores = extract::labelled::evaluate_dir(&folder, &knowledge, threshold, min_support)
            .map_err(|e| refused(e.to_string()))?;
        out!("{}", extract::labelled::table(&scores));
        if details {
            for s in &scores {
                outln!("\n## {}", s.document);
                for d in &s.details {
                    outln!("- {d}");
                }
            }
        }
        return Ok(());
    }
    let scores = extract::eval::evaluate(&data, threshold, min_support);
    out!("{}", extract::eval::table(&scores));
    if details {
        for s in &scores {
            outln!("\n## {}", s.source);
            for d in &s.details {
                outln!("- {d}");
            }
        }
    }
    Ok(())
}

fn cmd_synth(db: &DbArgs, params: edustats::synth::Params, replace: bool) -> anyhow::Result<()> {
    use edustats::synth::SynthError;
    let mut conn = connect(db)?.get()?;
    let summary = edustats::synth::run(&mut conn, params, replace).map_err(|e| match e {
        e @ (SynthError::RealData { .. }
        | SynthError::AlreadySynthetic
        | SynthError::Invalid(_)) => refused(e.to_string()),
        SynthError::Db(e) => e.into(),
    })?;
    outln!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

fn cmd_audit(db: &DbArgs, limit: i64) -> anyhow::Result<()> {
    let mut conn = connect(db)?.get()?;
    for e in auth::audit_entries(&mut conn, limit.clamp(1, 10_000))? {
        outln!(
            "{}\t{}\t{}\t{} row(s)\t{}",
            e.at,
            e.actor,
            e.action,
            e.row_count,
            e.detail
        );
    }
    Ok(())
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
        Command::ExportSchema => {
            out!("{}", edustats::graphql::sdl());
            Ok(())
        }
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
