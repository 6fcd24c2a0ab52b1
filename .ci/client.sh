#!/usr/bin/env bash
# The generated TypeScript client and the document's lint (called by
# .ci/run; runnable by hand): installs the pinned npm packages, lints
# openapi.yaml with Redocly's recommended rules, generates the client types,
# type-checks the example (an exhaustive switch on problem types), and runs
# its journey (login, renewal, log out other devices, a 304 revalidation, an
# idempotent address creation, cart, estimate, checkout, a card payment
# through localstripe and Stripe's webhook when TEST_STRIPE_URL names one
# (.ci/run starts it; a bank transfer otherwise), the downloads, the
# invoice, the order list, the export, the erasure) against a live server.
#
#   .ci/client.sh BOUTIQUE_BINARY WORK_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1
WORK=$2
CLIENT=clients/typescript-example

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

(cd "$CLIENT" && npm ci --no-audit --no-fund --loglevel=error)
"$CLIENT/node_modules/.bin/redocly" lint openapi.yaml --config redocly.yaml
(cd "$CLIENT" && npm run --silent generate && npm run --silent check && npm run --silent build)

mkdir -p "$WORK"
# With a fake Stripe (.ci/run starts localstripe), the journey pays by card:
# the server and the journey get the same keys.
if [ -n "${TEST_STRIPE_URL:-}" ]; then
  STRIPE_WEBHOOK_SECRET=whsec_journey_$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  export BOUTIQUE_STRIPE_API_URL=$TEST_STRIPE_URL BOUTIQUE_STRIPE_SECRET_KEY=sk_test_journey \
    BOUTIQUE_STRIPE_WEBHOOK_SECRET=$STRIPE_WEBHOOK_SECRET \
    STRIPE_URL=$TEST_STRIPE_URL STRIPE_SECRET_KEY=sk_test_journey STRIPE_WEBHOOK_SECRET
fi
PORT=$(free_port)
BOUTIQUE_PORT=$PORT BOUTIQUE_DATA_DIR="$WORK/data" BOUTIQUE_LOG=warn \
  "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
(cd "$CLIENT" && node dist/journey.js "http://127.0.0.1:$PORT")
