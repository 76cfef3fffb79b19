//! The mutation root: imports and corrections. Every mutation needs an API key
//! (`Authorization: Bearer <key>`) with the editor or admin role; without one the answer is
//! `UNAUTHENTICATED` or `FORBIDDEN` and nothing is written. The work itself is the shared ingest
//! path ([`crate::ingest::import`]), the same as `edustats import`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::query::db;
use super::types::{Observation, ObservationKind};
use crate::auth::{self, Credentials, Principal, Role};
use crate::db::queries;
use crate::error::{ApiError, GqlResultExt};
use crate::ingest::import::{self, Bundle, Codes, ImportReport, Options, SourceInput};
use crate::ingest::seed::ObservationRow;

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

/// What an import did (or would do, for a dry run).
#[derive(SimpleObject)]
pub struct ImportResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The source created, if any.
    pub source_created: Option<String>,
    /// Keys of new observations.
    pub created: Vec<String>,
    /// Keys of observations that got a new revision.
    pub corrected: Vec<String>,
    /// Rows identical to what is stored.
    pub unchanged: i32,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        ImportResult {
            dry_run: r.dry_run,
            source_created: r.source_created,
            created: r.created,
            corrected: r.corrected,
            unchanged: r.unchanged as i32,
        }
    }
}

fn bundle(input: ImportInput) -> Bundle {
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
        input: ImportInput,
        reason: Option<String>,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<ImportResult> {
        let who = require(ctx, Role::Editor).await?;
        let bundle = bundle(input);
        let report = db(ctx)?
            .run(move |c| {
                let opts = Options {
                    actor: &who.name,
                    reason: reason.as_deref(),
                    dry_run,
                    default_source: None,
                };
                import::import(c, &bundle, opts).map_err(ApiError::from)
            })
            .await
            .gql()?;
        Ok(report.into())
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
                    actor: &who.name,
                    reason: Some(&reason),
                    dry_run,
                    default_source: None,
                };
                let report = import::import(
                    c,
                    &Bundle {
                        source: None,
                        observations: vec![row],
                    },
                    opts,
                )?;
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
            })
            .await
            .gql()?;
        Ok(Observation(o))
    }
}
