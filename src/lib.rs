//! edustats: a statistics warehouse over the education-duty reports of Chongqing's district
//! governments, served through GraphQL.
//!
//! Layers, each with its own error type mapped once at the API edge (`error`):
//! - [`db`]: connections, migrations, schema, models and queries (sync; run on the blocking pool);
//! - [`stats`]: ranking, change and comparison logic, pure functions;
//! - [`ingest`]: quantity parsing, seed loading and validation;
//! - [`graphql`]: the schema, resolvers and DataLoaders;
//! - [`http`]: the axum router.

pub mod db;
