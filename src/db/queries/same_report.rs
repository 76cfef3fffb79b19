//! The same report found again: a report being read (by `edustats extract`) or made into a
//! review draft (by `extractReport`) is compared with the sources of the warehouse and the
//! open drafts, by the SHA-256 of its text (whitespace aside) and by its document number (文号).
//! Both are indexed columns (`sources.text_sha256`, `sources.doc_number`,
//! `drafts.text_sha256`, `drafts.doc_number`), so the lookup costs two index probes per
//! report whatever the size of the warehouse, and no stored text is read.
//!
//! One implementation for every caller: the CLI's warning, the draft's `repeats` and the
//! refusal to publish a draft whose report is already a source.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::backend::DbConnection;
use crate::db::schema::{drafts, sources};
use crate::domain::{DraftStatus, RepeatReason};

/// What a report repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeated {
    /// A source of the warehouse, by code.
    Source(String),
    /// An open review draft.
    Draft {
        /// The draft's id.
        id: i32,
        /// The source code it would create.
        code: String,
    },
}

/// A source or open draft holding the same report, and why it is taken for the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameReport {
    /// The source or draft.
    pub of: Repeated,
    /// The same text, or (the text differing) the same document number.
    pub reason: RepeatReason,
}

/// A report to look for.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    /// [`text_sha256`] of its text.
    pub text_sha256: &'a str,
    /// Its document number, if it prints one.
    pub doc_number: Option<&'a str>,
    /// The draft it is, left out of its own repeats.
    pub draft: Option<i32>,
}

/// The hex SHA-256 of `text` without its whitespace (`char::is_whitespace`, ideographic space
/// included): a report pasted again, saved with other line ends or wrapped at other places is
/// the same text.
pub fn text_sha256(text: &str) -> String {
    let mut hash = Sha256::new();
    let mut buf = [0u8; 4];
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        hash.update(c.encode_utf8(&mut buf).as_bytes());
    }
    hex::encode(hash.finalize())
}

/// A document number as compared: trimmed, `None` when blank.
pub fn doc_number_key(number: Option<&str>) -> Option<&str> {
    number.map(str::trim).filter(|n| !n.is_empty())
}

/// Probes per pair of statements: keeps SQLite's bound parameters far under its limit.
const PROBES_PER_QUERY: usize = 400;

/// For each probe, the sources (by code) then the open drafts (by id) that hold the same
/// report: the same text, else the same document number. Two statements per 400 probes.
pub fn same_reports(
    conn: &mut DbConnection,
    probes: &[Probe<'_>],
) -> QueryResult<Vec<Vec<SameReport>>> {
    let mut out = Vec::with_capacity(probes.len());
    for chunk in probes.chunks(PROBES_PER_QUERY) {
        out.extend(same_reports_chunk(conn, chunk)?);
    }
    Ok(out)
}

/// Why a report with the digest `text_sha256` and the document number `doc_number` is the same
/// as `probe`: the same text, else the same (non-blank) document number. The one statement of
/// the rule, for stored reports and for the reports of one `edustats extract` run alike.
pub fn reason(
    probe: &Probe<'_>,
    text_sha256: Option<&str>,
    doc_number: Option<&str>,
) -> Option<RepeatReason> {
    if text_sha256 == Some(probe.text_sha256) {
        Some(RepeatReason::SameText)
    } else if doc_number_key(probe.doc_number).is_some()
        && doc_number_key(doc_number) == doc_number_key(probe.doc_number)
    {
        Some(RepeatReason::SameDocumentNumber)
    } else {
        None
    }
}

fn same_reports_chunk(
    conn: &mut DbConnection,
    probes: &[Probe<'_>],
) -> QueryResult<Vec<Vec<SameReport>>> {
    let digests: Vec<&str> = probes.iter().map(|p| p.text_sha256).collect();
    let numbers: Vec<&str> = probes
        .iter()
        .filter_map(|p| doc_number_key(p.doc_number))
        .collect();
    let in_sources: Vec<(String, Option<String>, Option<String>)> = sources::table
        .filter(
            sources::text_sha256
                .eq_any(&digests)
                .or(sources::doc_number.eq_any(&numbers)),
        )
        .select((sources::code, sources::text_sha256, sources::doc_number))
        .order(sources::code.asc())
        .load(conn)?;
    let in_drafts: Vec<(i32, String, Option<String>, Option<String>)> = drafts::table
        .filter(drafts::status.eq(DraftStatus::Open.as_str()))
        .filter(
            drafts::text_sha256
                .eq_any(&digests)
                .or(drafts::doc_number.eq_any(&numbers)),
        )
        .select((
            drafts::id,
            drafts::code,
            drafts::text_sha256,
            drafts::doc_number,
        ))
        .order(drafts::id.asc())
        .load(conn)?;
    Ok(probes
        .iter()
        .map(|p| {
            let sources = in_sources.iter().filter_map(|(code, digest, number)| {
                let reason = reason(p, digest.as_deref(), number.as_deref())?;
                Some(SameReport {
                    of: Repeated::Source(code.clone()),
                    reason,
                })
            });
            let drafts = in_drafts
                .iter()
                .filter(|(id, ..)| p.draft != Some(*id))
                .filter_map(|(id, code, digest, number)| {
                    let reason = reason(p, digest.as_deref(), number.as_deref())?;
                    Some(SameReport {
                        of: Repeated::Draft {
                            id: *id,
                            code: code.clone(),
                        },
                        reason,
                    })
                });
            sources.chain(drafts).collect()
        })
        .collect())
}

/// The sources and open drafts holding the same report as a text with a document number
/// (the CLI's question about one report): [`same_reports`] for one probe.
pub fn same_report(
    conn: &mut DbConnection,
    doc_number: Option<&str>,
    text: &str,
) -> QueryResult<Vec<SameReport>> {
    let digest = text_sha256(text);
    let probe = Probe {
        text_sha256: &digest,
        doc_number,
        draft: None,
    };
    Ok(same_reports(conn, &[probe])?.pop().unwrap_or_default())
}

/// Rows per statement while filling digests: bounds the texts held in memory at once.
const FILL_BATCH: usize = 100;

/// Fills `text_sha256` (and a draft's `doc_number`) where it is missing: the rows stored before
/// the column existed, or written by a tool that does not set it. Run after the migrations;
/// costs one index probe per table when nothing is missing. Returns the rows filled.
pub fn fill_text_sha256(conn: &mut DbConnection) -> QueryResult<usize> {
    // Read first: a server over a read-only database must still start when nothing is
    // missing, and a write transaction would be refused there.
    let source_ids: Vec<i32> = sources::table
        .filter(sources::text_sha256.is_null())
        .select(sources::id)
        .load(conn)?;
    let draft_ids: Vec<i32> = drafts::table
        .filter(drafts::text_sha256.is_null())
        .select(drafts::id)
        .load(conn)?;
    if source_ids.is_empty() && draft_ids.is_empty() {
        return Ok(0);
    }
    crate::db::backend::write_transaction(conn, |conn| {
        let mut filled = 0;
        for chunk in source_ids.chunks(FILL_BATCH) {
            let rows: Vec<(i32, String)> = sources::table
                .filter(sources::id.eq_any(chunk))
                .select((sources::id, sources::body))
                .load(conn)?;
            for (id, body) in rows {
                filled += diesel::update(sources::table.filter(sources::id.eq(id)))
                    .set(sources::text_sha256.eq(text_sha256(&body)))
                    .execute(conn)?;
            }
        }
        for chunk in draft_ids.chunks(FILL_BATCH) {
            let rows: Vec<(i32, String)> = drafts::table
                .filter(drafts::id.eq_any(chunk))
                .select((drafts::id, drafts::source))
                .load(conn)?;
            for (id, source) in rows {
                // The source record as the drafts module stores it (`SourceInput` as JSON);
                // read loosely here, below the layer that owns the type. A record that does
                // not parse gets the digest of an empty text rather than stopping the server.
                let record: serde_json::Value = serde_json::from_str(&source).unwrap_or_default();
                let text = record["text"].as_str().unwrap_or_default();
                let number = doc_number_key(record["doc_number"].as_str());
                filled += diesel::update(drafts::table.filter(drafts::id.eq(id)))
                    .set((
                        drafts::text_sha256.eq(text_sha256(text)),
                        drafts::doc_number.eq(number),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(filled)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_ignores_whitespace_only() {
        let a = text_sha256("全区共有学校269所，\r\n其中公办172所。\n");
        assert_eq!(a, text_sha256("全区共有学校 269 所，其中公办172所。"));
        assert_eq!(
            a,
            text_sha256("全区共有学校269所，\u{3000}其中\n公办172所。")
        );
        assert_ne!(a, text_sha256("全区共有学校268所，其中公办172所。"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_blank_document_number_matches_nothing() {
        let p = Probe {
            text_sha256: "x",
            doc_number: Some("  "),
            draft: None,
        };
        assert_eq!(reason(&p, Some("y"), Some("")), None);
        let p = Probe {
            doc_number: Some(" 荣昌府发〔2022〕12号 "),
            ..p
        };
        assert_eq!(
            reason(&p, Some("y"), Some("荣昌府发〔2022〕12号")),
            Some(RepeatReason::SameDocumentNumber)
        );
        assert_eq!(reason(&p, Some("x"), None), Some(RepeatReason::SameText));
    }
}
