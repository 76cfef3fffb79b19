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

/// Whether `c` is a Chinese character (a CJK unified ideograph, of the basic block, extension A
/// or the compatibility block): what a Chinese name must hold and what the extractor's words
/// are made of. Punctuation and full-width forms are not (`document`'s line joining has its
/// own wider test of CJK *text*).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}
