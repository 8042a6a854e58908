/**
 * The minke client as a V8 start-up snapshot. `npm run build` bundles this module and everything
 * it imports into one script (esbuild) and runs it under `node --build-snapshot`
 * (scripts/build-cli-snapshot.sh). Before the snapshot is taken, every command module is loaded
 * and a few commands run against a stand-in engine on a temporary socket, so that the snapshot
 * holds the modules evaluated and their hot functions compiled: a `minke` process that starts
 * from it (bin/minke) skips reading, compiling and linking some twenty modules and most of the
 * first-run compilation, about 40 ms of `minke run`.
 *
 * Nothing here may keep per-process state (environment, arguments, stdio, time, open handles):
 * the snapshot is made once and every process starts from it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startupSnapshot } from 'node:v8';
import { runCli } from './main.js';
import { version } from './meta.js';

// node:http cannot be used while building a snapshot; the stand-in speaks HTTP/1.1 over node:net.
const net = process.getBuiltinModule('node:net');

const ID = 'a'.repeat(64);

function answer(c: Socket, status: string, body?: string): void {
  c.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body ?? '')}\r\n\r\n${body ?? ''}`);
}

/** An engine that answers `run --rm`, `ps` and `images` at once, for a container that exits 0. */
function standIn(): { server: ReturnType<typeof net.createServer>; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  let attached: Socket | undefined;
  let waiting: Socket | undefined;
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      if (buf.length < end + 4 + Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)) return;
      const path = (head.split(' ')[1] ?? '').replace(/^\/v[\d.]+/, '').split('?')[0]!;
      if (/\r\nupgrade: *tcp/i.test(head)) {
        c.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        attached = c;
      } else if (path === '/containers/create') answer(c, '201 Created', JSON.stringify({ Id: ID, Warnings: [] }));
      else if (path.endsWith('/wait')) {
        c.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        waiting = c;
      } else if (path.endsWith('/start')) {
        c.end('HTTP/1.1 204 No Content\r\n\r\n');
        attached?.end(Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 0x68, 0x69, 0x0a]));
        const exit = '{"StatusCode":0}\n';
        waiting?.end(`${exit.length.toString(16)}\r\n${exit}\r\n0\r\n\r\n`);
      } else if (path === '/containers/json' || path === '/images/json') answer(c, '200 OK', '[]');
      else answer(c, '404 Not Found', JSON.stringify({ message: `page not found: ${path}` }));
    });
  });
  return { server, sockets };
}

async function warmUp(): Promise<void> {
  await import('./client.js');
  version();
  const dir = mkdtempSync(join(tmpdir(), 'minke-snapshot-'));
  const { server, sockets } = standIn();
  try {
    const sock = join(dir, 'engine.sock');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, resolve);
    });
    const env = { MINKE_HOST: `unix://${sock}` };
    // compose: its file loaded (the schema's validator compiled into the snapshot) and a ps
    const composeFile = join(dir, 'compose.yaml');
    writeFileSync(composeFile, 'services:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n    environment: [A=1]\n    depends_on: [db]\n  db:\n    image: busybox\n    volumes: [data:/data]\nvolumes: {data: {}}\n');
    const commands = [['run', '--rm', '--network', 'none', '-e', 'A=1', 'busybox', 'true'], ['ps', '-a'], ['images'], ['compose', '-f', composeFile, 'config', '-q'], ['compose', '-f', composeFile, 'ps']];
    for (let round = 0; round < 3; round++) {
      for (const argv of commands) {
        const out = new PassThrough();
        const err = new PassThrough();
        const input = new PassThrough();
        out.resume();
        err.resume();
        input.end();
        const code = await runCli(argv, { out, err, in: input, env });
        if (code !== 0) throw new Error(`warm-up \`minke ${argv.join(' ')}\` exited ${code}`);
      }
    }
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!startupSnapshot.isBuildingSnapshot()) throw new Error('snapshot.js is the entry of `node --build-snapshot`, not a program');
warmUp().then(
  () => {
    startupSnapshot.setDeserializeMainFunction(() => {
      // argv of a process started from a snapshot with `--`: [node, ...the arguments]
      runCli(process.argv.slice(1)).then(
        (code) => process.exit(code),
        (err: unknown) => {
          process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        },
      );
    });
  },
  (err: unknown) => {
    process.stderr.write(`cannot build the client's snapshot: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
