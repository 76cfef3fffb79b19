//! Saved web pages (html5ever through scraper): the article found among the navigation, side
//! menus and footer, the information-disclosure metadata box (索引号, 发布机构, 成文日期,
//! 发文字号 / 文号, 标题) read into [`DocMeta`], data tables read as grids with rowspan and
//! colspan. A table that holds another table is page layout, read as blocks.

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};

use super::layout::{clean, Builder, Grid};
use super::{iso_date, DocMeta, Document, Format};

/// Elements whose content is never text of the document.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "nav", "button", "select", "option",
    "iframe", "svg", "object", "input", "textarea", "map",
];

/// Elements that end a line.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "tr",
    "td",
    "th",
    "dd",
    "dt",
    "dl",
    "center",
    "main",
    "aside",
    "figure",
    "figcaption",
    "address",
    "hr",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "form",
];

/// Where content-management systems of Chinese government sites put the article (TRS WCM's
/// `TRS_Editor` and `#zoom` among them), tried before the text-density guess.
const ARTICLE_SELECTORS: &[&str] = &[
    "#zoom",
    ".TRS_Editor",
    ".trs_editor_view",
    "#UCAP-CONTENT",
    ".article-content",
    ".article_content",
    ".zw-con",
    ".content-text",
    "#content",
    "article",
];

/// The labels of the metadata box.
#[derive(Clone, Copy)]
enum Field {
    Index,
    Issuer,
    Date,
    DocNumber,
    Title,
}

const LABELS: &[(&str, Field)] = &[
    ("索引号", Field::Index),
    ("发布机构", Field::Issuer),
    ("发文机关", Field::Issuer),
    ("发文单位", Field::Issuer),
    ("成文日期", Field::Date),
    ("发文字号", Field::DocNumber),
    ("文号", Field::DocNumber),
    ("标题", Field::Title),
    ("名称", Field::Title),
];

fn element_name(node: NodeRef<'_, Node>) -> Option<&str> {
    node.value().as_element().map(|e| e.name())
}

/// The text under `node` with block boundaries as line breaks, skipping what is not text.
fn text_of(node: NodeRef<'_, Node>, out: &mut String) {
    match node.value() {
        Node::Text(t) => out.push_str(t),
        Node::Element(e) => {
            let name = e.name();
            if SKIP.contains(&name) {
                return;
            }
            if name == "br" {
                out.push('\n');
                return;
            }
            let block = BLOCK.contains(&name);
            if block {
                out.push('\n');
            }
            for child in node.children() {
                text_of(child, out);
            }
            if block {
                out.push('\n');
            }
        }
        _ => {
            for child in node.children() {
                text_of(child, out);
            }
        }
    }
}

fn text(node: NodeRef<'_, Node>) -> String {
    let mut s = String::new();
    text_of(node, &mut s);
    s
}

/// Text without any white space (labels are spaced out: 索　引　号).
fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn meta_box(doc: &Html) -> DocMeta {
    let mut meta = DocMeta::default();
    let set = |meta: &mut DocMeta, field: Field, value: &str| {
        let value = value.trim_matches(|c: char| c.is_whitespace() || c == '：' || c == ':');
        if value.is_empty() {
            return;
        }
        let slot = match field {
            Field::Index => &mut meta.index_number,
            Field::Issuer => &mut meta.issuer,
            Field::Date => &mut meta.date,
            Field::DocNumber => &mut meta.doc_number,
            Field::Title => &mut meta.title,
        };
        if slot.is_some() {
            return;
        }
        *slot = match field {
            Field::Date => iso_date(value),
            Field::Title => Some(clean(value)),
            _ => Some(compact(value)),
        };
    };
    for node in doc.tree.root().descendants() {
        let Some(name) = element_name(node) else {
            continue;
        };
        if SKIP.contains(&name) || matches!(name, "html" | "body" | "table" | "tbody" | "tr") {
            continue;
        }
        let own = compact(&text(node));
        if own.is_empty() || own.chars().count() > 150 {
            continue;
        }
        for &(label, field) in LABELS {
            let Some(rest) = own.strip_prefix(label) else {
                continue;
            };
            if rest.is_empty() || rest == "：" || rest == ":" {
                // The label alone: the value is the next element (the next cell).
                let next = node
                    .next_siblings()
                    .find(|n| n.value().is_element())
                    .map(|n| clean(&text(n)))
                    .unwrap_or_default();
                if !LABELS.iter().any(|(l, _)| compact(&next).starts_with(l)) {
                    set(&mut meta, field, &next);
                }
            } else if let Some(value) = rest.strip_prefix('：').or_else(|| rest.strip_prefix(':'))
            {
                // Label and value in one element; another label may follow in it.
                let end = LABELS
                    .iter()
                    .filter_map(|(l, _)| value.find(l))
                    .min()
                    .unwrap_or(value.len());
                // Keep the title's own spacing: read it from the element's cleaned text.
                if let Field::Title = field {
                    let full = clean(&text(node));
                    let v = full
                        .split_once(['：', ':'])
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default();
                    if end == value.len() {
                        set(&mut meta, field, &v);
                    }
                } else {
                    set(&mut meta, field, &value[..end]);
                }
            }
            break;
        }
    }
    meta
}

/// The element holding the article: a known content container, or the parent of most
/// paragraph text.
fn article(doc: &Html) -> NodeRef<'_, Node> {
    for s in ARTICLE_SELECTORS {
        let Ok(sel) = Selector::parse(s) else {
            continue;
        };
        if let Some(el) = doc
            .select(&sel)
            .find(|el| compact(&text(**el)).chars().count() > 100)
        {
            return *el;
        }
    }
    let mut scores: Vec<(ego_tree::NodeId, usize)> = Vec::new();
    for node in doc.tree.root().descendants() {
        if !matches!(element_name(node), Some("p" | "table" | "h1" | "h2" | "h3")) {
            continue;
        }
        let Some(parent) = node.parent() else {
            continue;
        };
        let n = compact(&text(node)).chars().count();
        match scores.iter_mut().find(|(id, _)| *id == parent.id()) {
            Some((_, s)) => *s += n,
            None => scores.push((parent.id(), n)),
        }
    }
    scores
        .into_iter()
        .max_by_key(|&(_, s)| s)
        .and_then(|(id, _)| doc.tree.get(id))
        .or_else(|| {
            let body = Selector::parse("body").ok()?;
            doc.select(&body).next().map(|e| *e)
        })
        .unwrap_or_else(|| doc.tree.root())
}

/// The walk of the article: paragraphs and tables into the builder.
struct Walker {
    b: Builder,
    line: String,
}

impl Walker {
    fn flush(&mut self) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.b.paragraph(&line);
        }
    }

    fn walk(&mut self, node: NodeRef<'_, Node>) {
        match node.value() {
            Node::Text(t) => self.line.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if SKIP.contains(&name) {
                    return;
                }
                if name == "br" {
                    self.flush();
                    return;
                }
                if name == "table"
                    && !node
                        .descendants()
                        .skip(1)
                        .any(|n| element_name(n) == Some("table"))
                {
                    self.flush();
                    self.table(node);
                    return;
                }
                let block = BLOCK.contains(&name);
                if block {
                    self.flush();
                }
                for child in node.children() {
                    self.walk(child);
                }
                if block {
                    self.flush();
                }
            }
            _ => {
                for child in node.children() {
                    self.walk(child);
                }
            }
        }
    }

    fn table(&mut self, table: NodeRef<'_, Node>) {
        let mut grid = Grid::new();
        let mut caption = None;
        for node in table.descendants() {
            match element_name(node) {
                Some("caption") => caption = Some(text(node)),
                Some("tr") => {
                    grid.row();
                    for cell in node.children() {
                        let Some(el) = ElementRef::wrap(cell) else {
                            continue;
                        };
                        if !matches!(el.value().name(), "td" | "th") {
                            continue;
                        }
                        let span = |a: &str| {
                            el.value()
                                .attr(a)
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(1)
                        };
                        grid.cell(&text(cell), span("rowspan"), span("colspan"));
                    }
                }
                _ => {}
            }
        }
        self.b.table(grid.finish(), caption);
    }
}

/// The page title when the box gives none: the first heading, else the `<title>` before the
/// site's name.
fn page_title(doc: &Html) -> Option<String> {
    let pick = |s: &str| -> Option<String> {
        let sel = Selector::parse(s).ok()?;
        doc.select(&sel)
            .map(|e| clean(&text(*e)))
            .find(|t| !t.is_empty())
    };
    pick("h1").or_else(|| {
        pick("title").map(|t| {
            t.split(['_', '|'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
    })
}

/// Reads a decoded page.
pub fn read(html: &str) -> Document {
    let doc = Html::parse_document(html);
    let mut meta = meta_box(&doc);
    if meta.title.is_none() {
        meta.title = page_title(&doc).filter(|t| !t.is_empty());
    }
    let mut w = Walker {
        b: Builder::new(),
        line: String::new(),
    };
    w.walk(article(&doc));
    w.flush();
    let body = w.b;
    // The heading usually sits outside the content container: the text starts with the
    // title, as a printed report does, unless the body repeats it.
    let mut b = Builder::new();
    let starts_with_title = meta.title.as_ref().is_some_and(|t| {
        let t = compact(t);
        body_head(&body).contains(&t)
    });
    if let (Some(t), false) = (&meta.title, starts_with_title) {
        b.paragraph(t);
        b.append(body);
    } else {
        b = body;
    }
    b.finish(Format::Html, meta)
}

fn body_head(b: &Builder) -> String {
    compact(&b.text().lines().take(4).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_of_label_value_pairs_in_one_element_each() {
        // SYNTHETIC page: the shape of a box with label and value in one element.
        let page = "<html><body><ul class=\"info\"><li><b>索 引 号：</b>SYNTHETIC-0001</li>\
            <li>发文字号：荣昌府办函〔2023〕40号</li><li>成文日期：2023年10月30日</li></ul>\
            <div id=\"zoom\"><p>按照文件要求，荣昌区认真对照评价要点，对2022年以来的情况进行全面自查自评，现将自查自评报告函告如下。</p></div>\
            <div class=\"footer\">网站地图</div></body></html>";
        let d = read(page);
        assert_eq!(d.meta.index_number.as_deref(), Some("SYNTHETIC-0001"));
        assert_eq!(d.meta.doc_number.as_deref(), Some("荣昌府办函〔2023〕40号"));
        assert_eq!(d.meta.date.as_deref(), Some("2023-10-30"));
        assert!(!d.text.contains("网站地图"), "{}", d.text);
        assert!(d.text.contains("全面自查自评"));
    }

    #[test]
    fn without_a_known_container_the_densest_paragraphs_are_the_article() {
        let page = "<html><body><div class=\"nav\"><p>首页</p><p>政务公开</p></div>\
            <div class=\"x\"><p>一是落实教育投入保障机制。始终把教育放在优先发展的战略地位，不断加大财政投入力度。</p>\
            <p>二是有序推进教育事业发展。紧扣总目标，不断优化教育环境，五年规划目标任务预期能够完成。</p></div>\
            <div class=\"foot\"><p>联系我们</p></div></body></html>";
        let d = read(page);
        assert!(d.text.starts_with("一是落实"), "{}", d.text);
        assert!(!d.text.contains("首页") && !d.text.contains("联系我们"));
    }

    #[test]
    fn a_layout_table_is_read_as_blocks_and_the_data_table_inside_as_a_grid() {
        let page = "<table><tr><td><p>主要指标完成情况如下：</p>\
            <table><tr><th>指标</th><th colspan=2>2023年1—6月完成</th></tr>\
            <tr><td>在园幼儿数（万人）</td><td>2.1</td><td></td></tr></table></td></tr></table>";
        let d = read(page);
        assert_eq!(d.tables.len(), 1);
        assert_eq!(d.tables[0].rows[0].len(), 3);
        assert!(
            d.text.contains("指标\t2023年1—6月完成\t2023年1—6月完成\n"),
            "{}",
            d.text
        );
    }
}
