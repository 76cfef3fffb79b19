//! Row types. Read models (what queries return) are kept apart from write models (`New*`, what
//! the loader inserts), and ids are newtypes so a district id cannot be passed where an indicator
//! id is expected.

use diesel::prelude::*;

use super::schema::*;
use crate::domain::{
    AuditAction, CanonicalUnit, Category, Comparator, Direction, DivisionLevel, FindingOrigin,
    ObservationKind, PeriodKind, Qualifier, Role, Severity, SourceKind,
};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i32);

        impl From<i32> for $name {
            fn from(v: i32) -> Self {
                $name(v)
            }
        }
    )*};
}

id_type!(
    /// Primary key of `districts`.
    DistrictId,
    /// Primary key of `indicators`.
    IndicatorId,
    /// Primary key of `periods`.
    PeriodId,
    /// Primary key of `breakdowns`.
    BreakdownId,
    /// Primary key of `sources`.
    SourceId,
    /// Primary key of `observations`.
    ObservationId,
    /// Primary key of `standards`.
    StandardId,
    /// Primary key of `findings`.
    FindingId,
);

/// A district- or county-level division, or the municipality itself.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = districts)]
pub struct District {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: DistrictId,
    /// Official administrative division code (GB/T 2260), e.g. `500153`.
    pub code: String,
    /// The parent division (the municipality for districts and counties).
    pub parent_id: Option<i32>,
    /// `municipality`, `district`, `county` or `autonomous_county`.
    #[diesel(deserialize_as = String)]
    pub level: DivisionLevel,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// An indicator from the catalogue.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = indicators)]
pub struct Indicator {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: IndicatorId,
    /// Stable snake_case code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Canonical unit code.
    #[diesel(deserialize_as = String)]
    pub unit: CanonicalUnit,
    /// Category code.
    #[diesel(deserialize_as = String)]
    pub category: Category,
    /// `higher_is_better`, `lower_is_better` or `neutral`.
    #[diesel(deserialize_as = String)]
    pub direction: Direction,
    /// One-line definition.
    pub definition: String,
    /// The definition in Chinese; empty when none was written (readers fall back to English).
    pub definition_zh: String,
    /// Lowest valid value, if bounded.
    pub min_value: Option<f64>,
    /// Highest valid value, if bounded.
    pub max_value: Option<f64>,
    /// For a share: the numerator spec (`code{dim=member}`).
    pub numerator: Option<String>,
    /// For a share: the denominator spec.
    pub denominator: Option<String>,
    /// Other names reports print for it, `;`-separated (cues for the extractor).
    pub aliases: String,
    /// 1 when values of different districts add up to a meaningful total (declared in the
    /// catalogue; a rate or a per-student amount never does), else 0.
    pub additive: i32,
}

impl Indicator {
    /// Whether the catalogue declares that values add up across districts.
    pub fn is_additive(&self) -> bool {
        self.additive != 0
    }
}

/// A reference period.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = periods)]
pub struct Period {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: PeriodId,
    /// Canonical text: `2022`, `2023-06`, `2023-01..2023-06`, `2019..2021`.
    pub code: String,
    /// `year`, `month` or `span`.
    #[diesel(deserialize_as = String)]
    pub kind: PeriodKind,
    /// First day, ISO date.
    pub start_date: String,
    /// Last day, ISO date.
    pub end_date: String,
    /// Calendar year the period ends in.
    pub year: i32,
}

/// A source document without its text (the text is loaded only when asked for).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sources)]
pub struct Source {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: SourceId,
    /// Stable code, e.g. `rongchang-2022-self-evaluation`.
    pub code: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Issuing body.
    pub issuer: String,
    /// The district the document is about.
    #[diesel(deserialize_as = i32)]
    pub district_id: DistrictId,
    /// Document number as printed.
    pub doc_number: Option<String>,
    /// Date printed on the document, ISO.
    pub published_on: Option<String>,
    /// `self_evaluation`, `rectification_plan`, `rectification_report` or `statistics`.
    #[diesel(deserialize_as = String)]
    pub kind: SourceKind,
    /// The year the document reviews.
    pub review_year: Option<i32>,
    /// Curator's note about the document.
    pub note: Option<String>,
}

/// A measured, targeted or reported value.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = observations)]
pub struct Observation {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: ObservationId,
    /// Stable seed key, e.g. `rc22-014`.
    pub key: String,
    /// District.
    #[diesel(deserialize_as = i32)]
    pub district_id: DistrictId,
    /// Indicator.
    #[diesel(deserialize_as = i32)]
    pub indicator_id: IndicatorId,
    /// Reference period.
    #[diesel(deserialize_as = i32)]
    pub period_id: PeriodId,
    /// Breakdown (the empty breakdown is the total).
    #[diesel(deserialize_as = i32)]
    pub breakdown_id: BreakdownId,
    /// `actual`, `target`, `change`, `growth` or `rank`.
    #[diesel(deserialize_as = String)]
    pub kind: ObservationKind,
    /// For a change: the period compared against.
    pub base_period_id: Option<i32>,
    /// Value in the canonical unit of its kind.
    pub value: f64,
    /// Value as printed.
    pub value_text: String,
    /// Unit as printed.
    pub reported_unit: String,
    /// `exact`, `approximate`, `more_than`, `at_least`, `less_than`, `at_most`.
    #[diesel(deserialize_as = String)]
    pub qualifier: Qualifier,
    /// Source document.
    #[diesel(deserialize_as = i32)]
    pub source_id: SourceId,
    /// The sentence the value comes from.
    pub quote: String,
    /// Character offset of the quote in the source text.
    pub quote_start: i32,
    /// Character offset just past the quote.
    pub quote_end: i32,
    /// How the period was inferred, when it is not stated.
    pub period_note: Option<String>,
    /// Curator's note.
    pub note: Option<String>,
    /// Revision number, 1 for the first.
    pub revision: i32,
    /// When the observation was first recorded (ISO 8601 UTC).
    pub created_at: String,
    /// When this revision was recorded.
    pub recorded_at: String,
    /// Who recorded this revision (`seed`, or an API key's name, or `cli:<user>`).
    pub recorded_by: String,
    /// Why this revision was recorded (required for corrections).
    pub change_reason: Option<String>,
}

/// An earlier revision of an observation, kept when a correction superseded it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = observation_revisions)]
pub struct ObservationRevision {
    /// Surrogate key.
    pub id: i32,
    /// The observation.
    #[diesel(deserialize_as = i32)]
    pub observation_id: ObservationId,
    /// Revision number.
    pub revision: i32,
    /// Value in the canonical unit.
    pub value: f64,
    /// Value as printed.
    pub value_text: String,
    /// Unit as printed.
    pub reported_unit: String,
    /// Qualifier.
    #[diesel(deserialize_as = String)]
    pub qualifier: Qualifier,
    /// Quote.
    pub quote: String,
    /// Quote offsets.
    pub quote_start: i32,
    /// Quote offsets.
    pub quote_end: i32,
    /// Note.
    pub note: Option<String>,
    /// When it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// Why.
    pub change_reason: Option<String>,
    /// When the next revision replaced it.
    pub superseded_at: String,
}

/// An API key (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    /// Surrogate key.
    pub id: i32,
    /// Unique name, recorded as the actor of every write made with the key.
    pub name: String,
    /// `editor` or `admin`.
    #[diesel(deserialize_as = String)]
    pub role: Role,
    /// SHA-256 of the key, hex.
    pub key_hash: String,
    /// The key's first characters, to recognise it in listings.
    pub prefix: String,
    /// When the current secret was issued: the key's creation, or its last rotation.
    pub created_at: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
    /// When the key stops authenticating; `None`: never.
    pub expires_at: Option<String>,
    /// When the key last authenticated, to the minute (see [`crate::auth::authenticate`]);
    /// `None`: never.
    pub last_used_at: Option<String>,
}

/// An entry of the audit log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// Surrogate key.
    pub id: i32,
    /// When (ISO 8601 UTC).
    pub at: String,
    /// Who: an API key's name or `cli:<user>`.
    pub actor: String,
    /// `seed`, `import`, `correction`, `key_create`, `key_rotate`, `key_revoke`,
    /// `draft_*` (review drafts).
    #[diesel(deserialize_as = String)]
    pub action: AuditAction,
    /// What, in words.
    pub detail: String,
    /// How many rows were written.
    pub row_count: i32,
}

/// A data-quality finding.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = findings)]
pub struct Finding {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: FindingId,
    /// Stable code.
    pub code: String,
    /// `rule` (computed by `edustats check`) or `curated` (recorded while curating).
    #[diesel(deserialize_as = String)]
    pub origin: FindingOrigin,
    /// Rule code.
    pub rule: String,
    /// `error` or `warning`.
    #[diesel(deserialize_as = String)]
    pub severity: Severity,
    /// Explanation, quoting the figures involved.
    pub message: String,
    /// Source document, when one is involved.
    pub source_id: Option<i32>,
    /// The explanation in Chinese; empty when none was written.
    pub message_zh: String,
}

/// One member of a breakdown, with its dimension, as read for display.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownMember {
    /// Dimension code, e.g. `stage`.
    pub dimension: String,
    /// Dimension name, Chinese.
    pub dimension_zh: String,
    /// Dimension name, English.
    pub dimension_en: String,
    /// Member code, e.g. `primary`.
    pub member: String,
    /// Member name, Chinese.
    pub name_zh: String,
    /// Member name, English.
    pub name_en: String,
}

/// Write model for `districts`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = districts)]
pub struct NewDistrict<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Parent division id.
    pub parent_id: Option<i32>,
    /// `municipality`, `district`, `county` or `autonomous_county`.
    #[diesel(serialize_as = String)]
    pub level: DivisionLevel,
    /// Name, Chinese.
    pub name_zh: &'a str,
    /// Name, English.
    pub name_en: &'a str,
}

/// Write model for `units`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = units)]
pub struct NewUnit<'a> {
    /// Unit (reported unit for observations, canonical unit for indicators).
    pub unit: &'a str,
    /// Canonical unit code it converts to.
    pub canonical: &'a str,
    /// Multiplier to the canonical unit.
    pub factor: f64,
}

/// Write model for `dimensions`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimensions)]
pub struct NewDimension<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Name, Chinese.
    pub name_zh: &'a str,
    /// Name, English.
    pub name_en: &'a str,
}

/// Write model for `dimension_members`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dimension_members)]
pub struct NewMember<'a> {
    /// Dimension id.
    pub dimension_id: i32,
    /// Stable code.
    pub code: &'a str,
    /// Name, Chinese.
    pub name_zh: &'a str,
    /// Name, English.
    pub name_en: &'a str,
}

/// Write model for `indicators`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = indicators)]
pub struct NewIndicator<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Name, Chinese.
    pub name_zh: &'a str,
    /// Name, English.
    pub name_en: &'a str,
    /// Unit (reported unit for observations, canonical unit for indicators).
    #[diesel(serialize_as = String)]
    pub unit: CanonicalUnit,
    /// Category code.
    #[diesel(serialize_as = String)]
    pub category: Category,
    /// `higher_is_better`, `lower_is_better` or `neutral`.
    #[diesel(serialize_as = String)]
    pub direction: Direction,
    /// One-line definition.
    pub definition: &'a str,
    /// The definition in Chinese (may be empty).
    pub definition_zh: &'a str,
    /// Lowest valid value.
    pub min_value: Option<f64>,
    /// Highest valid value.
    pub max_value: Option<f64>,
    /// For a share: numerator spec `code{dim=member}`.
    pub numerator: Option<&'a str>,
    /// For a share: denominator spec.
    pub denominator: Option<&'a str>,
    /// Other names reports print for it, `;`-separated.
    pub aliases: &'a str,
    /// 1 when values add up across districts.
    pub additive: i32,
}

/// Write model for `periods`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = periods)]
pub struct NewPeriod<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Shape of the period (year, month, span).
    #[diesel(serialize_as = String)]
    pub kind: PeriodKind,
    /// First day (ISO).
    pub start_date: &'a str,
    /// Last day (ISO).
    pub end_date: &'a str,
    /// Calendar year the period ends in.
    pub year: i32,
}

/// Write model for `sources`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sources)]
// None is NULL, never DEFAULT (the same for these columns): a batch of rows is then one
// multi-row statement on SQLite and a binary COPY on PostgreSQL (`ingest::bulk`).
#[diesel(treat_none_as_default_value = false)]
pub struct NewSource<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Title, Chinese.
    pub title_zh: &'a str,
    /// Title, English.
    pub title_en: &'a str,
    /// Issuing body.
    pub issuer: &'a str,
    /// District id.
    pub district_id: i32,
    /// Document number as printed.
    pub doc_number: Option<&'a str>,
    /// Printed date (ISO).
    pub published_on: Option<&'a str>,
    /// Kind of document.
    #[diesel(serialize_as = String)]
    pub kind: SourceKind,
    /// Year the document reviews.
    pub review_year: Option<i32>,
    /// Curator's note.
    pub note: Option<&'a str>,
    /// The text, verbatim.
    pub body: &'a str,
    /// When first recorded.
    pub created_at: &'a str,
    /// [`crate::db::queries::text_sha256`] of `body`: how the same report is found again.
    pub text_sha256: &'a str,
}

/// Write model for `observations`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = observations)]
// As for `NewSource`: None is NULL, so batches are one statement (or one COPY).
#[diesel(treat_none_as_default_value = false)]
pub struct NewObservation<'a> {
    /// Unique row key.
    pub key: &'a str,
    /// District id.
    pub district_id: i32,
    /// Indicator id.
    pub indicator_id: i32,
    /// Period id.
    pub period_id: i32,
    /// Breakdown id.
    pub breakdown_id: i32,
    /// What the figure states.
    #[diesel(serialize_as = String)]
    pub kind: ObservationKind,
    /// Base period id.
    pub base_period_id: Option<i32>,
    /// The figure as printed.
    pub value: f64,
    /// The figure as printed.
    pub value_text: &'a str,
    /// The unit as printed.
    pub reported_unit: &'a str,
    /// Qualifier code.
    #[diesel(serialize_as = String)]
    pub qualifier: Qualifier,
    /// Source id.
    pub source_id: i32,
    /// The sentence, copied from the source text.
    pub quote: &'a str,
    /// Character offset of the quote in the source text.
    pub quote_start: i32,
    /// Character offset just past the quote.
    pub quote_end: i32,
    /// How the period was inferred, if it was.
    pub period_note: Option<&'a str>,
    /// Curator's note.
    pub note: Option<&'a str>,
    /// Revision number.
    pub revision: i32,
    /// When first recorded.
    pub created_at: &'a str,
    /// When this revision was recorded.
    pub recorded_at: &'a str,
    /// Who recorded it.
    pub recorded_by: &'a str,
    /// Why it was recorded.
    pub change_reason: Option<&'a str>,
}

/// Write model for `findings`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = findings)]
pub struct NewFinding<'a> {
    /// Stable code.
    pub code: &'a str,
    /// `rule` or `curated`.
    #[diesel(serialize_as = String)]
    pub origin: FindingOrigin,
    /// Rule code.
    pub rule: &'a str,
    /// `error` or `warning`.
    #[diesel(serialize_as = String)]
    pub severity: Severity,
    /// Explanation.
    pub message: &'a str,
    /// Source id.
    pub source_id: Option<i32>,
    /// The explanation in Chinese (empty: none).
    pub message_zh: &'a str,
}

/// A norm from the standards catalogue, with the document that sets it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = standards)]
pub struct Standard {
    /// Surrogate key.
    #[diesel(deserialize_as = i32)]
    pub id: StandardId,
    /// Stable code, e.g. `daily_physical_activity_2h`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The indicator it applies to; `None` when the catalogue has none for it.
    pub indicator_id: Option<i32>,
    /// How a value is compared with the threshold (a [`Comparator`] spelling, read through
    /// [`Standard::comparator`]); `None` with `value`.
    pub comparator: Option<String>,
    /// The threshold in the indicator's canonical unit; `None` when no report prints it.
    pub value: Option<f64>,
    /// The threshold as printed, e.g. `1：1000`.
    pub value_text: Option<String>,
    /// The unit as printed.
    pub reported_unit: Option<String>,
    /// The breakdown it applies to (`stage=primary`), empty for every breakdown.
    pub scope: String,
    /// The one division it applies to (a district's own rule), `None` for all.
    pub district_id: Option<i32>,
    /// First year in force, if known.
    pub effective_from: Option<i32>,
    /// Last year in force, if known.
    pub effective_to: Option<i32>,
    /// Title of the document that sets it, as printed.
    pub doc_title: Option<String>,
    /// Its document number (e.g. 教督〔2017〕6号), when printed.
    pub doc_number: Option<String>,
    /// Its issuer, when printed.
    pub issuer: Option<String>,
    /// The seed report that states or cites it; `None` for a national standard, whose quote
    /// is the national document's own wording (checked against `seeds/references/` when
    /// seeded) and whose citation is `doc_title` / `doc_number` / `issuer`.
    pub source_id: Option<i32>,
    /// The clause of that report (or of the national document), verbatim.
    pub quote: String,
    /// Why a field is empty, or anything odd.
    pub note: Option<String>,
}

/// Write model for `standards`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = standards)]
pub struct NewStandard<'a> {
    /// Stable code.
    pub code: &'a str,
    /// Name, Chinese.
    pub name_zh: &'a str,
    /// Name, English.
    pub name_en: &'a str,
    /// Indicator id.
    pub indicator_id: Option<i32>,
    /// Comparator spelling.
    pub comparator: Option<&'a str>,
    /// Threshold, canonical unit.
    pub value: Option<f64>,
    /// Threshold as printed.
    pub value_text: Option<&'a str>,
    /// Unit as printed.
    pub reported_unit: Option<&'a str>,
    /// Breakdown code.
    pub scope: &'a str,
    /// District id.
    pub district_id: Option<i32>,
    /// First year.
    pub effective_from: Option<i32>,
    /// Last year.
    pub effective_to: Option<i32>,
    /// Document title.
    pub doc_title: Option<&'a str>,
    /// Document number.
    pub doc_number: Option<&'a str>,
    /// Issuer.
    pub issuer: Option<&'a str>,
    /// Source id; `None` for a national standard (see [`Standard::source_id`]).
    pub source_id: Option<i32>,
    /// Quote.
    pub quote: &'a str,
    /// Note.
    pub note: Option<&'a str>,
}

impl Standard {
    /// The comparator; an unknown stored spelling is an error (the CHECK list prevents it).
    pub fn comparator(&self) -> Result<Option<Comparator>, crate::domain::UnknownTerm> {
        self.comparator
            .as_deref()
            .map(Comparator::parse)
            .transpose()
    }
}
