#!/usr/bin/env bash
# Campaign benchmark (issue 8): 100,000 confirmed newsletter subscribers on
# a throwaway PostgreSQL 15 (default durability settings), then the time to
# compute and queue one campaign, and the catalogue's latency before and
# while it runs (release build).
#
#   bash bench/campaign.sh
#   SUBSCRIBERS=20000 bash bench/campaign.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/throwaway-pg.sh
BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/boutique" \
BENCH_KEYSTORE_URL="postgres://postgres@127.0.0.1:$PGPORT/keys" \
  cargo bench --locked -p tests --bench campaign
