//! The selection of a filter read whole into memory, for the formats that must list every
//! dimension's values before the first value (the SDMX-JSON data message, the JSON-stat
//! dataset): the cells, each dimension's values in first-seen order, and the names to label
//! them with. Read through the same pages as the CSV export (a pooled connection per page), and
//! bounded: past `limit` observations the read stops with [`ExportError::TooLarge`] instead of
//! growing.

use std::collections::HashMap;

use super::{pages, Cell, ExportError, Labels, Reads};
use crate::db::queries::ObservationQuery;
use crate::domain::ObservationKind;

/// The cells of a selection and what names them.
#[derive(Debug, Clone)]
pub struct Cube {
    /// Every observation of the selection, in id order.
    pub cells: Vec<Cell>,
    labels: Labels,
}

/// The values one dimension takes in a cube, in first-seen order, with each value's index.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// The values, in order.
    pub list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Values {
    /// Collects the distinct values of `f` over `cells`, in order of appearance (sorted when
    /// `sorted`).
    pub fn of(cells: &[Cell], sorted: bool, f: impl Fn(&Cell) -> String) -> Values {
        let mut list: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in cells {
            let v = f(c);
            if seen.insert(v.clone()) {
                list.push(v);
            }
        }
        if sorted {
            list.sort();
        }
        Values::from_list(list)
    }

    /// The values of a list already in order (and distinct).
    pub fn from_list(list: Vec<String>) -> Values {
        let index = list
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), i))
            .collect();
        Values { list, index }
    }

    /// The index of a value (0 for a value not collected, which [`Values::of`] rules out).
    pub fn index(&self, v: &str) -> usize {
        self.index.get(v).copied().unwrap_or(0)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// A label in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Names {
    fn of((zh, en): (String, String)) -> Names {
        Names { zh, en }
    }

    /// The name in `lang` (`en`, anything else: Chinese).
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// The language of single-language labels (JSON-stat has one label per category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese, the reports' language (the default).
    #[default]
    Zh,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s.trim() {
            "zh" | "zh-CN" | "zh-Hans" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown lang {other:?} (expected zh or en)")),
        }
    }
}

/// Reads the selection of `q` through `src`, at most `limit` observations.
pub fn load<R: Reads + ?Sized>(
    src: &mut R,
    q: &ObservationQuery,
    limit: usize,
    format: &'static str,
) -> Result<Cube, ExportError> {
    let mut cells = Vec::new();
    let (_, labels) = pages(src, q, true, |labels, page, figures| {
        if cells.len() + page.len() > limit {
            return Err(ExportError::TooLarge { format, limit });
        }
        cells.extend(page.iter().map(|o| labels.cell(o, figures)));
        Ok(())
    })?;
    Ok(Cube { cells, labels })
}

/// The catalogue alone (no cells): what a structure message lists.
pub fn catalogue<R: Reads + ?Sized>(src: &mut R) -> Result<Cube, ExportError> {
    Ok(Cube {
        cells: Vec::new(),
        labels: src.read(Labels::load)?,
    })
}

impl Cube {
    /// Every district code of the warehouse, sorted.
    pub fn all_districts(&self) -> Vec<String> {
        self.labels.codes.districts.codes()
    }

    /// Every indicator code, sorted.
    pub fn all_indicators(&self) -> Vec<String> {
        self.labels.codes.indicators.codes()
    }

    /// Every breakdown (text form), sorted.
    pub fn all_breakdowns(&self) -> Vec<String> {
        self.labels.codes.breakdowns.codes()
    }

    /// A district's names (its code when the catalogue has none).
    pub fn district(&self, code: &str) -> Names {
        self.labels
            .districts
            .get(code)
            .cloned()
            .map(Names::of)
            .unwrap_or_else(|| Names::of((code.into(), code.into())))
    }

    /// An indicator's names.
    pub fn indicator(&self, code: &str) -> Names {
        self.labels
            .indicators
            .get(code)
            .map(|(z, e, _)| Names::of((z.clone(), e.clone())))
            .unwrap_or_else(|| Names::of((code.into(), code.into())))
    }

    /// An indicator's unit (of its actual, target and change values).
    pub fn indicator_unit(&self, code: &str) -> String {
        self.labels
            .indicators
            .get(code)
            .map(|i| i.2.clone())
            .unwrap_or_default()
    }

    /// A breakdown's names (see the export's breakdown labels).
    pub fn breakdown(&self, code: &str) -> Names {
        Names::of(self.labels.breakdown_names(code))
    }

    /// A source's titles.
    pub fn source(&self, code: &str) -> Names {
        self.labels
            .sources
            .get(code)
            .cloned()
            .map(Names::of)
            .unwrap_or_else(|| Names::of((code.into(), code.into())))
    }
}

/// The names of an observation kind.
pub fn kind_names(kind: ObservationKind) -> Names {
    let (zh, en) = match kind {
        ObservationKind::Actual => ("实际值", "Actual value"),
        ObservationKind::Target => ("目标值", "Target"),
        ObservationKind::Change => ("变化量", "Absolute change"),
        ObservationKind::Growth => ("增长率", "Relative change (growth)"),
        ObservationKind::Rank => ("排名", "Rank"),
    };
    Names {
        zh: zh.into(),
        en: en.into(),
    }
}

/// The names of a qualifier.
pub fn qualifier_names(q: crate::domain::Qualifier) -> Names {
    use crate::domain::Qualifier;
    let (zh, en) = match q {
        Qualifier::Exact => ("确数", "Exact"),
        Qualifier::Approximate => ("约数", "Approximate"),
        Qualifier::MoreThan => ("超过", "More than"),
        Qualifier::AtLeast => ("不低于", "At least"),
        Qualifier::LessThan => ("不足", "Less than"),
        Qualifier::AtMost => ("不超过", "At most"),
    };
    Names {
        zh: zh.into(),
        en: en.into(),
    }
}
