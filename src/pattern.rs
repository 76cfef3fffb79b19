//! The crate's one way to compile a regular expression written in the source: the patterns of
//! the document readers and the extractor are constants, so a pattern that does not compile is
//! a bug in this crate that the test below finds, never an input error to report at run time.

use regex::Regex;

/// Compiles `pattern`, a constant of this crate's source.
///
/// Only for literal patterns: the test in this module compiles every pattern passed here, found
/// by reading `src/`, so the `expect` cannot fire in a build whose tests pass. A pattern built
/// at run time from input must use [`Regex::new`] and handle its error.
#[allow(clippy::expect_used)]
pub(crate) fn regex(pattern: &'static str) -> Regex {
    Regex::new(pattern).expect("a constant pattern of this crate compiles (pattern::tests)")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `regex(r"…")` call in src/, as (file, pattern).
    fn calls(dir: &Path, out: &mut Vec<(String, String)>) {
        let call = Regex::new(r#"(?s)\bregex\(\s*r(#*)"(.*?)"(#*)\s*,?\s*\)"#).unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                calls(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for c in call.captures_iter(&text) {
                    assert_eq!(c[1], c[3], "{}: unbalanced raw string", path.display());
                    out.push((path.display().to_string(), c[2].to_string()));
                }
            }
        }
    }

    use regex::Regex;

    #[test]
    fn every_constant_pattern_compiles() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        calls(&src, &mut found);
        // The document readers' and the extractor's patterns: fewer would mean the search
        // above no longer sees the calls.
        assert!(found.len() >= 20, "only {} patterns found", found.len());
        for (file, pattern) in &found {
            if let Err(e) = Regex::new(pattern) {
                panic!("{file}: {pattern:?} does not compile: {e}");
            }
        }
    }
}
