# Shared set-up for scripts/start.sh and scripts/test.sh: dependencies from the lock file,
# Postgres and Redis running, the database created. Sourced, not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

install_dependencies() {
  local stamp=node_modules/.lock-sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  log "installing dependencies from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do "$check" && return 0; sleep 0.5; done
  echo "$what did not come up" >&2
  return 1
}

# Starts the machine's own Postgres and Redis when they are not already answering.
ensure_services() {
  if ! postgres_up; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    wait_for PostgreSQL postgres_up
  fi
  if ! redis_up; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis redis_up
  fi
}

create_database() {
  npx ts-node --transpile-only src/database/create-database.ts
}

# The browser test of the performance page drives Debian's chromium through playwright-core,
# which never downloads a browser of its own.
ensure_chromium() {
  if [[ -x /usr/bin/chromium ]]; then return; fi
  log "installing chromium"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)
  # Package lists are refreshed only when the install cannot find what it needs.
  "${install[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && "${install[@]}" >/dev/null; }
}
