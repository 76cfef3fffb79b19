//! The SDMX REST paths this server answers, following the SDMX REST API 2.0 path patterns:
//! `structure/{type}/{agency}/{id}/{version}` ([`StructureQuery`]: which artefacts, with those
//! its `references` parameter adds) and `data/{context}/{agency}/{id}/{version}/{key}`
//! ([`DataQuery`]: the key's filters); the artefacts ([`Artefact`], [`Codelist`]) they name.

use super::{breakdown_code, AGENCY, CONCEPTS, FLOW, SERIES_DIMENSIONS, VERSION};
use crate::export::cube::Names;

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
    pub(super) fn id(self) -> &'static str {
        match self {
            Codelist::District => "CL_DISTRICT",
            Codelist::Indicator => "CL_INDICATOR",
            Codelist::Breakdown => "CL_BREAKDOWN",
            Codelist::Kind => "CL_KIND",
            Codelist::Qualifier => "CL_QUALIFIER",
        }
    }

    pub(super) fn names(self) -> Names {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
