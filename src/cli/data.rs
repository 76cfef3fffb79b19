//! The warehouse's data from the command line: `migrate`, `seed`, `check`, `import`, `export`,
//! `synth`, `audit`, `export-schema`, and `mcp` over standard input and output.

use std::path::{Path, PathBuf};

use edustats::analytics::{AnalyticsError, FilterCodes};
use edustats::auth;
use edustats::config::{default_seeds_dir, DbArgs};
use edustats::db::{queries, Db};
use edustats::ingest;

use super::{cli_actor, connect, export_error, ingest_failure, refused, seed_into};

pub(crate) fn cmd_migrate(db: &DbArgs) -> anyhow::Result<()> {
    let handle = Db::connect(&db.database_url, db.pool())?;
    let applied = handle.migrate()?;
    outln!(
        "{} migration(s) applied on {}",
        applied.len(),
        handle.target()
    );
    Ok(())
}

pub(crate) fn cmd_seed(
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

pub(crate) fn cmd_mcp(db: &DbArgs) -> anyhow::Result<()> {
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

pub(crate) fn cmd_check(db: &DbArgs) -> anyhow::Result<()> {
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

pub(crate) fn cmd_import(
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

pub(crate) fn cmd_export(
    db: &DbArgs,
    filter: FilterCodes,
    output: Option<&Path>,
) -> anyhow::Result<()> {
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

pub(crate) fn cmd_synth(
    db: &DbArgs,
    params: edustats::synth::Params,
    replace: bool,
) -> anyhow::Result<()> {
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

pub(crate) fn cmd_audit(db: &DbArgs, limit: i64) -> anyhow::Result<()> {
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

/// Prints the GraphQL schema (SDL), which `schema.graphql` holds.
pub(crate) fn cmd_export_schema() -> anyhow::Result<()> {
    out!("{}", edustats::graphql::sdl());
    Ok(())
}
