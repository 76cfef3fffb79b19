//! The SDMX data messages: SDMX-CSV 2.0 ([`write_csv`], streamed page by page like the CSV
//! export) and the SDMX-JSON data message ([`data_message`], 2.0, or 1.0 for readers that only
//! know that one: [`JsonVersion`]), both keyed by the series dimensions and TIME_PERIOD.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Map, Value};

use super::{
    breakdown_id, code, concept, flow_names, flow_ref, message_id, meta, named, time_period, urn,
    Message, AGENCY, ATTRIBUTES, DATA_MEDIA_TYPE, DATA_MEDIA_TYPE_1, DATA_SCHEMA, FLOW,
    FLOW_URN_CLASS,
};
use crate::db::queries::ObservationQuery;
use crate::domain::{ObservationKind, Qualifier};
use crate::export::cube::{self, Cube, Names, Values};
use crate::export::{write_records, ExportError, Reads};

/// The SDMX-CSV header.
pub const CSV_HEADER: [&str; 15] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "DISTRICT",
    "INDICATOR",
    "BREAKDOWN",
    "KIND",
    "FIGURE",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT",
    "QUALIFIER",
    "BASE_PERIOD",
    "SOURCE",
    "QUOTE",
];

/// Writes every observation matching `q` as SDMX-CSV 2.0 to `out`, page by page (as
/// [`crate::export::write_csv`] does, plus one statement per page for the figure numbers);
/// returns the number of rows. Every text cell goes through [`crate::csv_cell::neutralise`].
pub fn write_csv<R: Reads + ?Sized, W: Write>(
    src: &mut R,
    q: &ObservationQuery,
    out: W,
) -> Result<usize, ExportError> {
    let structure = flow_ref();
    write_records(src, q, out, &CSV_HEADER, true, |labels, o, figures| {
        let c = labels.cell(o, figures);
        [
            "dataflow".to_string(),
            structure.clone(),
            "I".to_string(),
            c.district,
            c.indicator,
            breakdown_id(&c.breakdown),
            c.kind.to_string(),
            c.figure.to_string(),
            time_period(&c.period),
            c.value.to_string(),
            c.unit,
            c.qualifier.to_string(),
            c.base_period
                .as_deref()
                .map(time_period)
                .unwrap_or_default(),
            c.source,
            c.quote,
        ]
    })
}

/// Which SDMX-JSON a data message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonVersion {
    /// SDMX-JSON 2.0 (SDMX 3.0): `meta`, `data.structures`, `data.dataSets`, names in both
    /// languages.
    #[default]
    V2,
    /// SDMX-JSON 1.0 (SDMX 2.1): `header`, `structure`, `dataSets`, names in Chinese; for
    /// readers that know only this one (sdmx1, pandaSDMX).
    V1,
}

impl JsonVersion {
    /// The version an `Accept` header asks for: 1.0 only when it names the 1.0 data media type.
    pub fn from_accept(accept: Option<&str>) -> JsonVersion {
        let Some(a) = accept else {
            return JsonVersion::V2;
        };
        let compact: String = a.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("data+json;version=1.0") && !compact.contains("data+json;version=2") {
            JsonVersion::V1
        } else {
            JsonVersion::V2
        }
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            JsonVersion::V2 => DATA_MEDIA_TYPE,
            JsonVersion::V1 => DATA_MEDIA_TYPE_1,
        }
    }
}

/// A dimension or attribute of a data message with its values.
fn data_component(id: &str, position: Option<usize>, values: Vec<Value>, v: JsonVersion) -> Value {
    let names = concept(id);
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    match v {
        JsonVersion::V2 => m.extend(named(&names)),
        JsonVersion::V1 => {
            m.insert("name".into(), json!(names.zh));
        }
    }
    if let Some(p) = position {
        m.insert("keyPosition".into(), json!(p));
    }
    if id == "TIME_PERIOD" {
        m.insert("roles".into(), json!(["TIME_PERIOD"]));
    }
    if v == JsonVersion::V2 && ATTRIBUTES.contains(&id) {
        m.insert("relationship".into(), json!({"observation": {}}));
    }
    m.insert("values".into(), Value::Array(values));
    Value::Object(m)
}

/// A coded value (`id` and names).
fn coded_value(id: &str, names: &Names, v: JsonVersion) -> Value {
    match v {
        JsonVersion::V2 => code(id, names),
        JsonVersion::V1 => json!({"id": id, "name": names.zh}),
    }
}

/// An uncoded value (a time period, a unit, a quote).
fn plain_value(value: &str, v: JsonVersion, dimension: bool) -> Value {
    match v {
        JsonVersion::V2 => json!({"value": value}),
        // SDMX-JSON 1.0 gives every dimension value an id; an attribute's free text is its name.
        JsonVersion::V1 if dimension => json!({"id": value, "name": value}),
        JsonVersion::V1 => json!({"name": value}),
    }
}

/// The SDMX-JSON data message of a selection: series keyed by the five series dimensions'
/// indices, observations keyed by TIME_PERIOD's, each `[OBS_VALUE, UNIT, QUALIFIER,
/// (BASE_PERIOD,) SOURCE, QUOTE]` (attribute values as indices into their `values`; a missing
/// base period as `null`; BASE_PERIOD only when an observation of the selection has one).
pub fn data_message(cube: &Cube, v: JsonVersion, prepared: &str) -> Message {
    let cells = &cube.cells;
    let districts = Values::of(cells, true, |c| c.district.clone());
    let indicators = Values::of(cells, true, |c| c.indicator.clone());
    let breakdowns = Values::of(cells, true, |c| c.breakdown.clone());
    let kinds = Values::of(cells, true, |c| c.kind.as_str().to_string());
    let mut figure_numbers: Vec<u32> = cells.iter().map(|c| c.figure).collect();
    figure_numbers.sort_unstable();
    figure_numbers.dedup();
    let figures = Values::from_list(figure_numbers.iter().map(u32::to_string).collect());
    let times = Values::of(cells, true, |c| time_period(&c.period));
    let units = Values::of(cells, true, |c| c.unit.clone());
    let qualifiers = Values::of(cells, true, |c| c.qualifier.as_str().to_string());
    let mut base_list: Vec<String> = cells
        .iter()
        .filter_map(|c| c.base_period.as_deref().map(time_period))
        .collect();
    base_list.sort();
    base_list.dedup();
    let bases = Values::from_list(base_list);
    // BASE_PERIOD is listed only when an observation has one: an attribute without values is
    // refused by the schemas (`minItems: 1`) and dropped by readers, which would shift the
    // attributes after it.
    let with_base = !bases.is_empty();
    let sources = Values::of(cells, true, |c| c.source.clone());
    let quotes = Values::of(cells, false, |c| c.quote.clone());

    let mut series: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for c in cells {
        let key = format!(
            "{}:{}:{}:{}:{}",
            districts.index(&c.district),
            indicators.index(&c.indicator),
            breakdowns.index(&c.breakdown),
            kinds.index(c.kind.as_str()),
            figures.index(&c.figure.to_string()),
        );
        let mut obs = vec![
            json!(c.value),
            json!(units.index(&c.unit)),
            json!(qualifiers.index(c.qualifier.as_str())),
        ];
        if with_base {
            obs.push(
                c.base_period
                    .as_deref()
                    .map(|b| json!(bases.index(&time_period(b))))
                    .unwrap_or(Value::Null),
            );
        }
        obs.push(json!(sources.index(&c.source)));
        obs.push(json!(quotes.index(&c.quote)));
        let obs = Value::Array(obs);
        series
            .entry(key)
            .or_default()
            .insert(times.index(&time_period(&c.period)).to_string(), obs);
    }
    let series: Map<String, Value> = series
        .into_iter()
        .map(|(k, obs)| (k, json!({"observations": obs})))
        .collect();

    let names_of = |list: &Values, f: &dyn Fn(&str) -> Names| -> Vec<Value> {
        list.list
            .iter()
            .map(|id| coded_value(id, &f(id), v))
            .collect()
    };
    // Figure numbers in numeric order, their indices as `figures` collected them.
    let figure_values: Vec<Value> = figures
        .list
        .iter()
        .map(|f| match v {
            JsonVersion::V2 => json!({"value": f}),
            JsonVersion::V1 => json!({"id": f, "name": f}),
        })
        .collect();
    let series_dims = vec![
        data_component(
            "DISTRICT",
            Some(0),
            names_of(&districts, &|d| cube.district(d)),
            v,
        ),
        data_component(
            "INDICATOR",
            Some(1),
            names_of(&indicators, &|i| cube.indicator(i)),
            v,
        ),
        data_component(
            "BREAKDOWN",
            Some(2),
            breakdowns
                .list
                .iter()
                .map(|b| coded_value(&breakdown_id(b), &cube.breakdown(b), v))
                .collect(),
            v,
        ),
        data_component(
            "KIND",
            Some(3),
            kinds
                .list
                .iter()
                .map(|k| {
                    let names = ObservationKind::parse(k)
                        .map(cube::kind_names)
                        .unwrap_or_else(|_| Names {
                            zh: k.clone(),
                            en: k.clone(),
                        });
                    coded_value(k, &names, v)
                })
                .collect(),
            v,
        ),
        data_component("FIGURE", Some(4), figure_values, v),
    ];
    let time_dim = data_component(
        "TIME_PERIOD",
        Some(5),
        times.list.iter().map(|t| plain_value(t, v, true)).collect(),
        v,
    );
    let plain = |list: &Values| -> Vec<Value> {
        list.list.iter().map(|x| plain_value(x, v, false)).collect()
    };
    let mut attributes = vec![
        data_component("UNIT", None, plain(&units), v),
        data_component(
            "QUALIFIER",
            None,
            qualifiers
                .list
                .iter()
                .map(|q| {
                    let names = Qualifier::parse(q)
                        .map(cube::qualifier_names)
                        .unwrap_or_else(|_| Names {
                            zh: q.clone(),
                            en: q.clone(),
                        });
                    coded_value(q, &names, v)
                })
                .collect(),
            v,
        ),
    ];
    if with_base {
        attributes.push(data_component("BASE_PERIOD", None, plain(&bases), v));
    }
    attributes.push(data_component("SOURCE", None, plain(&sources), v));
    attributes.push(data_component("QUOTE", None, plain(&quotes), v));
    // A component without values is refused by the schemas (`minItems: 1`) and discarded by
    // readers: an empty selection, or one without any base period, lists none of it.
    let keep = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .filter(|c| c["values"].as_array().is_some_and(|a| !a.is_empty()))
            .collect()
    };
    let empty = cells.is_empty();
    let (series_dims, time_dims) = if empty {
        (vec![], vec![])
    } else {
        (series_dims, vec![time_dim])
    };
    let attributes: Vec<Value> = if empty { vec![] } else { attributes };
    let flow_urn = urn(FLOW_URN_CLASS, FLOW);
    let mut structure = Map::new();
    structure.insert(
        "links".into(),
        json!([{"rel": "dataflow", "urn": flow_urn}]),
    );
    match v {
        JsonVersion::V2 => structure.extend(named(&flow_names())),
        JsonVersion::V1 => {
            structure.insert("name".into(), json!(flow_names().zh));
        }
    }
    structure.insert(
        "dimensions".into(),
        json!({"dataSet": [], "series": keep(series_dims), "observation": keep(time_dims)}),
    );
    structure.insert(
        "attributes".into(),
        json!({"dataSet": [], "series": [], "observation": attributes}),
    );
    let mut data_set = Map::new();
    data_set.insert("action".into(), json!("Information"));
    data_set.insert("series".into(), Value::Object(series));
    match v {
        JsonVersion::V2 => {
            let mut measure = named(&concept("OBS_VALUE"));
            measure.insert("id".into(), json!("OBS_VALUE"));
            structure.insert("measures".into(), json!({"observation": [measure]}));
            structure.insert("dataSets".into(), json!([0]));
            data_set.insert("structure".into(), json!(0));
            data_set.insert(
                "links".into(),
                json!([{"rel": "dataflow", "urn": flow_urn}]),
            );
            Message(vec![
                ("meta", meta(DATA_SCHEMA, "DATA", prepared)),
                (
                    "data",
                    json!({"structures": [structure], "dataSets": [data_set]}),
                ),
            ])
        }
        JsonVersion::V1 => Message(vec![
            (
                "header",
                json!({
                    "id": message_id("DATA", prepared),
                    "test": false,
                    "prepared": prepared,
                    "sender": {"id": AGENCY, "name": "edustats"},
                }),
            ),
            ("structure", Value::Object(structure)),
            ("dataSets", json!([data_set])),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers() {
        assert_eq!(JsonVersion::from_accept(None), JsonVersion::V2);
        assert_eq!(
            JsonVersion::from_accept(Some("application/vnd.sdmx.data+json; version=1.0.0")),
            JsonVersion::V1
        );
        assert_eq!(
            JsonVersion::from_accept(Some("application/vnd.sdmx.data+json;version=2.0.0")),
            JsonVersion::V2
        );
        assert_eq!(JsonVersion::from_accept(Some("*/*")), JsonVersion::V2);
    }
}
