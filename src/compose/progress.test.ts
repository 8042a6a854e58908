import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { newProgress } from './progress.js';

function sink(tty: boolean): PassThrough & { text: () => string } {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; text: () => string };
  let acc = '';
  out.on('data', (d: Buffer) => { acc += d.toString(); });
  if (tty) {
    out.isTTY = true;
    out.columns = 60;
  }
  out.text = () => acc;
  return out;
}

describe('compose progress', () => {
  it('prints a plain line per event when not on a terminal', () => {
    const out = sink(false);
    const p = newProgress(out, 'auto');
    p.event('Network app_default', 'working', 'Creating');
    p.event('Network app_default', 'done', 'Created');
    p.event('Container app-web-1', 'done', 'Started');
    p.stop();
    assert.equal(out.text(), ' Network app_default  Creating\n Network app_default  Created\n Container app-web-1  Started\n');
  });
  it('draws a block with a line per resource on a terminal', () => {
    const out = sink(true);
    const p = newProgress(out, 'auto', 'Running', 'auto');
    p.event('Network app_default', 'done', 'Created');
    p.event('Container app-web-1', 'working', 'Starting');
    p.event('Container app-web-1', 'done', 'Started');
    p.event('Container app-db-1', 'error', 'Error');
    p.tail('a message after the block');
    p.stop();
    const lines = out.text().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n');
    assert.equal(lines[0], '[+] Running 2/3');
    assert.match(lines[1]!, /^ ✔ Network app_default  Created +\d+\.\ds$/);
    assert.match(lines[2]!, /^ ✔ Container app-web-1  Started +\d+\.\ds$/);
    assert.match(lines[3]!, /^ ✘ Container app-db-1   Error/);
    assert.equal(lines[1]!.length, 59);
    assert.equal(lines[4], 'a message after the block');
  });
  it('prints JSON lines and nothing when quiet', () => {
    const out = sink(false);
    const p = newProgress(out, 'json');
    p.event('Container x', 'done', 'Started');
    assert.deepEqual(JSON.parse(out.text()), { id: 'Container x', status: 'Started' });
    const q = sink(false);
    newProgress(q, 'quiet').event('a', 'done', 'b');
    assert.equal(q.text(), '');
  });
});
