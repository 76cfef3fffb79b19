//! Word documents (.docx): the body's paragraphs and tables from `word/document.xml` (zip +
//! quick-xml), with `w:gridSpan` and `w:vMerge` as spans; the title from `docProps/core.xml`.
//! Headers, footers, footnotes and comments live in other parts and are not read (a running
//! header is not part of the text); deleted revisions and field codes are skipped.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::layout::{normalise, Builder};
use super::sniff::check_zip_limits;
use super::{DocMeta, Document, Format, ReadError, ReadLimits};

fn corrupt(detail: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt {
        format: Format::Docx,
        detail: detail.to_string(),
    }
}

/// A member of the package, unpacked up to the limit (a member's declared size can lie).
fn member(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limits: &ReadLimits,
) -> Result<Option<Vec<u8>>, ReadError> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(zip::result::ZipError::UnsupportedArchive(m)) if m.contains("ncrypt") => {
            return Err(ReadError::Encrypted {
                format: Some(Format::Docx),
            })
        }
        Err(e) => return Err(corrupt(format!("{name}: {e}"))),
    };
    let mut out = Vec::new();
    file.take(limits.max_unpacked_bytes + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    if out.len() as u64 > limits.max_unpacked_bytes {
        return Err(ReadError::TooLarge {
            limit: format!(
                "{name} unpacks to more than the {} bytes allowed",
                limits.max_unpacked_bytes
            ),
        });
    }
    Ok(Some(out))
}

fn val(e: &BytesStart<'_>) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == "val")
        .map(|a| a.value.into_owned())
}

/// A table being read: its rows of (text, colspan, vertical merge) cells.
#[derive(Default)]
struct TableState {
    rows: Vec<Vec<(String, usize, VMerge)>>,
    cell: Option<(String, usize, VMerge)>,
}

#[derive(Clone, Copy, PartialEq)]
enum VMerge {
    None,
    Restart,
    Continue,
}

/// Expands Word's spans: `gridSpan` is a colspan; a `vMerge` continuation cell repeats the
/// text of the cell that restarted the merge above it.
fn grid(rows: Vec<Vec<(String, usize, VMerge)>>) -> Vec<Vec<(String, bool)>> {
    let mut out: Vec<Vec<(String, bool)>> = Vec::new();
    for row in rows {
        let mut line: Vec<(String, bool)> = Vec::new();
        for (text, span, merge) in row {
            let col = line.len();
            let above = out.last().and_then(|r| r.get(col)).map(|(t, _)| t.clone());
            for j in 0..span.clamp(1, 1000) {
                match (merge, &above) {
                    (VMerge::Continue, Some(a)) => line.push((a.clone(), true)),
                    _ => line.push((text.clone(), j > 0)),
                }
            }
        }
        out.push(line);
    }
    normalise(out)
}

/// Reads a .docx package.
pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Document, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    check_zip_limits(&archive, limits)?;
    let body = member(&mut archive, "word/document.xml", limits)?
        .ok_or_else(|| corrupt("word/document.xml is missing"))?;
    let mut meta = DocMeta::default();
    if let Some(core) = member(&mut archive, "docProps/core.xml", limits)? {
        meta.title = core_title(&core);
    }
    let mut b = Builder::new();
    let mut reader = Reader::from_reader(body.as_slice());
    let mut buf = Vec::new();
    let mut para = String::new();
    // Nested tables: the innermost is read into the cell of the one around it.
    let mut tables: Vec<TableState> = Vec::new();
    let mut in_text = false;
    let mut skip = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| corrupt(format!("word/document.xml: {e}")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                // Deleted text, field instructions and the fallback copy of a drawing's text
                // are not the document's text.
                "del" | "instrText" | "Fallback" | "delText" => skip += 1,
                "t" if skip == 0 => in_text = true,
                "tbl" => {
                    flush(&mut para, &mut b, &mut tables);
                    tables.push(TableState::default());
                }
                "tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.cell = Some((String::new(), 1, VMerge::None));
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" if skip == 0 => para.push(' '),
                "br" | "cr" if skip == 0 => flush(&mut para, &mut b, &mut tables),
                "gridSpan" => {
                    let n = val(&e).and_then(|v| v.parse().ok()).unwrap_or(1);
                    if let Some((_, span, _)) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                        *span = n;
                    }
                }
                "vMerge" => {
                    let m = match val(&e).as_deref() {
                        Some("restart") => VMerge::Restart,
                        _ => VMerge::Continue,
                    };
                    if let Some((_, _, merge)) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                        *merge = m;
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text && skip == 0 => {
                para.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_text && skip == 0 => {
                // quick-xml reports entity and character references apart from the text.
                if let Some(c) = r.resolve_char_ref().ok().flatten() {
                    para.push(c);
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    para.push_str(s);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "del" | "instrText" | "Fallback" | "delText" => skip = skip.saturating_sub(1),
                "t" => in_text = false,
                "p" => flush(&mut para, &mut b, &mut tables),
                "tc" => {
                    flush(&mut para, &mut b, &mut tables);
                    if let Some(t) = tables.last_mut() {
                        if let Some(cell) = t.cell.take() {
                            if t.rows.is_empty() {
                                t.rows.push(Vec::new());
                            }
                            if let Some(row) = t.rows.last_mut() {
                                row.push(cell);
                            }
                        }
                    }
                }
                "tbl" => {
                    if let Some(t) = tables.pop() {
                        let rows = grid(t.rows);
                        match tables.last_mut().and_then(|outer| outer.cell.as_mut()) {
                            Some((text, _, _)) => {
                                for row in rows {
                                    let line: Vec<String> = row.into_iter().map(|c| c.0).collect();
                                    text.push_str(&line.join(" "));
                                    text.push('\n');
                                }
                            }
                            None => b.table(rows, None),
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    flush(&mut para, &mut b, &mut tables);
    Ok(b.finish(Format::Docx, meta))
}

/// Ends a paragraph: into the open table cell, or the document.
fn flush(para: &mut String, b: &mut Builder, tables: &mut [TableState]) {
    let text = std::mem::take(para);
    match tables.last_mut().and_then(|t| t.cell.as_mut()) {
        Some((cell, _, _)) => {
            cell.push_str(&text);
            cell.push('\n');
        }
        None => b.paragraph(&text),
    }
}

fn core_title(xml: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "title" => in_title = true,
            Event::End(e) if e.local_name().as_ref() == "title" => break,
            Event::Text(t) if in_title => title.push_str(&t.xml10_content()),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let title = super::layout::clean(&title);
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vertical_merge_repeats_the_cell_above_and_a_grid_span_the_cell_left() {
        let rows = vec![
            vec![
                ("分类".to_string(), 1, VMerge::None),
                ("指标".to_string(), 2, VMerge::None),
            ],
            vec![
                ("学前教育".to_string(), 1, VMerge::Restart),
                ("在园幼儿数（万人）".to_string(), 1, VMerge::None),
                ("2.1".to_string(), 1, VMerge::None),
            ],
            vec![
                (String::new(), 1, VMerge::Continue),
                ("公办在园幼儿占比（%）".to_string(), 1, VMerge::None),
                ("55".to_string(), 1, VMerge::None),
            ],
        ];
        let g = grid(rows);
        assert_eq!(g[0][2], ("指标".to_string(), true));
        assert_eq!(g[2][0], ("学前教育".to_string(), true));
        assert_eq!(g[1][0], ("学前教育".to_string(), false));
    }
}
