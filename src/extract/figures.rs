//! Finding the figures of a text: every number followed by a unit the catalogue knows (or a
//! percent sign, or a ratio `a:b`), with its qualifier words, the clause it stands in (the
//! quote) and the sentence around it (the context the matcher reads; a long line broken
//! inside a word by the PDF conversion does not end it).
//!
//! What is not a statistic is left out: dates and period labels (2021年, 10月8日, 近三年), document
//! numbers (〔2022〕5号), index and phone numbers and section numbers (no unit follows them),
//! ordinals (第6届; but 排第3位 is a rank), slogans and framework labels (“5+2”, 十四五, a
//! quoted phrase such as “两个只增不减”), numbers in titles (《2022年…方案》), age bands
//! (3—6岁) and the article 一 (一批, 一所: "a", not a count).

use super::knowledge::Knowledge;
use crate::domain::is_han;

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
    /// For a table cell: what its column says (kind and period).
    pub column: Option<super::tables::Column>,
}

const CLAUSE_END: &str = "。；;！？!?\n，,：:";
/// Characters that end a sentence.
pub(super) const SENTENCE_END: &str = "。；;！？!?\n";
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

/// How far (in characters) a clause or a sentence reaches on either side of its figure. The
/// longest sentence around a figure in the seed reports is 168 characters, so no real one is
/// cut; without a bound, text without punctuation (`1人1人1人…`) made every figure read the whole
/// text, and the matcher weigh all of it: quadratic, seconds for a few KB (found by fuzzing).
const REACH: usize = 300;

/// The span `[start, end)` around `[from, to)` bounded by any of `stops`, and by [`REACH`].
fn span(chars: &[char], from: usize, to: usize, stops: &str) -> (usize, usize) {
    let mut s = from;
    let first = from.saturating_sub(REACH);
    while s > first && !stops.contains(chars[s - 1]) {
        s -= 1;
    }
    let mut e = to;
    let last = chars.len().min(to.saturating_add(REACH));
    while e < last && !stops.contains(chars[e]) {
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

/// A line at least this long (without surrounding whitespace) that ends in a Chinese character
/// was wrapped by the PDF conversion, not ended: a heading is shorter.
const WRAPPED_LINE: usize = 30;

/// True when the line break at `i` wraps a sentence (生均一般公共预算教育支 / 出分别为…): the line
/// before is long and ends in a Chinese character, and the text after the break goes on with one.
fn is_wrap(chars: &[char], i: usize) -> bool {
    let mut b = i;
    while b > 0 && chars[b - 1].is_whitespace() {
        b -= 1;
    }
    // Counting stops at WRAPPED_LINE: a long line is not read whole at every break after it.
    let line = chars[..b]
        .iter()
        .rev()
        .take_while(|c| **c != '\n')
        .filter(|c| !c.is_whitespace())
        .take(WRAPPED_LINE)
        .count();
    let next = chars[i..].iter().find(|c| !c.is_whitespace());
    line >= WRAPPED_LINE && b > 0 && is_han(chars[b - 1]) && next.is_some_and(|c| is_han(*c))
}

/// Where the sentence holding position `at` starts (line wraps do not end it), at most
/// [`REACH`] characters before it.
pub(super) fn sentence_start(chars: &[char], at: usize) -> usize {
    let mut s = at.min(chars.len());
    let first = s.saturating_sub(REACH);
    while s > first
        && !(SENTENCE_END.contains(chars[s - 1])
            && !(chars[s - 1] == '\n' && is_wrap(chars, s - 1)))
    {
        s -= 1;
    }
    s
}

/// The sentence around `from..to`, trimmed (line wraps do not end it), at most [`REACH`]
/// characters either side.
fn sentence_span(chars: &[char], from: usize, to: usize) -> (usize, usize) {
    let mut s = sentence_start(chars, from);
    let mut e = to;
    let last = chars.len().min(to.saturating_add(REACH));
    while e < last && !(SENTENCE_END.contains(chars[e]) && !(chars[e] == '\n' && is_wrap(chars, e)))
    {
        e += 1;
    }
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

/// Skips spaces (reports pad numbers: `6.61 亿元`, `30 余个`).
fn skip_spaces(chars: &[char], mut j: usize) -> usize {
    while chars
        .get(j)
        .is_some_and(|c| *c == ' ' || *c == '\u{3000}' || *c == '\u{a0}')
    {
        j += 1;
    }
    j
}

/// The unit spelled at `j`, if the catalogue knows it.
fn unit_at(chars: &[char], j: usize, knowledge: &Knowledge) -> Option<String> {
    knowledge
        .unit_spellings
        .iter()
        .find(|u| starts_with_at(chars, j, u))
        .cloned()
}

/// A figure whose number starts at `i` (of length `len`), or `None` when it is no statistic.
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
    // Count words and magnitudes, possibly padded: 20余, 1.2万, 20余万, 19万余, 30 余.
    let mut value_end = j;
    loop {
        let k = skip_spaces(chars, value_end);
        match chars.get(k) {
            Some('余') | Some('多') => value_end = k + 1,
            Some('万') | Some('亿') if !chinese && unit_at(chars, k, knowledge).is_none() => {
                value_end = k + 1
            }
            _ => break,
        }
    }
    j = skip_spaces(chars, value_end);
    // A range `180—1330元`: the first number takes the unit of the second.
    let range_unit = if matches!(
        chars.get(j),
        Some('—') | Some('-') | Some('~') | Some('～') | Some('至')
    ) {
        let k = j + 1;
        let len2 = if k < chars.len() {
            number_len(chars, k)
        } else {
            0
        };
        (len2 > 0)
            .then(|| unit_at(chars, skip_spaces(chars, k + len2), knowledge))
            .flatten()
    } else {
        None
    };
    let before_number = text(chars, i.saturating_sub(4), i);
    let (unit, unit_end) = match unit_at(chars, j, knowledge) {
        Some(u) => {
            let end = j + u.chars().count();
            (u, end)
        }
        // 五大教育体系, 四大整改目标: a count of named things.
        None if chinese && chars.get(j) == Some(&'大') => ("count".to_string(), j),
        None => match range_unit {
            Some(u) => (u, value_end),
            // A coefficient has no unit: 差异系数为0.644.
            None if !chinese && number.contains('.') && before_number.contains("系数") => {
                ("one".to_string(), value_end)
            }
            // A magnitude word with nothing after it counts something the clause names:
            // 平台累计访问量已达949.57万.
            None if !chinese && matches!(chars.get(value_end - 1), Some('万') | Some('亿')) => {
                ("count".to_string(), value_end)
            }
            // A rank printed without 位 (全市排名第3): its unit is the rank's.
            None if i > 0
                && chars[i - 1] == '第'
                && ranking_lead(&text(chars, i.saturating_sub(8), i - 1)) =>
            {
                ("位".to_string(), value_end)
            }
            None => return None,
        },
    };
    let after = chars.get(unit_end).copied();
    let rate = ["每", "每年", "每月", "每周", "每天", "每生"]
        .iter()
        .any(|w| before_number.ends_with(w));
    // A year, month or day is a date or a period label, not a statistic.
    if unit == "年" {
        let year_like = !chinese && len == 4;
        // 近三年, 过去五年, 三年来: a span of years that dates other figures, not a duration.
        let span = ["近", "最近", "过去", "今后", "未来"]
            .iter()
            .any(|w| before_number.ends_with(w))
            || after == Some('来')
            || (after == Some('以') && chars.get(unit_end + 1) == Some(&'来'));
        if year_like
            || span
            || (!rate
                && matches!(
                    after,
                    Some('度') | Some('底') | Some('初') | Some('末') | Some('级')
                ))
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
        if (unit == "位" || unit == "名") && ranking_lead(&lead) {
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
            && number.ends_with('五')
            && matches!(after, Some('规') | Some('时') | Some('期')))
    {
        return None;
    }
    // Age bands: 3—6岁, 3-6周岁.
    if unit == "岁" || unit == "周岁" {
        return None;
    }
    // The article 一 (一批, 一所 new school): "a", not a count; but 每月一次 is a frequency.
    if chinese && number == "一" && !rate {
        return None;
    }
    if chinese && number == "两" && !rate && !matches!(unit.as_str(), "项" | "条" | "个" | "count")
    {
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
    // A sign: 增幅为-94.72%.
    if start == i
        && i > 0
        && matches!(chars[i - 1], '-' | '−' | '－')
        && (i < 2 || !is_arabic(chars[i - 2]))
    {
        start = i - 1;
    }
    let value: String = text(chars, start, value_end)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some(build(
        chars,
        start,
        i,
        unit_end.max(value_end),
        value,
        unit,
        is_rank,
    ))
}

/// Whether the words before a 第 rank what follows (排第3, 排名第3, 名列第2).
fn ranking_lead(lead: &str) -> bool {
    lead.contains('排') || lead.contains("名列") || lead.contains("位列")
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
        sentence: sentence_span(chars, start, end),
        is_rank,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence_of(text: &str, at: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let start = text[..text.find(at).expect("in the text")].chars().count();
        let (s, e) = sentence_span(&chars, start, start + at.chars().count());
        chars[s..e].iter().collect()
    }

    #[test]
    fn a_wrapped_line_does_not_end_its_sentence() {
        // SYNTHETIC: a long line broken inside a word by the PDF conversion.
        let wrapped = "按照要求优先保障教育投入，全年共计投入一般公共预算教育支出，其中生均一般公共预算教育支\n\n出分别为学前教育 13510 元。";
        assert!(sentence_of(wrapped, "13510").starts_with("按照要求"));
        // A short heading line ends where it ends.
        let heading = "二、基本情况\n全区共有学校269所。";
        assert_eq!(sentence_of(heading, "269"), "全区共有学校269所");
        // So does a line ending in punctuation.
        let ended = "按照要求优先保障教育投入，全年共计投入一般公共预算教育支出六亿元整。\n全区共有学校269所。";
        assert_eq!(sentence_of(ended, "269"), "全区共有学校269所");
    }

    /// The knowledge `find` needs here: the units 人 and 所.
    fn units() -> Knowledge {
        Knowledge {
            unit_spellings: vec!["人".into(), "所".into()],
            ..Knowledge::default()
        }
    }

    #[test]
    fn clauses_and_sentences_reach_a_bounded_distance() {
        // SYNTHETIC: figures in text without punctuation. Each figure's clause and sentence
        // stop REACH characters from it instead of spanning the whole text.
        let text = "1人".repeat(1000);
        let chars: Vec<char> = text.chars().collect();
        let found = find(&chars, &units());
        assert_eq!(found.len(), 1000);
        let f = &found[500];
        assert_eq!((f.start, f.end), (1000, 1002));
        assert_eq!(f.clause, (1000 - REACH, 1002 + REACH));
        assert_eq!(f.sentence, (1000 - REACH, 1002 + REACH));
        // A real sentence is far shorter than REACH and is read whole.
        let real = "全区共有学校269所，其中公办学校172所。";
        let chars: Vec<char> = real.chars().collect();
        let found = find(&chars, &units());
        assert_eq!(found[1].sentence, (0, chars.len() - 1));
    }

    /// The CPU time of the figure finder on `n` characters of `piece` (least of three runs).
    fn time_of(piece: &str, n: usize) -> std::time::Duration {
        let k = units();
        let chars: Vec<char> = piece.chars().cycle().take(n).collect();
        crate::timing::least_cpu_time(3, || {
            std::hint::black_box(find(&chars, &k));
        })
    }

    #[test]
    fn figures_in_text_without_punctuation_are_found_in_linear_time() {
        // Found by fuzzing's long runs (tests/it/fuzz.rs): `1人` repeated, or clauses ended by
        // commas only, made every figure scan the whole text for its clause and sentence:
        // 8 times the text took over 40 times as long. Measured as a ratio between two sizes in
        // the same run; linear is about 8 (the first REACH characters still grow the spans).
        for piece in ["1人", "全区共有学校269所，", "1人 "] {
            let short = time_of(piece, 1000);
            let long = time_of(piece, 8000);
            let ratio = long.as_secs_f64() / short.as_secs_f64().max(1e-6);
            assert!(
                ratio < 24.0,
                "{piece:?}: 1,000 chars {short:?}, 8,000 chars {long:?} (x{ratio:.1})"
            );
        }
    }
}
