//! The domain vocabulary, defined once: what kinds of observation there are, how a printed
//! figure is qualified, which way an indicator is better, the levels of a division, the roles
//! of an API key, and the breakdown of a figure by dimension members.
//!
//! Every other module speaks these types. Each term has one spelling in storage, seeds, CSV
//! and JSON (snake_case, via `strum`), one in GraphQL (SCREAMING_CASE, via async-graphql's
//! `Enum` derive, for the terms the API exposes as enums), and parsing an unknown spelling is
//! an error that names the term and lists the accepted values, never a silent default. The
//! database stores terms as text (`TEXT` with a CHECK list in both migration sets); read models
//! convert with `#[diesel(deserialize_as = String)]`, so an unexpected stored value fails the
//! query instead of being read as something else.

mod breakdown;
mod vocab;

pub use breakdown::{Breakdown, BreakdownError, SeriesSpec};
pub use vocab::*;
