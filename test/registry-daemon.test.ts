/**
 * `minke daemon --registry ADDR`: the engine serves an OCI registry from its own process, its
 * content under the data root, kept across a restart of the engine.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TestEngine, waitFor } from './harness.js';
import { pushImage } from './registry/harness.js';
import { http } from './registry/http-client.js';

async function registryUrl(e: TestEngine): Promise<string> {
  let url = '';
  await waitFor(() => {
    url = [...e.logs.matchAll(/Registry listen on (http:\/\/127\.0\.0\.1:\d+)/g)].at(-1)?.[1] ?? '';
    return url !== '';
  }, 'the registry listener');
  return url;
}

void describe('minke daemon --registry', () => {
  const e = new TestEngine({ args: ['--registry', '127.0.0.1:0'] });
  after(() => e.destroy());

  it('serves a registry beside the Engine API, its content under the data root', async () => {
    await e.start();
    const url = await registryUrl(e);
    const img = await pushImage(url, 'engine/served', 'v1');
    assert.equal((await http(`${url}/v2/engine/served/tags/list`)).json<{ tags: string[] }>().tags[0], 'v1');
    assert.ok(existsSync(join(e.dataRoot, 'registry', 'repositories', 'engine', 'served')));
    e.logs = '';
    await e.restart();
    const again = await registryUrl(e);
    const m = await http(`${again}/v2/engine/served/manifests/v1`);
    assert.equal(m.status, 200);
    assert.ok(m.body.equals(img.manifest));
  });
});
