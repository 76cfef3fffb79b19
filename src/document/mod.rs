//! Reading a report file in whatever format it arrived: plain text (UTF-8, UTF-16, GBK …), a
//! saved web page, Word (.docx), PDF with a text layer, and spreadsheets (.xlsx, .xls, .csv).
//!
//! ```text
//! bytes ─ sniff (magic bytes, ZIP member names, OLE2 stream names, markup, delimiters)
//!       ─ one reader per format ─ Document { text, tables, meta }
//! ```
//!
//! The format is recognised by content, never by a file name: an upload has no trustworthy
//! name, and a district's `.doc` is often an HTML page or a `.docx` in disguise. Every reader
//! produces the same [`Document`]: the whole text in reading order, one paragraph per line,
//! with each table rendered into it (a row per line, cells separated by a tab, merged cells
//! repeated), so the text extractor sees everything, plus the tables as grids whose cells know
//! where they are in the text, plus what a page's metadata box says about the document.
//!
//! Readers are pure Rust (no LibreOffice or poppler at run time) and bounded by
//! [`ReadLimits`]: the input size, what a ZIP container may unpack to, the PDF's pages.

mod csv;
mod docx;
mod html;
mod layout;
mod pdf;
mod sheet;
mod sniff;
mod text;

use std::fmt;

/// A file format the readers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain text, in any encoding the charset detection knows.
    Text,
    /// A saved web page.
    Html,
    /// Word 2007 and later (Office Open XML).
    Docx,
    /// PDF with a text layer.
    Pdf,
    /// Excel 2007 and later (Office Open XML).
    Xlsx,
    /// Excel 97–2003 (BIFF8 in an OLE2 compound file).
    Xls,
    /// Comma-, tab- or semicolon-separated values.
    Csv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Csv => "csv",
        })
    }
}

/// A document read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The format it was recognised as.
    pub format: Format,
    /// The whole document as plain text in reading order, one paragraph per line; each table
    /// rendered into it, one row per line, cells separated by a single tab.
    pub text: String,
    /// The tables, in text order.
    pub tables: Vec<Table>,
    /// What the document says about itself outside its body (a web page's metadata box).
    pub meta: DocMeta,
}

impl Document {
    /// A text given as text (pasted, not read from a file): taken as it is.
    pub fn from_text(text: String) -> Document {
        text::read(text)
    }
}

/// A table: a grid whose rows all have the same number of cells once spans are expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Character offset (not byte) of the table's first row in [`Document::text`].
    pub start: usize,
    /// Character offset just past the table's last row.
    pub end: usize,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
    /// The table's caption (also a line of the text, just before the table).
    pub caption: Option<String>,
}

/// One grid position of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cell's text (a merged cell's text in every position it covers).
    pub text: String,
    /// Character offset of this copy of the text in [`Document::text`].
    pub start: usize,
    /// Character offset just past it.
    pub end: usize,
    /// True for the repeated copies of a merged cell, false for its origin.
    pub spanned: bool,
}

/// Metadata printed around a document rather than in it (an information-disclosure page's
/// box: 索引号, 发布机构, 成文日期, 发文字号, 标题).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocMeta {
    /// 标题.
    pub title: Option<String>,
    /// 发文字号 / 文号, e.g. 荣昌府办函〔2023〕40号.
    pub doc_number: Option<String>,
    /// 发布机构.
    pub issuer: Option<String>,
    /// 成文日期, as YYYY-MM-DD.
    pub date: Option<String>,
    /// 索引号.
    pub index_number: Option<String>,
}

/// Bounds on what a read may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest input, in bytes.
    pub max_input_bytes: usize,
    /// Most a ZIP container (.docx, .xlsx) may unpack to, in bytes, all members together.
    pub max_unpacked_bytes: u64,
    /// Most members a ZIP container may hold.
    pub max_members: usize,
    /// Most pages a PDF may have.
    pub max_pdf_pages: usize,
}

impl Default for ReadLimits {
    /// Reports are tens of pages: 50 MB in, 200 MB unpacked, 10,000 ZIP members, 1,000 pages.
    fn default() -> Self {
        ReadLimits {
            max_input_bytes: 50 * 1024 * 1024,
            max_unpacked_bytes: 200 * 1024 * 1024,
            max_members: 10_000,
            max_pdf_pages: 1_000,
        }
    }
}

/// Why a file could not be read. The messages name the problem and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// No bytes, or nothing but white space.
    #[error("the file is empty: there is no text to extract")]
    Empty,
    /// A format the readers do not know.
    #[error(
        "the file is {what}, which cannot be read: give plain text, a saved web page (.html), \
         Word (.docx), PDF with text, or a spreadsheet (.xlsx, .xls, .csv)"
    )]
    Unsupported {
        /// What the file is, e.g. "a legacy Word .doc file" (with what to do, when known).
        what: String,
    },
    /// The file is of a known format but damaged or cut short.
    #[error("the {format} file is damaged or incomplete ({detail}): save or download it again")]
    Corrupt {
        /// The format it was recognised as.
        format: Format,
        /// What the reader found wrong.
        detail: String,
    },
    /// The file is password-protected.
    #[error("{}", encrypted_message(.format))]
    Encrypted {
        /// The format, when the encryption lets it be told (an encrypted .docx and .xlsx look
        /// the same from outside: `None`).
        format: Option<Format>,
    },
    /// A PDF whose pages are images (a scan): there is no text to read.
    #[error(
        "the PDF has no text layer (its pages are images, as a scan's are): run it through \
         OCR first, or use the original document"
    )]
    NoTextLayer,
    /// Past a [`ReadLimits`] bound.
    #[error("the file is too large to read: {limit}")]
    TooLarge {
        /// Which bound, with its value.
        limit: String,
    },
    /// Text in no encoding the charset detection knows.
    #[error(
        "the file's text is in no encoding edustats recognises (UTF-8, UTF-16, GBK/GB18030, \
         Big5 and the other common ones were tried): save it as UTF-8 text"
    )]
    Undecodable,
    /// An upload that should be the file's bytes in base64 and is not.
    #[error("the file is not in base64 ({0}): send the file's bytes base64-encoded")]
    NotBase64(String),
}

fn encrypted_message(format: &Option<Format>) -> String {
    let what = match format {
        Some(f) => format!("the {f} file"),
        None => "the file (an Office document)".to_string(),
    };
    format!(
        "{what} is encrypted (password-protected): save a copy without a password and try again"
    )
}

/// Reads `bytes` as whatever document they are.
pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Document, ReadError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ReadError::TooLarge {
            limit: format!(
                "{} bytes, more than the {} a file may have",
                bytes.len(),
                limits.max_input_bytes
            ),
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    let doc = match sniff::sniff(bytes, limits)? {
        sniff::Kind::Pdf => pdf::read(bytes, limits)?,
        sniff::Kind::Docx => docx::read(bytes, limits)?,
        sniff::Kind::Xlsx => sheet::read_xlsx(bytes)?,
        sniff::Kind::Xls => sheet::read_xls(bytes)?,
        sniff::Kind::Html(text) => html::read(&text),
        sniff::Kind::Csv(text, delimiter) => csv::read(&text, delimiter)?,
        sniff::Kind::Text(text) => text::read(text),
    };
    if doc.text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(doc)
}

/// Reads a file sent as base64 (an upload through the API). The size is checked on the
/// encoded length first, so a huge string is refused without being decoded; white space (line
/// breaks of MIME-style base64) is ignored.
pub fn read_base64(encoded: &str, limits: &ReadLimits) -> Result<Document, ReadError> {
    use base64::Engine;
    if encoded.len() / 4 * 3 > limits.max_input_bytes + 3 {
        return Err(ReadError::TooLarge {
            limit: format!(
                "more than the {} bytes a file may have",
                limits.max_input_bytes
            ),
        });
    }
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| ReadError::NotBase64(e.to_string()))?;
    read(&bytes, limits)
}

/// A date as printed in a metadata box or a document (2023-10-30, 2023年10月30日,
/// 2023/10/30, 2023.10.30, and in Chinese numerals 二〇二三年十月三十日), as YYYY-MM-DD.
/// The one date reader of the crate: a page's 成文日期 and a report's signature line both
/// come here.
pub(crate) fn iso_date(s: &str) -> Option<String> {
    use std::sync::LazyLock;
    static DATE: LazyLock<regex::Regex> = LazyLock::new(|| {
        crate::pattern::regex(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
    });
    static CN_DATE: LazyLock<regex::Regex> = LazyLock::new(|| {
        crate::pattern::regex(
            r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日",
        )
    });
    let (y, m, d) = match DATE.captures(s) {
        Some(c) => (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?),
        None => {
            let c = CN_DATE.captures(s)?;
            (cn_number(&c[1])?, cn_number(&c[2])?, cn_number(&c[3])?)
        }
    };
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// Value of a Chinese numeral of at most two digits (十二, 二十三) or digit by digit (二〇二二).
fn cn_number(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .find(c)
            .map(|i| (i / 3) as u32)
            .or(if c == '零' { Some(0) } else { None })
    };
    if let Some(i) = s.find('十') {
        let tens = if i == 0 {
            1
        } else {
            digit(s[..i].chars().next()?)?
        };
        let rest = &s[i + '十'.len_utf8()..];
        let ones = match rest.chars().next() {
            Some(c) => digit(c)?,
            None => 0,
        };
        return Some(tens * 10 + ones);
    }
    s.chars()
        .try_fold(0u32, |acc, c| Some(acc * 10 + digit(c)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_on_input_size_holds_before_anything_is_read() {
        let limits = ReadLimits {
            max_input_bytes: 10,
            ..ReadLimits::default()
        };
        let err = read(b"hello world, longer than ten", &limits).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn an_upload_is_base64_within_the_size_limit() {
        let limits = ReadLimits {
            max_input_bytes: 10,
            ..ReadLimits::default()
        };
        let d = read_base64("aGVs\nbG8=", &limits).expect("base64 of hello");
        assert_eq!(d.text, "hello");
        assert!(matches!(
            read_base64("%%%", &limits),
            Err(ReadError::NotBase64(_))
        ));
        assert!(matches!(
            read_base64(&"QUFB".repeat(10), &limits),
            Err(ReadError::TooLarge { .. })
        ));
    }

    #[test]
    fn white_space_is_empty() {
        assert_eq!(
            read(b" \n\t\r\n", &ReadLimits::default()),
            Err(ReadError::Empty)
        );
        assert_eq!(read(b"", &ReadLimits::default()), Err(ReadError::Empty));
    }

    #[test]
    fn dates_in_the_printed_forms() {
        for s in [
            "2023-10-30",
            "2023年10月30日",
            "2023/10/30",
            " 2023.10.30 ",
            "二〇二三年十月三十日",
        ] {
            assert_eq!(iso_date(s).as_deref(), Some("2023-10-30"), "{s}");
        }
        assert_eq!(iso_date("2023-13-01"), None);
    }

    #[test]
    fn formats_print_lower_case() {
        assert_eq!(Format::Docx.to_string(), "docx");
        let e = ReadError::Encrypted {
            format: Some(Format::Pdf),
        };
        assert!(
            e.to_string().starts_with("the pdf file is encrypted"),
            "{e}"
        );
    }
}
