//! The Chinese name suggested for a new indicator, from the words around a figure that matches
//! none (`全区共有临聘教师392人` → 临聘教师人数).
//!
//! A reviewer confirms it as it is or edits it, so it must read as a name: whole words, no
//! particle, verb or punctuation left at either end (的、为、达到、，), no year or number,
//! no place that only says where. A phrase too long for a name is shortened at a phrase
//! boundary (after its last 的, after a leading verb), never by counting characters, which
//! cuts words in half (保障校园安全的措施及成效满意度 → 全的措施及成效满意度 before).

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::is_han;

/// Past this many characters a name is shortened at a phrase boundary, if it has one.
const LONG: usize = 12;

/// A shortened name keeps at least this many characters.
const SHORTEST: usize = 4;

/// Marks after which the name starts: punctuation, quotes, brackets, and 关于 ("as to …",
/// which introduces the finding a rectification report answers).
const STARTS_AFTER: &[&str] = &[
    "，", ",", "。", "；", ";", "：", ":", "、", "“", "”", "\"", "‘", "’", "《", "》", "（", "）",
    "(", ")", "【", "】", "关于", "针对",
];

/// Words that say where, when or how much in all, not what: dropped at the start. No single
/// character that also starts names (有效, 计划, 近视率, 均衡).
const LEADING: &[&str] = &[
    "其中",
    "全区",
    "全县",
    "全市",
    "我区",
    "我县",
    "本区",
    "辖区内",
    "辖区",
    "目前",
    "现有",
    "当年",
    "全年",
    "年度",
    "共有",
    "累计",
    "共计",
    "合计",
    "截至",
    "截止",
    "年底",
    "年末",
    "专家组指出",
    "指出",
    "要求",
    "力争",
    "确保",
    "成功",
    "申报",
    "落实",
    "安排",
    "深入",
    "一线",
    "先后",
    "召开",
    "开展",
    "组织",
    "举办",
    "仅为",
    "约为",
    "仅",
    "约",
    "已",
];

/// Verbs and particles that link the name to its figure: dropped at the end. Not 均 (生均,
/// 人均 end names), nor verbs that also end nouns (组织 in 基层党组织).
const TRAILING: &[&str] = &[
    "分别达到",
    "分别为",
    "分别是",
    "分别",
    "提高到",
    "提升到",
    "提升至",
    "提高至",
    "增加到",
    "增长到",
    "增至",
    "降至",
    "降低到",
    "增加了",
    "增长了",
    "减少了",
    "下降了",
    "增加",
    "增长",
    "减少",
    "下降",
    "降低",
    "提高",
    "提升",
    "超过",
    "突破",
    "高于",
    "低于",
    "不低于",
    "不少于",
    "达到了",
    "达到",
    "仅为",
    "均为",
    "约为",
    "共有",
    "共计",
    "合计",
    "累计",
    "总计",
    "共",
    "达",
    "为",
    "是",
    "有",
    "约",
    "仅",
    "已",
    "的",
    "了",
    "等",
    "占",
];

/// Words an activity is reported with before what was done (召开党工委会29次): dropped at the
/// start of a long name, so 成功申报落实…资金 names the 资金.
const LEADING_VERBS: &[&str] = &[
    "开展", "召开", "组织", "完成", "实现", "推进", "新建", "建成", "投入", "研究", "举办",
];

/// Said in the middle of a clause, they only say "in all" (公办幼儿园共有临聘教师).
const INNER: &[&str] = &["共有", "共计", "累计", "合计"];

/// Units that count things, and the ending a count's name takes.
const COUNTED: &[(&str, &str)] = &[
    ("次", "次数"),
    ("人", "人数"),
    ("名", "人数"),
    ("人次", "人次"),
    ("个", "数"),
    ("所", "数"),
    ("项", "数"),
    ("家", "数"),
    ("支", "数"),
    ("件", "数"),
    ("条", "数"),
    ("场", "数"),
    ("篇", "数"),
    ("台", "数"),
    ("套", "数"),
    ("count", "数"),
];

/// Endings that already make a name of a quantity.
const QUANTITY_ENDINGS: &[&str] = &[
    "数", "率", "量", "比例", "占比", "比", "人次", "额", "金", "费", "资金", "经费", "投入",
    "收入", "面积", "度",
];

/// A year (2024年, 2021年度), with what follows it when it is a part of the year (底, 末).
static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"(?:19|20)\d{2}\s*(?:年度|年底|年末|年)?|\d+\s*[.．、]")
});

/// The name for a new indicator of a figure: the thing counted when it follows a counting
/// unit (三项**措施** → 措施数), else the words before the figure in its clause, cleaned
/// ([`clean`]); `places` are the district names to drop at the start (长寿区 in
/// 长寿区保障校园安全的措施…).
pub fn suggest(before: &str, after_unit: &str, unit: &str, places: &[&str]) -> String {
    let ending = COUNTED.iter().find(|(u, _)| *u == unit).map(|(_, e)| *e);
    // The thing counted right after the unit (3项措施): only a short noun before any mark.
    let noun: String = after_unit.chars().take_while(|c| is_han(*c)).collect();
    let noun = noun.split('的').next().unwrap_or_default();
    if ending.is_some() && (2..=6).contains(&noun.chars().count()) {
        return format!("{noun}数");
    }
    let name = clean(before, places);
    match ending {
        Some(e) if !name.is_empty() && !QUANTITY_ENDINGS.iter().any(|q| name.ends_with(q)) => {
            format!("{name}{e}")
        }
        _ => name,
    }
}

/// A name from a phrase: what follows its last mark, without years and numbers, without the
/// words that say where or when at its start and those that link it to a figure at its end,
/// shortened at a phrase boundary when long. Only Chinese characters remain.
pub fn clean(phrase: &str, places: &[&str]) -> String {
    let mut s = phrase.to_string();
    // The last mark: the name is what follows it.
    let mut from = 0;
    for m in STARTS_AFTER {
        if let Some(i) = s.rfind(m) {
            from = from.max(i + m.len());
        }
    }
    s = s[from..].to_string();
    s = YEAR.replace_all(&s, "").to_string();
    s.retain(is_han);
    for w in INNER {
        // Not at the start (there LEADING drops it with what precedes).
        if let Some(i) = s.find(w).filter(|&i| i > 0) {
            s.replace_range(i..i + w.len(), "");
        }
    }
    let mut stripped = true;
    while stripped {
        stripped = false;
        for w in places.iter().copied().chain(LEADING.iter().copied()) {
            if w.is_empty() {
                continue;
            }
            if let Some(rest) = s.strip_prefix(w).filter(|r| r.chars().count() >= 2) {
                s = rest.to_string();
                stripped = true;
            }
        }
        for w in TRAILING {
            if let Some(rest) = s.strip_suffix(w).filter(|r| r.chars().count() >= 2) {
                s = rest.to_string();
                stripped = true;
            }
        }
    }
    shorten(s)
}

/// A long name shortened at a phrase boundary: after its last 的 (保障校园安全的措施及成效满意度
/// → 措施及成效满意度), else after leading verbs; as it is when it has no such boundary (a long
/// name reads better than a cut one).
fn shorten(mut s: String) -> String {
    if s.chars().count() <= LONG {
        return s;
    }
    if let Some(i) = s.rfind('的') {
        let rest = &s[i + '的'.len_utf8()..];
        if rest.chars().count() >= SHORTEST {
            return rest.to_string();
        }
    }
    let mut stripped = true;
    while stripped && s.chars().count() > LONG {
        stripped = false;
        for w in LEADING_VERBS {
            if let Some(rest) = s.strip_prefix(w).filter(|r| r.chars().count() >= SHORTEST) {
                s = rest.to_string();
                stripped = true;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    //! Clauses from the seed reports (seeds/sources/*.txt), the text before each figure as the
    //! matcher cuts it, and the name a reviewer would confirm.

    use super::*;

    const PLACES: &[&str] = &[
        "长寿区",
        "长寿",
        "荣昌区",
        "荣昌",
        "大足区",
        "大足",
        "大渡口区",
    ];

    /// Neither end is a particle, a linking verb or a mark, and nothing but Chinese remains.
    fn assert_clean(name: &str) {
        assert!(name.chars().count() >= 2, "{name:?} is too short");
        assert!(
            name.chars().all(is_han),
            "{name:?} has a mark, a digit or a letter"
        );
        for w in [
            // Not 均: 生均 and 人均 end names.
            "的", "为", "达到", "达", "了", "等", "共", "仅", "是", "有",
        ] {
            assert!(!name.ends_with(w), "{name:?} ends with {w}");
        }
        for w in ["其中", "全区", "关于", "为", "的"] {
            assert!(!name.starts_with(w), "{name:?} starts with {w}");
        }
    }

    #[test]
    fn names_from_seed_report_sentences_are_whole_and_clean() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // changshou-2023-rectification-plan.txt
            (
                "15.关于“长寿区保障校园安全的措施及成效满意度为",
                "",
                "%",
                "措施及成效满意度",
            ),
            ("公办幼儿园共有临聘教师", "", "人", "公办幼儿园临聘教师人数"),
            ("仅为在编人员的", "", "%", "在编人员"),
            (
                "11.关于“中等职业教育在校学生比例仅为",
                "",
                "%",
                "中等职业教育在校学生比例",
            ),
            (
                "2024年规划涉及幼儿园教师培训项目",
                "",
                "个",
                "规划涉及幼儿园教师培训项目数",
            ),
            // dadukou-2020-self-evaluation.txt
            (
                "区委常委会研究教育重大议题",
                "",
                "次",
                "区委常委会研究教育重大议题次数",
            ),
            (
                "目前区委教育工委所属基层党组织共有",
                "",
                "个",
                "区委教育工委所属基层党组织数",
            ),
            ("召开党工委会 ", "", "次", "党工委会次数"),
            ("开展“以案四说”警示教育 ", "", "次", "警示教育次数"),
            // dazu-2021-self-evaluation.txt
            (
                "2021年一般公共预算教育经费",
                "",
                "万元",
                "一般公共预算教育经费",
            ),
            ("2021年幼儿生均增长", "", "%", "幼儿生均"),
            // rongchang-2022-self-evaluation.txt, rongchang-2025-rectification-report.txt
            ("全区共有各级各类学校", "", "所", "各级各类学校数"),
            ("梳理全年工作事项", "", "项", "梳理全年工作事项数"),
            (
                "成功申报落实2024年教育领域超长期特别国债资金",
                "",
                "万元",
                "教育领域超长期特别国债资金",
            ),
            ("当年教育费附加收入", "", "万元", "教育费附加收入"),
            (
                "力争中小学生体质健康优良率突破",
                "",
                "%",
                "中小学生体质健康优良率",
            ),
            // A counting unit followed by what it counts (三项措施).
            ("落实", "措施", "项", "措施数"),
        ];
        for (before, after, unit, want) in cases {
            let got = suggest(before, after, unit, PLACES);
            assert_eq!(&got, want, "from {before:?}");
            if got.chars().count() >= 2 {
                assert_clean(&got);
            }
        }
    }

    #[test]
    fn a_long_name_without_a_boundary_stays_whole() {
        let long = "区政府常务会议研究教育重大议题";
        assert_eq!(clean(long, &[]), long);
    }
}
