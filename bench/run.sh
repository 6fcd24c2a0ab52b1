#!/usr/bin/env bash
# Catalogue benchmark: release build, demo catalogue, wrk on loopback.
# Compares GET /v1/products and GET /v1/products/{slug} with the trivial JSON
# handler GET /healthz of the same binary, measured in the same run; then a
# faceted multi-value search and a revalidation answered 304.
#
#   bash bench/run.sh            # 10 s per measurement
#   DURATION=30s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-"16 64"}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

# BIN=path/to/boutique measures that binary (an earlier build, to compare).
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p api
  BIN=${CARGO_TARGET_DIR:-target}/release/boutique
fi

WORK=$(mktemp -d /tmp/boutique-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BOUTIQUE_PORT=$PORT BOUTIQUE_DATA_DIR="$WORK" BOUTIQUE_LOG=warn "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
SLUG=$(curl -fsS "$BASE/v1/products?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
COUNT=$(curl -fsS "$BASE/v1/products" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
SEARCH="$BASE/v1/products?sort=price&style=modern&style=chalet&bedrooms=3&bedrooms=4&facets=true"
# The list's entity tag, for a revalidation that the catalogue has not changed.
ETAG=$(curl -fsS -o /dev/null -D - "$BASE/v1/products?sort=price" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
echo "server pid $PID, list page holds $COUNT plans, detail slug $SLUG, list ETag ${ETAG:-none}"

# wrk latency lines look like "     50%    1.23ms"; normalise to milliseconds.
ms() { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } printf "%.2f", v }'; }

declare -A RPS
rows=()
for c in $CONNECTIONS; do
  for name in trivial list detail search 304; do
    headers=()
    case $name in
      trivial) url="$BASE/healthz" ;;
      list) url="$BASE/v1/products?sort=price" ;;
      detail) url="$BASE/v1/products/$SLUG" ;;
      search) url="$SEARCH" ;;
      304) url="$BASE/v1/products?sort=price"; headers=(-H "If-None-Match: ${ETAG:-none}") ;;
    esac
    wrk -t2 -c"$c" -d"$DURATION" --latency "${headers[@]}" "$url" >"$WORK/wrk.txt" 2>&1 || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(ms 50% <"$WORK/wrk.txt")
    p99=$(ms 99% <"$WORK/wrk.txt")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' "$WORK/wrk.txt" | tr '\n' ' ')
    RPS[$name-$c]=$rps
    rows+=("$c|$name|$rps|$p50|$p99|$errors")
  done
done
RSS=$(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$PID/status)

printf '\n%-6s %-8s %12s %9s %9s %10s  %s\n' conns endpoint "req/s" "p50 ms" "p99 ms" "vs trivial" notes
for row in "${rows[@]}"; do
  IFS='|' read -r c name rps p50 p99 errors <<<"$row"
  ratio=$(python3 -c "print(f'{float(\"$rps\")/float(\"${RPS[trivial-$c]}\"):.2f}')")
  printf '%-6s %-8s %12s %9s %9s %10s  %s\n' "$c" "$name" "$rps" "$p50" "$p99" "$ratio" "$errors"
done
echo "peak RSS of the server: $RSS"
echo "(trivial = GET /healthz, list = GET /v1/products?sort=price (20 plans), detail = GET /v1/products/{slug},"
echo " search = list of 2 styles and 2 bedroom counts with every facet, 304 = list with If-None-Match of its ETag)"
