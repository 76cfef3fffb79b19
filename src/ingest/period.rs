//! Reference periods: the text grammar used in seeds and imports, and its normalisation to a
//! start date, an end date and the year year-based queries use (the year the period ends in).

use crate::domain::PeriodKind;

/// A parsed period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPeriod {
    /// Canonical code (the input, trimmed).
    pub code: String,
    /// Shape: year, month or span.
    pub kind: PeriodKind,
    /// First day, ISO.
    pub start: String,
    /// Last day, ISO.
    pub end: String,
    /// The calendar year the period ends in.
    pub year: i32,
}

fn year(s: &str) -> Option<i32> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok().filter(|y| (1949..=2100).contains(y))
    } else {
        None
    }
}

fn month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let m: u32 = if m.len() == 2 {
        m.parse().ok()?
    } else {
        return None;
    };
    (1..=12).contains(&m).then_some(())?;
    Some((year(y)?, m))
}

fn last_day(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses `2022`, `2023-06`, `2023-01..2023-06` or `2019..2021`. Returns a message naming the
/// problem otherwise.
pub fn parse_period(text: &str) -> Result<ParsedPeriod, String> {
    let code = text.trim();
    let bad = || {
        format!("invalid period {code:?}: expected YYYY, YYYY-MM, YYYY-MM..YYYY-MM or YYYY..YYYY")
    };
    if let Some(y) = year(code) {
        return Ok(ParsedPeriod {
            code: code.to_string(),
            kind: PeriodKind::Year,
            start: format!("{y}-01-01"),
            end: format!("{y}-12-31"),
            year: y,
        });
    }
    if let Some((y, m)) = month(code) {
        return Ok(ParsedPeriod {
            code: code.to_string(),
            kind: PeriodKind::Month,
            start: format!("{y}-{m:02}-01"),
            end: format!("{y}-{m:02}-{:02}", last_day(y, m)),
            year: y,
        });
    }
    let (a, b) = code.split_once("..").ok_or_else(bad)?;
    let (start, end, end_year) = match (year(a), year(b), month(a), month(b)) {
        (Some(ya), Some(yb), _, _) => (format!("{ya}-01-01"), format!("{yb}-12-31"), yb),
        (_, _, Some((ya, ma)), Some((yb, mb))) => (
            format!("{ya}-{ma:02}-01"),
            format!("{yb}-{mb:02}-{:02}", last_day(yb, mb)),
            yb,
        ),
        _ => return Err(bad()),
    };
    if start >= end {
        return Err(format!("invalid period {code:?}: it ends before it starts"));
    }
    Ok(ParsedPeriod {
        code: code.to_string(),
        kind: PeriodKind::Span,
        start,
        end,
        year: end_year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let cases: &[(&str, &str, &str, &str, i32)] = &[
            ("2022", "year", "2022-01-01", "2022-12-31", 2022),
            ("2023-06", "month", "2023-06-01", "2023-06-30", 2023),
            ("2024-02", "month", "2024-02-01", "2024-02-29", 2024),
            ("2023-01..2023-06", "span", "2023-01-01", "2023-06-30", 2023),
            ("2019..2021", "span", "2019-01-01", "2021-12-31", 2021),
            ("2021..2022", "span", "2021-01-01", "2022-12-31", 2022),
        ];
        for (text, kind, start, end, year) in cases {
            let p = parse_period(text).unwrap();
            assert_eq!(
                (p.kind.as_str(), p.start.as_str(), p.end.as_str(), p.year),
                (*kind, *start, *end, *year),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_bad_periods() {
        for text in [
            "",
            "22",
            "2022-13",
            "2022-1",
            "2022..",
            "2021..2019",
            "2023-06..2023-01",
            "二〇二二",
            "2022/2023",
        ] {
            assert!(parse_period(text).is_err(), "{text}");
        }
    }
}
