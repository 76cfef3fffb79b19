//! The tools' arguments: one type per tool, whose JSON schema (schemars) is what an agent
//! sees in the tool catalogue, and the enums and bounds they share.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest page any tool returns: a model's context is small.
pub const MAX_PAGE: u32 = 100;

/// A kind of figure (GraphQL's `ObservationKind`): listed in the tools' schemas, so an agent
/// sees the values and a wrong one is refused before any query.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KindArg {
    /// A measured value.
    Actual,
    /// A plan goal or a required norm.
    Target,
    /// A reported absolute change, in the indicator's unit.
    Change,
    /// A reported relative change, in percent.
    Growth,
    /// A reported rank (e.g. 全市排第39位).
    Rank,
}

/// A ranking's order (GraphQL's `SortOrder`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderArg {
    /// Lowest value first.
    Asc,
    /// Highest value first.
    Desc,
}

/// A breakdown member (a `dimension=member` pair), as in the export and GraphQL.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownArg {
    /// Dimension code, e.g. `gender` or `stage`.
    pub dimension: String,
    /// Member code, e.g. `female` or `primary`.
    pub member: String,
}

/// Arguments of `search_indicators`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIndicatorsArgs {
    /// Words to find in the Chinese or English name or the code (case-insensitive substring),
    /// e.g. `专任教师` or `teacher`. Omit to list the catalogue.
    pub query: Option<String>,
    /// Only this category (e.g. `teachers`, `funding`); an unknown one is an error listing the
    /// known ones.
    pub category: Option<String>,
    /// Indicators to skip (for the next page: the previous `offset + limit`). Default 0.
    pub offset: Option<u32>,
    /// Page size, 1 to 100. Default 20.
    pub limit: Option<u32>,
}

/// Arguments of `get_observations` (the filters of the CSV export and of GraphQL's
/// `observations`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationsArgs {
    /// District codes, e.g. `["500153"]`.
    pub districts: Option<Vec<String>>,
    /// Indicator codes (find them with `search_indicators`).
    pub indicators: Option<Vec<String>>,
    /// Years, e.g. `[2023, 2024]`.
    pub years: Option<Vec<i32>>,
    /// Kinds of figure; default every kind.
    pub kinds: Option<Vec<KindArg>>,
    /// Source document codes (see `list_sources`).
    pub sources: Option<Vec<String>>,
    /// Only this breakdown (all pairs must match); omit for every breakdown.
    pub breakdown: Option<Vec<BreakdownArg>>,
    /// Page size, 1 to 100. Default 20.
    pub first: Option<u32>,
    /// The `endCursor` of the previous page.
    pub after: Option<String>,
}

/// Arguments of `rank_districts`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RankArgs {
    /// Indicator code.
    pub indicator: String,
    /// Year, e.g. 2023.
    pub year: i32,
    /// Order; default: best first by the indicator's direction.
    pub order: Option<OrderArg>,
    /// Kind ranked; default `ACTUAL`.
    pub kind: Option<KindArg>,
    /// Use each district's latest value in or before `year` (each entry says its year).
    pub latest_on_or_before: Option<bool>,
    /// Rank this breakdown instead of the totals.
    pub breakdown: Option<Vec<BreakdownArg>>,
    /// Entries per page, 1 to 100. Default 10 (ranks and statistics always cover every
    /// district).
    pub first: Option<u32>,
    /// The `endCursor` of the previous page.
    pub after: Option<String>,
}

/// Arguments of `change_between_years`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeArgs {
    /// Indicator code.
    pub indicator: String,
    /// The earlier year.
    pub from: i32,
    /// The later year.
    pub to: i32,
    /// Only these districts, in this order; default every district with a value in either year.
    pub districts: Option<Vec<String>>,
    /// This breakdown instead of the totals.
    pub breakdown: Option<Vec<BreakdownArg>>,
    /// Rows to skip. Default 0.
    pub offset: Option<u32>,
    /// Page size, 1 to 100. Default 40.
    pub limit: Option<u32>,
}

/// Arguments of `compare_districts`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareArgs {
    /// District codes (rows).
    pub districts: Vec<String>,
    /// Indicator codes (columns).
    pub indicators: Vec<String>,
    /// Year.
    pub year: i32,
    /// Fall back to each cell's latest earlier year (the cell says which).
    pub latest_on_or_before: Option<bool>,
    /// This breakdown instead of the totals.
    pub breakdown: Option<Vec<BreakdownArg>>,
}

/// Arguments of `time_series`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesArgs {
    /// District code.
    pub district: String,
    /// Indicator code.
    pub indicator: String,
    /// Kind; default `ACTUAL`.
    pub kind: Option<KindArg>,
    /// This breakdown instead of the totals.
    pub breakdown: Option<Vec<BreakdownArg>>,
}

/// Arguments of `list_sources`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcesArgs {
    /// Sources to skip. Default 0.
    pub offset: Option<u32>,
    /// Page size, 1 to 100. Default 20.
    pub limit: Option<u32>,
}

/// Arguments of `explain_quality_flags`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityArgs {
    /// District code.
    pub district: String,
    /// Indicator code.
    pub indicator: String,
    /// Year of the figure.
    pub year: i32,
    /// Only the figure of this source document.
    pub source: Option<String>,
    /// Figures per page, 1 to 100. Default 10.
    pub first: Option<u32>,
    /// The `endCursor` of the previous page.
    pub after: Option<String>,
}
