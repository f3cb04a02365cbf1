#!/usr/bin/env bash
# Runs every test on a fresh machine: install, start Postgres/Redis, type-check and lint, then
# jest (unit specs and e2e specs on real Postgres and Redis). Jest's JSON report goes to
# test-results/jest.json. Extra arguments go to jest (e.g. a file pattern).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_dependencies
ensure_services
ensure_chromium
create_database
log "type-checking, linting, checking which module may import which, the links of the docs and the Docker files"
npx tsc --noEmit -p tsconfig.json
npx eslint .
npx depcruise src --config .dependency-cruiser.cjs
npx ts-node --transpile-only scripts/check-links.ts
npx ts-node --transpile-only scripts/check-docker.ts
mkdir -p test-results

# Jest runs in band, so a test that never yields the event loop (a busy loop, or promises awaiting
# each other in microtasks, which starves timers and test timeouts too) would hold the run silently
# until CI's own deadline. Past JEST_DEADLINE_SECONDS this prints where jest's JavaScript is, through
# the inspector (which attaches even to a busy process), and stops jest.
watch_jest() {
  local pid=$1 waited=0 deadline=${JEST_DEADLINE_SECONDS:-1800}
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= deadline )); then
      echo "jest still running after ${deadline} s: its JavaScript stack, then stopping it" >&2
      kill -USR1 "$pid" && sleep 1
      { sleep 2; echo pause; sleep 3; echo bt; sleep 2; echo .exit; } | timeout 30 node inspect -p "$pid" >&2 || true
      kill -9 "$pid" 2>/dev/null
      return
    fi
    sleep 5
    waited=$((waited + 5))
  done
}

# --forceExit: a handle left open by a test must not hold CI until its deadline; the global
# teardown (test/support/open-handles.ts) names any such handle in the log.
node node_modules/jest/bin/jest.js --runInBand --forceExit --json --outputFile=test-results/jest.json "$@" &
jest_pid=$!
watch_jest "$jest_pid" &
wait "$jest_pid"
