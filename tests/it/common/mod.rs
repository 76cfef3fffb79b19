//! TestApp: one fresh database per test, on SQLite (a temp file, the default) or on PostgreSQL
//! when `TEST_DATABASE_URL` points to a server (a database is created per test and dropped after).
//! Requests go through the real router with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use edustats::db::{Backend, Db, PoolOptions};
use edustats::ingest;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

pub mod pg_server;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Drops a test's database (PostgreSQL) or its folder (SQLite) when the test ends.
pub enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { admin_url, name } = self {
            if let Ok(mut c) = diesel::PgConnection::establish(admin_url) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// A test application over its own database.
pub struct TestApp {
    pub db: Db,
    /// The database URL (for child processes).
    pub url: String,
    pub router: axum::Router,
    _guard: Guard,
}

/// Waits (up to 10 s) until `db`'s data version watcher is connected.
pub async fn watched(db: &Db) {
    let started = std::time::Instant::now();
    while !db.data_version().watched() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the data version watcher did not connect"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The real seed folder.
pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// A copy of the real seed folder without one report (its source, observations, findings and
/// the standards it cites; the catalogue stays whole): a warehouse that has not seen that report yet.
pub fn seeds_without(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&seeds_dir(), dir.path());
    for file in [
        format!("observations/{source}.csv"),
        format!("findings/{source}.csv"),
        format!("standards/{source}.csv"),
        format!("translations/{source}.csv"),
        format!("sources/{source}.toml"),
        format!("sources/{source}.txt"),
    ] {
        let path = dir.path().join(&file);
        if path.exists() {
            std::fs::remove_file(&path).expect("remove seed file");
        }
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The synthetic fixture (invented figures, for edge cases only).
pub fn synthetic_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synthetic")
}

/// The SYNTHETIC import fixture's path (invented figures).
#[allow(dead_code)]
pub fn import_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synthetic-import.json")
}

/// Imports the SYNTHETIC fixture ([`import_fixture`]) into `db` as `test`, giving `reason`.
#[allow(dead_code)]
pub fn import_fixture_into(db: &Db, reason: &str) {
    let input = ingest::read::import_file(&import_fixture()).expect("fixture");
    let mut conn = db.get().expect("connection");
    let opts = ingest::import::Options {
        actor: "test",
        reason: Some(reason),
        dry_run: false,
        default_source: None,
    };
    ingest::import::import(&mut conn, &input, opts).expect("import");
}

/// Serves the HTTP router over `app`'s database on a free local port: its address, and the
/// server's task (abort it to stop serving).
#[allow(dead_code)]
pub async fn serve(
    app: &TestApp,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = edustats::http::router(app.db.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, server)
}

/// Runs the binary against `url`; returns (exit code, stdout, stderr).
#[allow(dead_code)]
pub fn edustats(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    edustats_with(url, args, &[])
}

/// [`edustats`] with the variables `env` set too.
#[allow(dead_code)]
pub fn edustats_with(
    url: &str,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edustats"))
        .args(args)
        .env("DATABASE_URL", url)
        .envs(env.iter().copied())
        .output()
        .expect("run edustats");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// POSTs `query` to `router` (with `key` as bearer token if given); returns the response
/// cache's header (`x-response-cache`) and the body.
#[allow(dead_code)]
pub async fn post_cached(router: &axum::Router, query: &str, key: Option<&str>) -> (String, Value) {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let req = req
        .body(Body::from(json!({ "query": query }).to_string()))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res
        .headers()
        .get("x-response-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (cache, serde_json::from_slice(&body).expect("JSON"))
}

/// The value of observation `key` in an answer listing `observations { edges { node { key
/// value } } }`.
#[allow(dead_code)]
pub fn value_of(answer: &Value, key: &str) -> Option<f64> {
    answer["data"]["observations"]["edges"]
        .as_array()?
        .iter()
        .find(|e| e["node"]["key"] == key)
        .and_then(|e| e["node"]["value"].as_f64())
}

/// The SYNTHETIC import fixture ([`import_fixture`]) as read.
#[allow(dead_code)]
pub fn import_bundle() -> ingest::rows::Bundle {
    ingest::read::import_file(&import_fixture())
        .expect("fixture reads")
        .bundle
}

/// A bundle as GraphQL `ImportInput`.
#[allow(dead_code)]
pub fn import_input(b: &ingest::rows::Bundle) -> Value {
    let s = b.source.as_ref().expect("source");
    json!({
        "source": {
            "code": s.code, "titleZh": s.title_zh, "titleEn": s.title_en, "issuer": s.issuer,
            "district": s.district, "date": s.date, "kind": s.kind, "reviewYear": s.review_year, "text": s.text
        },
        "observations": b.observations.iter().map(|o| json!({
            "key": o.key, "district": o.district, "indicator": o.indicator, "period": o.period,
            "breakdown": o.breakdown, "kind": o.kind.as_str().to_uppercase(), "value": o.value, "unit": o.unit,
            "quote": o.quote, "note": o.note
        })).collect::<Vec<_>>()
    })
}

/// Which backend the tests run on.
pub fn backend() -> Backend {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The PostgreSQL server tests may use, if any: `TEST_DATABASE_URL` (which also makes it the
/// default backend of every test) or `PARITY_DATABASE_URL` (used only by tests that compare the
/// two backends, so that the SQLite pass runs them too).
pub fn postgres_url() -> Option<String> {
    ["TEST_DATABASE_URL", "PARITY_DATABASE_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
}

fn fresh_database(backend: Backend) -> (String, Guard) {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let server = match backend {
        Backend::Postgres => {
            Some(postgres_url().expect("TEST_DATABASE_URL must be set for a PostgreSQL test"))
        }
        Backend::Sqlite => None,
    };
    match server {
        Some(admin_url) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!("edustats_t_{}_{n}_{nanos}", std::process::id());
            let mut admin =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (url.to_string(), Guard::Postgres { admin_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join(format!("t{n}.sqlite3"));
            (format!("sqlite://{}", path.display()), Guard::Sqlite(dir))
        }
    }
}

/// The URL of a new database on the default test backend, not migrated, and its guard.
#[allow(dead_code)]
pub fn unmigrated_database() -> (String, Guard) {
    fresh_database(backend())
}

impl TestApp {
    /// A migrated, empty database on the default test backend.
    pub fn empty() -> TestApp {
        Self::empty_on(backend(), PoolOptions::default())
    }

    /// A migrated, empty database on a given backend with given pool options.
    pub fn empty_on(backend: Backend, pool: PoolOptions) -> TestApp {
        let (url, guard) = fresh_database(backend);
        let db = Db::connect(&url, pool).expect("connect");
        db.migrate().expect("migrate");
        TestApp {
            router: edustats::http::router(db.clone()),
            db,
            url,
            _guard: guard,
        }
    }

    /// What a server restart sees: the pool and router are dropped and opened afresh over the
    /// same database (nothing survives in memory; only what was committed).
    pub fn restart(&mut self) {
        let db = Db::connect(&self.url, PoolOptions::default()).expect("reconnect");
        self.router = edustats::http::router(db.clone());
        // Replacing the handle drops the old pool once nothing else holds it.
        self.db = db;
    }

    /// The same database behind a router with other limits.
    pub fn with_limits(mut self, limits: edustats::http::Limits) -> TestApp {
        self.router = edustats::http::router_with(self.db.clone(), limits);
        self
    }

    /// The same database behind a router with other options.
    pub fn with_options(mut self, options: edustats::http::Options) -> TestApp {
        self.router = edustats::http::router_with_options(self.db.clone(), options);
        self
    }

    /// A database loaded from a seed folder.
    pub fn seeded_from(dir: &Path) -> TestApp {
        Self::seeded_on(backend(), dir)
    }

    /// A database on `backend` loaded from a seed folder.
    pub fn seeded_on(backend: Backend, dir: &Path) -> TestApp {
        let app = TestApp::empty_on(backend, PoolOptions::default());
        let mut conn = app.db.get().expect("connection");
        ingest::seed::load(&mut conn, dir, false).expect("seed folder is valid and loads");
        drop(conn);
        app
    }

    /// Loaded with the real seeds.
    pub fn seeded() -> TestApp {
        Self::seeded_from(&seeds_dir())
    }

    /// Loaded with the synthetic fixture.
    pub fn synthetic() -> TestApp {
        Self::seeded_from(&synthetic_dir())
    }

    /// POSTs a GraphQL query; returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let req = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("request");
        let (status, text) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).expect("JSON response")
    }

    /// POSTs a GraphQL query with `Authorization: Bearer <key>`.
    pub async fn graphql_as(&self, key: &str, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let req = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(body))
            .expect("request");
        let (status, text) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).expect("JSON response")
    }

    /// Creates an API key directly in the database.
    pub fn key(&self, name: &str, role: edustats::auth::Role) -> String {
        let mut conn = self.db.get().expect("connection");
        edustats::auth::create_key(&mut conn, name, role, "test").expect("key")
    }

    /// Number of observations (current revisions).
    pub async fn observation_count(&self) -> i64 {
        let v = self
            .graphql("{ observations(first: 0) { totalCount } }", json!({}))
            .await;
        v["data"]["observations"]["totalCount"]
            .as_i64()
            .expect("count")
    }

    /// Like [`graphql`] but asserts there are no errors and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let v = self.graphql(query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    /// The `extensions.code` of the first error.
    pub async fn error_code(&self, query: &str, variables: Value) -> (String, String) {
        let v = self.graphql(query, variables).await;
        let e = &v["errors"][0];
        (
            e["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_string(),
            e["message"].as_str().unwrap_or("").to_string(),
        )
    }

    /// Sends any request through the router.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }
}

/// Asserts two floats are equal to 1e-6.
pub fn approx(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - expected).abs() < 1e-6, "{got} != {expected}");
}

/// Adds `n` SYNTHETIC observations (invented values, source `synthetic-export-test`, in the
/// test's own temporary database): bulk for export and load tests, never real figures.
pub fn add_synthetic(db: &Db, n: usize) {
    let mut conn = db.get().expect("connection");
    let now = edustats::db::now_utc();
    let t: (i32, i32, i32, i32) = edustats::db::schema::observations::table
        .select((
            edustats::db::schema::observations::district_id,
            edustats::db::schema::observations::indicator_id,
            edustats::db::schema::observations::period_id,
            edustats::db::schema::observations::breakdown_id,
        ))
        .first(&mut conn)
        .expect("a seeded observation");
    diesel::insert_into(edustats::db::schema::sources::table)
        .values((
            edustats::db::schema::sources::code.eq("synthetic-export-test"),
            edustats::db::schema::sources::title_zh.eq("合成测试数据（非真实）"),
            edustats::db::schema::sources::title_en.eq("SYNTHETIC test data (not real)"),
            edustats::db::schema::sources::issuer.eq("SYNTHETIC TEST"),
            edustats::db::schema::sources::district_id.eq(t.0),
            edustats::db::schema::sources::kind.eq("self_evaluation"),
            edustats::db::schema::sources::body.eq("SYNTHETIC"),
            edustats::db::schema::sources::created_at.eq(&now),
        ))
        .execute(&mut conn)
        .expect("source");
    let source_id: i32 = edustats::db::schema::sources::table
        .filter(edustats::db::schema::sources::code.eq("synthetic-export-test"))
        .select(edustats::db::schema::sources::id)
        .first(&mut conn)
        .expect("id");
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for i in 0..n {
            diesel::insert_into(edustats::db::schema::observations::table)
                .values((
                    edustats::db::schema::observations::key
                        .eq(format!("synthetic-export-test-{i:06}")),
                    edustats::db::schema::observations::district_id.eq(t.0),
                    edustats::db::schema::observations::indicator_id.eq(t.1),
                    edustats::db::schema::observations::period_id.eq(t.2),
                    edustats::db::schema::observations::breakdown_id.eq(t.3),
                    edustats::db::schema::observations::kind.eq("actual"),
                    edustats::db::schema::observations::value.eq((i % 1000) as f64),
                    edustats::db::schema::observations::value_text.eq(format!("{}", i % 1000)),
                    edustats::db::schema::observations::reported_unit.eq("个"),
                    edustats::db::schema::observations::qualifier.eq("exact"),
                    edustats::db::schema::observations::source_id.eq(source_id),
                    edustats::db::schema::observations::quote.eq("SYNTHETIC"),
                    edustats::db::schema::observations::quote_start.eq(0),
                    edustats::db::schema::observations::quote_end.eq(9),
                    edustats::db::schema::observations::created_at.eq(&now),
                    edustats::db::schema::observations::recorded_at.eq(&now),
                    edustats::db::schema::observations::recorded_by.eq("synthetic-export-test"),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .expect("insert synthetic rows");
}

/// Adds a SYNTHETIC scale set for statement-count and pagination tests (in the test's own
/// temporary database; invented values, never real figures): a parent division `SYNTHETIC`,
/// `districts` districts `SYN0001`… under it, and one actual total of `indicator` per district
/// and year for `years` years from 2001, from source `SYNTHETIC-scale-a`. Every fifth district
/// also has an approximate figure for the same year from a later source (`SYNTHETIC-scale-b`),
/// so the choice among reports is exercised. Deterministic. Bumps the data version, as every
/// write does.
pub fn add_synthetic_scale(db: &Db, indicator: &str, districts: usize, years: usize) {
    use edustats::db::schema::{
        breakdowns as b, districts as d, indicators as i, observations as o, periods as p,
        sources as s,
    };
    let mut conn = db.get().expect("connection");
    let now = edustats::db::now_utc();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        diesel::insert_into(d::table)
            .values((
                d::code.eq("SYNTHETIC"),
                d::level.eq("municipality"),
                d::name_zh.eq("SYNTHETIC 省级"),
                d::name_en.eq("SYNTHETIC province-level division"),
            ))
            .execute(c)?;
        let parent: i32 = d::table
            .filter(d::code.eq("SYNTHETIC"))
            .select(d::id)
            .first(c)?;
        let rows: Vec<_> = (1..=districts)
            .map(|n| {
                (
                    d::code.eq(format!("SYN{n:04}")),
                    d::parent_id.eq(Some(parent)),
                    d::level.eq("district"),
                    d::name_zh.eq(format!("SYNTHETIC 区 {n:04}")),
                    d::name_en.eq(format!("SYNTHETIC district {n:04}")),
                )
            })
            .collect();
        // Multi-row inserts are compiled per backend (diesel's MultiConnection has none).
        for chunk in rows.chunks(500) {
            edustats::per_backend!(&mut **c, pc => diesel::insert_into(d::table).values(chunk).execute(pc))?;
        }
        let ids: Vec<i32> = d::table
            .filter(d::code.like("SYN0%"))
            .order(d::code)
            .select(d::id)
            .load(c)?;
        let mut sources = Vec::new();
        for (code, published) in [("SYNTHETIC-scale-a", "2001-01-01"), ("SYNTHETIC-scale-b", "2002-01-01")] {
            diesel::insert_into(s::table)
                .values((
                    s::code.eq(code),
                    s::title_zh.eq("SYNTHETIC 合成数据（非真实）"),
                    s::title_en.eq("SYNTHETIC scale test data (not real)"),
                    s::issuer.eq("SYNTHETIC"),
                    s::district_id.eq(parent),
                    s::published_on.eq(Some(published)),
                    s::kind.eq("self_evaluation"),
                    s::body.eq("SYNTHETIC"),
                    s::created_at.eq(&now),
                ))
                .execute(c)?;
            sources.push(s::table.filter(s::code.eq(code)).select(s::id).first::<i32>(c)?);
        }
        let mut periods = Vec::new();
        for y in 2001..2001 + years as i32 {
            let existing: Option<i32> = p::table
                .filter(p::code.eq(y.to_string()))
                .select(p::id)
                .first(c)
                .optional()?;
            let id = match existing {
                Some(id) => id,
                None => {
                    diesel::insert_into(p::table)
                        .values((
                            p::code.eq(y.to_string()),
                            p::kind.eq("year"),
                            p::start_date.eq(format!("{y}-01-01")),
                            p::end_date.eq(format!("{y}-12-31")),
                            p::year.eq(y),
                        ))
                        .execute(c)?;
                    p::table.filter(p::code.eq(y.to_string())).select(p::id).first(c)?
                }
            };
            periods.push((y, id));
        }
        let indicator: i32 = i::table.filter(i::code.eq(indicator)).select(i::id).first(c)?;
        let total: i32 = b::table.filter(b::code.eq("")).select(b::id).first(c)?;
        let mut obs = Vec::new();
        for (n, district) in ids.iter().enumerate() {
            for (y, period) in &periods {
                let mut add = |source: i32, qualifier: &str, value: f64, tag: &str| {
                    obs.push((
                        o::key.eq(format!("SYNTHETIC-{tag}-{n:04}-{y}")),
                        o::district_id.eq(*district),
                        o::indicator_id.eq(indicator),
                        o::period_id.eq(*period),
                        o::breakdown_id.eq(total),
                        o::kind.eq("actual"),
                        o::value.eq(value),
                        o::value_text.eq(value.to_string()),
                        o::reported_unit.eq("人"),
                        o::qualifier.eq(qualifier.to_string()),
                        o::source_id.eq(source),
                        o::quote.eq("SYNTHETIC"),
                        o::quote_start.eq(0),
                        o::quote_end.eq(9),
                        o::created_at.eq(now.clone()),
                        o::recorded_at.eq(now.clone()),
                        o::recorded_by.eq("SYNTHETIC"),
                    ));
                };
                // Ties on purpose: values repeat every 97 districts.
                let value = ((n % 97) * 13 + (*y as usize % 7)) as f64;
                add(sources[0], "exact", value, "a");
                if n % 5 == 0 {
                    add(sources[1], "approximate", value + 0.5, "b");
                }
            }
        }
        for chunk in obs.chunks(1000) {
            edustats::per_backend!(&mut **c, pc => diesel::insert_into(o::table).values(chunk).execute(pc))?;
        }
        edustats::db::version::bump(c)?;
        Ok(())
    })
    .expect("insert the SYNTHETIC scale set");
}
