//! GraphQL input objects: breakdown members and the observations filter, with their conversion
//! to what the lower layers take ([`Breakdown`]). The import input is the ingest layer's own
//! [`crate::ingest::rows::Bundle`], so GraphQL and files share one definition.

use async_graphql::{InputObject, Result};

use super::enums::ObservationKind;
use crate::domain::Breakdown;
use crate::error::ApiError;

/// One member of a breakdown dimension, as an argument.
#[derive(InputObject, Clone, Debug)]
pub struct BreakdownInput {
    /// Dimension code, e.g. `stage`.
    pub dimension: String,
    /// Member code, e.g. `primary`.
    pub member: String,
}

/// A breakdown argument (absent: the total); a dimension named twice is `BAD_USER_INPUT`.
pub(crate) fn breakdown_arg(breakdown: Option<Vec<BreakdownInput>>) -> Result<Breakdown> {
    Breakdown::from_pairs(
        breakdown
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.dimension, b.member)),
    )
    .map_err(|e| ApiError::BadInput(e.to_string()).into_graphql())
}

/// Filter of the observations connection; every field is optional and fields combine with AND.
#[derive(InputObject, Default)]
pub struct ObservationFilter {
    /// District codes.
    pub districts: Option<Vec<String>>,
    /// Indicator codes.
    pub indicators: Option<Vec<String>>,
    /// Years of the reference period.
    pub years: Option<Vec<i32>>,
    /// Exact breakdown (an empty list selects totals only).
    pub breakdown: Option<Vec<BreakdownInput>>,
    /// Kinds.
    pub kinds: Option<Vec<ObservationKind>>,
    /// Source codes.
    pub sources: Option<Vec<String>>,
}
