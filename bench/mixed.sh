#!/usr/bin/env bash
# Mixed traffic (issue 12), release build, one run on the embedded SQLite
# and one on a throwaway PostgreSQL 15 with durable commits: 32 clients for
# 20 s, 80 % catalogue reads, 10 % cart changes, 5 % logins, 5 % checkouts;
# a table per endpoint (requests, req/s, p50, p99, errors) and the server's
# peak RSS.
#
#   bash bench/mixed.sh
#   BENCH_SECONDS=60 CLIENTS=64 bash bench/mixed.sh
exec bash "$(dirname "$0")/checkout.sh" mixed
