//! Plain text, and the charset detection every text format goes through: a BOM, then UTF-16
//! without a BOM (NUL bytes in every other position), then UTF-8, then chardetng's guess
//! (GBK/GB18030, Big5, the single-byte encodings …). Chinese government files are often GBK
//! and Windows tools write UTF-16.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use super::{DocMeta, Document, Format, ReadError};

/// Whether `bytes` start with a byte-order mark.
pub fn has_bom(bytes: &[u8]) -> bool {
    Encoding::for_bom(bytes).is_some()
}

/// Share of decoded characters that may be replacement characters before the text counts as
/// undecodable (one bad byte in a long file is a damaged character, not a wrong encoding).
const MAX_BAD_SHARE: f64 = 0.001;

/// Decodes `bytes` to text.
pub fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (s, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return checked(s.into_owned());
    }
    // Before UTF-8: ASCII in UTF-16 is valid UTF-8 too, with a NUL after every character.
    if let Some(enc) = utf16_without_bom(bytes) {
        let (s, _) = enc.decode_without_bom_handling(bytes);
        return checked(s.into_owned());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return checked(s.to_string());
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (s, _, _) = enc.decode(bytes);
    checked(s.into_owned())
}

/// UTF-16 without a BOM: mostly NUL in the high bytes of ASCII characters.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd * 3 > pairs && even * 10 < pairs {
        Some(UTF_16LE)
    } else if even * 3 > pairs && odd * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Text with too many replacement or control characters is not text in the encoding tried.
fn checked(s: String) -> Result<String, ReadError> {
    let total = s.chars().count().max(1);
    let bad = s
        .chars()
        .filter(|&c| {
            c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        })
        .count();
    if bad as f64 / total as f64 > MAX_BAD_SHARE && bad > 2 {
        return Err(ReadError::Undecodable);
    }
    // Each replacement copies the text: only when there is something to replace.
    Ok(if s.contains('\u{0}') {
        s.replace('\u{0}', "")
    } else {
        s
    })
}

/// The charset a page names in its first bytes (`<meta charset="gb2312">` or
/// `<meta http-equiv="Content-Type" content="text/html; charset=GBK">`).
pub fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find(&lower, b"charset=")? + b"charset=".len();
    let rest = &lower[at..];
    let rest = rest
        .iter()
        .position(|b| !matches!(b, b'"' | b'\'' | b' '))
        .map_or(&rest[..0], |p| &rest[p..]);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')))
        .unwrap_or(rest.len());
    let enc = Encoding::for_label(&rest[..end])?;
    // A UTF-16 label in an ASCII-compatible byte stream is a lie the HTML standard also
    // overrides.
    if enc == UTF_16LE || enc == UTF_16BE {
        Some(UTF_8)
    } else {
        Some(enc)
    }
}

/// Plain text as it is: the extractor reads its line structure (flattened tables).
pub fn read(text: String) -> Document {
    Document {
        format: Format::Text,
        // Each replacement copies the text: only when there are carriage returns.
        text: if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        },
        tables: Vec::new(),
        meta: DocMeta::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "荣昌区认真对照评价要点，对2022年以来党中央、国务院和市委、市政府教育工作决策部署的贯彻落实情况进行全面自查自评。";

    #[test]
    fn gbk_utf16_and_utf8_decode_to_the_same_text() {
        let (gbk, _, _) = encoding_rs::GBK.encode(SAMPLE);
        assert_eq!(decode(&gbk).unwrap(), SAMPLE);
        let le: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(&le);
        assert_eq!(decode(&bom).unwrap(), SAMPLE);
        let ascii = "Total 2022: 199950";
        let le: Vec<u8> = ascii.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le).unwrap(), ascii);
        assert_eq!(decode(SAMPLE.as_bytes()).unwrap(), SAMPLE);
    }

    #[test]
    fn binary_noise_is_undecodable() {
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        assert_eq!(decode(&noise), Err(ReadError::Undecodable));
    }

    #[test]
    fn the_meta_tag_names_the_charset() {
        let page =
            br#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">"#;
        assert_eq!(meta_charset(page), Some(encoding_rs::GBK));
        assert_eq!(meta_charset(b"<meta charset='UTF-8'>"), Some(UTF_8));
        assert_eq!(meta_charset(b"<p>no charset</p>"), None);
    }
}
