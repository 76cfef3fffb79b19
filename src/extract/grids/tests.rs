//! Each rule of the grid reader on small made-up tables (SYNTHETIC: every name, figure and
//! district here is invented) read through the HTML reader, with a hand-made catalogue.

use super::*;
use crate::document::{self, ReadLimits};
use crate::domain::Category;
use crate::extract::knowledge::{after_of, lead_of, Example, IndicatorCue, MemberCue};
use crate::extract::{extract_document, Extraction, Options};

fn indicator(code: &str, name: &str, unit: CanonicalUnit, dims: &[&str]) -> IndicatorCue {
    IndicatorCue {
        code: code.into(),
        name_zh: name.into(),
        aliases: Vec::new(),
        unit,
        category: Category::Schools,
        dimensions: dims.iter().map(|d| d.to_string()).collect(),
        min: Some(0.0),
        max: None,
    }
}

fn member(dimension: &str, member: &str, name: &str) -> MemberCue {
    MemberCue {
        dimension: dimension.into(),
        dimension_zh: String::new(),
        member: member.into(),
        words: vec![name.into()],
    }
}

/// A SYNTHETIC catalogue shaped like the national statistics: counts by stage, school type
/// and ownership.
fn knowledge() -> Knowledge {
    use CanonicalUnit::*;
    let all = ["stage", "ownership", "school_type"];
    let mut students = indicator("students", "在校（在园）学生数", Person, &all);
    students.aliases = vec!["在校生数".into(), "在校学生数".into()];
    let indicators = vec![
        indicator("schools", "学校数", Count, &all),
        indicator("classes", "班级数", Count, &["stage", "school_type"]),
        indicator("entrants", "招生数", Person, &all),
        students,
        indicator("graduates", "毕业生数", Person, &all),
        indicator("staff", "教职工数", Person, &all),
        indicator("teachers", "专任教师数", Person, &all),
        // With a published example (占地…平方米) it beats 学校占地面积 on the words alone:
        // only the table's school types say which of the two a 占地面积 column is.
        indicator("site", "项目占地面积", SquareMeter, &["project"]),
        indicator("land", "学校占地面积", SquareMeter, &all),
        indicator("floor", "校舍建筑面积", SquareMeter, &all),
        indicator("books", "图书册数", Count, &all),
        indicator("assets", "固定资产总值", Yuan, &all),
        indicator("gross_rate", "学前三年毛入园率", Percent, &[]),
    ];
    let units = [
        ("所", Count, 1.0),
        ("个", Count, 1.0),
        ("册", Count, 1.0),
        ("人", Person, 1.0),
        ("万人", Person, 1e4),
        ("平方米", SquareMeter, 1.0),
        ("元", Yuan, 1.0),
        ("万元", Yuan, 1e4),
        ("%", Percent, 1.0),
        // A unit as well: 2030年 in a header is still a year.
        ("年", Year, 1.0),
    ];
    let members = vec![
        member("stage", "preschool", "学前教育"),
        member("stage", "primary", "小学"),
        member("stage", "junior_secondary", "初中"),
        member("stage", "compulsory", "义务教育"),
        member("school_type", "kindergarten", "幼儿园（学校类型）"),
        member("school_type", "primary_school", "小学（学校类型）"),
        member("school_type", "junior_secondary_school", "初级中学"),
        member("school_type", "nine_year_school", "九年一贯制学校"),
        member("ownership", "public", "公办"),
        member("ownership", "private", "民办"),
    ];
    Knowledge {
        indicators,
        units: units
            .iter()
            .map(|(u, c, f)| (u.to_string(), (*c, *f)))
            .collect(),
        members,
        districts: vec![("500999".into(), "合成区".into(), "Synthetic".into())],
        // A published figure of a project's site: 占地 names it in prose.
        examples: vec![Example {
            indicator: "site".into(),
            lead: lead_of("新校区占地108530平方米", "108530"),
            after: after_of("新校区占地108530平方米", "108530", "平方米"),
            head: None,
            unit: "平方米".into(),
            kind: ObservationKind::Actual,
            breakdown: Breakdown::default(),
            value: 108530.0,
        }],
        ..Knowledge::default()
    }
    .finish()
}

fn extract_html(body: &str, k: &Knowledge) -> (Extraction, document::Document) {
    let html =
        format!("<html><head><title>合成区教育统计</title></head><body>{body}</body></html>");
    let doc = document::read(html.as_bytes(), &ReadLimits::default()).expect("html");
    let opts = Options {
        district: Some("500999".into()),
        ..Options::default()
    };
    (extract_document(&doc, k, &opts).expect("extraction"), doc)
}

/// (value, indicator, breakdown, period, kind) of every proposal, in text order.
fn rows(ex: &Extraction) -> Vec<(String, String, String, String, String)> {
    ex.observations
        .iter()
        .map(|p| {
            (
                p.row.value.clone(),
                p.row.indicator.clone(),
                p.row.breakdown.clone().unwrap_or_default(),
                p.row.period.clone(),
                p.row.kind.as_str().to_string(),
            )
        })
        .collect()
}

fn find<'a>(
    ex: &'a [(String, String, String, String, String)],
    value: &str,
) -> &'a (String, String, String, String, String) {
    ex.iter()
        .find(|r| r.0 == value)
        .unwrap_or_else(|| panic!("no proposal of {value}: {ex:?}"))
}

/// A SYNTHETIC statistics page: school types down the rows, quantities across under a merged
/// two-row header, a 合计 row, the year in the caption.
const SCHOOL_TYPES: &str = r#"
<table>
<caption>表1 合成区2031年教育事业基本情况（SYNTHETIC）</caption>
<tr><th rowspan="2">学校类型</th><th rowspan="2">学校数（所）</th><th rowspan="2">班级数（个）</th>
<th colspan="2">学生数（人）</th><th colspan="2">教职工（人）</th><th rowspan="2">占地面积（平方米）</th></tr>
<tr><th>招生数</th><th>在校生数</th><th>合计</th><th>其中：专任教师</th></tr>
<tr><td>合计</td><td>61</td><td>1,503</td><td>11,021</td><td>60,417</td><td>5,311</td><td>4,720</td><td>2,190,334</td></tr>
<tr><td>幼儿园</td><td>32</td><td>402</td><td>3,907</td><td>11,233</td><td>1,402</td><td>—</td><td>301,201</td></tr>
<tr><td>小学</td><td>19</td><td>702</td><td>4,511</td><td>28,806</td><td>2,207</td><td>2,016</td><td>991,410</td></tr>
<tr><td>初级中学</td><td>7</td><td>302</td><td>2,104</td><td>14,877</td><td>1,213</td><td>1,109</td><td>607,512</td></tr>
<tr><td>九年一贯制学校</td><td>3</td><td>97</td><td>499</td><td>5,501</td><td>489</td><td>451</td><td>290,211</td></tr>
</table>"#;

#[test]
fn a_statistics_table_files_each_cell_under_its_headers() {
    let k = knowledge();
    let (ex, _) = extract_html(SCHOOL_TYPES, &k);
    let got = rows(&ex);
    let expect = [
        ("61", "schools", ""),
        ("1,503", "classes", ""),
        ("11,021", "entrants", ""),
        ("60,417", "students", ""),
        ("5,311", "staff", ""),
        ("4,720", "teachers", ""),
        ("2,190,334", "land", ""),
        ("32", "schools", "school_type=kindergarten"),
        ("3,907", "entrants", "school_type=kindergarten"),
        ("28,806", "students", "school_type=primary_school"),
        ("2,016", "teachers", "school_type=primary_school"),
        ("1,213", "staff", "school_type=junior_secondary_school"),
        ("607,512", "land", "school_type=junior_secondary_school"),
        ("97", "classes", "school_type=nine_year_school"),
    ];
    for (value, indicator, breakdown) in expect {
        let r = find(&got, value);
        assert_eq!(
            (r.1.as_str(), r.2.as_str()),
            (indicator, breakdown),
            "{r:?}"
        );
        assert_eq!(r.3, "2031", "the caption's year: {r:?}");
    }
    // 34 number cells, one proposal each: the empty cell (—) is none, and the rendered rows
    // are not read again as text.
    assert_eq!(ex.observations.len() + ex.unmatched.len(), 34, "{got:?}");
}

#[test]
fn a_cells_quote_names_its_headers_and_its_offsets_point_at_the_cell() {
    let k = knowledge();
    let (ex, doc) = extract_html(SCHOOL_TYPES, &k);
    let p = ex
        .observations
        .iter()
        .find(|p| p.row.value == "14,877")
        .expect("a proposal");
    assert_eq!(p.row.quote, "初级中学 · 学生数（人） · 在校生数：14,877");
    let chars: Vec<char> = doc.text.chars().collect();
    let at: String = chars[p.quote_start..p.quote_end].iter().collect();
    assert_eq!(at, "14,877");
    let cell = p.cell.as_ref().expect("cell headers");
    assert_eq!(cell.row_headers, ["初级中学"]);
    assert_eq!(cell.column_headers, ["学生数（人）", "在校生数"]);
    assert!(p.why.contains("table cell"), "{}", p.why);
}

#[test]
fn the_transposed_table_reads_quantities_down_the_rows() {
    // SYNTHETIC: indicators down the rows, school types across, the unit in each row label.
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<p>合成区2032年教育事业统计（SYNTHETIC）</p>
<table>
<tr><th>指标</th><th>合计</th><th>小学</th><th>初级中学</th><th>九年一贯制学校</th></tr>
<tr><td>学校数（所）</td><td>29</td><td>19</td><td>7</td><td>3</td></tr>
<tr><td>在校生数（人）</td><td>49,184</td><td>28,806</td><td>14,877</td><td>5,501</td></tr>
<tr><td>专任教师（人）</td><td>3,576</td><td>2,016</td><td>1,109</td><td>451</td></tr>
<tr><td>校舍建筑面积（平方米）</td><td>803,122</td><td>421,007</td><td>270,114</td><td>112,001</td></tr>
</table>"#,
        &k,
    );
    let got = rows(&ex);
    assert_eq!(got.len(), 16, "{got:?}");
    for (value, indicator, breakdown) in [
        ("29", "schools", ""),
        ("7", "schools", "school_type=junior_secondary_school"),
        ("28,806", "students", "school_type=primary_school"),
        ("451", "teachers", "school_type=nine_year_school"),
        ("421,007", "floor", "school_type=primary_school"),
    ] {
        let r = find(&got, value);
        assert_eq!(
            (r.1.as_str(), r.2.as_str(), r.3.as_str()),
            (indicator, breakdown, "2032"),
            "{r:?}"
        );
    }
}

#[test]
fn a_row_naming_only_members_is_a_part_of_the_row_above() {
    // SYNTHETIC: 其中：小学 and 初中 name no quantity: they are parts of 在校生数（万人).
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<table>
<tr><th>分类</th><th>指标</th><th>2035年目标</th><th>2031年完成</th></tr>
<tr><td rowspan="3">义务教育</td><td>在校生数（万人）</td><td>8.1</td><td>7.7</td></tr>
<tr><td>其中：小学</td><td>5.2</td><td>4.9</td></tr>
<tr><td>初中</td><td>2.9</td><td>2.8</td></tr>
<tr><td>学前教育</td><td>学前三年毛入园率（%）</td><td>&gt;95</td><td>91.2</td></tr>
</table>"#,
        &k,
    );
    let got = rows(&ex);
    let expect = [
        ("8.1", "students", "stage=compulsory", "2035", "target"),
        ("7.7", "students", "stage=compulsory", "2031", "actual"),
        ("5.2", "students", "stage=primary", "2035", "target"),
        ("4.9", "students", "stage=primary", "2031", "actual"),
        (
            "2.8",
            "students",
            "stage=junior_secondary",
            "2031",
            "actual",
        ),
        (">95", "gross_rate", "", "2035", "target"),
        ("91.2", "gross_rate", "", "2031", "actual"),
    ];
    for (value, indicator, breakdown, period, kind) in expect {
        let r = find(&got, value);
        assert_eq!(
            (r.1.as_str(), r.2.as_str(), r.3.as_str(), r.4.as_str()),
            (indicator, breakdown, period, kind),
            "{r:?}"
        );
    }
    let part = ex
        .observations
        .iter()
        .find(|p| p.row.value == "4.9")
        .expect("a part");
    assert_eq!(part.row.unit, "万人");
}

#[test]
fn a_word_naming_two_dimensions_takes_the_one_its_labels_name_most() {
    // SYNTHETIC: 小学 is a stage and a school type. Beside 初级中学 and 九年一贯制学校 it is a
    // school type; beside 学前教育 and 初中 a stage.
    let k = knowledge();
    let by_type = r#"<table><tr><th>学校类型</th><th>学校数（所）</th></tr>
<tr><td>小学</td><td>19</td></tr><tr><td>初级中学</td><td>7</td></tr>
<tr><td>九年一贯制学校</td><td>3</td></tr></table>"#;
    let by_stage = r#"<table><tr><th>学段</th><th>学校数（所）</th></tr>
<tr><td>学前教育</td><td>32</td></tr><tr><td>小学</td><td>19</td></tr>
<tr><td>初中</td><td>9</td></tr></table>"#;
    let (ex, _) = extract_html(by_type, &k);
    assert_eq!(find(&rows(&ex), "19").2, "school_type=primary_school");
    let (ex, _) = extract_html(by_stage, &k);
    assert_eq!(find(&rows(&ex), "19").2, "stage=primary");
}

#[test]
fn empty_cells_and_text_are_not_figures_and_a_remark_is_left_to_the_text() {
    // SYNTHETIC: a dash, a slash and a blank are nothing; 暂无 is not a number; the remark
    // column holds a figure of its own, found in the text as before.
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<table><tr><th>学校类型</th><th>学校数（所）</th><th>在校生数（人）</th><th>备注</th></tr>
<tr><td>小学</td><td>—</td><td>/</td><td></td></tr>
<tr><td>初级中学</td><td>暂无</td><td>1,204</td><td>较上年新增学校2所，在校生数增加</td></tr>
</table>"#,
        &k,
    );
    let cells: Vec<&str> = ex
        .observations
        .iter()
        .filter(|p| p.cell.is_some())
        .map(|p| p.row.value.as_str())
        .chain(
            ex.unmatched
                .iter()
                .filter(|u| u.cell.is_some())
                .map(|u| u.value.as_str()),
        )
        .collect();
    assert_eq!(cells, ["1,204"]);
    let text_figures: Vec<&str> = ex
        .observations
        .iter()
        .filter(|p| p.cell.is_none())
        .map(|p| p.row.value.as_str())
        .chain(
            ex.unmatched
                .iter()
                .filter(|u| u.cell.is_none())
                .map(|u| u.value.as_str()),
        )
        .collect();
    assert_eq!(text_figures, ["2"], "the remark's figure");
}

#[test]
fn the_period_comes_from_a_year_header_the_title_or_the_document() {
    let k = knowledge();
    // SYNTHETIC: years across the columns.
    let (ex, _) = extract_html(
        r#"<table><tr><th>指标</th><th>2030年</th><th>2031年</th></tr>
<tr><td>学校数（所）</td><td>60</td><td>61</td></tr></table>"#,
        &k,
    );
    let periods: Vec<(String, String)> = rows(&ex).into_iter().map(|r| (r.0, r.3)).collect();
    assert_eq!(
        periods,
        [("60".into(), "2030".into()), ("61".into(), "2031".into())]
    );
    // Bare years in the first header row are years, not figures.
    let (ex, _) = extract_html(
        r#"<table><tr><th>指标</th><th>2030</th><th>2031</th></tr>
<tr><td>学校数（所）</td><td>60</td><td>61</td></tr></table>"#,
        &k,
    );
    assert_eq!(find(&rows(&ex), "61").3, "2031");
    // No year in the table: the document's, said in `why`, with less confidence.
    let (ex, _) = extract_html(
        r#"<h1>合成区2033年教育工作总结（SYNTHETIC）</h1>
<p>全区教育事业稳步发展，各类学校办学条件持续改善，教师队伍结构不断优化，下表列出各类学校的基本情况，供参阅。</p>
<table><tr><th>学校类型</th><th>学校数（所）</th></tr><tr><td>小学</td><td>19</td></tr></table>"#,
        &k,
    );
    let p = &ex.observations[0];
    assert_eq!(p.row.period, "2033");
    assert!(p.why.contains("document's year"), "{}", p.why);
    assert!(p.confidence <= 0.8, "{}", p.confidence);
}

#[test]
fn a_bare_cell_takes_the_unit_line_or_the_indicators_unit() {
    let k = knowledge();
    // SYNTHETIC: units in a 单位 line before the table, and none at all.
    let (ex, _) = extract_html(
        r#"<p>单位：万元</p>
<table><tr><th>学校类型</th><th>固定资产总值</th></tr><tr><td>小学</td><td>12,345</td></tr></table>"#,
        &k,
    );
    let p = &ex.observations[0];
    assert_eq!(
        (p.row.indicator.as_str(), p.row.unit.as_str()),
        ("assets", "万元")
    );
    let (ex, _) = extract_html(
        r#"<table><tr><th>学校类型</th><th>专任教师数</th><th>学校占地面积</th></tr>
<tr><td>小学</td><td>2,016</td><td>991,410</td></tr></table>"#,
        &k,
    );
    let got: Vec<(&str, &str)> = ex
        .observations
        .iter()
        .map(|p| (p.row.indicator.as_str(), p.row.unit.as_str()))
        .collect();
    assert_eq!(got, [("teachers", "人"), ("land", "平方米")]);
    assert!(ex.observations[0].why.contains("no unit printed"));
}

#[test]
fn a_member_the_catalogue_lacks_is_flagged() {
    // SYNTHETIC: 女 is no breakdown member of the catalogue: the figure is not silently the
    // total.
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<table><tr><th>学校类型</th><th>在校生数（人）</th><th>其中：女</th></tr>
<tr><td>小学</td><td>28,806</td><td>13,901</td></tr></table>"#,
        &k,
    );
    let p = ex
        .observations
        .iter()
        .find(|p| p.row.value == "13,901")
        .expect("a proposal");
    assert_eq!(p.row.indicator, "students");
    assert!(
        p.why.contains("其中：女 names no breakdown member"),
        "{}",
        p.why
    );
    assert!(p.confidence <= 0.5);
}

#[test]
fn a_table_of_prose_is_left_to_the_text_finders() {
    // SYNTHETIC: a rectification table: its cells are sentences.
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<table><tr><th>序号</th><th>问题</th><th>整改措施</th></tr>
<tr><td>1</td><td>学位供给不足</td><td>新建学校3所，新增在校生数1200人</td></tr></table>"#,
        &k,
    );
    assert!(ex.observations.iter().all(|p| p.cell.is_none()));
    assert!(ex.observations.iter().any(|p| p.row.value == "3"));
}

#[test]
fn plain_text_is_read_as_before() {
    let k = knowledge();
    let text = "合成区2031年共有学校61所。\n";
    let doc = crate::document::Document::from_text(text.to_string());
    let opts = Options {
        district: Some("500999".into()),
        ..Options::default()
    };
    let a = extract_document(&doc, &k, &opts).expect("extraction");
    let b = crate::extract::extract(text, &k, &opts).expect("extraction");
    assert_eq!(a, b);
    assert!(a.observations.iter().all(|p| p.cell.is_none()));
}

#[test]
fn labels_say_what_they_name() {
    let k = knowledge();
    let m = Members::new(&k);
    assert!(
        matches!(label("2025年主要目标", &k, &m), Label::Period(c) if c.period == "2025" && c.kind == ObservationKind::Target)
    );
    assert!(
        matches!(label("2023年1—6月完成", &k, &m), Label::Period(c) if c.period == "2023-01..2023-06")
    );
    assert_eq!(label("合计", &k, &m), Label::Total);
    assert!(matches!(label("其中：普通小学", &k, &m), Label::Members(_)));
    assert!(
        matches!(label("在校生数（人）", &k, &m), Label::Quantity { unit: Some(u), .. } if u == "人")
    );
    assert!(
        matches!(label("小学在校生数", &k, &m), Label::Quantity { members, .. } if !members.is_empty())
    );
    assert_eq!(label("其他", &k, &m), Label::Unknown);
    assert_eq!(content("—", &k), Content::Empty);
    assert_eq!(content("暂无", &k), Content::Text);
    assert_eq!(
        content("95.5%", &k),
        Content::Number {
            value: "95.5".into(),
            unit: Some("%".into())
        }
    );
    assert_eq!(
        content("1,234", &k),
        Content::Number {
            value: "1,234".into(),
            unit: None
        }
    );
}

#[test]
fn a_table_of_schools_by_name_reads_its_quantities_across_and_flags_the_names() {
    // SYNTHETIC: one row per school, named; the quantities with their units across. The
    // figures are one school's, which no breakdown of the catalogue says: flagged, not filed
    // silently as the district's total.
    let k = knowledge();
    let (ex, _) = extract_html(
        r#"<table><tr><th>学校名称</th><th>在校生数（人）</th><th>专任教师数（人）</th></tr>
<tr><td>合成第一小学</td><td>1,204</td><td>77</td></tr>
<tr><td>合成第二中学</td><td>2,311</td><td>151</td></tr></table>"#,
        &k,
    );
    let got = rows(&ex);
    assert_eq!(find(&got, "1,204").1, "students");
    assert_eq!(find(&got, "151").1, "teachers");
    let p = &ex.observations[0];
    assert!(
        p.why.contains("合成第一小学 names no breakdown member"),
        "{}",
        p.why
    );
    assert!(p.confidence <= 0.5, "{}", p.confidence);
}

#[test]
fn a_breakdown_only_one_indicator_has_names_that_indicator() {
    // Classes by class size: the column group names the breakdown (按班额分), not the
    // quantity, and its words are those of 大班额班数, which has no class-size breakdown.
    let mut k = knowledge();
    for ind in k.indicators.iter_mut().filter(|i| i.code == "classes") {
        ind.dimensions.push("class_size".into());
    }
    k.indicators.push(indicator(
        "large_classes",
        "大班额班数",
        CanonicalUnit::Count,
        &["stage"],
    ));
    k.members.extend([
        member("class_size", "up_to_45", "45人及以下"),
        member("class_size", "large_56_65", "56-65人"),
    ]);
    let k = k.finish();
    let table = r#"
<table>
<caption>表2 合成区2031年班额情况（SYNTHETIC）</caption>
<tr><th rowspan="2">学段</th><th colspan="2">按班额分（个）</th></tr>
<tr><th>45人及以下</th><th>56-65人</th></tr>
<tr><td>小学</td><td>120</td><td>7</td></tr>
<tr><td>初中</td><td>80</td><td>3</td></tr>
</table>"#;
    let (ex, _) = extract_html(table, &k);
    let got = rows(&ex);
    for (value, band) in [
        ("120", "up_to_45"),
        ("7", "large_56_65"),
        ("3", "large_56_65"),
    ] {
        let row = find(&got, value);
        assert_eq!(row.1, "classes", "{row:?}");
        assert!(row.2.contains(&format!("class_size={band}")), "{row:?}");
    }
}
