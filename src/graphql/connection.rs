//! The observations Relay connection: `ObservationConnection`, `ObservationEdge`, `PageInfo`,
//! and the cursor format. Hand-written rather than async-graphql's generic connection type,
//! whose `ObservationConnection` would carry no description (the schema documents every type).

use async_graphql::{Context, Result, SimpleObject};

use super::fields::connection::{EDGES, NODE};
use super::observation::{self, Observation};
use super::prefetch::{LookaheadExt, Mode};
use crate::db::models::{self, ObservationId};
use crate::error::ApiError;

/// Default page size of the observations connection.
pub const DEFAULT_PAGE: i32 = 50;
/// Largest page size a client may ask for.
pub const MAX_PAGE: i32 = 500;

/// Pagination state of a connection.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow the last edge.
    pub has_next_page: bool,
    /// Always false: the connection is forward-only.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// An edge of the observations connection.
#[derive(SimpleObject)]
pub struct ObservationEdge {
    /// Opaque cursor.
    pub cursor: String,
    /// The observation.
    pub node: Observation,
}

/// A page of observations (Relay connection).
#[derive(SimpleObject)]
pub struct ObservationConnection {
    /// Observations matching the filter, over all pages.
    pub total_count: i64,
    /// Pagination state.
    pub page_info: PageInfo,
    /// This page.
    pub edges: Vec<ObservationEdge>,
}

fn encode_cursor(id: ObservationId) -> String {
    format!("obs:{}", id.0)
}

/// The position an `after` cursor stands for; anything but a cursor this API made is
/// `BAD_USER_INPUT`.
pub(crate) fn decode_cursor(cursor: &str) -> Result<ObservationId, ApiError> {
    cursor
        .strip_prefix("obs:")
        .and_then(|n| n.parse::<i32>().ok())
        .map(ObservationId)
        .ok_or_else(|| {
            ApiError::BadInput(format!(
                "invalid cursor {cursor:?}: pass an endCursor or cursor from a previous page"
            ))
        })
}

impl ObservationConnection {
    /// Builds one page, prefetching what the selection of its nodes asks for.
    pub(crate) async fn build(
        ctx: &Context<'_>,
        rows: Vec<models::Observation>,
        has_next_page: bool,
        total_count: i64,
    ) -> Result<ObservationConnection> {
        let cursors: Vec<String> = rows.iter().map(|o| encode_cursor(o.id)).collect();
        let node = ctx.look_ahead().at(EDGES).at(NODE);
        let nodes = observation::prefetched(ctx, rows, node, Mode::Direct).await?;
        let page_info = PageInfo {
            has_next_page,
            has_previous_page: false,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        };
        let edges = cursors
            .into_iter()
            .zip(nodes)
            .map(|(cursor, node)| ObservationEdge { cursor, node })
            .collect();
        Ok(ObservationConnection {
            total_count,
            page_info,
            edges,
        })
    }
}
