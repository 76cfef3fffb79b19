//! The standards catalogue (`seeds/standards/<source-code>.csv`, format in `seeds/README.md`):
//! validation against the seed catalogue and the write inside the seed transaction.
//!
//! A standard is only as good as its citation, so the rules are strict: the quote must occur
//! in the text the file is named after (a seed report, `sources/<code>.txt`, or for a national
//! standard the national document's clauses, `references/<code>.txt`, in which case the
//! document's title, number and issuer are all required and the number must occur in that
//! text); a threshold, when given, needs its
//! comparator and a unit that converts to the indicator's; a standard without a document title
//! or without a threshold must say why in its note. Empty fields are what the reports do not
//! print: nothing is filled in from elsewhere.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::codes::{code_map, CodeMap};
use super::quantity::parse_quantity;
use super::rows::StandardRow;
use super::validate::{locate_quote, non_blank, squeeze, Catalog};
use super::{IngestError, Located, Place, Problem};
use crate::db::models::NewStandard;
use crate::db::schema::{districts, indicators, sources, standards};
use crate::db::DbConnection;
use crate::domain::{Breakdown, Comparator};

/// A standard row that passed validation.
#[derive(Debug, Clone)]
pub struct ValidStandard {
    /// Where it came from.
    pub at: Place,
    /// The row as written.
    pub row: StandardRow,
    /// The seed report that states or cites it (the file's name); `None` for a national
    /// standard, whose file is named after its reference text instead.
    pub source: Option<String>,
    /// The comparator, with the threshold in the indicator's canonical unit.
    pub threshold: Option<(Comparator, f64)>,
    /// The breakdown it applies to.
    pub scope: Breakdown,
}

/// Validates standard rows, each with the code its file is named after (a seed source, or a
/// reference text of `references`: code → the national document's clauses), appending every
/// problem found (with file and line).
pub fn validate(
    rows: Vec<(Located<StandardRow>, String)>,
    catalog: &Catalog,
    references: &BTreeMap<String, String>,
    p: &mut Vec<Problem>,
) -> Vec<ValidStandard> {
    let mut out = Vec::new();
    let mut first_at: HashMap<String, Place> = HashMap::new();
    for (Located { at, row }, source) in rows {
        let before = p.len();
        let mut bad =
            |field: &str, msg: String| p.push(at.problem(field, format!("{}: {msg}", row.code)));
        let code_ok = !row.code.is_empty()
            && row
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            bad("code", "a code is snake_case ASCII".into());
        }
        if let Some(first) = first_at.get(&row.code) {
            bad("code", format!("duplicate code (first at {first})"));
        } else {
            first_at.insert(row.code.clone(), at.clone());
        }
        if row.name_zh.trim().is_empty() || row.name_en.trim().is_empty() {
            bad("name_zh", "both names are required".into());
        }
        let indicator = non_blank(&row.indicator).and_then(|code| {
            let found = catalog.indicators.get(code);
            if found.is_none() {
                bad("indicator", format!("unknown indicator {code:?}"));
            }
            found.map(|i| (code, i))
        });
        let scope = Breakdown::parse_opt(row.scope.as_deref()).unwrap_or_else(|e| {
            bad("scope", e.to_string());
            Breakdown::total()
        });
        for (d, m) in scope.pairs() {
            if !catalog.members.contains(&(d.clone(), m.clone())) {
                bad("scope", format!("unknown breakdown member {d}={m}"));
            } else if let Some((code, info)) = indicator {
                if !info.dimensions.contains(d) {
                    bad("scope", format!("indicator {code} has no dimension {d:?}"));
                }
            }
        }
        if let Some(d) = non_blank(&row.district) {
            if !catalog.districts.contains(d) {
                bad("district", format!("unknown district {d:?}"));
            }
        }
        if let (Some(from), Some(to)) = (row.effective_from, row.effective_to) {
            if from > to {
                bad(
                    "effective_from",
                    format!("effective_from {from} is after effective_to {to}"),
                );
            }
        }
        let comparator = non_blank(&row.comparator).and_then(|c| {
            Comparator::parse(c)
                .map_err(|e| bad("comparator", e.to_string()))
                .ok()
        });
        let value = non_blank(&row.value);
        let unit = non_blank(&row.unit);
        if value.is_some() != non_blank(&row.comparator).is_some() {
            bad(
                "comparator",
                "comparator and value are given together or not at all".into(),
            );
        }
        if value.is_some() && indicator.is_none() {
            bad(
                "indicator",
                "a threshold needs the indicator it applies to".into(),
            );
        }
        if value.is_none() && non_blank(&row.note).is_none() {
            bad(
                "note",
                "a standard without a threshold says in its note why".into(),
            );
        }
        if non_blank(&row.doc_title).is_none() && non_blank(&row.note).is_none() {
            bad(
                "note",
                "a standard whose report names no document says so in its note".into(),
            );
        }
        let reference = references.get(&source);
        let text = match (catalog.bodies.get(&source), reference) {
            (Some(body), _) => Some(body),
            (None, Some(text)) => {
                // A national standard has no report to point to: its citation is the whole of
                // it, so the document is named in full and is the one the text is from.
                for (field, value) in [
                    ("doc_title", &row.doc_title),
                    ("doc_number", &row.doc_number),
                    ("issuer", &row.issuer),
                ] {
                    if non_blank(value).is_none() {
                        bad(
                            field,
                            format!("a national standard cites its document: {field} is required"),
                        );
                    }
                }
                if let Some(number) = non_blank(&row.doc_number) {
                    if !squeeze(text).0.contains(&squeeze(number).0) {
                        bad(
                            "doc_number",
                            format!("{number:?} does not occur in references/{source}.txt"),
                        );
                    }
                }
                Some(text)
            }
            (None, None) => {
                bad(
                    "source",
                    format!("no source or reference {source:?} (the file's name)"),
                );
                None
            }
        };
        let located = text.and_then(|body| {
            let found = locate_quote(body, &row.quote);
            if found.is_none() {
                bad(
                    "quote",
                    format!("quote not found in the text of {source}: {:?}", row.quote),
                );
            }
            found
        });
        let is_report = catalog.bodies.contains_key(&source);
        let mut threshold = None;
        if let Some(v) = value {
            let quantity = parse_quantity(v)
                .map_err(|e| bad("value", e.to_string()))
                .ok();
            let squeezed_quote = squeeze(&row.quote).0;
            for numeral in quantity.iter().flat_map(|q| &q.numerals) {
                if !squeezed_quote.contains(numeral.as_str()) {
                    bad(
                        "value",
                        format!(
                            "the number {numeral:?} of value {v:?} does not occur in the quote"
                        ),
                    );
                }
            }
            let conversion = match unit {
                None => {
                    bad("unit", "a threshold needs its unit".into());
                    None
                }
                Some(u) => {
                    let c = catalog.units.get(u).copied();
                    if c.is_none() {
                        bad("unit", format!("unknown unit {u:?}"));
                    }
                    c
                }
            };
            if let (Some((canonical, _)), Some((code, info))) = (conversion, indicator) {
                if canonical != info.unit {
                    bad(
                        "unit",
                        format!(
                            "unit {:?} converts to {canonical}, but {code} is in {}",
                            unit.unwrap_or_default(),
                            info.unit
                        ),
                    );
                }
            }
            if let (Some(q), Some((_, factor)), Some(c)) = (quantity, conversion, comparator) {
                threshold = Some((c, q.value * factor));
            }
        }
        if p.len() > before || located.is_none() {
            continue;
        }
        out.push(ValidStandard {
            at,
            row,
            source: is_report.then_some(source),
            threshold,
            scope,
        });
    }
    out
}

fn id_in(map: &CodeMap, what: &str, code: &str) -> Result<i32, IngestError> {
    map.id(code)
        .ok_or_else(|| IngestError::Inconsistent(format!("{what} {code:?} vanished")))
}

/// Writes validated standards (inside the seed transaction, after the catalogue and the
/// sources they refer to).
pub fn write(conn: &mut DbConnection, rows: &[ValidStandard]) -> Result<(), IngestError> {
    if rows.is_empty() {
        return Ok(());
    }
    let indicator_ids = code_map!(conn, indicators);
    let source_ids = code_map!(conn, sources);
    let district_ids = code_map!(conn, districts);
    for s in rows {
        let r = &s.row;
        let indicator_id = match non_blank(&r.indicator) {
            Some(code) => Some(id_in(&indicator_ids, "indicator", code)?),
            None => None,
        };
        let district_id = match non_blank(&r.district) {
            Some(code) => Some(id_in(&district_ids, "district", code)?),
            None => None,
        };
        let scope = s.scope.to_string();
        diesel::insert_into(standards::table)
            .values(NewStandard {
                code: &r.code,
                name_zh: r.name_zh.trim(),
                name_en: r.name_en.trim(),
                indicator_id,
                comparator: s.threshold.map(|(c, _)| c.as_str()),
                value: s.threshold.map(|(_, v)| v),
                value_text: non_blank(&r.value),
                reported_unit: non_blank(&r.unit),
                scope: &scope,
                district_id,
                effective_from: r.effective_from,
                effective_to: r.effective_to,
                doc_title: non_blank(&r.doc_title),
                doc_number: non_blank(&r.doc_number),
                issuer: non_blank(&r.issuer),
                source_id: match &s.source {
                    Some(code) => Some(id_in(&source_ids, "source", code)?),
                    None => None,
                },
                quote: r.quote.trim(),
                note: non_blank(&r.note),
            })
            .execute(conn)?;
    }
    Ok(())
}
