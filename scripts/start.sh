#!/usr/bin/env bash
# Runs the service on a fresh machine: install, start Postgres/Redis, create and migrate the
# database, build, and serve on $PORT (default 3000). Configuration: see .env.example.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_dependencies
ensure_services
create_database
log "building"
npx nest build
log "running migrations"
node node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
# V8 flags the service runs with everywhere (package.json `serviceNodeFlags`; docs/performance.md).
exec node $(node -p "require('./package.json').serviceNodeFlags.join(' ')") dist/src/main.js
