//! The GraphQL API: one schema builder ([`build_schema_for`]) used by the server, the tests and
//! `edustats export-schema`, and the gate the server executes requests through
//! ([`gate::Endpoint`]: persisted queries, depth, input limits, read routing, error codes,
//! cost).
//!
//! Layout: the three roots ([`query`], [`mutation`], [`subscription`]); one module per object type, each holding the
//! object, its relation resolvers and the prefetch that serves them; [`inputs`] and [`enums`];
//! the request [`context`] and the role [`guard`]; the [`loaders`] and the [`prefetch`]
//! machinery they share, with the names of the fields the prefetches read ([`fields`]) and the
//! standard checks of `Observation` and `RankingEntry` ([`checks`]) below the object modules,
//! so that those import no one in a loop.

#[macro_use]
mod macros;

pub mod aggregate;
pub mod arguments;
pub mod audit;
pub mod change;
pub mod checks;
pub mod compare;
pub mod connection;
pub mod context;
pub mod cost;
pub mod depth;
pub mod district;
pub mod draft;
pub mod enums;
pub mod fields;
pub mod finding;
pub mod gate;
pub mod guard;
pub mod indicator;
pub mod inputs;
pub mod latest;
pub mod limits;
pub mod loaders;
pub mod lookups;
pub mod mutation;
pub mod observation;
pub mod period;
pub mod prefetch;
pub mod progress;
pub mod query;
pub mod ranking;
pub mod revision;
pub mod source;
pub mod standard;
pub mod subscription;
pub mod time_series;

use async_graphql::Schema;

pub use aggregate::{Aggregate, AggregateGroup, AggregateMember};
pub use audit::AuditEntry;
pub use change::ChangeRow;
pub use checks::StandardCheck;
pub use compare::{CompareCell, CompareMatrix, CompareRow};
pub use connection::{ObservationConnection, ObservationEdge, PageInfo};
pub use district::District;
pub use finding::QualityFinding;
pub use indicator::{Coverage, Indicator};
pub use latest::LatestValue;
pub use observation::{BreakdownMember, Observation};
pub use period::Period;
pub use progress::TargetProgress;
pub use ranking::{Ranking, RankingEntry, SummaryStats};
pub use revision::Revision;
pub use source::Source;
pub use standard::{Standard, StandardShortfall};
pub use time_series::{TimePoint, TimeSeries};

use crate::db::Db;
use crate::notify::Notifier;

/// The schema type.
pub type EduSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// Deepest query accepted: enough for observations → source → observations → district.
/// Introspection fields are not counted ([`depth`]), so GraphiQL's documentation loads.
pub const MAX_DEPTH: usize = 12;
/// Highest complexity accepted (each field counts 1; lists are not multiplied).
pub const MAX_COMPLEXITY: usize = 2_000;

/// Documents kept for automatic persisted queries (least recently used evicted; a client may
/// send the SHA-256 of a document it sent before instead of the document, for smaller `GET`
/// URLs that caching proxies keep).
pub const PERSISTED_QUERIES: usize = 1_000;

/// Parsed documents kept by their text (least recently used evicted), so that a document sent
/// again is not parsed again: parsing was about a tenth of the server's CPU for the README's
/// ranking on the seed database (`BENCHMARKS.md`, issue 27).
pub const PARSED_DOCUMENTS: usize = 256;

/// Documents longer than this (bytes of text) are parsed every time and never kept, which
/// bounds the memory of [`PARSED_DOCUMENTS`].
pub const PARSED_DOCUMENT_MAX_BYTES: usize = 8 * 1024;

/// Builds the schema with the default options. The HTTP layer executes requests through
/// [`gate::Endpoint`], which holds the request-level checks; the per-request context is
/// attached by the HTTP handler ([`context::attach`]).
pub fn build_schema(db: Option<Db>) -> EduSchema {
    build_schema_for(
        db,
        SchemaOptions {
            input: limits::InputLimits::default(),
            introspection: true,
        },
    )
}

/// What the server's configuration changes in the schema.
#[derive(Debug, Clone, Copy)]
pub struct SchemaOptions {
    /// Bounds on string and list values in reads.
    pub input: limits::InputLimits,
    /// Whether `__schema` and `__type` are answered (off in production if the operator says so).
    pub introspection: bool,
}

/// The schema as the server runs it (behind [`gate::Endpoint`]). It has no async-graphql extension, on purpose: one
/// would put every field through the extension chain; the request-level checks are in
/// [`gate`].
pub fn build_schema_for(db: Option<Db>, options: SchemaOptions) -> EduSchema {
    build_schema_with(db, options, None)
}

/// [`build_schema_for`] with the server's event channel: mutations send their events on it
/// after they commit, subscriptions receive from it. Without one, writes notify nobody and a
/// subscription is `INTERNAL`.
pub fn build_schema_with(
    db: Option<Db>,
    options: SchemaOptions,
    notifier: Option<Notifier>,
) -> EduSchema {
    let mut builder = Schema::build(
        query::QueryRoot,
        mutation::MutationRoot,
        subscription::SubscriptionRoot,
    )
    .limit_complexity(MAX_COMPLEXITY);
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    if let Some(n) = notifier {
        builder = builder.data(n);
    }
    match db {
        Some(db) => builder.data(db).finish(),
        None => builder.finish(),
    }
}

/// The SDL, as committed in `schema.graphql`. `@specifiedBy` is included because introspection
/// reports it (`specifiedByURL`): without it, a client schema built from introspection differs
/// from the committed file (`tests/third_party_client.rs`).
pub fn sdl() -> String {
    build_schema(None)
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// Converts read models into their GraphQL objects, keeping their order.
pub(crate) fn all<T: From<R>, R>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

#[cfg(test)]
mod tests {
    /// The field names of object type `ty`, from the SDL the schema prints.
    fn fields_of(ty: &str) -> Vec<String> {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let doc = async_graphql::parser::parse_schema(super::sdl()).expect("the SDL parses");
        doc.definitions
            .into_iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(t) if t.node.name.node.as_str() == ty => {
                    Some(t.node.kind)
                }
                _ => None,
            })
            .flat_map(|kind| match kind {
                TypeKind::Object(o) => o.fields,
                _ => Vec::new(),
            })
            .map(|f| f.node.name.node.to_string())
            .collect()
    }

    #[test]
    fn every_prefetched_field_exists_on_its_type() {
        let missing: Vec<String> = super::fields::PREFETCHED
            .iter()
            .filter(|f| !fields_of(f.ty).iter().any(|name| name == f.name))
            .map(|f| format!("{}.{}", f.ty, f.name))
            .collect();
        assert!(
            missing.is_empty(),
            "prefetched fields not in the schema: {missing:?}"
        );
    }
}
