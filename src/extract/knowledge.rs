//! What the extractor knows: the catalogue (indicators with their names, units and dimensions;
//! reported units; breakdown members; divisions) and, as cues, the clauses of published
//! observations. Built from the database (the live warehouse) or from a validated seed folder
//! (for the leave-one-report-out evaluation); either way a source can be left out, together with
//! the indicators only it uses.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::models::{IndicatorId, ObservationId, SourceId};
use crate::db::{queries, DbConnection};
use crate::domain::{Breakdown, CanonicalUnit, Category, ObservationKind};
use crate::ingest::codes::Codes;
use crate::ingest::seed::Dataset;

/// A catalogue indicator as the matcher sees it.
#[derive(Debug, Clone)]
pub struct IndicatorCue {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// Other Chinese names reports print for it (catalogue aliases).
    pub aliases: Vec<String>,
    /// Canonical unit.
    pub unit: CanonicalUnit,
    /// Category.
    pub category: Category,
    /// Dimensions it may be broken down by.
    pub dimensions: Vec<String>,
    /// Lowest valid value.
    pub min: Option<f64>,
    /// Highest valid value.
    pub max: Option<f64>,
}

/// A published observation, as a cue: the words that led to its figure.
#[derive(Debug, Clone)]
pub struct Example {
    /// Indicator code.
    pub indicator: String,
    /// The quote up to the figure (the words that name what is counted).
    pub lead: String,
    /// The quote after the figure and its unit (建成5所**学校**: the noun often follows).
    pub after: String,
    /// The head of its sentence in its source text, when the figure stands later in it (see
    /// [`super::matcher::head_of`]).
    pub head: Option<String>,
    /// The unit printed with the figure.
    pub unit: String,
    /// Its kind.
    pub kind: ObservationKind,
    /// Its breakdown.
    pub breakdown: Breakdown,
    /// Its value in the canonical unit.
    pub value: f64,
}

/// A breakdown member and the words that name it in reports.
#[derive(Debug, Clone)]
pub struct MemberCue {
    /// Dimension code.
    pub dimension: String,
    /// The dimension's Chinese name (学校类型).
    pub dimension_zh: String,
    /// Member code.
    pub member: String,
    /// Words naming it (its Chinese name and short forms of it).
    pub words: Vec<String>,
}

/// Everything the extractor knows.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// Indicators.
    pub indicators: Vec<IndicatorCue>,
    /// Reported unit → (canonical unit, factor).
    pub units: HashMap<String, (CanonicalUnit, f64)>,
    /// Reported units, longest first (for longest-match scanning).
    pub unit_spellings: Vec<String>,
    /// Breakdown members.
    pub members: Vec<MemberCue>,
    /// Divisions: (code, Chinese name, English name).
    pub districts: Vec<(String, String, String)>,
    /// Cues from published observations.
    pub examples: Vec<Example>,
    /// Indicator profiles built from the above (see [`super::matcher`]).
    pub profiles: super::matcher::Profiles,
}

/// Spelling variants of breakdown member names that reports use (a member's own name is
/// always a cue; these are its usual short forms).
const MEMBER_VARIANTS: &[(&str, &str, &[&str])] = &[
    ("stage", "preschool", &["学前", "幼儿园", "在园"]),
    ("stage", "primary", &["小学"]),
    ("stage", "junior_secondary", &["初中"]),
    ("stage", "senior_secondary", &["高中"]),
    (
        "stage",
        "secondary_vocational",
        &["中职", "职业学校", "职业院校"],
    ),
    ("stage", "compulsory", &["义务教育"]),
    ("stage", "special", &["特殊教育", "特教"]),
];

impl Knowledge {
    /// Completes a knowledge whose catalogue and examples are set: canonical units, unit
    /// spellings, member variants and the matcher's profiles.
    pub(super) fn finish(mut self) -> Knowledge {
        for &u in CanonicalUnit::all() {
            self.units.entry(u.as_str().to_string()).or_insert((u, 1.0));
        }
        let mut spellings: Vec<String> = self
            .units
            .keys()
            // Canonical codes (`yuan`, `percent`) are not printed in reports.
            .filter(|u| !u.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .cloned()
            .collect();
        spellings.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        self.unit_spellings = spellings;
        for m in &mut self.members {
            for (d, mm, words) in MEMBER_VARIANTS {
                if m.dimension == *d && m.member == *mm {
                    m.words.extend(words.iter().map(|w| w.to_string()));
                }
            }
            m.words.sort();
            m.words.dedup();
        }
        self.profiles = super::matcher::Profiles::build(&self);
        self
    }

    /// The Chinese name of a division.
    pub fn district_name(&self, code: &str) -> Option<&str> {
        self.districts
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|(_, n, _)| n.as_str())
    }

    /// Built from a validated seed folder, leaving out the observations of `exclude` and the
    /// indicators no other source uses (so they are unknown, as a new report's would be).
    pub fn from_dataset(data: &Dataset, exclude: Option<&str>) -> Knowledge {
        let kept: Vec<_> = data
            .plan
            .create
            .iter()
            .filter(|o| Some(o.source.as_str()) != exclude)
            .collect();
        let used: HashSet<&str> = kept.iter().map(|o| o.row.indicator.as_str()).collect();
        let indicators = data
            .indicators
            .iter()
            .filter(|(i, _)| exclude.is_none() || used.contains(i.code.as_str()))
            .map(|(i, dims)| IndicatorCue {
                code: i.code.clone(),
                name_zh: i.name_zh.clone(),
                aliases: split_aliases(&i.aliases),
                unit: i.unit,
                category: i.category,
                dimensions: dims.clone(),
                min: i.min,
                max: i.max,
            })
            .collect();
        let texts: HashMap<&str, Vec<char>> = data
            .plan
            .sources
            .iter()
            .map(|(s, _)| (s.code.as_str(), s.text.chars().collect()))
            .collect();
        let examples = kept
            .iter()
            .map(|o| Example {
                indicator: o.row.indicator.clone(),
                head: texts.get(o.source.as_str()).and_then(|text| {
                    head_in(text, o.quote_start, &lead_of(&o.row.quote, &o.row.value))
                }),
                lead: lead_of(&o.row.quote, &o.row.value),
                after: after_of(&o.row.quote, &o.row.value, &o.row.unit),
                unit: o.row.unit.clone(),
                kind: o.row.kind,
                breakdown: o.breakdown.clone(),
                value: o.value,
            })
            .collect();
        Knowledge {
            indicators,
            units: data
                .units
                .iter()
                .map(|u| (u.unit.clone(), (u.canonical, u.factor)))
                .collect(),
            unit_spellings: Vec::new(),
            members: data
                .members
                .iter()
                .map(|((d, m), (zh, _))| MemberCue {
                    dimension: d.clone(),
                    dimension_zh: data
                        .dimensions
                        .get(d)
                        .map(|(zh, _)| zh.clone())
                        .unwrap_or_default(),
                    member: m.clone(),
                    words: vec![zh.clone()],
                })
                .collect(),
            districts: data
                .districts
                .iter()
                .map(|d| (d.code.clone(), d.name_zh.clone(), d.name_en.clone()))
                .collect(),
            examples,
            profiles: Default::default(),
        }
        .finish()
    }

    /// Built from the database, leaving out the observations of `exclude` (and the indicators
    /// only it uses) when given. Learns from at most [`EXAMPLES_PER_INDICATOR`] published
    /// figures of each indicator (see [`choose_examples`]).
    pub fn load(conn: &mut DbConnection, exclude: Option<&str>) -> QueryResult<Knowledge> {
        let codes = Codes::load(conn)?;
        let excluded = exclude.and_then(|c| codes.sources.id(c));
        let refs: Vec<_> = queries::observation_refs(conn)?
            .into_iter()
            .filter(|(_, _, s)| Some(s.0) != excluded)
            .collect();
        let used: HashSet<i32> = refs.iter().map(|(_, i, _)| i.0).collect();
        let chosen = choose_examples(&refs, EXAMPLES_PER_INDICATOR);
        let observations = queries::observations_by_ids(conn, &chosen)?;
        let all = queries::all_indicators(conn)?;
        let ids: Vec<_> = all.iter().map(|i| i.id).collect();
        let mut dims: HashMap<i32, Vec<String>> = HashMap::new();
        for (i, d) in queries::indicator_dimensions(conn, &ids)? {
            dims.entry(i.0).or_default().push(d);
        }
        let indicators = all
            .into_iter()
            .filter(|i| excluded.is_none() || used.contains(&i.id.0))
            .map(|i| IndicatorCue {
                dimensions: dims.remove(&i.id.0).unwrap_or_default(),
                aliases: split_aliases(&i.aliases),
                code: i.code,
                name_zh: i.name_zh,
                unit: i.unit,
                category: i.category,
                min: i.min_value,
                max: i.max_value,
            })
            .collect();
        let mut source_ids: Vec<_> = observations.iter().map(|o| o.source_id).collect();
        source_ids.sort_by_key(|s| s.0);
        source_ids.dedup();
        let texts: HashMap<i32, Vec<char>> = queries::source_bodies(conn, &source_ids)?
            .into_iter()
            .map(|(s, body)| (s.0, body.chars().collect()))
            .collect();
        let examples = observations
            .iter()
            .map(|o| Example {
                indicator: codes.indicators.code(o.indicator_id.0),
                head: texts.get(&o.source_id.0).and_then(|text| {
                    let start = usize::try_from(o.quote_start).ok()?;
                    head_in(text, start, &lead_of(&o.quote, &o.value_text))
                }),
                lead: lead_of(&o.quote, &o.value_text),
                after: after_of(&o.quote, &o.value_text, &o.reported_unit),
                unit: o.reported_unit.clone(),
                kind: o.kind,
                value: o.value,
                breakdown: codes
                    .breakdowns
                    .code(o.breakdown_id.0)
                    .parse()
                    .unwrap_or_default(),
            })
            .collect();
        let units = queries::units(conn)?
            .into_iter()
            .map(|(u, c, f)| (u, (c, f)))
            .collect();
        let members = queries::members(conn)?
            .into_iter()
            .map(|m| MemberCue {
                dimension: m.dimension,
                dimension_zh: m.dimension_zh,
                member: m.member,
                words: vec![m.name_zh],
            })
            .collect();
        let districts = queries::all_districts(conn)?
            .into_iter()
            .map(|d| (d.code, d.name_zh, d.name_en))
            .collect();
        Ok(Knowledge {
            indicators,
            units,
            unit_spellings: Vec::new(),
            members,
            districts,
            examples,
            profiles: Default::default(),
        }
        .finish())
    }
}

/// Most published figures of one indicator the extractor learns from. Without a bound,
/// every extraction loaded every observation and the text of every source holding one, so
/// its time and memory grew with the warehouse (the soak run: `extractReport` from 250 ms to
/// 2.7 s and the server's memory by ~15 MB a minute as 10,000 rows arrived); a few dozen
/// examples of an indicator carry its wordings, and the catalogue's names and aliases the rest.
pub const EXAMPLES_PER_INDICATOR: usize = 48;

/// The observations to learn from, in id order: of each indicator, the `per_indicator / 2`
/// oldest (the curated seeds come first) and the newest (current wordings), all of them when
/// there are no more than `per_indicator`. `refs` is (observation, indicator, source) in id
/// order.
pub fn choose_examples(
    refs: &[(ObservationId, IndicatorId, SourceId)],
    per_indicator: usize,
) -> Vec<ObservationId> {
    let mut by_indicator: HashMap<i32, Vec<ObservationId>> = HashMap::new();
    for (o, i, _) in refs {
        by_indicator.entry(i.0).or_default().push(*o);
    }
    let oldest = per_indicator / 2;
    let newest = per_indicator - oldest;
    let mut chosen: Vec<ObservationId> = by_indicator
        .into_values()
        .flat_map(|ids| {
            if ids.len() <= per_indicator {
                ids
            } else {
                let mut keep = ids[..oldest].to_vec();
                keep.extend_from_slice(&ids[ids.len() - newest..]);
                keep
            }
        })
        .collect();
    chosen.sort_by_key(|o| o.0);
    chosen
}

/// The aliases of a catalogue row (`;`-separated), trimmed, blanks dropped.
fn split_aliases(aliases: &str) -> Vec<String> {
    aliases
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect()
}

/// The sentence head before a published figure: its quote starts at `quote_start` in `text`
/// and `lead` is the quote up to the figure.
fn head_in(text: &[char], quote_start: usize, lead: &str) -> Option<String> {
    let at = (quote_start + lead.chars().count()).min(text.len());
    let start = super::figures::sentence_start(text, at);
    let sentence_before: String = text[start..at].iter().collect();
    super::matcher::head_of(&sentence_before)
}

/// The first numeral of a printed value (`20余` → `20`) and where it stands in the quote.
fn numeral_in(quote: &str, value: &str) -> Option<(usize, usize)> {
    let numeral: String = value
        .chars()
        .skip_while(|c| !is_numeral(*c))
        .take_while(|c| is_numeral(*c) || *c == '.')
        .collect();
    if numeral.is_empty() {
        return None;
    }
    // The numeral standing alone, not inside a longer number (17 in 2017年后…17所).
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '.');
    quote
        .match_indices(&numeral)
        .map(|(i, _)| (i, i + numeral.len()))
        .find(|&(i, j)| !digit(quote[..i].chars().next_back()) && !digit(quote[j..].chars().next()))
        .or_else(|| quote.find(&numeral).map(|i| (i, i + numeral.len())))
}

/// The part of a quote before its figure: the words that say what is counted. The figure is
/// found by its first numeral; without one, the whole quote. The value's own qualifier and
/// direction words (增加了 in 增加了11330, 约 in 约10) are the figure's, not the lead's, as
/// they are for a figure found in a text.
pub fn lead_of(quote: &str, value: &str) -> String {
    let Some((i, _)) = numeral_in(quote, value) else {
        return quote.to_string();
    };
    let prefix: String = value
        .chars()
        .take_while(|c| !is_numeral(*c))
        .filter(|c| !c.is_whitespace())
        .collect();
    let lead = quote[..i].trim_end();
    let compact: String = lead.chars().filter(|c| !c.is_whitespace()).collect();
    if prefix.is_empty() || !compact.ends_with(&prefix) {
        return quote[..i].to_string();
    }
    // Drop as many characters (not counting whitespace) as the prefix has.
    let mut left = prefix.chars().count();
    let mut end = lead.len();
    for (at, c) in lead.char_indices().rev() {
        if left == 0 {
            break;
        }
        end = at;
        if !c.is_whitespace() {
            left -= 1;
        }
    }
    lead[..end].to_string()
}

/// The part of a quote after its figure and unit (empty when the figure is not found).
pub fn after_of(quote: &str, value: &str, unit: &str) -> String {
    let Some((_, end)) = numeral_in(quote, value) else {
        return String::new();
    };
    let rest =
        quote[end..].trim_start_matches(|c: char| c.is_whitespace() || "余多万亿.".contains(c));
    rest.strip_prefix(unit).unwrap_or(rest).to_string()
}

/// An Arabic digit (ASCII or full-width) or a Chinese numeral character.
pub fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c) || "零〇一二两三四五六七八九十百千".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_the_oldest_and_newest_of_each_indicator() {
        // Indicator 1 has ten figures, indicator 2 three; at most four each.
        let refs: Vec<_> = (1..=13)
            .map(|n| {
                let indicator = if n <= 10 { 1 } else { 2 };
                (ObservationId(n), IndicatorId(indicator), SourceId(1))
            })
            .collect();
        let chosen: Vec<i32> = choose_examples(&refs, 4).iter().map(|o| o.0).collect();
        assert_eq!(chosen, [1, 2, 9, 10, 11, 12, 13]);
        assert_eq!(
            choose_examples(&refs, 100).len(),
            13,
            "all, under the bound"
        );
    }

    #[test]
    fn a_lead_ends_before_the_values_own_words() {
        // The figure's direction and qualifier words are its own, as in a text.
        assert_eq!(
            lead_of("比2020年增加了11330万元", "增加了11330"),
            "比2020年"
        );
        assert_eq!(lead_of("较 2019 年增长约 10%", "约10"), "较 2019 年增长");
        assert_eq!(lead_of("全区学校269所", "269"), "全区学校");
    }

    #[test]
    fn a_numeral_is_found_standing_alone() {
        // 17 is not the 17 inside 2017.
        assert_eq!(
            lead_of("2017 年后规划建设的 17 所幼儿园", "17"),
            "2017 年后规划建设的 "
        );
        assert_eq!(after_of("建成 17 所幼儿园", "17", "所"), "幼儿园");
    }

    #[test]
    fn an_example_knows_the_head_of_its_sentence() {
        // The topic of an enumeration stands at the head of its sentence (after its date), at
        // most twelve characters of it.
        let text = "上年情况。2021年，一般公共预算生均投入幼儿园0.65万元、小学1.9万元。";
        let quote = "小学1.9万元";
        let start = text[..text.find(quote).expect("in the text")]
            .chars()
            .count();
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(
            head_in(&chars, start, &lead_of(quote, "1.9")),
            Some("一般公共预算生均投入幼儿".to_string())
        );
        // A figure whose lead is its sentence so far has no head apart from it.
        let text: Vec<char> = "上年情况。全区学校269所。".chars().collect();
        assert_eq!(head_in(&text, 5, "全区学校"), None);
    }
}
