//! Statistics over values already loaded: ranking with ties, changes between two values,
//! choosing one value when several sources report the same figure, distributions and
//! percentiles across districts, targets against actuals, values against standards, and the
//! data-quality rules.
//!
//! Pure functions: no diesel, no GraphQL. Callers load rows, convert them to the small input
//! types here, and map the results back. Every function is covered by table-driven tests.

pub mod aggregate;
pub mod change;
pub mod derived;
pub mod quality;
pub mod ranking;
pub mod select;
pub mod standards;
pub mod targets;
