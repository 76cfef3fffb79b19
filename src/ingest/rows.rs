//! The input records, defined once. The same structs are read from the seed folder (CSV and
//! TOML), from import files (JSON bundles and CSV), from GraphQL mutations (as input objects)
//! and written by the CSV export, so a column added here reaches every path at once.
//!
//! Fields are kept as the curator or the report wrote them (the figure `20余`, the unit 亿元,
//! the period `2023-06`); validation ([`super::validate`]) turns them into typed values and
//! reports every problem with its place.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::domain::{CanonicalUnit, Category, Direction, DivisionLevel, ObservationKind};

/// A row of `districts.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DistrictRow {
    /// Official division code (GB/T 2260).
    pub code: String,
    /// Parent division code (empty for the municipality).
    pub parent: String,
    /// Administrative level.
    pub level: DivisionLevel,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
}

/// A row of `units/*.csv`: a reported unit and how it converts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct UnitRow {
    /// The unit as reports print it, e.g. 亿元.
    pub unit: String,
    /// Canonical unit it converts to.
    pub canonical: CanonicalUnit,
    /// Multiplier to the canonical unit.
    pub factor: f64,
}

/// A row of `breakdowns/*.csv`: a dimension (empty member) or one of its members.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BreakdownRow {
    /// Dimension code.
    pub dimension: String,
    /// Member code (empty: the row names the dimension itself).
    pub member: String,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
}

/// A row of `indicators/*.csv` (also a new indicator confirmed while reviewing a draft, stored
/// as JSON with the draft).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct IndicatorRow {
    /// Stable snake_case code.
    pub code: String,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Category.
    pub category: Category,
    /// Which way is better.
    pub direction: Direction,
    /// One-line definition.
    pub definition: String,
    /// The definition in Chinese. Required of every seed row (the seed loader checks it); a
    /// draft's new indicator stored before the column existed reads as empty.
    #[serde(default)]
    pub definition_zh: String,
    /// Breakdown dimensions, `;`-separated.
    pub dimensions: String,
    /// Lowest valid value, if bounded.
    pub min: Option<f64>,
    /// Highest valid value, if bounded.
    pub max: Option<f64>,
    /// For a share: the numerator series, `code{dim=member}`.
    pub numerator: Option<String>,
    /// For a share: the denominator series.
    pub denominator: Option<String>,
    /// Other names reports print for it, `;`-separated (总投资 for 学校建设资金): cues for the
    /// report extractor. Optional column.
    #[serde(default)]
    pub aliases: String,
    /// Whether values of different districts add up to a meaningful total (an amount, a head
    /// count); empty or absent is `false`, so nothing is summed unless the catalogue says so.
    #[serde(default)]
    pub additive: Option<bool>,
}

/// A row of `standards/<source-code>.csv`: a norm a value can be checked against, with the
/// document that sets it and the clause of the seed report (named by the file) that states or
/// cites it. Empty fields are what the report does not print.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct StandardRow {
    /// Stable snake_case code.
    pub code: String,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
    /// The indicator it applies to; empty when the catalogue has none for it.
    pub indicator: Option<String>,
    /// `at_least`, `more_than`, `at_most` or `less_than`; empty together with `value`.
    pub comparator: Option<String>,
    /// The threshold as printed (`2`, `1：1000`); empty when no report prints it.
    pub value: Option<String>,
    /// The unit as printed; converts to the indicator's unit.
    pub unit: Option<String>,
    /// The breakdown it applies to (`stage=primary`); empty for every breakdown.
    pub scope: Option<String>,
    /// The one division it applies to (a district's own rule); empty for all.
    pub district: Option<String>,
    /// First year in force, when stated.
    pub effective_from: Option<i32>,
    /// Last year in force, when stated.
    pub effective_to: Option<i32>,
    /// Title of the setting document, as printed; empty when the report names none.
    pub doc_title: Option<String>,
    /// Its document number, as printed; empty when not printed.
    pub doc_number: Option<String>,
    /// Its issuer, as printed; empty when not printed.
    pub issuer: Option<String>,
    /// The clause of the report, verbatim (whitespace-insensitive match).
    pub quote: String,
    /// Why a field is empty, or anything odd. Required when the document title is empty.
    pub note: Option<String>,
}

/// A row of `translations/*.csv`: the Chinese of a curator's note.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct NoteTranslationRow {
    /// Observation key.
    pub key: String,
    /// Its note in Chinese.
    pub note_zh: String,
}

/// A row of `findings/*.csv`: a finding recorded while curating.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FindingRow {
    /// Stable code.
    pub code: String,
    /// Source code.
    pub source: String,
    /// Observation keys involved, `;`-separated.
    pub observations: String,
    /// Rule code.
    pub rule: String,
    /// Explanation.
    pub message: String,
    /// The explanation in Chinese (optional column).
    #[serde(default)]
    pub message_zh: Option<String>,
}

/// One observation: a row of `observations/*.csv`, of an import (JSON or CSV), of the CSV
/// export, the `ObservationInput` of GraphQL imports and the `DraftRow` of review drafts.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, InputObject, SimpleObject)]
#[graphql(name = "DraftRow", input_name = "ObservationInput")]
pub struct ObservationRow {
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
    /// Breakdown, `dimension=member;...` (empty: the total).
    pub breakdown: Option<String>,
    /// What the figure states.
    pub kind: ObservationKind,
    /// For changes: the period compared against.
    pub base_period: Option<String>,
    /// The figure as printed, e.g. `20余`.
    pub value: String,
    /// The unit as printed, e.g. 亿元.
    pub unit: String,
    /// The sentence, copied from the source text.
    pub quote: String,
    /// Curator's note.
    pub note: Option<String>,
    /// Source code. Seed files name their source by file name; imports default to the source
    /// they create (or `--source`).
    #[serde(default)]
    pub source: Option<String>,
}

/// Keys a `sources/<code>.toml` record may have.
pub const SOURCE_RECORD_KEYS: &[&str] = &[
    "title_zh",
    "title_en",
    "issuer",
    "district",
    "doc_number",
    "date",
    "kind",
    "review_year",
    "note",
];

/// A source document: `sources/<code>.toml` (code from the file name, text from
/// `sources/<code>.txt`; the seed reader refuses keys it does not know), the `source` of a JSON
/// bundle, and `SourceRecordInput` in GraphQL.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, InputObject)]
#[graphql(name = "SourceRecordInput")]
pub struct SourceInput {
    /// Stable code (lower-case letters, digits, '-').
    #[serde(default)]
    pub code: String,
    /// Title, Chinese.
    pub title_zh: String,
    /// Title, English.
    pub title_en: String,
    /// Issuing body.
    pub issuer: String,
    /// District code the document reports on.
    pub district: String,
    /// Document number as printed.
    #[serde(default)]
    #[graphql(name = "documentNumber")]
    pub doc_number: Option<String>,
    /// Date printed on the document (ISO 8601 date).
    #[serde(default)]
    pub date: Option<String>,
    /// `self_evaluation`, `rectification_plan`, `rectification_report` or `statistics`.
    pub kind: String,
    /// Year reviewed.
    #[serde(default)]
    pub review_year: Option<i32>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
    /// Full text, verbatim.
    #[serde(default)]
    pub text: String,
}

/// What one import carries: optionally a new source, and observation rows. A `.json` import
/// file, and `ImportInput` in GraphQL.
#[derive(Debug, Clone, Default, Deserialize, Serialize, InputObject)]
#[graphql(name = "ImportInput")]
pub struct Bundle {
    /// A new source document (omit to add observations to existing sources).
    #[serde(default)]
    pub source: Option<SourceInput>,
    /// The observations.
    pub observations: Vec<ObservationRow>,
}

/// What an import did (or, for a dry run, would do). Printed as JSON by `edustats import`, and
/// `ImportResult` in GraphQL.
#[derive(Debug, Clone, Default, Serialize, PartialEq, SimpleObject)]
#[graphql(name = "ImportResult")]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The source created, if any.
    pub source_created: Option<String>,
    /// Keys of new observations: all of them, unless the key lists are cut (below).
    pub created: Vec<String>,
    /// Keys of observations that got a new revision: all of them, unless the key lists are cut.
    pub corrected: Vec<String>,
    /// How many observations were created (whether or not `created` lists them all).
    pub created_count: usize,
    /// How many observations got a new revision.
    pub corrected_count: usize,
    /// Rows identical to what is stored.
    pub unchanged: usize,
    /// True when the key lists are cut: they then hold the first 1,000 keys of each kind, and
    /// the counts say how many there are. Only a streamed CSV import of a large file cuts them,
    /// so that its memory does not grow with the file (the keys are those of the file's rows).
    pub keys_truncated: bool,
}

/// How many keys of each list a streamed import's report keeps ([`ImportReport::keys_truncated`]).
pub const REPORT_KEYS: usize = 1_000;

impl ImportReport {
    /// Adds a chunk's report to this one (a streamed import), keeping at most [`REPORT_KEYS`]
    /// keys per list.
    pub fn absorb(&mut self, part: ImportReport) {
        for (list, more) in [
            (&mut self.created, part.created),
            (&mut self.corrected, part.corrected),
        ] {
            let room = REPORT_KEYS.saturating_sub(list.len());
            if more.len() > room {
                self.keys_truncated = true;
            }
            list.extend(more.into_iter().take(room));
        }
        self.created_count += part.created_count;
        self.corrected_count += part.corrected_count;
        self.unchanged += part.unchanged;
        self.keys_truncated |= part.keys_truncated;
    }
}
