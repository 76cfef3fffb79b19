//! The GraphQL API: one schema builder ([`build_schema`]) used by the server, the tests and
//! `edustats export-schema`, with depth and complexity limits.

pub mod loaders;
pub mod mutation;
pub mod prefetch;
pub mod query;
pub mod types;

use async_graphql::{EmptySubscription, Schema};

use crate::db::Db;

/// The schema type.
pub type EduSchema = Schema<query::QueryRoot, mutation::MutationRoot, EmptySubscription>;

/// Deepest query accepted: enough for observations → source → observations → district.
pub const MAX_DEPTH: usize = 12;
/// Highest complexity accepted (each field counts 1; lists are not multiplied).
pub const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema. The per-request DataLoader is attached by the HTTP handler.
pub fn build_schema(db: Option<Db>) -> EduSchema {
    let builder = Schema::build(query::QueryRoot, mutation::MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    match db {
        Some(db) => builder.data(db).finish(),
        None => builder.finish(),
    }
}

/// The SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}
