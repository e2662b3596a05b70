#!/usr/bin/env bash
# `npm test`: the whole suite over the real local stack, on a fresh machine too.
# Installs dependencies when missing, builds, brings the stack up (left running for
# the next run; `npm run stack down` stops it) and runs the unit and integration tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
# The SSF interop test verifies SETs with a JOSE library that is not ours (PyJWT).
python3 -c 'import jwt, cryptography' 2>/dev/null ||
  python3 -m pip install --quiet --user pyjwt cryptography
npm run build
# Static checks of deploy/: promtool rule tests, dashboard drift, compose and Kubernetes schemas.
bash deploy/check.sh
node shared/scripts/gen-contract-types.mjs --check
bash deploy/local/stack up
npx vitest run
