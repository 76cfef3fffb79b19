//! The subscription root: the events of [`crate::notify`] over the graphql-transport-ws protocol
//! at `/graphql/ws`. Subscriptions are reads: open without a key, as queries are. Each starts a
//! receiver on the server's event channel; its argument codes are checked once, when it starts
//! (an unknown code is `NOT_FOUND`). A subscriber that falls more than
//! [`crate::notify::CHANNEL_CAPACITY`] events behind gets one `SUBSCRIBER_LAGGED` error and its
//! subscription ends: the writers never wait for it.

use std::sync::Arc;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, Result, Subscription};
use tokio::sync::broadcast::error::RecvError;

use super::context::ContextExt;
use crate::error::ApiError;
use crate::notify::{self, CorrectionMade, Event, FiguresChanged, Notifier, ReportPublished};
use crate::observe::ExportGuard;

/// Notifications of committed writes.
pub struct SubscriptionRoot;

/// Notifications of committed writes (graphql-transport-ws at `/graphql/ws`). An event is sent
/// once its write has committed; a write that fails or is a dry run sends none.
#[Subscription]
impl SubscriptionRoot {
    /// A report was published (`importReport` with a source, or `publishDraft`), with every
    /// observation it created or corrected.
    async fn report_published(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<ReportPublished>>> {
        let notifier = notifier(ctx)?;
        Ok(events(notifier, "reportPublished", |e| match e {
            Event::ReportPublished(p) => Some(p.clone()),
            _ => None,
        }))
    }

    /// The figures of `indicator` (its code) changed: observations created or corrected, one
    /// event per write.
    async fn figures_changed(
        &self,
        ctx: &Context<'_>,
        indicator: String,
    ) -> Result<impl Stream<Item = Result<FiguresChanged>>> {
        let notifier = notifier(ctx)?;
        let code = indicator.clone();
        let found = ctx
            .run(move |c| notify::indicator_exists(c, &code).map_err(ApiError::from))
            .await?;
        if !found {
            return Err(ApiError::NotFound {
                kind: "indicator",
                code: indicator,
            }
            .into_graphql());
        }
        Ok(events(notifier, "figuresChanged", move |e| match e {
            Event::FiguresChanged(f) if f.indicator == indicator => Some(f.clone()),
            _ => None,
        }))
    }

    /// A correction was made (`correctObservation`, or an import that corrects stored
    /// figures): one event per corrected observation, with its previous figure, unit and note.
    /// `indicator` and `district` (codes) narrow it.
    async fn correction_made(
        &self,
        ctx: &Context<'_>,
        indicator: Option<String>,
        district: Option<String>,
    ) -> Result<impl Stream<Item = Result<CorrectionMade>>> {
        let notifier = notifier(ctx)?;
        let (i, d) = (indicator.clone(), district.clone());
        let unknown = ctx
            .run(move |c| {
                if let Some(i) = i.filter(|i| !notify::indicator_exists(c, i).unwrap_or(false)) {
                    return Ok::<_, ApiError>(Some(("indicator", i)));
                }
                if let Some(d) = d {
                    if !notify::district_exists(c, &d)? {
                        return Ok(Some(("district", d)));
                    }
                }
                Ok(None)
            })
            .await?;
        if let Some((kind, code)) = unknown {
            return Err(ApiError::NotFound { kind, code }.into_graphql());
        }
        Ok(events(notifier, "correctionMade", move |e| match e {
            Event::CorrectionMade(c)
                if indicator.as_ref().is_none_or(|i| *i == c.figure.indicator)
                    && district.as_ref().is_none_or(|d| *d == c.figure.district) =>
            {
                Some((**c).clone())
            }
            _ => None,
        }))
    }
}

fn notifier(ctx: &Context<'_>) -> Result<Notifier> {
    ctx.data_opt::<Notifier>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("no notifier in the schema".into()).into_graphql())
}

/// What a subscription's stream keeps between events.
struct State<F> {
    receiver: tokio::sync::broadcast::Receiver<Arc<Event>>,
    pick: F,
    field: &'static str,
    notifier: Notifier,
    /// Counts the subscription in `edustats_subscriptions_active` while it lives.
    _open: ExportGuard,
    /// Set once the lag error is sent: the stream then ends.
    done: bool,
}

/// The events `pick` keeps, from a receiver started now. Lagging behind ends the stream with a
/// `SUBSCRIBER_LAGGED` error; the channel closing (the server stopping) ends it quietly.
fn events<T, F>(notifier: Notifier, field: &'static str, pick: F) -> impl Stream<Item = Result<T>>
where
    T: Send + 'static,
    F: Fn(&Event) -> Option<T> + Send + 'static,
{
    // The receiver exists from here on (the resolver has run), before the client sees anything:
    // an event of a write committed after this point reaches it.
    let state = State {
        receiver: notifier.subscribe(),
        _open: notifier.metrics().subscription_started(field),
        pick,
        field,
        notifier,
        done: false,
    };
    stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        loop {
            match s.receiver.recv().await {
                Ok(event) => {
                    if let Some(item) = (s.pick)(&event) {
                        return Some((Ok(item), s));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    s.notifier.metrics().subscriber_dropped(s.field);
                    s.done = true;
                    let e = ApiError::Lagged(format!(
                        "this subscriber fell {missed} events behind (the server keeps {}); the subscription ends: subscribe again, and query what changed meanwhile",
                        notify::CHANNEL_CAPACITY
                    ));
                    return Some((Err(e.into_graphql()), s));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
