#!/usr/bin/env bash
# Lint, type check, then every test (unit tests beside the sources, integration tests in test/)
# with node:test's summary. Integration tests need root, runc, conmon and overlayfs.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint"
npx eslint src test bench
echo "== type check"
npx tsc -p tsconfig.json --noEmit
[ -f build/busybox-rootfs.tar ] || bash scripts/make-busybox-rootfs.sh build/busybox-rootfs.tar
echo "== tests"
# Engines a killed earlier run left behind (their test process gone) would load this run.
node dist/test/reap-engines.js
trap 'node dist/test/reap-engines.js || true' EXIT
mapfile -t files < <(find dist/src dist/test -name '*.test.js' 2>/dev/null | sort)
node --test --test-concurrency=2 --test-timeout=900000 --test-reporter=spec "${files[@]}"
