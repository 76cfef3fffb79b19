//! What a [`super::Problem`] says, typed: a stable code for clients, and its wording in English
//! and in Chinese, defined once.
//!
//! The problems a reviewer meets when a draft is dry-run or published (a pending item, a row
//! the catalogue refuses) are typed here, so the review page's Chinese view shows them in
//! Chinese. Any other problem keeps its English message and gets the code `other` and a
//! Chinese sentence naming the field at fault ([`field_zh`]): never a machine translation of
//! the English.

/// A problem's content, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A draft item still pending.
    Pending {
        /// Its position.
        item: i32,
        /// Its row's key, indicator and figure, when it has a row.
        row: Option<(String, String)>,
        /// The figure as printed (value and unit).
        figure: String,
    },
    /// An accepted draft item without an indicator.
    NeedsIndicator {
        /// Its position.
        item: i32,
    },
    /// The district code is unknown.
    UnknownDistrict {
        /// The code.
        district: String,
    },
    /// The indicator code is unknown.
    UnknownIndicator {
        /// The code.
        indicator: String,
    },
    /// A breakdown member is unknown.
    UnknownMember {
        /// The dimension.
        dimension: String,
        /// The member.
        member: String,
    },
    /// The indicator is not broken down by the dimension.
    NoDimension {
        /// The indicator.
        indicator: String,
        /// The dimension.
        dimension: String,
    },
    /// The unit is unknown.
    UnknownUnit {
        /// The unit as given.
        unit: String,
    },
    /// The unit converts to another canonical unit than the indicator's.
    UnitMismatch {
        /// The unit as given.
        unit: String,
        /// What it converts to.
        converts_to: String,
        /// The kind of the row.
        kind: String,
        /// The indicator.
        indicator: String,
        /// The unit it must be in.
        expected: String,
    },
    /// The source code is unknown.
    UnknownSource {
        /// The code.
        source: String,
    },
    /// The quote is not in the source's text.
    QuoteNotFound {
        /// The source.
        source: String,
        /// The quote.
        quote: String,
    },
    /// A number of the value is not in the quote.
    NumberNotInQuote {
        /// The number.
        number: String,
        /// The value.
        value: String,
    },
    /// A level outside the indicator's valid range.
    OutOfRange {
        /// The value, canonical, as written.
        value: String,
        /// The lower bound, `-inf` when none.
        min: String,
        /// The upper bound, `+inf` when none.
        max: String,
        /// The indicator.
        indicator: String,
    },
    /// A period that does not parse.
    BadPeriod {
        /// The period as given.
        period: String,
        /// The parser's English message.
        detail: String,
    },
    /// A value that does not parse.
    BadValue {
        /// The value as given.
        value: String,
        /// The parser's English message.
        detail: String,
    },
    /// A breakdown that does not parse.
    BadBreakdown {
        /// The breakdown as given.
        breakdown: String,
        /// The parser's English message.
        detail: String,
    },
    /// A key given twice.
    DuplicateKey {
        /// Where it was first (English, from [`super::validate::duplicate_key`]).
        detail: String,
    },
    /// The same figure twice under two keys.
    DuplicateRow {
        /// The English message ([`super::validate::duplicate_row`]).
        detail: String,
    },
    /// A new indicator's code is already in the catalogue.
    IndicatorExists {
        /// The code.
        code: String,
    },
    /// A new indicator's code is not snake_case.
    InvalidIndicatorCode {
        /// The code.
        code: String,
    },
    /// The source already exists with another text.
    SourceTextDiffers {
        /// The source code.
        source: String,
    },
}

impl Said {
    /// The stable code clients translate or test by.
    pub fn code(&self) -> &'static str {
        match self {
            Said::Pending { .. } => "pending",
            Said::NeedsIndicator { .. } => "needs_indicator",
            Said::UnknownDistrict { .. } => "unknown_district",
            Said::UnknownIndicator { .. } => "unknown_indicator",
            Said::UnknownMember { .. } => "unknown_member",
            Said::NoDimension { .. } => "no_dimension",
            Said::UnknownUnit { .. } => "unknown_unit",
            Said::UnitMismatch { .. } => "unit_mismatch",
            Said::UnknownSource { .. } => "unknown_source",
            Said::QuoteNotFound { .. } => "quote_not_found",
            Said::NumberNotInQuote { .. } => "number_not_in_quote",
            Said::OutOfRange { .. } => "out_of_range",
            Said::BadPeriod { .. } => "bad_period",
            Said::BadValue { .. } => "bad_value",
            Said::BadBreakdown { .. } => "bad_breakdown",
            Said::DuplicateKey { .. } => "duplicate_key",
            Said::DuplicateRow { .. } => "duplicate_row",
            Said::IndicatorExists { .. } => "indicator_exists",
            Said::InvalidIndicatorCode { .. } => "invalid_indicator_code",
            Said::SourceTextDiffers { .. } => "source_text_differs",
        }
    }

    /// In English (the problem's `message`, as it has always read).
    pub fn en(&self) -> String {
        match self {
            Said::Pending { item, row, figure } => {
                let label = match row {
                    Some((key, indicator)) => format!("{key} {figure} {indicator}"),
                    None => format!("{figure} (no indicator)"),
                };
                format!("item {item} ({label}) is pending: accept, edit or reject it")
            }
            Said::NeedsIndicator { item } => format!(
                "item {item} matches no indicator: confirm a new indicator (confirmIndicator) or \
                 merge it into an existing one (mergeIndicator) first"
            ),
            Said::UnknownDistrict { district } => format!("unknown district {district:?}"),
            Said::UnknownIndicator { indicator } => format!("unknown indicator {indicator:?}"),
            Said::UnknownMember { dimension, member } => {
                format!("unknown breakdown member {dimension}={member}")
            }
            Said::NoDimension {
                indicator,
                dimension,
            } => format!("indicator {indicator} has no dimension {dimension:?}"),
            Said::UnknownUnit { unit } => format!("unknown unit {unit:?}"),
            Said::UnitMismatch {
                unit,
                converts_to,
                kind,
                indicator,
                expected,
            } => format!(
                "unit {unit:?} converts to {converts_to}, but a {kind} value of {indicator} must \
                 be in {expected}"
            ),
            Said::UnknownSource { source } => format!("unknown source {source:?}"),
            Said::QuoteNotFound { source, quote } => {
                format!("quote not found in the text of {source}: {quote:?}")
            }
            Said::NumberNotInQuote { number, value } => {
                format!("the number {number:?} of value {value:?} does not occur in the quote")
            }
            Said::OutOfRange {
                value,
                min,
                max,
                indicator,
            } => format!("{value} is outside the valid range [{min}, {max}] of {indicator}"),
            Said::BadPeriod { detail, .. }
            | Said::BadValue { detail, .. }
            | Said::BadBreakdown { detail, .. }
            | Said::DuplicateKey { detail }
            | Said::DuplicateRow { detail } => detail.clone(),
            Said::IndicatorExists { code } => format!("indicator {code:?} already exists"),
            Said::InvalidIndicatorCode { code } => format!(
                "invalid indicator code {code:?}: use lower-case letters, digits and '_', \
                 starting with a letter"
            ),
            Said::SourceTextDiffers { source } => {
                format!("source {source:?} already exists with a different text")
            }
        }
    }

    /// In Chinese: codes, numbers and the figures as printed stay as they are.
    pub fn zh(&self) -> String {
        match self {
            Said::Pending { item, row, figure } => {
                let label = match row {
                    Some((key, indicator)) => format!("{key} {figure} {indicator}"),
                    None => format!("{figure}，无指标"),
                };
                format!("第 {item} 项（{label}）仍待定：请接受、修改或拒绝")
            }
            Said::NeedsIndicator { item } => format!(
                "第 {item} 项不对应任何指标：请先确认为新指标，或归入已有指标"
            ),
            Said::UnknownDistrict { district } => format!("未知的区县代码 {district}"),
            Said::UnknownIndicator { indicator } => format!("未知的指标代码 {indicator}"),
            Said::UnknownMember { dimension, member } => {
                format!("未知的分组成员 {dimension}={member}")
            }
            Said::NoDimension {
                indicator,
                dimension,
            } => format!("指标 {indicator} 没有分组维度 {dimension}"),
            Said::UnknownUnit { unit } => format!("未知的单位“{unit}”"),
            Said::UnitMismatch {
                unit,
                converts_to,
                kind,
                indicator,
                expected,
            } => format!(
                "单位“{unit}”换算为 {converts_to}，但指标 {indicator} 的 {kind} 值须以 {expected} 计"
            ),
            Said::UnknownSource { source } => format!("未知的来源 {source}"),
            Said::QuoteNotFound { source, quote } => {
                format!("在来源 {source} 的正文中找不到引文“{quote}”")
            }
            Said::NumberNotInQuote { number, value } => {
                format!("数值“{value}”中的数字 {number} 不在引文中")
            }
            Said::OutOfRange {
                value,
                min,
                max,
                indicator,
            } => format!("{value} 超出指标 {indicator} 的有效范围 [{min}, {max}]"),
            Said::BadPeriod { period, .. } => format!(
                "期间“{period}”无效：应写作 2022、2023-06、2023-01..2023-06 或 2019..2021"
            ),
            Said::BadValue { value, .. } => format!("数值“{value}”无法读取"),
            Said::BadBreakdown { breakdown, .. } => {
                format!("分组“{breakdown}”格式无效：应写作“维度=成员;…”")
            }
            Said::DuplicateKey { .. } => "编号重复".into(),
            Said::DuplicateRow { .. } => "重复的数据：同一数字、期间、分组和引文已出现过".into(),
            Said::IndicatorExists { code } => {
                format!("指标 {code} 已存在：请把该数字归入这个指标")
            }
            Said::InvalidIndicatorCode { code } => {
                format!("指标代码 {code} 无效：只能用小写字母、数字和下划线，并以字母开头")
            }
            Said::SourceTextDiffers { source } => {
                format!("来源 {source} 已存在，但正文不同")
            }
        }
    }
}

/// A field of a record, in Chinese (the field's own name when it has no Chinese one).
pub fn field_zh(field: &str) -> String {
    let zh = match field {
        "" => "该记录",
        "key" => "编号",
        "district" => "区县",
        "indicator" => "指标",
        "period" => "期间",
        "base_period" => "基期",
        "period_note" => "期间说明",
        "breakdown" => "分组",
        "kind" => "类型",
        "value" => "数值",
        "unit" => "单位",
        "quote" => "引文",
        "note" => "备注",
        "source" => "来源",
        "reason" => "修改理由",
        "decision" => "决定",
        "code" => "代码",
        "name_zh" => "中文名",
        "name_en" => "英文名",
        "definition" => "定义",
        "definition_zh" => "中文定义",
        "category" => "类别",
        "direction" => "方向",
        "dimensions" => "分组维度",
        "aliases" => "别名",
        "min" | "max" => "有效范围",
        "text" => "正文",
        "title_zh" => "中文标题",
        "title_en" => "英文标题",
        "date" => "日期",
        "doc_number" => "文号",
        other => return format!("字段 {other}"),
    };
    zh.to_string()
}

/// The Chinese of a problem that is not typed: the field at fault, and where to read more.
pub fn other_zh(field: &str) -> String {
    format!("{}有误（详细说明见英文界面）", field_zh(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_and_needs_indicator_read_as_before_in_english_and_in_chinese() {
        let p = Said::Pending {
            item: 3,
            row: None,
            figure: "12所".into(),
        };
        assert_eq!(
            p.en(),
            "item 3 (12所 (no indicator)) is pending: accept, edit or reject it"
        );
        assert_eq!(p.zh(), "第 3 项（12所，无指标）仍待定：请接受、修改或拒绝");
        assert_eq!(p.code(), "pending");
        let n = Said::NeedsIndicator { item: 4 };
        assert!(n.en().starts_with("item 4 matches no indicator"));
        assert!(!n.zh().is_ascii());
    }

    #[test]
    fn an_untyped_problem_names_its_field_in_chinese() {
        assert_eq!(other_zh("period"), "期间有误（详细说明见英文界面）");
        assert_eq!(field_zh("odd_field"), "字段 odd_field");
    }
}
