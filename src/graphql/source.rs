//! The `Source` object (a district government's report) and the prefetch of a source list's
//! districts, texts and observations.

use async_graphql::{ComplexObject, Context, Result};

use super::context::ContextExt;
use super::fields::source::{DISTRICT, OBSERVATIONS, TEXT};
use super::loaders::{ObservationsOfSource, TextOfSource};
use super::observation::{self, Observation};
use super::prefetch::{fetch, LookaheadExt};
use super::District;
use crate::db::models::{self, DistrictId, SourceId};
use crate::error::GqlResultExt;

row_object! {
    /// A source document: a district government's report.
    #[graphql(complex)]
    pub struct Source from models::Source as s {
        /// Surrogate key.
        #[graphql(skip)]
        id: SourceId = s.id,
        /// The key of the district it reports on.
        #[graphql(skip)]
        district_id: DistrictId = s.district_id,
        /// Stable code, e.g. `rongchang-2022-self-evaluation`.
        code: String = s.code,
        /// Title, Chinese.
        title_zh: String = s.title_zh,
        /// Title, English.
        title_en: String = s.title_en,
        /// Issuing body.
        issuer: String = s.issuer,
        /// Document number as printed, e.g. 荣昌府函〔2026〕82号.
        document_number: Option<String> = s.doc_number,
        /// Date printed on the document (ISO 8601).
        date: Option<String> = s.published_on,
        /// `self_evaluation`, `rectification_plan`, `rectification_report` or `statistics`.
        kind: String = s.kind.as_str().to_string(),
        /// The year the document reviews.
        review_year: Option<i32> = s.review_year,
        /// Curator's note about the document (e.g. a printed date that contradicts its content).
        note: Option<String> = s.note,
    }
}

#[ComplexObject]
impl Source {
    /// The district the document reports on.
    async fn district(&self, ctx: &Context<'_>) -> Result<District> {
        Ok(ctx.load_required(self.district_id).await?.into())
    }
    /// The full text, verbatim. Quote offsets of observations index into it (in characters).
    async fn text(&self, ctx: &Context<'_>) -> Result<String> {
        ctx.load_required(TextOfSource(self.id)).await
    }
    /// Every observation taken from this document.
    async fn observations(&self, ctx: &Context<'_>) -> Result<Vec<Observation>> {
        observation::of_parent(ctx, ObservationsOfSource(self.id)).await
    }
}

/// Converts a source list, prefetching its districts, texts and observations when selected.
pub(crate) async fn list(ctx: &Context<'_>, rows: Vec<models::Source>) -> Result<Vec<Source>> {
    let node = ctx.look_ahead();
    let districts = rows.iter().map(|s| s.district_id).collect();
    observation::prefetch_districts(ctx, districts, node.at(DISTRICT)).await?;
    if node.wants(TEXT) {
        let texts = rows.iter().map(|s| TextOfSource(s.id)).collect();
        fetch(ctx.loaders()?, texts).await.gql()?;
    }
    let ids = rows.iter().map(|s| ObservationsOfSource(s.id)).collect();
    observation::prefetch_observations_of(ctx, ids, node, OBSERVATIONS).await?;
    Ok(super::all(rows))
}
