#!/usr/bin/env bash
# Installs whatever is missing on a fresh machine (Debian packages, npm packages), then builds.
# Safe to run again: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have runc || need+=(runc)
have conmon || need+=(conmon)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
have iptables || need+=(iptables)
have ip || need+=(iproute2)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
[ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)
# the docker-py tests run /usr/bin/python3 (not whatever python3 is first on PATH)
/usr/bin/python3 -c 'import docker' >/dev/null 2>&1 || need+=(python3-docker)
# judges of the cluster's API server: Debian's Kubernetes client for /usr/bin/python3
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need+=(python3-kubernetes)
have skopeo || need+=(skopeo)
# Debian's distribution 2.8: the registry benchmark's peer (bench/registry.ts)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
have cc || need+=(gcc)
[ -x /usr/bin/tini-static ] || need+=(tini)
have script || need+=(bsdutils)
have ps || need+=(procps)
# decoders of xz, bzip2 and zstd compressed tars (docker cp uploads, import, load): Node has none
have xz || need+=(xz-utils)
have bzip2 || need+=(bzip2)
have zstd || need+=(zstd)
# peers for the interop tests and the benchmark: a real Docker engine (started on its own socket)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
# docker-compose 1.29 (Debian's): an outside client of the engine through docker-py
[ -x /usr/bin/docker-compose ] || need+=(docker-compose)
# the cluster storage's etcd backend is tested against Debian's etcd 3.4 on loopback
have etcd || need+=(etcd-server)
# better-sqlite3 builds its binding with node-gyp when no prebuilt one can be fetched
have make || need+=(make)
have g++ || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npx tsc -p tsconfig.json
bash scripts/build-native.sh
bash scripts/build-cli-snapshot.sh
bash scripts/install-compose-plugin.sh
