//! The request context: what the HTTP handler attaches to each GraphQL request (the database
//! handle comes with the schema; the per-request loaders and the caller's credentials with the
//! request, see [`attach`]) and the one way resolvers reach it, [`ContextExt`]. A missing piece
//! of context is a server bug, reported to the client as `INTERNAL` without detail.

use std::hash::Hash;
use std::sync::OnceLock;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Request, Result};

use super::loaders::{new_loaders, DbLoader, Loaders};
use crate::auth::{Credentials, Principal};
use crate::db::{Db, DbConnection, DbError};
use crate::error::{ApiError, GqlResultExt};

/// The caller's credentials and, once a role guard has accepted them, who the caller is.
#[derive(Debug, Default)]
pub struct Session {
    /// The bearer token the request carried, if any.
    pub credentials: Credentials,
    /// Set by [`super::guard::RoleGuard`] (one key look-up per request, however many guarded
    /// fields it selects).
    pub(crate) principal: OnceLock<Principal>,
}

/// Attaches the per-request context: fresh loaders (batching within the request, no cache
/// shared between requests) and the session. `db` is the request's own handle (it shadows the
/// schema's), so that a per-request statement count ([`Db::for_request`]) sees every query.
pub fn attach(request: Request, db: &Db, token: Option<String>) -> Request {
    request
        .data(db.clone())
        .data(new_loaders(db.clone()))
        .data(Session {
            credentials: Credentials(token),
            principal: OnceLock::new(),
        })
}

/// Context access for resolvers, guards and prefetches.
pub(crate) trait ContextExt {
    /// The database handle.
    fn db(&self) -> Result<&Db>;
    /// The request's loaders.
    fn loaders(&self) -> Result<&Loaders>;
    /// The request's session.
    fn session(&self) -> Result<&Session>;
    /// The caller, as accepted by the field's role guard.
    fn principal(&self) -> Result<&Principal>;

    /// Runs `f` on the blocking pool; its error is mapped to the API's codes.
    async fn run<T, E, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        E: From<DbError> + Into<ApiError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static;

    /// Loads one value through the request's loader.
    async fn load_one<K>(&self, key: K) -> Result<Option<<DbLoader as Loader<K>>::Value>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        DbLoader: Loader<K, Error = ApiError>;

    /// Loads a value that must exist (a foreign key's target); its absence is `INTERNAL`.
    async fn load_required<K>(&self, key: K) -> Result<<DbLoader as Loader<K>>::Value>
    where
        K: Send + Sync + Hash + Eq + Clone + std::fmt::Debug + 'static,
        DbLoader: Loader<K, Error = ApiError>;
}

/// Request data that must be there: its absence is a wiring bug, not the client's.
fn data<'a, T: Send + Sync + 'static>(ctx: &Context<'a>, what: &str) -> Result<&'a T> {
    ctx.data_opt::<T>()
        .ok_or_else(|| ApiError::Internal(format!("no {what} in the request context")))
        .gql()
}

impl ContextExt for Context<'_> {
    fn db(&self) -> Result<&Db> {
        data(self, "database handle")
    }

    fn loaders(&self) -> Result<&Loaders> {
        data(self, "loaders")
    }

    fn session(&self) -> Result<&Session> {
        data(self, "session")
    }

    fn principal(&self) -> Result<&Principal> {
        self.session()?
            .principal
            .get()
            .ok_or_else(|| ApiError::Internal("principal read on an unguarded field".into()))
            .gql()
    }

    async fn run<T, E, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        E: From<DbError> + Into<ApiError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.db()?.run(f).await.map_err(|e| e.into().into_graphql())
    }

    async fn load_one<K>(&self, key: K) -> Result<Option<<DbLoader as Loader<K>>::Value>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        DbLoader: Loader<K, Error = ApiError>,
    {
        self.loaders()?.load_one(key).await.gql()
    }

    async fn load_required<K>(&self, key: K) -> Result<<DbLoader as Loader<K>>::Value>
    where
        K: Send + Sync + Hash + Eq + Clone + std::fmt::Debug + 'static,
        DbLoader: Loader<K, Error = ApiError>,
    {
        let debug = format!("{key:?}");
        self.load_one(key)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("dangling reference {debug}")))
            .gql()
    }
}
