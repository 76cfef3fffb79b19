//! Configuration shared by the subcommands: flags with environment-variable fallbacks and
//! defaults that need no setup (an SQLite file in the working directory, the seeds next to the
//! crate).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::db::PoolOptions;

/// Default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://edustats.sqlite3";
/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Database options.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `postgres://user@host:port/db`, `sqlite://PATH` or a file path.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Most connections the pool opens.
    #[arg(long, env = "EDUSTATS_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// How long a request waits for a free connection, in milliseconds, before failing with
    /// UNAVAILABLE.
    #[arg(long, env = "EDUSTATS_POOL_TIMEOUT_MS", default_value_t = 5000)]
    pub pool_timeout_ms: u64,
}

impl DbArgs {
    /// Pool options from the flags.
    pub fn pool(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.pool_size.max(1),
            checkout_timeout: Duration::from_millis(self.pool_timeout_ms),
            statement_timeout: None,
        }
    }
}

/// The server's request limits (`serve` only). Every limit answers with a precise error code;
/// see the README's "Limits" table.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest request body accepted, in bytes (larger: HTTP 413, `PAYLOAD_TOO_LARGE`).
    #[arg(long, env = "EDUSTATS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Time limit of one GraphQL request, in milliseconds (past it: HTTP 503, `TIMEOUT`).
    #[arg(long, env = "EDUSTATS_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` of the server's connections, in milliseconds (0: none).
    #[arg(long, env = "EDUSTATS_STATEMENT_TIMEOUT_MS", default_value_t = 20_000)]
    pub statement_timeout_ms: u64,
    /// Most operations in one batched request (a JSON array of requests); 1 refuses batches.
    #[arg(long, env = "EDUSTATS_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Longest string argument or variable in a query (reads), in characters.
    #[arg(long, env = "EDUSTATS_MAX_STRING", default_value_t = 1_000)]
    pub max_string: usize,
    /// Longest list argument or variable in a query (reads), in items.
    #[arg(long, env = "EDUSTATS_MAX_LIST", default_value_t = 1_000)]
    pub max_list: usize,
}

impl LimitArgs {
    /// The HTTP layer's limits.
    pub fn limits(&self) -> crate::http::Limits {
        crate::http::Limits {
            body_bytes: self.body_limit,
            request_timeout: Duration::from_millis(self.request_timeout_ms.max(1)),
            max_batch: self.max_batch.max(1),
            input: crate::graphql::limits::InputLimits {
                max_string: self.max_string,
                max_list: self.max_list,
            },
        }
    }

    /// The statement timeout for the server's pool.
    pub fn statement_timeout(&self) -> Option<Duration> {
        (self.statement_timeout_ms > 0).then(|| Duration::from_millis(self.statement_timeout_ms))
    }
}

/// Where the seed folder is: `./seeds` when it exists (running from a checkout), otherwise the
/// `seeds/` folder of the source tree the binary was built from.
pub fn default_seeds_dir() -> PathBuf {
    let local = PathBuf::from("seeds");
    if local.join("districts.csv").is_file() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
    }
}
