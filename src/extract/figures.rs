//! Finding the figures of a text: every number followed by a unit the catalogue knows (or a
//! percent sign, or a ratio `a:b`), with its qualifier words, the clause it stands in (the
//! quote) and the sentence around it (the context the matcher reads).
//!
//! What is not a statistic is left out: dates and period labels (2021年, 10月8日), document
//! numbers (〔2022〕5号), index and phone numbers and section numbers (no unit follows them),
//! ordinals (第6届; but 排第3位 is a rank), slogans and framework labels (“5+2”, 十四五, a
//! quoted phrase such as “两个只增不减”), numbers in titles (《2022年…方案》), age bands
//! (3—6岁) and the article 一 (一批, 一所: "a", not a count).

use super::knowledge::{is_numeral, Knowledge};

/// A figure found in the text. Offsets are in characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The figure as printed, with its qualifier words (`20余`, `超过98.5`, `下降75`).
    pub value: String,
    /// The unit as printed (`人`, `%`, `万元`); empty for a ratio.
    pub unit: String,
    /// Where the figure (value and unit) starts.
    pub start: usize,
    /// Just past the unit.
    pub end: usize,
    /// Where the number itself starts (after the qualifier words).
    pub number_start: usize,
    /// The clause (the quote): between punctuation marks.
    pub clause: (usize, usize),
    /// The sentence around it.
    pub sentence: (usize, usize),
    /// A rank the text states (排第3位).
    pub is_rank: bool,
}

const CLAUSE_END: &str = "。；;！？!?\n，,：:";
const SENTENCE_END: &str = "。；;！？!?\n";
/// Words that qualify a number when they stand right before it, and direction words that make
/// it a reported change (the quantity parser reads both).
const PREFIXES: &[&str] = &[
    "不低于",
    "不少于",
    "不超过",
    "不足",
    "不到",
    "超过",
    "多于",
    "高于",
    "低于",
    "少于",
    "大约",
    "将近",
    "接近",
    "至少",
    "约",
    "近",
    "逾",
    "超",
    "达到",
    "下降了",
    "下降",
    "减少了",
    "减少",
    "降低了",
    "降低",
    "增长了",
    "增长",
    "增加了",
    "增加",
    "提高了",
    "提高",
    "提升了",
    "提升",
];
const ARABIC_INNER: &str = ",，.．";
const CHINESE: &str = "零〇一二两三四五六七八九十百千万亿";

fn is_arabic(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn starts_with_at(chars: &[char], at: usize, word: &str) -> bool {
    (at..)
        .zip(word.chars())
        .all(|(i, w)| chars.get(i) == Some(&w))
}

fn text(chars: &[char], from: usize, to: usize) -> String {
    chars[from..to].iter().collect()
}

/// The span `[start, end)` around `[from, to)` bounded by any of `stops`.
fn span(chars: &[char], from: usize, to: usize, stops: &str) -> (usize, usize) {
    let mut s = from;
    while s > 0 && !stops.contains(chars[s - 1]) {
        s -= 1;
    }
    let mut e = to;
    while e < chars.len() && !stops.contains(chars[e]) {
        e += 1;
    }
    // Trim whitespace at both ends, so the quote starts and ends on text.
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// True when position `at` lies inside a bracketed span that opens with `open` and closes
/// with `close` within `max` characters on either side.
fn inside(chars: &[char], at: usize, open: char, close: char, max: usize) -> bool {
    let before = chars[at.saturating_sub(max)..at].iter().rev();
    let mut opened = false;
    for &c in before {
        if c == close || c == '\n' {
            break;
        }
        if c == open {
            opened = true;
            break;
        }
    }
    opened
        && chars[at..(at + max).min(chars.len())]
            .iter()
            .take_while(|c| **c != '\n')
            .any(|c| *c == close)
}

/// The length of the number starting at `i` (0 when none starts there).
fn number_len(chars: &[char], i: usize) -> usize {
    let c = chars[i];
    if is_arabic(c) {
        let mut j = i + 1;
        while j < chars.len()
            && (is_arabic(chars[j])
                || (ARABIC_INNER.contains(chars[j])
                    && chars.get(j + 1).is_some_and(|n| is_arabic(*n))))
        {
            j += 1;
        }
        j - i
    } else if CHINESE.contains(c) && c != '万' && c != '亿' {
        chars[i..]
            .iter()
            .take_while(|c| CHINESE.contains(**c))
            .count()
    } else {
        0
    }
}

/// Every figure of the text, in order.
pub fn find(chars: &[char], knowledge: &Knowledge) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let len = number_len(chars, i);
        if len == 0 {
            i += 1;
            continue;
        }
        // A number glued to ASCII letters or slashes is an index or serial number.
        let glued = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphabetic() || *c == '/');
        let before = i.checked_sub(1).map(|b| &chars[b]);
        if glued(before) || glued(chars.get(i + len)) {
            i += len;
            continue;
        }
        match figure_at(chars, i, len, knowledge) {
            Some(f) => {
                i = f.end;
                out.push(f);
            }
            None => i += len,
        }
    }
    out
}

fn figure_at(chars: &[char], i: usize, len: usize, knowledge: &Knowledge) -> Option<Figure> {
    let number = text(chars, i, i + len);
    let chinese = !is_arabic(chars[i]);
    let mut j = i + len;
    // A ratio a:b.
    if !chinese && matches!(chars.get(j), Some(':') | Some('：')) {
        let len2 = chars.get(j + 1).map_or(0, |_| number_len(chars, j + 1));
        if len2 > 0 && is_arabic(chars[j + 1]) {
            let end = j + 1 + len2;
            return Some(build(
                chars,
                i,
                i,
                end,
                text(chars, i, end),
                String::new(),
                false,
            ));
        }
    }
    // Count words and magnitudes: 20余, 1.2万, 20余万.
    let mut value_end = j;
    for _ in 0..3 {
        match chars.get(value_end) {
            Some('余') | Some('多') => value_end += 1,
            Some('万') | Some('亿') if !chinese => {
                // Only when a unit follows; 万元 itself is a unit.
                if knowledge
                    .unit_spellings
                    .iter()
                    .any(|u| starts_with_at(chars, value_end, u))
                {
                    break;
                }
                value_end += 1;
            }
            _ => break,
        }
    }
    j = value_end;
    let unit = knowledge
        .unit_spellings
        .iter()
        .find(|u| starts_with_at(chars, j, u))?
        .clone();
    let unit_end = j + unit.chars().count();
    let after = chars.get(unit_end).copied();
    // A year, month or day is a date or a period label, not a statistic.
    if unit == "年" {
        let year_like = !chinese && len == 4;
        if year_like
            || matches!(
                after,
                Some('度') | Some('底') | Some('初') | Some('末') | Some('级')
            )
        {
            return None;
        }
    }
    // Document numbers: 〔2022〕5号.
    if i > 0 && chars[i - 1] == '〕' || chars.get(j) == Some(&'号') {
        return None;
    }
    // Ordinals: 第6届 (but 排第3位 / 排名第3 is a rank).
    let mut is_rank = false;
    if i > 0 && chars[i - 1] == '第' {
        let lead = text(chars, i.saturating_sub(8), i - 1);
        if (unit == "位" || unit == "名") && (lead.contains('排') || lead.contains("名列")) {
            is_rank = true;
        } else {
            return None;
        }
    }
    // Slogans and framework labels in quotation marks, titles of documents, plan periods.
    if inside(chars, i, '“', '”', 14)
        || inside(chars, i, '"', '"', 14)
        || inside(chars, i, '《', '》', 60)
        || (chinese
            && (number.ends_with('五') && matches!(after, Some('规') | Some('时') | Some('期'))))
    {
        return None;
    }
    // Age bands: 3—6岁, 3-6周岁 (the first number of a band has no unit; the second's is 岁).
    if unit == "岁" || unit == "周岁" {
        return None;
    }
    // The article 一 (一批, 一所 new school): "a", not a count.
    if chinese && (number == "一" || number == "两") && !matches!(unit.as_str(), "项" | "条" | "个")
    {
        return None;
    }
    if chinese && number == "一" {
        return None;
    }
    // Qualifier and direction words right before the number belong to the printed figure.
    let mut start = i;
    if let Some(p) = PREFIXES
        .iter()
        .find(|p| i >= p.chars().count() && starts_with_at(chars, i - p.chars().count(), p))
    {
        // 达到 is not a qualifier: keep it out of the value.
        if *p != "达到" {
            start = i - p.chars().count();
        }
    }
    let value = text(chars, start, value_end);
    Some(build(chars, start, i, unit_end, value, unit, is_rank))
}

fn build(
    chars: &[char],
    start: usize,
    number_start: usize,
    end: usize,
    value: String,
    unit: String,
    is_rank: bool,
) -> Figure {
    let clause = span(chars, start, end, CLAUSE_END);
    // Very short clauses (其中公办172所) still name their subject; a clause shorter than four
    // characters before the figure takes the previous clause in too.
    let clause = if number_start.saturating_sub(clause.0) < 2 && clause.0 > 1 {
        (
            span(chars, clause.0 - 1, clause.0 - 1, CLAUSE_END).0,
            clause.1,
        )
    } else {
        clause
    };
    Figure {
        value,
        unit,
        start,
        end,
        number_start,
        clause,
        sentence: span(chars, start, end, SENTENCE_END),
        is_rank,
    }
}

/// The numerals of a value as printed, for checks against a quote.
pub fn numerals(value: &str) -> String {
    value.chars().filter(|c| is_numeral(*c)).collect()
}
