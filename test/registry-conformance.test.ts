/**
 * The OCI distribution conformance suite's checklist (the names of its tests, kept beside the
 * project in shared/peer/oci-distribution) walked as real requests against a minke registry on
 * loopback: every test the list names must pass. Afterwards nothing half-made is left in the
 * root: no upload in progress, no temporary file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/core/native.js';
import { startRegistry } from '../src/engine/distribution/registry/server.js';
import { ConformanceWalk } from './registry/conformance-suite.js';

const CHECKLIST = process.env.MINKE_OCI_CHECKLIST ?? join(projectRoot, '..', 'shared', 'peer', 'oci-distribution', 'head-test-tree-names.txt');

void test('every test of the OCI conformance checklist passes', { skip: !existsSync(CHECKLIST) && `no checklist at ${CHECKLIST}` }, async () => {
  const names = readFileSync(CHECKLIST, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const root = mkdtempSync(join(tmpdir(), 'minke-registry-conformance-'));
  const reg = await startRegistry({ listen: '127.0.0.1:0', root });
  try {
    const walk = new ConformanceWalk(reg.url, new Set(names));
    await walk.all();
    const failed = names.filter((n) => !walk.results.get(n)?.ok).map((n) => `${n}${walk.results.has(n) ? `: ${walk.results.get(n)!.errors.join('; ')}` : ': not run'}`);
    const held = names.length - failed.length;
    console.log(`conformance checklist: ${held} of ${names.length} hold`);
    assert.deepEqual(failed, []);
    assert.deepEqual(readdirSync(join(root, 'uploads')), [], 'uploads left in progress');
    assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'temporary files left');
  } finally {
    await reg.close();
    await rm(root, { recursive: true, force: true });
  }
});
