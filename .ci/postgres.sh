#!/usr/bin/env bash
# Install (from Debian's packages) and start a throwaway PostgreSQL server for the test suite.
# Prints the SQLAlchemy URL of a fresh database on stdout; everything else goes to stderr.
set -euo pipefail
PORT="${SENSEBOT_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
DATA="$(mktemp -d /tmp/sensebot-pg.XXXXXX)"
run() {  # PostgreSQL refuses to run as root: use the postgres account when we are root
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
run "'$PGBIN/initdb' -D '$DATA' -A trust -U postgres" >&2
run "'$PGBIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >&2
run "'$PGBIN/createdb' -h 127.0.0.1 -p $PORT -U postgres sensebot_test" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/sensebot_test"
