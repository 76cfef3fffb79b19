//! The fields the look-ahead prefetches read, declared once for every object module: a
//! prefetch of one type reads its neighbours' fields too (an observation list's
//! `district { parent }` and `source { district }`, a district list's `progress`), so the
//! names live here, below the object modules, rather than in each of them and in a loop
//! between them. [`PREFETCHED`] lists them all; `graphql::tests` checks each against the schema
//! (a renamed resolver fails the test instead of silently turning its prefetch off).

use super::prefetch::Field;

/// Declares, per object module, the fields its prefetch looks ahead for, by GraphQL type: one
/// [`Field`] constant each in a module named after the object module, and [`PREFETCHED`].
macro_rules! prefetched_fields {
    (
        $( $module:ident {
            $( $ty:literal { $( $name:ident = $field:literal ),* $(,)? } )*
        } )*
    ) => {
        $(
            #[doc = concat!("The fields `graphql::", stringify!($module), "` looks ahead for.")]
            pub(crate) mod $module {
                use super::Field;
                $( $(
                    #[doc = concat!("`", $ty, ".", $field, "`.")]
                    pub(crate) const $name: Field = Field { ty: $ty, name: $field };
                )* )*
            }
        )*

        /// Every field any prefetch looks ahead for.
        pub const PREFETCHED: &[Field] = &[$( $( $( $module::$name, )* )* )*];
    };
}

prefetched_fields! {
    aggregate {
        "Aggregate" {
            GROUPS = "groups",
        }
        "AggregateGroup" {
            MEMBERS = "members",
            MISSING = "missing",
        }
        "AggregateMember" {
            MEMBER_DISTRICT = "district",
            MEMBER_OBSERVATION = "observation",
        }
    }
    change {
        "ChangeRow" {
            DISTRICT = "district",
        }
    }
    compare {
        "CompareMatrix" {
            ROWS = "rows",
        }
        "CompareRow" {
            CELLS = "cells",
        }
        "CompareCell" {
            CELL_OBSERVATION = "observation",
        }
    }
    connection {
        "ObservationConnection" {
            EDGES = "edges",
        }
        "ObservationEdge" {
            NODE = "node",
        }
    }
    district {
        "District" {
            PARENT = "parent",
            OBSERVATIONS = "observations",
            LATEST_VALUE = "latestValue",
            PROGRESS = "progress",
        }
    }
    finding {
        "QualityFinding" {
            OBSERVATIONS = "observations",
        }
    }
    indicator {
        "Indicator" {
            DIMENSIONS = "dimensions",
            COVERAGE = "coverage",
            RANKABLE = "rankable",
        }
    }
    observation {
        "Observation" {
            DISTRICT = "district",
            INDICATOR = "indicator",
            UNIT = "unit",
            SOURCE = "source",
            PERIOD = "period",
            YEAR = "year",
            BASE_PERIOD = "basePeriod",
            BREAKDOWN = "breakdown",
            QUALITY_FLAGS = "qualityFlags",
            STANDARD_CHECKS = "standardChecks",
            MEETS_STANDARD = "meetsStandard",
            GAP_TO_STANDARD = "gapToStandard",
        }
    }
    progress {
        "TargetProgress" {
            DISTRICT = "district",
            TARGET = "target",
            ACTUAL = "actual",
            PACE_FROM = "paceFrom",
        }
    }
    ranking {
        "Ranking" {
            ENTRIES = "entries",
            MISSING = "missing",
        }
        "RankingEntry" {
            ENTRY_DISTRICT = "district",
            ENTRY_OBSERVATION = "observation",
            ENTRY_INPUTS = "inputs",
            ENTRY_DERIVATION = "derivation",
            ENTRY_STANDARD_CHECKS = "standardChecks",
            ENTRY_MEETS_STANDARD = "meetsStandard",
            ENTRY_GAP_TO_STANDARD = "gapToStandard",
        }
        "Derivation" {
            DERIVATION_NUMERATOR = "numerator",
            DERIVATION_DENOMINATOR = "denominator",
        }
    }
    source {
        "Source" {
            DISTRICT = "district",
            TEXT = "text",
            OBSERVATIONS = "observations",
        }
    }
    standard {
        "Standard" {
            STANDARD_INDICATOR = "indicator",
            STANDARD_DISTRICT = "district",
            STANDARD_SOURCE = "source",
        }
        "StandardShortfall" {
            SHORTFALL_DISTRICT = "district",
            SHORTFALL_OBSERVATION = "observation",
        }
    }
    time_series {
        "TimeSeries" {
            POINTS = "points",
            TARGETS = "targets",
        }
        "TimePoint" {
            POINT_OBSERVATION = "observation",
        }
        "TargetMarker" {
            TARGET_OBSERVATION = "observation",
        }
    }
}
