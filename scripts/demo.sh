#!/usr/bin/env bash
# `npm run demo`: installs and builds when needed, then runs Warden on its embedded defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
exec node cli/dist/main.js start --demo "$@"
