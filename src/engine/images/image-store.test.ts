import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, type Digest } from '../../core/digest.js';
import { Conflict, InvalidArgument, NotFound } from '../../core/errors.js';
import { LocalContentStore } from '../content/store.js';
import { ImageStore, type InUse } from './image-store.js';
import { parseFilters } from './filters.js';
import type { ImageConfigBlob } from './types.js';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function fixture(): Promise<{ store: ImageStore; root: string; inUse: Map<string, InUse> }> {
  const root = await mkdtemp(join(tmpdir(), 'minke-test-images-'));
  roots.push(root);
  const content = await LocalContentStore.open(join(root, 'content'));
  const inUse = new Map<string, InUse>();
  const store = await ImageStore.open({ content, root: join(root, 'meta'), isInUse: (id) => inUse.get(id) });
  return { store, root, inUse };
}

function config(n: number, extra: Partial<ImageConfigBlob> = {}): ImageConfigBlob {
  const diff = sha256(`layer${n}`);
  return {
    created: new Date(Date.UTC(2024, 0, n)).toISOString(), architecture: 'amd64', os: 'linux',
    config: { Cmd: ['sh'], Labels: { n: String(n) } },
    rootfs: { type: 'layers', diff_ids: [diff] },
    history: [{ created: new Date(Date.UTC(2024, 0, n)).toISOString(), created_by: `step ${n}` }, { created_by: 'CMD ["sh"]', empty_layer: true }],
    ...extra,
  };
}
const layer = (n: number) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(`layer${n}`), size: 100 * n });

void test('resolves references and IDs as docker does', async () => {
  const { store } = await fixture();
  const img = await store.create({ config: config(1), layers: [layer(1)], tags: ['busybox'] });
  const hex = img.id.slice(7);
  for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', img.id, hex, hex.slice(0, 12), hex.slice(0, 1), `sha256:${hex.slice(0, 5)}`]) {
    assert.equal((await store.get(ref)).id, img.id, ref);
  }
  await assert.rejects(store.get('busybox:1'), { message: 'No such image: busybox:1' });
  await assert.rejects(store.get('nosuch'), { message: 'No such image: nosuch:latest' });
  await assert.rejects(store.get(`busybox@${sha256('x')}`), { message: `No such image: busybox@${sha256('x')}` });
  await assert.rejects(store.get('Busybox'), InvalidArgument);
  assert.deepEqual(img.repoTags, ['docker.io/library/busybox:latest']);
  assert.equal(img.chainId, sha256('layer1'));

  const withDigest = await store.create({ config: config(2), layers: [layer(2)], repoDigests: [`busybox@${sha256('m')}`] });
  assert.equal((await store.get(`busybox@${sha256('m')}`)).id, withDigest.id);
  assert.equal((await store.get(`docker.io/library/busybox:whatever@${sha256('m')}`)).id, withDigest.id);
});

void test('tags move between images and survive a restart', async () => {
  const { store, root } = await fixture();
  const a = await store.create({ config: config(1), layers: [layer(1)], tags: ['app:1'] });
  const b = await store.create({ config: config(2), layers: [layer(2)], tags: ['app:2'] });
  await store.tag('app:1', 'localhost:5000/app:x');
  await store.tag(b.id, 'app:1');
  assert.deepEqual((await store.get(a.id)).repoTags, ['localhost:5000/app:x']);
  assert.deepEqual((await store.get(b.id)).repoTags.sort(), ['docker.io/library/app:1', 'docker.io/library/app:2']);
  await assert.rejects(store.tag('nosuch', 'x'), NotFound);
  await assert.rejects(store.tag(a.id, `x@${sha256('d')}`), InvalidArgument);
  const again = await ImageStore.open({ content: store.content, root: join(root, 'meta') });
  assert.equal((await again.get('localhost:5000/app:x')).id, a.id);
  assert.equal((await again.list()).length, 2);
});

void test('remove follows docker rules', async () => {
  const { store, inUse } = await fixture();
  const img = await store.create({ config: config(1), layers: [layer(1)], tags: ['a:1', 'b:1'] });
  const short = img.id.slice(7, 19);
  await assert.rejects(store.remove(short), { message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories` });
  assert.deepEqual(await store.remove('a:1'), [{ Untagged: 'a:1' }]);
  inUse.set(img.id, 'c'.repeat(64));
  await assert.rejects(store.remove('b:1'), (err: unknown) => err instanceof Conflict &&
    err.message === `conflict: unable to remove repository reference "b:1" (must force) - container cccccccccccc is using its referenced image ${short}`);
  await assert.rejects(store.remove(img.id), { message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container cccccccccccc` });
  inUse.set(img.id, { id: 'd'.repeat(64), running: true });
  await assert.rejects(store.remove(img.id, { force: true }), { message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container dddddddddddd` });
  inUse.clear();
  assert.deepEqual(await store.remove('b:1'), [{ Untagged: 'b:1' }, { Deleted: img.id }]);
  await assert.rejects(store.remove('b:1'), { message: 'No such image: b:1' });

  const two = await store.create({ config: config(2), layers: [layer(2)], tags: ['x', 'y'] });
  assert.deepEqual(await store.remove(two.id, { force: true }), [{ Untagged: 'x:latest' }, { Untagged: 'y:latest' }, { Deleted: two.id }]);
  const one = await store.create({ config: config(3), layers: [layer(3)], tags: ['z'], repoDigests: [`z@${sha256('z')}`] });
  assert.deepEqual(await store.remove(one.id), [{ Untagged: 'z:latest' }, { Untagged: `z@${sha256('z')}` }, { Deleted: one.id }]);
  const three = await store.create({ config: config(4), layers: [layer(4)], tags: ['q'], repoDigests: [`q@${sha256('q')}`] });
  assert.deepEqual(await store.remove('q'), [{ Untagged: 'q:latest' }, { Untagged: `q@${sha256('q')}` }, { Deleted: three.id }]);

  const parent = await store.create({ config: config(5), layers: [layer(5)] });
  const child = await store.create({ config: config(6), layers: [layer(6)], tags: ['child'], parent: parent.id });
  await assert.rejects(store.remove(parent.id), { message: `conflict: unable to delete ${parent.id.slice(7, 19)} (cannot be forced) - image has dependent child images` });
  assert.deepEqual(await store.remove('child'), [{ Untagged: 'child:latest' }, { Deleted: child.id }, { Deleted: parent.id }]);
  assert.deepEqual(await store.list(), []);
});

void test('summary, filters, history and inspect in the Engine API shapes', async () => {
  const { store } = await fixture();
  const a = await store.create({ config: config(1), layers: [layer(1)], tags: ['busybox:1', 'foo/bar:2'] });
  const b = await store.create({ config: config(2), layers: [layer(2)] });
  const c = await store.create({ config: config(3, { config: { Labels: { env: 'prod' } } }), layers: [layer(3)], tags: ['localhost:5000/x:y'] });
  const ids = (f: string): string[] => store.summary({ filters: parseFilters(f) }).map((s) => s.Id);
  assert.deepEqual(ids('{}'), [c.id, b.id, a.id]);
  assert.deepEqual(ids('{"dangling":["true"]}'), [b.id]);
  assert.deepEqual(ids('{"dangling":{"false":true}}'), [c.id, a.id]);
  assert.deepEqual(ids('{"label":["env"]}'), [c.id]);
  assert.deepEqual(ids('{"label":["env=prod"]}'), [c.id]);
  assert.deepEqual(ids('{"label":["env=dev"]}'), []);
  assert.deepEqual(ids('{"before":["localhost:5000/x:y"]}'), [b.id, a.id]);
  assert.deepEqual(ids('{"since":["busybox:1"]}'), [c.id, b.id]);
  assert.deepEqual(ids('{"reference":["busy*"]}'), [a.id]);
  assert.deepEqual(ids('{"reference":["foo/*:2"]}'), [a.id]);
  assert.deepEqual(ids('{"reference":["*"]}'), [a.id]);
  assert.deepEqual(ids('{"reference":["localhost:5000/*"]}'), [c.id]);
  assert.deepEqual(store.summary({ filters: parseFilters('{"reference":["busybox"]}') })[0]!.RepoTags, ['busybox:1']);
  assert.throws(() => ids('{"nope":["x"]}'), { message: "invalid filter 'nope'" });
  assert.throws(() => ids('{"dangling":["maybe"]}'), { message: "Invalid filter 'dangling=maybe'" });
  assert.throws(() => ids('{"before":["nosuch"]}'), NotFound);

  const s = store.summary().find((x) => x.Id === a.id)!;
  assert.deepEqual(s, { Id: a.id, ParentId: '', RepoTags: ['busybox:1', 'foo/bar:2'], RepoDigests: [], Created: Date.UTC(2024, 0, 1) / 1000, Size: 100, SharedSize: -1, Labels: { n: '1' }, Containers: -1 });

  assert.deepEqual(store.pruneCandidates(new Map(), false).map((i) => i.id), [b.id]);
  assert.deepEqual(store.pruneCandidates(parseFilters('{"label":["env"]}'), true).map((i) => i.id), [c.id]);

  const h = await store.history('busybox:1');
  assert.deepEqual(h, [
    { Id: a.id, Created: 0, CreatedBy: 'CMD ["sh"]', Tags: ['busybox:1', 'foo/bar:2'], Size: 0, Comment: '' },
    { Id: '<missing>', Created: Date.UTC(2024, 0, 1) / 1000, CreatedBy: 'step 1', Tags: null, Size: 100, Comment: '' },
  ]);
  const i = await store.inspect('busybox:1');
  assert.equal(i['Id'], a.id);
  assert.deepEqual(i['RepoTags'], ['busybox:1', 'foo/bar:2']);
  assert.deepEqual(i['RootFS'], { Type: 'layers', Layers: [sha256('layer1')] });
  assert.equal((i['GraphDriver'] as { Name: string }).Name, 'overlay2');
  assert.equal((i['Config'] as { Cmd: string[] }).Cmd[0], 'sh');
  assert.match((i['Metadata'] as { LastTagTime: string }).LastTagTime, /^\d{4}-/);
  void (b.id as Digest);
});

void test('concurrent mutations are serialised', async () => {
  const { store } = await fixture();
  const img = await store.create({ config: config(1), layers: [layer(1)] });
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.tag(img.id, `t:${i}`)));
  assert.equal((await store.get(img.id)).repoTags.length, 20);
});
