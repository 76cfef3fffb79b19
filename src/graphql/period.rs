//! The `Period` object: a reference period.

use crate::db::models;

row_object! {
    /// A reference period.
    pub struct Period from models::Period as p {
        /// Canonical code: `2022`, `2023-06`, `2023-01..2023-06` or `2019..2021`.
        code: String = p.code,
        /// `year`, `month` or `span`.
        kind: String = p.kind.as_str().to_string(),
        /// First day (ISO 8601).
        start_date: String = p.start_date,
        /// Last day (ISO 8601).
        end_date: String = p.end_date,
        /// The calendar year the period ends in; year arguments of other queries match this.
        year: i32 = p.year,
    }
}
