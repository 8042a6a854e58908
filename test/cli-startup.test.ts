// bin/minke's choice between the client's start-up snapshot and its modules (see bin/minke and
// scripts/build-cli-snapshot.sh): `sh -x` shows the command it ends in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/core/native.js';
import { minkeCmd } from './harness.js';

const blob = join(projectRoot, 'dist', 'cli.blob');
const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

function traced(cmd: string, args: string[]): { out: string; exec: string; code: number | null } {
  const r = spawnSync('sh', ['-x', cmd, ...args], { encoding: 'utf8', env: { ...process.env, MINKE_HOST: 'unix:///nonexistent.sock' } });
  const exec = r.stderr.split('\n').find((l) => l.startsWith('+ exec ')) ?? '';
  return { out: r.stdout, exec, code: r.status };
}

test('the client starts from its snapshot under the node that made it', { skip: !existsSync(blob) && 'no snapshot (dist/ and node on different file systems)' }, () => {
  const r = traced(minkeCmd, ['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.out, `minke version ${version}\n`);
  assert.match(r.exec, /--snapshot-blob \S+\/dist\/cli\.blob -- --version$/);
  // what a command prints and its exit code are the client's own
  const bad = spawnSync(minkeCmd, ['nosuchcommand'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^minke: unknown command: minke nosuchcommand/);
});

test('the engine, and a client whose snapshot another node made, start from the modules', () => {
  assert.match(traced(minkeCmd, ['daemon', '--help']).exec, /-- \S+\/bin\/minke\.js daemon --help$/);
  // a copy of the layout whose snapshot stamp is not this node
  const dir = mkdtempSync(join(tmpdir(), 'minke-startup-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(minkeCmd, join(dir, 'bin', 'minke'));
    copyFileSync(join(projectRoot, 'bin', 'minke.js'), join(dir, 'bin', 'minke.js'));
    symlinkSync(join(projectRoot, 'dist', 'src'), join(dir, 'dist', 'src'));
    symlinkSync(join(projectRoot, 'package.json'), join(dir, 'package.json'));
    writeFileSync(join(dir, 'dist', 'cli.blob'), 'not a snapshot');
    writeFileSync(join(dir, 'dist', 'cli.blob.node'), 'another node');
    const r = traced(join(dir, 'bin', 'minke'), ['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.out, `minke version ${version}\n`);
    assert.match(r.exec, /-- \S+\/bin\/minke\.js --version$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
