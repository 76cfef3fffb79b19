//! The documentation, executed: every `sh` and `graphql` example in README.md and `docs/*.md`
//! runs, and its output is compared with the block that follows it on the page. A page that
//! drifts from the program fails here. The conventions (what runs where, how output is matched,
//! the one directive) are in `docs/testing.md`; in short:
//!
//! - `graphql` blocks of one page run in order against one freshly seeded in-process server; a
//!   following `json` block is the answer, compared as JSON values (numbers exactly as printed:
//!   `50.075` is not `50.074999999999996`), with the answer's `extensions` dropped when the page
//!   shows none. Without an answer block the query must answer without errors.
//! - `sh` blocks of one page run in order in one `bash` (variables, functions and background
//!   jobs carry over) in a scratch directory holding a copy of `seeds/` and `tests/fixtures/`,
//!   with `cargo run --release -- …` and `edustats …` running the binary this test was built
//!   with (the serve command's build). A following `json` or `text` block is the block's standard
//!   output: JSON as values, text line by line, where a line `…` stands for any lines.
//! - `<!-- doc-test: not run: REASON -->` just before a block leaves it out, saying why (listed
//!   in the test's output).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::TestApp;

/// A fenced block of a page.
#[derive(Debug, Clone)]
struct Block {
    file: String,
    /// 1-based line of the opening fence.
    line: usize,
    /// 1-based line of the closing fence.
    end: usize,
    /// The fence's indentation (blocks inside list items are indented).
    indent: usize,
    lang: String,
    text: String,
    /// The `doc-test:` directive on the line before the fence, if any.
    directive: Option<String>,
}

impl Block {
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
    fn skip_reason(&self) -> Option<&str> {
        self.directive
            .as_deref()
            .and_then(|d| d.strip_prefix("not run:"))
            .map(str::trim)
    }
    fn is_output(&self) -> bool {
        self.lang == "json" || self.lang == "text"
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages: README.md and every `docs/*.md`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// Fenced blocks with their language, indentation removed (fences inside list items are
/// indented).
fn blocks(path: &Path) -> Vec<Block> {
    let file = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).expect("read page");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if let Some(lang) = trimmed.strip_prefix("```") {
            let indent = lines[i].len() - trimmed.len();
            let start = i;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                let l = lines[i];
                body.push(if l.len() >= indent && l[..indent].trim().is_empty() {
                    &l[indent..]
                } else {
                    l.trim_start()
                });
                i += 1;
            }
            let directive = start
                .checked_sub(1)
                .map(|p| lines[p].trim())
                .and_then(|l| l.strip_prefix("<!-- doc-test:"))
                .and_then(|l| l.strip_suffix("-->"))
                .map(|d| d.trim().to_string());
            out.push(Block {
                file: file.clone(),
                line: start + 1,
                end: i + 1,
                indent,
                lang: lang.trim().to_string(),
                text: body.join("\n"),
                directive,
            });
        }
        i += 1;
    }
    out
}

/// Runnable blocks of a language, each with the output block that follows it (the next fenced
/// block, when it is `json` or `text`).
fn runnable(blocks: &[Block], lang: &str) -> Vec<(Block, Option<Block>)> {
    let mut out = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        if b.lang != lang {
            continue;
        }
        if let Some(reason) = b.skip_reason() {
            assert!(!reason.is_empty(), "{}: a skipped block says why", b.at());
            println!("not run: {} ({reason})", b.at());
            continue;
        }
        let next = blocks.get(i + 1).filter(|n| n.is_output()).cloned();
        out.push((b.clone(), next));
    }
    out
}

/// Compares a block's output with the page's: JSON as a sequence of values, text line by line
/// with `…` lines as wildcards. Returns a description of the difference.
fn differs(expected: &Block, actual: &str) -> Option<String> {
    if expected.lang == "json" {
        let parse = |s: &str| -> Result<Vec<Value>, String> {
            serde_json::Deserializer::from_str(s)
                .into_iter::<Value>()
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())
        };
        let want = match parse(&expected.text) {
            Ok(v) => v,
            Err(e) => return Some(format!("the page's JSON does not parse: {e}")),
        };
        let got = match parse(actual) {
            Ok(v) => v,
            Err(e) => return Some(format!("the output is not JSON ({e}):\n{actual}")),
        };
        return (got != want).then(|| {
            let show = |v: &[Value]| {
                v.iter()
                    .map(|x| serde_json::to_string_pretty(x).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            format!(
                "the page shows:\n{}\nthe program printed:\n{}",
                show(&want),
                show(&got)
            )
        });
    }
    let want: Vec<&str> = expected
        .text
        .trim_end()
        .lines()
        .map(str::trim_end)
        .collect();
    let got: Vec<&str> = actual.trim_end().lines().map(str::trim_end).collect();
    (!lines_match(&want, &got)).then(|| {
        format!(
            "the page shows:\n{}\nthe program printed:\n{}",
            want.join("\n"),
            got.join("\n")
        )
    })
}

/// With `EDUSTATS_DOCS_BLESS=1`, a page's output block that differs is rewritten with what the
/// program printed (JSON in the block's style: one value per line when the page had it so,
/// else indented), and the test still fails so that the run cannot pass unseen; review the diff
/// with `git diff docs/ README.md`. As `cargo insta review` did for the snapshots this replaced.
fn bless(expected: &Block, actual: &str) {
    if std::env::var("EDUSTATS_DOCS_BLESS").as_deref() != Ok("1") {
        return;
    }
    let text = if expected.lang == "json" {
        let values: Vec<Value> = serde_json::Deserializer::from_str(actual)
            .into_iter::<Value>()
            .filter_map(Result::ok)
            .collect();
        let compact = expected.text.trim().lines().count() <= values.len().max(1);
        values
            .iter()
            .map(|v| {
                if compact {
                    serde_json::to_string(v).unwrap_or_default()
                } else {
                    serde_json::to_string_pretty(v).unwrap_or_default()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        actual.trim_end().to_string()
    };
    BLESSED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((expected.clone(), text));
}

static BLESSED: std::sync::Mutex<Vec<(Block, String)>> = std::sync::Mutex::new(Vec::new());

/// Writes the blessed outputs into their pages, bottom up so that earlier line numbers hold.
fn write_blessed() {
    let mut all = std::mem::take(&mut *BLESSED.lock().unwrap_or_else(|e| e.into_inner()));
    all.sort_by(|a, b| (&b.0.file, b.0.line).cmp(&(&a.0.file, a.0.line)));
    for (block, text) in all {
        let path = root().join(&block.file);
        let page = std::fs::read_to_string(&path).expect("page");
        let mut lines: Vec<String> = page.lines().map(String::from).collect();
        let pad = " ".repeat(block.indent);
        let body: Vec<String> = text
            .lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{l}")
                }
            })
            .collect();
        lines.splice(block.line..block.end - 1, body);
        let trailing = if page.ends_with('\n') { "\n" } else { "" };
        std::fs::write(&path, lines.join("\n") + trailing).expect("write page");
    }
}

/// Line-by-line match where a `…` line of `want` stands for any number of lines.
fn lines_match(want: &[&str], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((&"…", rest)) => (0..=got.len()).any(|k| lines_match(rest, &got[k..])),
        Some((w, rest)) => got
            .split_first()
            .is_some_and(|(g, grest)| g == w && lines_match(rest, grest)),
    }
}

#[test]
fn the_wildcard_and_json_comparisons_can_fail() {
    assert!(lines_match(&["a", "…", "d"], &["a", "b", "c", "d"]));
    assert!(lines_match(&["a", "…"], &["a"]));
    assert!(!lines_match(&["a", "…", "d"], &["a", "b", "c"]));
    assert!(!lines_match(&["a"], &["a", "b"]));
    let json = |t: &str| Block {
        file: "x".into(),
        line: 1,
        end: 3,
        indent: 0,
        lang: "json".into(),
        text: t.into(),
        directive: None,
    };
    assert!(differs(&json("{\"v\": 50.075}"), "{\"v\": 50.074999999999996}").is_some());
    assert!(differs(&json("{\"v\": 95}"), "{\"v\": 95.0}").is_some());
    assert!(differs(&json("{\"a\":1} {\"b\":2}"), "{\"a\":1}\n{\"b\":2}\n").is_none());
    assert!(differs(&json("{\"a\":1}"), "{\"a\":1,\"extensions\":{}}").is_some());
}

/// A variable written `"@file:PATH"` is the content of that file of the repository (a report's
/// text is too long for the page).
fn with_files(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for value in o.values_mut() {
            if let Some(path) = value.as_str().and_then(|s| s.strip_prefix("@file:")) {
                *value = Value::String(
                    std::fs::read_to_string(root().join(path)).expect("a variable's file"),
                );
            }
        }
    }
    v
}

/// `graphql` blocks, page by page, against a seeded server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_examples_answer_as_the_pages_show() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in pages() {
        let examples = runnable(&blocks(&page), "graphql");
        if examples.is_empty() {
            continue;
        }
        let app = TestApp::seeded();
        let editor = app.key("docs-editor", edustats::auth::Role::Editor);
        let admin = app.key("docs-admin", edustats::auth::Role::Admin);
        for (block, output) in examples {
            ran += 1;
            let variables = match block
                .directive
                .as_deref()
                .and_then(|d| d.split_once("variables"))
            {
                Some((_, v)) => with_files(serde_json::from_str(v.trim()).expect("variables")),
                None => serde_json::json!({}),
            };
            let key = match block.directive.as_deref() {
                Some(d) if d.contains("admin") => Some(&admin),
                _ if block.text.trim_start().starts_with("mutation") => Some(&editor),
                _ => None,
            };
            let answer = match key {
                Some(k) => app.graphql_as(k, &block.text, variables).await,
                None => app.graphql(&block.text, variables).await,
            };
            match output {
                Some(out) => {
                    let mut shown = answer.clone();
                    if !out.text.contains("\"extensions\"") {
                        if let Some(o) = shown.as_object_mut() {
                            o.remove("extensions");
                        }
                    }
                    if let Some(d) = differs(&out, &shown.to_string()) {
                        failures.push(format!("{} (answer at {}): {d}", block.at(), out.at()));
                        bless(&out, &shown.to_string());
                    }
                }
                None => {
                    if answer.get("errors").is_some() {
                        failures.push(format!("{}: the example fails: {answer}", block.at()));
                    }
                }
            }
        }
    }
    write_blessed();
    println!("{ran} GraphQL examples run");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 10, "only {ran} GraphQL examples found");
}

/// The scratch directory a page's shell examples run in: what a user's checkout holds that the
/// examples read (`seeds/`, `tests/fixtures/`), copied so nothing is written into the repository.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for part in ["seeds", "tests/fixtures"] {
        let status = Command::new("cp")
            .args(["-r", "--parents", part])
            .arg(dir.path())
            .current_dir(root())
            .status()
            .expect("cp");
        assert!(status.success(), "copy {part}");
    }
    // `cargo run --release -- ARGS` and `edustats ARGS` run this build's binary.
    let bin = dir.path().join(".doc-bin");
    std::fs::create_dir(&bin).expect("bin dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_edustats"), bin.join("edustats"))
        .expect("symlink");
    std::fs::write(
        bin.join("cargo"),
        "#!/usr/bin/env bash\n\
         # cargo as the documentation's examples use it: only `cargo run --release -- ARGS`.\n\
         if [ \"$1 $2 $3\" = 'run --release --' ]; then shift 3; exec edustats \"$@\"; fi\n\
         echo \"doc test: only 'cargo run --release -- …' runs in the examples (the serve build), not: cargo $*\" >&2\n\
         exit 97\n",
    )
    .expect("cargo shim");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(bin.join("cargo"))
        .status()
        .expect("chmod");
    assert!(status.success());
    dir
}

/// One page's `sh` blocks as one script, each block's output between markers. The serve
/// command written without `&` (as a user runs it in a terminal of its own) runs in the
/// background, and the script waits until it answers; `scripts/test` (the command running this
/// test) is not run again here: `ci_runs_the_readme_test_command` checks it instead.
fn script(examples: &[(Block, Option<Block>)]) -> String {
    let mut s = String::from(
        "set -eo pipefail\n\
         __doc_cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; }\n\
         trap __doc_cleanup EXIT\n\
         __doc_wait() { for _ in $(seq 1 300); do curl -sf \"$1\" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo \"doc test: $1 never answered\" >&2; return 1; }\n",
    );
    for (i, (block, _)) in examples.iter().enumerate() {
        s.push_str(&format!("printf '\\n@@DOC-BLOCK {i}@@\\n'\n"));
        for line in block.text.lines() {
            let command = line.split(" #").next().unwrap_or(line).trim();
            if command == "scripts/test" {
                s.push_str(": scripts/test is the command running this test\n");
            } else if command.contains("cargo run --release -- serve") && !command.ends_with('&') {
                let addr = command
                    .split_whitespace()
                    .skip_while(|w| *w != "--addr")
                    .nth(1)
                    .unwrap_or("127.0.0.1:8080");
                s.push_str(&format!("{command} &\n__doc_wait http://{addr}/readyz\n"));
            } else {
                s.push_str(line);
                s.push('\n');
            }
        }
    }
    s.push_str("printf '\\n@@DOC-END@@\\n'\n");
    s
}

/// Shell examples run one page at a time: pages start servers on fixed ports.
static SHELL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_shell_page(page: &Path) -> Result<usize, String> {
    let examples = runnable(&blocks(page), "sh");
    if examples.is_empty() {
        return Ok(0);
    }
    let _one_at_a_time = SHELL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch();
    let path = format!(
        "{}:{}",
        dir.path().join(".doc-bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script(&examples))
        .current_dir(dir.path())
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("EDUSTATS_") || k.starts_with("TEST_DATABASE") {
            cmd.env_remove(k);
        }
    }
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().expect("bash");
    let pid = child.id();
    // A page that hangs is killed (with the servers it started) after three minutes.
    let watchdog = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        while std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            if Command::new("kill")
                .args(["-0", &pid.to_string()])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| !s.success())
            {
                return;
            }
        }
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    });
    let out = child.wait_with_output().expect("bash output");
    let _ = Command::new("kill")
        .args(["--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
    let _ = watchdog.join();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let mut outputs: BTreeMap<usize, String> = BTreeMap::new();
    let mut current: Option<usize> = None;
    let mut ended = false;
    for line in stdout.split_inclusive('\n') {
        let marker = line.trim_end();
        if let Some(n) = marker
            .strip_prefix("@@DOC-BLOCK ")
            .and_then(|r| r.strip_suffix("@@"))
        {
            current = n.parse().ok();
            continue;
        }
        if marker == "@@DOC-END@@" {
            ended = true;
            current = None;
            continue;
        }
        if let Some(i) = current {
            outputs.entry(i).or_default().push_str(line);
        }
    }
    let reached = outputs.keys().last().copied();
    if !out.status.success() || !ended {
        let at = reached
            .and_then(|i| examples.get(i))
            .map(|(b, _)| b.at())
            .unwrap_or_else(|| "before the first block".into());
        return Err(format!(
            "{}: the shell examples stopped ({}) in the block at {at}\nstdout:\n{}\nstderr:\n{}",
            page.display(),
            out.status,
            outputs
                .get(&reached.unwrap_or(0))
                .map(String::as_str)
                .unwrap_or(""),
            stderr
        ));
    }
    let mut failures = Vec::new();
    for (i, (block, expected)) in examples.iter().enumerate() {
        if let Some(expected) = expected {
            let got = outputs.get(&i).map(String::as_str).unwrap_or("");
            if let Some(d) = differs(expected, got) {
                failures.push(format!("{} (output at {}): {d}", block.at(), expected.at()));
                bless(expected, got);
            }
        }
    }
    if failures.is_empty() {
        Ok(examples.len())
    } else {
        Err(failures.join("\n\n"))
    }
}

/// The page whose examples need a PostgreSQL server on 127.0.0.1:5432 (run by
/// `postgres_page_examples_run`, ignored without `--include-ignored` like the other tests that
/// need one).
const POSTGRES_PAGE: &str = "docs/postgresql.md";

#[test]
#[ignore = "needs PostgreSQL on 127.0.0.1:5432; scripts/test passes --include-ignored"]
fn postgres_page_examples_run() {
    let n = run_shell_page(&root().join(POSTGRES_PAGE)).unwrap_or_else(|e| panic!("{e}"));
    assert!(n >= 1, "{POSTGRES_PAGE} has no shell example");
}

#[test]
fn shell_examples_run_and_print_what_the_pages_show() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for page in pages().into_iter().filter(|p| !p.ends_with(POSTGRES_PAGE)) {
        match run_shell_page(&page) {
            Ok(n) => ran += n,
            Err(e) => failures.push(e),
        }
    }
    write_blessed();
    println!("{ran} shell examples run");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 10, "only {ran} shell examples found");
}

/// The README's test command is the one CI runs, and it is the script that sets itself up.
#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    let two = blocks(&root().join("README.md"))
        .into_iter()
        .find(|b| b.lang == "sh")
        .expect("the two commands");
    let commands: Vec<&str> = two
        .text
        .lines()
        .map(|l| l.split(" #").next().unwrap_or(l).trim())
        .collect();
    assert_eq!(
        commands,
        ["cargo run --release -- serve", "scripts/test"],
        "README's two commands"
    );
    assert!(
        ci.lines().any(|l| l.trim() == "scripts/test"),
        ".ci/run runs the README's test command"
    );
    assert!(readme.lines().count() <= 300, "README.md is over 300 lines");
}

/// The examples use the serve command's build: a `cargo run` without `--release` would start a
/// second, debug, build.
#[test]
fn no_page_names_a_debug_build() {
    for page in pages() {
        for b in blocks(&page).iter().filter(|b| b.lang == "sh") {
            for line in b.text.lines() {
                let l = line.trim_start();
                assert!(
                    !l.starts_with("cargo run") || l.starts_with("cargo run --release --"),
                    "{}: `{l}`: the examples use the serve command's build (cargo run --release --)",
                    b.at()
                );
            }
        }
    }
}

/// Every relative link and image of the pages names a file of the repository, resolved from
/// the page's own folder as a Markdown viewer resolves it (a screenshot linked from docs/ as
/// `web/...` shows as a broken image).
#[test]
fn relative_links_of_the_pages_name_files_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let dir = page.parent().expect("page folder");
        let mut in_fence = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence {
                continue;
            }
            let mut rest = line;
            while let Some(at) = rest.find("](") {
                let after = &rest[at + 2..];
                let Some(end) = after.find(')') else { break };
                let target = &after[..end];
                rest = &after[end..];
                let path = target.split('#').next().unwrap_or("");
                if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                if !dir.join(path).exists() {
                    broken.push(format!(
                        "{}:{}: {target}",
                        page.strip_prefix(root()).unwrap_or(&page).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: the scan is broken"
    );
    assert!(
        broken.is_empty(),
        "links to no file:\n{}",
        broken.join("\n")
    );
}
