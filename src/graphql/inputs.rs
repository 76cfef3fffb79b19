//! GraphQL input objects: breakdown members, the observations filter, and the report an import
//! takes; with their conversions to what the lower layers take ([`Breakdown`], [`Bundle`]).

use async_graphql::{InputObject, Result};

use super::enums::ObservationKind;
use crate::domain::Breakdown;
use crate::error::ApiError;
use crate::ingest::import::{Bundle, SourceInput};
use crate::ingest::seed::ObservationRow;

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

/// A new source document.
#[derive(InputObject)]
pub struct SourceRecordInput {
    /// Stable code (lower-case letters, digits, '-').
    pub code: String,
    /// Title, Chinese.
    pub title_zh: String,
    /// Title, English.
    pub title_en: String,
    /// Issuing body.
    pub issuer: String,
    /// District code.
    pub district: String,
    /// Document number as printed.
    pub document_number: Option<String>,
    /// Date printed on the document (ISO 8601 date).
    pub date: Option<String>,
    /// `self_evaluation`, `rectification_plan` or `rectification_report`.
    pub kind: String,
    /// Year reviewed.
    pub review_year: Option<i32>,
    /// Note.
    pub note: Option<String>,
    /// Full text, verbatim.
    pub text: String,
}

/// One observation row: the columns of the seed format.
#[derive(InputObject)]
pub struct ObservationInput {
    /// Stable key, unique across the warehouse.
    pub key: String,
    /// District code.
    pub district: String,
    /// Indicator code.
    pub indicator: String,
    /// Reference period: `2022`, `2023-06`, `2023-01..2023-06`, `2019..2021`.
    pub period: String,
    /// How the period was inferred, if it was.
    pub period_note: Option<String>,
    /// Breakdown, `dimension=member;...`.
    pub breakdown: Option<String>,
    /// Kind.
    pub kind: ObservationKind,
    /// For changes: the period compared against.
    pub base_period: Option<String>,
    /// The figure as printed, e.g. `20余`.
    pub value: String,
    /// The unit as printed, e.g. 亿元.
    pub unit: String,
    /// The sentence, copied from the source text.
    pub quote: String,
    /// Note.
    pub note: Option<String>,
    /// Source code (default: the source of this import).
    pub source: Option<String>,
}

/// A report to import: optionally a new source, and observations.
#[derive(InputObject)]
pub struct ImportInput {
    /// A new source document (omit to add observations to existing sources).
    pub source: Option<SourceRecordInput>,
    /// The observations.
    pub observations: Vec<ObservationInput>,
}

impl From<ImportInput> for Bundle {
    fn from(input: ImportInput) -> Self {
        Bundle {
            source: input.source.map(|s| SourceInput {
                code: s.code,
                title_zh: s.title_zh,
                title_en: s.title_en,
                issuer: s.issuer,
                district: s.district,
                doc_number: s.document_number,
                date: s.date,
                kind: s.kind,
                review_year: s.review_year,
                note: s.note,
                text: s.text,
            }),
            observations: input
                .observations
                .into_iter()
                .map(|o| ObservationRow {
                    key: o.key,
                    district: o.district,
                    indicator: o.indicator,
                    period: o.period,
                    period_note: o.period_note,
                    breakdown: o.breakdown,
                    kind: o.kind,
                    base_period: o.base_period,
                    value: o.value,
                    unit: o.unit,
                    quote: o.quote,
                    note: o.note,
                    source: o.source,
                })
                .collect(),
        }
    }
}
