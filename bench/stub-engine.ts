// An engine that does nothing, at once: it answers the five requests `docker run --rm` makes
// (ping, create, attach, wait, start) as a real engine would for a container that exits 0 the
// moment it starts. Timing the docker CLI against it measures the CLI's own share of a run: its
// start-up, its requests and its exit, with no container work behind them.
//
//   node dist/bench/stub-engine.js SOCKET      (prints "ready" once listening)
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { unlinkSync } from 'node:fs';

const socket = process.argv[2];
if (!socket) throw new Error('usage: stub-engine SOCKET');
try {
  unlinkSync(socket);
} catch {
  // not there
}

const ID = 'b'.repeat(64);
let waiting: ServerResponse | undefined;
let attached: Duplex | undefined;

const server = createServer((req, res) => {
  const path = (req.url ?? '').replace(/^\/v[0-9.]+/, '').split('?')[0]!;
  req.resume();
  if (path === '/_ping') {
    res.writeHead(200, { 'Api-Version': '1.45', 'Content-Type': 'text/plain; charset=utf-8', Ostype: 'linux' });
    res.end(req.method === 'HEAD' ? undefined : 'OK');
  } else if (path === '/containers/create') {
    req.on('end', () => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Id: ID, Warnings: [] }));
    });
  } else if (path.endsWith('/wait')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    waiting = res;
  } else if (path.endsWith('/start')) {
    res.writeHead(204);
    res.end();
    // the container ran and was removed
    attached?.end();
    waiting?.end('{"StatusCode":0}\n');
    attached = waiting = undefined;
  } else {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: `page not found: ${path}` }));
  }
});
server.on('upgrade', (_req, sock: Duplex) => {
  sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  attached = sock;
});
server.listen(socket, () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
