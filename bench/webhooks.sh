#!/usr/bin/env bash
# Webhook benchmark (issue 11), release build, one run each on the
# embedded SQLite and on a throwaway PostgreSQL 15 (default durability):
# the checkout's orders/s and latency with no webhook endpoint, then with
# one subscribed to `order.created`; then the delivery job's deliveries
# per second to a local receiver.
#
#   bash bench/webhooks.sh
#   BENCH_SECONDS=20 EVENTS=10000 bash bench/webhooks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked -p tests --bench webhooks
. bench/throwaway-pg.sh
BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/boutique" \
BENCH_KEYSTORE_URL="postgres://postgres@127.0.0.1:$PGPORT/keys" \
  cargo bench --locked -p tests --bench webhooks
