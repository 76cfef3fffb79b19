//! `edustats serve`: the settings resolved, the server started with its webhook dispatcher and
//! its PostgreSQL listener, and a graceful stop on Ctrl-C or SIGTERM.

use std::path::PathBuf;

use edustats::config::{default_seeds_dir, ServeArgs};
use edustats::db::{queries, Db};
use edustats::notify::deliver;

use super::{connect_with, init_logging, refused, seed_into};

/// Resolves on Ctrl-C or SIGTERM (what container runtimes send), so in-flight requests finish.
pub(crate) async fn shutdown_signal() {
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
pub(crate) struct Notifications {
    delivery: deliver::DeliveryOptions,
    webhook_client: edustats::notify::client::Client,
    listen_url: Option<String>,
}

pub(crate) async fn serve(
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
pub(crate) fn cmd_serve(args: ServeArgs, matches: &clap::ArgMatches) -> anyhow::Result<()> {
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
    // The data version known without a round trip, whether or not the response cache is on:
    // the catalogue snapshot is used only while it is (`db::catalogue`).
    handle.watch_data_version();
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
