#!/usr/bin/env bash
# `docker compose` runs minke's compose: a small docker-compose plugin in the docker CLI's plugin
# directory that starts this tree's bin/minke (which answers docker-cli-plugin-metadata). Done only
# when no other compose plugin is installed; one of minke's is pointed at this tree.
# Usage: install-compose-plugin.sh [DIR] (default /usr/local/lib/docker/cli-plugins)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${1:-/usr/local/lib/docker/cli-plugins}
marker='minke compose plugin'
for d in "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" /usr/local/lib/docker/cli-plugins /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
  f=$d/docker-compose
  [ -e "$f" ] || continue
  if grep -q "$marker" "$f" 2>/dev/null; then target_dir=$d; break; fi
  echo "setup: $f is another compose plugin: left as it is"
  exit 0
done
mkdir -p "$target_dir"
tmp=$(mktemp "$target_dir/.docker-compose.XXXXXX")
printf '#!/bin/sh\n# %s: `docker compose ...` runs minke compose (installed by scripts/setup.sh)\nexec %q "$@"\n' "$marker" "$here/bin/minke" > "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$target_dir/docker-compose"
