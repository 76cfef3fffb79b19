#!/usr/bin/env python3
"""The benchmark harness behind bench/run.sh (which installs the tools and builds edustats, then
runs this). Everything measured here is measured in one run, on this machine, over the same
SYNTHETIC data:

1. generates the data with `edustats synth` into a private PostgreSQL server and an SQLite file
   (kept between runs of the same size and seed);
2. installs the read API of bench/sql/api.sql (STABLE SQL functions) and the read-only role;
3. starts edustats (release) on each backend and PostGraphile v5 over the same PostgreSQL
   database, as the read-only role, exposing only the API schema (no mutation);
4. checks that edustats (both backends), PostGraphile and the raw SQL give the same answers
   (same districts, values, ranks) and stops, loudly, if not: nothing is timed before;
5. per server and query: maximum throughput (closed loop, oha -c N for the duration), then
   p50/p99 at half of it in open loop (oha -q RATE --latency-correction, so a stalled server
   cannot hide its queue: coordinated omission is corrected); the raw SQL the same way with
   pgbench -M prepared (then -R RATE, latency counted from the scheduled start);
   CPU per request of each server process (utime+stime from /proc/PID/stat, before and after)
   and of the PostgreSQL server, and each server's peak RSS (VmHWM);
6. writes the table (absolute figures, and the ratios edustats/PostGraphile and
   edustats/raw SQL from this same run) as Markdown and JSON.

Standard library only: it runs with the system's python3.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def say(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def fail(msg):
    print(f"BENCHMARK FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def env(name):
    v = os.environ.get(name)
    if not v:
        fail(f"{name} is not set: run bench/run.sh, not harness.py directly")
    return v


def run(cmd, **kw):
    """Runs a command; fails the benchmark with its output if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the private PostgreSQL server -------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL server of our own under BENCH_WORK (as the `postgres` user when run as root,
    since initdb refuses root), so the machine's shared server is neither measured nor loaded."""

    def __init__(self, work, port):
        self.bin = Path(env("BENCH_PG_BIN"))
        self.data = work / "pg"
        self.port = port
        self.as_postgres = os.geteuid() == 0

    def tool(self, name, *args):
        cmd = [str(self.bin / name), *map(str, args)]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return run(cmd)

    def start(self):
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if self.as_postgres:
                run(["chown", "-R", "postgres:postgres", str(self.data.parent)])
            say(f"initdb {self.data}")
            self.tool("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            "-c shared_buffers=512MB -c work_mem=16MB -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_wal_size=4GB"
        )
        self.tool("pg_ctl", "-D", self.data, "-l", self.data.parent / "pg.log", "-o", opts, "-w", "start")

    def stop(self):
        try:
            self.tool("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        except SystemExit:
            pass

    def url(self, db="postgres", user="postgres"):
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}"

    def postmaster_pid(self):
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def cpu_seconds(self):
        """CPU of the whole server: the postmaster and its live children, plus what its exited
        children used (cutime/cstime, reaped by the postmaster)."""
        pm = self.postmaster_pid()
        total = proc_cpu(pm, children=True)
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    fields = stat_fields(int(p.name))
                except OSError:
                    continue
                if int(fields[1]) == pm:  # ppid
                    total += proc_cpu(int(p.name))
        return total


def stat_fields(pid):
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces: fields start after its closing parenthesis.
    rest = raw[raw.rindex(")") + 2 :].split()
    return rest  # rest[0] is state (field 3); utime is field 14 -> rest[11]


def proc_cpu(pid, children=False):
    f = stat_fields(pid)
    t = int(f[11]) + int(f[12])
    if children:
        t += int(f[13]) + int(f[14])
    return t / TICKS


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def psql(url, sql, *extra):
    return run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *extra, url, "-c", sql]).strip()


# --- data --------------------------------------------------------------------------------------


def generate(args, pg, work):
    """SYNTHETIC data into PostgreSQL and SQLite with `edustats synth`; reused when a previous run
    made the same size and seed (the marker file records it)."""
    edustats = env("BENCH_EDUSTATS")
    key = f"{args.districts}x{args.years}x{args.indicators}-seed{args.seed}"
    dbname = f"bench_{args.districts}_{args.years}_{args.indicators}_{args.seed}"
    sqlite = work / f"{dbname}.sqlite3"
    marker = work / f"{dbname}.done"
    pg_url = pg.url(dbname)
    if marker.exists() and marker.read_text().strip() == key:
        say(f"reusing the SYNTHETIC data {key} ({dbname})")
        return pg_url, f"sqlite://{sqlite}", dbname, None
    psql(pg.url(), f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
    psql(pg.url(), f"CREATE DATABASE {dbname}")
    if sqlite.exists():
        sqlite.unlink()
    synth = [
        "synth",
        "--districts", str(args.districts),
        "--years", str(args.years),
        "--indicators", str(args.indicators),
        "--seed", str(args.seed),
    ]
    timings = {}
    for name, url in (("postgres", pg_url), ("sqlite", f"sqlite://{sqlite}")):
        say(f"edustats synth {key} into {name}")
        t = time.monotonic()
        out = run([edustats, *synth, "--database-url", url])
        timings[name] = time.monotonic() - t
        print(out.strip()[-500:], file=sys.stderr)
    psql(pg_url, "VACUUM ANALYZE")
    marker.write_text(key)
    return pg_url, f"sqlite://{sqlite}", dbname, timings


def install_api(pg_url, dbname):
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"dbname={dbname}", pg_url, "-f", str(REPO / "bench/sql/api.sql")])


def pick_question(pg_url):
    """The indicator and year the queries ask about: the SYNTHETIC indicator and year with the
    most total-breakdown actual values in the latest year that has a year before it."""
    row = psql(
        pg_url,
        """
        SELECT i.code, p.year, count(*) FROM observations o
        JOIN indicators i ON i.id = o.indicator_id
        JOIN periods p ON p.id = o.period_id
        JOIN breakdowns b ON b.id = o.breakdown_id
        WHERE o.kind = 'actual' AND b.code = '' AND p.kind = 'year'
          AND p.year > (SELECT min(year) FROM periods)
        GROUP BY 1, 2 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 1
        """,
    )
    if not row:
        fail("the database has no yearly actual values to rank")
    code, year, n = row.split("|")
    if "SYNTHETIC" not in code.upper() and "SYN" not in code.upper():
        fail(f"the chosen indicator {code!r} is not SYNTHETIC: refusing to benchmark real data")
    return code, int(year), int(n)


# --- servers -----------------------------------------------------------------------------------


class Server:
    def __init__(self, name, cmd, port, log, env_extra=None, cwd=None):
        self.name, self.port, self.log_path = name, port, log
        e = dict(os.environ)
        e.update(env_extra or {})
        self.proc = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=e, cwd=cwd)

    @property
    def pid(self):
        return self.proc.pid

    def url(self):
        return f"http://127.0.0.1:{self.port}/graphql"

    def wait(self, probe_body, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"{self.name} exited ({self.proc.returncode}):\n{Path(self.log_path).read_text()[-3000:]}")
            try:
                post(self.url(), probe_body)
                return
            except Exception:
                time.sleep(0.3)
        fail(f"{self.name} did not answer within {timeout} s:\n{Path(self.log_path).read_text()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def post(url, body):
    req = urllib.request.Request(url, data=body.encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def start_edustats(name, db_url, work, pool, cache):
    port = free_port()
    return Server(
        name,
        [
            env("BENCH_EDUSTATS"), "serve",
            "--database-url", db_url,
            "--addr", f"127.0.0.1:{port}",
            "--pool-size", str(pool),
            "--rate-limit-address", "0",
            "--rate-limit-key", "0",
            "--pages", "false",
            "--response-cache", "on" if cache else "off",
        ],
        port,
        work / f"{name.replace(', ', '-').replace(' ', '-')}.log",
        {"RUST_LOG": "warn"},
    )


def start_postgraphile(pg, dbname, work):
    port = free_port()
    d = Path(env("BENCH_POSTGRAPHILE_DIR"))
    shutil.copy(REPO / "bench/postgraphile/graphile.config.mjs", d / "graphile.config.mjs")
    return Server(
        "postgraphile",
        [env("BENCH_NODE"), str(d / "node_modules/postgraphile/dist/cli-run.js")]
        if (d / "node_modules/postgraphile/dist/cli-run.js").exists()
        else [env("BENCH_NODE"), str(d / "node_modules/.bin/postgraphile")],
        port,
        work / "postgraphile.log",
        {
            "BENCH_PG_URL": pg.url(dbname, user="bench_readonly"),
            "BENCH_PORT": str(port),
            "NODE_ENV": "production",
            "GRAPHILE_ENV": "production",
        },
        cwd=str(d),
    )


# --- the queries -------------------------------------------------------------------------------


def queries(indicator, year):
    """Per query: the edustats document, the PostGraphile document, the pgbench SQL (JSON built
    in PostgreSQL), and how to turn each answer into comparable rows."""
    v = {"i": indicator, "y": year, "p": year - 1}
    entry_sql = "json_build_object('rank', rank, 'value', value, 'district', json_build_object('code', district_code))"
    return {
        "ranking": {
            "edustats": ("query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y) { entries { rank value district { code } } } }", v),
            "postgraphile": ("query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y) { nodes { rank value districtCode } } }", v),
            "sql": f"SELECT json_build_object('data', json_build_object('ranking', json_build_object('entries', coalesce(json_agg({entry_sql}), '[]')))) FROM bench_api.ranking(:i, :y)",
        },
        "ranking, first 20": {
            "edustats": ("query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, first: 20) { entries { rank value district { code } } } }", v),
            "postgraphile": ("query($i: String!, $y: Int!) { ranking(indicator: $i, year: $y, first: 20) { nodes { rank value districtCode } } }", v),
            "sql": f"SELECT json_build_object('data', json_build_object('ranking', json_build_object('entries', coalesce(json_agg({entry_sql}), '[]')))) FROM (SELECT * FROM bench_api.ranking(:i, :y) LIMIT 20) r",
        },
        "ranking + year-on-year change": {
            "edustats": (
                "query($i: String!, $y: Int!, $p: Int!) { ranking(indicator: $i, year: $y, compareWith: $p) "
                "{ entries { rank value district { code } change { fromValue absoluteChange } } } }",
                v,
            ),
            "postgraphile": (
                "query($i: String!, $y: Int!) { rankingWithChange(indicator: $i, year: $y) { nodes { rank value districtCode previousValue absoluteChange } } }",
                v,
            ),
            "sql": "SELECT json_build_object('data', json_build_object('rankingWithChange', coalesce(json_agg(json_build_object('rank', rank, 'value', value, 'district', json_build_object('code', district_code), 'previousValue', previous_value, 'absoluteChange', absolute_change)), '[]'))) FROM bench_api.ranking_with_change(:i, :y)",
        },
        "change": {
            "edustats": ("query($i: String!, $y: Int!, $p: Int!) { change(indicator: $i, from: $p, to: $y) { district { code } fromValue toValue absoluteChange } }", v),
            "postgraphile": ("query($i: String!, $y: Int!, $p: Int!) { change(indicator: $i, fromYear: $p, toYear: $y) { nodes { districtCode fromValue toValue absoluteChange } } }", v),
            "sql": "SELECT json_build_object('data', json_build_object('change', coalesce(json_agg(json_build_object('district', json_build_object('code', district_code), 'fromValue', from_value, 'toValue', to_value, 'absoluteChange', absolute_change)), '[]'))) FROM bench_api.change(:i, :p, :y)",
        },
        "{ __typename } floor": {
            "edustats": ("{ __typename }", {}),
            "postgraphile": ("{ __typename }", {}),
            "sql": "SELECT json_build_object('data', json_build_object('__typename', 'Query'))",
        },
    }


def rows_of(name, source, answer):
    """An answer as a sorted list of comparable tuples (values rounded to 1e-9 relative)."""

    def num(x):
        return None if x is None else float(f"{float(x):.12g}")

    if "errors" in answer:
        fail(f"{name}: {source} answered with errors: {json.dumps(answer['errors'])[:1000]}")
    d = answer["data"]
    if name.startswith("ranking") and "change" not in name:
        name = "ranking"
    if name == "ranking":
        if source == "postgraphile":
            return sorted((e["rank"], e["districtCode"], num(e["value"])) for e in d["ranking"]["nodes"])
        return sorted((e["rank"], e["district"]["code"], num(e["value"])) for e in d["ranking"]["entries"])
    if name == "ranking + year-on-year change":
        if source == "postgraphile":
            return sorted((e["rank"], e["districtCode"], num(e["value"]), num(e["previousValue"]), num(e["absoluteChange"])) for e in d["rankingWithChange"]["nodes"])
        if source == "sql":
            return sorted((e["rank"], e["district"]["code"], num(e["value"]), num(e["previousValue"]), num(e["absoluteChange"])) for e in d["rankingWithChange"])
        return sorted(
            (e["rank"], e["district"]["code"], num(e["value"]), num(e["change"]["fromValue"]), num(e["change"]["absoluteChange"]))
            for e in d["ranking"]["entries"]
        )
    if name == "change":
        if source == "postgraphile":
            return sorted((e["districtCode"], num(e["fromValue"]), num(e["toValue"]), num(e["absoluteChange"])) for e in d["change"]["nodes"])
        return sorted((e["district"]["code"], num(e["fromValue"]), num(e["toValue"]), num(e["absoluteChange"])) for e in d["change"])
    # The root type's name differs (edustats: QueryRoot, PostGraphile: Query): only its
    # presence is compared.
    return [bool(d.get("__typename"))]


def sql_answer(pg_url, sql, indicator, year):
    text = sql.replace(":i", "$1").replace(":y", "$2").replace(":p", "$3")
    # psql has no bind parameters in -c; literal substitution is fine for these trusted values.
    lit = text.replace("$1", f"'{indicator}'").replace("$2", str(year)).replace("$3", str(year - 1))
    return json.loads(psql(pg_url, lit))


# --- load --------------------------------------------------------------------------------------


def oha(url, body, duration, concurrency, rate=None):
    cmd = [
        env("BENCH_OHA"), "--no-tui", "--output-format", "json",
        "-z", f"{duration}s", "-c", str(concurrency),
        "-m", "POST", "-H", "content-type: application/json", "-d", body,
    ]
    if rate:
        cmd += ["-q", str(rate), "--latency-correction"]
    out = json.loads(run(cmd + [url]))
    s = out["summary"]
    codes = out.get("statusCodeDistribution", {})
    ok = int(codes.get("200", 0))
    total = sum(int(n) for n in codes.values())
    errors = out.get("errorDistribution", {})
    pct = out.get("latencyPercentiles", {})
    return {
        "rps": s["requestsPerSec"],
        "requests": total,
        "non_200": total - ok,
        # A request still in flight when the duration ends is cut off by oha: not a failure.
        "errors": sum(int(n) for k, n in errors.items() if "deadline" not in k),
        "p50_ms": (pct.get("p50") or 0) * 1000,
        "p99_ms": (pct.get("p99") or 0) * 1000,
    }


def measure_http(server, body, args, pg):
    """Maximum throughput, then p50/p99 at half of it; CPU per request of the server and of
    PostgreSQL during the maximum-throughput phase."""
    post(server.url(), body)  # warm
    oha(server.url(), body, min(2, args.duration), args.concurrency)
    c0, d0 = proc_cpu(server.pid), pg.cpu_seconds()
    peak = oha(server.url(), body, args.duration, args.concurrency)
    c1, d1 = proc_cpu(server.pid), pg.cpu_seconds()
    if peak["non_200"] or peak["errors"]:
        fail(f"{server.name}: {peak['non_200']} non-200 answers and {peak['errors']} errors under load")
    n = max(peak["requests"], 1)
    half = oha(server.url(), body, args.duration, args.concurrency * 4, rate=max(1, int(peak["rps"] / 2)))
    return {
        "max_rps": peak["rps"],
        "p50_ms": half["p50_ms"],
        "p99_ms": half["p99_ms"],
        "half_rate": int(peak["rps"] / 2),
        "half_achieved_rps": half["rps"],
        "cpu_ms_per_req": (c1 - c0) * 1000 / n,
        "db_cpu_ms_per_req": (d1 - d0) * 1000 / n,
    }


def measure_sql(pg_url, sql, indicator, year, args, pg, work):
    script = work / "pgbench.sql"
    script.write_text(sql.replace(":i", ":ind").replace(":y", ":yr").replace(":p", ":prev") + ";\n")
    base = [
        str(Path(env("BENCH_PG_BIN")) / "pgbench"), "-n", "-M", "prepared", "-f", str(script),
        "-D", f"ind={indicator}", "-D", f"yr={year}", "-D", f"prev={year - 1}",
        "-c", str(args.concurrency), "-j", "2",
    ]
    run(base + ["-T", "2", pg_url])
    d0 = pg.cpu_seconds()
    out = run(base + ["-T", str(args.duration), pg_url])
    d1 = pg.cpu_seconds()
    tps = float(next(l for l in out.splitlines() if l.startswith("tps")).split("=")[1].split()[0])
    done = int(next(l for l in out.splitlines() if "number of transactions actually processed" in l).split(":")[1].split("/")[0])
    logdir = Path(tempfile.mkdtemp(dir=work))
    rate = max(1, int(tps / 2))
    run(base + ["-T", str(args.duration), "-R", str(rate), "-l", "--log-prefix", str(logdir / "tx"), pg_url])
    lat = []
    for f in logdir.iterdir():
        for line in f.read_text().splitlines():
            p = line.split()
            # client tx time_us script epoch epoch_us [schedule_lag_us]: latency from the
            # scheduled start is the time plus the lag.
            lat.append((int(p[2]) + (int(p[6]) if len(p) > 6 else 0)) / 1000)
    shutil.rmtree(logdir)
    lat.sort()
    q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] if lat else float("nan")
    return {
        "max_rps": tps,
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "half_rate": rate,
        "half_achieved_rps": len(lat) / args.duration,
        "cpu_ms_per_req": 0.0,
        "db_cpu_ms_per_req": (d1 - d0) * 1000 / max(done, 1),
    }


# --- report ------------------------------------------------------------------------------------


def ratio(a, b):
    return a / b if b else float("nan")


def report(meta, results, out):
    lines = []
    lines.append(f"### {meta['size']} — {meta['when']}")
    lines.append("")
    lines.append(f"Command: `{meta['command']}`  ")
    lines.append(
        f"Data: SYNTHETIC, {meta['observations']:,} observations; question: indicator `{meta['indicator']}`, year {meta['year']} "
        f"({meta['ranked']} values that year). Machine: {meta['cpus']} cores shared, load average {meta['load']} at the start. "
        f"Each phase {meta['duration']} s, {meta['concurrency']} connections for the maximum; p50/p99 in open loop at half of each "
        f"one's own maximum (coordinated omission corrected)."
    )
    lines.append("")
    lines.append("| query | server | max req/s | p50 ms @ ½ | p99 ms @ ½ | server CPU ms/req | PostgreSQL CPU ms/req | peak RSS MB |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for q, per in results["queries"].items():
        for s, r in per.items():
            rss = results["rss_mb"].get(s)
            lines.append(
                f"| {q} | {s} | {r['max_rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{r['cpu_ms_per_req']:.3f} | {r['db_cpu_ms_per_req']:.3f} | {'' if rss is None else f'{rss:.0f}'} |"
            )
    lines.append("")
    lines.append("Ratios from this run (throughput: higher is better for edustats; median: lower is better):")
    lines.append("")
    lines.append("| query | edustats-pg ÷ PostGraphile (req/s) | edustats-pg ÷ raw SQL (req/s) | edustats-pg ÷ raw SQL (p50) | edustats-sqlite ÷ PostGraphile (req/s) | edustats-pg cache on ÷ PostGraphile (req/s) |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for q, per in results["queries"].items():
        e, g, r = per.get("edustats-pg"), per.get("postgraphile"), per.get("raw SQL (pgbench)")
        es, ec = per.get("edustats-sqlite"), per.get("edustats-pg, cache on")
        if not (e and g and r and es and ec):
            continue
        lines.append(
            f"| {q} | {ratio(e['max_rps'], g['max_rps']):.2f} | {ratio(e['max_rps'], r['max_rps']):.2f} | "
            f"{ratio(e['p50_ms'], r['p50_ms']):.2f} | {ratio(es['max_rps'], g['max_rps']):.2f} | {ratio(ec['max_rps'], g['max_rps']):.2f} |"
        )
    lines.append("")
    text = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, **results}, indent=2) + "\n")
    print(text)


# --- main --------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="edustats vs PostGraphile vs raw SQL (see BENCHMARKS.md)")
    ap.add_argument("--districts", type=int, default=300)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10, help="seconds per load phase")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--pool-size", type=int, default=8, help="edustats' connection pool")
    ap.add_argument("--quick", action="store_true", help="tiny data, 3 s phases: checks the harness, measures little")
    ap.add_argument("--only-check", action="store_true", help="stop after the agreement check")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.districts, args.years, args.indicators, args.duration = 50, 5, 10, 3
    work = Path(env("BENCH_WORK"))
    size = f"{args.districts} districts × {args.years} years × {args.indicators} indicators"
    out = args.out or REPO / "bench/results" / f"{args.districts}x{args.years}x{args.indicators}.md"
    load = open("/proc/loadavg").read().split()[:3]

    pg = PrivatePostgres(work, int(os.environ.get("BENCH_PG_PORT", "55432")))
    servers = []
    try:
        pg.start()
        pg_url, sqlite_url, dbname, load_times = generate(args, pg, work)
        install_api(pg_url, dbname)
        indicator, year, ranked = pick_question(pg_url)
        observations = int(psql(pg_url, "SELECT count(*) FROM observations"))
        say(f"question: {indicator} in {year} ({ranked} values); {observations:,} observations")

        probe = json.dumps({"query": "{ __typename }"})
        # The response cache is measured apart: every request of a load phase is the same, so
        # with the cache on edustats answers from memory after the first one.
        e_pg = start_edustats("edustats-pg", pg_url, work, args.pool_size, cache=False)
        # The first server applies any pending migration; two starting at once would both try.
        e_pg.wait(probe)
        e_sq = start_edustats("edustats-sqlite", sqlite_url, work, args.pool_size, cache=False)
        e_pc = start_edustats("edustats-pg, cache on", pg_url, work, args.pool_size, cache=True)
        pgl = start_postgraphile(pg, dbname, work)
        servers = [e_pg, e_sq, e_pc, pgl]
        for s in servers:
            s.wait(probe)
        # PostGraphile must expose no mutation at all.
        m = post(pgl.url(), json.dumps({"query": "{ __schema { mutationType { name } } }"}))
        if m.get("data", {}).get("__schema", {}).get("mutationType") is not None:
            fail(f"PostGraphile exposes mutations: {m}")

        qs = queries(indicator, year)
        say("checking that the answers agree")
        bodies = {}
        for name, q in qs.items():
            eq, ev = q["edustats"]
            gq, gv = q["postgraphile"]
            be = json.dumps({"query": eq, "variables": ev})
            bg = json.dumps({"query": gq, "variables": gv})
            bodies[name] = (be, bg)
            answers = {
                "edustats-pg": rows_of(name, "edustats", post(e_pg.url(), be)),
                "edustats-sqlite": rows_of(name, "edustats", post(e_sq.url(), be)),
                "edustats-pg, cache on": rows_of(name, "edustats", post(e_pc.url(), be)),
                "postgraphile": rows_of(name, "postgraphile", post(pgl.url(), bg)),
                "raw SQL": rows_of(name, "sql", sql_answer(pg_url, q["sql"], indicator, year)),
            }
            ref = answers["edustats-pg"]
            if name != "{ __typename } floor" and not ref:
                fail(f"{name}: edustats answered no rows; nothing to compare")
            for who, rows in answers.items():
                if rows != ref:
                    diff = [x for x in zip(ref, rows) if x[0] != x[1]][:5]
                    fail(f"{name}: {who} disagrees with edustats-pg ({len(rows)} vs {len(ref)} rows); first differences: {diff}")
            say(f"  {name}: {len(ref)} rows, identical in all {len(answers)}")
        if args.only_check:
            return

        results = {"queries": {}, "rss_mb": {}}
        for name, q in qs.items():
            be, bg = bodies[name]
            per = {}
            for s, body in ((e_pg, be), (e_sq, be), (e_pc, be), (pgl, bg)):
                say(f"load: {name} on {s.name}")
                per[s.name] = measure_http(s, body, args, pg)
            say(f"load: {name} as raw SQL (pgbench)")
            per["raw SQL (pgbench)"] = measure_sql(pg_url, q["sql"], indicator, year, args, pg, work)
            results["queries"][name] = per
        for s in servers:
            results["rss_mb"][s.name] = peak_rss_mb(s.pid)
        meta = {
            "size": size,
            "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "bench/run.sh " + " ".join(sys.argv[1:]),
            "observations": observations,
            "indicator": indicator,
            "year": year,
            "ranked": ranked,
            "cpus": os.cpu_count(),
            "load": " ".join(load),
            "duration": args.duration,
            "concurrency": args.concurrency,
            "load_seconds": load_times,
        }
        report(meta, results, out)
    finally:
        for s in servers:
            s.stop()
        pg.stop()


if __name__ == "__main__":
    main()
