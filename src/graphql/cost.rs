//! The query's cost, reported in `extensions.cost` of every executed response, as GitHub and
//! Shopify report theirs:
//!
//! - `requested`: the complexity async-graphql computes when validating the document (each
//!   selected field counts 1, lists are not multiplied; the same number the complexity limit
//!   checks, so a client can see how close it is to `limit`);
//! - `actual`: the values the server actually resolved: every field and every list item
//!   (`{ districts { code } }` over 39 districts is 1 + 39 items + 39 codes = 79). It is what
//!   the request really cost the resolvers, and it can be far above `requested` for long lists;
//! - `limit`: the highest `requested` the server accepts.
//!
//! A document refused before execution (parse, validation, too complex) has no cost.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, NextValidation,
    ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value};

/// The factory: one [`CostCounter`] per request.
pub struct Cost {
    /// The complexity limit, reported as `limit`.
    pub limit: usize,
}

impl ExtensionFactory for Cost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostCounter {
            limit: self.limit,
            requested: AtomicUsize::new(0),
            resolved: AtomicU64::new(0),
        })
    }
}

/// One request's counts.
struct CostCounter {
    limit: usize,
    requested: AtomicUsize,
    resolved: AtomicU64,
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostCounter {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        self.requested.store(result.complexity, Ordering::Relaxed);
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let cost = Value::from_json(serde_json::json!({
            "requested": self.requested.load(Ordering::Relaxed),
            "actual": self.resolved.load(Ordering::Relaxed),
            "limit": self.limit,
        }));
        match cost {
            Ok(cost) => response.extension("cost", cost),
            // Unreachable with plain numbers; a response without its cost is still an answer.
            Err(_) => response,
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        self.resolved.fetch_add(1, Ordering::Relaxed);
        next.run(ctx, info).await
    }
}
