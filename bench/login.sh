#!/usr/bin/env bash
# Login benchmark: argon2id logins per second at the chosen parameters, and
# the p99 of GET /v1/products alone and while logins saturate the hashing
# pool, measured in one run on the release binary.
#
#   bash bench/login.sh
#   DURATION=20s bash bench/login.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# BIN=path/to/boutique measures that binary (an earlier build, to compare).
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p api
  BIN=${CARGO_TARGET_DIR:-target}/release/boutique
fi

WORK=$(mktemp -d /tmp/boutique-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BOUTIQUE_PORT=$PORT BOUTIQUE_DATA_DIR="$WORK" BOUTIQUE_LOG=warn BOUTIQUE_JOBS=false "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
curl -fsS -XPOST "$BASE/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench@example.fr","name":"Bench","password":"a long bench passphrase","accept_privacy_policy":true,"privacy_policy_version":"2019-03-06"}' >/dev/null
curl -fsS -XPOST "$BASE/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@example.fr","password":"a long bench passphrase"}' >/dev/null

p99() { awk '$1=="99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } printf "%.2f", v }' "$1"; }
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }

wrk -t1 -c16 -d"$DURATION" --latency "$BASE/v1/products" >"$WORK/alone.txt"
wrk -t1 -c16 -d"$DURATION" --latency -s bench/login.lua "$BASE/v1/auth/login" >"$WORK/login.txt" &
LOGIN=$!
sleep 1
wrk -t1 -c16 -d"$(( ${DURATION%s} - 2 ))s" --latency "$BASE/v1/products" >"$WORK/loaded.txt"
wait $LOGIN
non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/login.txt")

echo
echo "argon2id m=19456 KiB, t=2, p=1; hashing pool = cores ($(nproc))"
printf '%-40s %12s %10s\n' measurement "req/s" "p99 ms"
printf '%-40s %12s %10s\n' "POST /v1/auth/login (16 conns)" "$(rps "$WORK/login.txt")" "$(p99 "$WORK/login.txt")"
printf '%-40s %12s %10s\n' "GET /v1/products alone (16 conns)" "$(rps "$WORK/alone.txt")" "$(p99 "$WORK/alone.txt")"
printf '%-40s %12s %10s\n' "GET /v1/products during logins" "$(rps "$WORK/loaded.txt")" "$(p99 "$WORK/loaded.txt")"
echo "non-2xx login answers: ${non2xx:-0}"
echo "peak RSS of the server: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$PID/status)"
