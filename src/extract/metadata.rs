//! The document's own metadata, read from its text where printed: document number, title,
//! issuer, date, kind, the year it reviews and the district it is about.

use std::sync::LazyLock;

use regex::Regex;

use super::knowledge::Knowledge;
use super::why::YearFrom;
use crate::document::DocMeta;
use crate::domain::SourceKind;
use crate::ingest::rows::SourceInput;

/// What the text says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Document number, e.g. 荣昌府函〔2026〕82号.
    pub doc_number: Option<String>,
    /// Title (its lines joined, spaces removed).
    pub title: Option<String>,
    /// Issuing body.
    pub issuer: Option<String>,
    /// Printed date, ISO.
    pub date: Option<String>,
    /// Kind of document.
    pub kind: Option<SourceKind>,
    /// The year it reviews (or, for a statistics document, the year its figures are of).
    pub review_year: Option<i32>,
    /// Where [`Metadata::review_year`] comes from (the title, the document's date, …), for
    /// the `why` of figures that take it.
    pub review_year_from: Option<YearFrom>,
    /// The district it is about (division code).
    pub district: Option<String>,
}

static DOC_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"[\p{Han}]{1,12}〔\d{4}〕\d+号"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| crate::pattern::regex(r"((?:19|20)\d{2})年"));
/// Title words of statistics tables and bulletins (重庆市某区2023年教育事业发展统计公报,
/// 教育事业统计资料, 教育统计数据). Checked after the review kinds: a rectification report about
/// statistics work is still a rectification report.
const STATISTICS_WORDS: &[&str] = &[
    "统计公报",
    "统计资料",
    "统计数据",
    "统计表",
    "事业统计",
    "统计简报",
    "统计年鉴",
];

/// The last date printed in the closing lines (where the signature is).
fn closing_date(lines: &[&str]) -> Option<(usize, String)> {
    for (i, line) in lines.iter().enumerate().rev().take(12) {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(date) = crate::document::iso_date(&compact) {
            return Some((i, date));
        }
    }
    None
}

fn is_issuer_like(s: &str) -> bool {
    let n = s.chars().count();
    (4..=30).contains(&n)
        && ["人民政府", "办公室", "委员会", "教委", "督导室", "教育局"]
            .iter()
            .any(|e| s.ends_with(e))
}

/// Reads the metadata of `text`.
pub fn read(text: &str, knowledge: &Knowledge) -> Metadata {
    read_with(text, knowledge, &DocMeta::default())
}

/// Reads the metadata of `text`, taking what the text does not print from what the file says
/// about itself outside its body (`printed`: a web page's metadata box with its 成文日期, 文号,
/// 发布机构). The kind, the year and the district are then read from both: a page whose body
/// has no signature date still has its date.
pub fn read_with(text: &str, knowledge: &Knowledge, printed: &DocMeta) -> Metadata {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut meta = Metadata::default();
    // The header: an optional document number, then the title lines, up to the addressee
    // (a line ending with a colon) or the first paragraph.
    let mut title = String::new();
    for line in lines.iter().take(8) {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if title.is_empty() && meta.doc_number.is_none() {
            if let Some(m) = DOC_NUMBER.find(&compact) {
                if m.as_str().chars().count() + 2 >= compact.chars().count() {
                    meta.doc_number = Some(m.as_str().to_string());
                    continue;
                }
            }
        }
        if compact.ends_with('：') || compact.ends_with(':') || compact.chars().count() > 60 {
            break;
        }
        title.push_str(&compact);
    }
    if !title.is_empty() {
        meta.title = Some(title.clone());
    }
    let closing = closing_date(&lines);
    if let Some((i, date)) = &closing {
        meta.date = Some(date.clone());
        // The issuer signs just above the date (sometimes after it, too).
        meta.issuer = lines[..*i]
            .iter()
            .rev()
            .take(3)
            .chain(lines[*i + 1..].iter().take(2))
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .find(|l| is_issuer_like(l));
    }
    if meta.doc_number.is_none() {
        meta.doc_number = printed.doc_number.clone();
    }
    if meta.date.is_none() {
        meta.date = printed.date.clone();
    }
    if meta.issuer.is_none() {
        meta.issuer = printed.issuer.clone().filter(|i| !i.trim().is_empty());
    }
    if title.is_empty() {
        if let Some(t) = &printed.title {
            title = t.chars().filter(|c| !c.is_whitespace()).collect();
            meta.title = (!title.is_empty()).then(|| title.clone());
        }
    }
    if meta.issuer.is_none() {
        meta.issuer = title
            .split_once("关于")
            .map(|(before, _)| before.to_string())
            .filter(|b| is_issuer_like(b));
    }
    meta.kind = if title.contains("自查自评") || title.contains("自评报告") {
        Some(SourceKind::SelfEvaluation)
    } else if title.contains("整改方案") {
        Some(SourceKind::RectificationPlan)
    } else if title.contains("整改") {
        Some(SourceKind::RectificationReport)
    } else if STATISTICS_WORDS.iter().any(|w| title.contains(w)) {
        Some(SourceKind::Statistics)
    } else {
        None
    };
    (meta.review_year, meta.review_year_from) =
        match document_year(&title, meta.date.as_deref(), text) {
            Some((y, from)) => (Some(y), Some(from)),
            None => (None, None),
        };
    // The district: named in the title, the issuer, or the document number's prefix (荣昌府函).
    let haystacks = [
        meta.title.clone().unwrap_or_default(),
        meta.issuer.clone().unwrap_or_default(),
        meta.doc_number.clone().unwrap_or_default(),
    ];
    meta.district = haystacks.iter().find_map(|h| {
        knowledge.districts.iter().find_map(|(code, zh, _)| {
            // 荣昌区 → also 荣昌; a one-character stem (e.g. of a county) is too ambiguous.
            let stem = zh.trim_end_matches(['区', '县']).trim_end_matches("自治");
            let hit = h.contains(zh.as_str()) || (stem.chars().count() >= 2 && h.contains(stem));
            (hit && code != "500000").then(|| code.clone())
        })
    });
    meta
}

/// 截至2023年底, 截止到2023年12月: the date a figure stands at.
static AS_OF: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::regex(r"截[至止](?:到)?\s*((?:19|20)\d{2})\s*年"));
/// 2023—2024学年, 2023-2024学年度, 2023学年: a school year, named by the year it starts in
/// (the national statistics count enrolment at its start, in the autumn).
pub(super) static SCHOOL_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::regex(r"((?:19|20)\d{2})\s*(?:[—\-－~～至/]\s*(?:19|20)?\d{2,4}\s*)?学年")
});

/// The year a document is about and where that comes from, in order of how directly the
/// document says it: a year in the title (重庆市某区2023年教育事业统计公报, 关于2025年区政府履行
/// 教育职责…); else the year before its date (a report or a bulletin looks back on the year
/// before it is issued); else, for a document without a date (an excerpt, a page without its
/// metadata), the year its 截至 phrases name most often (截至2023年底), its school year
/// (2023—2024学年), or the year it states most often (at least three times, and more often
/// than any other). `None` when none of these holds.
pub fn document_year(title: &str, date: Option<&str>, text: &str) -> Option<(i32, YearFrom)> {
    if let Some(c) = YEAR.captures(title) {
        if let Ok(y) = c[1].parse() {
            return Some((y, YearFrom::Title { year: y }));
        }
    }
    if let Some(date) = date {
        if let Some(y) = date.get(..4).and_then(|y| y.parse::<i32>().ok()) {
            return Some((
                y - 1,
                YearFrom::Dated {
                    date: date.to_string(),
                },
            ));
        }
    }
    let most = |pattern: &Regex, least: usize| most_named(pattern, text, least);
    if let Some(y) = most(&AS_OF, 1) {
        return Some((y, YearFrom::AsOf { year: y }));
    }
    if let Some(y) = most(&SCHOOL_YEAR, 1) {
        return Some((y, YearFrom::SchoolYear { year: y }));
    }
    most(&YEAR, 3).map(|y| (y, YearFrom::MostStated { year: y }))
}

/// The year `pattern` names most often in `text`: at least `least` times, and more often than
/// any other (of equals, none: a tie says nothing).
fn most_named(pattern: &Regex, text: &str, least: usize) -> Option<i32> {
    let mut counts: std::collections::BTreeMap<i32, usize> = Default::default();
    for c in pattern.captures_iter(text) {
        if let Ok(y) = c[1].parse() {
            *counts.entry(y).or_default() += 1;
        }
    }
    let mut ranked: Vec<(i32, usize)> = counts.into_iter().collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    match ranked.as_slice() {
        [(y, n), rest @ ..] if *n >= least && rest.first().is_none_or(|r| r.1 < *n) => Some(*y),
        _ => None,
    }
}

impl Metadata {
    /// The year a figure that states none stands in, and why. Mostly the year reviewed; but a
    /// rectification report (整改落实情况) names the evaluated year in its title and reports
    /// the work done since, as of the date its 截至 phrases give (关于2022年度…整改落实情况的
    /// 报告 … 截至2023年5月底): when those name a later year, its figures stand in that year.
    pub fn figures_year(&self, text: &str) -> (Option<i32>, Option<YearFrom>) {
        let reviewed = (self.review_year, self.review_year_from.clone());
        if self.kind != Some(SourceKind::RectificationReport) {
            return reviewed;
        }
        match (most_named(&AS_OF, text, 1), self.review_year) {
            (Some(as_of), Some(y)) if as_of > y => {
                (Some(as_of), Some(YearFrom::AsOf { year: as_of }))
            }
            _ => reviewed,
        }
    }

    /// The span a report reviews when its title says "2021年以来": from that year to the year
    /// of its date (`2021..2022`); `None` otherwise.
    pub fn review_span(&self) -> Option<String> {
        let title = self.title.as_deref()?;
        let c = YEAR.captures(title)?;
        let whole = c.get(0)?;
        if !title[whole.end()..].starts_with("以来") {
            return None;
        }
        let start: i32 = c[1].parse().ok()?;
        let end: i32 = self.date.as_deref()?.get(..4)?.parse().ok()?;
        (end > start).then(|| format!("{start}..{end}"))
    }

    /// A source code in the seed convention: `<district>-<year>-<kind>`, e.g.
    /// `rongchang-2022-self-evaluation`.
    pub fn default_code(&self, district: &str, knowledge: &Knowledge) -> String {
        let name = knowledge
            .districts
            .iter()
            .find(|(c, _, _)| c == district)
            .map(|(_, _, en)| {
                en.split_whitespace()
                    .next()
                    .unwrap_or("district")
                    .to_lowercase()
            })
            .unwrap_or_else(|| district.to_string());
        let year = self.review_year.map(|y| y.to_string()).unwrap_or_default();
        let kind = self
            .kind
            .map(|k| k.as_str().replace('_', "-"))
            .unwrap_or_else(|| "report".into());
        [name, year, kind]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect()
    }

    /// The source record of an extraction. The English title is not in the text: it is composed
    /// from the district's English name, the kind and the year, for the reviewer to refine.
    /// An issuer that is not printed is assumed to be the district government, and the note
    /// says so.
    pub fn source_input(
        &self,
        code: String,
        district: String,
        knowledge: &Knowledge,
        text: &str,
    ) -> SourceInput {
        let (zh, en) = knowledge
            .districts
            .iter()
            .find(|(c, _, _)| *c == district)
            .map(|(_, zh, en)| (zh.clone(), en.clone()))
            .unwrap_or_default();
        let what = match self.kind {
            Some(SourceKind::SelfEvaluation) => {
                "self-evaluation of the performance of education duties"
            }
            Some(SourceKind::RectificationPlan) => {
                "rectification plan for the education-duty evaluation"
            }
            Some(SourceKind::RectificationReport) => {
                "rectification of the education-duty evaluation findings"
            }
            Some(SourceKind::Statistics) => "education statistics",
            None => "education report",
        };
        let title_en = match self.review_year {
            Some(y) => format!("{en}: {what} ({y})"),
            None => format!("{en}: {what}"),
        };
        SourceInput {
            code,
            title_zh: self.title.clone().unwrap_or_default(),
            title_en,
            issuer: self
                .issuer
                .clone()
                .unwrap_or_else(|| format!("重庆市{zh}人民政府")),
            district,
            doc_number: self.doc_number.clone(),
            date: self.date.clone(),
            kind: self
                .kind
                .map(|k| k.as_str().to_string())
                .unwrap_or_default(),
            review_year: self.review_year,
            note: self.issuer.is_none().then(|| {
                "extracted: no issuer is printed; the district government is assumed".to_string()
            }),
            text: text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_year_comes_from_the_title_then_the_date_then_the_text() {
        let (y, from) =
            document_year("某区2023年教育事业统计公报", Some("2024-05-01"), "").expect("title");
        assert_eq!(y, 2023);
        assert_eq!(from, YearFrom::Title { year: 2023 });
        let (y, from) =
            document_year("某区教育工作情况", Some("2024-05-01"), "截至2022年底").expect("date");
        assert_eq!(y, 2023, "the date wins over the text: {from:?}");
        assert!(from.en().contains("2024-05-01"), "{from:?}");
    }

    #[test]
    fn an_undated_text_gives_its_year_by_as_of_phrase_school_year_or_most_stated_year() {
        let as_of =
            "截至2023年底，全区共有学校50所。截至2023年12月，新建校舍3所。2021年以来投入增加。";
        assert_eq!(document_year("", None, as_of).map(|(y, _)| y), Some(2023));
        let school = "2022—2023学年全区在校学生12000人。";
        assert_eq!(document_year("", None, school).map(|(y, _)| y), Some(2022));
        let stated = "2021年投入1亿元，2021年新建学校2所，2021年招聘教师30人，2020年完成规划。";
        let (y, from) = document_year("", None, stated).expect("most stated");
        assert_eq!(y, 2021);
        assert!(from.en().contains("more often"), "{from:?}");
    }

    #[test]
    fn a_page_box_gives_what_the_body_does_not_print() {
        let k = Knowledge::default();
        let body = "全区共有学校50所。";
        assert_eq!(read(body, &k).review_year, None);
        let printed = DocMeta {
            title: Some("某区教育工作情况".into()),
            doc_number: Some("某府发〔2024〕3号".into()),
            issuer: Some("某区人民政府".into()),
            date: Some("2024-03-05".into()),
            index_number: None,
        };
        let m = read_with(body, &k, &printed);
        assert_eq!(m.date.as_deref(), Some("2024-03-05"));
        assert_eq!(m.doc_number.as_deref(), Some("某府发〔2024〕3号"));
        assert_eq!(m.issuer.as_deref(), Some("某区人民政府"));
        assert_eq!(m.review_year, Some(2023), "{:?}", m.review_year_from);
    }

    #[test]
    fn a_rectification_reports_figures_stand_as_of_its_jiezhi_date() {
        let k = Knowledge::default();
        let body = "某区人民政府关于2022年度履行教育职责评价反馈问题整改落实情况的报告\n\n\
                    截至2023年5月底，11个问题中已完成整改9个。新建学校3所。\n\n\
                    某区人民政府\n2023年6月20日\n";
        let m = read(body, &k);
        assert_eq!(m.kind, Some(SourceKind::RectificationReport));
        assert_eq!(
            m.review_year,
            Some(2022),
            "the title names the evaluated year"
        );
        let (year, from) = m.figures_year(body);
        assert_eq!(year, Some(2023));
        assert_eq!(from, Some(YearFrom::AsOf { year: 2023 }));
        // Without a later 截至 year, or in another kind of report, the year reviewed.
        let plain = body.replace("截至2023年5月底，", "");
        assert_eq!(read(&plain, &k).figures_year(&plain).0, Some(2022));
        let evaluation = body.replace("整改落实情况的报告", "自查自评报告");
        let m = read(&evaluation, &k);
        assert_ne!(m.kind, Some(SourceKind::RectificationReport));
        assert_eq!(m.figures_year(&evaluation).0, m.review_year);
    }

    #[test]
    fn no_year_is_guessed_from_a_tie_or_a_year_stated_once_or_twice() {
        assert_eq!(
            document_year("", None, "2021年投入1亿元，2022年投入2亿元。"),
            None
        );
        assert_eq!(
            document_year("", None, "2021年投入1亿元，2021年新建学校2所。"),
            None
        );
        assert_eq!(document_year("", None, "全区共有学校50所。"), None);
    }
}
