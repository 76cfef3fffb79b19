//! The validated seed folder as one value, [`Dataset`]: what [`super::seed`] produces and
//! [`super::write`] writes. On its own so that the writer does not depend on the reader.

use std::collections::BTreeMap;

use super::plan::Plan;
use super::rows::{DistrictRow, IndicatorRow, UnitRow};

/// Everything in the seed folder, validated and ready to write.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Divisions.
    pub districts: Vec<DistrictRow>,
    /// Units.
    pub units: Vec<UnitRow>,
    /// Dimension code → (zh, en).
    pub dimensions: BTreeMap<String, (String, String)>,
    /// (dimension, member) → (zh, en).
    pub members: BTreeMap<(String, String), (String, String)>,
    /// Indicators with their dimensions.
    pub indicators: Vec<(IndicatorRow, Vec<String>)>,
    /// Sources, observations and curated findings to create.
    pub plan: Plan,
    /// The standards catalogue (`standards/`, optional folder).
    pub standards: Vec<super::standards::ValidStandard>,
    /// Chinese translations of the curators' notes (`translations/`, optional folder):
    /// (observation key, SHA-256 of the English note, the translation).
    pub note_translations: Vec<(String, String, String)>,
}
