#!/usr/bin/env bash
# The README's test command: lint and type-check, then unit and integration tests against real
# Kafka, PostgreSQL and Redis (the integration global set-up starts whatever is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
[ -d node_modules ] || npm ci --no-audit --no-fund
# promtool checks deploy/prometheus (deploy/prometheus/rules.spec.ts). Only the binary is taken out of Debian's
# `prometheus` package: installing the package would also start a Prometheus server on a machine with systemd.
if ! command -v promtool >/dev/null && [ ! -x .data/tools/promtool ]; then
  echo "== promtool (.data/tools, from Debian's prometheus package)"
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt-get download writes as the _apt user
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq prometheus && dpkg-deb -x prometheus_*.deb root)
  mkdir -p .data/tools
  cp "$tmp/root/usr/bin/promtool" .data/tools/promtool
  rm -rf "$tmp"
fi
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
