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
//!
//! By concern: `data.rs` the data messages (SDMX-CSV, SDMX-JSON), `structure.rs` the structure
//! message, `paths.rs` the REST paths and the artefacts they name; this module the identifiers,
//! codes and concepts they all use, and the message envelope.

mod data;
mod paths;
mod structure;

use serde_json::{json, Map, Value};

use super::cube::Names;

pub use data::{data_message, write_csv, JsonVersion, CSV_HEADER};
pub use paths::{Artefact, Codelist, DataQuery, PathError, StructureQuery};
pub use structure::structure_message;

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

fn urn(class: &str, id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.{class}={AGENCY}:{id}({VERSION})")
}

fn concept_urn(id: &str) -> String {
    format!("urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{CONCEPTS}({VERSION}).{id}")
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

/// A coded item: its id and names.
fn code(id: &str, names: &Names) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.extend(named(names));
    Value::Object(m)
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
}
