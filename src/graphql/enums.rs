//! GraphQL enums: those only the API has ([`SortOrder`], [`ChangeGap`], with their conversions
//! from the statistics layer) and the domain's own, re-exported.

use async_graphql::Enum;

pub use crate::domain::{Direction, ObservationKind, Qualifier};
use crate::stats::change::Gap;
use crate::stats::ranking::Order;

/// Sort order of a ranking.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// Lowest value first.
    Asc,
    /// Highest value first.
    Desc,
}

impl From<SortOrder> for Order {
    fn from(o: SortOrder) -> Self {
        match o {
            SortOrder::Asc => Order::Ascending,
            SortOrder::Desc => Order::Descending,
        }
    }
}

impl From<Order> for SortOrder {
    fn from(o: Order) -> Self {
        match o {
            Order::Ascending => SortOrder::Asc,
            Order::Descending => SortOrder::Desc,
        }
    }
}

/// Why a relative change is null.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChangeGap {
    /// No value in the `from` year.
    MissingFrom,
    /// No value in the `to` year.
    MissingTo,
    /// No value in either year.
    MissingBoth,
    /// The `from` value is zero: a relative change would be infinite.
    ZeroBase,
}

impl From<Gap> for ChangeGap {
    fn from(g: Gap) -> Self {
        match g {
            Gap::MissingFrom => ChangeGap::MissingFrom,
            Gap::MissingTo => ChangeGap::MissingTo,
            Gap::MissingBoth => ChangeGap::MissingBoth,
            Gap::ZeroBase => ChangeGap::ZeroBase,
        }
    }
}
