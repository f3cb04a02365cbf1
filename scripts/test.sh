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
# --forceExit: a handle left open by a test must not hold CI until its deadline; the global
# teardown (test/support/open-handles.ts) names any such handle in the log.
npx jest --runInBand --forceExit --json --outputFile=test-results/jest.json "$@"
