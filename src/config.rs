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
        }
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
