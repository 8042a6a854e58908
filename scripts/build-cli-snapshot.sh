#!/usr/bin/env bash
# The client's V8 start-up snapshot (see src/cli/snapshot.ts): dist/cli.blob, made from the built
# modules bundled into one script. A snapshot only loads into the node binary that made it, so
# dist/cli.blob.node is a hard link to that binary: bin/minke compares it with the node it finds
# (`[ A -ef B ]`, no process spawned) and starts from the modules when they differ (node upgraded
# or another one first in PATH). Where no hard link can be made, no snapshot is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
node_bin=$(readlink -f "$(command -v node)")
rm -f dist/cli.blob dist/cli.blob.node
npx esbuild dist/src/cli/snapshot.js --bundle --platform=node --format=cjs --log-level=warning \
  --define:import.meta.url="\"file://$PWD/dist/src/cli/meta.js\"" --outfile=dist/cli-snapshot.cjs
node --snapshot-blob dist/cli.blob.tmp --build-snapshot dist/cli-snapshot.cjs
if ln -f "$node_bin" dist/cli.blob.node 2>/dev/null; then
  mv dist/cli.blob.tmp dist/cli.blob
else
  echo "build: $node_bin is on another file system than dist/: the client starts without its snapshot" >&2
  rm -f dist/cli.blob.tmp
fi
