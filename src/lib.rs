//! edustats: a statistics warehouse over the education-duty reports of Chongqing's district
//! governments, served through GraphQL.
//!
//! Layers, each with its own error type mapped once at the API edge (`error`):
//! - [`db`]: connections, migrations, schema, models and queries (sync; run on the blocking pool);
//! - [`stats`]: ranking, change and comparison logic, pure functions;
//! - [`ingest`]: quantity parsing, seed loading and validation;
//! - [`graphql`]: the schema, resolvers and DataLoaders;
//! - [`http`]: the axum router; [`observe`]: metrics, request ids and log output;
//! - [`notify`]: the events of committed writes, for subscriptions and webhooks;
//! - [`web`]: the dashboard and GraphiQL pages with their vendored assets, embedded.

pub mod analytics;
pub mod auth;
pub mod cache;
pub mod config;
pub mod csv_cell;
pub mod db;
pub mod document;
pub mod domain;
pub mod error;
pub mod export;
pub mod extract;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod mcp;
pub mod memory;
pub mod notify;
pub mod observe;
mod pattern;
pub mod serve;
pub mod stats;
pub mod synth;
pub mod timing;
pub mod web;
pub mod ws;
