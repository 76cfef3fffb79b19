//! JSON-stat 2.0 datasets of observations (<https://json-stat.org/format/>), as the World
//! Bank, Eurostat and Statistics Norway serve them: one dataset per request, the same
//! dimensions as the SDMX data structure (DISTRICT, INDICATOR, BREAKDOWN, KIND, FIGURE,
//! TIME_PERIOD; see [`super::sdmx`] for FIGURE), `value` as a sparse object keyed by the flat
//! index (the cube is mostly empty), `status` the qualifier of every value that is not exact.
//!
//! Labels: JSON-stat has one label per category, so a dataset is in one language, Chinese by
//! default or English with `lang=en` ([`Lang`]); `extension.labels` carries the other
//! language's labels of every dimension and category, so nothing is lost either way.
//! `extension.observations` carries each value's provenance (key, unit, qualifier, base period,
//! source, quote) by the same flat index, and `extension.sources` the sources' titles. Periods
//! are the warehouse's codes (`2022`, `2021..2022`): JSON-stat does not constrain them.
//!
//! A reader turns the cube dense (a row per cell), so a dataset is refused past [`MAX_CELLS`]
//! cells, whatever the number of values.

use serde_json::{json, Map, Value};

use super::cube::{kind_names, qualifier_names, Cube, Lang, Names, Values};
use super::sdmx;
use crate::domain::{ObservationKind, Qualifier};

/// Media type of a JSON-stat dataset.
pub const MEDIA_TYPE: &str = "application/json; charset=utf-8";

/// The most cells (the product of the dimension sizes) a dataset may span.
pub const MAX_CELLS: u64 = 2_000_000;

/// Why a dataset was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetError {
    /// The cube spans more cells than [`MAX_CELLS`].
    #[error("the dataset would span {cells} cells ({sizes}), more than the {max} a JSON-stat dataset may (readers make every cell a row); narrow the filter (fewer indicators, districts, years or kinds)")]
    TooLarge {
        /// Its cells.
        cells: u64,
        /// The dimension sizes, `a × b × …`.
        sizes: String,
        /// [`MAX_CELLS`].
        max: u64,
    },
}

fn pick(n: &Names, lang: Lang) -> String {
    n.get(lang).to_string()
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

/// One dimension: its id, names, and its categories' ids and names.
struct Dimension {
    id: &'static str,
    names: Names,
    values: Values,
    labels: Vec<Names>,
}

impl Dimension {
    fn json(&self, lang: Lang, extra: Option<(&str, Value)>) -> Value {
        let labels: Map<String, Value> = self
            .values
            .list
            .iter()
            .zip(&self.labels)
            .map(|(id, n)| (id.clone(), json!(pick(n, lang))))
            .collect();
        let mut category = Map::new();
        category.insert("index".into(), json!(self.values.list));
        category.insert("label".into(), Value::Object(labels));
        if let Some((k, v)) = extra {
            category.insert(k.into(), v);
        }
        json!({"label": pick(&self.names, lang), "category": category})
    }

    fn other_labels(&self, lang: Lang) -> Value {
        let labels: Map<String, Value> = self
            .values
            .list
            .iter()
            .zip(&self.labels)
            .map(|(id, n)| (id.clone(), json!(pick(n, other(lang)))))
            .collect();
        json!({"label": pick(&self.names, other(lang)), "category": {"label": labels}})
    }
}

fn names(zh: &str, en: &str) -> Names {
    Names {
        zh: zh.into(),
        en: en.into(),
    }
}

/// The JSON-stat 2.0 dataset of a selection, labelled in `lang`; `updated` is the time it was
/// built (ISO 8601).
pub fn dataset(cube: &Cube, lang: Lang, updated: &str) -> Result<Value, DatasetError> {
    let cells = &cube.cells;
    let dim =
        |id: &'static str, zh: &str, en: &str, values: Values, label: &dyn Fn(&str) -> Names| {
            let labels = values.list.iter().map(|v| label(v)).collect();
            Dimension {
                id,
                names: names(zh, en),
                values,
                labels,
            }
        };
    let mut figures: Vec<u32> = cells.iter().map(|c| c.figure).collect();
    figures.sort_unstable();
    figures.dedup();
    let kind_label = |k: &str| {
        ObservationKind::parse(k)
            .map(kind_names)
            .unwrap_or_else(|_| names(k, k))
    };
    let dims = [
        dim(
            "DISTRICT",
            "区县",
            "District",
            Values::of(cells, true, |c| c.district.clone()),
            &|d| cube.district(d),
        ),
        dim(
            "INDICATOR",
            "指标",
            "Indicator",
            Values::of(cells, true, |c| c.indicator.clone()),
            &|i| cube.indicator(i),
        ),
        dim(
            "BREAKDOWN",
            "分组",
            "Breakdown",
            Values::of(cells, true, |c| c.breakdown.clone()),
            &|b| cube.breakdown(b),
        ),
        dim(
            "KIND",
            "数值类型",
            "Observation kind",
            Values::of(cells, true, |c| c.kind.as_str().to_string()),
            &kind_label,
        ),
        dim(
            "FIGURE",
            "同键数字序号",
            "Figure number",
            Values::from_list(figures.iter().map(u32::to_string).collect()),
            &|f| names(f, f),
        ),
        dim(
            "TIME_PERIOD",
            "时期",
            "Time period",
            Values::of(cells, true, |c| c.period.clone()),
            &|p| names(p, p),
        ),
    ];
    let sizes: Vec<u64> = dims.iter().map(|d| d.values.len() as u64).collect();
    let total = sizes
        .iter()
        .try_fold(1u64, |acc, s| acc.checked_mul(*s))
        .unwrap_or(u64::MAX);
    if total > MAX_CELLS {
        return Err(DatasetError::TooLarge {
            cells: total,
            sizes: sizes
                .iter()
                .zip(&dims)
                .map(|(s, d)| format!("{} {s}", d.id))
                .collect::<Vec<_>>()
                .join(" × "),
            max: MAX_CELLS,
        });
    }
    // Row-major flat index: the last dimension varies fastest.
    let mut strides = vec![1u64; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * sizes[i + 1];
    }
    let mut value = Map::new();
    let mut status = Map::new();
    let mut provenance = Map::new();
    for c in cells {
        let at = [
            dims[0].values.index(&c.district),
            dims[1].values.index(&c.indicator),
            dims[2].values.index(&c.breakdown),
            dims[3].values.index(c.kind.as_str()),
            dims[4].values.index(&c.figure.to_string()),
            dims[5].values.index(&c.period),
        ];
        let flat: u64 = at.iter().zip(&strides).map(|(i, s)| *i as u64 * s).sum();
        let key = flat.to_string();
        value.insert(key.clone(), json!(c.value));
        if c.qualifier != Qualifier::Exact {
            status.insert(key.clone(), json!(c.qualifier.as_str()));
        }
        provenance.insert(
            key,
            json!({
                "key": c.key,
                "unit": c.unit,
                "qualifier": c.qualifier.as_str(),
                "qualifierLabel": pick(&qualifier_names(c.qualifier), lang),
                "basePeriod": c.base_period,
                "source": c.source,
                "quote": c.quote,
            }),
        );
    }
    let mut sources: Vec<&str> = cells.iter().map(|c| c.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let sources: Map<String, Value> = sources
        .into_iter()
        .map(|s| {
            let t = cube.source(s);
            (s.to_string(), json!({"titleZh": t.zh, "titleEn": t.en}))
        })
        .collect();
    let mut dimension = Map::new();
    for d in &dims {
        let extra = (d.id == "INDICATOR").then(|| {
            let units: Map<String, Value> = d
                .values
                .list
                .iter()
                .map(|i| (i.clone(), json!({"label": cube.indicator_unit(i)})))
                .collect();
            ("unit", Value::Object(units))
        });
        dimension.insert(d.id.into(), d.json(lang, extra));
    }
    let other_labels: Map<String, Value> = dims
        .iter()
        .map(|d| (d.id.to_string(), d.other_labels(lang)))
        .collect();
    let title = names(
        "重庆市区县教育统计观测值",
        "Education statistics of Chongqing's districts (observations)",
    );
    let mut out = json!({
        "version": "2.0",
        "class": "dataset",
        "label": pick(&title, lang),
        "source": "edustats: districts' education-duty reports (自查自评报告, 整改方案, 整改落实情况)",
        "updated": updated,
        "id": dims.iter().map(|d| d.id).collect::<Vec<_>>(),
        "size": sizes,
        "role": {"time": ["TIME_PERIOD"], "geo": ["DISTRICT"], "metric": ["INDICATOR"]},
        "dimension": dimension,
        "value": value,
        "extension": {
            "lang": lang_code(lang),
            "labels": {lang_code(other(lang)): other_labels},
            "units": "OBS_VALUE is in the canonical unit: the indicator's (category.unit) for actual, target and change values, percent for growth, rank for ranks; extension.observations gives each value's",
            "sdmx": {"dataflow": sdmx::flow_ref()},
            "observations": provenance,
            "sources": sources,
        },
    });
    if !status.is_empty() {
        out["status"] = Value::Object(status);
    }
    Ok(out)
}
