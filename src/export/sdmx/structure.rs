//! The SDMX-JSON 2.0 structure message ([`structure_message`]): the dataflow, the data
//! structure definition, the codelists (every district, indicator and breakdown the warehouse
//! holds, with Chinese and English names) and the concept scheme.

use serde_json::{json, Map, Value};

use super::paths::{Artefact, Codelist, StructureQuery};
use super::{
    breakdown_id, code, concept_urn, flow_names, meta, named, urn, Message, AGENCY, CONCEPTS,
    CONCEPT_NAMES, DSD_URN_CLASS, FLOW, STRUCTURE_SCHEMA, VERSION,
};
use crate::domain::{ObservationKind, Qualifier};
use crate::export::cube::{self, Cube, Names};

/// The fields every maintainable artefact has.
fn maintainable(id: &str, names: &Names) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("agencyID".into(), json!(AGENCY));
    m.insert("version".into(), json!(VERSION));
    m.extend(named(names));
    m
}

fn codelist_urn(c: Codelist) -> String {
    urn("codelist.Codelist", c.id())
}

fn component(id: &str, position: Option<usize>, representation: Value) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    if let Some(p) = position {
        m.insert("position".into(), json!(p));
    }
    m.insert("conceptIdentity".into(), json!(concept_urn(id)));
    m.insert("localRepresentation".into(), representation);
    Value::Object(m)
}

fn enumerated(c: Codelist) -> Value {
    json!({"enumeration": codelist_urn(c)})
}

fn format(data_type: &str) -> Value {
    json!({"format": {"dataType": data_type}})
}

fn data_structure() -> Value {
    let dims = [
        component("DISTRICT", Some(0), enumerated(Codelist::District)),
        component("INDICATOR", Some(1), enumerated(Codelist::Indicator)),
        component("BREAKDOWN", Some(2), enumerated(Codelist::Breakdown)),
        component("KIND", Some(3), enumerated(Codelist::Kind)),
        component("FIGURE", Some(4), format("Integer")),
    ];
    let attribute = |id: &str, mandatory: bool, repr: Value| {
        let mut a = component(id, None, repr);
        a["usage"] = json!(if mandatory { "mandatory" } else { "optional" });
        a["attributeRelationship"] = json!({"observation": {}});
        a
    };
    let mut m = maintainable(FLOW, &flow_names());
    m.insert(
        "dataStructureComponents".into(),
        json!({
            "dimensionList": {
                "id": "DimensionDescriptor",
                "dimensions": dims,
                "timeDimension": component("TIME_PERIOD", None, format("ObservationalTimePeriod")),
            },
            "measureList": {
                "id": "MeasureDescriptor",
                "measures": [{
                    "id": "OBS_VALUE",
                    "usage": "mandatory",
                    "conceptIdentity": concept_urn("OBS_VALUE"),
                    "localRepresentation": {"format": {"dataType": "Double"}},
                }],
            },
            "attributeList": {
                "id": "AttributeDescriptor",
                "attributes": [
                    attribute("UNIT", true, format("String")),
                    attribute("QUALIFIER", true, enumerated(Codelist::Qualifier)),
                    attribute("BASE_PERIOD", false, format("ObservationalTimePeriod")),
                    attribute("SOURCE", true, format("String")),
                    attribute("QUOTE", true, format("String")),
                ],
            },
        }),
    );
    Value::Object(m)
}

fn dataflow() -> Value {
    let mut m = maintainable(FLOW, &flow_names());
    m.insert("structure".into(), json!(urn(DSD_URN_CLASS, FLOW)));
    Value::Object(m)
}

fn codelist(c: Codelist, cat: &Cube) -> Value {
    let codes: Vec<Value> = match c {
        Codelist::District => cat
            .all_districts()
            .iter()
            .map(|d| code(d, &cat.district(d)))
            .collect(),
        Codelist::Indicator => cat
            .all_indicators()
            .iter()
            .map(|i| code(i, &cat.indicator(i)))
            .collect(),
        Codelist::Breakdown => cat
            .all_breakdowns()
            .iter()
            .map(|b| code(&breakdown_id(b), &cat.breakdown(b)))
            .collect(),
        Codelist::Kind => ObservationKind::all()
            .iter()
            .map(|k| code(k.as_str(), &cube::kind_names(*k)))
            .collect(),
        Codelist::Qualifier => Qualifier::all()
            .iter()
            .map(|q| code(q.as_str(), &cube::qualifier_names(*q)))
            .collect(),
    };
    let mut m = maintainable(c.id(), &c.names());
    m.insert("isPartial".into(), json!(false));
    m.insert("codes".into(), json!(codes));
    Value::Object(m)
}

fn concept_scheme() -> Value {
    let concepts: Vec<Value> = CONCEPT_NAMES
        .iter()
        .map(|(id, zh, en)| {
            code(
                id,
                &Names {
                    zh: (*zh).into(),
                    en: (*en).into(),
                },
            )
        })
        .collect();
    let mut m = maintainable(
        CONCEPTS,
        &Names {
            zh: "教育统计概念".into(),
            en: "Education statistics concepts".into(),
        },
    );
    m.insert("isPartial".into(), json!(false));
    m.insert("concepts".into(), json!(concepts));
    Value::Object(m)
}

/// The SDMX-JSON 2.0 structure message holding the artefacts of `q`, the codelists from the
/// catalogue `cat` (every district, indicator and breakdown the warehouse holds, with Chinese
/// and English names).
pub fn structure_message(q: &StructureQuery, cat: &Cube, prepared: &str) -> Message {
    let mut data = Map::new();
    let mut put = |key: &str, v: Value| match data.get_mut(key) {
        Some(Value::Array(list)) => list.push(v),
        _ => {
            data.insert(key.to_string(), json!([v]));
        }
    };
    for a in &q.artefacts {
        match a {
            Artefact::Dataflow => put("dataflows", dataflow()),
            Artefact::DataStructure => put("dataStructures", data_structure()),
            Artefact::Codelist(c) => put("codelists", codelist(*c, cat)),
            Artefact::ConceptScheme => put("conceptSchemes", concept_scheme()),
        }
    }
    Message(vec![
        ("meta", meta(STRUCTURE_SCHEMA, "STRUCTURE", prepared)),
        ("data", Value::Object(data)),
    ])
}
