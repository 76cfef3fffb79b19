//! The mutation root: imports, corrections, and the review of extraction drafts. Every mutation is guarded by
//! [`RoleGuard`](super::guard::RoleGuard): it needs an API key (`Authorization: Bearer <key>`)
//! with the editor or admin role; without one the answer is `UNAUTHENTICATED` or `FORBIDDEN`
//! and nothing is written. The work itself is the shared ingest path
//! ([`crate::ingest::import`]), the same as `edustats import`; its input and result types
//! (`ImportInput`, `ImportResult`) are the ingest rows themselves ([`crate::ingest::rows`]).

use async_graphql::{Context, Object, Result};

use super::context::ContextExt;
use super::guard::RoleGuard;
use super::Observation;
use crate::auth::Role;
use crate::document::{self, Document, ReadLimits};
use crate::domain::{Direction, DraftDecision};
use crate::error::ApiError;
use crate::extract::drafts::{self, NewIndicator};
use crate::extract::Options as ExtractOptions;
use crate::ingest::import::{self, Correction, Options};
use crate::ingest::read::LocatedBundle;
use crate::ingest::rows::{Bundle, ImportReport};
use crate::notify::{self, Event, Notifier};

use super::draft::{category_arg, unit_arg, Draft, DraftItem};

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
        input: Bundle,
        reason: Option<String>,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<ImportReport> {
        let actor = ctx.principal()?.name.clone();
        let input = LocatedBundle::structured(input);
        let (report, events) = ctx
            .run(move |c| {
                let opts = Options {
                    actor: &actor,
                    reason: reason.as_deref(),
                    dry_run,
                    default_source: None,
                };
                let write = notify::Write {
                    actor: actor.clone(),
                    reason: reason.clone(),
                    draft: None,
                };
                with_events(c, &write, |c| {
                    import::import(c, &input, opts).map_err(ApiError::from)
                })
            })
            .await?;
        send(ctx, events);
        Ok(report)
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
            let opts = Options {
                actor: &actor,
                reason: Some(&reason),
                dry_run,
                default_source: None,
            };
            let correction = Correction {
                key: key.clone(),
                value,
                unit,
                quote,
                note,
            };
            let write = notify::Write {
                actor: actor.clone(),
                reason: Some(reason.clone()),
                draft: None,
            };
            crate::db::conn::write_transaction::<_, ApiError, _>(c, |c| {
                let o = import::correct(c, correction, opts).map_err(ApiError::from)?;
                let report = ImportReport {
                    dry_run,
                    corrected: vec![key],
                    corrected_count: 1,
                    ..ImportReport::default()
                };
                Ok((o, notify::events(c, &report, &write)?))
            })
        });
        let (o, events) = o.await?;
        send(ctx, events);
        Ok(o.into())
    }

    /// Extracts a report into a review draft (stored, so a review can stop and resume):
    /// every proposed observation and every figure without an indicator becomes a pending
    /// item. The report is either `text` or `file`, exactly one: `file` is a file's bytes in
    /// base64 (plain text in any common encoding, a saved web page, .docx, PDF with a text
    /// layer, .xlsx, .xls, .csv; recognised by content), `fileName` only names it in messages.
    /// A file that cannot be read is `BAD_USER_INPUT` and nothing is stored. `district`
    /// defaults to the one the title or issuer names; `code` (the source the draft creates) to
    /// `<district>-<year>-<kind>`, and must be new. A report already in the warehouse or in
    /// another open draft (the same text, whitespace aside, or the same document number) is
    /// still made a draft, with what it repeats in `repeats`: the reviewer decides, and
    /// `publishDraft` refuses a repeat of a source unless told otherwise.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn extract_report(
        &self,
        ctx: &Context<'_>,
        text: Option<String>,
        file: Option<String>,
        file_name: Option<String>,
        district: Option<String>,
        code: Option<String>,
    ) -> Result<Draft> {
        let actor = ctx.principal()?.name.clone();
        let doc = match (text, file) {
            (Some(text), None) => Document::from_text(text),
            (None, Some(file)) => {
                // Parsing a PDF or a workbook is CPU work: off the async threads, and before a
                // database connection is taken.
                let read = tokio::task::spawn_blocking(move || {
                    document::read_base64(&file, &ReadLimits::default())
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()).into_graphql())?;
                read.map_err(|e| ApiError::unreadable(file_name.as_deref(), e).into_graphql())?
            }
            _ => {
                return Err(ApiError::BadInput(
                    "give the report as exactly one of `text` and `file`".into(),
                )
                .into_graphql())
            }
        };
        let opts = ExtractOptions {
            district,
            code,
            ..Default::default()
        };
        let repeats = ctx.look_ahead().field("repeats").exists();
        let d = ctx.run(move |c| {
            let d = drafts::create(c, &doc, &opts, &actor)?;
            drafts::with_repeats(c, d, repeats)
        });
        let (d, found) = d.await?;
        Ok(Draft::new(d, found))
    }

    /// Decides on one item of an open draft: `ACCEPTED`, `REJECTED` (kept in the draft, not
    /// published) or back to `PENDING`, optionally editing its row first (a new `indicator`
    /// moves the figure). The edited row is validated in full by `publishDraft` (try
    /// `dryRun`).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn decide_proposal(
        &self,
        ctx: &Context<'_>,
        draft: i32,
        item: i32,
        decision: DraftDecision,
        edit: Option<drafts::Edit>,
    ) -> Result<DraftItem> {
        let actor = ctx.principal()?.name.clone();
        let i = ctx.run(move |c| {
            drafts::decide(c, draft, item, decision, edit, &actor).map_err(ApiError::from)
        });
        Ok(i.await?.into())
    }

    /// Decides the PENDING items of an open draft at once: the usual last step after reading
    /// the doubtful ones. Takes the proposals whose `confidence` is at least `minConfidence`
    /// and below `belowConfidence` (each 0–1, both optional), and with `unmatched: true` (default
    /// false) also
    /// the figures without an indicator (only with `REJECTED`: accepting one needs
    /// `confirmIndicator` or `mergeIndicator`). Items already decided are left alone. All or
    /// nothing; each item is audited. Returns the items decided.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn decide_pending(
        &self,
        ctx: &Context<'_>,
        draft: i32,
        decision: DraftDecision,
        min_confidence: Option<f64>,
        below_confidence: Option<f64>,
        unmatched: Option<bool>,
    ) -> Result<Vec<DraftItem>> {
        let actor = ctx.principal()?.name.clone();
        let select = drafts::Selection {
            min_confidence,
            below_confidence,
            unmatched: unmatched.unwrap_or(false),
        };
        let items = ctx.run(move |c| {
            drafts::decide_pending(c, draft, decision, select, &actor).map_err(ApiError::from)
        });
        Ok(items.await?.into_iter().map(Into::into).collect())
    }

    /// Accepts a figure that matched no indicator under a NEW indicator, created with the
    /// observations when the draft is published (validated like a seed indicator). `unit`
    /// (canonical unit code), `category` and `nameZh` default to the extractor's suggestion.
    /// Without `code` (or with an empty one) the code is derived from `nameEn` in snake_case
    /// (`Safety drills held` → `safety_drills_held`, numbered `_2`, `_3`… when taken); a code
    /// given that is taken is refused.
    // Resolver arguments mirror the GraphQL arguments one to one.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn confirm_indicator(
        &self,
        ctx: &Context<'_>,
        draft: i32,
        item: i32,
        code: Option<String>,
        name_en: String,
        direction: Direction,
        definition: String,
        name_zh: Option<String>,
        unit: Option<String>,
        category: Option<String>,
    ) -> Result<DraftItem> {
        let actor = ctx.principal()?.name.clone();
        let new = NewIndicator {
            code,
            name_en,
            direction,
            definition,
            name_zh,
            unit: unit_arg(unit).map_err(ApiError::into_graphql)?,
            category: category_arg(category).map_err(ApiError::into_graphql)?,
        };
        let i = ctx.run(move |c| {
            drafts::confirm_indicator(c, draft, item, new, &actor).map_err(ApiError::from)
        });
        Ok(i.await?.into())
    }

    /// Accepts a figure that matched no indicator under an existing indicator (of the
    /// catalogue, or confirmed for another item of the draft).
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn merge_indicator(
        &self,
        ctx: &Context<'_>,
        draft: i32,
        item: i32,
        into: String,
    ) -> Result<DraftItem> {
        let actor = ctx.principal()?.name.clone();
        let i = ctx.run(move |c| {
            drafts::merge_indicator(c, draft, item, &into, &actor).map_err(ApiError::from)
        });
        Ok(i.await?.into())
    }

    /// Publishes a draft: its accepted rows, its source record and its confirmed indicators
    /// go through the same validation and atomic write as `importReport`, in one transaction
    /// with the draft's status. Pending items are problems too; every problem is listed in
    /// `extensions.problems` (path `items[N]`) and nothing is written. `dryRun` validates only.
    ///
    /// A draft whose report is already a source of the warehouse (its `repeats` name a
    /// `source`: the same text, or the same document number) is refused, dry run or not, with
    /// `CONFLICT` and a message naming the source, so that one report is not published twice
    /// by mistake. `allowRepeat: true` publishes it all the same, for a reviewer who has
    /// judged it a different report (e.g. a corrected edition under the same number); the
    /// audit entry records the override. A repeat of another open draft does not stop it.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn publish_draft(
        &self,
        ctx: &Context<'_>,
        draft: i32,
        #[graphql(default = false)] dry_run: bool,
        #[graphql(default = false)] allow_repeat: bool,
    ) -> Result<ImportReport> {
        let actor = ctx.principal()?.name.clone();
        let (report, events) = ctx
            .run(move |c| {
                let write = notify::Write {
                    actor: actor.clone(),
                    reason: None,
                    draft: Some(draft),
                };
                with_events(c, &write, |c| {
                    drafts::publish(c, draft, dry_run, allow_repeat, &actor).map_err(ApiError::from)
                })
            })
            .await?;
        send(ctx, events);
        Ok(report)
    }

    /// Discards an open draft: it is kept, marked discarded, and can no longer change.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn discard_draft(&self, ctx: &Context<'_>, draft: i32) -> Result<Draft> {
        let actor = ctx.principal()?.name.clone();
        let d = ctx.run(move |c| drafts::discard(c, draft, &actor).map_err(ApiError::from));
        Ok(d.await?.into())
    }
}

/// Runs a write and describes it for [`crate::notify`] in one transaction: the events say
/// exactly what the write left. They are sent by the caller once this returns, i.e. after the
/// commit ([`send`]); a write that fails rolls back and describes nothing.
fn with_events<F>(
    c: &mut crate::db::DbConnection,
    write: &notify::Write,
    f: F,
) -> Result<(ImportReport, Vec<Event>), ApiError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<ImportReport, ApiError>,
{
    crate::db::conn::write_transaction::<_, ApiError, _>(c, |c| {
        let report = f(c)?;
        let events = notify::events(c, &report, write)?;
        Ok((report, events))
    })
}

/// Sends a committed write's events to the subscribers and webhooks, if the schema has the
/// server's event channel.
fn send(ctx: &Context<'_>, events: Vec<Event>) {
    if let Some(n) = ctx.data_opt::<Notifier>() {
        n.send(events);
    }
}
