#!/usr/bin/env bash
# Checkout benchmark (issue 9): guest checkouts per second with 16
# concurrent clients on distinct carts (create a cart, add a PDF, check out
# with an Idempotency-Key), release build, first on the embedded SQLite,
# then on a throwaway PostgreSQL 15 with durable commits (fsync on, the
# defaults); the whole flow's p50/p99, errors, the catalogue's p99 while
# checkouts run, and the server's peak RSS. One run of each.
#
#   bash bench/checkout.sh
#   BENCH_SECONDS=30 CLIENTS=16 bash bench/checkout.sh
#
# `bash bench/checkout.sh mixed` runs the mixed-traffic load generator
# instead (bench/mixed.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD=${1:-checkout}
if [ "$LOAD" = checkout ]; then
  export BENCH_SECONDS=${BENCH_SECONDS:-15} CLIENTS=${CLIENTS:-16}
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p api
  BIN=${CARGO_TARGET_DIR:-target}/release/boutique
fi
# The load generator, built once before anything is measured.
cargo bench --locked -p tests --bench "$LOAD" --no-run >/dev/null 2>&1

WORK=$(mktemp -d /tmp/boutique-checkout.XXXXXX)
chmod 755 "$WORK"
PID=""
PGBIN=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "$PGBIN" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# run NAME [ENV=VALUE...]: a server with these settings, the load, its RSS.
run() {
  local name=$1
  shift
  local port
  port=$(free_port)
  mkdir -p "$WORK/$name"
  env BOUTIQUE_PORT="$port" BOUTIQUE_DATA_DIR="$WORK/$name" BOUTIQUE_LOG=warn \
    BOUTIQUE_JOBS=false BOUTIQUE_TRUST_PROXY=true "$@" "$BIN" serve --demo >"$WORK/$name.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo
  echo "== $name"
  BENCH_URL="http://127.0.0.1:$port" cargo bench --locked -p tests --bench "$LOAD" 2>&1 | grep -E "^(orders|error|mixed|\\|)"
  echo "peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$PID/status)"
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
}

run sqlite

PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
if [ -z "$PGBIN" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  PGBIN=/usr/lib/postgresql/15/bin
fi
id postgres >/dev/null 2>&1 || useradd --system --home-dir "$WORK/pg" postgres
PGPORT=$(free_port)
mkdir -p "$WORK/pg"
chown postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
# Durable commits: fsync and synchronous_commit stay at their defaults (on).
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
for db in boutique keys; do
  runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$db"
done
run postgresql \
  DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/boutique" \
  BOUTIQUE_KEYSTORE_URL="postgres://postgres@127.0.0.1:$PGPORT/keys" \
  BOUTIQUE_DB_MAX_CONNECTIONS=32
