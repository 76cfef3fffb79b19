//! The role guard: fields that write, or that show who wrote, carry
//! `#[graphql(guard = "RoleGuard(Role::…)")]`. A missing, unknown, revoked or expired key is
//! `UNAUTHENTICATED` (an expired one with a message saying when it expired), a key whose role
//! is too low `FORBIDDEN`, and the field's resolver does not run. The accepted caller is kept in
//! the request's [`Session`](super::context::Session), where resolvers read it
//! (`ctx.principal()`) to record it as the actor of their writes.

use async_graphql::{Context, Guard, Result};

use super::context::ContextExt;
use crate::auth::{self, Role};
use crate::error::{ApiError, GqlResultExt};

/// Admits callers whose API key has at least this role.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let session = ctx.session()?;
        let principal = match session.principal.get() {
            Some(p) => p,
            None => {
                let key = session.credentials.0.clone().ok_or_else(|| {
                    ApiError::Unauthenticated(
                        "this operation needs an API key: Authorization: Bearer <key>".into(),
                    )
                    .into_graphql()
                })?;
                // On the primary, even for a read routed to a replica: a revocation or rotation
                // takes effect at once, and the key's last use is written there.
                let found = ctx
                    .db()?
                    .run_primary(move |c| auth::authenticate(c, &key).map_err(ApiError::from))
                    .await
                    .gql()?
                    .ok_or_else(|| {
                        ApiError::Unauthenticated("invalid or revoked API key".into())
                            .into_graphql()
                    })?;
                // Two guarded fields of one request may race here; both found the same key.
                session.principal.get_or_init(|| found)
            }
        };
        if principal.role < self.0 {
            return Err(ApiError::Forbidden(format!(
                "key {:?} has role {}; this needs {}",
                principal.name,
                principal.role.as_str(),
                self.0.as_str()
            ))
            .into_graphql());
        }
        Ok(())
    }
}
