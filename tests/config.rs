//! The `serve` configuration: precedence (flag > environment > file > default), errors that
//! name the key (unknown key, wrong type, out of range, from the file or the environment), the
//! example file of `docs/operations.md`, and exit code 2 from the binary.
//!
//! Settings are resolved in-process through the same clap definitions and
//! [`ServeArgs::resolve`] that `main` uses. Environment variables are process-wide, so every
//! test that sets one holds [`ENV`].

// Tests unwrap: a panic is a failed test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use clap::{CommandFactory, FromArgMatches, Parser};
use edustats::config::{ConfigError, ServeArgs};

static ENV: Mutex<()> = Mutex::new(());

#[derive(Debug, Parser)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

/// The variables a setting can come from, cleared so the caller's environment cannot leak in.
const VARS: &[&str] = &[
    "DATABASE_URL",
    "EDUSTATS_READ_DATABASE_URL",
    "EDUSTATS_CONFIG",
    "EDUSTATS_ADDR",
    "EDUSTATS_SEEDS",
    "EDUSTATS_POOL_SIZE",
    "EDUSTATS_POOL_TIMEOUT_MS",
    "EDUSTATS_BODY_LIMIT",
    "EDUSTATS_REQUEST_TIMEOUT_MS",
    "EDUSTATS_STATEMENT_TIMEOUT_MS",
    "EDUSTATS_MAX_BATCH",
    "EDUSTATS_MAX_STRING",
    "EDUSTATS_MAX_LIST",
    "EDUSTATS_LOG_FORMAT",
    "EDUSTATS_CORS_ORIGINS",
    "EDUSTATS_INTROSPECTION",
    "EDUSTATS_PAGES",
    "EDUSTATS_RATE_LIMIT_ADDRESS",
    "EDUSTATS_RATE_LIMIT_KEY",
    "EDUSTATS_TRUSTED_PROXIES",
];

/// Resolves `serve` settings from flags and variables (the file comes through `--config` or
/// `EDUSTATS_CONFIG`). Returns the resolved settings as the `--check-config` file.
fn resolve(flags: &[&str], env: &[(&str, &str)]) -> Result<toml::Table, ConfigError> {
    let _held = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for v in VARS {
        std::env::remove_var(v);
    }
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    let argv = std::iter::once("edustats-serve").chain(flags.iter().copied());
    let matches = Serve::command()
        .try_get_matches_from(argv)
        .expect("flags parse");
    let parsed = Serve::from_arg_matches(&matches).expect("flags parse");
    let result = parsed.args.resolve(&matches);
    for (k, _) in env {
        std::env::remove_var(k);
    }
    let resolved = result?;
    let text = toml::to_string(&resolved.to_file()).expect("serialises");
    Ok(toml::from_str(&text).expect("the output is a config file"))
}

fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("edustats.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn precedence_is_flag_then_env_then_file_then_default() {
    let (_dir, path) = config_file(
        r#"
database_url = "postgres://stats:s3cret@db.internal:5432/edustats"
addr = "0.0.0.0:9000"
pool_size = 3
max_batch = 4
max_list = 50
log_format = "json"
cors_origins = ["https://stats.example.org"]
introspection = false
rate_limit_address = 120
"#,
    );
    let resolved = resolve(
        &["--config", &path, "--max-batch", "7"],
        &[
            ("EDUSTATS_POOL_SIZE", "5"),
            ("EDUSTATS_MAX_BATCH", "6"),
            ("EDUSTATS_INTROSPECTION", "true"),
        ],
    )
    .expect("valid");
    let int = |k: &str| resolved[k].as_integer().unwrap_or_else(|| panic!("{k}"));
    assert_eq!(int("max_batch"), 7, "flag over env and file");
    assert_eq!(int("pool_size"), 5, "env over file");
    assert_eq!(
        resolved["introspection"].as_bool(),
        Some(true),
        "env over file"
    );
    assert_eq!(
        resolved["addr"].as_str(),
        Some("0.0.0.0:9000"),
        "file over default"
    );
    assert_eq!(int("max_list"), 50);
    assert_eq!(int("rate_limit_address"), 120);
    assert_eq!(resolved["log_format"].as_str(), Some("json"));
    assert_eq!(
        resolved["cors_origins"].as_array().map(Vec::len),
        Some(1),
        "{resolved}"
    );
    assert_eq!(int("body_limit"), 1024 * 1024, "default");
    assert_eq!(int("rate_limit_key"), 1200, "default");
    let url = resolved["database_url"].as_str().expect("url");
    assert!(
        !url.contains("s3cret") && url.contains("db.internal"),
        "{url}"
    );

    // The file may also come from the environment; without one, the defaults.
    let resolved = resolve(&[], &[("EDUSTATS_CONFIG", &path)]).expect("valid");
    assert_eq!(resolved["pool_size"].as_integer(), Some(3));
    let resolved = resolve(&[], &[]).expect("valid");
    assert_eq!(resolved["pool_size"].as_integer(), Some(8));
    assert_eq!(resolved["addr"].as_str(), Some("127.0.0.1:8080"));
}

/// `read_database_url`: from the file, the environment or the flag (in that order of
/// precedence), password hidden in `--check-config`, and refused (naming the key) unless both
/// URLs are PostgreSQL.
#[test]
fn the_read_replica_url_layers_and_needs_postgresql() {
    let (_dir, path) = config_file(
        r#"
database_url = "postgres://stats@primary.internal:5432/edustats"
read_database_url = "postgres://stats:r3ad@replica-file.internal:5432/edustats"
"#,
    );
    let read = |r: &toml::Table| r["read_database_url"].as_str().unwrap_or("").to_string();
    let from_file = resolve(&["--config", &path], &[]).expect("valid");
    assert!(
        read(&from_file).contains("replica-file.internal"),
        "{from_file}"
    );
    assert!(
        !read(&from_file).contains("r3ad"),
        "password hidden: {from_file}"
    );
    let from_env = resolve(
        &["--config", &path],
        &[(
            "EDUSTATS_READ_DATABASE_URL",
            "postgres://stats@replica-env.internal/edustats",
        )],
    )
    .expect("valid");
    assert!(
        read(&from_env).contains("replica-env.internal"),
        "{from_env}"
    );
    let from_flag = resolve(
        &[
            "--config",
            &path,
            "--read-database-url",
            "postgres://stats@replica-flag.internal/edustats",
        ],
        &[(
            "EDUSTATS_READ_DATABASE_URL",
            "postgres://stats@replica-env.internal/edustats",
        )],
    )
    .expect("valid");
    assert!(
        read(&from_flag).contains("replica-flag.internal"),
        "{from_flag}"
    );
    let none = resolve(&[], &[]).expect("valid");
    assert!(none.get("read_database_url").is_none(), "{none}");

    for flags in [
        // SQLite has no replicas.
        vec![
            "--read-database-url",
            "postgres://stats@replica.internal/edustats",
        ],
        vec![
            "--database-url",
            "postgres://stats@primary.internal/edustats",
            "--read-database-url",
            "sqlite://replica.sqlite3",
        ],
        vec![
            "--database-url",
            "postgres://stats@primary.internal/edustats",
            "--read-database-url",
            "mysql://replica.internal/edustats",
        ],
    ] {
        let e = resolve(&flags, &[]).expect_err("refused");
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    key: "read_database_url",
                    ..
                }
            ),
            "{flags:?}: {e}"
        );
    }
}

#[test]
fn errors_name_the_key() {
    for (file, key) in [
        ("pool_sise = 3\n", "pool_sise"),
        ("addr = \"0.0.0.0:80\"\npool_size = \"many\"\n", "pool_size"),
        ("log_format = \"xml\"\n", "log_format"),
        ("introspection = \"no\"\n", "introspection"),
        ("pool_size = 0\n", "pool_size"),
        (
            "cors_origins = [\"https://stats.example.org/app\"]\n",
            "cors_origins",
        ),
        ("addr = \"localhost\"\n", "addr"),
        ("body_limit = 10\n", "body_limit"),
        ("database_url = \"mysql://x/y\"\n", "database_url"),
        ("max_batch = 0\n", "max_batch"),
    ] {
        let (_dir, path) = config_file(file);
        let err = resolve(&["--config", &path], &[]).expect_err(file);
        let message = err.to_string();
        assert!(message.contains(&format!("`{key}`")), "{file}: {message}");
    }
    // The line is given for file errors.
    let (_dir, path) = config_file("addr = \"0.0.0.0:80\"\npool_size = \"many\"\n");
    let message = resolve(&["--config", &path], &[])
        .expect_err("bad")
        .to_string();
    assert!(message.contains("line 2"), "{message}");
    // A bad value from the environment is named too.
    let err = resolve(&[], &[("EDUSTATS_POOL_SIZE", "0")]).expect_err("zero");
    assert!(err.to_string().contains("`pool_size`"), "{err}");
    // A missing file names the file.
    let err = resolve(&["--config", "/nonexistent/edustats.toml"], &[]).expect_err("missing");
    assert!(
        err.to_string().contains("/nonexistent/edustats.toml"),
        "{err}"
    );
}

#[test]
fn the_documented_config_example_is_valid() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
        .expect("docs/operations.md");
    let section = &page[page.find("## Operating edustats").expect("section")..];
    let start = section.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").expect("end")];
    let (_dir, path) = config_file(example);
    let resolved = resolve(&["--config", &path], &[]).expect("the documented example is valid");
    assert_eq!(resolved["trusted_proxies"].as_integer(), Some(1));
}

#[test]
fn the_binary_refuses_a_bad_config_with_exit_code_2() {
    // The child inherits this process's environment, which the other tests of this file set
    // and clear under `ENV`: hold it, or a variable set meanwhile changes what the child sees
    // (seen twice in full runs: exit 0 instead of 2).
    let _held = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, path) = config_file("pool_sise = 3\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args(["serve", "--check-config", "--config", &path])
        .env_remove("EDUSTATS_CONFIG")
        .output()
        .expect("run edustats");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`pool_sise`"), "{err}");
    // And prints a valid one without starting.
    let (_dir, path) = config_file("pool_size = 3\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args(["serve", "--check-config", "--config", &path])
        .env_remove("EDUSTATS_POOL_SIZE")
        .output()
        .expect("run edustats");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("pool_size = 3"), "{text}");
}
