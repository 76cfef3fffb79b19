//! The mutation root: imports and corrections. Every mutation is guarded by
//! [`RoleGuard`](super::guard::RoleGuard): it needs an API key (`Authorization: Bearer <key>`)
//! with the editor or admin role; without one the answer is `UNAUTHENTICATED` or `FORBIDDEN`
//! and nothing is written. The work itself is the shared ingest path
//! ([`crate::ingest::import`]), the same as `edustats import`.

use async_graphql::{Context, Object, Result};

use super::context::ContextExt;
use super::guard::RoleGuard;
use super::inputs::ImportInput;
use super::Observation;
use crate::auth::Role;
use crate::db::queries;
use crate::error::ApiError;
use crate::ingest::import::{self, Bundle, Codes, ImportReport, Options};

row_object! {
    /// What an import did (or would do, for a dry run).
    pub struct ImportResult from ImportReport as r {
        /// True when nothing was written.
        dry_run: bool = r.dry_run,
        /// The source created, if any.
        source_created: Option<String> = r.source_created,
        /// Keys of new observations.
        created: Vec<String> = r.created,
        /// Keys of observations that got a new revision.
        corrected: Vec<String> = r.corrected,
        /// Rows identical to what is stored.
        unchanged: i32 = r.unchanged as i32,
    }
}

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
        input: ImportInput,
        reason: Option<String>,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<ImportResult> {
        let actor = ctx.principal()?.name.clone();
        let bundle = Bundle::from(input);
        let report = ctx.run(move |c| {
            let opts = Options {
                actor: &actor,
                reason: reason.as_deref(),
                dry_run,
                default_source: None,
            };
            import::import(c, &bundle, opts).map_err(ApiError::from)
        });
        Ok(report.await?.into())
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
            let current = queries::observation_by_key(c, &key)?.ok_or(ApiError::NotFound {
                kind: "observation",
                code: key.clone(),
            })?;
            let mut row = Codes::load(c)?.row(&current);
            row.value = value;
            if let Some(u) = unit {
                row.unit = u;
            }
            if let Some(q) = quote {
                row.quote = q;
            }
            if note.is_some() {
                row.note = note;
            }
            let opts = Options {
                actor: &actor,
                reason: Some(&reason),
                dry_run,
                default_source: None,
            };
            let bundle = Bundle {
                source: None,
                observations: vec![row],
            };
            let report = import::import(c, &bundle, opts)?;
            if report.unchanged > 0 {
                return Err(ApiError::BadInput(format!(
                    "{key}: the correction changes nothing"
                )));
            }
            if dry_run {
                return Ok(current);
            }
            queries::observation_by_key(c, &key)?
                .ok_or(ApiError::Internal(format!("{key} vanished")))
        });
        Ok(o.await?.into())
    }
}
