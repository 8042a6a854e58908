// The registry client's shared suite against Debian's distribution 2.8, started on loopback,
// without and with htpasswd (Basic) authentication.
import { runRegistryClientSuite } from '../src/engine/distribution/client/testsuite.js';
import { distributionSkip, startDistribution } from './registries.js';

runRegistryClientSuite('distribution 2.8', async () => {
  const r = await startDistribution();
  return { url: r.url, stop: r.stop };
}, { skip: distributionSkip });

runRegistryClientSuite('distribution 2.8 with htpasswd', async () => {
  const r = await startDistribution({ auth: { username: 'alice', password: 'secret' } });
  return { url: r.url, username: 'alice', password: 'secret', stop: r.stop };
}, { skip: distributionSkip });
