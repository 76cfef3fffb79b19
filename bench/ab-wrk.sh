#!/usr/bin/env bash
# A/B of edustats binaries on one POST query with wrk (Debian's `wrk`), in one run: each binary
# serves DATABASE_URL in turn (response cache off unless AB_CACHE=on, 8 connections in its pool)
# and is loaded by 16 connections in closed loop for SECONDS after a 2 s warm-up; prints requests/s and the
# server's CPU per request (user + system, from /proc/PID/stat). Alternate the binaries
# (A B A B) so that a change in the machine's load shows. The database must be SYNTHETIC
# (`edustats synth`); LUA is a wrk script that sets method, headers and body, e.g.
#
#   wrk.method = "POST"
#   wrk.headers["Content-Type"] = "application/json"
#   wrk.body = '{"query":"{ ranking(indicator: \"synthetic_040_rate\", year: 2024) { entries { rank value district { code } } } }"}'
#
#   bench/ab-wrk.sh DATABASE_URL LUA SECONDS BINARY...
#
# With AB_CACHE=on every request after the first is a response cache hit: run it next to the
# same query with the cache off (and `{ __typename }` with it off, the floor) for the ratios.
set -euo pipefail
[[ $# -ge 4 ]] || { sed -n 2,16p "$0" >&2; exit 2; }
CACHE=${AB_CACHE:-off}
URL=$1 LUA=$2 SEC=$3
shift 3
PORT=${AB_PORT:-18090}
TICK=$(getconf CLK_TCK)
for BIN in "$@"; do
  RUST_LOG=warn "$BIN" serve --database-url "$URL" --addr "127.0.0.1:$PORT" --pool-size 8 \
    --rate-limit-address 0 --rate-limit-key 0 --pages false --response-cache "$CACHE" \
    >/tmp/ab-wrk-serve.log 2>&1 &
  PID=$!
  for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.2; done
  wrk -t2 -c16 -d2s -s "$LUA" "http://127.0.0.1:$PORT/graphql" >/dev/null
  T0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  OUT=$(wrk -t2 -c16 -d"${SEC}s" -s "$LUA" "http://127.0.0.1:$PORT/graphql")
  T1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  N=$(echo "$OUT" | awk '/requests in/ {print $1}')
  RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
  printf '%s  cache %s  req/s %s  server CPU ms/request %.3f\n' "$BIN" "$CACHE" "$RPS" \
    "$(echo "($T1 - $T0) * 1000 / $TICK / $N" | bc -l)"
  kill "$PID"
  wait "$PID" 2>/dev/null || true
done
