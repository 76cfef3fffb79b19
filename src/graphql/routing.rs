//! Read routing: once a request's document is parsed, a document without a mutation is sent to
//! the read replica, when the server has one (`--read-database-url`).
//!
//! The decision is made after parsing (a persisted query sent by hash is known by then) and
//! before execution, on the request's own database handle, whose clones in the DataLoaders
//! share the switch. A document with any mutation stays on the primary as a whole, so what a
//! mutation returns is read from the database it wrote to. Reads in separate requests after a
//! write may see the replica a little behind the primary (streaming replication is
//! asynchronous); the README says so.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

use crate::db::Db;

/// The extension (see the module doc).
pub struct ReadRouting;

impl ExtensionFactory for ReadRouting {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadRouting)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ReadRouting {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let writes = crate::graphql::limits::has_mutation(&doc);
        if !writes {
            if let Some(db) = ctx.data_opt::<Db>() {
                db.route_reads_to_replica();
            }
        }
        Ok(doc)
    }
}
