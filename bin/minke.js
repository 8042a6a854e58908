#!/usr/bin/env -S node --
// minke: the engine (`minke daemon`), the registry (`minke registry`) or the docker-compatible
// client; modules load on demand.
const argv = process.argv.slice(2);
if (argv[0] === 'daemon') {
  // The engine is long-lived and mostly waits on I/O: V8's lite mode (no optimising compilers)
  // trades little speed for a smaller resident footprint. Set before any engine code compiles.
  (await import('node:v8')).setFlagsFromString('--lite-mode');
  const { main } = await import('../dist/src/engine/daemon.js');
  await main(argv.slice(1));
} else if (argv[0] === 'registry') {
  // The registry server runs on its own, without the engine or the client's modules.
  const { main } = await import('../dist/src/engine/distribution/registry/cli.js');
  await main(argv.slice(1));
} else if (argv[0] === 'server') {
  // The cluster server too: its own modules only.
  const { main } = await import('../dist/src/cluster/apiserver/cli.js');
  await main(argv.slice(1));
} else {
  const { main } = await import('../dist/src/cli/main.js');
  await main(argv);
}
