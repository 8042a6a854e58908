/**
 * Cleans up after test engines whose test process is gone (a run killed at its time limit, or a
 * test file cancelled, leaves its engine and containers running): run by scripts/test.sh before
 * and after the tests. Engines of a test run still going (another suite beside this one) are left.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanUpEngineDir, engineBridges } from './harness.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let reaped = 0;
  for (const name of readdirSync('/tmp')) {
    if (!name.startsWith('minke-test-')) continue;
    const dir = join('/tmp', name);
    let owner: { pid?: unknown; bridge?: unknown } = {};
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as typeof owner;
    } catch {
      // No owner recorded (a harness before owner.json): abandoned only once no process names
      // the dir and it is an hour old (a test of such a harness may be between two engines).
      if (spawnSync('pgrep', ['-f', dir]).status === 0) continue;
      if (Date.now() - statSync(dir).mtimeMs < 3600_000) continue;
    }
    if (typeof owner.pid === 'number' && alive(owner.pid)) continue;
    // The engine (and anything else started on the dir's roots), then what it left.
    spawnSync('pkill', ['-9', '-f', `daemon .*${join(dir, 'data')}`]);
    const bridge = typeof owner.bridge === 'string' ? owner.bridge : undefined;
    const bridges = existsSync(join(dir, 'data')) ? engineBridges(join(dir, 'data'), bridge ?? '').filter(Boolean) : [];
    cleanUpEngineDir(dir, join(dir, 'exec'), bridges);
    await rm(dir, { recursive: true, force: true });
    reaped++;
  }
  if (reaped > 0) console.log(`reaped ${reaped} abandoned test engine dir(s) under /tmp`);
}

await main();
