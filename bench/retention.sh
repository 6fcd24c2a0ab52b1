#!/usr/bin/env bash
# Retention benchmark (issue 10): 1,000,000 expired records on
# a throwaway PostgreSQL 15 (default durability settings), then the time of
# one retention run, and the catalogue's latency before and while it runs
# (release build).
#
#   bash bench/retention.sh
#   CARTS=100000 bash bench/retention.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/throwaway-pg.sh
BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/boutique" \
BENCH_KEYSTORE_URL="postgres://postgres@127.0.0.1:$PGPORT/keys" \
  cargo bench --locked -p tests --bench retention
