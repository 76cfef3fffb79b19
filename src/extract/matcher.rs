//! Deciding what a figure is: the catalogue indicator its clause speaks of, and its kind,
//! reference period and breakdown.
//!
//! Indicator choice is a weighted overlap of character bigrams: each indicator has a profile
//! (the bigrams of its Chinese name, and of the words that led to its figures in published
//! observations); a figure's context is the text before it in its sentence, nearer words
//! weighing more. Bigrams that many indicators share (教育, 学校) weigh less (inverse document
//! frequency). Only indicators whose unit the figure's unit converts to compete. Bigrams
//! rather than a word segmenter: report vocabulary is compound and domain-specific (在校学生,
//! 一般公共预算), which a general dictionary splits unpredictably, while bigrams need no
//! dictionary and match partial phrases.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::figures::Figure;
use super::knowledge::Knowledge;
use super::{Proposal, SuggestedIndicator, Unmatched};
use crate::domain::{Breakdown, CanonicalUnit, ObservationKind};
use crate::ingest::rows::ObservationRow;

/// Below this score a figure goes to `unmatched`.
pub const THRESHOLD: f64 = 0.3;

/// What the matcher needs besides the figure.
pub struct Context<'a> {
    /// The text.
    pub chars: &'a [char],
    /// The report's district.
    pub district: &'a str,
    /// The source code.
    pub source: &'a str,
    /// The year the report reviews.
    pub review_year: Option<i32>,
}

/// A figure, decided.
pub enum Decision {
    /// Matched to an indicator.
    Proposal(Proposal),
    /// No indicator fits well enough.
    Unmatched(Unmatched),
}

fn bigrams(s: &str) -> Vec<String> {
    let han: Vec<char> = s
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !c.is_ascii_digit())
        .collect();
    han.windows(2).map(|w| w.iter().collect()).collect()
}

/// Indicator profiles and bigram weights, built once per [`Knowledge`].
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    /// indicator index → bigram → weight in the profile.
    by_indicator: Vec<HashMap<String, f64>>,
    /// bigram → inverse document frequency over indicators.
    idf: HashMap<String, f64>,
}

impl Profiles {
    /// Builds the profiles of every indicator of `k` (its name and its examples' leads).
    pub fn build(k: &Knowledge) -> Profiles {
        let index: HashMap<&str, usize> = k
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.code.as_str(), i))
            .collect();
        let mut by_indicator: Vec<HashMap<String, f64>> = vec![HashMap::new(); k.indicators.len()];
        for (i, ind) in k.indicators.iter().enumerate() {
            for b in bigrams(&ind.name_zh) {
                by_indicator[i].insert(b, 1.0);
            }
        }
        for e in &k.examples {
            let Some(&i) = index.get(e.indicator.as_str()) else {
                continue;
            };
            // The words nearest the figure say most about what it counts.
            let lead: Vec<char> = e.lead.chars().collect();
            let tail: String = lead[lead.len().saturating_sub(16)..].iter().collect();
            for b in bigrams(&tail) {
                let w = by_indicator[i].entry(b).or_insert(0.0);
                *w = w.max(0.8);
            }
        }
        let n = k.indicators.len().max(1) as f64;
        let mut df: HashMap<String, f64> = HashMap::new();
        for p in &by_indicator {
            for b in p.keys() {
                *df.entry(b.clone()).or_insert(0.0) += 1.0;
            }
        }
        let idf = df
            .into_iter()
            .map(|(b, d)| (b, (1.0 + n / d).ln()))
            .collect();
        Profiles { by_indicator, idf }
    }
}

static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})年(底|末)?").expect("valid regex"));
static TARGET_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"到((?:19|20)\d{2})年").expect("valid regex"));
const TARGET_WORDS: &[&str] = &[
    "力争",
    "目标",
    "计划",
    "规划",
    "预计",
    "争取",
    "确保",
    "将达到",
    "到20",
];
const DIRECTION_UP: &[&str] = &["增长", "增加", "提高", "提升"];
const DIRECTION_DOWN: &[&str] = &["下降", "减少", "降低"];
const COMPARED: &[&str] = &["比上年", "较上年", "同比", "比去年", "较去年"];

fn text(chars: &[char], from: usize, to: usize) -> String {
    chars[from.min(to)..to].iter().collect()
}

fn kind_of(f: &Figure, clause_before: &str, sentence: &str) -> ObservationKind {
    let directed = DIRECTION_UP
        .iter()
        .chain(DIRECTION_DOWN)
        .any(|w| f.value.starts_with(w) || clause_before.ends_with(w));
    let compared = COMPARED.iter().any(|w| clause_before.contains(w));
    if f.is_rank {
        ObservationKind::Rank
    } else if f.unit == "个百分点" {
        ObservationKind::Change
    } else if directed && (compared || f.value.chars().next().is_some_and(|c| !c.is_ascii_digit()))
    {
        if f.unit == "%" || f.unit == "％" {
            ObservationKind::Growth
        } else {
            ObservationKind::Change
        }
    } else if TARGET_WORDS.iter().any(|w| sentence.contains(w)) {
        ObservationKind::Target
    } else {
        ObservationKind::Actual
    }
}

/// The reference period: a year the sentence states before the figure (or, for a target, the
/// year it is due), else a year stated earlier in the paragraph, else the year reviewed.
fn period_of(f: &Figure, kind: ObservationKind, cx: &Context<'_>) -> (String, Option<String>) {
    let sentence_before = text(cx.chars, f.sentence.0, f.start);
    let sentence = text(cx.chars, f.sentence.0, f.sentence.1);
    if kind == ObservationKind::Target {
        if let Some(c) = TARGET_YEAR.captures_iter(&sentence).last() {
            return (c[1].to_string(), None);
        }
    }
    if let Some(c) = YEAR.captures_iter(&sentence_before).last() {
        let code = match c.get(2) {
            Some(_) => format!("{}-12", &c[1]),
            None => c[1].to_string(),
        };
        return (code, None);
    }
    // Earlier in the paragraph.
    let mut p = f.sentence.0;
    while p > 0 && cx.chars[p - 1] != '\n' {
        p -= 1;
    }
    if let Some(c) = YEAR.captures_iter(&text(cx.chars, p, f.sentence.0)).last() {
        let year = c[1].to_string();
        let note = format!("inferred: {year}年 stated earlier in the paragraph");
        return (year, Some(note));
    }
    match cx.review_year {
        Some(y) => (
            y.to_string(),
            Some(format!("inferred: no year stated; the report reviews {y}")),
        ),
        None => (String::new(), Some("no year stated or inferable".into())),
    }
}

fn breakdown_of(clause_before: &str, dimensions: &[String], k: &Knowledge) -> Breakdown {
    let mut best: HashMap<&str, (usize, &str)> = HashMap::new();
    for m in &k.members {
        if !dimensions.contains(&m.dimension) {
            continue;
        }
        for w in &m.words {
            if let Some(pos) = clause_before.rfind(w.as_str()) {
                let end = pos + w.len();
                let entry = best.entry(m.dimension.as_str()).or_insert((0, ""));
                // The member named closest to the figure wins.
                if end > entry.0 || entry.1.is_empty() {
                    *entry = (end, m.member.as_str());
                }
            }
        }
    }
    Breakdown::from_pairs(best.into_iter().map(|(d, (_, m))| (d, m))).unwrap_or_default()
}

/// Words that end a name rather than belong to it (全区共有学校 → 学校).
const LEAD_NOISE: &[&str] = &[
    "其中", "全区", "全县", "共有", "累计", "共计", "合计", "达到", "共", "有", "为", "达", "约",
    "计", "近",
];

fn suggested_name(clause_before: &str) -> String {
    let mut s: String = clause_before
        .chars()
        .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
        .collect();
    loop {
        let before = s.clone();
        for w in LEAD_NOISE {
            if let Some(stripped) = s.strip_suffix(w) {
                s = stripped.to_string();
            }
        }
        if s == before {
            break;
        }
    }
    let tail: Vec<char> = s.chars().collect();
    let mut name: String = tail[tail.len().saturating_sub(10)..].iter().collect();
    for w in LEAD_NOISE {
        if let Some(stripped) = name.strip_prefix(w) {
            name = stripped.to_string();
        }
    }
    name
}

/// Decides one figure.
pub fn decide(f: &Figure, cx: &Context<'_>, k: &Knowledge) -> Decision {
    let profiles = &k.profiles;
    let clause_before = text(cx.chars, f.clause.0, f.start);
    let sentence_before = text(cx.chars, f.sentence.0, f.start);
    let sentence = text(cx.chars, f.sentence.0, f.sentence.1);
    let quote = text(cx.chars, f.clause.0, f.clause.1);
    let kind = kind_of(f, &clause_before, &sentence);
    let (canonical, _) = match k.units.get(&f.unit) {
        Some(u) => *u,
        None if f.unit.is_empty() => (CanonicalUnit::Ratio, 1.0),
        None => (CanonicalUnit::One, 1.0),
    };
    // Context bigrams, nearer ones weighing more: the clause before the figure fully, the rest
    // of the sentence before it at half weight.
    let mut ctx: HashMap<String, f64> = HashMap::new();
    for b in bigrams(&sentence_before) {
        ctx.insert(b, 0.5);
    }
    let near: String = {
        let c: Vec<char> = clause_before.chars().collect();
        c[c.len().saturating_sub(14)..].iter().collect()
    };
    for b in bigrams(&near) {
        ctx.insert(b, 1.0);
    }
    let total: f64 = ctx
        .iter()
        .map(|(b, w)| w * profiles.idf.get(b).copied().unwrap_or(0.5))
        .sum();
    let mut best: Option<(usize, f64, Vec<String>)> = None;
    let mut best_any: Option<(usize, f64)> = None;
    for (i, ind) in k.indicators.iter().enumerate() {
        let profile = &profiles.by_indicator[i];
        let mut score = 0.0;
        let mut shared = Vec::new();
        for (b, w) in &ctx {
            if let Some(pw) = profile.get(b) {
                score += w * pw * profiles.idf.get(b).copied().unwrap_or(0.5);
                if *w >= 1.0 {
                    shared.push(b.clone());
                }
            }
        }
        let score = if total > 0.0 { score / total } else { 0.0 };
        if best_any.is_none_or(|(_, s)| score > s) {
            best_any = Some((i, score));
        }
        if kind.value_unit(ind.unit) != canonical {
            continue;
        }
        if best.as_ref().is_none_or(|(_, s, _)| score > *s) {
            shared.sort();
            best = Some((i, score, shared));
        }
    }
    let (period, period_note) = period_of(f, kind, cx);
    let base_period = match kind {
        ObservationKind::Change | ObservationKind::Growth
            if COMPARED.iter().any(|w| clause_before.contains(w)) =>
        {
            period
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .map(|y| (y - 1).to_string())
        }
        _ => None,
    };
    match best {
        Some((i, score, shared)) if score >= THRESHOLD => {
            let ind = &k.indicators[i];
            let breakdown = breakdown_of(&clause_before, &ind.dimensions, k);
            let why = if shared.is_empty() {
                format!("sentence words match {} ({})", ind.name_zh, ind.code)
            } else {
                format!("“{}” ~ {} ({})", shared.join("、"), ind.name_zh, ind.code)
            };
            Decision::Proposal(Proposal {
                row: ObservationRow {
                    key: String::new(),
                    district: cx.district.to_string(),
                    indicator: ind.code.clone(),
                    period,
                    period_note,
                    breakdown: (!breakdown.is_total()).then(|| breakdown.to_string()),
                    kind,
                    base_period,
                    value: f.value.clone(),
                    unit: if f.unit.is_empty() {
                        "ratio".into()
                    } else {
                        f.unit.clone()
                    },
                    quote: quote.clone(),
                    note: None,
                    source: Some(cx.source.to_string()),
                },
                quote_start: f.clause.0,
                quote_end: f.clause.1,
                confidence: (score.min(1.0) * 1000.0).round() / 1000.0,
                why,
            })
        }
        other => {
            let category = best_any
                .filter(|(_, s)| *s >= 0.1)
                .map(|(i, _)| k.indicators[i].category.as_str().to_string())
                .unwrap_or_default();
            let why = match other {
                Some((i, score, _)) => format!(
                    "closest indicator {} scores {:.2}, below {THRESHOLD}",
                    k.indicators[i].code, score
                ),
                None => format!(
                    "no catalogue indicator is measured in {}",
                    canonical.as_str()
                ),
            };
            Decision::Unmatched(Unmatched {
                value: f.value.clone(),
                unit: f.unit.clone(),
                quote,
                quote_start: f.clause.0,
                quote_end: f.clause.1,
                kind: kind.as_str().to_string(),
                period,
                suggested: SuggestedIndicator {
                    name_zh: suggested_name(&clause_before),
                    unit: kind.value_unit(canonical).as_str().to_string(),
                    category,
                },
                why,
            })
        }
    }
}

/// Distinct bigrams of a text (exposed for the evaluation's quote overlap).
pub fn bigram_set(s: &str) -> HashSet<String> {
    bigrams(s).into_iter().collect()
}
