//! The `AuditEntry` object: one entry of the audit log.

use crate::db::models;

row_object! {
    /// An entry of the audit log: every write, who made it, when, and how many rows.
    pub struct AuditEntry from models::AuditEntry as e {
        /// When (ISO 8601 UTC).
        at: String = e.at,
        /// Who: an API key's name, or `cli:<user>`.
        actor: String = e.actor,
        /// `import`, `correction`, `seed`, `key_create`, `key_rotate`, `key_revoke`,
        /// `draft_create`, `draft_decision`, `draft_publish` or `draft_discard`.
        action: String = e.action.as_str().to_string(),
        /// What, in words.
        detail: String = e.detail,
        /// Rows written.
        row_count: i32 = e.row_count,
    }
}
