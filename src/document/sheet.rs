//! Workbooks (.xlsx, .xls) through calamine: every sheet with content becomes a table, its
//! merged cells repeated over the positions they cover. A first row that is one merged cell
//! across the whole width is the table's caption (statistics tables carry their title so).
//! Numbers are printed in their shortest form (2.1, not 2.1000000000000001); dates as
//! YYYY-MM-DD.

use std::io::Cursor;

use calamine::{Data, Dimensions, Range, Reader, Xls, Xlsx};

use super::layout::{normalise, Builder, Rows};
use super::{DocMeta, Document, Format, ReadError};

fn corrupt(format: Format, e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt {
        format,
        detail: e.to_string(),
    }
}

/// A cell's value as text.
fn show(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            // Excel's day 0 is 1899-12-30 (the 1900 leap-year bug included).
            let days = dt.as_f64().floor() as i64;
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| dt.as_f64().to_string())
        }
    }
}

/// One sheet's grid with its merged regions expanded, and its caption.
fn sheet(range: &Range<Data>, merged: &[Dimensions]) -> (Rows, Option<String>) {
    let Some((r0, c0)) = range.start() else {
        return (Vec::new(), None);
    };
    let (h, w) = range.get_size();
    let mut grid: Vec<Vec<(String, bool)>> = range
        .rows()
        .map(|row| row.iter().map(|d| (show(d), false)).collect())
        .collect();
    let mut full_width_first_row = false;
    for m in merged {
        let (top, left) = (m.start.0 as usize, m.start.1 as usize);
        let (bottom, right) = (m.end.0 as usize, m.end.1 as usize);
        let text = range
            .get_value((m.start.0, m.start.1))
            .map(show)
            .unwrap_or_default();
        for r in top..=bottom {
            for c in left..=right {
                let (Some(gr), Some(gc)) = (r.checked_sub(r0 as usize), c.checked_sub(c0 as usize))
                else {
                    continue;
                };
                if gr < h && gc < w {
                    grid[gr][gc] = (text.clone(), r != top || c != left);
                }
            }
        }
        if top == r0 as usize
            && left == c0 as usize
            && right + 1 >= c0 as usize + w
            && top == bottom
        {
            full_width_first_row = true;
        }
    }
    let mut rows = normalise(grid);
    let mut caption = None;
    if full_width_first_row && rows.len() > 1 {
        caption = Some(rows.remove(0)[0].0.clone());
    }
    (rows, caption)
}

fn build(sheets: Vec<(String, Rows, Option<String>)>, format: Format) -> Document {
    let mut b = Builder::new();
    let with_content: Vec<_> = sheets
        .into_iter()
        .filter(|(_, rows, _)| !rows.is_empty())
        .collect();
    let named = with_content.len() > 1;
    for (name, rows, caption) in with_content {
        if named {
            b.paragraph(&name);
        }
        b.table(rows, caption);
    }
    b.finish(format, DocMeta::default())
}

/// Reads an .xlsx workbook.
pub fn read_xlsx(bytes: &[u8]) -> Result<Document, ReadError> {
    let wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => ReadError::Encrypted {
            format: Some(Format::Xlsx),
        },
        e => corrupt(Format::Xlsx, e),
    })?;
    read_sheets(wb, Format::Xlsx, |wb, name| {
        wb.merge_cells_by_sheet_name(name)
    })
}

/// Reads an .xls workbook.
pub fn read_xls(bytes: &[u8]) -> Result<Document, ReadError> {
    let wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => ReadError::Encrypted {
            format: Some(Format::Xls),
        },
        e => corrupt(Format::Xls, e),
    })?;
    read_sheets(wb, Format::Xls, |wb, name| {
        wb.merge_cells_by_sheet_name(name)
    })
}

/// Every sheet of an open workbook with its merged cells, which calamine reads per format
/// (`merged`) rather than through [`Reader`].
fn read_sheets<'a, W, E>(
    mut wb: W,
    format: Format,
    merged: impl Fn(&mut W, &str) -> Result<Vec<Dimensions>, E>,
) -> Result<Document, ReadError>
where
    W: Reader<Cursor<&'a [u8]>>,
    W::Error: std::fmt::Display,
    E: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| corrupt(format, e))?;
        let merged = merged(&mut wb, &name).map_err(|e| corrupt(format, e))?;
        let (rows, caption) = sheet(&range, &merged);
        sheets.push((name, rows, caption));
    }
    Ok(build(sheets, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_written() {
        assert_eq!(show(&Data::Float(2.1)), "2.1");
        assert_eq!(show(&Data::Float(95.0)), "95");
        assert_eq!(show(&Data::Float(89.68)), "89.68");
        assert_eq!(show(&Data::Int(199950)), "199950");
    }
}
