//! Spreadsheet-safe CSV cells: what the exports write and what the CSV import undoes.
//!
//! A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a
//! formula by Excel, LibreOffice and Google Sheets when the file is opened (CSV injection). A
//! report's sentence or a correction's note is free text and may begin that way, so every cell
//! an export writes goes through [`neutralise`]: such a cell gets a leading apostrophe (OWASP's
//! rule for CSV injection, <https://owasp.org/www-community/attacks/CSV_Injection>), which the
//! spreadsheets show as text. Plain numbers (`-12.5`) are left alone: they are data, not
//! formulas.
//!
//! The change is reversible, so an exported file imports back unchanged: a cell that already
//! began with an apostrophe gets a second one, and [`restore`] (applied by the CSV import to
//! every cell) drops exactly one. The cost: a hand-made import file whose cell really begins
//! with an apostrophe must double it.

use std::borrow::Cow;

/// The characters a spreadsheet treats as the start of a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The escape: a leading apostrophe makes a spreadsheet show the rest as text.
const ESCAPE: char = '\'';

/// Whether `cell` is a plain decimal number (`-3`, `+4.5`, `1e-3`): left as it is, being data.
fn is_plain_number(cell: &str) -> bool {
    cell.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && cell.parse::<f64>().is_ok()
}

/// The cell as an export writes it: escaped when a spreadsheet would run it as a formula, or
/// when it begins with the escape itself (so that [`restore`] is exact).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if c == ESCAPE || (FORMULA_START.contains(&c) && !is_plain_number(cell)) => {
            Cow::Owned(format!("{ESCAPE}{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// The cell as it was before [`neutralise`]: one leading apostrophe dropped.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix(ESCAPE).unwrap_or(cell)
}

/// Whether any cell of a record needs [`restore`] (most records: none, and are kept as read).
pub fn any_escaped<'a>(cells: impl IntoIterator<Item = &'a str>) -> bool {
    cells.into_iter().any(|c| c.starts_with(ESCAPE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_escaped_and_numbers_are_not() {
        let cases = [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("@SUM(1)", "'@SUM(1)"),
            ("-2+3", "'-2+3"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'already", "''already"),
            ("-12.5", "-12.5"),
            ("+4", "+4"),
            ("1e-3", "1e-3"),
            ("全区共有学校105所", "全区共有学校105所"),
            ("", ""),
            ("a=b", "a=b"),
        ];
        for (cell, written) in cases {
            assert_eq!(neutralise(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn restore_undoes_neutralise() {
        for cell in ["=1+1", "'", "''x", "-", "-2", "@", "plain", "", "'=x"] {
            assert_eq!(restore(&neutralise(cell)), cell, "{cell:?}");
        }
    }
}
