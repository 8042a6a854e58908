// Client libraries as judges of the API server: @kubernetes/client-node 1.x and Debian's
// python3-kubernetes (run with /usr/bin/python3, as a user of the package would), each through
// CRUD, conflicts, selectors, watches and an informer (test/judges/).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApiServer, type TestApiServer } from './apiserver-harness.js';
import { projectRoot } from '../src/core/native.js';

const judges = join(projectRoot, 'test', 'judges');
let api: TestApiServer;
before(async () => { api = await startTestApiServer(); });
after(async () => { await api.close(); });

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, KUBECONFIG: api.kubeconfig, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

/** The "ok <step>" lines a judge printed, in order. */
const steps = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));

function hasClientNode(): boolean {
  try {
    createRequire(import.meta.url).resolve('@kubernetes/client-node');
    return true;
  } catch {
    return false;
  }
}
const python = '/usr/bin/python3';
const hasPythonKubernetes = spawnSync(python, ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0;

describe('client libraries against minke server', () => {
  it('@kubernetes/client-node 1.x: CRUD, conflicts, selectors, a watch, an informer, a scale', { skip: hasClientNode() ? false : '@kubernetes/client-node is not installed (npm ci installs it)' }, async () => {
    const r = await run(process.execPath, [join(judges, 'client-node.mjs')], { JUDGE_NS: 'judge-client-node' });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(steps(r.out), ['create namespace', 'informer lists', 'create', 'read', 'replace', 'replace with a stale resourceVersion is a 409',
      'merge patch', 'list with a label selector', 'read of a missing object is a 404 NotFound', 'informer watches', 'watch and delete', 'deployment scale', 'delete namespace']);
  });

  it('python3-kubernetes: CRUD, conflicts, selectors, paging, a watch, a scale, validation', { skip: hasPythonKubernetes ? false : `${python} has no kubernetes module (Debian: python3-kubernetes)` }, async () => {
    const r = await run(python, [join(judges, 'python-kubernetes.py')], { JUDGE_NS: 'judge-python' });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(steps(r.out), ['create namespace', 'create', 'create of an existing name is a 409 AlreadyExists', 'read', 'replace, and a stale resourceVersion is a 409',
      'patch', 'list with label selectors', 'list with a limit', 'watch', 'read after delete is a 404', 'deployment and its scale', 'an invalid name is a 422 Invalid', 'delete namespace']);
  });
});
