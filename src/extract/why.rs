//! Why the extractor chose an indicator for a figure, or chose none: typed reasons, each worded
//! once in English and once in Chinese.
//!
//! A proposal or an unmatched figure carries its reasons ([`Reason`]) next to `why`, their
//! English wording (kept for the clients that read it). The review page shows
//! [`zh`] in its Chinese view, so no English words reach a Chinese reader beyond codes;
//! translating the English text afterwards would break with every change of wording.

use serde::{Deserialize, Serialize};

/// Where a document's year comes from, when a figure's own words state none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum YearFrom {
    /// The title names the year (重庆市某区2023年教育事业统计公报).
    Title {
        /// The year.
        year: i32,
    },
    /// The document's date: it looks back on the year before.
    Dated {
        /// The printed date, ISO.
        date: String,
    },
    /// The text's 截至 phrases name the year most often.
    AsOf {
        /// The year.
        year: i32,
    },
    /// The text's school year starts in it.
    SchoolYear {
        /// The year.
        year: i32,
    },
    /// The text states the year more often than any other.
    MostStated {
        /// The year.
        year: i32,
    },
}

impl YearFrom {
    /// In English.
    pub fn en(&self) -> String {
        match self {
            YearFrom::Title { year } => format!("the title names {year}年"),
            YearFrom::Dated { date } => {
                format!("the document is dated {date} and looks back on the year before")
            }
            YearFrom::AsOf { year } => format!("the text's 截至 phrases name {year}年"),
            YearFrom::SchoolYear { year } => format!("the text's school year starts in {year}"),
            YearFrom::MostStated { year } => {
                format!("the text states {year}年 more often than any other year")
            }
        }
    }

    /// In Chinese.
    pub fn zh(&self) -> String {
        match self {
            YearFrom::Title { year } => format!("标题写明{year}年"),
            YearFrom::Dated { date } => format!("文件日期为{date}，回顾的是上一年"),
            YearFrom::AsOf { year } => format!("正文的“截至”多指{year}年"),
            YearFrom::SchoolYear { year } => format!("正文的学年始于{year}年"),
            YearFrom::MostStated { year } => format!("正文提到{year}年最多"),
        }
    }
}

/// How a figure's reference period was found, when its own words do not state it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum PeriodNote {
    /// The header of a column of a text table names it.
    ColumnHeader {
        /// The header.
        header: String,
    },
    /// The table column's header names it.
    TableHeader {
        /// The header, whitespace removed.
        header: String,
    },
    /// The table's title names the year.
    TableTitle {
        /// The year.
        year: String,
        /// The title line.
        line: String,
    },
    /// No year in the table: the document's year.
    TableDocumentYear {
        /// The year.
        year: i32,
        /// Where the document's year comes from (none: the year the report reviews).
        from: Option<YearFrom>,
    },
    /// No year in the table or the document.
    NoTableYear,
    /// A year stated earlier in the paragraph.
    Paragraph {
        /// The year.
        year: String,
    },
    /// A plan's measure: the year of the deadline that closes its measures (完成时限).
    Deadline {
        /// The year.
        year: i32,
    },
    /// No year stated: the span the report reviews (…年以来 up to its date).
    ReviewSpan {
        /// The span, `2021..2022`.
        span: String,
    },
    /// No year stated: the document's year.
    DocumentYear {
        /// The year.
        year: i32,
        /// Where it comes from (none: the year the report reviews).
        from: Option<YearFrom>,
    },
    /// No year stated or inferable.
    NoYear,
    /// The year stated is outside the years a period may name.
    Invalid {
        /// The period as read.
        period: String,
    },
}

impl PeriodNote {
    /// In English (also the row's `period_note`).
    pub fn en(&self) -> String {
        match self {
            PeriodNote::ColumnHeader { header } => format!("column header {header}"),
            PeriodNote::TableHeader { header } => format!("table header {header}"),
            PeriodNote::TableTitle { year, line } => {
                format!("inferred: {year}年 in the table's title {line}")
            }
            PeriodNote::TableDocumentYear { year, from: Some(f) } => format!(
                "inferred: no year in the table; the document's year is {year} ({})",
                f.en()
            ),
            PeriodNote::TableDocumentYear { year, from: None } => {
                format!("inferred: no year in the table; the report reviews {year}")
            }
            PeriodNote::NoTableYear => "no year in the table or the document".into(),
            PeriodNote::Paragraph { year } => {
                format!("inferred: {year}年 stated earlier in the paragraph")
            }
            PeriodNote::Deadline { year } => {
                format!("inferred: a plan's measure due by its deadline ({year}年, 完成时限)")
            }
            PeriodNote::ReviewSpan { span } => format!(
                "inferred: no year stated; the report reviews the period {span} (…年以来 up to its date)"
            ),
            PeriodNote::DocumentYear { year, from: Some(f) } => format!(
                "inferred: no year stated; the document's year is {year} ({})",
                f.en()
            ),
            PeriodNote::DocumentYear { year, from: None } => {
                format!("inferred: no year stated; the report reviews {year}")
            }
            PeriodNote::NoYear => "no year stated or inferable".into(),
            PeriodNote::Invalid { period } => {
                format!("no period: {period} is not a valid reference period")
            }
        }
    }

    /// In Chinese.
    pub fn zh(&self) -> String {
        match self {
            PeriodNote::ColumnHeader { header } => format!("列标题“{header}”"),
            PeriodNote::TableHeader { header } => format!("表头“{header}”"),
            PeriodNote::TableTitle { year, line } => {
                format!("推断：表格标题“{line}”写明{year}年")
            }
            PeriodNote::TableDocumentYear {
                year,
                from: Some(f),
            } => {
                format!("推断：表格无年份；文件年份为{year}年（{}）", f.zh())
            }
            PeriodNote::TableDocumentYear { year, from: None } => {
                format!("推断：表格无年份；报告回顾{year}年")
            }
            PeriodNote::NoTableYear => "表格和文件均无年份".into(),
            PeriodNote::Paragraph { year } => format!("推断：本段前文写明{year}年"),
            PeriodNote::Deadline { year } => format!("推断：整改措施的完成时限为{year}年"),
            PeriodNote::ReviewSpan { span } => {
                format!("推断：未写明年份；报告回顾{span}期间（“…年以来”至成文日期）")
            }
            PeriodNote::DocumentYear {
                year,
                from: Some(f),
            } => {
                format!("推断：未写明年份；文件年份为{year}年（{}）", f.zh())
            }
            PeriodNote::DocumentYear { year, from: None } => {
                format!("推断：未写明年份；报告回顾{year}年")
            }
            PeriodNote::NoYear => "未写明年份，也无法推断".into(),
            PeriodNote::Invalid { period } => format!("无期间：{period} 不是有效的参照期"),
        }
    }
}

/// The cue that weighed most for the chosen indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cue", rename_all = "snake_case")]
pub enum Cue {
    /// The indicator's name.
    Name {
        /// The name, Chinese.
        name: String,
    },
    /// One of its aliases.
    Alias {
        /// The alias.
        alias: String,
    },
    /// A member of a breakdown few indicators have.
    Member {
        /// The member's word.
        word: String,
        /// The dimension code.
        dimension: String,
    },
    /// A member of a breakdown that sorts what the indicator counts into kinds (幼儿园 of the
    /// schools' 学校类型): it names the thing counted.
    Kind {
        /// The member's word.
        word: String,
        /// The dimension code.
        dimension: String,
    },
    /// A published figure's quote.
    Example {
        /// The last words before that figure.
        lead: String,
    },
}

impl Cue {
    /// In English.
    pub fn en(&self) -> String {
        match self {
            Cue::Name { name } => format!("name {name}"),
            Cue::Alias { alias } => format!("alias {alias}"),
            Cue::Member { word, dimension } => {
                format!("member {word} of its breakdown {dimension}")
            }
            Cue::Kind { word, dimension } => {
                format!("{word}, a kind of what it counts (its breakdown {dimension})")
            }
            Cue::Example { lead } => format!("like “{lead}…”"),
        }
    }

    /// In Chinese.
    pub fn zh(&self) -> String {
        match self {
            Cue::Name { name } => format!("名称“{name}”"),
            Cue::Alias { alias } => format!("别名“{alias}”"),
            Cue::Member { word, dimension } => format!("其分组 {dimension} 的成员“{word}”"),
            Cue::Kind { word, dimension } => {
                format!("“{word}”是其所计之物的一类（其分组 {dimension}）")
            }
            Cue::Example { lead } => format!("与已发布数据“{lead}…”相似"),
        }
    }
}

/// One reason of the extractor's choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The indicator chosen, the cue that weighed most and the scores.
    Chosen {
        /// The indicator's Chinese name.
        name_zh: String,
        /// Its code.
        code: String,
        /// The cue that weighed most.
        cue: Cue,
        /// The figure is a part (其中) of the figure before, whose indicator this is.
        part: bool,
        /// Its score.
        similarity: f64,
        /// The runner-up's score.
        runner_up: f64,
        /// The share of the figure's naming words the indicator holds, when checked.
        support: Option<f64>,
    },
    /// A rank whose words name no quantity (全市排名第3, 该比例全市排第6位) ranks the figure
    /// before it, and takes that figure's indicator.
    RankOf {
        /// The indicator of the figure ranked.
        code: String,
    },
    /// The period was not stated by the figure's words.
    Period {
        /// The period chosen.
        period: String,
        /// How.
        note: PeriodNote,
    },
    /// Read from a table cell.
    TableCell {
        /// The row's labels, outer first.
        row: Vec<String>,
        /// The column's headers, top first.
        column: Vec<String>,
    },
    /// The cell prints no unit: the indicator's is taken.
    NoUnitPrinted {
        /// The unit taken.
        unit: String,
    },
    /// Labels of the cell that name no breakdown member of the catalogue.
    UnknownMembers {
        /// The labels.
        words: Vec<String>,
    },
    /// The closest indicator scores enough, but the figure's naming words are not its words.
    NotItsWords {
        /// The closest indicator's code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its score.
        score: f64,
        /// The figure's naming words.
        words: Vec<String>,
        /// The share of them it holds.
        held: f64,
        /// The share needed.
        needed: f64,
    },
    /// The closest indicator's name stands next to the figure, narrowed by words it does not
    /// hold (家长学校 beside 学校数): a kind of it the catalogue lacks.
    Narrower {
        /// The closest indicator's code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// The narrowing words.
        words: String,
    },
    /// The closest indicator scores well, but none of its own words (those few other
    /// indicators' names hold) stands near the figure: it shares only common words with it.
    Unnamed {
        /// The closest indicator's code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its own words, none of them near the figure.
        own: Vec<String>,
    },
    /// The closest indicator scores below the threshold.
    BelowThreshold {
        /// The closest indicator's code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its score.
        score: f64,
        /// The threshold.
        threshold: f64,
    },
    /// No catalogue indicator is measured in the figure's unit.
    NoIndicatorInUnit {
        /// The canonical unit code.
        unit: String,
    },
    /// The catalogue has no indicator at all.
    EmptyCatalogue,
}

impl Reason {
    /// In English.
    pub fn en(&self) -> String {
        match self {
            Reason::Chosen {
                name_zh,
                code,
                cue,
                part,
                similarity,
                runner_up,
                support,
            } => {
                let part = if *part {
                    ", a part (其中) of the figure before"
                } else {
                    ""
                };
                let mut s = format!(
                    "{name_zh} ({code}): {}{part}, similarity {similarity:.2}, runner-up {runner_up:.2}",
                    cue.en()
                );
                if let Some(h) = support {
                    s.push_str(&format!(", naming words held {h:.2}"));
                }
                s
            }
            Reason::RankOf { code } => {
                format!("a rank of the figure before it, which is {code}")
            }
            Reason::Period { period, note } => format!("period {period}: {}", note.en()),
            Reason::TableCell { row, column } => format!(
                "table cell ({}; {})",
                if row.is_empty() {
                    "no row header".to_string()
                } else {
                    format!("row {}", row.join(" · "))
                },
                if column.is_empty() {
                    "no column header".to_string()
                } else {
                    format!("column {}", column.join(" · "))
                }
            ),
            Reason::NoUnitPrinted { unit } => format!("no unit printed: the indicator's ({unit})"),
            Reason::UnknownMembers { words } => format!(
                "{} names no breakdown member of the catalogue",
                words.join(", ")
            ),
            Reason::NotItsWords {
                code,
                score,
                words,
                held,
                needed,
                ..
            } => format!(
                "closest indicator {code} scores {score:.2}, but the words naming the figure ({}) \
                 are not its words ({held:.2} of them, below {needed})",
                words.join(" ")
            ),
            Reason::Narrower { code, words, .. } => format!(
                "the name of {code} stands next to the figure, narrowed by {words}: a kind of it \
                 the catalogue lacks"
            ),
            Reason::Unnamed { code, own, .. } => format!(
                "closest indicator {code} shares only common words with the figure: none of its \
                 own words ({}) stands near it",
                own.join(" ")
            ),
            Reason::BelowThreshold {
                code,
                score,
                threshold,
                ..
            } => format!("closest indicator {code} scores {score:.2}, below {threshold}"),
            Reason::NoIndicatorInUnit { unit } => {
                format!("no catalogue indicator is measured in {unit}")
            }
            Reason::EmptyCatalogue => "the catalogue has no indicator".into(),
        }
    }

    /// In Chinese. Codes (indicator, unit, dimension) stay as they are: they are what the
    /// catalogue and the import files name. Words of the report (its table headers, the words
    /// around a figure) are quoted “…”: they are the report's, in whatever script it used.
    pub fn zh(&self) -> String {
        match self {
            Reason::Chosen {
                name_zh,
                code,
                cue,
                part,
                similarity,
                runner_up,
                support,
            } => {
                let part = if *part {
                    "，为前一数字的“其中”部分"
                } else {
                    ""
                };
                let mut s = format!(
                    "{name_zh}（{code}）：依据{}{part}，相似度 {similarity:.2}，次优 {runner_up:.2}",
                    cue.zh()
                );
                if let Some(h) = support {
                    s.push_str(&format!("，命名词吻合 {h:.2}"));
                }
                s
            }
            Reason::RankOf { code } => format!("排名，排的是前面数字的指标 {code}"),
            Reason::Period { period, note } => format!("期间 {period}：{}", note.zh()),
            Reason::TableCell { row, column } => format!(
                "表格单元格（{}；{}）",
                if row.is_empty() {
                    "无行标题".to_string()
                } else {
                    format!("行“{}”", row.join(" · "))
                },
                if column.is_empty() {
                    "无列标题".to_string()
                } else {
                    format!("列“{}”", column.join(" · "))
                }
            ),
            Reason::NoUnitPrinted { unit } => format!("未印单位：采用指标的单位（{unit}）"),
            Reason::UnknownMembers { words } => {
                format!("“{}”不是目录中的分组成员", words.join("、"))
            }
            Reason::NotItsWords {
                code,
                name_zh,
                score,
                words,
                held,
                needed,
            } => format!(
                "最接近的指标 {name_zh}（{code}）得分 {score:.2}，但指称该数字的词“{}”\
                 不是它的词（吻合 {held:.2}，低于 {needed}）",
                words.join(" ")
            ),
            Reason::Narrower {
                code,
                name_zh,
                words,
            } => format!(
                "数字旁是指标 {name_zh}（{code}）的名称，但前面的“{words}”把它限定为目录中没有的一类"
            ),
            Reason::Unnamed { code, name_zh, own } => format!(
                "最接近的指标 {name_zh}（{code}）与该数字只有通用的词相同：它自己的词“{}”都不在数字附近",
                own.join(" ")
            ),
            Reason::BelowThreshold {
                code,
                name_zh,
                score,
                threshold,
            } => format!("最接近的指标 {name_zh}（{code}）得分 {score:.2}，低于 {threshold}"),
            Reason::NoIndicatorInUnit { unit } => format!("目录中没有以 {unit} 计量的指标"),
            Reason::EmptyCatalogue => "目录中没有任何指标".into(),
        }
    }
}

/// The reasons in English, as `why` has always read.
pub fn en(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(Reason::en)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reasons in Chinese; for an item extracted before reasons were kept (its `why` is
/// English only), a sentence saying so rather than the English.
pub fn zh(reasons: &[Reason]) -> String {
    if reasons.is_empty() {
        return "（此项提取于中文说明启用之前，依据仅有英文版本）".into();
    }
    reasons
        .iter()
        .map(Reason::zh)
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason kind once, with codes and numbers the only ASCII.
    fn all() -> Vec<Reason> {
        vec![
            Reason::Chosen {
                name_zh: "小学入学率".into(),
                code: "primary_enrollment_rate".into(),
                cue: Cue::Member {
                    word: "保安配备".into(),
                    dimension: "security_measure".into(),
                },
                part: true,
                similarity: 0.83,
                runner_up: 0.41,
                support: Some(0.5),
            },
            Reason::Period {
                period: "2023".into(),
                note: PeriodNote::DocumentYear {
                    year: 2023,
                    from: Some(YearFrom::Dated {
                        date: "2024-03-05".into(),
                    }),
                },
            },
            Reason::TableCell {
                row: vec!["小学".into()],
                column: vec![],
            },
            Reason::NoUnitPrinted {
                unit: "percent".into(),
            },
            Reason::UnknownMembers {
                words: vec!["其中：女".into()],
            },
            Reason::NotItsWords {
                code: "school_count".into(),
                name_zh: "学校数".into(),
                score: 0.7,
                words: vec!["演练".into(), "安全".into()],
                held: 0.2,
                needed: 0.5,
            },
            Reason::Narrower {
                code: "school_count".into(),
                name_zh: "学校数".into(),
                words: "家长".into(),
            },
            Reason::Unnamed {
                code: "school_count".into(),
                name_zh: "学校数".into(),
                own: vec!["近视".into()],
            },
            Reason::BelowThreshold {
                code: "school_count".into(),
                name_zh: "学校数".into(),
                score: 0.1,
                threshold: 0.3,
            },
            Reason::NoIndicatorInUnit {
                unit: "yuan".into(),
            },
            Reason::EmptyCatalogue,
            Reason::RankOf {
                code: "school_count".into(),
            },
        ]
    }

    #[test]
    fn the_english_reads_as_why_always_read() {
        let r = all();
        assert_eq!(
            en(&r[..1]),
            "小学入学率 (primary_enrollment_rate): member 保安配备 of its breakdown \
             security_measure, a part (其中) of the figure before, similarity 0.83, runner-up \
             0.41, naming words held 0.50"
        );
        assert_eq!(
            en(&r[1..3]),
            "period 2023: inferred: no year stated; the document's year is 2023 (the document \
             is dated 2024-03-05 and looks back on the year before); table cell (row 小学; no \
             column header)"
        );
        assert!(en(&r[5..6]).contains("not its words"));
    }

    #[test]
    fn the_chinese_has_no_english_words_beyond_codes() {
        let codes = [
            "primary_enrollment_rate",
            "security_measure",
            "percent",
            "school_count",
            "yuan",
        ];
        for r in all() {
            let zh = r.zh();
            for word in zh
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
            {
                assert!(codes.contains(&word), "{word:?} in {zh}");
            }
        }
    }

    #[test]
    fn reasons_survive_the_draft_store_and_old_items_have_none() {
        let r = all();
        let json = serde_json::to_string(&r).expect("serialises");
        let back: Vec<Reason> = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, r);
        assert!(zh(&[]).contains("英文"));
    }
}
