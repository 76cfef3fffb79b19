//! Validation of observation rows and source records against a [`Catalog`]: the same rules for
//! seeds, imports, corrections and (later) reviewed extraction drafts.
//!
//! Every problem is collected, each with its place and field: a curator fixing a file wants the
//! whole list, not the first error. Only rows without any problem come out validated.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::period::{parse_period, ParsedPeriod};
use super::quantity::parse_quantity;
use super::rows::{IndicatorRow, ObservationRow, SourceInput};
use super::said::Said;
use super::{Located, Place, Problem};
use crate::domain::{Breakdown, CanonicalUnit, Qualifier, SeriesSpec, SourceKind};

/// What an indicator is validated against.
#[derive(Debug, Clone)]
pub struct IndicatorInfo {
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Dimensions it may be broken down by.
    pub dimensions: Vec<String>,
    /// Lowest valid value.
    pub min: Option<f64>,
    /// Highest valid value.
    pub max: Option<f64>,
}

/// The catalogue rows are validated against: read from the seed folder for `seed`, from the
/// database for imports.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// District codes.
    pub districts: HashSet<String>,
    /// Reported unit → (canonical unit, factor). Every canonical unit is a unit of itself.
    pub units: HashMap<String, (CanonicalUnit, f64)>,
    /// Indicators by code.
    pub indicators: HashMap<String, IndicatorInfo>,
    /// (dimension, member) pairs.
    pub members: HashSet<(String, String)>,
    /// Source code → text.
    pub bodies: HashMap<String, String>,
}

impl Catalog {
    /// Accepts every canonical unit code as a unit of itself.
    pub fn with_canonical_units(mut self) -> Self {
        for &u in CanonicalUnit::all() {
            self.units.entry(u.as_str().to_string()).or_insert((u, 1.0));
        }
        self
    }
}

/// What to do with an actual or target value outside its indicator's valid range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRange {
    /// Keep it as printed: the `range` quality rule flags it (seeds record reports as they are).
    Keep,
    /// Reject it as a problem (imports: a typo is likelier than a report's error).
    Reject,
}

/// An observation row that passed validation, with everything resolved.
#[derive(Debug, Clone)]
pub struct ValidObservation {
    /// Where the row came from.
    pub at: Place,
    /// The row as given.
    pub row: ObservationRow,
    /// Source code.
    pub source: String,
    /// Canonical code of the reference period.
    pub period: String,
    /// Canonical code of the base period, for a change.
    pub base_period: Option<String>,
    /// Breakdown.
    pub breakdown: Breakdown,
    /// The figure in its canonical unit.
    pub value: f64,
    /// Qualifier of the printed figure.
    pub qualifier: Qualifier,
    /// Character offset of the quote in the source text.
    pub quote_start: usize,
    /// Character offset just past the quote.
    pub quote_end: usize,
}

impl ValidObservation {
    /// The period note, trimmed; `None` when blank.
    pub fn period_note(&self) -> Option<&str> {
        non_blank(&self.row.period_note)
    }

    /// The note, trimmed; `None` when blank.
    pub fn note(&self) -> Option<&str> {
        non_blank(&self.row.note)
    }
}

/// An optional text, trimmed, `None` when blank.
pub fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Validated observation rows with the periods and breakdowns they need.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// Rows that passed.
    pub observations: Vec<ValidObservation>,
    /// Periods used (including base periods), by code.
    pub periods: BTreeMap<String, ParsedPeriod>,
    /// Breakdowns used.
    pub breakdowns: BTreeSet<Breakdown>,
    /// Every key seen (valid or not).
    pub keys: HashSet<String>,
}

/// Validates observation rows, each with the code of its source, appending every problem
/// found.
pub fn observations(
    rows: Vec<(Located<ObservationRow>, String)>,
    catalog: &Catalog,
    out_of_range: OutOfRange,
    p: &mut Vec<Problem>,
) -> Validated {
    let mut validator = Validator::new(out_of_range);
    let mut out = validator.rows(rows, catalog, p);
    out.keys = validator.first_at.into_keys().collect();
    out
}

/// The message of a row whose key an earlier row (at `first`) has, after the row's key.
pub fn duplicate_key(first: impl std::fmt::Display) -> String {
    format!("duplicate key (first at {first})")
}

/// The message of a row whose content an earlier row (keyed `first`) has, after its key.
pub fn duplicate_row(first: &str) -> String {
    format!("duplicate row: same figure, period, breakdown and quote as {first}")
}

/// Validation state that outlives one batch of rows: the keys and figures seen (duplicates
/// are refused across the whole input, not only within a batch) and the whitespace-free
/// source texts quotes are looked up in (squeezed once per source, not once per row). A
/// streamed import validates its chunks with one `Validator`.
#[derive(Debug)]
pub struct Validator {
    out_of_range: OutOfRange,
    first_at: HashMap<String, Place>,
    /// A 128-bit digest of each row's content (district, indicator, period, breakdown, kind,
    /// source, figure, unit, quote) → its key and place; a digest, not the text, keeps memory
    /// small.
    contents: HashMap<u128, (String, Place)>,
    squeezed: HashMap<String, (String, Vec<u32>)>,
}

/// The first occurrences of keys and of row contents a [`Validator`] saw since it last handed
/// them over ([`Validator::take_seen`]).
#[derive(Debug, Default)]
pub struct Seen {
    /// Each key, with the place of its first row.
    pub keys: HashMap<String, Place>,
    /// Each content's 128-bit digest, with the key and place of its first row.
    pub contents: HashMap<u128, (String, Place)>,
}

/// A 128-bit digest of a row's content text.
fn digest(content: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    // Two SipHash runs with different prefixes: a chance collision is ~2^-128.
    let mut a = std::collections::hash_map::DefaultHasher::new();
    (0u8, content).hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (1u8, content).hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

impl Validator {
    /// A validator with nothing seen yet.
    pub fn new(out_of_range: OutOfRange) -> Validator {
        Validator {
            out_of_range,
            first_at: HashMap::new(),
            contents: HashMap::new(),
            squeezed: HashMap::new(),
        }
    }

    /// Forgets the squeezed texts of the sources `keep` refuses (a streamed import keeps those
    /// its current chunk names, so that memory does not grow with the sources a file names).
    pub fn retain_sources(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.squeezed.retain(|code, _| keep(code));
    }

    /// Hands over the keys and contents seen so far and forgets them, so that the validator
    /// checks later rows only against the rows after this call. A streamed import keeps what
    /// it takes in the database ([`super::earlier`]): memory stays that of one chunk.
    pub fn take_seen(&mut self) -> Seen {
        Seen {
            keys: std::mem::take(&mut self.first_at),
            contents: std::mem::take(&mut self.contents),
        }
    }

    /// Validates a batch of rows (each with its source code); appends every problem.
    pub fn rows(
        &mut self,
        rows: Vec<(Located<ObservationRow>, String)>,
        catalog: &Catalog,
        p: &mut Vec<Problem>,
    ) -> Validated {
        let out_of_range = self.out_of_range;
        let mut out = Validated::default();
        for (Located { at, row }, source) in rows {
            let before = p.len();
            let mut bad = |field: &str, said: Said| p.push(at.said(field, said).of_key(&row.key));
            if let Some(first) = self.first_at.get(&row.key) {
                bad(
                    "key",
                    Said::DuplicateKey {
                        detail: duplicate_key(first),
                    },
                );
            } else {
                self.first_at.insert(row.key.clone(), at.clone());
            }
            if !catalog.districts.contains(&row.district) {
                bad(
                    "district",
                    Said::UnknownDistrict {
                        district: row.district.clone(),
                    },
                );
            }
            let period = parse_period(&row.period)
                .map_err(|detail| {
                    let period = row.period.clone();
                    bad("period", Said::BadPeriod { period, detail })
                })
                .ok();
            let base_period = non_blank(&row.base_period).and_then(|b| {
                parse_period(b)
                    .map_err(|detail| {
                        let period = b.to_string();
                        bad("base_period", Said::BadPeriod { period, detail })
                    })
                    .ok()
            });
            let breakdown = Breakdown::parse_opt(row.breakdown.as_deref()).unwrap_or_else(|e| {
                let breakdown = row.breakdown.clone().unwrap_or_default();
                let detail = e.to_string();
                bad("breakdown", Said::BadBreakdown { breakdown, detail });
                Breakdown::total()
            });
            let indicator = catalog.indicators.get(&row.indicator);
            if indicator.is_none() {
                bad(
                    "indicator",
                    Said::UnknownIndicator {
                        indicator: row.indicator.clone(),
                    },
                );
            }
            for (d, m) in breakdown.pairs() {
                if !catalog.members.contains(&(d.clone(), m.clone())) {
                    let (dimension, member) = (d.clone(), m.clone());
                    bad("breakdown", Said::UnknownMember { dimension, member });
                } else if let Some(info) = indicator {
                    if !info.dimensions.contains(d) {
                        let indicator = row.indicator.clone();
                        let dimension = d.clone();
                        bad(
                            "breakdown",
                            Said::NoDimension {
                                indicator,
                                dimension,
                            },
                        );
                    }
                }
            }
            let quantity = parse_quantity(&row.value)
                .map_err(|e| {
                    let value = row.value.clone();
                    let detail = e.to_string();
                    bad("value", Said::BadValue { value, detail })
                })
                .ok();
            let conversion = catalog.units.get(&row.unit).copied();
            if conversion.is_none() {
                let unit = row.unit.clone();
                bad("unit", Said::UnknownUnit { unit });
            }
            let expected_unit = indicator.map(|i| row.kind.value_unit(i.unit));
            if let (Some((canonical, _)), Some(expected)) = (conversion, expected_unit) {
                if canonical != expected {
                    bad(
                        "unit",
                        Said::UnitMismatch {
                            unit: row.unit.clone(),
                            converts_to: canonical.to_string(),
                            kind: row.kind.to_string(),
                            indicator: row.indicator.clone(),
                            expected: expected.to_string(),
                        },
                    );
                }
            }
            // Squeezed once per row: the lookup in the source and the numeral check share it.
            let squeezed_quote = squeeze(&row.quote).0;
            let located = match catalog.bodies.get(&source) {
                None => {
                    let source = source.clone();
                    bad("source", Said::UnknownSource { source });
                    None
                }
                Some(body) => {
                    // Looked up before inserting: no copy of the code per row.
                    if !self.squeezed.contains_key(&source) {
                        self.squeezed.insert(source.clone(), squeeze(body));
                    }
                    let found = self.squeezed.get(&source).and_then(|squeezed| {
                        locate_squeezed(squeezed, &squeezed_quote)
                            .or_else(|| locate_cell(squeezed, &row.quote))
                    });
                    if found.is_none() {
                        let (source, quote) = (source.clone(), row.quote.clone());
                        bad("quote", Said::QuoteNotFound { source, quote });
                    }
                    found
                }
            };
            for numeral in quantity.iter().flat_map(|q| &q.numerals) {
                if !squeezed_quote.contains(numeral.as_str()) {
                    let (number, value) = (numeral.clone(), row.value.clone());
                    bad("value", Said::NumberNotInQuote { number, value });
                }
            }
            // The same figure twice (under two keys) would be counted twice by every query.
            let content = format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}",
                row.district,
                row.indicator,
                row.period.trim(),
                breakdown,
                row.kind,
                source,
                row.value,
                row.unit,
                squeezed_quote
            );
            let content = digest(&content);
            if let Some((first, _)) = self.contents.get(&content) {
                bad(
                    "key",
                    Said::DuplicateRow {
                        detail: duplicate_row(first),
                    },
                );
            } else {
                self.contents.insert(content, (row.key.clone(), at.clone()));
            }
            let value = match (&quantity, conversion) {
                (Some(q), Some((_, factor))) => Some(q.value * factor),
                _ => None,
            };
            if let (OutOfRange::Reject, Some(v), Some(info)) = (out_of_range, value, indicator) {
                let outside = info.min.is_some_and(|m| v < m) || info.max.is_some_and(|m| v > m);
                if row.kind.is_level() && outside {
                    let bound =
                        |b: Option<f64>, inf: &str| b.map_or(inf.to_string(), |m| m.to_string());
                    bad(
                        "value",
                        Said::OutOfRange {
                            value: v.to_string(),
                            min: bound(info.min, "-inf"),
                            max: bound(info.max, "+inf"),
                            indicator: row.indicator.clone(),
                        },
                    );
                }
            }
            if p.len() > before {
                continue;
            }
            if let (Some(q), Some(value), Some((start, end)), Some(period)) =
                (quantity, value, located, period)
            {
                out.breakdowns.insert(breakdown.clone());
                let base_code = base_period.as_ref().map(|b| b.code.clone());
                out.periods.insert(period.code.clone(), period.clone());
                if let Some(b) = base_period {
                    out.periods.insert(b.code.clone(), b);
                }
                out.observations.push(ValidObservation {
                    at,
                    row,
                    source,
                    period: period.code,
                    base_period: base_code,
                    breakdown,
                    value,
                    qualifier: q.qualifier,
                    quote_start: start,
                    quote_end: end,
                });
            }
        }
        out
    }
}

/// Longest source code, in characters.
pub const MAX_SOURCE_CODE_LEN: usize = 100;

/// What is wrong with a source code, if anything: 1 to [`MAX_SOURCE_CODE_LEN`] lower-case ASCII
/// letters, digits and `-`, beginning with a letter or digit. The one rule for every way a code
/// comes in (imports, draft extraction, the CLI), so a code that names a file path or fills a
/// page cannot enter anywhere.
pub fn source_code_problem(code: &str) -> Option<String> {
    let shown = |c: &str| -> String {
        let mut s: String = c.chars().take(40).collect();
        if c.chars().count() > 40 {
            s.push('…');
        }
        s
    };
    let n = code.chars().count();
    if n == 0 {
        Some("the source code is empty: use lower-case letters, digits and '-'".into())
    } else if n > MAX_SOURCE_CODE_LEN {
        Some(format!(
            "the source code {:?} is {n} characters long: at most {MAX_SOURCE_CODE_LEN}",
            shown(code)
        ))
    } else if !code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || code.starts_with('-')
    {
        Some(format!(
            "invalid source code {:?}: use lower-case letters, digits and '-' (not first)",
            shown(code)
        ))
    } else {
        None
    }
}

/// Validates a source record; returns its kind when it has no problem.
pub fn source(
    s: &SourceInput,
    at: &Place,
    catalog: &Catalog,
    p: &mut Vec<Problem>,
) -> Option<SourceKind> {
    let before = p.len();
    let mut bad = |field: &str, msg: String| p.push(at.problem(field, msg));
    if let Some(why) = source_code_problem(&s.code) {
        bad("code", why);
    }
    if !catalog.districts.contains(&s.district) {
        bad("district", format!("unknown district {:?}", s.district));
    }
    let kind = SourceKind::parse(&s.kind)
        .map_err(|e| bad("kind", e.to_string()))
        .ok();
    if s.text.trim().is_empty() {
        bad("text", "the source text is empty".into());
    }
    for (field, v) in [
        ("title_zh", &s.title_zh),
        ("title_en", &s.title_en),
        ("issuer", &s.issuer),
    ] {
        if v.trim().is_empty() {
            bad(field, format!("{field} is required"));
        }
    }
    if let Some(date) = non_blank(&s.date) {
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
            bad(
                "date",
                format!("date {date:?} is not an ISO date (YYYY-MM-DD)"),
            );
        }
    }
    if p.len() > before {
        None
    } else {
        kind
    }
}

/// Whether `s` holds a Chinese character (CJK unified ideographs): a Chinese name or
/// definition does.
pub fn holds_chinese(s: &str) -> bool {
    s.chars().any(crate::domain::is_han)
}

/// Validates a catalogue indicator (a seed row, or a new indicator confirmed while reviewing a
/// draft): names and definition present, share specs parseable, dimensions known. Returns its
/// dimensions; appends a problem per fault.
pub fn indicator(
    i: &IndicatorRow,
    at: &Place,
    known_dimension: impl Fn(&str) -> bool,
    p: &mut Vec<Problem>,
) -> Vec<String> {
    let mut bad = |field: &str, msg: String| {
        p.push(at.problem(field, format!("indicator {}: {msg}", i.code)))
    };
    if i.name_zh.is_empty() || i.name_en.is_empty() || i.definition.is_empty() {
        bad("name_zh", "names and definition are required".into());
    }
    for (field, spec) in [("numerator", &i.numerator), ("denominator", &i.denominator)] {
        if let Some(spec) = non_blank(spec) {
            if let Err(e) = spec.parse::<SeriesSpec>() {
                bad(field, e.to_string());
            }
        }
    }
    // An alias is another Chinese name as reports print it (总投资), so it holds Chinese.
    for alias in i
        .aliases
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        if !holds_chinese(alias) {
            bad("aliases", format!("alias {alias:?} is not a Chinese name"));
        }
    }
    if i.additive == Some(true) && !i.unit.is_additive() {
        bad(
            "additive",
            format!("a value in {} does not add up across districts", i.unit),
        );
    }
    let dims: Vec<String> = i
        .dimensions
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(String::from)
        .collect();
    for d in &dims {
        if !known_dimension(d) {
            bad("dimensions", format!("unknown dimension {d:?}"));
        }
    }
    dims
}

/// Removes every whitespace character, remembering for each kept character its char offset in
/// the original: quotes are matched whitespace-insensitively (report texts break lines
/// mid-sentence and pad numbers with spaces) but offsets point into the original text.
///
/// Offsets are `u32` (a source text is far below 4G characters): the map is the largest part
/// of a squeezed text, and an import keeps one per source its current chunk names.
pub fn squeeze(text: &str) -> (String, Vec<u32>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::new();
    for (i, c) in (0u32..).zip(text.chars()) {
        if !c.is_whitespace() {
            out.push(c);
            map.push(i);
        }
    }
    (out, map)
}

/// Finds `quote` in `body` ignoring whitespace; returns char offsets `[start, end)` in `body`.
pub fn locate_quote(body: &str, quote: &str) -> Option<(usize, usize)> {
    locate_in(&squeeze(body), quote)
}

/// [`locate_quote`] in a body already squeezed.
fn locate_in(squeezed: &(String, Vec<u32>), quote: &str) -> Option<(usize, usize)> {
    locate_squeezed(squeezed, &squeeze(quote).0)
}

/// [`locate_in`] with the quote already squeezed. The search is `memchr`'s SIMD `memmem`
/// (leftmost match, as `str::find`, which it replaces: the per-row search of a source text
/// of thousands of characters was the largest single cost of validating an import).
fn locate_squeezed(
    (squeezed_body, map): &(String, Vec<u32>),
    squeezed_quote: &str,
) -> Option<(usize, usize)> {
    if squeezed_quote.is_empty() {
        return None;
    }
    // A match of a valid UTF-8 needle in a valid UTF-8 haystack starts on a char boundary.
    let byte_pos = memchr::memmem::find(squeezed_body.as_bytes(), squeezed_quote.as_bytes())?;
    let start_char = squeezed_body[..byte_pos].chars().count();
    let len = squeezed_quote.chars().count();
    let start = *map.get(start_char)? as usize;
    let end = *map.get(start_char + len - 1)? as usize + 1;
    Some((start, end))
}

/// Between the headers of a table cell's quote (see [`cell_quote`]).
pub const CELL_HEADER_SEPARATOR: &str = " · ";
/// Between a table cell's headers and its value.
const CELL_VALUE_SEPARATOR: char = '：';

/// The quote of a figure read from a table's cell: its headers (row headers first, then column
/// headers), then the cell as printed: `初级中学 · 在校生数（人）：2345`. The table's text
/// holds no passage naming both, so such a quote is found by its parts ([`locate_cell`]).
pub fn cell_quote(headers: &[String], printed: &str) -> String {
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|h| !h.is_empty())
        .collect();
    format!(
        "{}{CELL_VALUE_SEPARATOR}{}",
        headers.join(CELL_HEADER_SEPARATOR),
        printed.trim()
    )
}

/// Where a table cell's quote ([`cell_quote`]) is in a squeezed text: every header is in the
/// text, and the cell is the first place after them where the value stands alone (not inside
/// a longer number). `None` for a quote of another form or whose parts are not all there.
fn locate_cell(squeezed: &(String, Vec<u32>), quote: &str) -> Option<(usize, usize)> {
    let (headers, value) = quote.rsplit_once(CELL_VALUE_SEPARATOR)?;
    let value = squeeze(value).0;
    if value.is_empty() || headers.trim().is_empty() {
        return None;
    }
    let (body, map) = squeezed;
    let mut after = 0;
    for h in headers.split(CELL_HEADER_SEPARATOR) {
        let h = squeeze(h).0;
        if h.is_empty() {
            return None;
        }
        let at = memchr::memmem::find(body.as_bytes(), h.as_bytes())?;
        after = after.max(at + h.len());
    }
    let numeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',');
    let len = value.chars().count();
    let mut from = after;
    // Characters before `from`, counted as the search moves on (not again from the start).
    let mut chars_before = body[..from].chars().count();
    while let Some(p) = memchr::memmem::find(&body.as_bytes()[from..], value.as_bytes()) {
        let at = from + p;
        let end = at + value.len();
        let start_char = chars_before + body[from..at].chars().count();
        let (Some(&first), Some(&last)) = (map.get(start_char), map.get(start_char + len - 1))
        else {
            return None;
        };
        // Squeezing joins the cells of a row (5\t1234 → 51234): a neighbour counts only when
        // no white space stood between them.
        let joined_before = start_char > 0
            && map.get(start_char - 1).is_some_and(|&o| o + 1 == first)
            && numeric(body[..at].chars().next_back());
        let joined_after = map.get(start_char + len).is_some_and(|&o| o == last + 1)
            && numeric(body[end..].chars().next());
        if !joined_before && !joined_after {
            return Some((first as usize, last as usize + 1));
        }
        let step = value.chars().next().map_or(1, char::len_utf8);
        chars_before = start_char + 1;
        from = at + step;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_quote_is_found_by_its_headers_and_its_value() {
        // SYNTHETIC table rendered as text: a row per line, cells tab-separated.
        let body = "学校类型\t学校数（所）\t在校生数（人）\n小学\t12\t2345\n初级中学\t5\t1234\n";
        let squeezed = squeeze(body);
        let quote = cell_quote(&["初级中学".into(), "在校生数（人）".into()], "1234");
        assert_eq!(quote, "初级中学 · 在校生数（人）：1234");
        let (s, e) = locate_cell(&squeezed, &quote).expect("located");
        let found: String = body.chars().skip(s).take(e - s).collect();
        assert_eq!(found, "1234");
        assert_eq!(
            s,
            body.find("1234")
                .map(|b| body[..b].chars().count())
                .unwrap()
        );
        // A value standing inside a longer number is not the cell; a missing header fails.
        assert!(locate_cell(&squeezed, "初级中学 · 在校生数（人）：23").is_none());
        assert!(locate_cell(&squeezed, "高级中学 · 在校生数（人）：1234").is_none());
        assert!(locate_cell(&squeezed, "没有表头的引文").is_none());
    }

    #[test]
    fn quotes_match_across_whitespace_and_map_offsets() {
        let body = "一是全区共有\n学校 269所，其中公办172所。";
        let (s, e) = locate_quote(body, "共有学校269所").unwrap();
        let found: String = body.chars().skip(s).take(e - s).collect();
        assert_eq!(found, "共有\n学校 269所");
        assert!(locate_quote(body, "共有学校270所").is_none());
        assert!(locate_quote(body, "  ").is_none());
    }
}
