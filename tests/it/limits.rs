//! Request limits and the codes of errors raised before a query runs: a body over the limit is
//! HTTP 413 with a JSON error (declared or chunked), a body that is not a GraphQL request is
//! `BAD_REQUEST`, a batch is answered up to its bound, parse and validation failures carry
//! Apollo's codes, oversized strings and lists in reads are `BAD_USER_INPUT` (while a mutation
//! may carry a report's text), the request time limit answers `TIMEOUT`, and so does
//! PostgreSQL's statement timeout.

use std::time::Duration;

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use edustats::http::Limits;
use serde_json::{json, Value};

fn post(body: impl Into<Body>) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request")
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, Value) {
    let (status, text) = app.send(req).await;
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_with_a_json_error() {
    let app = TestApp::seeded().with_limits(Limits {
        body_bytes: 4096,
        ..Limits::default()
    });
    let big = json!({ "query": format!("{{ districts {{ code }} }} # {}", "x".repeat(5000)) })
        .to_string();
    // With a declared length.
    let (status, v) = send(&app, post(big.clone())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(code(&v), "PAYLOAD_TOO_LARGE");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4096")),
        "{v}"
    );
    // Streamed without a length: refused once it passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = Body::from_stream(tokio_stream::iter(chunks));
    let (status, v) = send(&app, post(stream)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(code(&v), "PAYLOAD_TOO_LARGE");
    // Under the limit: answered.
    let (status, v) = send(
        &app,
        post(json!({"query": "{ districts { code } }"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["districts"].as_array().map(Vec::len), Some(39));
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_request_is_bad_request() {
    let app = TestApp::seeded();
    for body in ["not json", "{\"query\": 42}", "42", "[]"] {
        let (status, v) = send(&app, post(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(code(&v), "BAD_REQUEST", "{body}: {v}");
    }
}

#[tokio::test]
async fn a_batch_is_answered_in_order_up_to_its_bound() {
    let app = TestApp::seeded().with_limits(Limits {
        max_batch: 3,
        ..Limits::default()
    });
    let batch = json!([
        {"query": "{ district(code: \"500153\") { nameEn } }"},
        {"query": "{ district(code: \"500111\") { nameEn } }"},
    ]);
    let (status, v) = send(&app, post(batch.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v[0]["data"]["district"]["nameEn"], "Rongchang District");
    assert_eq!(v[1]["data"]["district"]["nameEn"], "Dazu District");
    let four = json!(vec![json!({"query": "{ __typename }"}); 4]);
    let (status, v) = send(&app, post(four.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(code(&v), "BAD_REQUEST");
    assert!(v["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("1 to 3")));
}

#[tokio::test]
async fn parse_and_validation_errors_carry_apollo_codes() {
    let app = TestApp::seeded();
    let cases = [
        ("{ districts { code ", "GRAPHQL_PARSE_FAILED"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ ranking(indicator: 5, year: 2022) { coverage } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ districts }", "GRAPHQL_VALIDATION_FAILED"),
        // Too deep (the depth limit is checked while parsing, but the document parsed).
        (
            "{ observations(first: 1) { nodes { source { observations(first: 1) { nodes { source { observations(first: 1) { nodes { source { observations(first: 1) { nodes { district { code } } } } } } } } } } } } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        // No query at all: an empty document.
        ("", "GRAPHQL_PARSE_FAILED"),
    ];
    for (query, expected) in cases {
        let v = app.graphql(query, json!({})).await;
        assert_eq!(code(&v), expected, "{query}: {v}");
    }
    // A resolver's own error keeps its code.
    let v = app
        .graphql("{ district(code: \"999999\") { code } }", json!({}))
        .await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
}

#[tokio::test]
async fn an_operation_that_cannot_be_chosen_is_operation_resolution_failure() {
    let app = TestApp::seeded();
    let two = "query A { districts { code } } query B { indicators { code } }";
    let cases = [
        (json!({"query": two}), "OPERATION_RESOLUTION_FAILURE"),
        (
            json!({"query": two, "operationName": "C"}),
            "OPERATION_RESOLUTION_FAILURE",
        ),
        (
            json!({"query": "{ districts { code } }", "operationName": "A"}),
            "OPERATION_RESOLUTION_FAILURE",
        ),
    ];
    for (body, expected) in cases {
        let (status, v) = send(&app, post(body.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(code(&v), expected, "{body}: {v}");
        assert!(v["data"].is_null(), "{v}");
        assert!(
            v["extensions"]["cost"].is_null(),
            "a refusal has no cost: {v}"
        );
    }
    // The named one runs, and only it.
    let (_, v) = send(
        &app,
        post(json!({"query": two, "operationName": "B"}).to_string()),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    assert!(v["data"]["indicators"].is_array(), "{v}");
    assert!(v["data"]["districts"].is_null(), "{v}");
    assert_eq!(
        v["extensions"]["cost"]["requested"], 4,
        "both operations count: {v}"
    );
}

#[tokio::test]
async fn a_document_over_the_complexity_limit_is_validation_failed_without_cost() {
    let app = TestApp::seeded();
    // 1,001 × 2 = 2,002 fields, under the depth limit and the fragment budget.
    let fields = (0..1001)
        .map(|i| format!("d{i}: districts {{ code }}"))
        .collect::<Vec<_>>();
    let v = app
        .graphql(&format!("{{ {} }}", fields.join(" ")), json!({}))
        .await;
    assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED", "{v}");
    assert!(v["data"].is_null(), "{v}");
    assert!(v["extensions"]["cost"].is_null(), "{v}");
    // `__typename` is not counted, as async-graphql does not count it.
    let v = app
        .graphql("{ __typename districts { code __typename } }", json!({}))
        .await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["extensions"]["cost"]["requested"], 2, "{v}");
    assert_eq!(v["extensions"]["cost"]["limit"], 2000, "{v}");
}

#[tokio::test]
async fn oversized_strings_and_lists_in_reads_are_bad_user_input() {
    let app = TestApp::seeded();
    let long = "教".repeat(1001);
    // A literal argument, a variable, and a list variable.
    let literal = format!("{{ indicators(search: \"{long}\") {{ code }} }}");
    let v = app.graphql(&literal, json!({})).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert!(v["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("`search`") && m.contains("1001")));
    let v = app
        .graphql(
            "query($s: String) { indicators(search: $s) { code } }",
            json!({"s": long}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let many: Vec<String> = (0..1001).map(|i| format!("d{i}")).collect();
    let v = app
        .graphql(
            "query($d: [String!]) { observations(filter: { districts: $d }, first: 1) { totalCount } }",
            json!({"d": many}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // At the limit: answered.
    let v = app
        .graphql(
            "query($s: String) { indicators(search: $s) { code } }",
            json!({"s": "教".repeat(1000)}),
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");
}

/// The time limit covers the whole request, including the wait for a connection: with the
/// pool's only connection held elsewhere, the request answers `TIMEOUT` at the limit instead of
/// waiting for the pool's checkout timeout.
#[tokio::test]
async fn a_request_past_the_time_limit_is_timeout() {
    let app = TestApp::empty_on(
        crate::common::backend(),
        edustats::db::PoolOptions {
            max_size: 1,
            ..Default::default()
        },
    )
    .with_limits(Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    });
    let held = app.db.get().expect("the pool's only connection");
    let started = std::time::Instant::now();
    let (status, v) = send(
        &app,
        post(json!({"query": "{ districts { code } }"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(code(&v), "TIMEOUT", "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered at the request limit, not the 5 s checkout timeout"
    );
    drop(held);
}

/// PostgreSQL's statement timeout becomes `TIMEOUT`. SQLite has none, so this needs a
/// PostgreSQL server: ignored by default, run by `.ci/run` with `--include-ignored`.
#[tokio::test]
#[ignore = "needs PostgreSQL: set PARITY_DATABASE_URL (or TEST_DATABASE_URL) and pass --include-ignored"]
async fn a_statement_past_the_statement_timeout_is_timeout() {
    assert!(
        crate::common::postgres_url().is_some(),
        "set PARITY_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server"
    );
    let app = TestApp::empty_on(
        edustats::db::Backend::Postgres,
        edustats::db::PoolOptions {
            statement_timeout: Some(Duration::from_millis(50)),
            ..Default::default()
        },
    );
    let result = app
        .db
        .run(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT pg_sleep(2)")
                .execute(c)
                .map_err(edustats::db::DbError::Query)
        })
        .await
        .map_err(edustats::error::ApiError::from);
    match result {
        Err(e) => assert_eq!(e.code(), "TIMEOUT", "{e:?}"),
        Ok(_) => panic!("pg_sleep(2) finished under a 50 ms statement timeout"),
    }
}

/// Fragments spread three times in each of 25 layers inline to 3^25 fields from under 2 KB:
/// refused before anything walks them, quickly, with a validation code.
#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once() {
    let app = TestApp::seeded();
    let mut doc = String::from("{ ...F0 }\n");
    for i in 0..25 {
        doc.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{n} ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    doc.push_str("fragment F25 on QueryRoot { __typename }\n");
    let started = std::time::Instant::now();
    let v = app.graphql(&doc, json!({})).await;
    assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED", "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// The bounds on variables follow the operation the request selects: an unused mutation in
/// the document does not switch them off for a query.
#[tokio::test]
async fn an_unused_mutation_does_not_lift_the_bounds_on_a_querys_variables() {
    let app = TestApp::seeded();
    let body = json!({
        "query": "query Q($s: String) { indicators(search: $s) { code } } mutation M { discardDraft(draft: 1) { id } }",
        "operationName": "Q",
        "variables": {"s": "教".repeat(1001)},
    });
    let (status, v) = send(&app, post(body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
}

/// U+0000 in any text is the client's mistake (PostgreSQL cannot store it): refused up front,
/// in variables and literals, in queries and mutations alike.
#[tokio::test]
async fn a_nul_character_is_bad_user_input() {
    let app = TestApp::seeded();
    let v = app
        .graphql(
            "query($a: String!) { ranking(indicator: $a, year: 2022) { coverage } }",
            json!({"a": "\u{0}"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app
        .graphql(r#"{ district(code: "500\u0000153") { code } }"#, json!({}))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app
        .graphql(
            "mutation($t: String!) { extractReport(text: $t) { id } }",
            json!({"t": "报告\u{0}"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // The message names the variable and the argument it feeds, not another one.
    let key = app.key("nul-editor", edustats::auth::Role::Editor);
    let v = app
        .graphql_as(
            &key,
            "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id } }",
            json!({"t": "重庆市荣昌区2024年全区共有学校105所。", "c": "a\u{0}b"}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("$c") && message.contains("argument `code` of `extractReport`"),
        "{message}"
    );
}

/// A directive repeated in one place is refused at once, with one error (the specification's
/// "Directives Are Unique Per Location"), however many times it is repeated.
#[tokio::test]
async fn a_repeated_directive_is_one_validation_error() {
    let app = TestApp::seeded();
    for (directive, n) in [("@include(if: true)", 10_000), ("@skip(if: false)", 60_000)] {
        let query = format!("{{ districts {{ code {} }} }}", directive.repeat(n));
        let v = app.graphql(&query, json!({})).await;
        assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED", "{directive}");
        let errors = v["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{directive}: {} errors", errors.len());
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("appears {n} times")), "{message}");
    }
    // Once is fine.
    let v = app
        .graphql("{ districts { code @include(if: true) } }", json!({}))
        .await;
    assert!(v.get("errors").is_none(), "{v}");
}

/// No error echoes more than a bounded prefix of the request, and a response lists a bounded
/// number of errors.
#[tokio::test]
async fn errors_echo_a_bounded_part_of_the_request() {
    let app = TestApp::seeded();
    // 5,000 levels on one line, broken at the end: the parser's message quotes the line.
    let query = format!("{{ {}", "districts { ".repeat(5_000));
    let v = app.graphql(&query, json!({})).await;
    let body = v.to_string();
    assert!(v["errors"].as_array().is_some_and(|e| !e.is_empty()), "{v}");
    assert!(body.len() < 4_000, "{} bytes of errors", body.len());
    // Many distinct errors (unknown fields): at most MAX_ERRORS listed, and a count of the rest.
    let fields: String = (0..200).map(|i| format!(" nope{i}")).collect();
    let v = app
        .graphql(&format!("{{ districts {{ {fields} }} }}"), json!({}))
        .await;
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(
        errors.len(),
        edustats::graphql::limits::MAX_ERRORS + 1,
        "{v}"
    );
    let last = errors
        .last()
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default();
    assert!(last.starts_with("180 more errors"), "{last}");
    assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED");
}

/// A source code is checked wherever it enters: in a draft (`extractReport`) as in an import.
#[tokio::test]
async fn source_codes_are_checked_where_they_enter() {
    let app = TestApp::seeded();
    let key = app.key("code-editor", edustats::auth::Role::Editor);
    let text = "重庆市荣昌区2024年全区共有学校105所。";
    for bad in [
        "../../etc/passwd".to_string(),
        "a".repeat(5_000),
        "Upper".into(),
        "".into(),
    ] {
        let v = app
            .graphql_as(
                &key,
                "mutation($t: String!, $c: String) { extractReport(text: $t, code: $c) { id } }",
                json!({"t": text, "c": bad}),
            )
            .await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{bad:.40}: {v}");
        let message = v["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("source code") && message.len() < 300,
            "{message}"
        );
    }
    let v = app.graphql_as(&key, "{ drafts { id } }", json!({})).await;
    assert_eq!(v["data"]["drafts"], json!([]), "nothing was stored: {v}");
}

/// Every error carries `extensions.code`, also those async-graphql raises itself while it
/// coerces arguments (a variable of the wrong type inside an input object, which validation
/// does not look into: `BAD_USER_INPUT`); a variable of the wrong type for an argument is a
/// validation failure.
#[tokio::test]
async fn argument_coercion_errors_are_bad_user_input() {
    let app = TestApp::seeded();
    let cases = [
        (
            "query($a: [BreakdownInput!]) { observations(first: 3, filter: { breakdown: $a }) { totalCount } }",
            json!({"a": "not a list"}),
            "BAD_USER_INPUT",
        ),
        (
            "query($y: Int) { ranking(indicator: \"schools\", year: $y) { coverage } }",
            json!({"y": "2022"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (q, vars, expected) in cases {
        let v = app.graphql(q, vars).await;
        let errors = v["errors"].as_array().expect("an error");
        for e in errors {
            assert_eq!(e["extensions"]["code"], expected, "{v}");
        }
    }
}

/// A variable the document declares non-null but the request leaves out is the client's
/// mistake (BAD_USER_INPUT, naming the variable), not a server error; one the document uses
/// without declaring fails validation.
#[tokio::test]
async fn a_missing_or_undeclared_variable_is_the_clients_mistake() {
    let app = TestApp::seeded();
    let v = app
        .graphql(
            "query($y: Int!) { ranking(indicator: \"public_kindergarten_enrolment_share\", year: $y) { rankedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("y")),
        "{v}"
    );
    let v = app
        .graphql(
            "{ ranking(indicator: $x, year: 2022) { rankedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED", "{v}");
    // Given, the same document answers: Rongchang's 2022 value (Dadukou's is of 2020, not
    // ranked without latestOnOrBefore).
    let v = app
        .graphql(
            "query($y: Int!) { ranking(indicator: \"public_kindergarten_enrolment_share\", year: $y) { rankedCount } }",
            json!({"y": 2022}),
        )
        .await;
    assert_eq!(v["data"]["ranking"]["rankedCount"], 1, "{v}");
}
