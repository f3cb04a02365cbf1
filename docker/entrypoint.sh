#!/bin/sh
# The image's entry point: the app does not migrate on boot, so the schema is brought up to date
# first (as scripts/start.sh does), then the app replaces this shell and receives the stop signal.
set -e
node node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
# V8 flags the service runs with everywhere (package.json `serviceNodeFlags`).
exec node $(node -p "require('./package.json').serviceNodeFlags.join(' ')") dist/src/main.js
