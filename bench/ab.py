#!/usr/bin/env python3
"""Compares edustats binaries on one query, in one run: each binary serves the benchmark's
SYNTHETIC database (made by an earlier `bench/run.sh` with the same size and seed) in turn and is
loaded with oha in closed loop; prints requests/s, the server's CPU per request, PostgreSQL's
CPU per request and the server's peak RSS (VmHWM). Alternate the binaries (A B A B) so that a
change in the machine's load shows.

    bench/ab.py QUERY SECONDS pg|sqlite BINARY... [--data bench_300_20_50_1]

QUERY is a name of harness.queries() ("ranking", "ranking, first 20", "change", ...).
Environment as bench/run.sh sets it (BENCH_TOOLS, BENCH_WORK, BENCH_PG_BIN, BENCH_OHA); the
defaults below are run.sh's. The private PostgreSQL server must not be running already.
"""
import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
tools = os.environ.setdefault("BENCH_TOOLS", "/work/tools")
os.environ.setdefault("BENCH_WORK", str(Path(tools).parent / "bench-work"))
os.environ.setdefault("BENCH_OHA", f"{tools}/bin/oha")
if "BENCH_PG_BIN" not in os.environ:
    os.environ["BENCH_PG_BIN"] = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1].as_posix()
import harness as h  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("query")
    ap.add_argument("seconds", type=int)
    ap.add_argument("backend", choices=["pg", "sqlite"])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--data", default="bench_300_20_50_1")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    work = Path(os.environ["BENCH_WORK"])
    pg = h.PrivatePostgres(work, int(os.environ.get("BENCH_PG_PORT", "55432")))
    pg.start()
    try:
        pg_url = pg.url(args.data)
        db_url = pg_url if args.backend == "pg" else f"sqlite://{work}/{args.data}.sqlite3"
        indicator, year, _ = h.pick_question(pg_url)
        doc, variables = h.queries(indicator, year)[args.query]["edustats"]
        body = json.dumps({"query": doc, "variables": variables})
        for binary in args.binaries:
            os.environ["BENCH_EDUSTATS"] = binary
            s = h.start_edustats("ab", db_url, work, 8, cache=False)
            try:
                s.wait(json.dumps({"query": "{ __typename }"}))
                answer = h.post(s.url(), body)
                if "errors" in answer:
                    h.fail(f"{binary}: {answer['errors']}")
                h.oha(s.url(), body, 2, args.concurrency)
                c0, d0 = h.proc_cpu(s.pid), pg.cpu_seconds()
                r = h.oha(s.url(), body, args.seconds, args.concurrency)
                c1, d1 = h.proc_cpu(s.pid), pg.cpu_seconds()
                n = max(r["requests"], 1)
                print(
                    f"{Path(binary).name:28} {args.query}: {r['rps']:8.0f} req/s  "
                    f"server {1000 * (c1 - c0) / n:6.3f} ms/req  "
                    f"PostgreSQL {1000 * (d1 - d0) / n:6.3f} ms/req  "
                    f"peak RSS {h.peak_rss_mb(s.pid):6.1f} MB",
                    flush=True,
                )
            finally:
                s.stop()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
