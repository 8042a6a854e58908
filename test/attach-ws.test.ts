// GET /containers/{id}/attach/ws through a raw WebSocket client (the ws package), as browser
// consoles and other Engine API clients use it: neither the docker CLI nor docker-py speak it
// over a unix socket.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { SLOWDOWN, TestEngine, waitFor } from './harness.js';

interface Session {
  ws: WebSocket;
  /** Messages received so far, with their frame type. */
  messages: Array<{ data: Buffer; binary: boolean }>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  text(): string;
}

/** Opens attach/ws; rejects with the HTTP status and body when the engine refuses the handshake. */
function open(e: TestEngine, id: string, query: string, version = ''): Promise<Session> {
  const prefix = version ? `/v${version}` : '';
  const ws = new WebSocket(`ws+unix://${e.socket}:${prefix}/containers/${id}/attach/ws?${query}`);
  const messages: Session['messages'] = [];
  ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }));
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed, text: () => Buffer.concat(messages.map((m) => m.data)).toString() }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });
}

function plainGet(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

function withDeadline<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms * SLOWDOWN); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe('attach over WebSocket', { concurrency: false }, () => {
  const e = new TestEngine();
  const sessions: WebSocket[] = [];
  before(async () => {
    await e.start();
    await e.importBusybox();
  });
  after(() => e.destroy());
  afterEach(async () => {
    for (const ws of sessions.splice(0)) ws.terminate();
    await e.reset();
  });
  const track = (s: Session): Session => {
    sessions.push(s.ws);
    return s;
  };

  it('streams stdout and stderr unframed in binary messages, then closes normally', async () => {
    await e.ok(['create', '--name', 'out', 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three']);
    const s = track(await open(e, 'out', 'stream=1&stdout=1&stderr=1'));
    await e.ok(['start', 'out']);
    assert.equal(await withDeadline(s.closed, 'the close at exit'), 1000);
    assert.ok(s.messages.length > 0 && s.messages.every((m) => m.binary));
    // Both streams in the one stream of bytes, no 8-byte headers; each stream in its own order.
    const text = s.text();
    assert.equal(text.replace('two\n', ''), 'one\nthree\n');
    assert.match(text, /two\n/);
  });

  it('replays the log with logs=1, only the streams asked for, text frames before API 1.28', async () => {
    await e.ok(['run', '--name', 'done', 'busybox', 'sh', '-c', 'echo o; echo e >&2']);
    const both = track(await open(e, 'done', 'logs=1&stdout=1&stderr=1'));
    assert.equal(await withDeadline(both.closed, 'the close after the log'), 1000);
    assert.deepEqual(both.text().split('\n').sort(), ['', 'e', 'o']);
    const onlyOut = track(await open(e, 'done', 'logs=1&stdout=1'));
    await withDeadline(onlyOut.closed, 'the close after the log');
    assert.equal(onlyOut.text(), 'o\n');
    // Before 1.42 every stream is attached whatever the query says; before 1.28 in text frames.
    const old = track(await open(e, 'done', 'logs=1&stdout=1', '1.27'));
    await withDeadline(old.closed, 'the close after the log');
    assert.deepEqual(old.text().split('\n').sort(), ['', 'e', 'o']);
    assert.ok(old.messages.every((m) => !m.binary));
  });

  it('feeds stdin from messages of either kind, and detaches with the detach keys under a terminal', async () => {
    await e.ok(['run', '-d', '-i', '--name', 'cat', 'busybox', 'cat']);
    const s = track(await open(e, 'cat', 'stream=1&stdin=1&stdout=1'));
    s.ws.send(Buffer.from('binary\n'));
    s.ws.send('text\n');
    await waitFor(() => s.text() === 'binary\ntext\n', 'the echo of both messages');
    s.ws.close();
    await withDeadline(s.closed, 'the close');
    // The container keeps running after the client goes (no StdinOnce).
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'cat'])).trim(), 'true');

    await e.ok(['run', '-d', '-it', '--name', 'tty', 'busybox', 'sh']);
    const t = track(await open(e, 'tty', 'stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-x'));
    t.ws.send('echo $((6*7))\n');
    await waitFor(() => /42\r\n/.test(t.text()), 'the shell\'s answer');
    t.ws.send(Buffer.from([0x18]));
    assert.equal(await withDeadline(t.closed, 'the close at detach'), 1000);
    assert.equal((await e.ok(['inspect', '-f', '{{.State.Running}}', 'tty'])).trim(), 'true');
    const events = await e.ok(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=tty', '--format', '{{.Action}}']);
    assert.deepEqual(events.trim().split('\n').filter((a) => a === 'attach' || a === 'detach'), ['attach', 'detach']);
  });

  it('answers errors before the handshake as dockerd does', async () => {
    await assert.rejects(open(e, 'nosuch', 'stream=1'), /^Error: 404 .*No such container: nosuch/);
    await e.ok(['run', '-d', '--name', 'pz', 'busybox', 'sleep', '1000']);
    await assert.rejects(open(e, 'pz', 'stream=1&detachKeys=ctrl-%2A'), /^Error: 400 .*Invalid detach keys/);
    await e.ok(['pause', 'pz']);
    try {
      await assert.rejects(open(e, 'pz', 'stream=1'), /^Error: 409 .*container pz is paused, unpause the container before attach/);
    } finally {
      await e.ok(['unpause', 'pz']);
    }
    // A plain request (no WebSocket handshake): 400 with x/net/websocket's words.
    const r = await plainGet(e.socket, '/containers/pz/attach/ws?stream=1');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'not websocket protocol');
  });
});
