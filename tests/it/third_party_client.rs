//! A real third-party client reads the schema: graphql-core (the Python reference
//! implementation, from PyPI) sends its standard introspection query (with descriptions,
//! `specifiedByURL` and deprecated input values) to the server over HTTP, builds a client
//! schema from the answer and checks it equals `schema.graphql` (see
//! `tests/clients/introspect.py` for what is normalised and why).
//!
//! Needs `python3` with `graphql-core` 3.2: without it the test fails with the install command.
//! `EDUSTATS_PYTHON` names the interpreter (`scripts/test` sets it to a private venv holding the
//! package).

use std::path::PathBuf;
use std::process::Command;

use crate::common::TestApp;

const INSTALL: &str = "scripts/test (it makes a venv with graphql-core), or python3 -m pip install 'graphql-core>=3.2,<3.3' (or: python3 -m venv V && V/bin/pip install 'graphql-core>=3.2,<3.3' && export EDUSTATS_PYTHON=V/bin/python3)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_core_builds_the_committed_schema_from_live_introspection() {
    let python = std::env::var("EDUSTATS_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let app = TestApp::empty();
    let (addr, _server) = crate::common::serve(&app).await;

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/clients/introspect.py");
    let schema = root.join("schema.graphql");
    let url = format!("http://{addr}/graphql");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg(&url)
            .arg(&schema)
            .output()
            .map_err(|e| format!("cannot run {python}: {e}"))
    })
    .await
    .expect("join");
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}. Install Python 3 and graphql-core: {INSTALL}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {
            assert!(stdout.contains("same schema"), "{stdout}");
            eprintln!("{}", stdout.trim());
        }
        Some(3) => panic!("graphql-core is missing ({}). Install it: {INSTALL}", stderr.trim()),
        Some(1) => panic!(
            "the schema graphql-core built from introspection differs from schema.graphql:\n{stdout}"
        ),
        _ => panic!("the client failed ({:?}):\n{stdout}\n{stderr}", out.status),
    }
}
