//! The `Revision` object: what an observation said before a correction.

use super::enums::Qualifier;
use crate::db::models;

row_object! {
    /// An earlier revision of an observation: what it said before a correction.
    pub struct Revision from models::ObservationRevision as r {
        /// Revision number.
        revision: i32 = r.revision,
        /// Value in the canonical unit.
        value: f64 = r.value,
        /// Value as printed.
        value_text: String = r.value_text,
        /// Unit as printed.
        reported_unit: String = r.reported_unit,
        /// Qualifier.
        qualifier: Qualifier = r.qualifier,
        /// Quote.
        quote: String = r.quote,
        /// Curator's note.
        note: Option<String> = r.note,
        /// When this revision was recorded.
        recorded_at: String = r.recorded_at,
        /// Who recorded it.
        recorded_by: String = r.recorded_by,
        /// Why it was recorded.
        change_reason: Option<String> = r.change_reason,
        /// When the next revision replaced it.
        superseded_at: String = r.superseded_at,
    }
}
