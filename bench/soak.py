#!/usr/bin/env python3
"""The soak run behind bench/soak (issue 24): N minutes of mixed traffic against `edustats serve`
on SQLite and/or PostgreSQL, the server killed with SIGKILL and restarted on the same database
at half time, then a verification of everything the client saw acknowledged.

Per backend:

1. a fresh database (an SQLite file in a temporary folder; a new PostgreSQL database on
   $SOAK_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped at the end),
   seeded with the real reports of seeds/ (`edustats seed`), an editor and an admin key
   (`edustats keys create`), and `edustats serve` on a free loopback port, rate limits off
   (one client address sends everything), waited for on /readyz;
2. traffic, all at once: readers over every query shape of the schema (POST, GET and
   automatic persisted queries), CSV exports read slowly, imports of small generated bundles
   (labelled SYNTHETIC in their codes, titles, text and quotes), corrections of imported and
   seed observations, the draft flow (extractReport on a seed report's text under a SYNTHETIC
   code -> decidePending -> publishDraft), slow clients (headers never finished, a body declared
   and never sent, headers dripped a byte at a time), and bad input (malformed JSON, wrong
   types, too deep, unknown codes, repeated directives, oversized bodies, ...);
3. at half time `kill -9` of the server, a restart on the same database, /readyz again;
4. at the end: every write the client saw acknowledged (HTTP 200, no `errors`) is read back
   (the CSV export and GraphQL) with its value, nothing is duplicated (no key or source twice,
   the row count exactly the seed rows plus the acknowledged rows, writes whose answer was lost
   all or nothing), refused writes left nothing; answers are counted by `extensions.code`;
   the server's RSS, sampled every 2 s, must stay within +-15 % of its mean after warm-up;
   latency percentiles per minute and per operation class.

Writes results.json and summary.md (Markdown for RELIABILITY.md) into the output folder and
exits 1 when a check failed, naming it. Standard library only.
"""

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import http.client
import urllib.parse
from pathlib import Path

# The benchmark harness's helper (bench/harness.py sits beside this file; importing it runs nothing).
from harness import free_port

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CLIENT_TIMEOUT = 60.0


def say(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"SOAK SETUP FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        die(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def pct(values, p):
    """Percentile by linear interpolation between closest ranks (NumPy's default)."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# --- recording ---------------------------------------------------------------------------------


class Recorder:
    """Every request the soak sent: when it started and ended (seconds since traffic start), its
    class, HTTP status (0: no answer), outcome code (`OK`, an `extensions.code`, `HTTP_<status>`
    for an error without a GraphQL body, `NO_CODE` for an error without a code, `TRANSPORT` for a
    timeout / reset / refused connection) and the transport error's text."""

    def __init__(self, t0):
        self.t0 = t0
        self.lock = threading.Lock()
        self.rows = []

    def now(self):
        return time.monotonic() - self.t0

    def add(self, cls, start, end, status, code, detail=None):
        with self.lock:
            self.rows.append((cls, start, end, status, code, detail))


class Ledger:
    """The writes, by what the client saw: `acked` (HTTP 200 and no errors), `refused` (an error
    with its code: nothing may have been written) or `unknown` (no answer: a timeout, reset or
    refused connection; the write may or may not have happened, but all or nothing)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.imports = []  # dict(code, rows: {key: value}, outcome, code_err, t)
        self.corrections = {}  # key -> list of dict(value, outcome, code_err, t)
        self.drafts = []  # dict(code, id, stage, outcome, code_err, created, t)
        self.acked_import_rows = []  # (key, quote_a, value_a, quote_b, value_b) of acked imports

    def add_import(self, rec):
        with self.lock:
            self.imports.append(rec)


# --- HTTP --------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.json = None
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            pass

    def codes(self):
        """Every error's extensions.code (a batch answer: of each request)."""
        docs = self.json if isinstance(self.json, list) else [self.json]
        out = []
        for d in docs:
            if isinstance(d, dict):
                for e in d.get("errors") or []:
                    code = (e.get("extensions") or {}).get("code") if isinstance(e, dict) else None
                    out.append(code or "NO_CODE")
                if isinstance(d.get("error"), dict):  # the export's error shape: {"error": {"code", "message"}}
                    out.append(d["error"].get("code") or "NO_CODE")
        return out

    def code(self):
        """The answer's outcome code: OK, the first error's code, or HTTP_<status>."""
        c = self.codes()
        if c:
            return c[0]
        if self.status != 200:
            return f"HTTP_{self.status}"
        return "OK"

    def data(self):
        return self.json.get("data") if isinstance(self.json, dict) else None


class Client:
    """One keep-alive HTTP/1.1 connection (http.client), re-opened after a failure. Nothing is
    ever retried: an exception is reported as it is."""

    def __init__(self, port, fresh=False):
        self.port, self.fresh, self.conn = port, fresh, None

    def request(self, method, path, body=None, headers=None, timeout=CLIENT_TIMEOUT):
        if self.conn is None or self.fresh:
            self.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        try:
            try:
                self.conn.request(method, path, body=body, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (413 on the declared length) and close before reading the
                # whole body: its answer is still in the socket, read it.
                pass
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("connection", "").lower() == "close" or self.fresh:
                self.close()
            return Answer(r.status, data, dict(r.getheaders()))
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None


def gql_body(query, variables=None, op=None, extensions=None):
    b = {"query": query}
    if variables is not None:
        b["variables"] = variables
    if op:
        b["operationName"] = op
    if extensions:
        b["extensions"] = extensions
    return json.dumps(b, ensure_ascii=False)


class Soak:
    """The traffic against one server, and what it saw."""

    def __init__(self, args, port, rec, ledger, keys, catalogue, runid, backend):
        self.args, self.port, self.rec, self.ledger = args, port, rec, ledger
        self.editor, self.admin = keys
        self.cat = catalogue
        self.runid, self.backend = runid, backend
        self.stop = threading.Event()
        self.counter_lock = threading.Lock()
        self.counter = 0
        self.slow = []  # slow-client connections: dict(kind, opened, held, outcome)
        self.bad = {}  # case -> {code: count}
        self.exports = []  # dict(t, rows, unique, seconds, status, complete)

    def next_n(self):
        with self.counter_lock:
            self.counter += 1
            return self.counter

    def timed(self, cls, client, method, path, body=None, headers=None):
        """Sends one request, records it; returns the Answer, or None when there was none."""
        start = self.rec.now()
        try:
            a = client.request(method, path, body, headers)
        except Exception as e:  # timeout, reset, refused: no answer
            self.rec.add(cls, start, self.rec.now(), 0, "TRANSPORT", f"{type(e).__name__}: {e}"[:200])
            return None
        self.rec.add(cls, start, self.rec.now(), a.status, a.code())
        return a

    def gql(self, cls, client, query, variables=None, key=None, op=None):
        h = {"Authorization": f"Bearer {key}"} if key else {}
        return self.timed(cls, client, "POST", "/graphql", gql_body(query, variables, op), h)

    def pace(self, period):
        """Sleeps `period` seconds give or take 50 %, unless the run is stopping."""
        self.stop.wait(period * random.uniform(0.5, 1.5))

    # --- reads ---------------------------------------------------------------------------------

    def read_shapes(self):
        c = self.cat
        rnd = random.choice

        def ranked():
            ind, year = rnd(c["indicator_years"])
            return ind, year

        def ranking():
            ind, year = ranked()
            return ("ranking", "query Ranking($i: String!, $y: Int!, $d: Boolean!) { ranking(indicator: $i, year: $y, "
                    "latestOnOrBefore: true, includeDerived: $d) { coverage entries { rank value year percentile "
                    "district { code nameZh parent { code } } observation { key quote source { code } } "
                    "standardChecks { met gap } } stats { count mean median min max } } }",
                    {"i": ind, "y": year, "d": random.random() < 0.5})

        def ranking_asof():
            ind, year = ranked()
            return ("ranking_asof", "query RankingAsOf($i: String!, $y: Int!, $t: DateTime!) { ranking(indicator: $i, "
                    "year: $y, latestOnOrBefore: true, asOf: $t, first: 5) { coverage entries { rank value } } }",
                    {"i": ind, "y": year, "t": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})

        def change():
            ind, year = ranked()
            return ("change", "query Change($i: String!, $f: Int!, $t: Int!) { change(indicator: $i, from: $f, to: $t) { "
                    "district { code nameEn } fromValue toValue absoluteChange absoluteUnit relativeChange relativeChangeGap } }",
                    {"i": ind, "f": year - 1, "t": year})

        def compare():
            ds = random.sample(c["districts"], 3)
            inds = random.sample(c["indicators"], 4)
            return ("compare", "query Compare($d: [String!]!, $i: [String!]!, $y: Int!) { compare(districts: $d, "
                    "indicators: $i, year: $y, latestOnOrBefore: true) { year indicators { code unit } rows { "
                    "district { code } cells { indicator value year observation { key } } } } }",
                    {"d": ds, "i": inds, "y": rnd([2020, 2022, 2024, 2025])})

        def time_series():
            d, ind = rnd(c["district_indicators"])
            return ("timeSeries", "query Series($d: String!, $i: String!) { timeSeries(district: $d, indicator: $i) { "
                    "district { code } indicator { code unit } points { year value } targets { year value "
                    "observation { key source { code } } } } }", {"d": d, "i": ind})

        def progress():
            return ("progress", "query Progress($d: [String!]) { progress(districts: $d) { target { key quote } "
                    "targetValue targetPeriod condition actualValue actualPeriod gap met status due yearsLeft "
                    "neededPerYear pacePerYear } }", {"d": [rnd(c["reporting_districts"])]})

        def aggregate():
            ind, year = ranked()
            return ("aggregate", "query Agg($i: String!, $y: Int!, $g: AggregateGroupBy!) { aggregate(indicator: $i, "
                    "year: $y, groupBy: $g, latestOnOrBefore: true) { additive groups { key count mean median p10 "
                    "p90 min max sum members { district { code } value percentile } } } }",
                    {"i": ind, "y": year, "g": rnd(["PARENT", "LEVEL"])})

        def standards():
            return ("standards", "{ standards { code comparator value docTitle quote } "
                    "standardShortfalls(standard: \"physical_health_good_rate_benchmark_50\", year: 2025, "
                    "latestOnOrBefore: true) { district { code } value gap observation { key } } }", None)

        def observations():
            filt = {}
            r = random.random()
            if r < 0.3:
                filt["districts"] = [rnd(c["reporting_districts"])]
            elif r < 0.6:
                filt["indicators"] = random.sample(c["indicators"], 3)
            elif r < 0.8:
                filt["years"] = [rnd([2020, 2021, 2022, 2023, 2024, 2025])]
            return ("observations", "query Obs($f: ObservationFilter, $n: Int, $a: String) { observations(filter: $f, "
                    "first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { key value "
                    "valueText unit year revision district { code } indicator { code dimensions } source { code } "
                    "breakdown { dimension member } qualityFlags { code } standardChecks { met } } } } }",
                    {"f": filt, "n": rnd([20, 100, 500]), "a": None})

        def districts():
            return ("districts", "{ districts { code nameZh nameEn level parent { code } } }", None)

        def district():
            d, ind = rnd(c["district_indicators"])
            return ("district", "query D($d: String!, $i: String!) { district(code: $d) { code nameEn "
                    "latestValue(indicator: $i) { value year observation { key } } progress { status } "
                    "observations { key value indicator { code } } } }", {"d": d, "i": ind})

        def indicators():
            return ("indicators", "query Inds($s: String) { indicators(search: $s) { code nameZh nameEn unit category "
                    "direction dimensions } }", {"s": rnd([None, "teacher", "学", "rate", "school"])})

        def indicator():
            return ("indicator", "query Ind($i: String!) { indicator(code: $i) { code unit coverage { district { code } "
                    "years } latestValues { value year district { code } } } }", {"i": rnd(c["indicators"])})

        def sources():
            return ("sources", "query S($c: String!) { sources { code titleEn date district { code } } "
                    "source(code: $c) { code observations { key quoteStart quoteEnd } } }",
                    {"c": rnd(c["seed_sources"])})

        def quality():
            return ("qualityFindings", "{ qualityFindings { code rule severity message source { code } "
                    "observations { key } } }", None)

        return [ranking, ranking_asof, change, compare, time_series, progress, aggregate, standards,
                observations, districts, district, indicators, indicator, sources, quality]

    def reader(self, idx, n_readers):
        client = Client(self.port)
        shapes = self.read_shapes()
        period = n_readers / max(self.args.read_rate, 0.1)
        while not self.stop.is_set():
            r = random.random()
            shape, q, v = random.choice(shapes)()
            if r < 0.08:
                # GET /graphql (cacheable)
                qs = {"query": q}
                if v is not None:
                    qs["variables"] = json.dumps(v, ensure_ascii=False)
                self.timed("read:GET", client, "GET", "/graphql?" + urllib.parse.urlencode(qs))
            elif r < 0.16:
                # automatic persisted query: the hash alone, then (on PERSISTED_QUERY_NOT_FOUND) with the query
                h = hashlib.sha256(q.encode()).hexdigest()
                ext = {"persistedQuery": {"version": 1, "sha256Hash": h}}
                body = json.dumps({"variables": v, "extensions": ext}, ensure_ascii=False)
                a = self.timed("read:APQ", client, "POST", "/graphql", body)
                if a is not None and a.code() == "PERSISTED_QUERY_NOT_FOUND":
                    self.timed("read:APQ-register", client, "POST", "/graphql", gql_body(q, v, None, ext))
            elif r < 0.19:
                self.gql("read:auditLog", client, "{ auditLog(limit: 20) { at actor action rowCount } }", key=self.admin)
            elif r < 0.22:
                self.gql("read:drafts", client, "{ drafts { id code status pending } }", key=self.editor)
            else:
                self.gql(f"read:{shape}", client, q, v)
            self.pace(period)
        client.close()

    # --- exports, read slowly ------------------------------------------------------------------

    def exporter(self, idx):
        while not self.stop.is_set():
            params = random.choice(["", "", "?kind=actual", f"?district={random.choice(self.cat['reporting_districts'])}"])
            start = self.rec.now()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
            rec = {"t": round(start, 1), "params": params}
            try:
                conn.request("GET", "/export/observations.csv" + params)
                r = conn.getresponse()
                ttfb = self.rec.now()
                if r.status != 200:
                    a = Answer(r.status, r.read())
                    self.rec.add("export", start, ttfb, r.status, a.code())
                    rec.update(status=r.status, code=a.code())
                else:
                    chunks = []
                    while True:
                        b = r.read(self.args.export_chunk)
                        if not b:
                            break
                        chunks.append(b)
                        # Slow while the traffic runs; after it, the rest at full speed, so the
                        # export still completes (and is checked) but the run is not held up by
                        # an export that has grown with the warehouse.
                        if not self.stop.is_set():
                            time.sleep(self.args.export_sleep)
                    text = b"".join(chunks).decode()
                    rows = list(csv.DictReader(io.StringIO(text)))
                    keys = [x["key"] for x in rows]
                    complete = text.endswith("\n")
                    self.rec.add("export", start, ttfb, 200, "OK")
                    rec.update(status=200, rows=len(rows), unique=len(set(keys)) == len(keys),
                               seconds=round(self.rec.now() - start, 2), complete=complete)
            except Exception as e:
                self.rec.add("export", start, self.rec.now(), 0, "TRANSPORT", f"{type(e).__name__}: {e}"[:200])
                rec.update(status=0, error=f"{type(e).__name__}: {e}"[:200], seconds=round(self.rec.now() - start, 2))
            finally:
                conn.close()
            self.exports.append(rec)
            self.pace(1.0)

    # --- imports -------------------------------------------------------------------------------

    def bundle(self, n):
        code = f"synthetic-soak-{self.runid}-{n}"
        d = random.choice(self.cat["districts"])
        y = 2030 + n % 40
        a = random.randint(10, 500)
        b = a + random.randint(1, 9)
        c1 = round(random.uniform(5, 60), 1)
        text = (f"SYNTHETIC 合成浸泡测试数据，非真实统计（bench/soak 第{n}号）。\n"
                f"{y}年全区学校数量为{a}所，复核后为{b}所。\n"
                f"{y}年学生近视率为{c1}%。\n")
        qa, qb = f"{y}年全区学校数量为{a}所", f"复核后为{b}所"
        obs = [
            {"key": f"{code}-1", "district": d, "indicator": "schools", "period": str(y), "kind": "ACTUAL",
             "value": str(a), "unit": "所", "quote": qa, "note": "SYNTHETIC (bench/soak)", "source": code},
            {"key": f"{code}-2", "district": d, "indicator": "student_myopia_rate", "period": str(y), "kind": "ACTUAL",
             "value": str(c1), "unit": "%", "quote": f"{y}年学生近视率为{c1}%", "note": "SYNTHETIC (bench/soak)",
             "source": code},
        ]
        src = {"code": code, "titleZh": f"合成浸泡测试报告（SYNTHETIC，非真实数据）第{n}号",
               "titleEn": f"SYNTHETIC soak-test report {n} (not real data)", "issuer": "SYNTHETIC bench/soak",
               "district": d, "date": "2030-01-01", "kind": "self_evaluation", "reviewYear": y,
               "note": "SYNTHETIC: generated by bench/soak, not real data", "text": text}
        return code, {"source": src, "observations": obs}, (f"{code}-1", qa, str(a), qb, str(b))

    def importer(self):
        q = ("mutation Import($input: ImportInput!) { importReport(input: $input) { sourceCreated created corrected "
             "createdCount } }")
        while not self.stop.is_set():
            n = self.next_n()
            code, inp, corr = self.bundle(n)
            client = Client(self.port, fresh=True)
            t = self.rec.now()
            a = self.gql("write:import", client, q, {"input": inp}, key=self.editor, op="Import")
            rows = {o["key"]: o["value"] for o in inp["observations"]}
            rec = {"code": code, "rows": rows, "t": round(t, 2)}
            if a is None:
                rec["outcome"] = "unknown"
            elif a.status == 200 and not a.codes():
                rec["outcome"] = "acked"
                created = (a.data() or {}).get("importReport", {}).get("created", [])
                rec["created"] = created
                with self.ledger.lock:
                    self.ledger.acked_import_rows.append(corr)
            else:
                rec["outcome"], rec["error"] = "refused", a.code()
            self.ledger.add_import(rec)
            self.pace(self.args.write_period)

    # --- corrections ---------------------------------------------------------------------------

    def corrector(self):
        q = ("mutation Correct($k: String!, $v: String!, $q: String, $r: String!) { correctObservation(key: $k, "
             "value: $v, quote: $q, note: \"SYNTHETIC correction (bench/soak)\", reason: $r) { key revision valueText } }")
        # Seed observations whose quote holds other figures the value may be corrected to (the
        # figure must be in the quote): Rongchang's three physical-health rates.
        seed_cycle = {"rc25-016": ["36.63", "35.31", "45.92"]}
        state = {}  # key -> index in its cycle
        i = 0
        while not self.stop.is_set():
            i += 1
            with self.ledger.lock:
                pool = list(self.ledger.acked_import_rows)
            if pool and (i % 5 != 0):
                key, qa, va, qb, vb = random.choice(pool[-50:])
                nxt = state.get(key, 0) + 1
                value, quote = (vb, qb) if nxt % 2 == 1 else (va, qa)
            else:
                key = random.choice(list(seed_cycle))
                nxt = state.get(key, -1) + 1
                value, quote = seed_cycle[key][nxt % len(seed_cycle[key])], None
            state[key] = nxt
            client = Client(self.port, fresh=True)
            t = self.rec.now()
            a = self.gql("write:correct", client, q,
                         {"k": key, "v": value, "q": quote, "r": f"SYNTHETIC soak correction {i} ({self.runid})"},
                         key=self.editor, op="Correct")
            ev = {"value": value, "t": round(t, 2)}
            if a is None:
                ev["outcome"] = "unknown"
            elif a.status == 200 and not a.codes():
                ev["outcome"] = "acked"
                ev["revision"] = (a.data() or {}).get("correctObservation", {}).get("revision")
            else:
                ev["outcome"], ev["error"] = "refused", a.code()
                state[key] = nxt - 1  # refused: the stored value did not change
            with self.ledger.lock:
                self.ledger.corrections.setdefault(key, []).append(ev)
            self.pace(self.args.write_period)

    # --- drafts --------------------------------------------------------------------------------

    def drafter(self):
        extract = ("mutation Extract($t: String!, $d: String, $c: String) { extractReport(text: $t, district: $d, "
                   "code: $c) { id code pending } }")
        decide = ("mutation Decide($id: Int!) { accepted: decidePending(draft: $id, decision: ACCEPTED, "
                  "minConfidence: 0.9) { position } }")
        reject = ("mutation Reject($id: Int!) { rejected: decidePending(draft: $id, decision: REJECTED, "
                  "unmatched: true) { position } }")
        publish = "mutation Publish($id: Int!) { publishDraft(draft: $id) { sourceCreated created createdCount } }"
        while not self.stop.is_set():
            n = self.next_n()
            src = random.choice(self.cat["seed_texts"])
            code = f"synthetic-soak-draft-{self.runid}-{n}"
            rec = {"code": code, "seed": src["code"], "t": round(self.rec.now(), 2)}
            self.ledger.drafts.append(rec)
            steps = [("write:draft-extract", extract, {"t": src["text"], "d": src["district"], "c": code}, "Extract"),
                     ("write:draft-decide", decide, None, "Decide"),
                     ("write:draft-decide", reject, None, "Reject"),
                     ("write:draft-publish", publish, None, "Publish")]
            for cls, q, v, op in steps:
                if v is None:
                    v = {"id": rec["id"]}
                client = Client(self.port, fresh=True)
                a = self.gql(cls, client, q, v, key=self.editor, op=op)
                rec["stage"] = op
                if a is None:
                    rec["outcome"] = "unknown"
                    break
                if a.status != 200 or a.codes():
                    rec["outcome"], rec["error"] = "refused", a.code()
                    break
                d = a.data() or {}
                if op == "Extract":
                    rec["id"] = d["extractReport"]["id"]
                    rec["pending"] = d["extractReport"]["pending"]
                elif op == "Publish":
                    rec["outcome"] = "acked"
                    rec["created"] = d["publishDraft"]["created"]
                    rec["createdCount"] = d["publishDraft"]["createdCount"]
            self.pace(self.args.write_period * 8)

    # --- slow clients --------------------------------------------------------------------------

    def slow_client(self, idx):
        """Holds one slow connection at a time, of three kinds in turn, and records what the server
        did with it: answered (the status line), closed it without an answer, reset it, or kept it
        open until the client gave up after --slow-hold seconds."""
        kinds = ["partial-headers", "body-never-sent", "drip-headers"]
        n = 0
        while not self.stop.is_set():
            kind = kinds[(idx + n) % len(kinds)]
            n += 1
            start = self.rec.now()
            rec = {"kind": kind, "t": round(start, 2)}
            hold = self.args.slow_hold
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            except Exception as e:
                rec.update(outcome="connect failed", end=round(self.rec.now(), 2), error=f"{type(e).__name__}: {e}"[:120])
                self.slow.append(rec)
                self.pace(2)
                continue
            got = b""
            try:
                if kind == "partial-headers":
                    s.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic")
                elif kind == "body-never-sent":
                    s.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 4096\r\n\r\n{\"query\":")
                else:
                    s.sendall(b"P")
                drip = b"OST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
                pos = 0
                s.settimeout(1.0)
                closed = False
                while self.rec.now() - start < hold and not self.stop.is_set():
                    try:
                        b = s.recv(4096)
                        if not b:
                            closed = True
                            break
                        got += b
                    except socket.timeout:
                        pass
                    if kind == "drip-headers" and pos < len(drip):
                        s.sendall(drip[pos:pos + 1])  # one byte a second
                        pos += 1
                if got:
                    rec["outcome"] = "answered"
                elif closed:
                    rec["outcome"] = "closed without an answer"
                elif self.stop.is_set():
                    rec["outcome"] = "open when the run ended"
                else:
                    rec["outcome"] = f"held open until the client gave up"
            except (ConnectionResetError, BrokenPipeError) as e:
                rec["outcome"] = "reset by the server"
            except Exception as e:
                rec.update(outcome="error", error=f"{type(e).__name__}: {e}"[:120])
            finally:
                s.close()
            rec["end"] = round(self.rec.now(), 2)
            rec["held"] = round(rec["end"] - start, 1)
            if got:
                rec["status"] = got.split(b"\r\n", 1)[0].decode(errors="replace")
            self.slow.append(rec)

    # --- bad input -----------------------------------------------------------------------------

    def bad_cases(self):
        deep = "{ districts { " + "parent { " * 12 + "code" + " }" * 12 + " } }"  # 14 levels: over 12
        aliases = "{ " + " ".join(f"a{i}: districts {{ code nameZh nameEn level }}" for i in range(450)) + " }"
        import_bad = {"source": {"code": "synthetic-soak-bad", "titleZh": "SYNTHETIC 坏输入", "titleEn": "SYNTHETIC bad input",
                                 "issuer": "SYNTHETIC", "district": "599999", "date": "2030-01-01", "kind": "self_evaluation",
                                 "text": "SYNTHETIC 2030年全区学校数量为5所。"},
                      "observations": [{"key": "synthetic-soak-bad-1", "district": "599999", "indicator": "schools",
                                        "period": "2030", "kind": "ACTUAL", "value": "7", "unit": "所",
                                        "quote": "SYNTHETIC 不在文本中", "source": "synthetic-soak-bad"}]}
        imp = "mutation($input: ImportInput!) { importReport(input: $input) { createdCount } }"
        j = json.dumps
        E, A = self.editor, self.admin
        # (case, method, path, body, headers, expected outcome codes)
        return [
            ("malformed JSON", "POST", "/graphql", '{"query": "{ districts { code } }"', None, {"BAD_REQUEST"}),
            ("body not an object", "POST", "/graphql", '"{ districts { code } }"', None, {"BAD_REQUEST"}),
            ("invalid UTF-8", "POST", "/graphql", b'{"query": "\xff\xfe"}', None, {"BAD_REQUEST"}),
            ("unparsable document", "POST", "/graphql", j({"query": "{ ranking(indicator: "}), None, {"GRAPHQL_PARSE_FAILED"}),
            ("wrong argument type", "POST", "/graphql", j({"query": '{ ranking(indicator: 5, year: "x") { coverage } }'}),
             None, {"GRAPHQL_VALIDATION_FAILED"}),
            ("wrong variable type", "POST", "/graphql",
             j({"query": "query($y: Int!) { ranking(indicator: \"schools\", year: $y) { coverage } }", "variables": {"y": "abc"}}),
             None, {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}),
            ("unknown field", "POST", "/graphql", j({"query": "{ districts { code population } }"}), None,
             {"GRAPHQL_VALIDATION_FAILED"}),
            ("depth 14", "POST", "/graphql", j({"query": deep}), None, {"GRAPHQL_VALIDATION_FAILED"}),
            ("complexity over 2000", "POST", "/graphql", j({"query": aliases}), None, {"GRAPHQL_VALIDATION_FAILED"}),
            ("repeated directive", "POST", "/graphql",
             j({"query": "{ districts @skip(if: false) @skip(if: false) { code } }"}), None, {"GRAPHQL_VALIDATION_FAILED"}),
            ("unknown indicator", "POST", "/graphql",
             j({"query": '{ ranking(indicator: "synthetic_no_such_indicator", year: 2022) { coverage } }'}), None, {"NOT_FOUND"}),
            ("unknown district", "POST", "/graphql", j({"query": '{ district(code: "599999") { code } }'}), None, {"NOT_FOUND"}),
            ("string over --max-string", "POST", "/graphql",
             j({"query": "query($s: String) { indicators(search: $s) { code } }", "variables": {"s": "x" * 1500}}),
             None, {"BAD_USER_INPUT"}),
            ("list over --max-list", "POST", "/graphql",
             j({"query": "query($d: [String!]!) { compare(districts: $d, indicators: [\"schools\"], year: 2022) { year } }",
                "variables": {"d": ["500101"] * 1500}}), None, {"BAD_USER_INPUT"}),
            ("first over 500", "POST", "/graphql", j({"query": "{ observations(first: 100000) { totalCount } }"}), None,
             {"BAD_USER_INPUT"}),
            ("body over 1 MiB", "POST", "/graphql", j({"query": "{ districts { code } }", "pad": "x" * (1 << 20)}), None,
             {"PAYLOAD_TOO_LARGE"}),
            ("batch of 11", "POST", "/graphql", j([{"query": "{ districts { code } }"}] * 11), None, {"BAD_REQUEST"}),
            ("mutation by GET", "GET", "/graphql?" + urllib.parse.urlencode(
                {"query": 'mutation { correctObservation(key: "rc25-016", value: "1", reason: "x") { key } }'}), None, None,
             {"METHOD_NOT_ALLOWED"}),
            ("unknown operationName", "POST", "/graphql", j({"query": "query A { districts { code } }", "operationName": "B"}),
             None, {"OPERATION_RESOLUTION_FAILURE"}),
            ("unknown persisted hash", "POST", "/graphql",
             j({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}), None,
             {"PERSISTED_QUERY_NOT_FOUND"}),
            ("write without key", "POST", "/graphql", j({"query": imp, "variables": {"input": import_bad}}), None,
             {"UNAUTHENTICATED"}),
            ("write with unknown key", "POST", "/graphql", j({"query": imp, "variables": {"input": import_bad}}),
             {"Authorization": "Bearer esk_synthetic_not_a_key"}, {"UNAUTHENTICATED"}),
            ("audit log with an editor key", "POST", "/graphql", j({"query": "{ auditLog { action } }"}),
             {"Authorization": f"Bearer {E}"}, {"FORBIDDEN"}),
            ("import of an invalid bundle", "POST", "/graphql", j({"query": imp, "variables": {"input": import_bad}}),
             {"Authorization": f"Bearer {E}"}, {"BAD_USER_INPUT", "NOT_FOUND"}),
            ("correction of an unknown key", "POST", "/graphql",
             j({"query": 'mutation { correctObservation(key: "synthetic-soak-no-such-key", value: "1", reason: "SYNTHETIC") { key } }'}),
             {"Authorization": f"Bearer {E}"}, {"NOT_FOUND"}),
            ("correction to a figure not in the quote", "POST", "/graphql",
             j({"query": 'mutation { correctObservation(key: "rc25-016", value: "99.99", reason: "SYNTHETIC soak bad input") { key } }'}),
             {"Authorization": f"Bearer {E}"}, {"BAD_USER_INPUT"}),
            ("publish of an unknown draft", "POST", "/graphql",
             j({"query": "mutation { publishDraft(draft: 999999) { createdCount } }"}),
             {"Authorization": f"Bearer {E}"}, {"NOT_FOUND"}),
            ("export with a bad year", "GET", "/export/observations.csv?year=abc", None, None, {"BAD_REQUEST", "BAD_USER_INPUT"}),
            ("export with an unknown indicator", "GET", "/export/observations.csv?indicator=synthetic_no_such", None, None,
             {"NOT_FOUND", "BAD_USER_INPUT"}),
        ]

    def bad_input(self):
        cases = self.bad_cases()
        client = Client(self.port, fresh=True)
        i = 0
        while not self.stop.is_set():
            case, method, path, body, headers, expected = cases[i % len(cases)]
            i += 1
            a = self.timed(f"bad:{case}", client, method, path, body, headers)
            code = "TRANSPORT" if a is None else a.code()
            status = 0 if a is None else a.status
            with self.counter_lock:
                d = self.bad.setdefault(case, {"expected": sorted(expected), "answers": {}})
                k = f"{status} {code}"
                d["answers"][k] = d["answers"].get(k, 0) + 1
            self.pace(self.args.bad_period)


# --- servers and databases ---------------------------------------------------------------------


class Server:
    def __init__(self, binary, db_url, work, port):
        self.binary, self.db_url, self.work, self.port = binary, db_url, work, port
        self.proc = None
        self.lives = 0
        self.extra = []

    def start(self):
        self.lives += 1
        self.log = self.work / f"serve-{self.lives}.log"
        cmd = [self.binary, "serve", "--database-url", self.db_url, "--addr", f"127.0.0.1:{self.port}",
               "--seeds", str(SEEDS), "--rate-limit-address", "0", "--rate-limit-key", "0"]
        cmd += self.extra
        self.cmd = cmd
        e = dict(os.environ)
        e.setdefault("RUST_LOG", "warn")
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=e, cwd=self.work)

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                ok = c.getresponse().status == 200
                c.close()
                if ok:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def rss_kb(self):
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None


def scrape_metrics(port):
    """`edustats_graphql_requests_total` by code, summed over operations, from /metrics."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
    except Exception:
        return None
    out = {}
    for line in text.splitlines():
        if line.startswith("edustats_graphql_requests_total{"):
            labels, value = line.rsplit(" ", 1)
            code = labels.split('code="', 1)[1].split('"', 1)[0] if 'code="' in labels else "?"
            out[code] = out.get(code, 0) + float(value)
    return out


def export_rows(port, params=""):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", "/export/observations.csv" + params)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    if r.status != 200:
        raise RuntimeError(f"export answered {r.status}: {body[:300]}")
    return list(csv.DictReader(io.StringIO(body)))


def post_gql(port, query, variables=None, key=None):
    c = Client(port, fresh=True)
    h = {"Authorization": f"Bearer {key}"} if key else {}
    a = c.request("POST", "/graphql", gql_body(query, variables), h, timeout=120)
    if a.status != 200 or a.codes():
        raise RuntimeError(f"{query[:80]}: {a.status} {a.body[:300]!r}")
    return a.data()


def catalogue(port, rows):
    """What the reads pick their arguments from: the seed warehouse as exported."""
    inds = sorted({r["indicator"] for r in rows})
    iy = sorted({(r["indicator"], int(r["period"][:4])) for r in rows if r["period"][:4].isdigit()})
    di = sorted({(r["district"], r["indicator"]) for r in rows})
    districts = [d["code"] for d in post_gql(port, "{ districts { code level } }")["districts"] if d["level"] != "municipality"]
    seed_texts = []
    for t in sorted(SEEDS.glob("sources/*.toml")):
        meta = tomllib.loads(t.read_text())
        seed_texts.append({"code": t.stem, "district": meta["district"], "text": t.with_suffix(".txt").read_text()})
    return {"indicators": inds, "indicator_years": iy, "district_indicators": di, "districts": districts,
            "reporting_districts": sorted({r["district"] for r in rows}), "seed_sources": [s["code"] for s in seed_texts],
            "seed_texts": seed_texts}


def make_database(backend, args, work, runid):
    if backend == "sqlite":
        return f"sqlite://{work / 'soak.sqlite3'}", None
    db = f"edustats_soak_{runid.replace('-', '_')}"
    admin = args.pg_admin_url
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", admin, "-c", f"CREATE DATABASE {db}"])
    return admin.rsplit("/", 1)[0] + "/" + db, db


def drop_database(args, db):
    subprocess.run(["psql", "-X", "-q", args.pg_admin_url, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                   capture_output=True)


# --- one backend -------------------------------------------------------------------------------


def soak_backend(backend, args, out):
    runid = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S") + f"-{backend[:2]}"
    work = Path(tempfile.mkdtemp(prefix=f"edustats-soak-{backend}-"))
    out.mkdir(parents=True, exist_ok=True)
    say(f"{backend}: fresh database, seeds, keys (work folder {work})")
    db_url, pg_db = make_database(backend, args, work, runid)
    try:
        return soak_on(backend, args, out, work, db_url, runid)
    finally:
        if pg_db:
            drop_database(args, pg_db)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def soak_on(backend, args, out, work, db_url, runid):
    binary = str(Path(args.binary).resolve())
    seed_out = json.loads(run([binary, "seed", "--database-url", db_url, "--seeds", str(SEEDS)], cwd=work))
    editor = run([binary, "keys", "create", "--database-url", db_url, "--name", "soak-editor", "--role", "editor"],
                 cwd=work).strip().splitlines()[-1]
    admin = run([binary, "keys", "create", "--database-url", db_url, "--name", "soak-admin", "--role", "admin"],
                cwd=work).strip().splitlines()[-1]
    port = free_port()
    server = Server(binary, db_url, work, port)
    server.extra = args.serve_arg
    server.start()
    if not server.wait_ready():
        die(f"{backend}: the server did not become ready:\n{server.log.read_text()[-3000:]}")
    seed_rows = export_rows(port)
    seed_count = len(seed_rows)
    seed_sources = {s["code"] for s in post_gql(port, "{ sources { code } }")["sources"]}
    cat = catalogue(port, seed_rows)
    say(f"{backend}: seeded {seed_count} observations from {len(seed_sources)} reports; serving on 127.0.0.1:{port}")

    t0 = time.monotonic()
    rec = Recorder(t0)
    ledger = Ledger()
    soak = Soak(args, port, rec, ledger, (editor, admin), cat, runid, backend)
    threads = []

    def spawn(fn, *a):
        th = threading.Thread(target=fn, args=a, daemon=True)
        th.start()
        threads.append(th)

    for i in range(args.readers):
        spawn(soak.reader, i, args.readers)
    for i in range(args.exporters):
        spawn(soak.exporter, i)
    for i in range(args.importers):
        spawn(soak.importer)
    spawn(soak.corrector)
    spawn(soak.drafter)
    spawn(soak.bad_input)
    for i in range(args.slow_clients):
        spawn(soak.slow_client, i)

    duration = args.minutes * 60.0
    half = duration / 2
    lives = [{"life": 1, "pid": server.proc.pid, "start": 0.0}]
    rss = []  # (t, life, kb)
    metrics = {}
    restart = {}
    next_metrics = 0.0
    say(f"{backend}: traffic for {args.minutes} min; kill -9 at {half:.0f} s")
    while True:
        t = rec.now()
        if t >= duration:
            break
        if not restart and t >= half:
            metrics[server.lives] = scrape_metrics(port)
            restart["kill_at"] = round(rec.now(), 3)
            old = server.proc.pid
            server.kill9()
            say(f"{backend}: kill -9 {old} at {restart['kill_at']:.1f} s; restarting")
            lives[-1]["end"] = restart["kill_at"]
            server.start()
            ok = server.wait_ready()
            restart["ready_at"] = round(rec.now(), 3)
            restart["ready"] = ok
            restart["downtime_s"] = round(restart["ready_at"] - restart["kill_at"], 3)
            lives.append({"life": 2, "pid": server.proc.pid, "start": restart["ready_at"]})
            say(f"{backend}: ready again after {restart['downtime_s']:.2f} s" if ok else f"{backend}: NOT ready after restart")
            if not ok:
                break
            continue
        kb = server.rss_kb()
        if kb is not None:
            rss.append((round(t, 1), server.lives, kb))
        if t >= next_metrics:
            m = scrape_metrics(port)
            if m is not None:
                metrics[server.lives] = m
            next_metrics = t + 10
        time.sleep(min(args.rss_period, max(0.0, duration - t)))
    lives[-1]["end"] = round(rec.now(), 3)
    say(f"{backend}: stopping traffic")
    soak.stop.set()
    for th in threads:
        th.join(timeout=CLIENT_TIMEOUT + 15)
    stuck = sum(th.is_alive() for th in threads)
    m = scrape_metrics(port)
    if m is not None:
        metrics[server.lives] = m
    traffic_end = rec.now()

    say(f"{backend}: verifying the ledger")
    verify = verify_ledger(port, ledger, seed_count, seed_sources, editor) if restart.get("ready") else \
        {"error": "the server did not come back after the restart"}
    rc = server.stop()
    logs = scan_logs(work, server.lives, out)
    result = summarise(backend, args, rec, ledger, soak, lives, rss, metrics, restart, verify, logs,
                       seed_count, traffic_end, stuck, rc, binary, server.cmd)
    return result


# --- verification ------------------------------------------------------------------------------


def verify_ledger(port, ledger, seed_count, seed_sources, editor):
    rows = export_rows(port)
    by_key = {}
    dup_keys = []
    for r in rows:
        if r["key"] in by_key:
            dup_keys.append(r["key"])
        by_key[r["key"]] = r
    sources = [s["code"] for s in post_gql(port, "{ sources { code } }")["sources"]]
    dup_sources = sorted({s for s in sources if sources.count(s) > 1})
    source_set = set(sources)
    rows_by_source = {}
    for r in rows:
        rows_by_source.setdefault(r["source"], []).append(r["key"])
    problems = []

    expected = seed_count
    unknown_landed = 0
    acked_rows = 0
    # imports
    counts = {"acked": 0, "refused": 0, "unknown": 0}
    for imp in ledger.imports:
        counts[imp["outcome"]] += 1
        present = [k for k in imp["rows"] if k in by_key]
        if imp["outcome"] == "acked":
            expected += len(imp["rows"])
            acked_rows += len(imp["rows"])
            if imp["code"] not in source_set:
                problems.append(f"acknowledged import {imp['code']}: source missing")
            for k in imp["rows"]:
                if k not in by_key:
                    problems.append(f"acknowledged import {imp['code']}: observation {k} missing")
        elif imp["outcome"] == "refused":
            if present or imp["code"] in source_set:
                problems.append(f"refused import {imp['code']} ({imp.get('error')}): left {len(present)} rows / source")
        else:
            if present and len(present) != len(imp["rows"]):
                problems.append(f"unanswered import {imp['code']}: {len(present)} of {len(imp['rows'])} rows (not all or nothing)")
            if present:
                expected += len(present)
                unknown_landed += 1
    # corrections: the stored value is the last acknowledged one, or a later unanswered one
    ccounts = {"acked": 0, "refused": 0, "unknown": 0}
    for key, evs in ledger.corrections.items():
        for e in evs:
            ccounts[e["outcome"]] += 1
        acked = [i for i, e in enumerate(evs) if e["outcome"] == "acked"]
        row = by_key.get(key)
        if row is None:
            if acked:
                problems.append(f"corrected observation {key} missing")
            continue
        if acked:
            last = acked[-1]
            allowed = {evs[last]["value"]} | {e["value"] for e in evs[last + 1:] if e["outcome"] == "unknown"}
            if row["value"] not in allowed:
                problems.append(f"correction of {key}: stored {row['value']!r}, acknowledged {evs[last]['value']!r}"
                                f" (allowed {sorted(allowed)})")
        n_acked = len(acked)
        n_unknown = sum(e["outcome"] == "unknown" for e in evs)
        rev = int(row.get("revision") or 0)
        if not (1 + n_acked <= rev <= 1 + n_acked + n_unknown):
            problems.append(f"correction of {key}: revision {rev}, expected {1 + n_acked}"
                            + (f"..{1 + n_acked + n_unknown}" if n_unknown else "")
                            + f" ({n_acked} acknowledged, {n_unknown} unanswered)")
    # drafts
    dcounts = {}
    drafts = post_gql(port, "{ drafts { id code status } }", key=editor)["drafts"]
    draft_by_code = {}
    for d in drafts:
        draft_by_code.setdefault(d["code"], []).append(d)
    for d in ledger.drafts:
        if "outcome" not in d:  # the run stopped between two steps of this draft
            d["outcome"] = "unfinished"
        k = f"{d['outcome']} at {d.get('stage')}" if d["outcome"] != "acked" else "published"
        dcounts[k] = dcounts.get(k, 0) + 1
        present = rows_by_source.get(d["code"], [])
        if len(draft_by_code.get(d["code"], [])) > 1:
            problems.append(f"draft {d['code']}: {len(draft_by_code[d['code']])} drafts with this code")
        if d["outcome"] == "acked":
            expected += d["createdCount"]
            acked_rows += d["createdCount"]
            if d["code"] not in source_set:
                problems.append(f"published draft {d['code']}: source missing")
            missing = [k for k in d["created"] if k not in by_key]
            if missing or len(present) != d["createdCount"]:
                problems.append(f"published draft {d['code']}: {len(present)} rows stored, {d['createdCount']} acknowledged,"
                                f" missing {missing[:5]}")
            st = [x["status"] for x in draft_by_code.get(d["code"], [])]
            if st != ["PUBLISHED"]:
                problems.append(f"published draft {d['code']}: status {st}")
        elif d.get("stage") == "Publish" and d["outcome"] == "unknown":
            if present:
                expected += len(present)
                unknown_landed += 1
        elif present or d["code"] in source_set:
            problems.append(f"draft {d['code']} ({d['outcome']} at {d.get('stage')}): {len(present)} rows stored")
    # the whole warehouse
    if dup_keys:
        problems.append(f"{len(dup_keys)} observation keys exported twice: {dup_keys[:5]}")
    if dup_sources:
        problems.append(f"sources listed twice: {dup_sources[:5]}")
    if len(by_key) != expected:
        problems.append(f"observation count {len(by_key)}, expected exactly {expected} "
                        f"(seed {seed_count} + acknowledged and landed writes)")
    known = set(seed_sources) | {i["code"] for i in ledger.imports} | {d["code"] for d in ledger.drafts}
    strays = sorted(source_set - known)
    if strays:
        problems.append(f"sources nobody wrote: {strays[:5]}")
    return {
        "observations": len(by_key), "expected_observations": expected, "seed_observations": seed_count,
        "acknowledged_rows": acked_rows, "unanswered_writes_that_landed": unknown_landed,
        "imports": counts, "corrections": ccounts, "corrected_keys": len(ledger.corrections), "drafts": dcounts,
        "sources": len(sources), "problems": problems,
    }


def scan_logs(work, lives, out):
    """Panics and ERROR lines of the server's logs (RUST_LOG=warn), counted by message."""
    res = {"panics": 0, "errors": {}, "warnings": 0}
    for i in range(1, lives + 1):
        p = work / f"serve-{i}.log"
        if not p.exists():
            continue
        text = p.read_text(errors="replace")
        shutil.copy(p, out / p.name)
        for line in text.splitlines():
            if "panicked" in line:
                res["panics"] += 1
            if " ERROR " in line or '"level":"ERROR"' in line:
                msg = line.split(" ERROR ", 1)[-1]
                msg = msg.split(": ", 1)[-1][:160] if ": " in msg else msg[:160]
                res["errors"][msg] = res["errors"].get(msg, 0) + 1
            elif " WARN " in line:
                res["warnings"] += 1
    res["errors"] = dict(sorted(res["errors"].items(), key=lambda kv: -kv[1])[:15])
    return res


# --- summary -----------------------------------------------------------------------------------


def group_of(cls):
    if cls.startswith("read:"):
        return "reads"
    if cls.startswith("bad:"):
        return "bad input"
    return cls


def lat_stats(vals):
    ms = [v * 1000 for v in vals]
    return {"n": len(ms), "p50": rnd(pct(ms, 50)), "p90": rnd(pct(ms, 90)), "p99": rnd(pct(ms, 99)),
            "max": rnd(max(ms) if ms else None)}


def rnd(x):
    return None if x is None else round(x, 1)


def summarise(backend, args, rec, ledger, soak, lives, rss, metrics, restart, verify, logs, seed_count,
              traffic_end, stuck, rc, binary, server_cmd):
    rows = rec.rows
    kill, ready = restart.get("kill_at"), restart.get("ready_at")

    def in_restart(start, end):
        return kill is not None and ready is not None and end >= kill - 0.05 and start <= ready + 1.0

    codes = {}
    per_class = {}
    per_minute = {}
    transport_outside = []
    transport_restart = 0
    for cls, start, end, status, code, detail in rows:
        g = group_of(cls)
        codes.setdefault(g, {})
        codes[g][code] = codes[g].get(code, 0) + 1
        minute = int(start // 60)
        pm = per_minute.setdefault(minute, {"lat": {}, "codes": {}, "errors": {}})
        pm["codes"][code] = pm["codes"].get(code, 0) + 1
        if code != "OK" and g != "bad input" and not (cls == "read:APQ" and code == "PERSISTED_QUERY_NOT_FOUND"):
            pm["errors"][code] = pm["errors"].get(code, 0) + 1
        if code == "TRANSPORT":
            if in_restart(start, end):
                transport_restart += 1
            else:
                transport_outside.append({"class": cls, "t": round(start, 2), "error": detail})
            continue
        per_class.setdefault(cls, []).append(end - start)
        pm["lat"].setdefault(g, []).append(end - start)
        pm["lat"].setdefault("all", []).append(end - start)
    totals = {}
    for g in codes.values():
        for c, n in g.items():
            totals[c] = totals.get(c, 0) + n
    internal = totals.get("INTERNAL", 0)
    no_code = totals.get("NO_CODE", 0)
    http5xx = sum(n for c, n in totals.items() if c.startswith("HTTP_5"))

    # memory, per server life, after warm-up
    memory = []
    for life in lives:
        length = life["end"] - life["start"]
        warm = min(args.warmup, 0.25 * length)
        pts = [(t, k) for t, l, k in rss if l == life["life"] and t >= life["start"] + warm]
        kb = [k for t, k in pts]
        slope = None
        if len(pts) >= 3:  # least squares, MB per minute: does it level off or keep rising?
            mt = sum(t for t, _ in pts) / len(pts)
            mk = sum(kb) / len(kb)
            var = sum((t - mt) ** 2 for t, _ in pts)
            slope = round(60 * sum((t - mt) * (k - mk) for t, k in pts) / var / 1024, 2) if var else None
        if not kb:
            memory.append({"life": life["life"], "samples": 0})
            continue
        mean = sum(kb) / len(kb)
        lo, hi = min(kb), max(kb)
        memory.append({"life": life["life"], "warmup_s": round(warm, 1), "samples": len(kb),
                       "min_mb": round(lo / 1024, 1), "max_mb": round(hi / 1024, 1), "mean_mb": round(mean / 1024, 1),
                       "first_mb": round(kb[0] / 1024, 1), "last_mb": round(kb[-1] / 1024, 1),
                       "low_pct": round(100 * (lo - mean) / mean, 1), "high_pct": round(100 * (hi - mean) / mean, 1),
                       "slope_mb_per_min": slope, "flat": lo >= 0.85 * mean and hi <= 1.15 * mean})

    bad_mismatch = {case: d for case, d in soak.bad.items()
                    if any(k.split(" ", 1)[1] not in d["expected"] for k in d["answers"]
                           if not k.startswith("0 "))}
    slow_summary = {}
    slow_connect_failed_outside = 0
    for s in soak.slow:
        outcome = s["outcome"]
        end = s.get("end", s["t"])
        if kill is not None and ready is not None and kill - 0.05 <= end <= ready + 1.0 and outcome != "held open until the client gave up":
            outcome = f"{outcome} (kill -9)"
        elif outcome == "connect failed":
            slow_connect_failed_outside += 1
            transport_outside.append({"class": "slow-client connect", "t": s["t"], "error": s.get("error")})
        k = (s["kind"], outcome, s.get("status"))
        e = slow_summary.setdefault(k, {"n": 0, "held": []})
        e["n"] += 1
        if "held" in s:
            e["held"].append(s["held"])
    exports_ok = [e for e in soak.exports if e.get("status") == 200]
    export_problems = [e for e in exports_ok if not e.get("unique") or not e.get("complete") or e.get("rows", 0) == 0]

    checks = {
        "no INTERNAL answers": internal == 0,
        "every error has a code": no_code == 0,
        "no HTTP 5xx without a GraphQL error": http5xx == 0,
        "restarted after kill -9 and ready": bool(restart.get("ready")),
        "every acknowledged write is there, nothing duplicated": "problems" in verify and not verify["problems"],
        "memory flat (+-15 % of the post-warm-up mean, each server life)": all(m.get("flat", False) for m in memory),
        "every request answered outside the restart window": not transport_outside,
        "bad input answered with the documented codes": not bad_mismatch,
        "exports complete, no row twice": not export_problems,
        "no panic in the server log": logs["panics"] == 0,
        "traffic threads stopped": stuck == 0,
    }
    failed = [k for k, v in checks.items() if not v]
    minutes = []
    for m in sorted(per_minute):
        e = {"minute": m + 1, "codes": dict(sorted(per_minute[m]["codes"].items())),
             "errors_outside_bad_input": dict(sorted(per_minute[m]["errors"].items()))}
        for g, vals in sorted(per_minute[m]["lat"].items()):
            e[g] = lat_stats(vals)
        minutes.append(e)
    return {
        "backend": backend,
        "binary": binary,
        "binary_sha256": hashlib.sha256(Path(binary).read_bytes()).hexdigest()[:16],
        "minutes": args.minutes,
        "traffic_seconds": round(traffic_end, 1),
        "serve_command": " ".join(map(str, server_cmd)),
        "settings": {k: getattr(args, k) for k in ("readers", "read_rate", "importers", "exporters", "export_chunk", "export_sleep",
                                                   "write_period", "bad_period", "slow_clients", "slow_hold", "warmup")},
        "seed_observations": seed_count,
        "requests": len(rows),
        "restart": restart,
        "checks": checks,
        "failed": failed,
        "codes_total": dict(sorted(totals.items(), key=lambda kv: -kv[1])),
        "codes_by_group": codes,
        "transport_errors_in_restart_window": transport_restart,
        "transport_errors_outside_restart_window": transport_outside[:50],
        "transport_errors_outside_count": len(transport_outside),
        "slow_client_connects_refused_outside_restart": slow_connect_failed_outside,
        "latency_ms_by_class": {c: lat_stats(v) for c, v in sorted(per_class.items())},
        "per_minute": minutes,
        "memory": memory,
        "rss_samples": rss,
        "server_metrics_codes_by_life": metrics,
        "verify": verify,
        "bad_input": soak.bad,
        "bad_input_mismatches": bad_mismatch,
        "slow_clients": [{"kind": k[0], "outcome": k[1], "status": k[2], "n": v["n"],
                          "held_s_min": min(v["held"]) if v["held"] else None,
                          "held_s_max": max(v["held"]) if v["held"] else None} for k, v in sorted(slow_summary.items(), key=str)],
        "exports": {"completed": len(exports_ok), "refused_or_failed": len(soak.exports) - len(exports_ok),
                    "problems": export_problems[:10],
                    "seconds": {"p50": rnd(pct([e["seconds"] for e in exports_ok], 50)),
                                "max": rnd(max([e["seconds"] for e in exports_ok], default=None))}},
        "server_log": logs,
        "server_exit_on_sigterm": rc,
    }


def fmt(x):
    return "–" if x is None else (f"{x:g}" if isinstance(x, float) else str(x))


def markdown(results, command):
    L = []
    for r in results:
        L.append(f"### {r['backend']}: {r['minutes']} min, {'PASSED' if not r['failed'] else 'FAILED'}")
        L.append("")
        L.append(f"Binary `{r['binary']}` (sha256 {r['binary_sha256']}…); {r['requests']} requests; "
                 f"seed {r['seed_observations']} observations. Command: `{command}`; server: `{r['serve_command']}`.")
        L.append("")
        L.append("| check | |")
        L.append("|---|---|")
        for k, v in r["checks"].items():
            L.append(f"| {k} | {'ok' if v else '**FAILED**'} |")
        L.append("")
        rs = r["restart"]
        if rs:
            L.append(f"kill -9 at {fmt(rs.get('kill_at'))} s; ready again after {fmt(rs.get('downtime_s'))} s "
                     f"(kill to /readyz 200). Requests without an answer around the restart: "
                     f"{r['transport_errors_in_restart_window']}; elsewhere: {r['transport_errors_outside_count']}.")
            L.append("")
        v = r["verify"]
        if "problems" in v:
            L.append(f"Ledger: imports {v['imports']}, corrections {v['corrections']} on {v['corrected_keys']} keys, "
                     f"drafts {v['drafts']}. Observations after: {v['observations']} "
                     f"(expected {v['expected_observations']} = seed {v['seed_observations']} + "
                     f"{v['acknowledged_rows']} acknowledged rows + unanswered writes that landed "
                     f"({v['unanswered_writes_that_landed']})).")
            for p in v["problems"][:20]:
                L.append(f"- {p}")
        else:
            L.append(f"Ledger not verified: {v.get('error')}")
        L.append("")
        L.append("Answers by code: " + ", ".join(f"{c} {n}" for c, n in r["codes_total"].items()))
        L.append("")
        for g, cs in sorted(r["codes_by_group"].items()):
            errs = {c: n for c, n in cs.items() if c != "OK"}
            if errs:
                L.append(f"- {g}: " + ", ".join(f"{c} {n}" for c, n in sorted(errs.items(), key=lambda kv: -kv[1])))
        L.append("")
        L.append("| memory (RSS, after warm-up) | warm-up s | samples | min MB | mean MB | max MB | range vs mean | trend MB/min | flat |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for m in r["memory"]:
            if m.get("samples"):
                L.append(f"| server life {m['life']} | {m['warmup_s']} | {m['samples']} | {m['min_mb']} | {m['mean_mb']} | "
                         f"{m['max_mb']} | {m['low_pct']} % .. +{m['high_pct']} % | {fmt(m.get('slope_mb_per_min'))} | "
                         f"{'yes' if m['flat'] else '**no**'} |")
        L.append("")
        L.append("Latency per minute, ms (p50 / p90 / p99 / max, n); export: time to the first byte:")
        L.append("")
        groups = ["reads", "export", "write:import", "write:correct", "write:draft-extract", "write:draft-decide",
                  "write:draft-publish", "bad input"]
        L.append("| min | " + " | ".join(groups) + " | errors (not bad input, not a first APQ miss) |")
        L.append("|---" * (len(groups) + 2) + "|")
        for m in r["per_minute"]:
            cells = []
            for g in groups:
                s = m.get(g)
                cells.append("–" if not s else f"{fmt(s['p50'])} / {fmt(s['p90'])} / {fmt(s['p99'])} / {fmt(s['max'])} ({s['n']})")
            errs = ", ".join(f"{c} {n}" for c, n in m["errors_outside_bad_input"].items()) or "none"
            L.append(f"| {m['minute']} | " + " | ".join(cells) + f" | {errs} |")
        L.append("")
        L.append("<details><summary>Latency per class over the run, ms</summary>")
        L.append("")
        L.append("| class | n | p50 | p90 | p99 | max |")
        L.append("|---|---|---|---|---|---|")
        for c, s in r["latency_ms_by_class"].items():
            L.append(f"| {c} | {s['n']} | {fmt(s['p50'])} | {fmt(s['p90'])} | {fmt(s['p99'])} | {fmt(s['max'])} |")
        L.append("")
        L.append("</details>")
        L.append("")
        L.append("Slow clients (what the server did with each):")
        L.append("")
        L.append("| kind | outcome | first line of the answer | n | held s |")
        L.append("|---|---|---|---|---|")
        for s in r["slow_clients"]:
            L.append(f"| {s['kind']} | {s['outcome']} | {s['status'] or '–'} | {s['n']} | "
                     f"{fmt(s['held_s_min'])}..{fmt(s['held_s_max'])} |")
        L.append("")
        L.append("Bad input (HTTP status and code as answered, with counts):")
        L.append("")
        L.append("| case | expected | answered |")
        L.append("|---|---|---|")
        for case, d in r["bad_input"].items():
            mark = " **unexpected**" if case in r["bad_input_mismatches"] else ""
            L.append(f"| {case} | {', '.join(d['expected'])} | "
                     + ", ".join(f"{k} ×{n}" for k, n in sorted(d["answers"].items())) + f"{mark} |")
        L.append("")
        ex = r["exports"]
        L.append(f"Slow exports: {ex['completed']} completed (seconds p50 {fmt(ex['seconds']['p50'])}, max "
                 f"{fmt(ex['seconds']['max'])}), {ex['refused_or_failed']} refused or cut.")
        L.append("")
        lg = r["server_log"]
        L.append(f"Server log: {lg['panics']} panics, {lg['warnings']} warnings, ERROR lines: "
                 + ("; ".join(f"{m} ×{n}" for m, n in lg["errors"].items()) or "none"))
        L.append("")
        if r["transport_errors_outside_count"]:
            L.append(f"Requests without an answer outside the restart window ({r['transport_errors_outside_count']}), first:")
            for t in r["transport_errors_outside_restart_window"][:8]:
                L.append(f"- {t['t']} s {t['class']}: {t['error']}")
            L.append("")
        if r["failed"]:
            L.append("Failed: " + "; ".join(r["failed"]) + ".")
            L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--binary", default=str(REPO / "target/release/edustats"))
    ap.add_argument("--out", default=None, help="default bench/results/soak-<UTC timestamp>/")
    ap.add_argument("--pg-admin-url", default=os.environ.get("SOAK_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--read-rate", type=float, default=40, help="reads per second, all readers together")
    ap.add_argument("--exporters", type=int, default=2)
    ap.add_argument("--export-chunk", type=int, default=1024, help="bytes per read of a slow export")
    ap.add_argument("--export-sleep", type=float, default=0.05, help="seconds between reads of a slow export")
    ap.add_argument("--importers", type=int, default=2, help="threads importing bundles at once")
    ap.add_argument("--write-period", type=float, default=0.5, help="mean seconds between writes of each writer")
    ap.add_argument("--bad-period", type=float, default=0.25, help="mean seconds between bad requests")
    ap.add_argument("--slow-clients", type=int, default=12, help="slow connections held at once")
    ap.add_argument("--slow-hold", type=float, default=60, help="seconds a slow client waits before giving up")
    ap.add_argument("--warmup", type=float, default=60, help="seconds of each server life left out of the memory check")
    ap.add_argument("--rss-period", type=float, default=2.0)
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="one more argument of `edustats serve` (repeat it: --serve-arg=--response-cache --serve-arg=off)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (SQLite file, logs)")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        die(f"{args.binary} is not an executable: build it (cargo build --release) or pass --binary")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out else REPO / "bench/results" / f"soak-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    command = "bench/soak " + " ".join(sys.argv[1:])
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for b in backends:
        r = soak_backend(b, args, out / b)
        results.append(r)
        (out / b / "results.json").write_text(json.dumps(r, indent=1, ensure_ascii=False))
        (out / b / "summary.md").write_text(markdown([r], command) + "\n")
    (out / "results.json").write_text(json.dumps({"command": command, "runs": results}, indent=1, ensure_ascii=False))
    md = markdown(results, command)
    (out / "summary.md").write_text(md + "\n")
    print(md)
    failed = [(r["backend"], f) for r in results for f in r["failed"]]
    say(f"results in {out}")
    if failed:
        for b, f in failed:
            print(f"SOAK FAILED: {b}: {f}", file=sys.stderr)
        sys.exit(1)
    say("soak passed: every check held on " + ", ".join(backends))


if __name__ == "__main__":
    main()
