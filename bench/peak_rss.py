#!/usr/bin/env python3
"""Peak memory of edustats binaries on SQLite: each binary serves the benchmark's SYNTHETIC
SQLite file (made by an earlier `bench/run.sh` with the same size and seed) and is loaded with
the four questions of the harness in turn (oha, closed loop, 16 connections); prints the
server's requests/s and its peak RSS (VmHWM) after each question.

    bench/peak_rss.py SECONDS BINARY... [--data bench_3000_20_200_1]
                      [--indicator synthetic_005_headcount] [--year 2024]

Set MALLOC_ARENA_MAX in the environment to see its effect (every binary inherits it).
Environment as bench/run.sh sets it (BENCH_TOOLS, BENCH_WORK, BENCH_OHA).
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
import harness as h  # noqa: E402

QUESTIONS = ["ranking", "ranking, first 20", "ranking + year-on-year change", "change"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seconds", type=int)
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--data", default="bench_3000_20_200_1")
    ap.add_argument("--indicator", default="synthetic_005_headcount")
    ap.add_argument("--year", type=int, default=2024)
    args = ap.parse_args()
    work = Path(os.environ["BENCH_WORK"])
    db = work / f"{args.data}.sqlite3"
    if not db.exists():
        h.fail(f"{db} does not exist: run bench/run.sh with that size first")
    queries = h.queries(args.indicator, args.year)
    for binary in args.binaries:
        os.environ["BENCH_EDUSTATS"] = binary
        s = h.start_edustats("peak-rss", f"sqlite://{db}", work, 8, cache=False)
        try:
            s.wait(json.dumps({"query": "{ __typename }"}))
            cells = []
            for name in QUESTIONS:
                doc, variables = queries[name]["edustats"]
                body = json.dumps({"query": doc, "variables": variables})
                answer = h.post(s.url(), body)
                if "errors" in answer:
                    h.fail(f"{binary}: {answer['errors']}")
                r = h.oha(s.url(), body, args.seconds, 16)
                cells.append(f"{name}: {r['rps']:.0f} req/s, peak RSS {h.peak_rss_mb(s.pid):.0f} MB")
            print(f"{Path(binary).name}: " + " | ".join(cells), flush=True)
        finally:
            s.stop()


if __name__ == "__main__":
    main()
