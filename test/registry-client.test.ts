// The registry client's shared suite against Debian's distribution 2.8, started on loopback,
// without and with htpasswd (Basic) authentication, and against minke's own registry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { runRegistryClientSuite, type RegistryTarget } from '../src/engine/distribution/client/testsuite.js';
import { testRegistry } from './registry/harness.js';
import { distributionSkip, startDistribution } from './registries.js';

runRegistryClientSuite('distribution 2.8', async () => {
  const r = await startDistribution();
  return { url: r.url, stop: r.stop };
}, { skip: distributionSkip });

runRegistryClientSuite('distribution 2.8 with htpasswd', async () => {
  const r = await startDistribution({ auth: { username: 'alice', password: 'secret' } });
  return { url: r.url, username: 'alice', password: 'secret', stop: r.stop };
}, { skip: distributionSkip });

// The same suite against minke's own registry: open, with htpasswd (Basic), and with bearer
// tokens issued by the registry itself for the users of its htpasswd file.
const minke = async (opts: { auth?: 'basic' | 'token' } = {}): Promise<RegistryTarget> => {
  const root = mkdtempSync(join(tmpdir(), 'minke-registry-client-'));
  const htpasswd = join(root, 'htpasswd');
  if (opts.auth) writeFileSync(htpasswd, `carol:${bcrypt.hashSync('s3cret', 8)}\n`);
  const reg = await testRegistry({
    root: join(root, 'data'),
    ...(opts.auth ? { htpasswd } : {}),
    ...(opts.auth === 'token' ? { tokenRealm: '/token', tokenService: 'minke-client-suite' } : {}),
  });
  return {
    url: reg.url,
    ...(opts.auth ? { username: 'carol', password: 's3cret' } : {}),
    stop: async () => {
      await reg.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
};

runRegistryClientSuite('minke registry', () => minke());
runRegistryClientSuite('minke registry with htpasswd', () => minke({ auth: 'basic' }));
runRegistryClientSuite('minke registry with token auth', () => minke({ auth: 'token' }));
