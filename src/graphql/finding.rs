//! The `QualityFinding` object: figures of the reports that do not agree with each other.

use async_graphql::{ComplexObject, Context, Result};

use super::context::ContextExt;
use super::fields::finding::OBSERVATIONS;
use super::loaders::ObservationsOfFinding;
use super::observation::{self, Observation};
use super::Source;
use crate::db::models::{self, FindingId, SourceId};

row_object! {
    /// A data-quality finding: figures that do not agree. Figures are never corrected.
    #[graphql(complex)]
    pub struct QualityFinding from models::Finding as f {
        /// Surrogate key.
        #[graphql(skip)]
        id: FindingId = f.id,
        /// The key of the source concerned, if any.
        #[graphql(skip)]
        source_id: Option<SourceId> = f.source_id.map(SourceId),
        /// Stable code.
        code: String = f.code,
        /// `rule` (computed by a check) or `curated` (recorded while curating the reports).
        origin: String = f.origin.as_str().to_string(),
        /// Rule code, e.g. `sum_of_parts`, `range`, `change_consistency`.
        rule: String = f.rule,
        /// `error` or `warning`.
        severity: String = f.severity.as_str().to_string(),
        /// What does not agree, with the figures.
        message: String = f.message,
        /// The same in Chinese; null when none was written (show `message` then).
        message_zh: Option<String> = if f.message_zh.is_empty() { None } else { Some(f.message_zh) },
    }
}

#[ComplexObject]
impl QualityFinding {
    /// The source document concerned.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Source>> {
        match self.source_id {
            Some(id) => Ok(ctx.load_one(id).await?.map(Source::from)),
            None => Ok(None),
        }
    }
    /// The observations involved (with their quotes).
    async fn observations(&self, ctx: &Context<'_>) -> Result<Vec<Observation>> {
        observation::of_parent(ctx, ObservationsOfFinding(self.id)).await
    }
}

/// Converts a finding list, prefetching their observations (one batch) when selected.
pub(crate) async fn list(
    ctx: &Context<'_>,
    rows: Vec<models::Finding>,
) -> Result<Vec<QualityFinding>> {
    let ids = rows.iter().map(|f| ObservationsOfFinding(f.id)).collect();
    observation::prefetch_observations_of(ctx, ids, ctx.look_ahead(), OBSERVATIONS).await?;
    Ok(super::all(rows))
}
