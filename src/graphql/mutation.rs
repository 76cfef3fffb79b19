//! The mutation root: imports and corrections. Every mutation is guarded by
//! [`RoleGuard`](super::guard::RoleGuard): it needs an API key (`Authorization: Bearer <key>`)
//! with the editor or admin role; without one the answer is `UNAUTHENTICATED` or `FORBIDDEN`
//! and nothing is written. The work itself is the shared ingest path
//! ([`crate::ingest::import`]), the same as `edustats import`; its input and result types
//! (`ImportInput`, `ImportResult`) are the ingest rows themselves ([`crate::ingest::rows`]).

use async_graphql::{Context, Object, Result};

use super::context::ContextExt;
use super::guard::RoleGuard;
use super::Observation;
use crate::auth::Role;
use crate::error::ApiError;
use crate::ingest::import::{self, Correction, Options};
use crate::ingest::read::LocatedBundle;
use crate::ingest::rows::{Bundle, ImportReport};

/// Writes to the warehouse (API key required).
pub struct MutationRoot;

/// Writes to the warehouse. Every mutation needs `Authorization: Bearer <key>` (role editor or
/// admin), validates everything before writing, lists every problem in
/// `extensions.problems`, and writes in one transaction.
#[Object]
impl MutationRoot {
    /// Imports a report: its source record and text, and its observations, atomically.
    /// Rows whose key exists and whose content is unchanged are skipped; rows that change a
    /// stored observation are corrections and need `reason` (the old content is kept as an
    /// earlier revision). `dryRun` validates and reports without writing.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn import_report(
        &self,
        ctx: &Context<'_>,
        input: Bundle,
        reason: Option<String>,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<ImportReport> {
        let actor = ctx.principal()?.name.clone();
        let input = LocatedBundle::structured(input);
        ctx.run(move |c| {
            let opts = Options {
                actor: &actor,
                reason: reason.as_deref(),
                dry_run,
                default_source: None,
            };
            import::import(c, &input, opts).map_err(ApiError::from)
        })
        .await
    }

    /// Corrects one observation: records a new revision with the given figure (and optionally
    /// unit, quote and note) and keeps the old content as an earlier revision. `reason` is
    /// required. The same validation as an import applies (the quote must be in the source text,
    /// the figure in the quote, the unit convertible, the value in range).
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn correct_observation(
        &self,
        ctx: &Context<'_>,
        key: String,
        value: String,
        unit: Option<String>,
        quote: Option<String>,
        note: Option<String>,
        reason: String,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<Observation> {
        let actor = ctx.principal()?.name.clone();
        if reason.trim().is_empty() {
            return Err(ApiError::BadInput("reason must not be empty".into()).into_graphql());
        }
        let o = ctx.run(move |c| {
            let opts = Options {
                actor: &actor,
                reason: Some(&reason),
                dry_run,
                default_source: None,
            };
            let correction = Correction {
                key,
                value,
                unit,
                quote,
                note,
            };
            import::correct(c, correction, opts).map_err(ApiError::from)
        });
        Ok(o.await?.into())
    }
}
