#!/usr/bin/env bash
# The catalogue at scale (issue 13), release build, SQLite, one run:
# import 50,000 plans through POST /v1/admin/products/import (timed), then
# with 64 connections the list, a filtered search and a text search, each
# as a ratio of /healthz, with p99; the latency of one plan's update (p50,
# p99) while the list is under load; RSS after the import, after 1,000
# updates, and after a restart on the same catalogue.
#
#   bash bench/catalogue-scale.sh
#   PLANS=5000 DURATION=5s bash bench/catalogue-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PLANS=${PLANS:-50000}
DURATION=${DURATION:-10s}
UPDATES=${UPDATES:-1000}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p api
  BIN=${CARGO_TARGET_DIR:-target}/release/boutique
fi

WORK=$(mktemp -d /tmp/boutique-scale.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export BOUTIQUE_DATA_DIR="$WORK/data" BOUTIQUE_LOG=warn BOUTIQUE_PORT=$PORT
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

start() {
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start"; cat "$WORK/server.log"; exit 1
}
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$PID/status"; }

# PLANS varied plans as CSV: styles, bedrooms, surfaces, prices and words vary.
python3 - "$PLANS" >"$WORK/plans.csv" <<'PY'
import random, sys
n = int(sys.argv[1]); r = random.Random(42)
styles = ["contemporary", "traditional", "modern", "chalet", "bungalow", "farmhouse", "cottage", "wood_frame"]
words = ["maison", "bois", "pierre", "plain-pied", "étage", "lumineuse", "jardin", "terrasse",
         "garage", "familiale", "compacte", "évolutive", "bioclimatique", "piscine", "véranda"]
print("slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published")
for i in range(n):
    t = " ".join(r.sample(words, 3)).capitalize()
    d = "Maison " + " ".join(r.sample(words, 8)) + f", plan numéro {i}."
    price = r.randrange(20000, 300000, 100)
    print(f"plan-{i},{t} {i},\"{d}\",{r.choice(styles)},{r.randint(40, 400)},{r.randint(1, 6)},"
          f"{r.randint(1, 3)},{r.randint(1, 3)},{r.randint(0, 3)},{r.randint(8, 40)}.5,{r.randint(15, 60)},"
          f"https://images.example/plans/{i}/1.jpg,pdf:P{i:06d}-PDF:{price}:EUR|printed_set:P{i:06d}-PRT:{price + 15000}:EUR,true")
PY

ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
printf '%s\n' "$ADMIN_PASSWORD" | "$BIN" staff create --email admin@bench.example --name Bench --role admin >/dev/null
start
TOKEN=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"email\":\"admin@bench.example\",\"password\":\"$ADMIN_PASSWORD\"}" "$BASE/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

T0=$(date +%s.%N)
curl -sS --fail-with-body -o "$WORK/import.json" -H "authorization: Bearer $TOKEN" -H 'content-type: text/csv' \
  --data-binary "@$WORK/plans.csv" "$BASE/v1/admin/products/import" || { cat "$WORK/import.json"; exit 1; }
T1=$(date +%s.%N)
IMPORT_S=$(python3 -c "print(f'{$T1 - $T0:.1f}')")
RSS_IMPORT=$(rss)
echo "imported $(cat "$WORK/import.json") in ${IMPORT_S} s; RSS $RSS_IMPORT"

# One request first: the list's JSON fragments are rendered on first use.
curl -fsS -o /dev/null "$BASE/v1/products?limit=20"
ms() { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } printf "%.2f", v }'; }
declare -A RPS
rows=()
for name in trivial list filtered text; do
  case $name in
    trivial) url="$BASE/healthz" ;;
    list) url="$BASE/v1/products?limit=20" ;;
    filtered) url="$BASE/v1/products?style=modern&style=chalet&bedrooms=3&sort=price&facets=true" ;;
    text) url="$BASE/v1/products?q=maison%20bois&bedrooms=3&sort=price" ;;
  esac
  wrk -t2 -c64 -d"$DURATION" --latency "$url" >"$WORK/wrk.txt" 2>&1 || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  RPS[$name]=$rps
  rows+=("$name|$rps|$(ms 50% <"$WORK/wrk.txt")|$(ms 99% <"$WORK/wrk.txt")|$(awk '/Non-2xx|Socket errors/ {print}' "$WORK/wrk.txt" | tr '\n' ' ')")
done

# Updates, one at a time, while the list is under load.
wrk -t2 -c64 -d60s "$BASE/v1/products?limit=20" >"$WORK/wrk-updates.txt" 2>&1 &
WRK=$!
sleep 1
python3 - "$BASE" "$TOKEN" "$UPDATES" >"$WORK/updates.txt" <<'PY'
import http.client, json, sys, time, urllib.parse
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(host.hostname, host.port)
def call(method, path, body=None):
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse(); data = r.read()
    return r.status, data
times = []
for i in range(n):
    status, data = call("GET", f"/v1/products/plan-{i}")
    p = json.loads(data)
    body = {k: p[k] for k in ["slug", "title", "description", "style", "living_area_m2", "bedrooms",
                               "bathrooms", "levels", "garage_spaces", "lot_width_m", "lot_depth_m", "image_urls"]}
    body["formats"] = [{"kind": f["kind"], "sku": f["sku"], "price_amount": f["price"]["amount"] + 100,
                        "currency": f["price"]["currency"]} for f in p["formats"]]
    body["published"] = True
    t = time.perf_counter()
    status, _ = call("PUT", f"/v1/admin/products/{p['id']}", body)
    times.append((time.perf_counter() - t) * 1000)
    assert status == 200, status
times.sort()
print(f"{times[len(times) // 2]:.2f} {times[int(len(times) * 0.99)]:.2f}")
PY
kill $WRK 2>/dev/null; wait $WRK 2>/dev/null || true
read -r UP50 UP99 <"$WORK/updates.txt"
RSS_UPDATES=$(rss)

kill $PID; wait $PID 2>/dev/null || true
start
curl -fsS "$BASE/v1/products?limit=1" >/dev/null
RSS_RESTART=$(rss)

echo
echo "| $PLANS plans, SQLite, 64 connections | req/s | p50 ms | p99 ms | vs /healthz |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r name rps p50 p99 errors <<<"$row"
  ratio=$(python3 -c "print(f'{float(\"$rps\")/float(\"${RPS[trivial]}\"):.2f}')")
  echo "| $name ${errors:+($errors)} | $rps | $p50 | $p99 | $ratio |"
done
echo
echo "import of $PLANS plans: ${IMPORT_S} s"
echo "one plan's update while the list is under load ($UPDATES updates): p50 ${UP50} ms, p99 ${UP99} ms"
echo "RSS: after the import $RSS_IMPORT, after the updates $RSS_UPDATES, after a restart $RSS_RESTART"
