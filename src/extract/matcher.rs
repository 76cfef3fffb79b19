//! Deciding what a figure is: the catalogue indicator its clause speaks of, and its kind,
//! reference period and breakdown.
//!
//! Indicator choice is nearest-neighbour over short windows of text: the few characters that
//! name what a figure counts (just before it, and just after its unit: 建成5所**学校**), plus,
//! weighing less, the head of its sentence (the topic of an enumeration or of a change after a
//! level). Each indicator has windows (its Chinese name, and the windows around the figures of
//! its published observations, built the same way from their source texts); a figure's window is
//! compared with each by cosine similarity of character bigrams (each weighted by its nearness to
//! the figure and by how rare it is among all windows), and only indicators whose unit the
//! figure's unit converts to compete. Bigrams rather than a word segmenter: report vocabulary is
//! compound and domain-specific (在校学生, 一般公共预算), which a general dictionary splits
//! unpredictably, while bigrams need no dictionary and match partial phrases.
//!
//! The cues, each a factor on a window's similarity or an indicator's evidence:
//! - **Words only**: bigrams are taken within runs of Chinese characters (a bracket, a digit or
//!   a comma ends a word); other figures and bracketed units in a window (万元 of the figure
//!   before, 在校学生数（万人）) are removed: a unit names nothing.
//! - **Names as printed**: a name loses the catalogue's trailing 数 (reports print 学校269所)
//!   and a bracket gives a variant (在校（在园）学生数: 在校学生数, 在园学生数).
//! - **Name coverage**: how much of an indicator's name (rarity-weighted, by nearness) the
//!   figure's window holds multiplies its evidence by up to two, so a name standing whole
//!   before the figure beats an example that shares only circumstances (全区共有各级各类学校).
//! - **Example and name agreeing**: the best example plus a quarter of the name (or the
//!   reverse) is an indicator's evidence.
//! - **Modifiers**: 生均/人均 (per capita) and 新增/新建/增加 (an addition) make another
//!   quantity; a window and a figure that disagree on one are halved.
//! - **Measure words**: an example printed with another measure word (所 vs 次; 万元 and 元 are
//!   one), or a name whose indicator's figures never use the figure's, counts 0.7.
//! - **Size**: an example orders of magnitude away from the figure counts less (a per-student
//!   amount beside a total). Units and sizes compare only between values of one kind: a growth
//!   rate is in % whatever grew.
//! - **Parts**: after 其中, a figure in the unit of the figure before 其中 is a part of it
//!   (学校269所，其中公办172所): that figure's indicator doubles its evidence, and a short
//!   part's clause does not borrow the words of its whole's (the cue stands for them).
//! - **Range**: a level outside the indicator's valid range is another indicator's figure.
//! - **Aliases**: the other names the catalogue gives an indicator (总投资 for 学校建设资金,
//!   普惠率 for 普惠性幼儿园覆盖率) are name windows like its name.
//! - **Members of rare dimensions**: a breakdown member of a dimension at most
//!   [`RARE_DIMENSION`] indicators have (保安配备 of the security measures, 队伍 of framework
//!   elements) is a name window of those indicators; members of common dimensions (school
//!   stage) are not.
//! - **Carried topic**: a sentence whose opening names no quantity (only a date, breakdown
//!   members, 生均 and direction words: 2021年幼儿生均增长3.29%) takes, as a sentence head,
//!   the opening of the sentence before it in the same paragraph.
//!
//! - **Naming words**: the winner must be the quantity the figure's own words name. Its
//!   *anchor* (the few characters just before it once link words like 达/共有/分别为 are
//!   dropped, and those after its unit, without members of common dimensions and modifiers)
//!   is compared with the indicator's vocabulary (names, aliases, the anchors of its
//!   published figures); below [`MIN_SUPPORT`] of it, rarity-weighted, and with a similarity
//!   under [`TRUSTED`], the figure goes to `unmatched`: the catalogue lacks what it counts,
//!   and a figure forced onto its nearest neighbour is worse than one a reviewer files.
//!
//! Kind: rank (排第N位), change (个百分点, 比上年增加), growth (增长N%, 增长率/增幅 N%),
//! target (力争, 到2025年, 目标为), else actual. Period: a year stated before the figure in
//! its sentence that is not a comparison base (较2024年), else one earlier in the paragraph,
//! else the year reviewed. `confidence` is the score (at most 1), halved when the runner-up
//! scores as much.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::sync::LazyLock;

use regex::Regex;

use super::figures::Figure;
use super::knowledge::{IndicatorCue, Knowledge};
use super::why::{Cue, PeriodNote, Reason, YearFrom};
use super::{Proposal, SuggestedIndicator, Unmatched};
use crate::domain::{is_han, Breakdown, CanonicalUnit, ObservationKind};
use crate::ingest::period::parse_period;
use crate::ingest::rows::ObservationRow;

/// Factor on a window's similarity when its figure is printed with another measure word.
const UNIT_MISMATCH: f64 = 0.7;
/// Factor on the evidence for the indicator of the whole a figure is a part of (其中).
const PART_OF: f64 = 2.0;
/// A dimension used by at most this many indicators is specific to them: its members' names
/// are cues for them (see [`Profiles::build`]).
const RARE_DIMENSION: usize = 2;
/// Below this similarity a figure goes to `unmatched`.
pub const THRESHOLD: f64 = 0.15;
/// Characters of context before a figure, and after its unit, that name what it counts.
const BEFORE: usize = 12;
const AFTER: usize = 6;
/// Weight of the sentence head's bigrams in a later figure's window.
const HEAD_WEIGHT: f64 = 0.4;
/// Words that turn a quantity into another one: a per-capita amount (生均经费 is not 经费) and
/// an addition (新增学位 is not 学位). Each group is one such modifier.
const MODIFIERS: &[&[&str]] = &[
    // 每生每年800元 is the per-student amount 生均 names.
    &["生均", "人均", "每生每年", "每生"],
    &["新增", "新建", "增加"],
];
/// Factor on a window's similarity for each modifier it and the figure's window disagree on.
const MODIFIER_MISMATCH: f64 = 0.5;
/// Characters before a figure, and after its unit, that name the counted thing itself (its
/// anchor, see [`anchor`]): fewer than the window's, which also holds circumstances.
const ANCHOR_BEFORE: usize = 6;
const ANCHOR_AFTER: usize = 4;
/// Words that link a quantity's name to its figure without naming anything (兼职率**达**64%,
/// 学校**共有**12所, **累计**), stripped from the end of what precedes a figure. Those of two
/// characters or more are dropped wherever they stand in it (生均经费**分别为**学前教育…).
const LINK_WORDS: &[&str] = &[
    "分别为",
    "分别是",
    "分别达",
    "提高到",
    "提高至",
    "提升至",
    "提升到",
    "比上年",
    "较上年",
    "达到",
    "共有",
    "共计",
    "累计",
    "超过",
    "突破",
    "总计",
    "合计",
    "分别",
    "同比",
    "其中",
    "全区",
    "全县",
    "全市",
    "达",
    "为",
    "是",
    "共",
    "有",
    "约",
    "至",
    "到",
    "占",
    "仅",
    "近",
    "逾",
    "计",
    "的",
    "已",
];
/// Words that qualify a quantity without naming another one (普通小学 are primary schools,
/// 各级各类学校 are schools).
const PLAIN_QUALIFIERS: &[&str] = &["普通", "各级各类", "各类"];
/// Below this share of its anchor's words (rarity-weighted, see [`Profiles::support`]) in
/// an indicator's vocabulary, a figure names a quantity the indicator is not: the catalogue
/// lacks it, and the figure goes to `unmatched` rather than onto the nearest neighbour.
/// Chosen on the leave-one-report-out frontier (docs/extraction.md): higher values leave more
/// of the catalogue's own figures unmatched than they save from being forced.
pub const MIN_SUPPORT: f64 = 0.2;
/// A similarity at least this high is trusted without the anchor check: the figure's window
/// (sentence head, carried topic, enumeration) names the indicator even where the words next
/// to the figure are only members (分别为学前教育13510元).
const TRUSTED: f64 = 0.3;

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
    /// Where that year comes from (see `metadata::document_year`).
    pub review_year_from: Option<&'a YearFrom>,
    /// The span the report reviews when it says "…年以来" (`2021..2022`).
    pub review_span: Option<String>,
    /// For a plan (整改方案): the first year it plans for (the year of its date, else the year
    /// after the one it reviews). A plan's measures state what it will do without a goal word
    /// (2024年至2025年新建公办幼儿园6所): a figure dated that year or later is a target.
    pub plans_from: Option<i32>,
    /// Similarity below which a figure goes to `unmatched`.
    pub threshold: f64,
    /// Share of a figure's naming words its indicator must hold (see [`MIN_SUPPORT`]).
    pub min_support: f64,
    /// The figures decided before this one, in text order.
    pub earlier: &'a [Earlier],
    /// Which indicators may take the figure (a table cell: those broken down by the
    /// dimensions its table's labels name, see `grids`); `None`: any.
    pub admits: Option<&'a dyn Fn(&IndicatorCue) -> bool>,
}

/// A figure already decided, as later figures of its sentence see it.
#[derive(Debug, Clone)]
pub struct Earlier {
    /// Just past its unit.
    pub end: usize,
    /// Its unit as printed.
    pub unit: String,
    /// The indicator proposed for it (`None` when unmatched).
    pub indicator: Option<String>,
    /// Whether it was proposed as a level (an actual or a target), which a rank may rank.
    pub level: bool,
    /// The largest `end` of this figure and every figure before it: looking back for the
    /// whole of a part ([`whole_of`]) stops where no earlier figure reaches the sentence, so
    /// it does not read every earlier figure of the text.
    pub reach: usize,
}

/// A figure, decided.
pub enum Decision {
    /// Matched to an indicator.
    Proposal(Proposal),
    /// No indicator fits well enough.
    Unmatched(Unmatched),
}

/// A window's bigrams, each with its nearness to the figure. Hashed with fixed keys, not
/// std's per-map random ones: similarities are sums over a window in its iteration order, and
/// floating-point addition is not associative, so with a random order two windows scoring
/// alike came out in either order from one run to the next (the same text got another `why`).
type Bigrams = HashMap<String, f64, BuildHasherDefault<DefaultHasher>>;

/// The character bigrams of `s`, in order, taken only within runs of Chinese characters: a
/// bracket, a digit or a punctuation mark ends a word, so 在校（在园）学生数 gives 在校, 在园,
/// 学生, 生数 and no bigram of a bracket. Whitespace is skipped, not a break: PDF text
/// splits words with spaces (中小 学生).
fn bigrams(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        if is_han(c) {
            if let Some(p) = prev {
                out.push([p, c].iter().collect());
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
    out
}

/// One window of an indicator: its name, or the context of one of its published figures.
#[derive(Debug, Clone)]
struct Window {
    /// Index of the indicator in the knowledge.
    indicator: usize,
    /// Its bigrams, each with its nearness to the figure (1 next to it, less further away).
    bigrams: Bigrams,
    /// The unit printed with the figure (empty for a name).
    unit: String,
    /// The figure's value in the canonical unit (`None` for a name).
    value: Option<f64>,
    /// Where it comes from, for `why`.
    label: Cue,
    /// Which [`MODIFIERS`] its text has (bit `i` for group `i`).
    modifiers: u8,
    /// The kind of the figure (`None` for a name).
    kind: Option<ObservationKind>,
}

impl Window {
    /// A window of words that name indicator `i` (its name, an alias, a member): every
    /// bigram counts fully, and it has no unit, value or kind of a published figure.
    fn named(i: usize, words: &str, label: Cue) -> Window {
        Window {
            indicator: i,
            bigrams: name_window(words),
            unit: String::new(),
            value: None,
            label,
            modifiers: modifiers_in(words),
            kind: None,
        }
    }
}

/// Which [`MODIFIERS`] `text` has (bit `i` for group `i`).
fn modifiers_in(text: &str) -> u8 {
    MODIFIERS
        .iter()
        .enumerate()
        .filter(|(_, words)| words.iter().any(|w| text.contains(w)))
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

/// The text a figure's window is made of (see [`window`]), for [`modifiers_in`].
fn window_text(before: &str, after: &str) -> String {
    format!(
        "{} {}",
        last_chars(before, BEFORE),
        first_chars(after, AFTER)
    )
}

/// The windows of every indicator and the bigram weights, built once per [`Knowledge`].
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    windows: Vec<Window>,
    /// bigram → inverse document frequency over windows.
    idf: HashMap<String, f64>,
    /// Per indicator, the measure words its published levels and changes are printed in
    /// (see [`measure`]); empty when it has none.
    measures: HashMap<usize, Vec<String>>,
    /// Per indicator (by index), the bigrams that name it: its names, aliases and rare
    /// members, and the anchors of its published figures.
    vocabulary: Vec<std::collections::HashSet<String>>,
    /// Per indicator, the bigrams of its names, aliases and rare members that few other
    /// indicators' names hold (近视 of 学生近视率, 公办 and 在园 of 公办幼儿园在园幼儿占比): at
    /// least one must stand in a figure's window for the figure to be that quantity (see
    /// [`OWN_WORD_INDICATORS`]). Empty when every word of its names is common (学校数).
    own_words: Vec<Vec<String>>,
    /// Words that qualify or link a quantity rather than name it, longest first: the members
    /// of common dimensions (小学, 公办; a rare dimension's members name their indicators),
    /// the modifiers and the link words of two characters or more. An anchor is read without
    /// them.
    qualifiers: Qualifiers,
    /// bigram → the windows holding it, with its nearness there, in window order: a figure is
    /// scored against the windows sharing a bigram with it only (the others score 0), so its
    /// cost does not grow with every window of the catalogue.
    postings: HashMap<String, Vec<(usize, f64)>>,
    /// Each window's norm, as [`Profiles::similarity`] computes it.
    norms: Vec<f64>,
    /// Each indicator that has windows, with its first window: where [`decide`] starts every
    /// indicator's evidence, whether or not a window of it shares a word with the figure.
    firsts: Vec<(usize, usize)>,
    /// The words [`carried_topic`] strips from a sentence's opening, longest first.
    no_topic: Vec<String>,
}

/// The measure word of a printed unit, without its scale (万元 → 元, 万人次 → 人次): the
/// scale says how big, the measure word what is counted (所 schools, 次 occasions, 人 persons).
fn measure(unit: &str) -> &str {
    let stripped = unit.trim_start_matches(['十', '百', '千', '万', '亿']);
    if stripped.is_empty() {
        unit
    } else {
        stripped
    }
}

fn last_chars(s: &str, n: usize) -> String {
    let c: Vec<char> = s.chars().collect();
    c[c.len().saturating_sub(n)..].iter().collect()
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// How much a bigram `d` positions away from the figure counts.
fn nearness(d: usize) -> f64 {
    0.85f64.powi(d as i32)
}

/// The window of a figure: the end of what precedes it and the start of what follows it, each
/// bigram weighted by its nearness to the figure.
fn window(before: &str, after: &str) -> Bigrams {
    let mut w = Bigrams::default();
    let before = bigrams(&last_chars(before, BEFORE));
    let n = before.len();
    for (i, b) in before.into_iter().enumerate() {
        let v = nearness(n - 1 - i);
        let e = w.entry(b).or_insert(0.0);
        *e = e.max(v);
    }
    for (i, b) in bigrams(&first_chars(after, AFTER)).into_iter().enumerate() {
        // The words after a unit name the counted thing (5所**学校**) as much as those before.
        let v = nearness(i);
        let e = w.entry(b).or_insert(0.0);
        *e = e.max(v);
    }
    w
}

/// Words that qualify or link a quantity rather than name it (see [`Profiles`]), longest
/// first, with an automaton that finds which of them a text holds in one pass.
#[derive(Debug, Clone, Default)]
struct Qualifiers {
    words: Vec<String>,
    /// Over `words`, same order; `None` when there are none (or the automaton could not be
    /// built, when every word is tried in turn).
    finder: Option<aho_corasick::AhoCorasick>,
}

impl Qualifiers {
    fn new(words: Vec<String>) -> Qualifiers {
        let finder = if words.is_empty() {
            None
        } else {
            aho_corasick::AhoCorasick::new(&words).ok()
        };
        Qualifiers { words, finder }
    }

    /// `text` with every qualifier replaced by `|`, longest first (a shorter word inside a
    /// longer one is not cut out of it). Runs on every figure: one pass finds the words present
    /// and only those are replaced, in the same order. Exact: `|` is in no qualifier, so a
    /// replacement never makes a word that was not in `text` already.
    fn blank(&self, text: &str) -> String {
        let Some(finder) = &self.finder else {
            return self
                .words
                .iter()
                .fold(text.to_string(), |t, w| t.replace(w.as_str(), "|"));
        };
        let mut present: Vec<usize> = finder
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize())
            .collect();
        if present.is_empty() {
            return text.to_string();
        }
        present.sort_unstable();
        present.dedup();
        let mut out = text.to_string();
        for i in present {
            out = out.replace(self.words[i].as_str(), "|");
        }
        out
    }
}

/// The anchor of a figure: the words that name the counted thing itself, as bigrams with their
/// nearness. What stands just before the figure once link words are dropped (心理健康教师兼职率
/// 达64%: 兼职率), and what follows its unit (建成5所**学校**). Narrower than [`window`], which
/// also holds circumstances (全区各级各类学校, 在2023年): the window ranks indicators, the anchor
/// checks that the winner is the quantity the text names.
fn anchor(before: &str, after: &str, qualifiers: &Qualifiers) -> Vec<(String, f64)> {
    let s = anchor_text(before, qualifiers);
    let after = qualifiers.blank(after);
    let mut out: Vec<(String, f64)> = Vec::new();
    let before = bigrams(&last_chars(&s, ANCHOR_BEFORE));
    let n = before.len();
    for (i, b) in before.into_iter().enumerate() {
        out.push((b, nearness(n - 1 - i)));
    }
    for (i, b) in bigrams(&first_chars(&after, ANCHOR_AFTER))
        .into_iter()
        .enumerate()
    {
        out.push((b, nearness(i)));
    }
    out
}

/// The words before a figure that name it: qualifiers blanked (`|`), trailing link words and
/// punctuation dropped (see [`anchor`]).
fn anchor_text(before: &str, qualifiers: &Qualifiers) -> String {
    let mut s = qualifiers.blank(before.trim_end());
    loop {
        let t = s.trim_end_matches(|c: char| !is_han(c)).to_string();
        let t = LINK_WORDS
            .iter()
            .find_map(|w| t.strip_suffix(w))
            .map(str::to_string)
            .unwrap_or(t);
        if t == s {
            break;
        }
        s = t;
    }
    s
}

/// Words that name the scope every education statistic shares (学校校舍建筑面积, 教育系统固定
/// 资产): before an indicator's name they narrow nothing.
const SCOPE_WORDS: &[&str] = &[
    "学校",
    "学生",
    "教育",
    "教育系统",
    "系统",
    "中小学",
    "阶段",
    "教育阶段",
];

/// The segmenter of [`narrowed`], with its dictionary (built once: it takes a few hundred
/// milliseconds).
static SEGMENTER: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

/// Whether a part-of-speech tag (the ICTCLAS set jieba uses) is one of a word inside a noun
/// phrase: a noun of any kind, an abbreviation, a distinguishing word (专职), a verbal or
/// adjectival noun (培训经费, 安全设施).
fn in_noun_phrase(tag: &str) -> bool {
    tag.starts_with('n') || matches!(tag, "j" | "b" | "vn" | "an")
}

/// Whether a word of that tag may narrow a name: a noun, an abbreviation or a distinguishing
/// word; a verbal or adjectival noun (培训经费, 执法检查) describes an activity around the
/// quantity more often than a kind of it.
fn narrows(tag: &str) -> bool {
    tag.starts_with('n') || matches!(tag, "j" | "b")
}

/// The words that narrow an indicator's name to another quantity: the noun phrase just before
/// the figure (家长学校312所; a verb before it ends it: 招聘教师 is teachers) ends in words the
/// indicator's vocabulary holds (学校 of 学校数) but opens with a word it does not (家长; 寄宿制
/// 学校: 寄宿制): a kind of it the catalogue lacks. A breakdown member, a per-capita word or a
/// link word is blanked as a qualifier and ends the phrase (公办学校, 各级各类学校), a scope
/// word narrows nothing ([`SCOPE_WORDS`]), and a word the indicator's published figures were
/// named with is in its vocabulary. `Some(the narrowing words)` when there are such.
fn narrowed(
    before: &str,
    qualifiers: &Qualifiers,
    vocabulary: &std::collections::HashSet<String>,
) -> Option<String> {
    let s = anchor_text(before, qualifiers);
    // The run of Chinese characters that ends the words: punctuation, a number or a blanked
    // qualifier ends a phrase.
    let tail: String = {
        let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        let from = chars.iter().rposition(|c| !is_han(*c)).map_or(0, |p| p + 1);
        chars[from..].iter().collect()
    };
    if tail.chars().count() < 4 {
        return None;
    }
    let tags = SEGMENTER.tag(&tail, true);
    let phrase_from = tags
        .iter()
        .rposition(|t| !in_noun_phrase(t.tag))
        .map_or(0, |p| p + 1);
    let words: Vec<(&str, &str)> = tags[phrase_from..]
        .iter()
        .map(|t| (t.word, t.tag))
        .skip_while(|(w, _)| SCOPE_WORDS.contains(w))
        .collect();
    let phrase: String = words.iter().map(|(w, _)| *w).collect();
    let grams = bigrams(&phrase);
    let held_from = grams
        .iter()
        .rposition(|b| !vocabulary.contains(b))
        .map(|p| p + 1)
        .unwrap_or(0);
    // A negated predicate before the thing itself (运动场馆面积不达标学校, 未达标学校): a
    // subset by a condition, which no breakdown holds. The thing may be a scope word (学校).
    let thing: String = tags[phrase_from..].iter().map(|t| t.word).collect();
    if !thing.is_empty() && bigrams(&thing).iter().all(|b| vocabulary.contains(b)) {
        if let Some(words) = negated_before(&tags[..phrase_from]) {
            return Some(words);
        }
    }
    // Nothing held next to the figure (the words are not the indicator's at all: the support
    // check's business), or everything held.
    if held_from == grams.len() || held_from < 2 {
        return None;
    }
    // The unheld bigrams before the held run: the narrowing words. Each must be unheld (a
    // name only partly printed is not narrowed), at least two characters long, and printed
    // in words that may narrow.
    let narrowing: String = grams[..held_from]
        .iter()
        .filter_map(|b| b.chars().next())
        .collect();
    let all_unheld = grams[..held_from].iter().all(|b| !vocabulary.contains(b));
    let mut at = 0;
    let mut kinds_ok = true;
    for (w, tag) in &words {
        if at >= narrowing.chars().count() {
            break;
        }
        kinds_ok &= narrows(tag);
        at += w.chars().count();
    }
    // A count (六大, 两项) or a time (本年度) is no kind of anything.
    let plain = !narrowing
        .chars()
        .any(|c| "一二三四五六七八九十两百千年月度".contains(c));
    (all_unheld
        && kinds_ok
        && plain
        && narrowing.chars().count() >= 2
        && !SCOPE_WORDS.contains(&narrowing.as_str()))
    .then_some(narrowing)
}

/// Words that negate the predicate after them (不达标, 未配备).
const NEGATIONS: &[&str] = &["不", "未", "无", "非", "没有", "尚未"];

/// Verbs that compare with the noun after them rather than describe it (不超过, 未达到).
const COMPARISONS: &[&str] = &["超过", "到", "足", "满", "少", "低", "高"];

/// The condition that ends `tags` when it is a negated predicate (不 达标, 未达标), with the
/// noun words before it that say what it is of (运动场馆面积不达标); `None` otherwise.
fn negated_before(tags: &[jieba_rs::Tag<'_>]) -> Option<String> {
    let (last, rest) = tags.split_last()?;
    let predicate = last.tag.starts_with('v') || matches!(last.tag, "a" | "l" | "ad");
    // A comparison takes the noun as its object (不低于教师工资总额的1.5%): a norm, no subset.
    let compares = last.word.ends_with('于') || COMPARISONS.iter().any(|c| last.word.ends_with(c));
    if !predicate || compares {
        return None;
    }
    // The negation is the predicate's own first character (未达标) or the word before it (不 达标).
    let rest = if NEGATIONS
        .iter()
        .any(|n| last.word.starts_with(n) && last.word.chars().count() > n.chars().count())
    {
        rest
    } else {
        let (neg, rest) = rest.split_last()?;
        if !NEGATIONS.contains(&neg.word) {
            return None;
        }
        rest
    };
    let of_from = rest
        .iter()
        .rposition(|t| !in_noun_phrase(t.tag))
        .map_or(0, |p| p + 1);
    let words: String = tags[of_from..].iter().map(|t| t.word).collect();
    Some(words)
}

/// Words of where a figure is counted, not of what: before a name they name no other kind.
const PLACE_WORDS: &[&str] = &[
    "全区", "全县", "全市", "全镇", "本区", "本县", "我区", "我县", "区域",
];

/// Quotation marks and brackets: a report quotes a name (“明厨亮灶”覆盖率) or brackets an
/// alternative (就业（升学）率) inside a noun phrase, which they do not end.
const QUOTES: &[char] = &[
    '“', '”', '‘', '’', '"', '「', '」', '《', '》', '（', '）', '(', ')',
];

/// The words that make a figure another kind of the indicator's quantity than the indicator's
/// own name says: the words just before the figure end as one of the indicator's names ends
/// (…覆盖率, …占比, …特色学校, …推进会), but where the name opens with its own words
/// (普惠性幼儿园 of 普惠性幼儿园覆盖率; 市级 of 市级特色学校数) the text opens with nouns of
/// another thing (“明厨亮灶”覆盖率, 寄宿生占比, 校园足球特色学校), none of which the indicator's
/// vocabulary holds. [`narrowed`] covers the name standing whole with words before it; this
/// covers the name's own opening replaced. `names` are the indicator's name and aliases,
/// `sentence` the figure's sentence (a name's opening printed anywhere in it rules this out).
fn rival_words(
    before: &str,
    qualifiers: &Qualifiers,
    names: &[&str],
    vocabulary: &std::collections::HashSet<String>,
    sentence: &str,
    members: &[&str],
) -> Option<String> {
    // A member of one of its breakdowns printed before the figure says what the name's opening
    // stands for (体育、信息技术专任教师缺口 for 学科教师缺口数: the subjects are 学科).
    if members.iter().any(|m| before.contains(m)) {
        return None;
    }
    // The run of words that ends the text, quotation marks and brackets dropped; a quoted
    // name is one noun whatever the segmenter makes of it (“晨读午练”).
    let mut tail: Vec<(char, bool)> = Vec::new();
    let mut quoted = false;
    for c in anchor_text(before, qualifiers).chars() {
        if c.is_whitespace() {
            continue;
        }
        match c {
            '“' | '「' | '《' | '‘' => quoted = true,
            '”' | '」' | '》' | '’' => quoted = false,
            c if QUOTES.contains(&c) => {}
            c if is_han(c) => tail.push((c, quoted)),
            _ => tail.clear(),
        }
    }
    let mut rival: Option<String> = None;
    for name in names {
        let name: Vec<char> = name_words(name)
            .chars()
            .filter(|c| !QUOTES.contains(c))
            .collect();
        let common = tail
            .iter()
            .rev()
            .zip(name.iter().rev())
            .take_while(|((a, _), b)| a == *b)
            .count();
        if common < 2 {
            continue;
        }
        let opening: String = name[..name.len() - common].iter().collect();
        // The name stands whole ([`narrowed`]'s business), or its opening is printed.
        if opening.chars().count() < 2 || sentence.contains(&opening) {
            return None;
        }
        let printed = &tail[..tail.len() - common];
        // The noun words next to the shared ending, back to a verb (招聘教师: 招聘 is what is
        // done, not a kind), places left out (全区寄宿生占比: 全区 says where).
        let unquoted_from = printed.iter().rposition(|(_, q)| !q).map_or(0, |p| p + 1);
        let quote: String = printed[unquoted_from..].iter().map(|(c, _)| c).collect();
        let words: Vec<String> = if quote.is_empty() {
            let text: String = printed.iter().map(|(c, _)| c).collect();
            SEGMENTER
                .tag(&text, true)
                .iter()
                .rev()
                .take_while(|t| in_noun_phrase(t.tag) || t.tag == "nr" || t.tag == "nz")
                .map(|t| t.word.to_string())
                .filter(|w| {
                    !PLACE_WORDS.contains(&w.as_str()) && !SCOPE_WORDS.contains(&w.as_str())
                })
                .collect()
        } else {
            vec![quote]
        };
        let foreign: Vec<String> = words
            .into_iter()
            .rev()
            .filter(|w| {
                w.chars().count() >= 2 && bigrams(w).iter().all(|b| !vocabulary.contains(b))
            })
            .collect();
        if foreign.is_empty() {
            return None;
        }
        rival = Some(foreign.concat());
    }
    rival
}

/// The head of a sentence (its first characters, up to its first Arabic number), when a figure
/// stands further on: in an enumeration (生均经费分别为学前教育13510元、普通小学10124元) or a
/// change after a level (经费169333万元，增长率7.17%) the topic stands at the head, far from
/// the later figures. A date opening the sentence (2021年，…) is not its topic. `sentence_before` is the sentence
/// up to the figure.
pub(super) fn head_of(sentence_before: &str) -> Option<String> {
    let topic = match LEADING_DATE.find(sentence_before) {
        Some(m) => &sentence_before[m.end()..],
        None => sentence_before,
    };
    // Whitespace (a table's line breaks, PDF spacing) does not count towards its length.
    let head: String = topic
        .chars()
        .filter(|c| !c.is_whitespace())
        // Up to the first Arabic number: Chinese numerals also begin words (一般, 三是).
        .take_while(|c| !(c.is_ascii_digit() || ('０'..='９').contains(c)))
        .take(BEFORE)
        .collect();
    let rest = topic.chars().filter(|c| !c.is_whitespace()).count();
    (head.chars().count() < rest).then_some(head)
}

/// Words that say how a quantity moved or what it is, not what it is of: a sentence head made
/// only of them (and of breakdown members, per-capita words and a date) names no topic.
const NO_TOPIC: &[&str] = &[
    "增长",
    "增加",
    "提高",
    "提升",
    "下降",
    "减少",
    "降低",
    "达到",
    "分别",
    "为",
    "达",
    "约",
    "共",
    "有",
    "是",
    "其中",
    "全区",
    "全县",
    "累计",
    "比上年",
    "较上年",
    "同比",
];

/// The topic a sentence takes from the sentence before it: when the words that open the
/// figure's sentence (up to its first number, after a date) are only breakdown members,
/// modifiers and direction words (生均经费只增不减。2021年幼儿生均增长3.29%: 幼儿生均增长
/// names no quantity), the quantity is the one the previous sentence of the same paragraph
/// opens with. `None` when the sentence names its own topic or no sentence precedes it in the
/// paragraph.
fn carried_topic(f: &Figure, cx: &Context<'_>, k: &Knowledge) -> Option<String> {
    let sentence_before = text(cx.chars, f.sentence.0, f.start);
    let topic = match LEADING_DATE.find(&sentence_before) {
        Some(m) => &sentence_before[m.end()..],
        None => sentence_before.as_str(),
    };
    let mut head: String = topic
        .chars()
        .filter(|c| !c.is_whitespace())
        .take_while(|c| !(c.is_ascii_digit() || ('０'..='９').contains(c)))
        .collect();
    for w in &k.profiles.no_topic {
        if head.contains(w.as_str()) {
            head = head.replace(w.as_str(), "");
        }
    }
    if head.chars().filter(|c| is_han(*c)).count() >= 4 {
        return None;
    }
    // The sentence before, in the same paragraph (a line wrap does not end a paragraph).
    let end = f.sentence.0.checked_sub(1)?;
    if !super::figures::SENTENCE_END.contains(cx.chars[end]) || cx.chars[end] == '\n' {
        return None;
    }
    let start = super::figures::sentence_start(cx.chars, end);
    let previous = text(cx.chars, start, end);
    let previous = match LEADING_DATE.find(&previous) {
        Some(m) => previous[m.end()..].to_string(),
        None => previous,
    };
    let words: String = without_figures(&previous, &k.unit_spellings)
        .chars()
        .filter(|c| !c.is_whitespace())
        .take_while(|c| *c != '|')
        .take(BEFORE)
        .collect();
    (words.chars().filter(|c| is_han(*c)).count() >= 2).then_some(words)
}

/// The indicator of the whole a figure is a part of: 其中 earlier in its sentence makes the
/// figures after it parts of the last figure before it printed in the same unit
/// (学校269所，其中公办学校172所，民办学校97所; 在校学生数 7.2 6.53 / 其中：普通小学 4.5).
fn whole_of<'a>(f: &Figure, cx: &Context<'a>) -> Option<&'a str> {
    let sentence: Vec<char> = cx.chars[f.sentence.0..f.start.max(f.sentence.0)].to_vec();
    let at = sentence
        .windows(2)
        .rposition(|w| w == ['其', '中'])
        .map(|p| f.sentence.0 + p)?;
    cx.earlier
        .iter()
        .rev()
        .take_while(|e| e.reach > f.sentence.0)
        .find(|e| e.end > f.sentence.0 && e.end <= at && e.unit == f.unit)
        .and_then(|e| e.indicator.as_deref())
}

/// Words of a rank that say where and how it ranks, not what: 全市排名第3, 该比例全市排第6位,
/// 位居全市前列.
const RANK_WORDS: &[&str] = &[
    "全市", "全省", "全国", "全区", "全县", "排名", "排第", "排在", "排位", "位居", "位列", "名列",
    "居第", "列第", "处于", "该", "此", "这一", "比例", "比率", "指标", "数值", "排", "第", "居",
    "为", "列",
];

/// The words of a rank's clause that name what it ranks, [`RANK_WORDS`] aside; `None` when
/// fewer than two characters are left.
fn ranked_words(clause_before: &str) -> Option<String> {
    let mut rest: String = clause_before.chars().filter(|c| is_han(*c)).collect();
    for w in RANK_WORDS {
        rest = rest.replace(w, "");
    }
    (rest.chars().count() >= 2).then_some(rest)
}

/// The indicator a rank ranks when its clause names no quantity of its own ([`RANK_WORDS`]
/// aside): that of the last figure before it in its sentence proposed as a level; a rank that
/// refers back (该, 此) may also rank the last figure of the sentence before.
fn ranked<'a>(f: &Figure, cx: &Context<'a>, clause_before: &str) -> Option<&'a str> {
    if ranked_words(clause_before).is_some() {
        return None;
    }
    let refers_back = clause_before.contains(['该', '此']);
    let last = cx.earlier.last()?;
    let in_sentence = last.end > f.sentence.0;
    (last.level && (in_sentence || refers_back))
        .then_some(last.indicator.as_deref())
        .flatten()
}

/// Adds a sentence head to a window, weighing less than the words next to the figure.
fn add_head(w: &mut Bigrams, head: &str) {
    for b in bigrams(head) {
        w.entry(b).or_insert(HEAD_WEIGHT);
    }
}

/// Verbs of what is done to schools and other facilities (built, renovated, recognised,
/// merged): a figure after one counts those acts or their results, not the facilities there
/// are (新建幼儿园3所 is no count of kindergartens).
const ACTIONS: &[&str] = &[
    "新建", "扩建", "改建", "改造", "建成", "建设", "创建", "认定", "治理", "撤并", "竣工",
];

/// Whether a dimension sorts `thing` into kinds: its name is the thing's and 类型 or 类别
/// (学校类型 for 学校).
fn sorts(dimension_zh: &str, thing: &str) -> bool {
    ["类型", "类别"]
        .iter()
        .any(|k| dimension_zh.strip_suffix(k) == Some(thing))
}

/// A name without the catalogue's trailing 数 ("number of"): reports print the counted thing
/// and a measure word (学校269所), not 学校数.
fn name_words(name: &str) -> &str {
    match name.strip_suffix('数') {
        Some(stem) if stem.chars().count() >= 2 => stem,
        _ => name,
    }
}

/// A name, as a window: every bigram counts fully.
fn name_window(name: &str) -> Bigrams {
    bigrams(name_words(name))
        .into_iter()
        .map(|b| (b, 1.0))
        .collect()
}

/// The ways a report may print a catalogue name: the name without its bracketed part, and, when
/// the bracket holds as many characters as the word before it, the name with the bracket in
/// place of that word (在校（在园）学生数: 在校学生数 and 在园学生数).
fn name_variants(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let Some(open) = chars.iter().position(|c| matches!(c, '（' | '(')) else {
        return vec![name.to_string()];
    };
    let Some(close) = chars[open..]
        .iter()
        .position(|c| matches!(c, '）' | ')'))
        .map(|p| open + p)
    else {
        return vec![name.to_string()];
    };
    let head = &chars[..open];
    let inner = &chars[open + 1..close];
    let rest = &chars[close + 1..];
    let mut out = vec![head.iter().chain(rest).collect::<String>()];
    let n = inner.len();
    if n > 0 && head.len() >= n && head[head.len() - n..].iter().all(|c| is_han(*c)) {
        let kept = &head[..head.len() - n];
        out.push(kept.iter().chain(inner).chain(rest).collect());
    }
    out
}

/// `text` without the figures it holds (an Arabic number and the unit printed after it) and
/// without units in brackets (a table's 在校学生数（万人）): a unit names nothing, and the unit
/// of another figure (万元 in 经费169333万元，增长率) is incidental.
fn without_figures(text: &str, units: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '（' | '(') {
            let rest: String = chars[i + 1..chars.len().min(i + 10)].iter().collect();
            let unit = units.iter().find(|u| {
                rest.strip_prefix(u.as_str())
                    .is_some_and(|r| r.starts_with(['）', ')']))
            });
            if let Some(u) = unit {
                i += u.chars().count() + 2;
                out.push('|');
                continue;
            }
        }
        if !(c.is_ascii_digit() || ('０'..='９').contains(&c)) {
            out.push(c);
            i += 1;
            continue;
        }
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || ('０'..='９').contains(&chars[i])
                || ".．,，".contains(chars[i])
                || chars[i].is_whitespace())
        {
            i += 1;
        }
        while i < chars.len() && "余多万亿".contains(chars[i]) {
            i += 1;
        }
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if let Some(u) = units.iter().find(|u| rest.starts_with(u.as_str())) {
            i += u.chars().count();
        }
        out.push('|');
    }
    out
}

/// A word of an indicator's names is its own when at most this many indicators' names hold
/// it: 近视 (one indicator) or 学位 (a few) say which quantity; 学校, 教育 or 占比 (dozens) say
/// only what sort.
const OWN_WORD_INDICATORS: usize = 3;

/// An example this alike (the same sentence, a report read again against its own published
/// figures) names its figure by itself: the own-word check is for looser likenesses (研究生学历
/// 占比 like 公办在园幼儿占比 by 全区…占比达 alone scores about 0.4).
const OWN_WORD_TRUSTED: f64 = 1.0;

/// Words that measure rather than name (最大值 幅度 of 降费幅度最大值): no indicator owns them.
const MEASURE_WORDS: &[&str] = &["最大", "最小", "平均", "幅度", "比例", "占比", "比率"];

/// A word of a name as the thing it names: without a trailing 数 (项目数 → 项目: reports
/// print the counted thing, not "number of"); `None` for a word of fewer than two Chinese
/// characters once so cut (总数, 人数) or a measure word ([`MEASURE_WORDS`]).
fn thing_word(word: &str) -> Option<String> {
    let word = word.strip_suffix('数').unwrap_or(word);
    let word = MEASURE_WORDS
        .iter()
        .find_map(|m| {
            word.strip_suffix(m)
                .filter(|rest| rest.chars().count() >= 2)
        })
        .unwrap_or(word);
    (word.chars().count() >= 2 && word.chars().all(is_han) && !MEASURE_WORDS.contains(&word))
        .then(|| word.to_string())
}

/// The words of `texts` cut by the segmenter, as things ([`thing_word`]).
fn thing_words(texts: &[String]) -> std::collections::BTreeSet<String> {
    texts
        .iter()
        .flat_map(|t| SEGMENTER.cut(t, false))
        .filter_map(|t| thing_word(t.word))
        .collect()
}

/// How many of `sets` hold each word.
fn holders(sets: &[std::collections::BTreeSet<String>]) -> HashMap<&str, usize> {
    let mut holders: HashMap<&str, usize> = HashMap::new();
    for w in sets.iter().flatten() {
        *holders.entry(w.as_str()).or_default() += 1;
    }
    holders
}

/// Per indicator, its own words: the words of its names (`names`: name, aliases, rare
/// members) that at most [`OWN_WORD_INDICATORS`] indicators' names hold. (The words just
/// before its published figures were tried as well: the segmenter's cuts of a lead's last
/// characters make nouns of halves (比达 of 占比达), and the held-out score fell.)
fn own_words(names: &[Vec<String>]) -> Vec<Vec<String>> {
    let named: Vec<_> = names.iter().map(|t| thing_words(t)).collect();
    let by_name = holders(&named);
    named
        .iter()
        .map(|set| {
            set.iter()
                .filter(|w| by_name.get(w.as_str()).copied().unwrap_or(0) <= OWN_WORD_INDICATORS)
                .cloned()
                .collect()
        })
        .collect()
}

impl Profiles {
    /// Builds the windows of every indicator of `k` (its name and its examples).
    pub fn build(k: &Knowledge) -> Profiles {
        let index: HashMap<&str, usize> = k
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.code.as_str(), i))
            .collect();
        let mut windows: Vec<Window> = k
            .indicators
            .iter()
            .enumerate()
            .flat_map(|(i, ind)| {
                // The name and its aliases (总投资 for 学校建设资金) are alike as cues.
                let names = name_variants(&ind.name_zh).into_iter().map(move |name| {
                    (
                        name,
                        Cue::Name {
                            name: ind.name_zh.clone(),
                        },
                    )
                });
                let aliases = ind
                    .aliases
                    .iter()
                    .flat_map(|a| name_variants(a))
                    .map(move |a| (a.clone(), Cue::Alias { alias: a }));
                names
                    .chain(aliases)
                    .map(move |(name, label)| Window::named(i, &name, label))
            })
            .collect();
        // A member of a dimension that few indicators have names its indicator as its name
        // does (保安配备率达100%: 保安配备 is a member of the security measures only one
        // indicator is broken down by); a member of a common dimension (school stage) says
        // nothing about which indicator.
        let mut users: HashMap<&str, usize> = HashMap::new();
        for ind in &k.indicators {
            for d in &ind.dimensions {
                *users.entry(d.as_str()).or_default() += 1;
            }
        }
        let mut qualifiers: Vec<String> = k
            .members
            .iter()
            .filter(|m| users.get(m.dimension.as_str()).copied().unwrap_or(0) > RARE_DIMENSION)
            .flat_map(|m| m.words.iter().cloned())
            .chain(
                MODIFIERS
                    .iter()
                    .flat_map(|g| g.iter().map(|w| w.to_string())),
            )
            .chain(
                LINK_WORDS
                    .iter()
                    .chain(PLAIN_QUALIFIERS)
                    .filter(|w| w.chars().count() >= 2)
                    .map(|w| w.to_string()),
            )
            .filter(|w| w.chars().count() >= 2)
            .collect();
        qualifiers.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        qualifiers.dedup();
        let qualifiers = Qualifiers::new(qualifiers);
        // The texts that name each indicator, for its own words.
        let mut name_texts: Vec<Vec<String>> = k
            .indicators
            .iter()
            .map(|ind| {
                let mut texts = name_variants(&ind.name_zh);
                texts.extend(ind.aliases.iter().flat_map(|a| name_variants(a)));
                texts
            })
            .collect();
        for (i, ind) in k.indicators.iter().enumerate() {
            for d in &ind.dimensions {
                if users.get(d.as_str()).copied().unwrap_or(0) > RARE_DIMENSION {
                    continue;
                }
                for m in k.members.iter().filter(|m| &m.dimension == d) {
                    for word in &m.words {
                        // A band named by its numbers (45人及以下) names no thing: its words
                        // (以下, 人及) stand anywhere.
                        let band = word.starts_with(|c: char| c.is_ascii_digit());
                        if band || bigrams(word).is_empty() {
                            continue;
                        }
                        name_texts[i].push(word.clone());
                        let label = Cue::Member {
                            word: word.clone(),
                            dimension: d.clone(),
                        };
                        windows.push(Window::named(i, word, label));
                    }
                }
            }
        }
        // A member of a dimension that sorts the counted thing into kinds (学校类型 of 学校数:
        // 幼儿园, 小学, 教学点) names the thing as the name does: 幼儿园146所 counts schools.
        // Not an own word of the indicator: 全区共有学校269所 names none of the kinds.
        for (i, ind) in k.indicators.iter().enumerate() {
            let thing = name_words(&ind.name_zh);
            for m in &k.members {
                let common = users.get(m.dimension.as_str()).copied().unwrap_or(0) > RARE_DIMENSION;
                if !common
                    || !ind.dimensions.contains(&m.dimension)
                    || !sorts(&m.dimension_zh, thing)
                {
                    continue;
                }
                for word in m
                    .words
                    .iter()
                    .filter_map(|w| name_variants(w).into_iter().next())
                {
                    if bigrams(&word).is_empty() {
                        continue;
                    }
                    let label = Cue::Kind {
                        word: word.clone(),
                        dimension: m.dimension.clone(),
                    };
                    windows.push(Window::named(i, &word, label));
                }
            }
        }
        // What names each indicator: the words of its names, aliases and rare members (the
        // windows so far), then below the anchors of its published figures.
        let mut vocabulary = vec![std::collections::HashSet::new(); k.indicators.len()];
        for w in &windows {
            vocabulary[w.indicator].extend(w.bigrams.keys().cloned());
        }
        let own_words = own_words(&name_texts);
        for e in &k.examples {
            if let Some(&i) = index.get(e.indicator.as_str()) {
                let lead = without_figures(&e.lead, &k.unit_spellings);
                let after = without_figures(&e.after, &k.unit_spellings);
                vocabulary[i].extend(
                    anchor(&lead, &after, &qualifiers)
                        .into_iter()
                        .map(|(b, _)| b),
                );
                // Built as a figure's window is, sentence head included.
                let mut bigrams = window(&lead, &after);
                let mut text = window_text(&lead, &after);
                if let Some(head) = &e.head {
                    let head = without_figures(head, &k.unit_spellings);
                    add_head(&mut bigrams, &head);
                    text.push(' ');
                    text.push_str(&head);
                }
                windows.push(Window {
                    indicator: i,
                    bigrams,
                    unit: e.unit.clone(),
                    value: Some(e.value),
                    label: Cue::Example {
                        lead: last_chars(&e.lead, BEFORE),
                    },
                    modifiers: modifiers_in(&text),
                    kind: Some(e.kind),
                });
            }
        }
        let n = windows.len().max(1) as f64;
        let mut df: HashMap<String, f64> = HashMap::new();
        for w in &windows {
            for b in w.bigrams.keys() {
                *df.entry(b.clone()).or_insert(0.0) += 1.0;
            }
        }
        let idf = df
            .into_iter()
            .map(|(b, d)| (b, (1.0 + n / d).ln()))
            .collect();
        let mut measures: HashMap<usize, Vec<String>> = HashMap::new();
        for w in &windows {
            if w.kind.is_some_and(|k| k.fixed_unit().is_none()) {
                let list = measures.entry(w.indicator).or_default();
                let m = measure(&w.unit).to_string();
                if !list.contains(&m) {
                    list.push(m);
                }
            }
        }
        let mut profiles = Profiles {
            windows,
            idf,
            measures,
            vocabulary,
            own_words,
            qualifiers,
            ..Profiles::default()
        };
        profiles.index(k);
        profiles
    }

    /// What [`decide`] and [`carried_topic`] need per figure, computed once: the inverted index
    /// from bigram to windows, the windows' norms, each indicator's first window, and the
    /// words that name no topic.
    fn index(&mut self, k: &Knowledge) {
        let mut postings: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        let mut firsts: Vec<(usize, usize)> = Vec::new();
        let mut seen: Vec<bool> = vec![false; k.indicators.len()];
        for (wi, w) in self.windows.iter().enumerate() {
            for (b, n) in &w.bigrams {
                postings.entry(b.clone()).or_default().push((wi, *n));
            }
            if let Some(first) = seen.get_mut(w.indicator).filter(|s| !**s) {
                *first = true;
                firsts.push((w.indicator, wi));
            }
        }
        self.norms = self.windows.iter().map(|w| self.norm(&w.bigrams)).collect();
        self.postings = postings;
        self.firsts = firsts;
        let mut noise: Vec<&str> = NO_TOPIC.to_vec();
        noise.extend(MODIFIERS.iter().flat_map(|g| g.iter().copied()));
        noise.extend(
            k.members
                .iter()
                .flat_map(|m| m.words.iter().map(String::as_str)),
        );
        // Longest first, so a member's long name goes before a short word inside it.
        noise.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        self.no_topic = noise.into_iter().map(str::to_string).collect();
    }

    /// The norm of a window, each bigram weighted by its nearness and its rarity.
    fn norm(&self, w: &Bigrams) -> f64 {
        w.iter()
            .map(|(x, n)| (n * self.weight(x)).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// The cosine similarity ([`Profiles::similarity`]) of the figure's window `mine` with
    /// every window sharing a bigram with it, by window: the same sums, term by term in the
    /// order of `mine`, through the inverted index instead of a look-up in every window.
    /// Windows sharing no bigram are `None` (their similarity is 0).
    fn similarities(&self, mine: &Bigrams) -> Vec<Option<f64>> {
        let mut dots: Vec<Option<f64>> = vec![None; self.windows.len()];
        for (x, na) in mine {
            let Some(list) = self.postings.get(x) else {
                continue;
            };
            let w2 = self.weight(x).powi(2);
            for &(wi, nb) in list {
                let dot = dots[wi].get_or_insert(0.0);
                *dot += na * nb * w2;
            }
        }
        let mine_norm = self.norm(mine);
        for (wi, dot) in dots.iter_mut().enumerate() {
            if let Some(dot) = dot {
                let d = mine_norm * self.norms[wi];
                *dot = if d > 0.0 { *dot / d } else { 0.0 };
            }
        }
        dots
    }

    /// How much of a figure's anchor the indicator's vocabulary holds: the share of its
    /// naming bigrams, each weighted by nearness and rarity. `None`
    /// when the anchor names nothing (分别为…、36.63%: the topic is the sentence's head).
    fn support(&self, anchor: &[(String, f64)], indicator: usize) -> Option<f64> {
        let vocabulary = self.vocabulary.get(indicator)?;
        let (mut held, mut total) = (0.0, 0.0);
        for (b, n) in anchor {
            let w = n * self.weight(b);
            total += w;
            if vocabulary.contains(b) {
                held += w;
            }
        }
        (total > 0.0).then(|| held / total)
    }

    /// [`Profiles::support`] of words standing alone (a table's label): how much of what they
    /// name the indicator's vocabulary holds, breakdown members and link words aside.
    pub(super) fn support_of_words(&self, words: &str, indicator: usize) -> Option<f64> {
        self.support(&anchor(words, "", &self.qualifiers), indicator)
    }

    fn weight(&self, b: &str) -> f64 {
        // A bigram no window has is as rare as can be.
        self.idf
            .get(b)
            .copied()
            .unwrap_or_else(|| (1.0 + self.windows.len() as f64).ln())
    }

    /// Cosine similarity of two windows, each bigram weighted by its nearness and its rarity:
    /// the definition [`Profiles::similarities`] computes for all windows at once (the tests
    /// hold them equal).
    #[cfg(test)]
    fn similarity(&self, a: &Bigrams, b: &Bigrams) -> f64 {
        let dot: f64 = a
            .iter()
            .filter_map(|(x, na)| b.get(x).map(|nb| na * nb * self.weight(x).powi(2)))
            .sum();
        let d = self.norm(a) * self.norm(b);
        if d > 0.0 {
            dot / d
        } else {
            0.0
        }
    }

    /// How much of `name` (rarity-weighted) the figure's window `w` holds, each bigram counted
    /// by its nearness in `w`: 1 when the whole name stands just before the figure. Unlike the
    /// cosine it ignores the window's other words, which name the circumstances (全区共有各级
    /// 各类学校: only 学校 is the counted thing).
    fn coverage(&self, w: &Bigrams, name: &Bigrams) -> f64 {
        let total: f64 = name.keys().map(|x| self.weight(x).powi(2)).sum();
        let held: f64 = name
            .keys()
            .filter_map(|x| w.get(x).map(|n| n * self.weight(x).powi(2)))
            .sum();
        if total > 0.0 {
            held / total
        } else {
            0.0
        }
    }
}

/// A year as reports print it, PDF spacing included (2020 年底).
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"((?:19|20)\d{2})\s*年\s*(底|末)?"));
/// A date opening a sentence (2021年，, 2020 年底, 2022年3月以来).
static LEADING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(
        r"^\s*(?:19|20)\d{2}\s*年(?:底|末|初|度)?(?:\s*\d{1,2}\s*月(?:份|底)?)?(?:以来)?[，,、\s]*",
    )
});
static TARGET_YEAR: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"到\s*((?:19|20)\d{2})\s*年"));
/// Words that make a figure a goal. A bare 目标 does not (明确四大整改目标 counts goals);
/// 目标为 / 目标是 does.
const TARGET_WORDS: &[&str] = &[
    "力争",
    "目标为",
    "目标是",
    "目标：",
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
/// Words that name a growth rate: a percentage right after them is a growth, compared or not.
const GROWTH_RATE: &[&str] = &["增长率", "增幅", "增速", "降幅"];
const COMPARED: &[&str] = &["比上年", "较上年", "同比", "比去年", "较去年"];

fn text(chars: &[char], from: usize, to: usize) -> String {
    chars[from.min(to)..to].iter().collect()
}

/// Factor on the confidence of a figure whose period is taken from the document.
const GUESSED_PERIOD: f64 = 0.8;

/// Marks of a thing done, between a goal word and the figure (计划新建3所，已建成2所): the
/// figure is what was achieved, not the goal.
const DONE_WORDS: &[&str] = &["已", "实际", "累计", "完成了", "达到了", "实现了", "先后"];
/// What ends a clause.
const CLAUSE_ENDS: &[char] = &['，', ',', '；', ';', '：', ':', '。'];
/// Longest lead clause (in characters) whose goal word governs the clauses after it (力争到
/// 2025年，…); a longer one is a purpose of its own (为确保工作落实，召开会议9次: done, not a goal).
const GOAL_LEAD: usize = 12;

/// Whether a figure is a goal, from the words of its sentence before it: a goal word in the
/// figure's own clause, or in a short lead clause that governs what follows (力争到2025年，…;
/// 目标：… governs a whole list), with no mark of a thing done between the word and the figure.
/// A goal word after the figure (召开会议9次，确保…) says nothing of it. `到<year>` is no goal
/// when the year is `past_until` or before: the document looks back on it.
fn is_goal(sentence_before: &str, past_until: Option<i32>) -> bool {
    for w in TARGET_WORDS {
        for (pos, _) in sentence_before.match_indices(w) {
            let before = &sentence_before[..pos];
            // 截至到2023年, 从2020年到2023年: a date, not a goal.
            if *w == "到20" && before.ends_with(['至', '止', '年']) {
                continue;
            }
            // 由2021年的88.7%提高到2022年的91.5% in a report on 2022: what was reached.
            if *w == "到20"
                && TARGET_YEAR
                    .captures(&sentence_before[pos..])
                    .and_then(|c| c[1].parse::<i32>().ok())
                    .is_some_and(|y| past_until.is_some_and(|p| y <= p))
            {
                continue;
            }
            let from_word = &sentence_before[pos..];
            if DONE_WORDS.iter().any(|d| from_word.contains(d)) {
                continue;
            }
            let word_end = pos + w.len();
            let Some(end) = sentence_before[word_end..].find(CLAUSE_ENDS) else {
                // The word is in the figure's own clause.
                return true;
            };
            let start = before
                .char_indices()
                .rev()
                .find(|(_, c)| CLAUSE_ENDS.contains(c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let lead = &sentence_before[start..word_end + end];
            // 为确保安全，召开会议9次: a purpose (为, 为了) says why something was done.
            if lead.trim_start().starts_with('为') {
                continue;
            }
            if w.starts_with("目标") || lead.chars().count() <= GOAL_LEAD {
                return true;
            }
        }
    }
    false
}

fn kind_of(
    f: &Figure,
    clause_before: &str,
    sentence_before: &str,
    past_until: Option<i32>,
) -> ObservationKind {
    let directed = DIRECTION_UP
        .iter()
        .chain(DIRECTION_DOWN)
        .any(|w| f.value.starts_with(w) || clause_before.ends_with(w));
    let compared = COMPARED.iter().any(|w| clause_before.contains(w));
    if f.is_rank {
        ObservationKind::Rank
    } else if f.unit == "个百分点" {
        ObservationKind::Change
    } else if (f.unit == "%" || f.unit == "％")
        && GROWTH_RATE
            .iter()
            .any(|w| clause_before.trim_end().ends_with(w))
    {
        ObservationKind::Growth
    } else if directed && (compared || f.value.chars().next().is_some_and(|c| !c.is_ascii_digit()))
    {
        if f.unit == "%" || f.unit == "％" {
            ObservationKind::Growth
        } else {
            ObservationKind::Change
        }
    } else if is_goal(sentence_before, past_until) {
        ObservationKind::Target
    } else {
        ObservationKind::Actual
    }
}

/// The last year the document looks back on: for a plan, the year before the first it plans
/// for; for any other report, the year it reviews. `None` when neither is known.
fn past_until(cx: &Context<'_>) -> Option<i32> {
    match cx.plans_from {
        Some(from) => Some(from - 1),
        None => cx.review_year,
    }
}

/// Words that date a plan's figure as the state it starts from (截至2023年底, 目前, 现有), not
/// what it will do.
const STATE_WORDS: &[&str] = &["截至", "截止", "目前", "现有", "现阶段", "仍有", "尚有"];

/// A plan's figure stated for a year it plans for, without a word of the present state, is a
/// target; any other kind stays as it is.
fn planned(
    kind: ObservationKind,
    sentence_before: &str,
    plans_from: Option<i32>,
) -> ObservationKind {
    let Some(from) = plans_from else {
        return kind;
    };
    let dated_ahead = stated_years(sentence_before)
        .last()
        .and_then(|c| c[1].parse::<i32>().ok())
        .is_some_and(|y| y >= from);
    if kind == ObservationKind::Actual
        && dated_ahead
        && !STATE_WORDS.iter().any(|w| sentence_before.contains(w))
    {
        ObservationKind::Target
    } else {
        kind
    }
}

/// Words opening a plan's measures (整改措施：…), and its account of the problem (存在问题：…).
const MEASURE_MARKS: &[&str] = &["整改措施", "整改目标", "主要措施", "工作目标"];
const PROBLEM_MARKS: &[&str] = &["存在问题", "问题表现", "主要问题", "问题描述"];
/// How far (in characters) a measure's mark and its deadline are looked for.
const MEASURE_REACH: usize = 600;
/// A plan's deadline line: 完成时限：2024年12月底, 整改时限：2025年9月底前.
static DEADLINE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"(?:完成时限|整改时限|完成时间)\s*[:：]\s*((?:19|20)\d{2})\s*年")
});

/// For a figure among a plan's measures (after 整改措施 and before the next problem or
/// measure), the year of the deadline that closes them (完成时限：2024年12月底), when it is one
/// the plan plans for: the measures are what the plan will have done by then.
fn measure_deadline(f: &Figure, cx: &Context<'_>) -> Option<i32> {
    let from = cx.plans_from?;
    let back = text(cx.chars, f.start.saturating_sub(MEASURE_REACH), f.start);
    let last = |marks: &[&str]| marks.iter().filter_map(|m| back.rfind(m)).max();
    let measure = last(MEASURE_MARKS)?;
    if last(PROBLEM_MARKS).is_some_and(|p| p > measure) {
        return None;
    }
    let ahead = text(
        cx.chars,
        f.start,
        (f.start + MEASURE_REACH).min(cx.chars.len()),
    );
    let deadline = DEADLINE.captures(&ahead)?;
    let at = deadline.get(0)?.start();
    // A deadline past the next problem or measures is theirs.
    let next = MEASURE_MARKS
        .iter()
        .chain(PROBLEM_MARKS)
        .filter_map(|m| ahead.find(m))
        .min();
    if next.is_some_and(|n| n < at) {
        return None;
    }
    deadline[1].parse::<i32>().ok().filter(|y| *y >= from)
}

/// The years `text` states as reference periods: not a comparison base (较2024年, 比上年's
/// 比2020年, 与2019年相比), which is the base period of a change, nor the start of a span
/// (2021年以来).
fn stated_years(text: &str) -> Vec<regex::Captures<'_>> {
    YEAR.captures_iter(text)
        .filter(|c| {
            let Some(whole) = c.get(0) else {
                return false;
            };
            let before = text[..whole.start()].trim_end();
            // 对我区2021年以来履行职责情况开展评价: the start of a span the sentence looks back
            // over, not the year its figure stands in.
            let since = text[whole.end()..].trim_start().starts_with("以来");
            !before.ends_with(['较', '比', '与', '同']) && !since
        })
        .collect()
}

/// A figure's reference period as the matcher chose it.
#[derive(Debug, Clone, PartialEq)]
struct PeriodChoice {
    /// The period code; empty when there is none.
    code: String,
    /// How it was inferred, when the figure's own words do not state it.
    note: Option<PeriodNote>,
    /// Taken from the document as a whole (its title, its date, the span it reviews) rather
    /// than from the figure's words or paragraph: a guess the reviewer should see.
    from_document: bool,
}

impl PeriodChoice {
    /// A period the figure's words (or its table column) state.
    fn stated(code: String, note: Option<PeriodNote>) -> PeriodChoice {
        PeriodChoice {
            code,
            note,
            from_document: false,
        }
    }

    /// A period taken from the document as a whole.
    fn from_document(code: String, note: PeriodNote) -> PeriodChoice {
        PeriodChoice {
            code,
            note: Some(note),
            from_document: true,
        }
    }
}

/// The period as the import accepts it, or none with a note saying why: a year the text
/// states outside the years a period may name (`1900年`, a column headed `2999年`) would make
/// a proposal that publishing refuses (found by fuzzing: `1900年…０万学校`).
fn importable(choice: PeriodChoice) -> PeriodChoice {
    if choice.code.is_empty() || parse_period(&choice.code).is_ok() {
        return choice;
    }
    let note = PeriodNote::Invalid {
        period: choice.code,
    };
    PeriodChoice::stated(String::new(), Some(note))
}

/// The reference period: a year the sentence states before the figure (or, for a target, the
/// year it is due, or its measures' deadline in a plan), else a year stated earlier in the
/// paragraph, else the year reviewed.
fn period_of(
    f: &Figure,
    kind: ObservationKind,
    deadline: Option<i32>,
    cx: &Context<'_>,
) -> PeriodChoice {
    let sentence_before = text(cx.chars, f.sentence.0, f.start);
    let sentence = text(cx.chars, f.sentence.0, f.sentence.1);
    if kind == ObservationKind::Target {
        if let Some(c) = TARGET_YEAR.captures_iter(&sentence).last() {
            return PeriodChoice::stated(c[1].to_string(), None);
        }
    }
    if let Some(c) = stated_years(&sentence_before).last() {
        let code = match c.get(2) {
            Some(_) => format!("{}-12", &c[1]),
            None => c[1].to_string(),
        };
        return PeriodChoice::stated(code, None);
    }
    // A plan's target falls due at its measures' deadline.
    if let (ObservationKind::Target, Some(year)) = (kind, deadline) {
        let note = PeriodNote::Deadline { year };
        return PeriodChoice::stated(year.to_string(), Some(note));
    }
    // Earlier in the paragraph.
    let mut p = f.sentence.0;
    while p > 0 && cx.chars[p - 1] != '\n' {
        p -= 1;
    }
    if let Some(c) = stated_years(&text(cx.chars, p, f.sentence.0)).last() {
        let year = c[1].to_string();
        let note = PeriodNote::Paragraph { year: year.clone() };
        return PeriodChoice::stated(year, Some(note));
    }
    if let Some(span) = &cx.review_span {
        return PeriodChoice::from_document(
            span.clone(),
            PeriodNote::ReviewSpan { span: span.clone() },
        );
    }
    match cx.review_year {
        Some(y) => PeriodChoice::from_document(
            y.to_string(),
            PeriodNote::DocumentYear {
                year: y,
                from: cx.review_year_from.cloned(),
            },
        ),
        None => PeriodChoice::stated(String::new(), Some(PeriodNote::NoYear)),
    }
}

/// The member of each dimension named last in `text` (whitespace ignored, so a table category
/// split over lines still reads 义务教育); of two names ending at the same place the longer
/// wins (中小学 over 小学).
fn members_named<'a>(
    text: &str,
    dimensions: &[String],
    k: &'a Knowledge,
) -> HashMap<&'a str, &'a str> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut best: HashMap<&str, (usize, usize, &str)> = HashMap::new();
    for m in &k.members {
        if !dimensions.contains(&m.dimension) {
            continue;
        }
        for w in &m.words {
            if let Some(pos) = text.rfind(w.as_str()) {
                let key = (pos + w.len(), w.len());
                let entry = best.entry(m.dimension.as_str()).or_insert((0, 0, ""));
                if (key.0, key.1) > (entry.0, entry.1) {
                    *entry = (key.0, key.1, m.member.as_str());
                }
            }
        }
    }
    best.into_iter().map(|(d, (_, _, m))| (d, m)).collect()
}

/// The breakdown of a figure: members named in its clause; for dimensions the clause leaves
/// open, members named earlier in the sentence (全区中小学在校学生106291人，其中公办80668人:
/// both are 中小学); and a member whose name is the printed unit (次, 所次, 起: how it was
/// counted).
fn breakdown_of(
    clause_before: &str,
    sentence_before: &str,
    unit: &str,
    dimensions: &[String],
    k: &Knowledge,
) -> Breakdown {
    let mut found = members_named(sentence_before, dimensions, k);
    found.extend(members_named(clause_before, dimensions, k));
    for m in &k.members {
        if dimensions.contains(&m.dimension) && m.words.iter().any(|w| w == unit) {
            found.insert(m.dimension.as_str(), m.member.as_str());
        }
    }
    if let Some((dimension, member)) = respective_member(sentence_before, dimensions, k) {
        found.insert(dimension, member);
    }
    Breakdown::from_pairs(found).unwrap_or_default()
}

/// The text before 分别 (whitespace dropped) and the figure's place after it, when the figure
/// is in a respective enumeration: after 分别 only figures joined by 、 stand before it.
fn enumeration(sentence_before: &str) -> Option<(String, usize)> {
    let text: String = sentence_before
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let at = text.rfind("分别")?;
    let (head, tail) = text.split_at(at);
    // Another clause mark after 分别 ends the enumeration.
    if tail.contains(['，', ',', '；', ';', '。', '：']) {
        return None;
    }
    Some((head.to_string(), tail.matches('、').count()))
}

/// The words that name every figure of a respective enumeration (…生均一般公共预算教育经费分别为
/// 10856元、13420元、17965元), for a figure after its first: the window's last characters
/// before a later figure hold only the figures before it.
fn enumerated(sentence_before: &str) -> Option<String> {
    let (head, place) = enumeration(sentence_before)?;
    (place > 0).then(|| last_chars(&head, BEFORE))
}

/// The member a figure of a respective enumeration stands for: in 幼儿园、小学、初中生均经费
/// 分别为10856元、13420元、17965元 the n-th figure after 分别 is of the n-th member of the list
/// before it. The list is the last run of members of one of `dimensions` joined only by 、 (或
/// 和, 及, 与); the figures after 分别 are joined by 、 alone. `None` when the sentence is no such
/// enumeration or the list is shorter than the figure's place in it.
fn respective_member<'a>(
    sentence_before: &str,
    dimensions: &[String],
    k: &'a Knowledge,
) -> Option<(&'a str, &'a str)> {
    let (head, place) = enumeration(sentence_before)?;
    /// A member's name found in the head: its byte span, dimension and member code.
    struct Named<'k> {
        from: usize,
        to: usize,
        dimension: &'k str,
        member: &'k str,
    }
    let mut found: Vec<Named<'a>> = Vec::new();
    for m in k
        .members
        .iter()
        .filter(|m| dimensions.contains(&m.dimension))
    {
        for w in m.words.iter().filter(|w| !w.is_empty()) {
            for (from, _) in head.match_indices(w.as_str()) {
                found.push(Named {
                    from,
                    to: from + w.len(),
                    dimension: &m.dimension,
                    member: &m.member,
                });
            }
        }
    }
    // The longest name at a place (普通高中 over 高中); names inside an earlier one dropped.
    found.sort_by(|a, b| a.from.cmp(&b.from).then(b.to.cmp(&a.to)));
    let mut names: Vec<Named<'a>> = Vec::new();
    for n in found {
        if names.last().is_none_or(|l| n.from >= l.to) {
            names.push(n);
        }
    }
    // The last run of one dimension's members joined by list marks only.
    let mut runs: Vec<Vec<Named<'a>>> = Vec::new();
    for n in names {
        let joined = runs.last().and_then(|r| r.last()).is_some_and(|l| {
            l.dimension == n.dimension && ["、", "和", "及", "与"].contains(&&head[l.to..n.from])
        });
        match runs.last_mut() {
            Some(run) if joined => run.push(n),
            _ => runs.push(vec![n]),
        }
    }
    let list = runs.into_iter().rev().find(|r| r.len() >= 2)?;
    list.get(place).map(|n| (n.dimension, n.member))
}

/// How sure a choice is: its score (at most 1), halved when the runner-up scores as much, so a
/// close call asks for a reviewer's attention.
fn confidence(best: f64, second: f64) -> f64 {
    let margin = if best > 0.0 {
        ((best - second) / best).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let c = best.clamp(0.0, 1.0) * (0.5 + 0.5 * margin);
    (c * 1000.0).round() / 1000.0
}

/// Decides one figure.
pub fn decide(f: &Figure, cx: &Context<'_>, k: &Knowledge) -> Decision {
    let profiles = &k.profiles;
    let clause_before = text(cx.chars, f.clause.0, f.start);
    let sentence_before = text(cx.chars, f.sentence.0, f.start);
    let quote = text(cx.chars, f.clause.0, f.clause.1);
    let deadline = measure_deadline(f, cx);
    let kind = match &f.column {
        Some(col) => col.kind,
        None => {
            let kind = planned(
                kind_of(f, &clause_before, &sentence_before, past_until(cx)),
                &sentence_before,
                cx.plans_from,
            );
            // A plan's measure due by its deadline is a target, unless it states the present
            // (截至, 目前) or a thing done (已, 累计).
            let done = STATE_WORDS
                .iter()
                .chain(DONE_WORDS)
                .any(|w| sentence_before.contains(w));
            if kind == ObservationKind::Actual && deadline.is_some() && !done {
                ObservationKind::Target
            } else {
                kind
            }
        }
    };
    let (canonical, factor) = match k.units.get(&f.unit) {
        Some(u) => *u,
        None if f.unit.is_empty() => (CanonicalUnit::Ratio, 1.0),
        None => (CanonicalUnit::One, 1.0),
    };
    let value = crate::ingest::quantity::parse_quantity(&f.value)
        .ok()
        .map(|q| q.value * factor);
    let after_unit = text(cx.chars, f.end.min(f.clause.1), f.clause.1);
    let before = without_figures(&clause_before, &k.unit_spellings);
    let after = without_figures(&after_unit, &k.unit_spellings);
    let mut mine = window(&before, &after);
    let named = anchor(&before, &after, &profiles.qualifiers);
    // The clause may be short (普惠率93%): then the clause before supplies words, weighing no
    // more than a sentence head (they describe the figure before). Not for a part (其中公办
    // 172所): the clause before describes its whole, which [`whole_of`] stands for.
    let whole = whole_of(f, cx);
    // A rank of the figure before it takes that figure's indicator, as a part its whole's.
    let ranks = (kind == ObservationKind::Rank)
        .then(|| ranked(f, cx, &clause_before))
        .flatten();
    let whole = whole.or(ranks);
    // The words the figure's window was made of, for the own-word check below.
    let mut seen_text = String::new();
    if clause_before.chars().count() < 4 && whole.is_none() {
        let earlier = text(cx.chars, f.sentence.0, f.clause.0);
        let earlier = without_figures(&earlier, &k.unit_spellings);
        for (b, w) in window(&earlier, "") {
            mine.entry(b).or_insert(w.min(HEAD_WEIGHT));
        }
        seen_text = last_chars(&earlier, BEFORE);
    }
    let mut mine_text = window_text(&before, &after);
    if let Some(head) = head_of(&sentence_before).map(|h| without_figures(&h, &k.unit_spellings)) {
        add_head(&mut mine, &head);
        mine_text.push(' ');
        mine_text.push_str(&head);
    }
    // A later figure of a respective enumeration is named by the words before 分别, however
    // far it stands from them.
    if let Some(words) = enumerated(&sentence_before) {
        let words = without_figures(&words, &k.unit_spellings);
        for (b, v) in window(&words, "") {
            let e = mine.entry(b).or_insert(0.0);
            *e = e.max(v);
        }
        mine_text.push(' ');
        mine_text.push_str(&words);
    }
    // A sentence whose opening names no quantity carries the previous sentence's topic.
    if let Some(topic) = carried_topic(f, cx, k) {
        add_head(&mut mine, &topic);
        mine_text.push(' ');
        mine_text.push_str(&topic);
    }
    // A modifier anywhere in the clause before the figure is the figure's: a window's twelve
    // characters may cut it off (小学、初中生均教学仪器设备值分别达到 keeps only 均…).
    let mine_modifiers = modifiers_in(&mine_text) | modifiers_in(&before);
    // Best window per indicator; the best unit-compatible indicator wins.
    // Per indicator: its best example window and its name; both agreeing is the strongest cue.
    // Per indicator: (best example, its window, best name, name coverage, the best name's
    // window); a name window is the name, an alias or a member of a rare dimension.
    // Every indicator starts at its first window; only windows sharing a bigram with the
    // figure can raise its evidence (the others score 0), so only they are visited.
    let mut per_indicator: HashMap<usize, (f64, usize, f64, f64, usize)> = profiles
        .firsts
        .iter()
        .map(|&(i, wi)| (i, (0.0, wi, 0.0, 0.0, wi)))
        .collect();
    let similarities = profiles.similarities(&mine);
    // 扩建幼儿园1所 counts a thing done to kindergartens, not kindergartens: a kind of the
    // counted thing names a count only where nothing is done to it.
    let acted_on = ACTIONS.iter().any(|a| clause_before.contains(a));
    for (wi, similarity) in similarities.into_iter().enumerate() {
        let Some(similarity) = similarity else {
            continue;
        };
        let w = &profiles.windows[wi];
        if acted_on && matches!(w.label, Cue::Kind { .. }) {
            continue;
        }
        // Units and magnitudes compare only between values of one kind: a growth rate is in %
        // whatever it is the growth of, and a change is smaller than the level it changes.
        let same_kind = w.kind == Some(kind);
        let comparable_unit = same_kind
            || (kind.fixed_unit().is_none() && w.kind.is_some_and(|k| k.fixed_unit().is_none()));
        let comparable_value =
            same_kind || (kind.is_level() && w.kind.is_some_and(|k| k.is_level()));
        // The same measure word (所, 场次, 人次) is a cue of its own; for a name, the measure
        // words of the indicator's published figures.
        let unit_cue = if w.kind.is_none() {
            let printed = profiles.measures.get(&w.indicator);
            if kind.fixed_unit().is_some()
                || printed.is_none_or(|m| m.iter().any(|m| m == measure(&f.unit)))
            {
                1.0
            } else {
                UNIT_MISMATCH
            }
        } else if !comparable_unit || measure(&w.unit) == measure(&f.unit) {
            1.0
        } else {
            UNIT_MISMATCH
        };
        // A figure orders of magnitude away from an example is likely another quantity (a
        // per-student amount beside a total, a count of schools beside one of students).
        let magnitude_cue = match (value, w.value) {
            (Some(v), Some(e)) if comparable_value && v > 0.0 && e > 0.0 => {
                let d = (v.log10() - e.log10()).abs();
                if d <= 1.0 {
                    1.0
                } else if d <= 2.0 {
                    0.8
                } else {
                    0.5
                }
            }
            _ => 1.0,
        };
        // A per-capita amount or an addition is another quantity than the plain one.
        let modifier_cue =
            MODIFIER_MISMATCH.powi((w.modifiers ^ mine_modifiers).count_ones() as i32);
        let sim = unit_cue * magnitude_cue * modifier_cue * similarity;
        let e = per_indicator
            .entry(w.indicator)
            .or_insert((0.0, wi, 0.0, 0.0, wi));
        if w.unit.is_empty() {
            // Of a name's variants, the closest.
            if sim > e.2 {
                e.2 = sim;
                e.4 = wi;
            }
            e.3 = e.3.max(modifier_cue * profiles.coverage(&mine, &w.bigrams));
        } else if sim > e.0 {
            e.0 = sim;
            e.1 = wi;
        }
    }
    // Example and name agreeing is the strongest cue; the name standing whole next to the figure
    // multiplies the evidence (up to twice).
    let per_indicator: HashMap<usize, (f64, usize)> = per_indicator
        .into_iter()
        .map(|(i, (example, example_wi, name, cover, name_wi))| {
            let evidence = example.max(name) + 0.25 * example.min(name);
            // `why` names the window that weighed most.
            let wi = if name > example { name_wi } else { example_wi };
            let score = evidence * (1.0 + cover);
            // A rank's words name nothing: what it ranks decides, whatever they are like.
            let score = if ranks.is_some() && ranks == Some(k.indicators[i].code.as_str()) {
                score.max(TRUSTED)
            } else {
                score
            };
            match whole {
                // A part: its whole's indicator, unless its words say clearly otherwise.
                Some(code) if code == k.indicators[i].code => (i, (score * PART_OF, wi)),
                _ => (i, (score, wi)),
            }
        })
        .collect();
    let mut best: Option<(usize, f64, usize)> = None;
    // The score of the runner-up among the indicators that could take the figure.
    let mut second = 0.0;
    let mut best_any: Option<(usize, f64)> = None;
    let mut ranked: Vec<(usize, (f64, usize))> = per_indicator.into_iter().collect();
    // Deterministic order: by score, then by catalogue order.
    ranked.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    for (i, (score, wi)) in ranked {
        if best_any.is_none() {
            best_any = Some((i, score));
        }
        let ind = &k.indicators[i];
        // A level outside the indicator's valid range is another indicator's figure.
        let in_range = !kind.is_level()
            || value
                .is_none_or(|v| ind.min.is_none_or(|m| v >= m) && ind.max.is_none_or(|m| v <= m));
        let admitted = cx.admits.is_none_or(|admits| admits(ind));
        if kind.value_unit(ind.unit) == canonical && in_range && admitted {
            if best.is_none() {
                best = Some((i, score, wi));
            } else {
                second = score;
                break;
            }
        }
    }
    let PeriodChoice {
        code: period,
        note: period_note,
        from_document,
    } = importable(match &f.column {
        Some(col) => PeriodChoice::stated(col.period.clone(), Some(col.note.clone())),
        None => period_of(f, kind, deadline, cx),
    });
    let base_period = match kind {
        ObservationKind::Change | ObservationKind::Growth
            if COMPARED.iter().any(|w| clause_before.contains(w)) =>
        {
            period
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .map(|y| (y - 1).to_string())
                .filter(|p| parse_period(p).is_ok())
        }
        _ => None,
    };
    // The winner must be the quantity the figure's own words name. A part of a whole
    // (其中公办学校172所) is checked whatever its score: its whole's indicator wins it by
    // [`PART_OF`], which is right when the part's words are the whole's or a breakdown member
    // (blanked from the anchor as qualifiers), and wrong when they name a subset the catalogue
    // lacks (在校生20.36万人，其中寄宿生6.74万人: boarders are not the students' breakdown).
    let support = best.and_then(|(i, score, _)| {
        let code = Some(k.indicators[i].code.as_str());
        (ranks != code && (whole == code || score < TRUSTED))
            .then(|| profiles.support(&named, i))
            .flatten()
    });
    let supported = support.is_none_or(|s| s >= cx.min_support);
    // Nor a kind of it the catalogue lacks (家长学校312所 is no count of schools). A part's
    // words were checked above.
    let narrower = best.and_then(|(i, _, _)| {
        (whole != Some(k.indicators[i].code.as_str()))
            .then(|| narrowed(&before, &profiles.qualifiers, &profiles.vocabulary[i]))
            .flatten()
    });
    // Nor a quantity none of whose own words stand near the figure: a published figure's
    // context shares only common words with it (研究生学历占比 is like 公办在园幼儿占比 by 占比
    // alone), or a name only its sort (入学率 of 残疾儿童义务教育入学率 beside 净入学率).
    let unnamed = best.and_then(|(i, score, wi)| {
        let own = profiles.own_words.get(i)?;
        // Only against an example's likeness: a name or member cue already stands near the
        // figure in its own words (measured on the held-out documents, checking every cue
        // cost 3 points of prose and 7 of the seeds' indicator score for 5 fewer forced).
        let by_example = matches!(profiles.windows[wi].label, Cue::Example { .. });
        (by_example
            && score < OWN_WORD_TRUSTED
            && whole != Some(k.indicators[i].code.as_str())
            && !own.is_empty()
            && !own.iter().any(|w| {
                [&clause_before, &after_unit, &mine_text, &seen_text]
                    .iter()
                    .any(|t| t.contains(w.as_str()))
            }))
        .then(|| own.clone())
    });
    // Nor another kind of its quantity (寄宿生占比 is no 公办幼儿园在园幼儿占比).
    // Checked last: the reasons above say more when they apply.
    let narrower = narrower.or_else(|| {
        if unnamed.is_some() {
            return None;
        }
        best.and_then(|(i, _, _)| {
            let ind = &k.indicators[i];
            let variants: Vec<String> = std::iter::once(&ind.name_zh)
                .chain(&ind.aliases)
                .flat_map(|n| name_variants(n))
                .collect();
            let names: Vec<&str> = variants.iter().map(String::as_str).collect();
            let members: Vec<&str> = k
                .members
                .iter()
                .filter(|m| ind.dimensions.contains(&m.dimension))
                .flat_map(|m| m.words.iter().map(String::as_str))
                .collect();
            (whole != Some(ind.code.as_str()))
                .then(|| {
                    rival_words(
                        &before,
                        &profiles.qualifiers,
                        &names,
                        &profiles.vocabulary[i],
                        &text(cx.chars, f.sentence.0, f.sentence.1),
                        &members,
                    )
                })
                .flatten()
        })
    });
    match best {
        Some((i, score, wi))
            if score >= cx.threshold && supported && narrower.is_none() && unnamed.is_none() =>
        {
            let ind = &k.indicators[i];
            let breakdown = breakdown_of(
                &clause_before,
                &sentence_before,
                &f.unit,
                &ind.dimensions,
                k,
            );
            let ranking = ranks == Some(ind.code.as_str());
            let mut reasons = vec![Reason::Chosen {
                name_zh: ind.name_zh.clone(),
                code: ind.code.clone(),
                cue: profiles.windows[wi].label.clone(),
                part: whole == Some(ind.code.as_str()) && !ranking,
                similarity: score,
                runner_up: second,
                support,
            }];
            if ranking {
                reasons.push(Reason::RankOf {
                    code: ind.code.clone(),
                });
            }
            // A year taken from the document rather than from the figure's own words is a guess
            // a reviewer should see: it is named in `why` and lowers the confidence.
            let mut sure = confidence(score, second);
            if let (true, Some(note)) = (from_document, &period_note) {
                reasons.push(Reason::Period {
                    period: period.clone(),
                    note: note.clone(),
                });
                sure = (sure * GUESSED_PERIOD * 1000.0).round() / 1000.0;
            }
            Decision::Proposal(Proposal {
                row: ObservationRow {
                    key: String::new(),
                    district: cx.district.to_string(),
                    indicator: ind.code.clone(),
                    period,
                    period_note: period_note.map(|n| n.en()),
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
                confidence: sure,
                why: super::why::en(&reasons),
                reasons,
                cell: None,
            })
        }
        other => {
            let category = best_any
                .filter(|(_, s)| *s >= 0.1)
                .map(|(i, _)| k.indicators[i].category.as_str().to_string())
                .unwrap_or_default();
            let reason = match (other, narrower) {
                (Some((i, score, _)), Some(words)) if score >= cx.threshold && supported => {
                    Reason::Narrower {
                        code: k.indicators[i].code.clone(),
                        name_zh: k.indicators[i].name_zh.clone(),
                        words,
                    }
                }
                (Some((i, score, _)), None) if score >= cx.threshold && supported => {
                    Reason::Unnamed {
                        code: k.indicators[i].code.clone(),
                        name_zh: k.indicators[i].name_zh.clone(),
                        own: unnamed.unwrap_or_default(),
                    }
                }
                (Some((i, score, _)), _) if score >= cx.threshold => Reason::NotItsWords {
                    code: k.indicators[i].code.clone(),
                    name_zh: k.indicators[i].name_zh.clone(),
                    score,
                    words: named.iter().map(|(b, _)| b.clone()).collect(),
                    held: support.unwrap_or(0.0),
                    needed: cx.min_support,
                },
                (Some((i, score, _)), _) => Reason::BelowThreshold {
                    code: k.indicators[i].code.clone(),
                    name_zh: k.indicators[i].name_zh.clone(),
                    score,
                    threshold: cx.threshold,
                },
                (None, _) => Reason::NoIndicatorInUnit {
                    unit: canonical.as_str().to_string(),
                },
            };
            let reasons = vec![reason];
            Decision::Unmatched(Unmatched {
                value: f.value.clone(),
                unit: f.unit.clone(),
                quote,
                quote_start: f.clause.0,
                quote_end: f.clause.1,
                kind: kind.as_str().to_string(),
                period,
                suggested: SuggestedIndicator {
                    name_zh: {
                        // A district named at the start says where, not what (长寿区保障…).
                        let places: Vec<&str> = k
                            .districts
                            .iter()
                            .flat_map(|(_, zh, _)| [zh.as_str(), zh.trim_end_matches(['区', '县'])])
                            .filter(|p| p.chars().count() >= 2)
                            .collect();
                        super::naming::suggest(&clause_before, &after_unit, &f.unit, &places)
                    },
                    unit: kind.value_unit(canonical).as_str().to_string(),
                    category,
                },
                why: super::why::en(&reasons),
                reasons,
                cell: None,
            })
        }
    }
}

/// A proposal turned down once made (a table's part label names a subset its indicator does
/// not hold): the figure goes to `unmatched`, the indicator it nearly took named as the
/// closest, with the naming words and the share of them it holds.
pub(super) fn turned_down(
    p: Proposal,
    words: Vec<String>,
    held: f64,
    needed: f64,
    k: &Knowledge,
) -> Unmatched {
    let score = p
        .reasons
        .iter()
        .find_map(|r| match r {
            Reason::Chosen { similarity, .. } => Some(*similarity),
            _ => None,
        })
        .unwrap_or(0.0);
    let ind = k.indicators.iter().find(|i| i.code == p.row.indicator);
    let reasons = vec![Reason::NotItsWords {
        code: p.row.indicator.clone(),
        name_zh: ind.map(|i| i.name_zh.clone()).unwrap_or_default(),
        score,
        words: words.clone(),
        held,
        needed,
    }];
    Unmatched {
        value: p.row.value,
        unit: p.row.unit,
        quote: p.row.quote,
        quote_start: p.quote_start,
        quote_end: p.quote_end,
        kind: p.row.kind.as_str().to_string(),
        period: p.row.period,
        suggested: SuggestedIndicator {
            name_zh: words.join(""),
            unit: ind
                .map(|i| p.row.kind.value_unit(i.unit).as_str().to_string())
                .unwrap_or_default(),
            category: ind
                .map(|i| i.category.as_str().to_string())
                .unwrap_or_default(),
        },
        why: super::why::en(&reasons),
        reasons,
        cell: p.cell,
    }
}

#[cfg(test)]
mod tests {
    //! Each cue on a small hand-made catalogue (SYNTHETIC names, quotes and figures, not from
    //! any report): the figure's indicator with the cue, where a neighbour would win without it.

    use super::*;
    use crate::domain::Category;
    use crate::extract::knowledge::{after_of, lead_of, Example, IndicatorCue};
    use crate::extract::{extract, Options};

    #[test]
    fn a_period_the_import_refuses_is_left_to_the_reviewer() {
        // Found by fuzzing (tests/it/fuzz.rs, extraction): `1900年` read as the year reviewed.
        let refused = importable(PeriodChoice::from_document(
            "1900".into(),
            PeriodNote::NoYear,
        ));
        assert_eq!(refused.code, "");
        assert!(refused.note.is_some_and(|n| n.en().contains("1900")));
        let kept = PeriodChoice::stated("2023-01..2023-06".into(), None);
        assert_eq!(importable(kept.clone()), kept);
        let none = PeriodChoice::stated(String::new(), None);
        assert_eq!(importable(none.clone()), none);
    }

    fn indicator(code: &str, name: &str, unit: CanonicalUnit) -> IndicatorCue {
        IndicatorCue {
            code: code.into(),
            name_zh: name.into(),
            aliases: Vec::new(),
            unit,
            category: Category::Schools,
            dimensions: Vec::new(),
            min: Some(0.0),
            max: None,
        }
    }

    /// A published figure of `code`: its quote, its value and unit as printed.
    fn example(code: &str, quote: &str, value: &str, unit: &str, kind: ObservationKind) -> Example {
        let factor = match unit {
            "万元" | "万人" => 1e4,
            "亿元" => 1e8,
            _ => 1.0,
        };
        let number: f64 = value
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .expect("a number");
        Example {
            indicator: code.into(),
            lead: lead_of(quote, value),
            after: after_of(quote, value, unit),
            head: None,
            unit: unit.into(),
            kind,
            breakdown: Breakdown::default(),
            value: number * factor,
        }
    }

    fn knowledge(indicators: Vec<IndicatorCue>, examples: Vec<Example>) -> Knowledge {
        let units = [
            ("所", CanonicalUnit::Count, 1.0),
            ("个", CanonicalUnit::Count, 1.0),
            ("次", CanonicalUnit::Count, 1.0),
            ("场次", CanonicalUnit::Count, 1.0),
            ("人", CanonicalUnit::Person, 1.0),
            ("万人", CanonicalUnit::Person, 1e4),
            ("元", CanonicalUnit::Yuan, 1.0),
            ("万元", CanonicalUnit::Yuan, 1e4),
            ("亿元", CanonicalUnit::Yuan, 1e8),
            ("%", CanonicalUnit::Percent, 1.0),
            ("位", CanonicalUnit::Rank, 1.0),
        ];
        Knowledge {
            indicators,
            units: units
                .iter()
                .map(|(u, c, f)| (u.to_string(), (*c, *f)))
                .collect(),
            districts: vec![("500999".into(), "合成区".into(), "Synthetic".into())],
            examples,
            ..Knowledge::default()
        }
        .finish()
    }

    /// Every figure of `text` with its indicator (`-` when unmatched) and kind.
    fn decided(text: &str, k: &Knowledge) -> Vec<(String, String, ObservationKind)> {
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = extract(text, k, &opts).expect("extraction");
        let mut out: Vec<(usize, (String, String, ObservationKind))> = ex
            .observations
            .iter()
            .map(|p| {
                (
                    p.quote_start,
                    (p.row.value.clone(), p.row.indicator.clone(), p.row.kind),
                )
            })
            .collect();
        out.extend(ex.unmatched.iter().map(|u| {
            let kind = u.kind.parse().expect("a kind");
            (u.quote_start, (u.value.clone(), "-".to_string(), kind))
        }));
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, d)| d).collect()
    }

    /// The reason given for the first figure of `text` that stays unmatched.
    fn first_unmatched_why(text: &str, k: &Knowledge) -> String {
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = extract(text, k, &opts).expect("extraction");
        ex.unmatched
            .first()
            .expect("an unmatched figure")
            .why
            .clone()
    }

    fn indicator_of(text: &str, value: &str, k: &Knowledge) -> String {
        decided(text, k)
            .into_iter()
            .find(|(v, _, _)| v == value)
            .map(|(_, i, _)| i)
            .unwrap_or_else(|| panic!("{value} is not a figure of {text}"))
    }

    #[test]
    fn a_figure_naming_a_quantity_the_catalogue_lacks_stays_unmatched() {
        // SYNTHETIC: the sentence shares its circumstances (区财政…聘请) with the guards'
        // example, but the words next to its figure name counsellors, which the catalogue lacks.
        let k = knowledge(
            vec![
                indicator("guards", "校园保安人数", CanonicalUnit::Person),
                indicator("teachers", "专任教师数", CanonicalUnit::Person),
            ],
            vec![
                example(
                    "guards",
                    "区财政每年投入资金聘请校园保安730人",
                    "730",
                    "人",
                    ObservationKind::Actual,
                ),
                example(
                    "teachers",
                    "全区共有专任教师5120人",
                    "5120",
                    "人",
                    ObservationKind::Actual,
                ),
            ],
        );
        let text = "区财政每年投入资金聘请心理咨询辅导员40人。区财政另聘请校园保安150人。";
        let with = |min_support: f64| {
            let opts = Options {
                district: Some("500999".into()),
                min_support: Some(min_support),
                ..Options::default()
            };
            let ex = extract(text, &k, &opts).expect("extraction");
            let of = |value: &str| {
                ex.observations
                    .iter()
                    .find(|p| p.row.value == value)
                    .map_or("-".to_string(), |p| p.row.indicator.clone())
            };
            (of("40"), of("150"))
        };
        // Without the support check, the own-word check still keeps the counsellors off the
        // guards (none of 校园 保安 stands near them); the reason given is the first check's.
        assert_eq!(with(0.0), ("-".to_string(), "guards".to_string()));
        assert_eq!(with(MIN_SUPPORT), ("-".to_string(), "guards".to_string()));
        let why = first_unmatched_why(text, &k);
        assert!(why.contains("not its words"), "{why}");
    }

    #[test]
    fn bigrams_stay_within_runs_of_chinese_characters() {
        // A bracket ends a word; whitespace inside a word (PDF spacing) does not.
        assert_eq!(
            bigrams("在校（在园）学生数"),
            vec!["在校", "在园", "学生", "生数"]
        );
        assert_eq!(
            bigrams("中小 学生2.5万人"),
            vec!["中小", "小学", "学生", "万人"]
        );
    }

    #[test]
    fn names_read_as_reports_print_them() {
        assert_eq!(name_words("学校数"), "学校");
        assert_eq!(name_words("人数"), "人数");
        assert_eq!(
            name_variants("在校（在园）学生数"),
            vec!["在校学生数", "在园学生数"]
        );
        assert_eq!(name_variants("学校数"), vec!["学校数"]);
    }

    #[test]
    fn a_name_standing_whole_before_the_figure_beats_an_example_sharing_circumstances() {
        // The drills example shares 全区各级各类学校 with the clause; only 学校 is the counted
        // thing, and it is the whole (trimmed) name of `schools`.
        let k = knowledge(
            vec![
                indicator("schools", "学校数", CanonicalUnit::Count),
                indicator("drills", "学校开展安全演练场次", CanonicalUnit::Count),
            ],
            vec![example(
                "drills",
                "全区各级各类学校全年开展演练320所",
                "320",
                "所",
                ObservationKind::Actual,
            )],
        );
        assert_eq!(
            indicator_of("全区共有各级各类学校269所。", "269", &k),
            "schools"
        );
    }

    #[test]
    fn a_modifier_the_figure_lacks_marks_another_quantity() {
        // 增加在园幼儿 is an addition; 全区在园幼儿 counts all of them. (Without a breakdown
        // member 公办 in this catalogue, 公办在园幼儿 would be a kind of 在园幼儿 it lacks: see
        // the narrowing test.)
        let k = knowledge(
            vec![
                indicator("enrolled", "在园幼儿数", CanonicalUnit::Person),
                indicator("added", "新增在园幼儿数", CanonicalUnit::Person),
            ],
            vec![
                example(
                    "added",
                    "增加在园幼儿820人",
                    "820",
                    "人",
                    ObservationKind::Actual,
                ),
                example(
                    "enrolled",
                    "幼儿园共有幼儿9000人",
                    "9000",
                    "人",
                    ObservationKind::Actual,
                ),
            ],
        );
        assert_eq!(indicator_of("全区在园幼儿7353人。", "7353", &k), "enrolled");
        assert_eq!(modifiers_in("生均公用经费"), 0b01);
        assert_eq!(modifiers_in("新增学位"), 0b10);
        assert_eq!(modifiers_in("在校学生"), 0);
    }

    #[test]
    fn a_growth_rate_is_the_growth_of_the_quantity_the_sentence_opens_with() {
        // 增长率 makes 7.17% a growth; the topic is the head of the sentence (after its date),
        // not the percent indicator whose example shares 增长率.
        let k = knowledge(
            vec![
                indicator("budget", "一般公共预算教育经费", CanonicalUnit::Yuan),
                indicator("rate", "学生体质健康达标率", CanonicalUnit::Percent),
            ],
            vec![example(
                "rate",
                "学生体质健康达标增长率90%",
                "90",
                "%",
                ObservationKind::Actual,
            )],
        );
        let text = "2021年一般公共预算教育经费169333万元，比2020年增加了11330万元，增长率7.17%。";
        let all = decided(text, &k);
        assert_eq!(
            all,
            vec![
                ("169333".into(), "budget".into(), ObservationKind::Actual),
                (
                    "增加了11330".into(),
                    "budget".into(),
                    ObservationKind::Change
                ),
                ("7.17".into(), "budget".into(), ObservationKind::Growth),
            ]
        );
        assert_eq!(
            head_of("2021年，全区新建学校5所，投资"),
            Some("全区新建学校".to_string())
        );
        // A sentence that opens with its figure has no head apart from it.
        assert_eq!(head_of("新建学校"), None);
    }

    #[test]
    fn a_comparison_base_is_not_the_reference_year() {
        let years: Vec<String> = stated_years("2025年全区事件较2024年相比")
            .iter()
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(years, vec!["2025"]);
        let years: Vec<String> = stated_years("比2020年增加")
            .iter()
            .map(|c| c[1].to_string())
            .collect();
        assert!(years.is_empty());
        // PDF spacing does not hide a year or its 底 (the end of the year).
        let spaced = stated_years("2020 年底，全区在园幼儿");
        assert_eq!(spaced.len(), 1);
        assert_eq!(
            (&spaced[0][1], spaced[0].get(2).map(|m| m.as_str())),
            ("2020", Some("底"))
        );
    }

    #[test]
    fn figures_and_bracketed_units_are_not_names() {
        let units = vec!["万元".to_string(), "万人".to_string(), "元".to_string()];
        assert_eq!(
            without_figures("经费169333万元，增长率", &units),
            "经费|，增长率"
        );
        assert_eq!(without_figures("在校学生数（万人）", &units), "在校学生数|");
        assert_eq!(without_figures("全区在校学生", &units), "全区在校学生");
    }

    #[test]
    fn a_part_after_qizhong_is_of_the_indicator_of_its_whole() {
        // 其中公办在园幼儿 is closer in words to the aid example than to the enrolment one;
        // being a part of 在园幼儿14662人 decides.
        let k = knowledge(
            vec![
                indicator("enrolled", "在园幼儿数", CanonicalUnit::Person),
                indicator("aided", "资助公办在园幼儿人数", CanonicalUnit::Person),
            ],
            vec![
                example(
                    "enrolled",
                    "全区共有在园幼儿9000人",
                    "9000",
                    "人",
                    ObservationKind::Actual,
                ),
                example(
                    "aided",
                    "资助公办在园幼儿820人",
                    "820",
                    "人",
                    ObservationKind::Actual,
                ),
            ],
        );
        let text = "全区共有在园幼儿14662人，其中公办在园幼儿7353人，民办在园幼儿7309人。";
        let all: Vec<String> = decided(text, &k).into_iter().map(|(_, i, _)| i).collect();
        assert_eq!(all, vec!["enrolled", "enrolled", "enrolled"]);
    }

    #[test]
    fn a_part_naming_a_subset_the_catalogue_lacks_is_not_its_wholes() {
        // 寄宿生 are some of the students, not a breakdown of them: without the check on a
        // part's words, the whole's indicator takes the part by its doubled evidence.
        let k = knowledge(
            vec![indicator("enrolled", "在校学生数", CanonicalUnit::Person)],
            vec![example(
                "enrolled",
                "全区共有在校学生9000人",
                "9000",
                "人",
                ObservationKind::Actual,
            )],
        );
        let text = "全区共有在校学生20360人，其中寄宿生6740人。";
        let all: Vec<String> = decided(text, &k).into_iter().map(|(_, i, _)| i).collect();
        assert_eq!(all, vec!["enrolled", "-"]);
    }

    #[test]
    fn a_noun_narrowing_the_name_is_another_quantity_and_a_verb_is_not() {
        // 家长学校 (parents' schools) and 寄宿制学校 are kinds of school the catalogue lacks; in
        // 招聘教师 the word before the name is a verb, the teachers are teachers.
        let k = knowledge(
            vec![
                indicator("schools", "学校数", CanonicalUnit::Count),
                indicator("teachers", "教师数", CanonicalUnit::Person),
            ],
            vec![
                example(
                    "schools",
                    "全区共有学校300所",
                    "300",
                    "所",
                    ObservationKind::Actual,
                ),
                example(
                    "teachers",
                    "全区共有教师5000人",
                    "5000",
                    "人",
                    ObservationKind::Actual,
                ),
            ],
        );
        assert_eq!(indicator_of("全区建成家长学校312所。", "312", &k), "-");
        assert_eq!(indicator_of("全区有寄宿制学校38所。", "38", &k), "-");
        assert_eq!(indicator_of("全区共有学校423所。", "423", &k), "schools");
        assert_eq!(
            indicator_of("全年公开招聘教师168人。", "168", &k),
            "teachers"
        );
    }

    #[test]
    fn a_table_column_of_a_part_naming_a_subset_is_unmatched() {
        // 其中：寄宿生 under 在校生数 counts boarders; 其中：专任教师 would be teachers.
        let k = knowledge(
            vec![indicator("enrolled", "在校生数", CanonicalUnit::Person)],
            vec![],
        );
        let html = "<html><body><p>合成区2023年学生情况</p><table>\
            <tr><th rowspan=\"2\">学段</th><th colspan=\"2\">学生数（人）</th></tr>\
            <tr><th>在校生数</th><th>其中：寄宿生</th></tr>\
            <tr><td>合计</td><td>5200</td><td>1300</td></tr>\
            </table></body></html>";
        let doc = crate::document::read(html.as_bytes(), &Default::default()).expect("read");
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = crate::extract::extract_document(&doc, &k, &opts).expect("extraction");
        let proposed: Vec<(&str, &str)> = ex
            .observations
            .iter()
            .map(|p| (p.row.value.as_str(), p.row.indicator.as_str()))
            .collect();
        assert_eq!(proposed, vec![("5200", "enrolled")]);
        let unmatched: Vec<&str> = ex.unmatched.iter().map(|u| u.value.as_str()).collect();
        assert_eq!(unmatched, vec!["1300"]);
    }

    #[test]
    fn a_tables_school_year_is_the_year_it_starts_in() {
        // 2024/2025学年初: the autumn of 2024, as the national statistics count it; without the
        // school-year pattern the title's 2025 would be taken.
        let k = knowledge(
            vec![indicator("enrolled", "在校生数", CanonicalUnit::Person)],
            vec![],
        );
        let html = "<html><body><p>表1 合成区2024/2025学年初学生情况</p><table>\
            <tr><th>学段</th><th>在校生数（人）</th></tr>\
            <tr><td>合计</td><td>5200</td></tr></table></body></html>";
        let doc = crate::document::read(html.as_bytes(), &Default::default()).expect("read");
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = crate::extract::extract_document(&doc, &k, &opts).expect("extraction");
        let periods: Vec<&str> = ex
            .observations
            .iter()
            .map(|p| p.row.period.as_str())
            .collect();
        assert_eq!(periods, vec!["2024"]);
    }

    #[test]
    fn another_measure_word_counts_another_thing() {
        // Two examples alike in words: the one printed with the figure's measure word (次, not
        // 所) wins; without the cue the first in catalogue order would.
        let k = knowledge(
            vec![
                indicator("by_school", "开展活动学校数", CanonicalUnit::Count),
                indicator("by_occasion", "开展活动次数", CanonicalUnit::Count),
            ],
            vec![
                example(
                    "by_school",
                    "今年开展活动30所",
                    "30",
                    "所",
                    ObservationKind::Actual,
                ),
                example(
                    "by_occasion",
                    "今年开展活动30次",
                    "30",
                    "次",
                    ObservationKind::Actual,
                ),
            ],
        );
        assert_eq!(indicator_of("今年开展活动5次。", "5", &k), "by_occasion");
        assert_eq!(indicator_of("今年开展活动5所。", "5", &k), "by_school");
        assert_eq!(measure("万元"), "元");
        assert_eq!(measure("万人次"), "人次");
        assert_eq!(measure("万"), "万");
    }

    #[test]
    fn a_growth_is_not_compared_by_unit_or_size_with_levels() {
        // A level example (万元, ~10⁸) says nothing against 增长3.29% by its unit or size; its
        // words are the figure's, and they decide.
        let k = knowledge(
            vec![
                indicator("funds", "教育经费总额", CanonicalUnit::Yuan),
                indicator("rate", "教育经费覆盖率", CanonicalUnit::Percent),
            ],
            vec![
                example(
                    "funds",
                    "教育经费10124万元",
                    "10124",
                    "万元",
                    ObservationKind::Actual,
                ),
                example(
                    "rate",
                    "教育经费覆盖率增长3%",
                    "增长3",
                    "%",
                    ObservationKind::Growth,
                ),
            ],
        );
        assert_eq!(
            decided("教育经费增长3.29%。", &k),
            vec![("增长3.29".into(), "funds".into(), ObservationKind::Growth)]
        );
    }

    #[test]
    fn a_sentence_naming_no_quantity_carries_the_topic_of_the_sentence_before() {
        // 小学生均增长 names only a stage and 生均; the quantity is the one the sentence before
        // opens with, not the per-student one whose example shares 小学生均.
        let k = knowledge(
            vec![
                indicator("equipment", "生均教学仪器设备值", CanonicalUnit::Yuan),
                indicator("operating", "生均公用经费", CanonicalUnit::Yuan),
            ],
            vec![example(
                "operating",
                "小学生均公用经费增长2%",
                "增长2",
                "%",
                ObservationKind::Growth,
            )],
        );
        let text = "生均教学仪器设备值稳步提高。2023年小学生均增长4%。";
        assert_eq!(indicator_of(text, "增长4", &k), "equipment");
        // A sentence that names its own quantity keeps it.
        let text = "生均教学仪器设备值稳步提高。2023年小学生均公用经费增长4%。";
        assert_eq!(indicator_of(text, "增长4", &k), "operating");
    }

    #[test]
    fn a_member_of_a_dimension_few_indicators_have_names_them() {
        // 保安配备 is a member of a dimension only `measures` is broken down by; the example of
        // `equipped` shares 配备率 with the clause.
        let mut measures = indicator("measures", "校园安全防范措施达标率", CanonicalUnit::Percent);
        measures.dimensions = vec!["security_measure".into()];
        let mut k = knowledge(
            vec![
                measures,
                indicator("equipped", "多媒体教室配备率", CanonicalUnit::Percent),
            ],
            vec![example(
                "equipped",
                "多媒体教室配备率达95%",
                "95",
                "%",
                ObservationKind::Actual,
            )],
        );
        k.members = vec![crate::extract::knowledge::MemberCue {
            dimension: "security_measure".into(),
            dimension_zh: "安保措施".into(),
            member: "security_guard".into(),
            words: vec!["保安配备".into()],
        }];
        let k = k.finish();
        assert_eq!(
            indicator_of("全区学校保安配备率达100%。", "100", &k),
            "measures"
        );
        // A dimension many indicators share (school stage) names none of them.
        let mut k = knowledge(
            (0..=RARE_DIMENSION)
                .map(|i| {
                    let mut ind =
                        indicator(&format!("rate{i}"), "合成比率", CanonicalUnit::Percent);
                    ind.dimensions = vec!["stage".into()];
                    ind
                })
                .collect(),
            Vec::new(),
        );
        k.members = vec![crate::extract::knowledge::MemberCue {
            dimension: "stage".into(),
            dimension_zh: "学段".into(),
            member: "primary".into(),
            words: vec!["小学".into()],
        }];
        let k = k.finish();
        assert!(!k
            .profiles
            .windows
            .iter()
            .any(|w| matches!(w.label, Cue::Member { .. })));
    }

    #[test]
    fn a_plans_measure_is_a_target_due_by_its_deadline() {
        let k = knowledge(
            vec![indicator("places", "新增学位数", CanonicalUnit::Count)],
            Vec::new(),
        );
        let plan = "某区2023年履行教育职责评价反馈问题整改方案\n\n\
                    存在问题：全区新增学位300个，不能满足需求。\n\
                    整改措施：新增学位2400个。\n\n责任单位：区教委\n完成时限：2025年12月底\n\n\
                    某区人民政府\n2023年9月14日\n";
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = extract(plan, &k, &opts).expect("extraction");
        let row = |value: &str| {
            ex.observations
                .iter()
                .find(|p| p.row.value == value)
                .map(|p| (p.row.kind, p.row.period.clone()))
        };
        assert_eq!(row("2400"), Some((ObservationKind::Target, "2025".into())));
        // The problem's figure is the state the plan starts from.
        assert_eq!(row("300").map(|r| r.0), Some(ObservationKind::Actual));
        // Not in a report: the same lines there are what was done.
        let report = plan.replace("整改方案", "整改落实情况的报告");
        let ex = extract(&report, &k, &opts).expect("extraction");
        assert!(ex
            .observations
            .iter()
            .all(|p| p.row.kind == ObservationKind::Actual));
    }

    #[test]
    fn the_start_of_a_span_is_not_a_figures_year() {
        let sentence = "2022年11月，督导委员会对我区2021年以来履行职责情况开展评价，共反馈问题";
        let years: Vec<String> = stated_years(sentence)
            .iter()
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(years, ["2022"]);
        assert_eq!(stated_years("2021年以来，全区新建学校").len(), 0);
    }

    #[test]
    fn per_student_words_are_one_modifier() {
        // 每生每年800元 is per student as 生均公用经费 is; 新建 is another modifier.
        assert_eq!(
            modifiers_in("小学每生每年800元"),
            modifiers_in("生均公用经费")
        );
        assert_ne!(modifiers_in("每生"), modifiers_in("新建"));
        assert_eq!(modifiers_in("公用经费"), 0);
    }

    #[test]
    fn a_negated_condition_before_the_thing_is_a_subset_and_a_comparison_is_not() {
        // SYNTHETIC: schools that fail a standard are no count of schools; 不低于 compares a
        // share with a norm and narrows nothing.
        let k = knowledge(
            vec![
                indicator("schools", "学校数", CanonicalUnit::Count),
                indicator("share", "培训经费占工资总额比例", CanonicalUnit::Percent),
            ],
            vec![example(
                "schools",
                "全区共有学校300所",
                "300",
                "所",
                ObservationKind::Actual,
            )],
        );
        assert_eq!(indicator_of("全区共有学校423所。", "423", &k), "schools");
        assert_eq!(indicator_of("全区图书册数不达标学校23所。", "23", &k), "-");
        assert_eq!(indicator_of("全区未达标学校9所。", "9", &k), "-");
        let why = first_unmatched_why("全区图书册数不达标学校23所。", &k);
        assert!(why.contains("图书册数不达标"), "{why}");
        assert_eq!(
            indicator_of("培训经费按不低于工资总额的1.5%安排。", "1.5", &k),
            "share"
        );
    }

    #[test]
    fn another_thing_in_place_of_the_names_opening_is_another_quantity() {
        // SYNTHETIC: the share of boarders and the coverage of a named campaign end as the
        // catalogue's names end (占比, 覆盖率), but open with another thing.
        let mut share = indicator(
            "public_share",
            "公办幼儿园在园幼儿占比",
            CanonicalUnit::Percent,
        );
        share.dimensions = vec!["stage".into()];
        let k = knowledge(
            vec![
                share,
                indicator("coverage", "普惠性幼儿园覆盖率", CanonicalUnit::Percent),
                indicator("shortage", "学科教师缺口数", CanonicalUnit::Person),
            ],
            vec![example(
                "public_share",
                "全区公办幼儿园在园幼儿占比达52.8%",
                "52.8",
                "%",
                ObservationKind::Actual,
            )],
        );
        let mut k = k;
        k.members = vec![crate::extract::knowledge::MemberCue {
            dimension: "subject".into(),
            dimension_zh: "学科".into(),
            member: "pe".into(),
            words: vec!["体育".into()],
        }];
        k.indicators[2].dimensions = vec!["subject".into()];
        let k = k.finish();
        assert_eq!(indicator_of("全区寄宿生占比41.5%。", "41.5", &k), "-");
        assert_eq!(
            indicator_of("全区“晨读午练”覆盖率达到100%。", "100", &k),
            "-"
        );
        assert_eq!(
            indicator_of("全区公办幼儿园在园幼儿占比55.1%。", "55.1", &k),
            "public_share"
        );
        assert_eq!(
            indicator_of("全区普惠性幼儿园覆盖率达到91%。", "91", &k),
            "coverage"
        );
        // The subject printed says what the name's 学科 stands for.
        assert_eq!(
            indicator_of("义务教育学校体育专任教师缺口为48人。", "48", &k),
            "shortage"
        );
        let why = first_unmatched_why("全区“晨读午练”覆盖率达到100%。", &k);
        assert!(why.contains("晨读午练"), "{why}");
    }

    #[test]
    fn each_figure_of_a_respective_enumeration_takes_its_member() {
        // SYNTHETIC: 分别 pairs the figures with the list of stages before it, in order; a
        // per-student modifier cut off the window's twelve characters still counts.
        let mut per_student = indicator("per_student", "生均教学仪器设备值", CanonicalUnit::Yuan);
        per_student.dimensions = vec!["stage".into()];
        let mut total = indicator("total", "教学仪器设备值", CanonicalUnit::Yuan);
        total.dimensions = vec!["stage".into()];
        let mut k = knowledge(vec![total, per_student], Vec::new());
        k.members = [
            ("primary", "小学"),
            ("junior", "初中"),
            ("senior", "普通高中"),
        ]
        .iter()
        .map(|(m, w)| crate::extract::knowledge::MemberCue {
            dimension: "stage".into(),
            dimension_zh: "学段".into(),
            member: (*m).into(),
            words: vec![(*w).into()],
        })
        .collect();
        let k = k.finish();
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let text =
            "到2025年，全区小学、初中、普通高中生均教学仪器设备值分别达到2100元、2600元、3100元。";
        let ex = extract(text, &k, &opts).expect("extraction");
        let got: Vec<(String, String, Option<String>)> = ex
            .observations
            .iter()
            .map(|p| {
                (
                    p.row.value.clone(),
                    p.row.indicator.clone(),
                    p.row.breakdown.clone(),
                )
            })
            .collect();
        let want = |v: &str, m: &str| {
            (
                v.to_string(),
                "per_student".to_string(),
                Some(format!("stage={m}")),
            )
        };
        assert_eq!(
            got,
            vec![
                want("2100", "primary"),
                want("2600", "junior"),
                want("3100", "senior")
            ]
        );
        // The later figures are named by the words before 分别 as the first is, however many
        // figures stand between.
        let long = "全区幼儿园、小学、初中、普通高中生均教学仪器设备值分别为1100元、2100元、2600元、3100元、3600元、4100元、4600元。";
        let ex = extract(long, &k, &opts).expect("extraction");
        let named: Vec<&str> = ex
            .observations
            .iter()
            .map(|p| p.row.indicator.as_str())
            .collect();
        assert_eq!(named, vec!["per_student"; 7], "{:?}", ex.unmatched);
        // Not an enumeration: the last stage named is the figure's.
        assert_eq!(
            respective_member("小学、初中生均教学仪器设备值为", &["stage".to_string()], &k),
            None
        );
        assert_eq!(
            respective_member("小学、初中分别为2100元，合计", &["stage".to_string()], &k),
            None
        );
    }

    #[test]
    fn a_rank_naming_nothing_ranks_the_figure_before_it() {
        // SYNTHETIC: the rank after a rate names no quantity; it is the rate's rank, and a
        // rank with words of its own is not.
        let k = knowledge(
            vec![
                indicator("rate", "毛入园率", CanonicalUnit::Percent),
                indicator("share", "教育支出占比", CanonicalUnit::Percent),
                indicator("size", "平均班额", CanonicalUnit::Person),
            ],
            Vec::new(),
        );
        let text = "全区毛入园率达到93.1%，全市排名第5。教育支出占比为16.2%，该比例全市排第7位。";
        let got = decided(text, &k);
        assert_eq!(
            got,
            vec![
                (
                    "93.1".to_string(),
                    "rate".to_string(),
                    ObservationKind::Actual
                ),
                ("5".to_string(), "rate".to_string(), ObservationKind::Rank),
                (
                    "16.2".to_string(),
                    "share".to_string(),
                    ObservationKind::Actual
                ),
                ("7".to_string(), "share".to_string(), ObservationKind::Rank),
            ]
        );
        let opts = Options {
            district: Some("500999".into()),
            ..Options::default()
        };
        let ex = extract(text, &k, &opts).expect("extraction");
        assert!(ex.observations[1]
            .why
            .contains("a rank of the figure before it"));
        // Words of its own: not taken as the rank of the figure before it.
        let own = extract(
            "全区毛入园率达到93.1%，学业质量监测全市排名第4。",
            &k,
            &opts,
        )
        .expect("extraction");
        assert!(own
            .observations
            .iter()
            .all(|p| !p.reasons.iter().any(|r| matches!(r, Reason::RankOf { .. }))));
        assert_eq!(
            ranked_words("学业质量监测全市排名第"),
            Some("学业质量监测".to_string())
        );
        assert_eq!(ranked_words("该比例全市排第"), None);
    }

    #[test]
    fn a_kind_of_the_counted_thing_names_the_count() {
        // 幼儿园 is a kind of school (a member of the schools' 学校类型), and shares words with
        // the name of a narrower count only: the count of schools is still what it names.
        let common = |code: &str, name: &str| {
            let mut ind = indicator(code, name, CanonicalUnit::Count);
            ind.dimensions = vec!["school_type".into()];
            ind
        };
        let kinds = |dimension_zh: &str| {
            ["幼儿园（学校类型）", "教学点"]
                .iter()
                .map(|w| crate::extract::knowledge::MemberCue {
                    dimension: "school_type".into(),
                    dimension_zh: dimension_zh.into(),
                    member: (*w).into(),
                    words: vec![(*w).into()],
                })
                .collect::<Vec<_>>()
        };
        let catalogue = || {
            (0..=RARE_DIMENSION)
                .map(|i| common(&format!("other{i}"), "合成设施数"))
                .chain([
                    common("schools", "学校数"),
                    indicator("inclusive", "普惠性幼儿园数", CanonicalUnit::Count),
                ])
                .collect::<Vec<_>>()
        };
        let mut k = knowledge(catalogue(), Vec::new());
        k.members = kinds("学校类型");
        let k = k.finish();
        assert_eq!(indicator_of("全区共有幼儿园142所。", "142", &k), "schools");
        assert_eq!(indicator_of("另有教学点86个。", "86", &k), "schools");
        assert_eq!(indicator_of("普惠性幼儿园120所。", "120", &k), "inclusive");
        // Something done to kindergartens: not a count of them.
        assert_ne!(indicator_of("扩建镇中心幼儿园1所。", "1", &k), "schools");
        // A dimension that is not the thing's kinds names nothing.
        let mut k = knowledge(catalogue(), Vec::new());
        k.members = kinds("设施类型");
        let k = k.finish();
        assert_eq!(
            indicator_of("全区共有幼儿园142所。", "142", &k),
            "inclusive"
        );
    }

    #[test]
    fn an_alias_names_its_indicator_as_its_name_does() {
        // 总投资 is how reports print construction funding; without the alias the figure
        // would go to the spending whose example shares 总投.
        let mut funding = indicator("funding", "学校建设资金", CanonicalUnit::Yuan);
        funding.aliases = vec!["总投资".into()];
        let k = knowledge(
            vec![
                funding,
                indicator("fiscal", "财政教育总投入", CanonicalUnit::Yuan),
            ],
            vec![example(
                "fiscal",
                "全年财政教育总投入12亿元",
                "12",
                "亿元",
                ObservationKind::Actual,
            )],
        );
        let text = "全区新建学校5所，总投资3.5亿元。";
        let decision = decided(text, &k);
        assert_eq!(decision[1].0, "3.5");
        assert_eq!(decision[1].1, "funding");
    }

    #[test]
    fn a_goal_word_governs_its_own_clause_and_a_short_lead_clause_only() {
        // Its own clause, and a short lead clause.
        assert!(is_goal("力争学前三年毛入园率达到", None));
        assert!(is_goal("力争到2030年，全区学前三年毛入园率达到", None));
        assert!(is_goal("目标：新建幼儿园5所，改扩建学校", None));
        // A long purpose clause before a thing done; a goal word after the figure is not seen.
        assert!(!is_goal(
            "为确保教育优先发展战略落到实处，区政府召开专题会议",
            None
        ));
        // Something done between the goal word and the figure.
        assert!(!is_goal("计划新建学校3所，已建成", None));
        assert!(!is_goal("计划投入资金2亿元，实际投入", None));
        // A date, not a goal.
        assert!(!is_goal("截至到2023年底，全区共有学校", None));
        assert!(!is_goal("从2020年到2023年，全区新增学位", None));
        // A year the document looks back on is reached, not aimed at; a later one is a goal.
        let sentence = "全区普惠性幼儿园覆盖率由2021年的88.7%提高到2022年的";
        assert!(!is_goal(sentence, Some(2022)));
        assert!(is_goal(sentence, Some(2021)));
        assert!(is_goal(sentence, None));
    }

    #[test]
    fn the_inverted_index_gives_the_similarities_of_a_comparison_with_every_window() {
        // Every window of the seed catalogue as a figure's window, against every window: the
        // same similarity to the bit through the index, and no window left out that shares a
        // bigram (the index is how `decide` stays fast; the results must not move).
        let data =
            crate::ingest::seed::load_dir(&crate::config::default_seeds_dir()).expect("seeds");
        let k = Knowledge::from_dataset(&data, None);
        let p = &k.profiles;
        assert!(p.windows.len() > 100);
        for mine in &p.windows {
            let through_index = p.similarities(&mine.bigrams);
            for (wi, w) in p.windows.iter().enumerate() {
                let direct = p.similarity(&mine.bigrams, &w.bigrams);
                let shares = w.bigrams.keys().any(|b| mine.bigrams.contains_key(b));
                match through_index[wi] {
                    Some(s) => assert_eq!(s.to_bits(), direct.to_bits(), "{:?}", w.label),
                    None => assert!(!shares && direct == 0.0, "{:?}", w.label),
                }
            }
        }
    }

    #[test]
    fn confidence_falls_with_a_close_runner_up() {
        assert_eq!(confidence(0.8, 0.0), 0.8);
        assert_eq!(confidence(0.8, 0.8), 0.4);
        assert_eq!(confidence(1.6, 0.0), 1.0);
        assert_eq!(confidence(0.0, 0.0), 0.0);
    }

    #[test]
    fn a_figure_sharing_only_common_words_with_an_example_is_not_its_quantity() {
        // SYNTHETIC: 研究生学历占比 is like the share example by 全区…占比达 alone; none of the
        // share's own words (公办 幼儿园 幼儿) stands near it, so it is a quantity the
        // catalogue lacks. The same sentence shape naming 公办在园幼儿 is the share.
        let k = knowledge(
            vec![
                indicator(
                    "public_share",
                    "公办幼儿园在园幼儿占比",
                    CanonicalUnit::Percent,
                ),
                indicator("teachers", "专任教师数", CanonicalUnit::Person),
            ],
            vec![
                example(
                    "public_share",
                    "全区公办在园幼儿占比达56.2%",
                    "56.2",
                    "%",
                    ObservationKind::Actual,
                ),
                example(
                    "teachers",
                    "全区共有专任教师5120人",
                    "5120",
                    "人",
                    ObservationKind::Actual,
                ),
            ],
        );
        assert_eq!(
            own_words(&[vec!["公办幼儿园在园幼儿占比".to_string()]]),
            vec![vec!["公办", "幼儿", "幼儿园"]]
        );
        let text = "全区专任教师研究生学历占比达15.3%。全区公办在园幼儿占比达60.1%。";
        assert_eq!(indicator_of(text, "60.1", &k), "public_share");
        assert_eq!(indicator_of(text, "15.3", &k), "-");
        let why = first_unmatched_why(text, &k);
        assert!(why.contains("shares only common words"), "{why}");
    }

    #[test]
    fn a_plans_figure_for_a_year_it_plans_for_is_a_target() {
        // SYNTHETIC: a plan's measure states what it will do without a goal word; its
        // starting state (截至…) and the same sentences in a self-evaluation are actuals.
        let k = knowledge(
            vec![indicator("kg", "公办幼儿园数", CanonicalUnit::Count)],
            vec![],
        );
        let body = "截至2023年底，全区公办幼儿园12所。\n2024年至2025年新建公办幼儿园6所。\n";
        let kinds = |title: &str| -> Vec<ObservationKind> {
            decided(&format!("{title}\n{body}"), &k)
                .into_iter()
                .map(|(_, _, kind)| kind)
                .collect()
        };
        assert_eq!(
            kinds("某区关于2023年履行教育职责评价反馈问题的整改方案"),
            vec![ObservationKind::Actual, ObservationKind::Target]
        );
        assert_eq!(
            kinds("某区2023年履行教育职责自查自评报告"),
            vec![ObservationKind::Actual, ObservationKind::Actual]
        );
        assert_eq!(
            planned(ObservationKind::Actual, "2024年投入", Some(2024)),
            ObservationKind::Target
        );
        assert_eq!(
            planned(ObservationKind::Actual, "目前2024年已有", Some(2024)),
            ObservationKind::Actual
        );
        assert_eq!(
            planned(ObservationKind::Actual, "2023年投入", Some(2024)),
            ObservationKind::Actual
        );
    }
}
