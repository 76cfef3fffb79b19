//! The integration tests, as one binary: each module was a test binary of its own, and linking
//! 30 binaries cost minutes of every fresh build. `tests/config.rs` stays apart because it sets
//! process-wide environment variables that child processes started by other tests would inherit.

// Tests unwrap: a panic is a failed test with its message (clippy.toml allows it only inside
// #[test] functions and #[cfg(test)] modules, which an integration test's helpers are not).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod api_real_data;
mod api_semantics;
mod backends;
mod bulk_load;
mod cache_version;
mod catalogue;
mod choice;
mod cli_and_schema;
mod concurrency;
mod docs;
mod documents;
mod drafts;
mod extract;
mod faults;
mod fuzz;
mod keys;
mod limits;
mod mcp;
mod migrations;
mod notifications;
mod notify_limits;
mod notify_relay;
mod operations;
mod properties;
mod ranking_change;
mod ranking_pages;
mod repeats;
mod replica;
mod response_cache;
mod sdmx_jsonstat;
mod security;
mod slow_exports;
mod standards;
mod statement_count;
mod targets;
mod third_party_client;
mod vocabulary;
mod web_assets;
mod web_ui;
mod writes;
