#!/usr/bin/env bash
# Builds the two small native pieces: the N-API addon (mount, mknod, xattrs, spawn without fork) and the attach bridge
# (conmon's attach socket is SOCK_SEQPACKET, which Node cannot open). Only a C compiler and Node's
# own headers are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
inc="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node"
[ -f "$inc/node_api.h" ] || inc="$(npm config get nodedir 2>/dev/null)/include/node"
if [ ! -f build/sys.node ] || [ src/native/sys.c -nt build/sys.node ] || [ src/native/spawn.c -nt build/sys.node ]; then
  cc -O2 -Wall -shared -fPIC -pthread -DNODE_GYP_MODULE_NAME=sys -I"$inc" -o build/sys.node src/native/sys.c src/native/spawn.c
fi
if [ ! -f build/minke-attach ] || [ src/native/attach-bridge.c -nt build/minke-attach ]; then
  cc -O2 -Wall -o build/minke-attach src/native/attach-bridge.c
fi
