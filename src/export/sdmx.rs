//! SDMX for statistical software: the observations as SDMX-CSV 2.0 ([`write_csv`], streamed
//! page by page like the CSV export), the SDMX-JSON 2.0 structure message
//! ([`structure_message`]: the dataflow, the data structure definition, its codelists and
//! concept scheme) and the SDMX-JSON data message ([`data_message`], 2.0, or 1.0 for readers
//! that only know that one), and the parsing of the REST paths that ask for them
//! ([`StructureQuery`], [`DataQuery`], following the SDMX REST API 2.0 path patterns
//! `structure/{type}/{agency}/{id}/{version}` and `data/{context}/{agency}/{id}/{version}/{key}`).
//!
//! The data structure `EDUSTATS:EDU_OBS(1.0.0)`: dimensions DISTRICT, INDICATOR, BREAKDOWN,
//! KIND, FIGURE and TIME_PERIOD; measure OBS_VALUE (in the canonical unit); attributes UNIT,
//! QUALIFIER, BASE_PERIOD, SOURCE and QUOTE, all at observation level.
//!
//! FIGURE exists because the warehouse keeps every figure a report prints, and two figures may
//! share district, indicator, period, breakdown and kind (two reports, or one report printing
//! two numbers for the same thing, which the quality rules flag): SDMX wants one observation per
//! key, so the figures of one key are numbered 1, 2, … in the order they were recorded, over the
//! whole warehouse (a figure's number does not depend on the query).
//!
//! Codes: district, indicator, kind and qualifier codes are the warehouse's; a breakdown, whose
//! text form (`ownership=public;stage=primary`) holds characters SDMX ids may not, is written
//! with `=` as `-` and `;` as `@` (any other character outside `A-Za-z0-9_` as `$hex$`), and the
//! total as `_T` ([`breakdown_id`], [`breakdown_code`] reverses it). TIME_PERIOD is ISO 8601 as
//! SDMX wants it ([`time_period`]): `2022`, `2023-06`, and a span `2021..2022` as the time range
//! `2021-01-01/P2Y`.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Map, Value};

use super::cube::{self, Cube, Names, Values};
use super::{pages, ExportError, Reads};
use crate::db::queries::ObservationQuery;
use crate::domain::{ObservationKind, Qualifier};

/// The maintenance agency of every artefact.
pub const AGENCY: &str = "EDUSTATS";
/// The id of the dataflow and of its data structure definition.
pub const FLOW: &str = "EDU_OBS";
/// Their version.
pub const VERSION: &str = "1.0.0";
/// The concept scheme's id.
pub const CONCEPTS: &str = "CS_EDUSTATS";

/// Media type of SDMX-CSV 2.0 data.
pub const CSV_MEDIA_TYPE: &str = "application/vnd.sdmx.data+csv;version=2.0.0";
/// Media type of an SDMX-JSON 2.0 data message.
pub const DATA_MEDIA_TYPE: &str = "application/vnd.sdmx.data+json;version=2.0.0";
/// Media type of an SDMX-JSON 1.0 data message.
pub const DATA_MEDIA_TYPE_1: &str = "application/vnd.sdmx.data+json;version=1.0.0";
/// Media type of an SDMX-JSON 2.0 structure message.
pub const STRUCTURE_MEDIA_TYPE: &str = "application/vnd.sdmx.structure+json;version=2.0.0";

const DATA_SCHEMA: &str = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json";
const STRUCTURE_SCHEMA: &str = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json";

/// The series dimensions, in key order (TIME_PERIOD, the observation dimension, follows).
pub const SERIES_DIMENSIONS: [&str; 5] = ["DISTRICT", "INDICATOR", "BREAKDOWN", "KIND", "FIGURE"];

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

/// Every component's concept: id, Chinese and English name.
const CONCEPT_NAMES: [(&str, &str, &str); 12] = [
    ("DISTRICT", "区县", "District"),
    ("INDICATOR", "指标", "Indicator"),
    ("BREAKDOWN", "分组", "Breakdown"),
    ("KIND", "数值类型", "Observation kind"),
    (
        "FIGURE",
        "同键数字序号",
        "Figure number among figures sharing the other dimensions",
    ),
    ("TIME_PERIOD", "时期", "Time period"),
    ("OBS_VALUE", "数值（规范单位）", "Value (canonical unit)"),
    ("UNIT", "单位", "Unit (canonical)"),
    ("QUALIFIER", "限定词", "Qualifier"),
    ("BASE_PERIOD", "基期", "Base period (of a change)"),
    ("SOURCE", "来源报告", "Source report"),
    ("QUOTE", "原文", "Quote"),
];

/// The attributes, in the order of their values in an observation.
const ATTRIBUTES: [&str; 5] = ["UNIT", "QUALIFIER", "BASE_PERIOD", "SOURCE", "QUOTE"];

fn concept(id: &str) -> Names {
    CONCEPT_NAMES
        .iter()
        .find(|c| c.0 == id)
        .map(|c| Names {
            zh: c.1.into(),
            en: c.2.into(),
        })
        .unwrap_or_else(|| Names {
            zh: id.into(),
            en: id.into(),
        })
}

/// A period code as an SDMX time period: a year or a month as it is, a span of years or months
/// as an ISO 8601 time range (start date / duration). Anything else is returned unchanged.
pub fn time_period(code: &str) -> String {
    let Some((from, to)) = code.split_once("..") else {
        return code.to_string();
    };
    let ym = |s: &str| -> Option<(i32, Option<u32>)> {
        match s.split_once('-') {
            None => Some((s.parse().ok()?, None)),
            Some((y, m)) => Some((y.parse().ok()?, Some(m.parse().ok()?))),
        }
    };
    match (ym(from), ym(to)) {
        (Some((a, None)), Some((b, None))) if b >= a => format!("{a}-01-01/P{}Y", b - a + 1),
        (Some((a, Some(m))), Some((b, Some(n))))
            if (1..=12).contains(&m) && (1..=12).contains(&n) =>
        {
            let months = (b - a) * 12 + n as i32 - m as i32 + 1;
            if months < 1 {
                return code.to_string();
            }
            format!("{a}-{m:02}-01/P{months}M")
        }
        _ => code.to_string(),
    }
}

/// A breakdown's SDMX code (see the module doc): `_T` for the total.
pub fn breakdown_id(code: &str) -> String {
    if code.is_empty() {
        return "_T".into();
    }
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' => out.push(c),
            '=' => out.push('-'),
            ';' => out.push('@'),
            other => out.push_str(&format!("${:x}$", u32::from(other))),
        }
    }
    out
}

/// The breakdown text form of an SDMX breakdown code; `None` when it is not one.
pub fn breakdown_code(id: &str) -> Option<String> {
    if id == "_T" {
        return Some(String::new());
    }
    let mut out = String::with_capacity(id.len());
    let mut chars = id.chars();
    while let Some(c) = chars.next() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '_' => out.push(c),
            '-' => out.push('='),
            '@' => out.push(';'),
            '$' => {
                let hex: String = chars.by_ref().take_while(|c| *c != '$').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The `STRUCTURE_ID` of the dataflow (`EDUSTATS:EDU_OBS(1.0.0)`).
pub fn flow_ref() -> String {
    format!("{AGENCY}:{FLOW}({VERSION})")
}

/// Writes every observation matching `q` as SDMX-CSV 2.0 to `out`, page by page (as
/// [`super::write_csv`] does, plus one statement per page for the figure numbers); returns the
/// number of rows. Every text cell goes through [`crate::csv_cell::neutralise`].
pub fn write_csv<R: Reads + ?Sized, W: Write>(
    src: &mut R,
    q: &ObservationQuery,
    out: W,
) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    let structure = flow_ref();
    let (count, _) = pages(src, q, true, |labels, page, figures| {
        for o in page {
            let c = labels.cell(o, figures);
            let cells = [
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
            ];
            for cell in &cells {
                w.write_field(crate::csv_cell::neutralise(cell).as_bytes())?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        w.flush()?;
        Ok(())
    })?;
    w.flush()?;
    Ok(count)
}

/// The structural artefacts this server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Artefact {
    /// The dataflow `EDU_OBS`.
    Dataflow,
    /// The data structure definition `EDU_OBS`.
    DataStructure,
    /// One of the codelists.
    Codelist(Codelist),
    /// The concept scheme `CS_EDUSTATS`.
    ConceptScheme,
}

/// The codelists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Codelist {
    /// `CL_DISTRICT`.
    District,
    /// `CL_INDICATOR`.
    Indicator,
    /// `CL_BREAKDOWN`.
    Breakdown,
    /// `CL_KIND`.
    Kind,
    /// `CL_QUALIFIER`.
    Qualifier,
}

const CODELISTS: [Codelist; 5] = [
    Codelist::District,
    Codelist::Indicator,
    Codelist::Breakdown,
    Codelist::Kind,
    Codelist::Qualifier,
];

impl Codelist {
    fn id(self) -> &'static str {
        match self {
            Codelist::District => "CL_DISTRICT",
            Codelist::Indicator => "CL_INDICATOR",
            Codelist::Breakdown => "CL_BREAKDOWN",
            Codelist::Kind => "CL_KIND",
            Codelist::Qualifier => "CL_QUALIFIER",
        }
    }

    fn names(self) -> Names {
        let (zh, en) = match self {
            Codelist::District => ("区县", "Districts"),
            Codelist::Indicator => ("指标", "Indicators"),
            Codelist::Breakdown => ("分组", "Breakdowns"),
            Codelist::Kind => ("数值类型", "Observation kinds"),
            Codelist::Qualifier => ("限定词", "Qualifiers"),
        };
        Names {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl Artefact {
    fn id(self) -> &'static str {
        match self {
            Artefact::Dataflow | Artefact::DataStructure => FLOW,
            Artefact::Codelist(c) => c.id(),
            Artefact::ConceptScheme => CONCEPTS,
        }
    }

    /// The artefacts it refers to.
    fn children(self) -> Vec<Artefact> {
        match self {
            Artefact::Dataflow => vec![Artefact::DataStructure],
            Artefact::DataStructure => CODELISTS
                .iter()
                .map(|c| Artefact::Codelist(*c))
                .chain([Artefact::ConceptScheme])
                .collect(),
            Artefact::Codelist(_) | Artefact::ConceptScheme => vec![],
        }
    }

    /// The artefacts that refer to it.
    fn parents(self) -> Vec<Artefact> {
        match self {
            Artefact::Dataflow => vec![],
            Artefact::DataStructure => vec![Artefact::Dataflow],
            Artefact::Codelist(_) | Artefact::ConceptScheme => vec![Artefact::DataStructure],
        }
    }
}

/// Which artefacts a structure query names, with those its `references` parameter adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureQuery {
    /// The artefacts of the answer.
    pub artefacts: Vec<Artefact>,
}

/// Why a REST path or parameter was refused: `NotFound` (nothing held matches: 404) or `Bad`
/// (malformed: 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Nothing this server holds matches (what was asked, as `type=agency:id(version)`).
    NotFound(String, String),
    /// The path or a parameter is malformed.
    Bad(String),
}

/// The artefact types of the SDMX REST API 2.0 that this server answers with something.
const STRUCTURE_TYPES: [&str; 5] = [
    "dataflow",
    "datastructure",
    "codelist",
    "conceptscheme",
    "structure",
];

/// Whether a path part matches a held value: the value itself, or a wildcard (`*`, `all`;
/// for versions also `~`, `+` and `latest`).
fn matches(part: Option<&str>, held: &str, version: bool) -> bool {
    match part {
        None | Some("*") | Some("all") | Some("") => true,
        Some("~") | Some("+") | Some("latest") => version,
        Some(p) => {
            p == held
                // A two-part version (`1.0`) names the same artefact as `1.0.0`.
                || (version && format!("{p}.0") == held)
        }
    }
}

impl StructureQuery {
    /// Parses the path after `/sdmx/structure/` (`{type}[/{agency}[/{id}[/{version}]]]`) and
    /// the `references` parameter (`none`, `parents`, `parentsandsiblings`, `ancestors`,
    /// `children`, `descendants`, `all`; default `children` for dataflows and data structures,
    /// so that one request gives a reader everything it needs, `none` otherwise).
    pub fn parse(path: &str, references: Option<&str>) -> Result<StructureQuery, PathError> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() > 5 {
            return Err(PathError::Bad(format!(
                "the structure path has {} parts; expected {{type}}/{{agency}}/{{id}}/{{version}}",
                parts.len()
            )));
        }
        let kind = parts.first().copied().unwrap_or_default();
        if !STRUCTURE_TYPES.contains(&kind) && kind != "*" {
            return Err(PathError::NotFound(
                "structure type".into(),
                format!(
                    "{kind} (this server holds: {})",
                    STRUCTURE_TYPES[..4].join(", ")
                ),
            ));
        }
        let (agency, id, version) = (
            parts.get(1).copied(),
            parts.get(2).copied(),
            parts.get(3).copied(),
        );
        if parts.len() == 5 {
            // An item query (one code of a codelist) is not answered.
            return Err(PathError::Bad(
                "item queries (a fifth path part) are not supported: ask for the whole codelist"
                    .into(),
            ));
        }
        let all = [Artefact::Dataflow, Artefact::DataStructure]
            .into_iter()
            .chain(CODELISTS.iter().map(|c| Artefact::Codelist(*c)))
            .chain([Artefact::ConceptScheme]);
        let of_type = |a: &Artefact| match kind {
            "dataflow" => *a == Artefact::Dataflow,
            "datastructure" => *a == Artefact::DataStructure,
            "codelist" => matches!(a, Artefact::Codelist(_)),
            "conceptscheme" => *a == Artefact::ConceptScheme,
            _ => true,
        };
        let found: Vec<Artefact> = all
            .filter(of_type)
            .filter(|a| {
                matches(agency, AGENCY, false)
                    && matches(id, a.id(), false)
                    && matches(version, VERSION, true)
            })
            .collect();
        if found.is_empty() {
            return Err(PathError::NotFound(
                kind.to_string(),
                format!(
                    "{}:{}({})",
                    agency.unwrap_or("*"),
                    id.unwrap_or("*"),
                    version.unwrap_or("*")
                ),
            ));
        }
        let default = if found
            .iter()
            .any(|a| matches!(a, Artefact::Dataflow | Artefact::DataStructure))
        {
            "children"
        } else {
            "none"
        };
        let references = references.map(str::trim).unwrap_or(default);
        let mut out: Vec<Artefact> = found.clone();
        let descend = |from: &[Artefact]| -> Vec<Artefact> {
            let mut all = Vec::new();
            let mut todo: Vec<Artefact> = from.to_vec();
            while let Some(a) = todo.pop() {
                for c in a.children() {
                    if !all.contains(&c) {
                        all.push(c);
                        todo.push(c);
                    }
                }
            }
            all
        };
        let ascend = |from: &[Artefact]| -> Vec<Artefact> {
            let mut all = Vec::new();
            let mut todo: Vec<Artefact> = from.to_vec();
            while let Some(a) = todo.pop() {
                for p in a.parents() {
                    if !all.contains(&p) {
                        all.push(p);
                        todo.push(p);
                    }
                }
            }
            all
        };
        let extra: Vec<Artefact> = match references {
            "none" => vec![],
            "children" => found.iter().flat_map(|a| a.children()).collect(),
            "descendants" => descend(&found),
            "parents" => found.iter().flat_map(|a| a.parents()).collect(),
            "ancestors" => ascend(&found),
            "parentsandsiblings" => {
                let parents: Vec<Artefact> = found.iter().flat_map(|a| a.parents()).collect();
                let siblings: Vec<Artefact> = parents.iter().flat_map(|p| p.children()).collect();
                parents.into_iter().chain(siblings).collect()
            }
            "all" => {
                let up = ascend(&found);
                let down = descend(&found);
                let mut all = up.clone();
                all.extend(down);
                all.extend(descend(&up));
                all
            }
            other => {
                return Err(PathError::Bad(format!(
                    "unknown references {other:?} (expected none, parents, parentsandsiblings, ancestors, children, descendants or all)"
                )))
            }
        };
        for a in extra {
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out.sort();
        Ok(StructureQuery { artefacts: out })
    }
}

fn urn(class: &str, id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.{class}={AGENCY}:{id}({VERSION})")
}

fn concept_urn(id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{CONCEPTS}({VERSION}).{id}")
}

fn codelist_urn(c: Codelist) -> String {
    urn("codelist.Codelist", c.id())
}

const DSD_URN_CLASS: &str = "datastructure.DataStructure";
const FLOW_URN_CLASS: &str = "datastructure.Dataflow";

/// `name` (Chinese: the reports' language) and `names` in both languages.
fn named(n: &Names) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(n.zh));
    m.insert("names".into(), json!({"zh": n.zh, "en": n.en}));
    m
}

/// The fields every maintainable artefact has.
fn maintainable(id: &str, names: &Names) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("agencyID".into(), json!(AGENCY));
    m.insert("version".into(), json!(VERSION));
    m.extend(named(names));
    m
}

fn flow_names() -> Names {
    Names {
        zh: "重庆市区县教育统计观测值".into(),
        en: "Education statistics of Chongqing's districts (observations)".into(),
    }
}

/// A message id (`^[A-Za-z0-9_@$-]+$`) from the preparation time.
fn message_id(kind: &str, prepared: &str) -> String {
    let digits: String = prepared.chars().filter(char::is_ascii_digit).collect();
    format!("{AGENCY}-{kind}-{digits}")
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

fn code(id: &str, names: &Names) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.extend(named(names));
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

/// A message: its parts in the order given, `meta` (with `schema`) first. serde_json's `Map`
/// sorts keys, which would put `data` first, and readers look for the schema at the start of
/// a message (pysdmx reads its first 350 characters to tell the message's kind).
#[derive(Debug, Clone, PartialEq)]
pub struct Message(pub Vec<(&'static str, Value)>);

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The `meta` of an SDMX-JSON 2.0 message. Its keys are sorted (`contentLanguages`, `id`,
/// `prepared`, `schema`, …): the schema's URL still ends within the first 350 characters.
fn meta(schema: &str, kind: &str, prepared: &str) -> Value {
    json!({
        "schema": schema,
        "id": message_id(kind, prepared),
        "test": false,
        "prepared": prepared,
        "contentLanguages": ["zh", "en"],
        "sender": {"id": AGENCY, "name": "edustats"},
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

/// The filters a data query's key holds (`DISTRICT.INDICATOR.BREAKDOWN.KIND.FIGURE`; each part
/// empty or `*` for any, or values joined by `,` or `+`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataQuery {
    /// District codes.
    pub districts: Option<Vec<String>>,
    /// Indicator codes.
    pub indicators: Option<Vec<String>>,
    /// One breakdown, in the warehouse's text form.
    pub breakdown: Option<String>,
    /// Kinds.
    pub kinds: Option<Vec<String>>,
    /// Figure numbers.
    pub figures: Option<Vec<u32>>,
}

impl DataQuery {
    /// Parses the path after `/sdmx/data/`: `{context}/{agency}/{id}/{version}[/{key}]`, where
    /// the context is `dataflow`, `datastructure` or `*`, and the rest must name `EDU_OBS`
    /// (wildcards allowed).
    pub fn parse(path: &str) -> Result<DataQuery, PathError> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() > 5 {
            return Err(PathError::Bad(format!(
                "the data path has {} parts; expected {{context}}/{{agency}}/{{id}}/{{version}}/{{key}}",
                parts.len()
            )));
        }
        let context = parts.first().copied().unwrap_or_default();
        if !matches!(context, "dataflow" | "datastructure" | "*") {
            return Err(PathError::NotFound(
                "data context".into(),
                format!("{context} (expected dataflow, datastructure or *)"),
            ));
        }
        let (agency, id, version) = (
            parts.get(1).copied(),
            parts.get(2).copied(),
            parts.get(3).copied(),
        );
        if !(matches(agency, AGENCY, false)
            && matches(id, FLOW, false)
            && matches(version, VERSION, true))
        {
            return Err(PathError::NotFound(
                context.to_string(),
                format!(
                    "{}:{}({})",
                    agency.unwrap_or("*"),
                    id.unwrap_or("*"),
                    version.unwrap_or("*")
                ),
            ));
        }
        match parts.get(4) {
            None => Ok(DataQuery::default()),
            Some(key) => Self::parse_key(key),
        }
    }

    /// Parses a key (see [`DataQuery`]); `*`, `all` or empty: everything.
    pub fn parse_key(key: &str) -> Result<DataQuery, PathError> {
        if matches!(key, "" | "*" | "all") {
            return Ok(DataQuery::default());
        }
        let parts: Vec<&str> = key.split('.').collect();
        if parts.len() != SERIES_DIMENSIONS.len() {
            return Err(PathError::Bad(format!(
                "the key {key:?} has {} part(s); EDU_OBS's key has {}: {}",
                parts.len(),
                SERIES_DIMENSIONS.len(),
                SERIES_DIMENSIONS.join(".")
            )));
        }
        let values = |p: &str| -> Option<Vec<String>> {
            if matches!(p, "" | "*") {
                return None;
            }
            Some(
                p.split([',', '+'])
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(String::from)
                    .collect(),
            )
        };
        let breakdown = match values(parts[2]) {
            None => None,
            Some(list) if list.len() == 1 => {
                Some(breakdown_code(&list[0]).ok_or_else(|| {
                    PathError::Bad(format!("{:?} is not a BREAKDOWN code", list[0]))
                })?)
            }
            Some(_) => {
                return Err(PathError::Bad(
                    "the key may name one BREAKDOWN at most".into(),
                ))
            }
        };
        let figures = values(parts[4])
            .map(|list| {
                list.iter()
                    .map(|f| {
                        f.parse::<u32>()
                            .map_err(|_| PathError::Bad(format!("{f:?} is not a FIGURE number")))
                    })
                    .collect::<Result<Vec<u32>, PathError>>()
            })
            .transpose()?;
        Ok(DataQuery {
            districts: values(parts[0]),
            indicators: values(parts[1]),
            breakdown,
            kinds: values(parts[3]),
            figures,
        })
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
    fn time_periods() {
        for (code, sdmx) in [
            ("2022", "2022"),
            ("2023-06", "2023-06"),
            ("2021..2022", "2021-01-01/P2Y"),
            ("2017..2020", "2017-01-01/P4Y"),
            ("2023-01..2023-06", "2023-01-01/P6M"),
            ("2026-01..2026-04", "2026-01-01/P4M"),
            ("2022-11..2023-02", "2022-11-01/P4M"),
            ("2022..2021", "2022..2021"),
            ("odd", "odd"),
        ] {
            assert_eq!(time_period(code), sdmx, "{code}");
        }
    }

    #[test]
    fn breakdown_ids_are_sdmx_ids_and_reverse() {
        for (code, id) in [
            ("", "_T"),
            ("stage=primary", "stage-primary"),
            (
                "ownership=public;stage=preschool",
                "ownership-public@stage-preschool",
            ),
            ("project=a.b", "project-a$2e$b"),
            ("学段=小学", "$5b66$$6bb5$-$5c0f$$5b66$"),
        ] {
            assert_eq!(breakdown_id(code), id, "{code}");
            assert_eq!(breakdown_code(id).as_deref(), Some(code), "{id}");
            assert!(id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_@$-".contains(c)));
        }
        assert_eq!(breakdown_code("a b"), None);
    }

    #[test]
    fn structure_paths() {
        let q = StructureQuery::parse("datastructure/EDUSTATS/EDU_OBS/1.0.0", None).unwrap();
        assert!(q.artefacts.contains(&Artefact::DataStructure));
        assert!(q
            .artefacts
            .contains(&Artefact::Codelist(Codelist::District)));
        assert!(!q.artefacts.contains(&Artefact::Dataflow));
        let q = StructureQuery::parse("datastructure/EDUSTATS/EDU_OBS/1.0", Some("none")).unwrap();
        assert_eq!(q.artefacts, vec![Artefact::DataStructure]);
        let q = StructureQuery::parse("dataflow/*/*/~", Some("descendants")).unwrap();
        assert_eq!(q.artefacts.len(), 1 + 1 + 5 + 1);
        let q = StructureQuery::parse("codelist/EDUSTATS/CL_KIND", None).unwrap();
        assert_eq!(q.artefacts, vec![Artefact::Codelist(Codelist::Kind)]);
        assert!(matches!(
            StructureQuery::parse("datastructure/EDUSTATS/NOPE/1.0.0", None),
            Err(PathError::NotFound(..))
        ));
        assert!(matches!(
            StructureQuery::parse("datastructure/EDUSTATS/EDU_OBS/2.0.0", None),
            Err(PathError::NotFound(..))
        ));
        assert!(matches!(
            StructureQuery::parse("hierarchy/EDUSTATS", None),
            Err(PathError::NotFound(..))
        ));
        assert!(matches!(
            StructureQuery::parse("dataflow", Some("cousins")),
            Err(PathError::Bad(_))
        ));
    }

    #[test]
    fn data_paths_and_keys() {
        assert_eq!(
            DataQuery::parse("dataflow/EDUSTATS/EDU_OBS/1.0.0").unwrap(),
            DataQuery::default()
        );
        let q = DataQuery::parse(
            "dataflow/EDUSTATS/EDU_OBS/~/500104+500153.schools.stage-primary.actual.*",
        )
        .unwrap();
        assert_eq!(q.districts, Some(vec!["500104".into(), "500153".into()]));
        assert_eq!(q.indicators, Some(vec!["schools".into()]));
        assert_eq!(q.breakdown.as_deref(), Some("stage=primary"));
        assert_eq!(q.kinds, Some(vec!["actual".into()]));
        assert_eq!(q.figures, None);
        assert!(matches!(
            DataQuery::parse("dataflow/EDUSTATS/EDU_OBS/1.0.0/a.b"),
            Err(PathError::Bad(_))
        ));
        assert!(matches!(
            DataQuery::parse("dataflow/X/EDU_OBS/1.0.0"),
            Err(PathError::NotFound(..))
        ));
        assert!(matches!(
            DataQuery::parse("provisionagreement/EDUSTATS/EDU_OBS"),
            Err(PathError::NotFound(..))
        ));
        assert!(matches!(
            DataQuery::parse_key("....x"),
            Err(PathError::Bad(_))
        ));
        assert!(matches!(
            DataQuery::parse_key("..a,b..."),
            Err(PathError::Bad(_))
        ));
    }

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
