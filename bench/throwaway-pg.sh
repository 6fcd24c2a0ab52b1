# Sourced by the PostgreSQL benchmarks: a throwaway PostgreSQL 15 with its
# default durability settings and two empty databases, `boutique` and
# `keys`, on $PGPORT; stopped and deleted on exit.
WORK=$(mktemp -d /tmp/boutique-bench.XXXXXX)
chmod 755 "$WORK"
PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
if [ -z "$PGBIN" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  PGBIN=/usr/lib/postgresql/15/bin
fi
id postgres >/dev/null 2>&1 || useradd --system --home-dir "$WORK/pg" postgres
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/pg"
chown postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1; rm -rf "$WORK"' EXIT
for db in boutique keys; do
  runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$db"
done
