#!/usr/bin/env bash
# Schemathesis against the server, on SQLite or on the PostgreSQL that
# DATABASE_URL names (called by .ci/run; runnable by hand): unauthenticated, then with a customer's token, a shop manager's,
# an integration's API key (every scope), and an admin's. Every check
# runs; .ci/schemathesis.toml lists the allowances.
#
#   .ci/schemathesis.sh BOUTIQUE_BINARY SCHEMATHESIS_BINARY WORK_DIR
#
# WORK_DIR receives the data directory and the server's log.
# SCHEMATHESIS_EXTRA adds options to every run (by hand, e.g.
# --include-operation-id-regex=cart to try some operations only).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1
ST=$2
WORK=$3

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

mkdir -p "$WORK"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
POLICY=1
# The server believes X-Forwarded-For, which the hooks set on every request
# (see .ci/schemathesis_hooks.py).
export BOUTIQUE_DATA_DIR="$WORK/data" BOUTIQUE_LOG=warn BOUTIQUE_TRUST_PROXY=true \
  BOUTIQUE_PUBLIC_URL=$URL BOUTIQUE_STRIPE_WEBHOOK_SECRET=whsec_ci_$(secret)
# Hypothesis' own files (Unicode tables...) stay out of the repository.
export HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis"

# The admin, on the command line, before the server opens the database.
ADMIN_EMAIL=admin@ci.boutique.example
ADMIN_PASSWORD=$(secret)
printf '%s\n' "$ADMIN_PASSWORD" |
  "$BIN" staff create --email "$ADMIN_EMAIL" --name "CI Admin" --role admin >/dev/null
MANAGER_EMAIL=manager@ci.boutique.example
MANAGER_PASSWORD=$(secret)
printf '%s\n' "$MANAGER_PASSWORD" |
  "$BIN" staff create --email "$MANAGER_EMAIL" --name "CI Manager" --role shop_manager >/dev/null

BOUTIQUE_PORT=$PORT "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$URL/readyz" >/dev/null

# The customer, through the API, as a frontend would.
CUSTOMER_EMAIL=customer@ci.boutique.example
CUSTOMER_PASSWORD=$(secret)
curl -fsS -o /dev/null -H 'Content-Type: application/json' "$URL/v1/auth/register" \
  -d "{\"email\":\"$CUSTOMER_EMAIL\",\"name\":\"CI Customer\",\"password\":\"$CUSTOMER_PASSWORD\",\"accept_privacy_policy\":true,\"privacy_policy_version\":$POLICY}"
login() {
  curl -fsS -H 'Content-Type: application/json' "$URL/v1/auth/login" \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | json_field access_token
}
CUSTOMER_TOKEN=$(login "$CUSTOMER_EMAIL" "$CUSTOMER_PASSWORD")
ADMIN_TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
MANAGER_TOKEN=$(login "$MANAGER_EMAIL" "$MANAGER_PASSWORD")
# An integration's key holding every scope, as an admin makes one.
KEY=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $ADMIN_TOKEN" \
  "$URL/v1/admin/api-keys" \
  -d '{"name":"CI integration","purpose":"the CI fuzzes what an integration may call","scopes":["catalogue:read","catalogue:write","orders:read","orders:write","customers:read","webhooks:manage"],"rate_per_minute":100000}' |
  json_field secret)

# schemathesis NAME TOKEN [OPTION...]: one run, with TOKEN (if not empty) as
# the bearer scheme's credentials, given by the hooks (.ci/schemathesis_hooks.py).
schemathesis() {
  local name=$1 token=$2
  shift 2
  echo
  echo "--> Schemathesis: $name"
  date +%T
  SCHEMATHESIS_BEARER_TOKEN=$token "$ST" --config-file .ci/schemathesis.toml run "$URL/openapi.json" --url "$URL" \
    --checks all --seed 20261126 --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" --workers 2 --suppress-health-check all \
    --no-color ${SCHEMATHESIS_EXTRA:-} "$@"
}

FAILED=""
schemathesis unauthenticated "" || FAILED="$FAILED unauthenticated"
# Logout and session revocation end the session whose token the run uses,
# and every later request would only get 401: they are left out of the
# authenticated runs (the unauthenticated run and the HTTP tests in
# tests/api/ cover them). Not a re-login hook instead: the request right
# after a logout would still get its 401, and a run could go on without its
# token unnoticed.
# Everything else runs, including role changes and lifting blocks: an
# admin cannot demote themself (409, documented), and the run's accounts
# need no block lifted.
AUTHENTICATED=(--exclude-operation-id logout --exclude-operation-id revoke_session)
schemathesis "as a customer" "$CUSTOMER_TOKEN" "${AUTHENTICATED[@]}" || FAILED="$FAILED customer"
schemathesis "as a shop manager" "$MANAGER_TOKEN" "${AUTHENTICATED[@]}" || FAILED="$FAILED manager"
# Before the admin's run, which could revoke keys it lists.
schemathesis "as an API key" "$KEY" "${AUTHENTICATED[@]}" || FAILED="$FAILED key"
schemathesis "as an admin" "$ADMIN_TOKEN" "${AUTHENTICATED[@]}" || FAILED="$FAILED admin"

if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked during Schemathesis:"
  grep -A5 panicked "$WORK/server.log"
  exit 1
fi
if [ -n "$FAILED" ]; then
  echo "Schemathesis failed:$FAILED"
  exit 1
fi
