//! Configuration shared by the subcommands: flags with environment-variable fallbacks and
//! defaults that need no setup (an SQLite file in the working directory, the seeds next to the
//! crate); for `serve`, also a TOML file ([`ServeArgs::resolve`]).
//!
//! Precedence, one rule for every setting: a flag, then its environment variable, then the
//! config file, then the default. Every key of the file is the name of a flag with `_` for `-`
//! (`--pool-size` is `pool_size`), so the README's table of flags is also the file's.
//! Validation happens before anything starts: an unknown key, a value of the wrong type or out
//! of range is a [`ConfigError`] naming the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args};

use crate::db::PoolOptions;
use crate::observe::LogFormat;

/// Default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://edustats.sqlite3";
/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Database options.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `postgres://user@host:port/db`, `sqlite://PATH` or a file path.
    // `global`: these options are accepted after a nested subcommand too
    // (`keys create --name N --role editor --database-url URL`), as users type them.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Most connections the pool opens.
    #[arg(long, env = "EDUSTATS_POOL_SIZE", default_value_t = 8, global = true)]
    pub pool_size: u32,
    /// How long a request waits for a free connection, in milliseconds, before failing with
    /// UNAVAILABLE.
    #[arg(
        long,
        env = "EDUSTATS_POOL_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
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
    /// Most exports running at once: CSV, SDMX-CSV, SDMX-JSON data, JSON-stat (more: HTTP 503,
    /// `TOO_MANY_EXPORTS`, `Retry-After`).
    #[arg(long, env = "EDUSTATS_MAX_EXPORTS", default_value_t = 4)]
    pub max_exports: usize,
    /// Longest string argument or variable in a query (reads), in characters.
    #[arg(long, env = "EDUSTATS_MAX_STRING", default_value_t = 1_000)]
    pub max_string: usize,
    /// Longest list argument or variable in a query (reads), in items.
    #[arg(long, env = "EDUSTATS_MAX_LIST", default_value_t = 1_000)]
    pub max_list: usize,
    /// Longest wait for a request's headers, in milliseconds, from the connection's first byte
    /// or, on a kept-alive connection, from the previous answer (past it: the connection is
    /// closed). Slow or idle clients cannot hold connections open.
    #[arg(long, env = "EDUSTATS_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Most connections open at once (more: HTTP 503, `TOO_MANY_CONNECTIONS`, `Connection:
    /// close`; `/livez` and `/readyz` are still answered). Lowered to fit the open-file limit.
    #[arg(long, env = "EDUSTATS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Most connections open at once from one client address (more: as above).
    #[arg(
        long,
        env = "EDUSTATS_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 256
    )]
    pub max_connections_per_address: usize,
    /// How often the server hands memory it freed back to the operating system, in
    /// milliseconds (glibc's `malloc_trim`; 0: never). Keeps the resident size near the heap
    /// under long mixed traffic (RELIABILITY.md, "Memory").
    #[arg(long, env = "EDUSTATS_MALLOC_TRIM_MS", default_value_t = crate::memory::TRIM_INTERVAL_MS)]
    pub malloc_trim_ms: u64,
}

impl LimitArgs {
    /// The period of [`crate::memory::start_trimming`]; `None` when `--malloc-trim-ms` is 0.
    pub fn malloc_trim(&self) -> Option<Duration> {
        (self.malloc_trim_ms > 0).then(|| Duration::from_millis(self.malloc_trim_ms))
    }

    /// The HTTP layer's limits.
    pub fn limits(&self) -> crate::http::Limits {
        crate::http::Limits {
            body_bytes: self.body_limit,
            request_timeout: Duration::from_millis(self.request_timeout_ms.max(1)),
            max_batch: self.max_batch.max(1),
            max_exports: self.max_exports.max(1),
            max_message_observations: crate::http::Limits::default().max_message_observations,
            input: crate::graphql::limits::InputLimits {
                max_string: self.max_string,
                max_list: self.max_list,
            },
        }
    }

    /// The accept loop's limits (`crate::serve`).
    pub fn connections(&self) -> crate::serve::ConnectionLimits {
        crate::serve::ConnectionLimits {
            header_timeout: Duration::from_millis(self.header_timeout_ms.max(1)),
            max_connections: self.max_connections.max(1),
            max_per_address: self.max_connections_per_address.max(1),
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

/// Every setting of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys are the flag names with `_`). Flags and
    /// environment variables override it.
    #[arg(long, env = "EDUSTATS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the settings as resolved (a valid config file, password hidden) and exit.
    #[arg(long)]
    pub check_config: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// PostgreSQL streaming replica of `--database-url` that serves the reads: GraphQL
    /// documents without a mutation and the CSV export. Writes, migrations and mutations stay
    /// on the primary. Unset: everything goes to the primary.
    #[arg(long, env = "EDUSTATS_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "EDUSTATS_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Seed folder loaded into an empty database.
    #[arg(long, env = "EDUSTATS_SEEDS")]
    pub seeds: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Log lines as text or as one JSON object per line.
    #[arg(long, env = "EDUSTATS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Origins browsers may call the API from, comma-separated (`https://stats.example.org`).
    /// Empty or `*`: any origin.
    #[arg(long, env = "EDUSTATS_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Answer introspection (`__schema`, `__type`); `false` in production hides the schema.
    #[arg(long, env = "EDUSTATS_INTROSPECTION", action = ArgAction::Set, default_value_t = true)]
    pub introspection: bool,
    /// Serve the web pages (dashboard, GraphiQL, review page and their assets).
    #[arg(long, env = "EDUSTATS_PAGES", action = ArgAction::Set, default_value_t = true)]
    pub pages: bool,
    #[command(flatten)]
    pub rate: RateArgs,
    #[command(flatten)]
    pub notify: NotifyArgs,
    /// Cache anonymous answers in memory, keyed by the request and the data version every
    /// write bumps, and answer `If-None-Match` on `GET /graphql` with 304 (see the README's
    /// "Performance").
    #[arg(long, env = "EDUSTATS_RESPONSE_CACHE", value_enum, default_value_t = Switch::On)]
    pub response_cache: Switch,
    /// Most mebibytes of answers the response cache holds (least recently used out first).
    #[arg(long, env = "EDUSTATS_RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: usize,
}

/// A feature switch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// The notifications' caps and the webhook client's trust (`serve` only;
/// docs/notifications.md, "Limits").
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Most WebSocket connections open at once on `/graphql/ws` (more: HTTP 503,
    /// `TOO_MANY_CONNECTIONS`, before the upgrade).
    #[arg(long, env = "EDUSTATS_MAX_WS_CONNECTIONS", default_value_t = crate::http::NotifyLimits::DEFAULT.max_ws_connections)]
    pub max_ws_connections: usize,
    /// Most subscriptions open at once on one `/graphql/ws` connection (more: a
    /// graphql-transport-ws `error` message with code `TOO_MANY_SUBSCRIPTIONS`).
    #[arg(long, env = "EDUSTATS_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = crate::http::NotifyLimits::DEFAULT.max_subscriptions_per_connection)]
    pub max_subscriptions_per_connection: usize,
    /// Most webhook deliveries pending at once, in their attempts or waiting for a retry (more:
    /// logged `failed` without an attempt, counted as `dropped`).
    #[arg(long, env = "EDUSTATS_MAX_WEBHOOK_DELIVERIES", default_value_t = crate::notify::deliver::DEFAULT_MAX_PENDING)]
    pub max_webhook_deliveries: usize,
    /// A PEM file of CA certificates that webhook deliveries to `https` URLs trust besides the
    /// public roots (a receiver with a certificate from a private CA).
    #[arg(long, env = "EDUSTATS_WEBHOOK_CA_FILE")]
    pub webhook_ca_file: Option<PathBuf>,
}

impl NotifyArgs {
    /// The router's caps of `/graphql/ws`.
    pub fn limits(&self) -> crate::http::NotifyLimits {
        crate::http::NotifyLimits {
            max_ws_connections: self.max_ws_connections.max(1),
            max_subscriptions_per_connection: self.max_subscriptions_per_connection.max(1),
        }
    }

    /// The webhook dispatcher's options (retries as default, the queue cap from the flag).
    pub fn delivery(&self) -> crate::notify::deliver::DeliveryOptions {
        crate::notify::deliver::DeliveryOptions {
            max_pending: self.max_webhook_deliveries.max(1),
            ..Default::default()
        }
    }

    /// What the webhook client trusts.
    pub fn tls(&self) -> crate::notify::client::TlsOptions {
        crate::notify::client::TlsOptions {
            extra_ca_file: self.webhook_ca_file.clone(),
        }
    }
}

/// Rate limits of `serve` (see the README's "Operating edustats").
#[derive(Debug, Clone, Args)]
pub struct RateArgs {
    /// Requests per minute from one client address to `/graphql` and the export (0: no limit).
    #[arg(long, env = "EDUSTATS_RATE_LIMIT_ADDRESS", default_value_t = 600)]
    pub rate_limit_address: u32,
    /// Requests per minute with one API key, counted besides its address's (0: no limit).
    #[arg(long, env = "EDUSTATS_RATE_LIMIT_KEY", default_value_t = 1200)]
    pub rate_limit_key: u32,
    /// Reverse proxies in front of the server that append to `X-Forwarded-For`: the client
    /// address is that many entries from the right. 0 (the default): the header is ignored and
    /// the connection's address is the client's.
    #[arg(long, env = "EDUSTATS_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,
}

/// The config file: every key optional, no other key allowed.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See `--database-url`.
    pub database_url: Option<String>,
    /// See `--read-database-url`.
    pub read_database_url: Option<String>,
    /// See `--pool-size`.
    pub pool_size: Option<u32>,
    /// See `--pool-timeout-ms`.
    pub pool_timeout_ms: Option<u64>,
    /// See `--addr`.
    pub addr: Option<String>,
    /// See `--seeds`.
    pub seeds: Option<PathBuf>,
    /// See `--body-limit`.
    pub body_limit: Option<usize>,
    /// See `--request-timeout-ms`.
    pub request_timeout_ms: Option<u64>,
    /// See `--statement-timeout-ms`.
    pub statement_timeout_ms: Option<u64>,
    /// See `--max-batch`.
    pub max_batch: Option<usize>,
    /// See `--max-exports`.
    pub max_exports: Option<usize>,
    /// See `--max-string`.
    pub max_string: Option<usize>,
    /// See `--max-list`.
    pub max_list: Option<usize>,
    /// See `--header-timeout-ms`.
    pub header_timeout_ms: Option<u64>,
    /// See `--max-connections`.
    pub max_connections: Option<usize>,
    /// See `--max-connections-per-address`.
    pub max_connections_per_address: Option<usize>,
    /// See `--malloc-trim-ms`.
    pub malloc_trim_ms: Option<u64>,
    /// See `--log-format`.
    pub log_format: Option<LogFormat>,
    /// See `--cors-origins`.
    pub cors_origins: Option<Vec<String>>,
    /// See `--introspection`.
    pub introspection: Option<bool>,
    /// See `--pages`.
    pub pages: Option<bool>,
    /// See `--rate-limit-address`.
    pub rate_limit_address: Option<u32>,
    /// See `--rate-limit-key`.
    pub rate_limit_key: Option<u32>,
    /// See `--trusted-proxies`.
    pub trusted_proxies: Option<usize>,
    /// See `--response-cache`.
    pub response_cache: Option<Switch>,
    /// See `--response-cache-mb`.
    pub response_cache_mb: Option<usize>,
    /// See `--max-ws-connections`.
    pub max_ws_connections: Option<usize>,
    /// See `--max-subscriptions-per-connection`.
    pub max_subscriptions_per_connection: Option<usize>,
    /// See `--max-webhook-deliveries`.
    pub max_webhook_deliveries: Option<usize>,
    /// See `--webhook-ca-file`.
    pub webhook_ca_file: Option<PathBuf>,
}

/// A configuration that cannot be used; the server does not start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("config file {path}, line {line}, key `{key}`: {message}")]
    File {
        /// The file.
        path: String,
        /// 1-based line of the problem.
        line: usize,
        /// The key on that line.
        key: String,
        /// The parser's message.
        message: String,
    },
    /// A value out of range or malformed, from whichever source gave it.
    #[error("invalid setting `{key}`: {message}")]
    Invalid {
        /// The key (flag name with `_`).
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Whether a flag or its environment variable gave the value (they win over the file).
fn given(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Reads and parses the config file.
pub fn read_config_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_config(&text, &path.display().to_string())
}

/// Parses a config file's text; `path` names it in errors.
pub fn parse_config(text: &str, path: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| {
        // toml's span points at the key (unknown key) or at the value (bad value): either way
        // the key is what stands before `=` on that line.
        let start = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
        let line = text[..start].matches('\n').count() + 1;
        let line_text = text.lines().nth(line - 1).unwrap_or("");
        let key = line_text
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| line_text.trim().to_string());
        ConfigError::File {
            path: path.to_string(),
            line,
            key,
            message: e.message().trim().to_string(),
        }
    })
}

impl ServeArgs {
    /// Applies the config file under the flags and environment (`matches` are the `serve`
    /// subcommand's, to tell a given value from a default) and validates the result.
    pub fn resolve(mut self, matches: &ArgMatches) -> Result<ServeArgs, ConfigError> {
        let file = match &self.config {
            Some(path) => read_config_file(path)?,
            None => ConfigFile::default(),
        };
        macro_rules! layer {
            ($($key:ident => $place:expr),* $(,)?) => {$(
                if let Some(v) = file.$key {
                    if !given(matches, stringify!($key)) {
                        $place = v;
                    }
                }
            )*};
        }
        layer! {
            database_url => self.db.database_url,
            pool_size => self.db.pool_size,
            pool_timeout_ms => self.db.pool_timeout_ms,
            addr => self.addr,
            body_limit => self.limits.body_limit,
            request_timeout_ms => self.limits.request_timeout_ms,
            statement_timeout_ms => self.limits.statement_timeout_ms,
            max_batch => self.limits.max_batch,
            max_exports => self.limits.max_exports,
            max_string => self.limits.max_string,
            max_list => self.limits.max_list,
            header_timeout_ms => self.limits.header_timeout_ms,
            max_connections => self.limits.max_connections,
            max_connections_per_address => self.limits.max_connections_per_address,
            malloc_trim_ms => self.limits.malloc_trim_ms,
            log_format => self.log_format,
            cors_origins => self.cors_origins,
            introspection => self.introspection,
            pages => self.pages,
            rate_limit_address => self.rate.rate_limit_address,
            rate_limit_key => self.rate.rate_limit_key,
            trusted_proxies => self.rate.trusted_proxies,
            response_cache => self.response_cache,
            response_cache_mb => self.response_cache_mb,
            max_ws_connections => self.notify.max_ws_connections,
            max_subscriptions_per_connection => self.notify.max_subscriptions_per_connection,
            max_webhook_deliveries => self.notify.max_webhook_deliveries,
        }
        if let Some(file_ca) = file.webhook_ca_file {
            if !given(matches, "webhook_ca_file") {
                self.notify.webhook_ca_file = Some(file_ca);
            }
        }
        if let Some(seeds) = file.seeds {
            if !given(matches, "seeds") {
                self.seeds = Some(seeds);
            }
        }
        if let Some(url) = file.read_database_url {
            if !given(matches, "read_database_url") {
                self.read_database_url = Some(url);
            }
        }
        self.validate()?;
        Ok(self)
    }

    /// Range and form checks that the types alone do not make.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &'static str, message: String| Err(ConfigError::Invalid { key, message });
        let primary = match crate::db::DatabaseUrl::parse(&self.db.database_url) {
            Ok(u) => u,
            Err(e) => return bad("database_url", e.to_string()),
        };
        if let Some(raw) = &self.read_database_url {
            match crate::db::DatabaseUrl::parse(raw) {
                Err(e) => return bad("read_database_url", e.to_string()),
                Ok(u) => {
                    let pg = crate::db::Backend::Postgres;
                    if u.backend() != pg || primary.backend() != pg {
                        return bad(
                            "read_database_url",
                            "a read replica needs PostgreSQL for both `database_url` and `read_database_url` (SQLite has no replicas)".into(),
                        );
                    }
                }
            }
        }
        if self.db.pool_size == 0 {
            return bad("pool_size", "must be at least 1".into());
        }
        let port = self.addr.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
        if !matches!(port, Some(Ok(_))) {
            return bad(
                "addr",
                format!("{:?} is not HOST:PORT (e.g. 127.0.0.1:8080)", self.addr),
            );
        }
        if self.limits.body_limit < 1024 {
            return bad(
                "body_limit",
                format!(
                    "{} bytes is too small: at least 1024",
                    self.limits.body_limit
                ),
            );
        }
        let l = &self.limits;
        for (key, zero, hint) in [
            ("request_timeout_ms", l.request_timeout_ms == 0, ""),
            ("max_batch", l.max_batch == 0, " (1 refuses batches)"),
            ("max_exports", l.max_exports == 0, ""),
            ("header_timeout_ms", l.header_timeout_ms == 0, ""),
            ("max_connections", l.max_connections == 0, ""),
            (
                "max_connections_per_address",
                l.max_connections_per_address == 0,
                "",
            ),
        ] {
            if zero {
                return bad(key, format!("must be at least 1{hint}"));
            }
        }
        if self.limits.max_connections_per_address > self.limits.max_connections {
            return bad(
                "max_connections_per_address",
                format!(
                    "{} is more than max_connections ({})",
                    self.limits.max_connections_per_address, self.limits.max_connections
                ),
            );
        }
        if self.response_cache == Switch::On && self.response_cache_mb == 0 {
            return bad(
                "response_cache_mb",
                "must be at least 1 (turn the cache off with response_cache = \"off\")".into(),
            );
        }
        if let Err(message) = cors_origins(&self.cors_origins) {
            return bad("cors_origins", message);
        }
        for (key, value) in [
            ("max_ws_connections", self.notify.max_ws_connections),
            (
                "max_subscriptions_per_connection",
                self.notify.max_subscriptions_per_connection,
            ),
            ("max_webhook_deliveries", self.notify.max_webhook_deliveries),
        ] {
            if value == 0 {
                return bad(key, "must be at least 1".into());
            }
        }
        if let Some(path) = &self.notify.webhook_ca_file {
            // Read now, so a bad file stops the start with the key named, not the first delivery.
            if let Err(e) = crate::notify::client::build(&self.notify.tls()) {
                return bad("webhook_ca_file", format!("{}: {e}", path.display()));
            }
        }
        Ok(())
    }

    /// The settings as a config file (the `--check-config` output): password hidden.
    pub fn to_file(&self) -> ConfigFile {
        let url = crate::db::DatabaseUrl::parse(&self.db.database_url)
            .map(|u| match u {
                crate::db::DatabaseUrl::Postgres { .. } => redact_password(&self.db.database_url),
                crate::db::DatabaseUrl::Sqlite { .. } => self.db.database_url.clone(),
            })
            .unwrap_or_else(|_| self.db.database_url.clone());
        ConfigFile {
            database_url: Some(url),
            read_database_url: self.read_database_url.as_deref().map(redact_password),
            pool_size: Some(self.db.pool_size),
            pool_timeout_ms: Some(self.db.pool_timeout_ms),
            addr: Some(self.addr.clone()),
            seeds: self.seeds.clone(),
            body_limit: Some(self.limits.body_limit),
            request_timeout_ms: Some(self.limits.request_timeout_ms),
            statement_timeout_ms: Some(self.limits.statement_timeout_ms),
            max_batch: Some(self.limits.max_batch),
            max_exports: Some(self.limits.max_exports),
            max_string: Some(self.limits.max_string),
            max_list: Some(self.limits.max_list),
            header_timeout_ms: Some(self.limits.header_timeout_ms),
            max_connections: Some(self.limits.max_connections),
            max_connections_per_address: Some(self.limits.max_connections_per_address),
            malloc_trim_ms: Some(self.limits.malloc_trim_ms),
            log_format: Some(self.log_format),
            cors_origins: Some(self.cors_origins.clone()),
            introspection: Some(self.introspection),
            pages: Some(self.pages),
            rate_limit_address: Some(self.rate.rate_limit_address),
            rate_limit_key: Some(self.rate.rate_limit_key),
            trusted_proxies: Some(self.rate.trusted_proxies),
            response_cache: Some(self.response_cache),
            response_cache_mb: Some(self.response_cache_mb),
            max_ws_connections: Some(self.notify.max_ws_connections),
            max_subscriptions_per_connection: Some(self.notify.max_subscriptions_per_connection),
            max_webhook_deliveries: Some(self.notify.max_webhook_deliveries),
            webhook_ca_file: self.notify.webhook_ca_file.clone(),
        }
    }

    /// The HTTP layer's options.
    pub fn http_options(&self) -> Result<crate::http::Options, ConfigError> {
        let cors = cors_origins(&self.cors_origins).map_err(|message| ConfigError::Invalid {
            key: "cors_origins",
            message,
        })?;
        Ok(crate::http::Options {
            limits: self.limits.limits(),
            cors,
            introspection: self.introspection,
            pages: self.pages,
            rate: crate::http::RateLimits {
                per_address_per_minute: self.rate.rate_limit_address,
                per_key_per_minute: self.rate.rate_limit_key,
                trusted_proxies: self.rate.trusted_proxies,
            },
            notify: self.notify.limits(),
            response_cache: (self.response_cache == Switch::On).then(|| {
                crate::cache::CacheLimits {
                    bytes: self.response_cache_mb.saturating_mul(1024 * 1024),
                    ..crate::cache::CacheLimits::default()
                }
            }),
        })
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                // Setting a password only fails on URLs that cannot have one.
                let _ = u.set_password(Some("***"));
            }
            // libpq also takes secrets as parameters (`?password=…`, `?sslpassword=…`).
            if u.query_pairs().any(|(k, _)| k.contains("password")) {
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k.contains("password") {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// The CORS policy from the list of origins: empty or `*` is any origin; otherwise each must be
/// `scheme://host[:port]` (what a browser sends in `Origin`: no path, no trailing slash).
pub fn cors_origins(list: &[String]) -> Result<crate::http::Cors, String> {
    let list: Vec<&str> = list
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() || list == ["*"] {
        return Ok(crate::http::Cors::Any);
    }
    let mut origins = Vec::new();
    for o in list {
        let parsed = url::Url::parse(o).map_err(|e| format!("{o:?} is not an origin: {e}"))?;
        let origin = parsed.origin();
        if !origin.is_tuple() || !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "{o:?} is not an http(s) origin (`*` alone means any origin)"
            ));
        }
        if origin.ascii_serialization() != o {
            return Err(format!(
                "{o:?} is not an origin as browsers send it: write {:?} (no path, no trailing slash)",
                origin.ascii_serialization()
            ));
        }
        origins.push(axum::http::HeaderValue::from_str(o).map_err(|e| format!("{o:?}: {e}"))?);
    }
    Ok(crate::http::Cors::Origins(origins))
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_hidden_in_the_userinfo_and_in_parameters() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        let shown = redact_password("postgres://u@h/db?password=secret&sslmode=require");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("sslmode=require"), "{shown}");
        let shown = redact_password("postgres://u@h/db?sslpassword=s3");
        assert!(!shown.contains("s3"), "{shown}");
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
