#!/usr/bin/env bash
# The README's test command: lint and type-check, then unit and integration tests against real
# Kafka, PostgreSQL and Redis (the integration global set-up starts whatever is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
[ -d node_modules ] || npm ci --no-audit --no-fund
echo "== lint"
npm run --silent lint
echo "== typecheck"
npx tsc -p tsconfig.json
echo "== format"
npx prettier --check . --log-level warn
echo "== tests (unit + integration)"
mkdir -p .data
status=0
# --forceExit: a client left open by a test (a Kafka socket closing slowly) must not hang CI after the summary.
npx jest --ci --forceExit --json --outputFile=.data/jest-results.json "$@" || status=$?
# One closing line in the plain 'N passed, N failed' form, whatever the runner printed above.
node -e '
  const r = require("./.data/jest-results.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
