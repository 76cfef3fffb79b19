//! Recognising a file by its content: magic bytes, the member names of a ZIP container, the
//! stream names of an OLE2 compound file, markup, and for text a consistent delimiter
//! structure (CSV) or none (plain text).

use std::io::Cursor;

use memchr::memmem;

use super::{text, Format, ReadError, ReadLimits};

/// What the bytes are, with the decoded text for the text formats.
pub enum Kind {
    /// A PDF.
    Pdf,
    /// A Word document.
    Docx,
    /// An Excel 2007+ workbook.
    Xlsx,
    /// An Excel 97–2003 workbook.
    Xls,
    /// A web page, decoded.
    Html(String),
    /// Delimited values, decoded, with their delimiter.
    Csv(String, u8),
    /// Plain text, decoded.
    Text(String),
}

fn unsupported(what: &str) -> ReadError {
    ReadError::Unsupported {
        what: what.to_string(),
    }
}

/// Recognises `bytes` (not empty, within the size limit).
pub fn sniff(bytes: &[u8], limits: &ReadLimits) -> Result<Kind, ReadError> {
    let head = &bytes[..bytes.len().min(1024)];
    // Some producers put a few bytes of garbage before the header; readers accept it in the
    // first kilobyte.
    if memmem::find(head, b"%PDF-").is_some() {
        return Ok(Kind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_kind(bytes, limits);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return ole2_kind(bytes);
    }
    const MAGIC: &[(&[u8], &str)] = &[
        (
            b"\x89PNG\r\n\x1a\n",
            "a PNG image (a scan? run it through OCR first)",
        ),
        (
            b"\xFF\xD8\xFF",
            "a JPEG image (a scan? run it through OCR first)",
        ),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (
            b"II*\x00",
            "a TIFF image (a scan? run it through OCR first)",
        ),
        (
            b"MM\x00*",
            "a TIFF image (a scan? run it through OCR first)",
        ),
        (b"{\\rtf", "an RTF document (save it as .docx)"),
        (b"\x1F\x8B", "a gzip archive (unpack it first)"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive (unpack it first)"),
        (b"Rar!\x1A\x07", "a RAR archive (unpack it first)"),
        (b"\x7FELF", "a program, not a document"),
        (b"MZ", "a Windows program, not a document"),
        (b"AT&TFORM", "a DjVu document"),
        (b"%!PS", "a PostScript file (convert it to PDF)"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(unsupported(what));
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Err(unsupported("a WebP image"));
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Err(unsupported("a video or HEIF image"));
    }
    let decoded = text::decode(bytes)?;
    if looks_like_html(&decoded) {
        // A page names its charset in a meta tag; a BOM or valid UTF-8 came first, so this
        // only changes a page that chardetng guessed.
        let decoded = match text::meta_charset(bytes) {
            Some(enc) if !text::has_bom(bytes) && std::str::from_utf8(bytes).is_err() => {
                let (s, _, errors) = enc.decode(bytes);
                if errors {
                    decoded
                } else {
                    s.into_owned()
                }
            }
            _ => decoded,
        };
        return Ok(Kind::Html(decoded));
    }
    if let Some(delimiter) = delimiter(&decoded) {
        return Ok(Kind::Csv(decoded, delimiter));
    }
    Ok(Kind::Text(decoded))
}

/// Markup, not text that mentions a tag: the first non-blank character opens a tag, and an
/// HTML element is among the first.
fn looks_like_html(s: &str) -> bool {
    let t = s.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !t.starts_with('<') {
        return false;
    }
    let head: String = t
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<meta",
        "<title",
        "<div",
        "<p>",
        "<table",
    ]
    .iter()
    .any(|tag| head.contains(tag))
}

/// The delimiter of delimited values: at least two lines (of the first hundred non-blank
/// ones), all with the same number of fields, at least two. Report text fails this: its
/// paragraphs use the full-width comma, and a flattened table's tab-indented lines sit
/// between lines with none.
fn delimiter(s: &str) -> Option<u8> {
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(100)
        .collect();
    if lines.len() < 2 {
        return None;
    }
    [b',', b'\t', b';'].into_iter().find(|&d| {
        let sample = lines.join("\n");
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let mut widths = reader.records().map(|r| r.map(|r| r.len()));
        match widths.next() {
            Some(Ok(first)) if first >= 2 => widths.all(|w| matches!(w, Ok(n) if n == first)),
            _ => false,
        }
    })
}

/// A ZIP container: Word or Excel by the members it holds.
fn zip_kind(bytes: &[u8], limits: &ReadLimits) -> Result<Kind, ReadError> {
    let archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            // A cut-short archive has lost its central directory (at the end); the local
            // headers at the start still name the members.
            let format = if memmem::find(bytes, b"word/").is_some() {
                Format::Docx
            } else if memmem::find(bytes, b"xl/").is_some() {
                Format::Xlsx
            } else {
                return Err(unsupported("a damaged ZIP archive"));
            };
            return Err(ReadError::Corrupt {
                format,
                detail: format!("its ZIP container cannot be opened: {e}"),
            });
        }
    };
    check_zip_limits(&archive, limits)?;
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("word/document.xml") {
        Ok(Kind::Docx)
    } else if has("xl/workbook.xml") {
        Ok(Kind::Xlsx)
    } else if has("xl/workbook.bin") {
        Err(unsupported(
            "an Excel binary workbook (.xlsb; save it as .xlsx)",
        ))
    } else if has("ppt/presentation.xml") {
        Err(unsupported("a PowerPoint presentation"))
    } else if has("content.xml") && has("mimetype") {
        Err(unsupported(
            "an OpenDocument file (.odt, .ods; save it as .docx or .xlsx)",
        ))
    } else if archive
        .file_names()
        .flatten()
        .any(|n| n.ends_with(".ofd") || n == "OFD.xml")
    {
        Err(unsupported("an OFD document (export it as PDF)"))
    } else {
        Err(unsupported(
            "a ZIP archive that is not a Word or Excel file",
        ))
    }
}

/// Member count and declared unpacked size against the limits, before anything is unpacked.
pub fn check_zip_limits<R: std::io::Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
    limits: &ReadLimits,
) -> Result<(), ReadError> {
    if archive.len() > limits.max_members {
        return Err(ReadError::TooLarge {
            limit: format!(
                "its ZIP container holds {} members, more than the {} allowed",
                archive.len(),
                limits.max_members
            ),
        });
    }
    let declared: u64 = archive.decompressed_size().map_or(0, |n| n as u64);
    if declared > limits.max_unpacked_bytes {
        return Err(ReadError::TooLarge {
            limit: format!(
                "its ZIP container unpacks to {declared} bytes, more than the {} allowed",
                limits.max_unpacked_bytes
            ),
        });
    }
    Ok(())
}

/// An OLE2 compound file: told apart by its stream names, stored in UTF-16LE in its
/// directory.
fn ole2_kind(bytes: &[u8]) -> Result<Kind, ReadError> {
    let has = |name: &str| {
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        memmem::find(bytes, &utf16).is_some()
    };
    if has("EncryptedPackage") {
        Err(ReadError::Encrypted { format: None })
    } else if has("WordDocument") {
        Err(unsupported(
            "a legacy Word .doc file (Word 97–2003; save it as .docx)",
        ))
    } else if has("Workbook") || has("Book") {
        Ok(Kind::Xls)
    } else if has("PowerPoint Document") {
        Err(unsupported("a legacy PowerPoint file"))
    } else {
        Err(unsupported(
            "an OLE2 compound file that is not an Excel workbook",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_needs_the_same_width_on_every_line() {
        assert_eq!(delimiter("分类,指标\n学前教育,在园幼儿数\n"), Some(b','));
        assert_eq!(delimiter("a\tb\tc\n1\t2\t3\n"), Some(b'\t'));
        // A flattened table between paragraphs (the seed reports' shape) is text.
        assert_eq!(
            delimiter("主要指标完成情况如下：\n\t分类\n\t2.1\n三是加快建设。\n"),
            None
        );
        assert_eq!(delimiter("一行，只有全角逗号。\n第二行，也是。\n"), None);
    }

    #[test]
    fn html_is_markup_at_the_start() {
        assert!(looks_like_html("\u{feff}<!DOCTYPE html><html>"));
        assert!(looks_like_html("  <div class=\"x\">内容</div>"));
        assert!(!looks_like_html("报告中写道 <html> 标签"));
    }

    #[test]
    fn magic_bytes_name_what_is_not_read() {
        let limits = ReadLimits::default();
        let e = sniff(b"\x89PNG\r\n\x1a\n....", &limits)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("a PNG image")));
        let e = sniff(b"{\\rtf1\\ansi hello}", &limits)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("RTF")));
    }
}
