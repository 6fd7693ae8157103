#!/usr/bin/env bash
# `npm run demo`: a shell first, because on a fresh clone tsx (like everything else) is not installed yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x node_modules/.bin/tsx ]; then
  echo "▸ dependencies: npm ci (node_modules is missing)"
  npm ci --no-audit --no-fund
fi
# One node process (tsx as a loader, not its CLI, which would run the demo in a second process and relay signals):
# Ctrl-C reaches the demo directly and it stops everything it started.
exec node --import tsx tools/demo/demo.ts "$@"
