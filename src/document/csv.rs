//! Delimited values (.csv, tab-separated): one table. A first row with text only in its first
//! field is the table's caption (a spreadsheet's merged title row, saved as CSV).

use super::layout::{normalise, Builder};
use super::{DocMeta, Document, Format, ReadError};

/// Reads decoded delimited text.
pub fn read(text: &str, delimiter: u8) -> Result<Document, ReadError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Corrupt {
            format: Format::Csv,
            detail: e.to_string(),
        })?;
        rows.push(
            record
                .iter()
                .map(|f| (f.to_string(), false))
                .collect::<Vec<_>>(),
        );
    }
    let mut rows = normalise(rows);
    let mut caption = None;
    if rows.len() > 1 && rows[0].iter().skip(1).all(|(t, _)| t.is_empty()) && rows[0].len() > 1 {
        caption = Some(rows.remove(0)[0].0.clone());
    }
    let mut b = Builder::new();
    b.table(rows, caption);
    Ok(b.finish(Format::Csv, DocMeta::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_row_is_the_caption_and_short_rows_are_padded() {
        let d = read(
            "主要指标完成情况,,\n分类,指标,2025年主要目标\n学前教育,在园幼儿数（万人）\n",
            b',',
        )
        .unwrap();
        let t = &d.tables[0];
        assert_eq!(t.caption.as_deref(), Some("主要指标完成情况"));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].len(), 3);
        assert!(d
            .text
            .starts_with("主要指标完成情况\n分类\t指标\t2025年主要目标\n"));
    }
}
