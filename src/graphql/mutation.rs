//! The mutation root: imports and corrections. Every mutation needs an API key
//! (`Authorization: Bearer <key>`) with the editor or admin role; without one the answer is
//! `UNAUTHENTICATED` or `FORBIDDEN` and nothing is written. The work itself is the shared ingest
//! path ([`crate::ingest::import`]), the same as `edustats import`.

use async_graphql::{Context, Object, Result};

use super::query::db;
use super::types::Observation;
use crate::auth::{self, Credentials, Principal, Role};
use crate::error::{ApiError, GqlResultExt};
use crate::ingest::import::{self, Correction, CorrectionError, Options};
use crate::ingest::read::LocatedBundle;
use crate::ingest::rows::{Bundle, ImportReport};

/// Checks the request's key and role.
pub(crate) async fn require(ctx: &Context<'_>, role: Role) -> Result<Principal> {
    let key = ctx
        .data_opt::<Credentials>()
        .and_then(|c| c.0.clone())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "this operation needs an API key: Authorization: Bearer <key>".into(),
            )
            .into_graphql()
        })?;
    let principal = db(ctx)?
        .run(move |c| auth::authenticate(c, &key).map_err(ApiError::from))
        .await
        .gql()?
        .ok_or_else(|| {
            ApiError::Unauthenticated("invalid or revoked API key".into()).into_graphql()
        })?;
    if principal.role < role {
        return Err(ApiError::Forbidden(format!(
            "key {:?} has role {}; this needs {}",
            principal.name,
            principal.role.as_str(),
            role.as_str()
        ))
        .into_graphql());
    }
    Ok(principal)
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
    async fn import_report(
        &self,
        ctx: &Context<'_>,
        input: Bundle,
        reason: Option<String>,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<ImportReport> {
        let who = require(ctx, Role::Editor).await?;
        let input = LocatedBundle::structured(input);
        let report = db(ctx)?
            .run(move |c| {
                let opts = Options {
                    actor: &who.name,
                    reason: reason.as_deref(),
                    dry_run,
                    default_source: None,
                };
                import::import(c, &input, opts).map_err(ApiError::from)
            })
            .await
            .gql()?;
        Ok(report)
    }

    /// Corrects one observation: records a new revision with the given figure (and optionally
    /// unit, quote and note) and keeps the old content as an earlier revision. `reason` is
    /// required. The same validation as an import applies (the quote must be in the source text,
    /// the figure in the quote, the unit convertible, the value in range).
    #[allow(clippy::too_many_arguments)]
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
        let who = require(ctx, Role::Editor).await?;
        if reason.trim().is_empty() {
            return Err(ApiError::BadInput("reason must not be empty".into()).into_graphql());
        }
        let o = db(ctx)?
            .run(move |c| {
                let opts = Options {
                    actor: &who.name,
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
                import::correct(c, correction, opts).map_err(|e| match e {
                    CorrectionError::UnknownKey(code) => ApiError::NotFound {
                        kind: "observation",
                        code,
                    },
                    CorrectionError::NoChange(_) => ApiError::BadInput(e.to_string()),
                    CorrectionError::Ingest(e) => e.into(),
                })
            })
            .await
            .gql()?;
        Ok(Observation(o))
    }
}
