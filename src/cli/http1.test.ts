import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { httpRequest, type HttpResponse } from './http1.js';

// A raw server: each test says what bytes to answer with (in pieces, to cut heads and chunks),
// and sees the request bytes it got.
type Answer = (sock: Socket, request: () => string) => void;
let answer: Answer = () => {};
let server: Server;
let dir: string;
let socketPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minke-http1-'));
  socketPath = join(dir, 's.sock');
  server = createServer((sock) => {
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    answer(sock, () => got);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the pieces one by one, a few milliseconds apart, then closes if asked. */
function drip(sock: Socket, pieces: string[], close = false): void {
  let i = 0;
  const next = (): void => {
    if (i < pieces.length) {
      sock.write(pieces[i++]!);
      setTimeout(next, 3);
    } else if (close) sock.end();
  };
  setTimeout(next, 5);
}

async function body(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function get(path = '/x', extra: { method?: string; body?: string | Readable } = {}): Promise<HttpResponse> {
  const r = await httpRequest({ socketPath }, { method: extra.method ?? 'GET', path, headers: { 'User-Agent': 't' }, body: extra.body });
  assert.equal(r.kind, 'response');
  return r.res;
}

test('a sized body, with the head cut in pieces; header names in lower case', async () => {
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\nContent-Ty', 'pe: application/json\r\nContent-Length: 10\r\n\r', '\n{"a":', '"bc"}']);
  const res = await get();
  assert.equal(res.statusCode, 200);
  assert.equal(res.statusMessage, 'OK');
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(await body(res), '{"a":"bc"}');
});

test('a chunked body with chunks cut anywhere, extensions and trailers', async () => {
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n6;x=y\r', '\n world\r\n0\r\nTrailer: 1\r\n', '\r\n']);
  assert.equal(await body(await get()), 'hello world');
});

test('a body without length is read until the server closes; 204 and HEAD have none', async () => {
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\n\r\nraw ', 'stream'], true);
  assert.equal(await body(await get()), 'raw stream');
  answer = (sock) => drip(sock, ['HTTP/1.1 204 No Content\r\n\r\n']);
  assert.equal(await body(await get()), '');
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\nContent-Length: 99\r\nX-Stat: abc\r\n\r\n']);
  const head = await get('/x', { method: 'HEAD' });
  assert.equal(head.headers['x-stat'], 'abc');
  assert.equal(await body(head), '');
});

test('a sized or chunked body cut short is an error', async () => {
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], true);
  await assert.rejects(body(await get()), /unexpected EOF/);
  answer = (sock) => drip(sock, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'], true);
  await assert.rejects(body(await get()), /unexpected EOF/);
});

test('100 Continue is skipped; a malformed status line is an error', async () => {
  answer = (sock) => drip(sock, ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
  const res = await get();
  assert.equal(res.statusCode, 201);
  assert.equal(await body(res), 'ok');
  answer = (sock) => drip(sock, ['SPDY/3 200 OK\r\n\r\n'], true);
  await assert.rejects(get(), /malformed HTTP response/);
});

test('request bodies: sized when given whole, chunked when a stream', async () => {
  let seen = '';
  answer = (sock, request) => {
    sock.on('data', () => {
      seen = request();
      if (seen.includes('\r\n\r\n') && (seen.endsWith('0\r\n\r\n') || seen.endsWith('{"A":1}'))) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
  };
  await body(await get('/p', { method: 'POST', body: '{"A":1}' }));
  assert.match(seen, /^POST \/p HTTP\/1\.1\r\n/);
  assert.match(seen, /\r\nContent-Length: 7\r\n/);
  assert.match(seen, /\r\nConnection: close\r\n\r\n\{"A":1\}$/);
  await body(await get('/p', { method: 'PUT', body: Readable.from([Buffer.from('abc'), Buffer.from('defgh')]) }));
  assert.match(seen, /\r\nTransfer-Encoding: chunked\r\n/);
  assert.ok(seen.endsWith('\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n'), JSON.stringify(seen));
});

test('an upgrade hands over the socket, with bytes that came with the 101 first', async () => {
  answer = (sock) => {
    drip(sock, ['HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\nfirst ']);
    sock.on('data', (d) => {
      if (d.toString().includes('ping')) sock.end('pong');
    });
  };
  const r = await httpRequest({ socketPath }, { method: 'POST', path: '/attach', headers: { Upgrade: 'tcp' }, upgrade: true });
  assert.equal(r.kind, 'upgraded');
  if (r.kind !== 'upgraded') return;
  await new Promise((res) => setTimeout(res, 30)); // data that arrives before anyone reads is kept
  let text = '';
  r.socket.on('data', (d: Buffer) => (text += d.toString()));
  r.socket.resume();
  r.socket.write('ping');
  await new Promise((res) => r.socket.on('end', res));
  assert.equal(text, 'first pong');
});

test('connection errors carry the socket error code', async () => {
  await assert.rejects(httpRequest({ socketPath: join(dir, 'missing.sock') }, { method: 'GET', path: '/', headers: {} }), { code: 'ENOENT' });
});
