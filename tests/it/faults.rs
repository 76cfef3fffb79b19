//! Fault injection against the real binary (`edustats serve` as a child process on a free
//! loopback port): SIGTERM under load, and PostgreSQL stopped and restarted under load (on a
//! private server this test starts with `initdb`/`pg_ctl`, never the machine's shared one).
//! Requests go over plain TCP with a small HTTP/1.1 client written here, so nothing between the
//! test and the server hides a reset or a truncated answer.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::pg_server::{free_port, PrivatePg};

/// The last `n` lines of a log.
fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The server under test; killed if the test ends without stopping it.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(url: &str, log_dir: &Path, args: &[&str]) -> Server {
        Server::start_with_open_files(url, log_dir, args, None)
    }

    /// [`Server::start`] under an open-file limit (`ulimit -n`), through a shell that `exec`s
    /// the server, so the child's pid is the server's.
    fn start_with_open_files(
        url: &str,
        log_dir: &Path,
        args: &[&str],
        open_files: Option<u32>,
    ) -> Server {
        let port = free_port();
        let log = log_dir.join(format!("server-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut command = match open_files {
            Some(n) => {
                let mut c = Command::new("bash");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(env!("CARGO_BIN_EXE_edustats"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_edustats")),
        };
        let child = command
            .arg("serve")
            .arg("--database-url")
            .arg(url)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--seeds")
            .arg(crate::common::seeds_dir())
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start edustats serve");
        Server { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}):\n{}", self.log());
            }
            if let Ok((200, _)) = request(self.port, "GET", "/healthz", "").await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not answer /healthz:\n{}", self.log());
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits for the process to exit.
    async fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`); the status and the
/// de-chunked body. Errors: connect refused, reset, or a malformed or truncated answer.
async fn request(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    request_from(None, port, method, path, body)
        .await
        .map(|r| (r.status, r.body))
}

/// An answer read off the wire: status, head (lower-cased) and de-chunked body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// [`request`] from a chosen loopback source address (`127.0.0.2`, …: every `127/8` address
/// reaches the server, and each is a different client address to its per-address cap).
async fn request_from(
    source: Option<[u8; 4]>,
    port: u16,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<Answer> {
    let mut s = connect_from(source, port).await?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    // Reset or closed while the request is being sent: it was never answered (see below).
    if let Err(e) = s.write_all(head.as_bytes()).await {
        if matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                format!("reset before any answer ({e})"),
            ));
        }
        return Err(e);
    }
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // Reset before a single byte of answer: the connection sat in the kernel's listen
            // queue when the server stopped accepting, and the server never read the request.
            // For the client that is a refusal; a reset after part of an answer is not.
            Err(e) if raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    format!("reset before any answer ({e})"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    parse_response(&raw)
}

/// A TCP connection to the server, from `source` when given.
async fn connect_from(
    source: Option<[u8; 4]>,
    port: u16,
) -> std::io::Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    if let Some(a) = source {
        sock.bind((a, 0).into())?;
    }
    sock.connect(([127, 0, 0, 1], port).into()).await
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

fn parse_response(raw: &[u8]) -> std::io::Result<Answer> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let rest = &raw[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(rest)?
    } else {
        let declared = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n != rest.len()) {
            return Err(bad("body shorter than its content-length"));
        }
        rest.to_vec()
    };
    Ok(Answer {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body; a body without its final empty chunk is an error (truncated).
fn dechunk(mut rest: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("truncated chunked body"))?;
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
            .map_err(|_| bad("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size + 2 {
            return Err(bad("truncated chunk"));
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

const QUERY: &str = r#"{"query":"{ districts { code } }"}"#;

/// What one load request saw.
#[derive(Debug, Clone)]
struct Outcome {
    started: Instant,
    took: Duration,
    /// `ok`, an `extensions.code`, `refused` (no connection accepted) or `io: …`.
    result: String,
}

fn classify(r: std::io::Result<(u16, String)>) -> String {
    match r {
        Ok((status, body)) => {
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            match v["errors"][0]["extensions"]["code"].as_str() {
                Some(code) => code.to_string(),
                None if status == 200 && v["data"]["districts"].is_array() => "ok".into(),
                None => format!("http {status}: {body}"),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => "refused".into(),
        Err(e) => format!("io: {e}"),
    }
}

/// `clients` tasks sending the query in a loop until `stop` is set (or, with
/// `stop_when_refused`, until the server refuses a connection).
fn load(
    port: u16,
    clients: usize,
    stop: Arc<Mutex<bool>>,
    stop_when_refused: bool,
) -> (Arc<Mutex<Vec<Outcome>>>, Vec<tokio::task::JoinHandle<()>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tasks = (0..clients)
        .map(|_| {
            let seen = seen.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                while !*stop.lock().expect("stop") {
                    let started = Instant::now();
                    let r = tokio::time::timeout(
                        Duration::from_secs(15),
                        request(port, "POST", "/graphql", QUERY),
                    )
                    .await;
                    let result = match r {
                        Ok(r) => classify(r),
                        Err(_) => "hung (no answer in 15 s)".into(),
                    };
                    let refused = result == "refused";
                    seen.lock().expect("seen").push(Outcome {
                        started,
                        took: started.elapsed(),
                        result,
                    });
                    if refused && stop_when_refused {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    (seen, tasks)
}

fn tally(outcomes: &[Outcome]) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for o in outcomes {
        *m.entry(o.result.clone()).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_in_flight_refuses_new_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("e.sqlite3").display());
    let rows = {
        let db = edustats::db::Db::connect(&url, edustats::db::PoolOptions::default()).expect("db");
        db.migrate().expect("migrate");
        let mut conn = db.get().expect("connection");
        edustats::ingest::seed::load(&mut conn, &crate::common::seeds_dir(), false).expect("seeds");
        drop(conn);
        // SYNTHETIC bulk rows, so the export outlasts the kernel's socket buffers.
        crate::common::add_synthetic(&db, 30_000);
        let mut conn = db.get().expect("connection");
        edustats::db::queries::observations_page(
            &mut conn,
            &edustats::db::queries::ObservationQuery::default(),
            None,
            0,
        )
        .expect("count")
        .1 as usize
    };
    let mut server = Server::start(&url, dir.path(), &[]);
    server.wait_ready().await;
    let port = server.port;

    // An export read slowly: its response is in flight when the signal comes.
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut export = sock
        .connect(([127, 0, 0, 1], port).into())
        .await
        .expect("connect");
    export
        .write_all(b"GET /export/observations.csv HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut raw = vec![0u8; 16 * 1024];
    let mut first = 0;
    while first < raw.len() {
        let n = export.read(&mut raw[first..]).await.expect("read");
        assert!(n > 0, "export closed early");
        first += n;
    }
    raw.truncate(first);

    let stop = Arc::new(Mutex::new(false));
    let (seen, tasks) = load(port, 4, stop.clone(), true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A connection accepted before the signal whose request is sent just after it: the
    // graceful shutdown must read and answer it, not close it as idle.
    let mut pending = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = seen.lock().expect("seen").len();
    let signalled = Instant::now();
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let body = QUERY;
    pending
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("send on the pending connection");
    let mut raw_pending = Vec::new();
    pending
        .read_to_end(&mut raw_pending)
        .await
        .expect("read the pending answer");
    let pending_answer = parse_response(&raw_pending).map(|a| (a.status, a.body));
    assert_eq!(
        classify(pending_answer),
        "ok",
        "a request sent just after SIGTERM on a connection accepted before it was not answered \
         ({} bytes came back)",
        raw_pending.len()
    );
    tokio::time::sleep(Duration::from_millis(450)).await;

    // The export is still being served: the process waits for it.
    assert!(
        server.child.try_wait().expect("try_wait").is_none(),
        "the server exited with an export in flight:\n{}",
        server.log()
    );
    // New connections are refused (polled: the listener closes as soon as the signal is
    // handled, which a loaded machine may take a moment to do).
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut late = classify(request(port, "POST", "/graphql", QUERY).await);
    while late != "refused" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        late = classify(request(port, "POST", "/graphql", QUERY).await);
    }
    assert_eq!(
        late, "refused",
        "a new request after SIGTERM was not refused"
    );

    // The in-flight export completes: every row, then the final chunk.
    let mut rest = Vec::new();
    export.read_to_end(&mut rest).await.expect("read the rest");
    raw.extend_from_slice(&rest);
    let Answer { status, body, .. } = parse_response(&raw).expect("a complete export");
    assert_eq!(status, 200);
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let mut exported = 0;
    for rec in r.records() {
        rec.expect("csv row");
        exported += 1;
    }
    assert_eq!(exported, rows, "the export in flight at SIGTERM lost rows");

    let status = server.wait_exit(Duration::from_secs(10)).await;
    let exit_after = signalled.elapsed();
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    *stop.lock().expect("stop") = true;
    for t in tasks {
        t.await.expect("load task");
    }
    let outcomes = seen.lock().expect("seen").clone();
    let counts = tally(&outcomes);
    // Every request the server accepted got a whole answer; after the signal, refusals only.
    for (result, n) in &counts {
        assert!(
            result == "ok" || result == "refused",
            "{n} request(s) got {result}: {counts:?}"
        );
    }
    assert!(
        counts.get("ok").copied().unwrap_or(0) >= before.min(10),
        "{counts:?}"
    );
    eprintln!(
        "SIGTERM: {before} requests before the signal; outcomes {counts:?}; export of {exported} rows completed after the signal; exit 0 after {exit_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl); run with --include-ignored"]
async fn postgres_stopped_and_restarted_under_load() {
    let pg = PrivatePg::start_new();
    let dir = tempfile::tempdir().expect("temp dir");
    let pool_timeout = Duration::from_millis(1000);
    let mut server = Server::start(
        &pg.url(),
        dir.path(),
        // Without the response cache: every request needs the database. With it, an answer
        // cached before the stop may still be served until the data-version watcher notices
        // its connection is gone (its liveness check runs every few seconds), which is correct
        // (nothing can be written while the database is down) but not what this test counts.
        &[
            "--pool-size",
            "4",
            "--pool-timeout-ms",
            "1000",
            "--response-cache",
            "off",
        ],
    );
    server.wait_ready().await;
    let port = server.port;

    let stop = Arc::new(Mutex::new(false));
    let (seen, tasks) = load(port, 4, stop.clone(), false);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let down = Instant::now();
    pg.stop("fast");
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        server.child.try_wait().expect("try_wait").is_none(),
        "the server exited when PostgreSQL stopped:\n{}",
        server.log()
    );
    let restarting = Instant::now();
    pg.start();
    let up = Instant::now();
    // Recovery: the first answered query after PostgreSQL is back, with no server restart.
    let recovered = loop {
        let last_ok = seen
            .lock()
            .expect("seen")
            .iter()
            .filter(|o| o.started >= up && o.result == "ok")
            .map(|o| o.started + o.took)
            .min();
        if let Some(t) = last_ok {
            break t - up;
        }
        assert!(
            up.elapsed() < Duration::from_secs(15),
            "no query answered within 15 s of PostgreSQL's restart: {:?}\n{}",
            tally(&seen.lock().expect("seen")),
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    *stop.lock().expect("stop") = true;
    for t in tasks {
        t.await.expect("load task");
    }
    let outcomes = seen.lock().expect("seen").clone();
    let before: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started + o.took < down)
        .collect();
    // Requests in flight when the stop began may still finish; every one that started once
    // the server was down, until it was started again, must be refused as UNAVAILABLE.
    let outage: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started >= down && o.started < restarting)
        .collect();
    let fully_down: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started >= stopped && o.started + o.took < restarting)
        .collect();
    let after: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started >= up + recovered)
        .collect();
    let summary = format!(
        "before {:?}; outage {:?}; after {:?}; all {:?}",
        tally(&before.iter().map(|o| (*o).clone()).collect::<Vec<_>>()),
        tally(&outage.iter().map(|o| (*o).clone()).collect::<Vec<_>>()),
        tally(&after.iter().map(|o| (*o).clone()).collect::<Vec<_>>()),
        tally(&outcomes)
    );
    assert!(before.iter().all(|o| o.result == "ok"), "{summary}");
    assert!(
        fully_down.len() >= 4,
        "too few requests while PostgreSQL was down: {summary}"
    );
    assert!(
        fully_down.iter().all(|o| o.result == "UNAVAILABLE"),
        "while PostgreSQL was down: {summary}\nserver log (tail):\n{}",
        tail(&server.log(), 40)
    );
    // At any time, only answers and UNAVAILABLE: no INTERNAL, no reset, no hang.
    assert!(
        outcomes
            .iter()
            .all(|o| o.result == "ok" || o.result == "UNAVAILABLE"),
        "{summary}"
    );
    let slowest = outage
        .iter()
        .filter(|o| o.result == "UNAVAILABLE")
        .map(|o| o.took)
        .max()
        .unwrap_or_default();
    assert!(
        slowest <= pool_timeout + Duration::from_millis(1500),
        "an outage answer took {slowest:?} (pool timeout {pool_timeout:?}): {summary}"
    );
    assert!(after.iter().all(|o| o.result == "ok"), "{summary}");
    eprintln!(
        "PostgreSQL outage: {summary}; slowest UNAVAILABLE {slowest:?} (pool timeout {pool_timeout:?}); recovered {recovered:?} after PostgreSQL was up again ({:?} to start it)",
        up - restarting
    );
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        std::fs::read(path).expect("read database file"),
    ))
}

/// A SQLite database the process may not write (a read-only file in a read-only directory; as
/// root, where permissions do not bind, the import runs as `nobody`): the import exits 1 with a
/// message that says so, and the file is byte for byte what it was, and intact.
#[test]
fn an_import_into_a_read_only_sqlite_file_fails_clearly_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("dir");
    let file = ro.join("e.sqlite3");
    let url = format!("sqlite://{}", file.display());
    let count = |url: &str| -> i64 {
        let db = edustats::db::Db::connect(url, edustats::db::PoolOptions::default()).expect("db");
        let mut conn = db.get().expect("connection");
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        edustats::db::queries::observations_page(
            &mut conn,
            &edustats::db::queries::ObservationQuery::default(),
            None,
            0,
        )
        .expect("count")
        .1
    };
    {
        let db = edustats::db::Db::connect(&url, edustats::db::PoolOptions::default()).expect("db");
        db.migrate().expect("migrate");
        let mut conn = db.get().expect("connection");
        edustats::ingest::seed::load(&mut conn, &crate::common::seeds_dir(), false).expect("seeds");
    }
    let rows = count(&url);
    // Every connection is closed: SQLite has folded the WAL into the file and removed it.
    for f in ["e.sqlite3-wal", "e.sqlite3-shm"] {
        let _ = std::fs::remove_file(ro.join(f));
    }
    let before = sha256(&file);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let fixture = crate::common::import_fixture();
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"])
            .arg(env!("CARGO_BIN_EXE_edustats"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_edustats"))
    };
    let out = cmd
        .arg("import")
        .arg(&fixture)
        .arg("--database-url")
        .arg(&url)
        .output()
        .expect("run edustats import");
    let stderr = String::from_utf8_lossy(&out.stderr);
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(out.status.code(), Some(1), "exit status; stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains("readonly")
            || lower.contains("read-only")
            || lower.contains("unable to open"),
        "the error does not say the database cannot be written:\n{stderr}"
    );
    assert_eq!(sha256(&file), before, "the read-only file changed");
    // Intact, and still holding every row.
    {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut c = diesel::SqliteConnection::establish(&file.display().to_string()).expect("open");
        let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut c)
            .expect("integrity check");
        let check: Vec<String> = check.into_iter().map(|c| c.integrity_check).collect();
        assert_eq!(check, ["ok"], "integrity check after the refused import");
    }
    assert_eq!(count(&url), rows);
    eprintln!(
        "read-only SQLite: exit 1, {}",
        stderr.lines().next().unwrap_or_default()
    );
}

/// A seeded SQLite file for a server under test (the connection layer is the same on both
/// backends; the database only has to answer).
fn seeded_sqlite(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("slow.sqlite3").display());
    let db = edustats::db::Db::connect(&url, edustats::db::PoolOptions::default()).expect("db");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("connection");
    edustats::ingest::seed::load(&mut conn, &crate::common::seeds_dir(), false).expect("seeds");
    url
}

/// Reads one answer off a keep-alive connection (Content-Length bodies, as the server sends
/// GraphQL answers). `None`: the server closed the connection before an answer.
async fn read_answer(s: &mut tokio::net::TcpStream) -> std::io::Result<Option<Answer>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| bad("no content-length"))?;
            if raw.len() >= split + 4 + length {
                return parse_response(&raw[..split + 4 + length]).map(Some);
            }
        }
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(bad("closed mid-answer"))
            };
        }
        raw.extend_from_slice(&buf[..n]);
    }
}

/// Whether the server closes (or resets) the connection within `limit`; whatever it sends
/// first (a refusal, a 408) is read and dropped.
async fn closes_within(s: &mut tokio::net::TcpStream, limit: Duration) -> bool {
    let mut rest = Vec::new();
    tokio::time::timeout(limit, s.read_to_end(&mut rest))
        .await
        .is_ok()
}

/// Issue 24, item 3: slow clients. The server runs under `ulimit -n 256`, the condition in
/// which 300 half-sent requests used to stop every endpoint, `/livez` included. Now its
/// connection cap is lowered to fit the limit, one address gets at most three quarters of it,
/// the connections past the cap are refused at once, the health checks and other clients are
/// answered throughout, and the header timeout frees every slot the slow clients held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_slow_clients_are_capped_timed_out_and_never_silence_the_health_checks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = seeded_sqlite(dir.path());
    let mut server = Server::start_with_open_files(
        &url,
        dir.path(),
        &["--header-timeout-ms", "1500"],
        Some(256),
    );
    server.wait_ready().await;
    let port = server.port;

    // 300 connections from 127.0.0.1, each with half a request head and then silence.
    let opened = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut s = connect_from(None, port).await.expect("connect");
        // Some are refused and closed at once: writing to them may fail, which is the point.
        let _ = s
            .write_all(b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: applic")
            .await;
        slow.push(s);
    }

    // Meanwhile: the probes and a query from another client address are answered at once.
    for path in ["/livez", "/readyz"] {
        let a = tokio::time::timeout(
            Duration::from_secs(5),
            request_from(Some([127, 0, 0, 2]), port, "GET", path, ""),
        )
        .await
        .unwrap_or_else(|_| panic!("{path} hung while slow clients held connections"))
        .unwrap_or_else(|e| panic!("{path} failed while slow clients held connections: {e}"));
        assert_eq!(a.status, 200, "{path}: {a:?}");
    }
    let other = request_from(Some([127, 0, 0, 2]), port, "POST", "/graphql", QUERY).await;
    assert_eq!(
        classify(other.map(|a| (a.status, a.body))),
        "ok",
        "another client's query"
    );

    // The slow address itself: refused at once, with a code and `Connection: close` (or, when
    // every refusal place is taken by its own slow connections, closed unanswered), never
    // left hanging.
    let own = tokio::time::timeout(
        Duration::from_secs(5),
        request_from(None, port, "POST", "/graphql", QUERY),
    )
    .await
    .expect("a request from the slow address hung");
    if let Ok(a) = &own {
        assert_eq!(a.status, 503, "{a:?}");
        assert!(a.body.contains("TOO_MANY_CONNECTIONS"), "{a:?}");
        assert!(a.head.contains("connection: close"), "{a:?}");
        assert!(a.head.contains("retry-after: 1"), "{a:?}");
    }

    // The header timeout (1.5 s) closes every held connection: each reads an end (or a reset).
    let mut closed = 0;
    for s in &mut slow {
        if closes_within(s, Duration::from_secs(8)).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        slow.len(),
        "slow connections still open {:?} after they were opened",
        opened.elapsed()
    );
    drop(slow);

    // Every slot is free again: the slow address is served as usual.
    let mut after = classify(request(port, "POST", "/graphql", QUERY).await);
    for _ in 0..20 {
        if after == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = classify(request(port, "POST", "/graphql", QUERY).await);
    }
    assert_eq!(after, "ok", "the slow address after its connections closed");
    let log = server.log();
    assert!(
        log.contains("max_connections lowered to 160"),
        "the cap was not fitted to ulimit -n 256:\n{}",
        tail(&log, 20)
    );
    assert!(
        !log.contains("accept failed"),
        "the server ran out of file descriptors:\n{}",
        tail(&log, 20)
    );
    eprintln!(
        "300 slow connections under ulimit -n 256: probes and other clients answered, all closed within {:?}",
        opened.elapsed()
    );
}

/// Issue 24, items 3 and 4: a body that never arrives gets `TIMEOUT` within the request limit,
/// a malformed chunked body gets 400 `BAD_REQUEST`, and both answers close the connection
/// (the rest of the body is unread).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_or_malformed_body_is_answered_with_its_code_and_the_connection_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = seeded_sqlite(dir.path());
    let mut server = Server::start(&url, dir.path(), &["--request-timeout-ms", "2000"]);
    server.wait_ready().await;
    let port = server.port;

    let cases: [(&str, &[u8], u16, &str); 2] = [
        (
            "a body declared as 1000 bytes of which 10 are sent",
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"query\":",
            503,
            "TIMEOUT",
        ),
        (
            "a chunked body with a chunk size that is not hexadecimal",
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
            400,
            "BAD_REQUEST",
        ),
    ];
    for (what, raw, status, code) in cases {
        let started = Instant::now();
        let mut s = connect_from(None, port).await.expect("connect");
        s.write_all(raw).await.expect("send");
        let a = tokio::time::timeout(Duration::from_secs(6), read_answer(&mut s))
            .await
            .unwrap_or_else(|_| panic!("{what}: no answer in 6 s"))
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .unwrap_or_else(|| panic!("{what}: closed without an answer"));
        let v: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
        assert_eq!(
            (a.status, v["errors"][0]["extensions"]["code"].as_str()),
            (status, Some(code)),
            "{what}: {a:?}"
        );
        assert!(a.head.contains("connection: close"), "{what}: {a:?}");
        assert!(
            closes_within(&mut s, Duration::from_secs(3)).await,
            "{what}: the connection stayed open"
        );
        eprintln!("{what}: {status} {code} in {:?}", started.elapsed());
    }
}

/// Issue 24, item 4: a keep-alive client whose POST is refused by the rate limit before its
/// body is read is told `Connection: close`, and the server closes; before that, requests on
/// the same connection are served one after another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_refusal_on_a_keep_alive_connection_says_connection_close() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = seeded_sqlite(dir.path());
    let mut server = Server::start(&url, dir.path(), &["--rate-limit-address", "3"]);
    server.wait_ready().await;
    let port = server.port;

    let mut s = connect_from(None, port).await.expect("connect");
    let one = format!(
        "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{QUERY}",
        QUERY.len()
    );
    let mut served = 0;
    let refusal = loop {
        s.write_all(one.as_bytes())
            .await
            .expect("send on the open connection");
        let a = read_answer(&mut s)
            .await
            .expect("read")
            .expect("the connection was closed without `Connection: close` on the last answer");
        if a.status == 429 {
            break a;
        }
        assert_eq!(classify(Ok((a.status, a.body.clone()))), "ok", "{a:?}");
        assert!(!a.head.contains("connection: close"), "{a:?}");
        served += 1;
        assert!(served <= 10, "the rate limit of 3 a minute never refused");
    };
    assert!(served >= 1, "nothing served before the refusal");
    assert!(refusal.body.contains("RATE_LIMITED"), "{refusal:?}");
    assert!(refusal.head.contains("retry-after:"), "{refusal:?}");
    assert!(
        refusal.head.contains("connection: close"),
        "a refusal that leaves the body unread must close: {refusal:?}"
    );
    assert!(
        closes_within(&mut s, Duration::from_secs(3)).await,
        "the server kept the connection open after saying close"
    );
    eprintln!("keep-alive: {served} served, then 429 with Connection: close");
}
