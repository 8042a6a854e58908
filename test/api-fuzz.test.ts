// A bounded fuzz of the Engine API. The seeds are the requests the real docker CLI sends (recorded
// from it by a small server standing in for the engine); each round mutates one (wrong types,
// missing, extra and re-cased fields, huge values, truncated, corrupted and oversized bodies, odd
// Content-Types, bad query parameters, odd paths) with a seeded PRNG: MINKE_FUZZ_SEED=N replays a
// run. Afterwards the engine still serves, every error was a well-formed {"message"} (400 where
// the body could not be decoded, never a JavaScript message), and nothing is left behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SLOWDOWN, TestEngine } from './harness.js';

const SEED = Number(process.env.MINKE_FUZZ_SEED ?? Date.now() % 1_000_000);
const ROUNDS = Number(process.env.MINKE_FUZZ_ROUNDS ?? 2500);
/** The fuzzing stops here even if ROUNDS are not done (a loaded machine), so the file stays well under 2 minutes. */
const BUDGET_MS = 45_000;
const WORKERS = 4;

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Req {
  method: string;
  path: string;
  body?: Buffer;
  contentType?: string | null;
  /** Why the body cannot decode, when the mutation makes sure of it. */
  undecodable?: string;
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

function send(socket: string, r: Req, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (r.body) headers['Content-Length'] = r.body.length;
    const ct = r.contentType === undefined ? (r.body ? 'application/json' : undefined) : r.contentType;
    if (ct !== undefined && ct !== null) headers['Content-Type'] = ct;
    const req = request({ socketPath: socket, method: r.method, path: r.path, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Records what the docker CLI sends for each command, answering as an engine would just enough for it to go on. */
async function recordCli(e: TestEngine, commands: string[][]): Promise<Req[]> {
  const sock = join(e.dir, 'recorder.sock');
  const got: Req[] = [];
  const answers: Array<[RegExp, number, unknown]> = [
    [/^\/containers\/create/, 201, { Id: 'c0ffee', Warnings: [] }],
    [/^\/containers\/[^/]+\/exec$/, 201, { Id: 'e1' }],
    [/^\/containers\/[^/]+\/json/, 200, { Id: 'c0ffee', State: { Running: true, Status: 'running' }, Config: {}, HostConfig: {} }],
    [/^\/networks\/create/, 201, { Id: 'n1', Warning: '' }],
    [/^\/volumes\/create/, 201, { Name: 'v', Driver: 'local', Mountpoint: '/x', Labels: {}, Scope: 'local', Options: {} }],
    [/^\/commit/, 201, { Id: `sha256:${'0'.repeat(64)}` }],
  ];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').replace(/^\/v[\d.]+/, '');
      if (path.startsWith('/_ping')) {
        res.writeHead(200, { 'Api-Version': '1.47', OSType: 'linux', 'Content-Type': 'text/plain' }).end('OK');
        return;
      }
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') got.push({ method: 'POST', path: `/v1.47${path}`, body: body.length ? body : undefined });
      const a = answers.find(([re]) => re.test(path.split('?')[0]!));
      res.writeHead(a?.[1] ?? 200, { 'Content-Type': 'application/json', 'Api-Version': '1.47' }).end(JSON.stringify(a?.[2] ?? { Warnings: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    for (const c of commands) await e.run('docker', ['-H', `unix://${sock}`, ...c], { timeout: 30_000 });
  } finally {
    server.close();
  }
  return got;
}

/** A JSON value, as text: some are what JSON.stringify cannot write (1e400, 64-bit edges). */
function randomValue(rnd: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const kind = Math.floor(rnd() * 16);
  switch (kind) {
    case 0: return pick(['0', '-1', '1.5', '1e400', '-0', '1E2', '9223372036854775807', '9223372036854775808', '-9223372036854775809', '18446744073709551616', '65536', '4294967296']);
    case 1: return JSON.stringify(pick(['', 'x', 'busybox', '/', '..', '-1', 'true', 'null', '\u0000\ud800\u00e9', 'a:b:c:d', '/tmp:/x:rw,z', 'container:fz', 'host', 'none', '80/tcp']));
    case 2: return JSON.stringify('a'.repeat(Math.floor(rnd() * 200_000)));
    case 3: return pick(['true', 'false', 'null']);
    case 4: return '[]';
    case 5: return '{}';
    case 6: return depth > 3 ? '[1]' : `[${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => randomValue(rnd, depth + 1)).join(',')}]`;
    case 7: return depth > 3 ? '{}' : `{${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `${JSON.stringify(pick(['a', 'Name', 'Type', 'Target', '80/tcp', '']))}:${randomValue(rnd, depth + 1)}`).join(',')}}`;
    case 8: return `[${Array.from({ length: 2000 }, (_, i) => String(i)).join(',')}]`;
    case 9: return `${'['.repeat(60)}${']'.repeat(60)}`;
    case 10: return JSON.stringify(['a', 'b', null]);
    default: return pick(['1', '5', '"5"', '"1s"', '["true"]', '{"Name":"on-failure","MaximumRetryCount":-1}', '[{"Name":"nofile","Soft":-1,"Hard":1}]']);
  }
}

/** Every [parent, key] of a parsed JSON value, so one place of it can be changed. */
function places(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([v, i]); places(x, out); });
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push([v as Record<string, unknown>, k]); places(x, out); }
  return out;
}

const RAW = '\u0001raw:';
/** JSON text with RAW-marked strings written as their raw JSON text. */
function serialize(v: unknown): string {
  return JSON.stringify(v).replace(/"\\u0001raw:((?:[^"\\]|\\.)*)"/g, (_, s: string) => JSON.parse(`"${s}"`) as string);
}

const QUERY_NAMES = ['name', 't', 'force', 'v', 'link', 'signal', 'all', 'limit', 'size', 'filters', 'since', 'until', 'tail', 'timestamps', 'ps_args', 'path', 'pause', 'repo', 'tag', 'changes', 'author', 'comment', 'h', 'w', 'platform', 'dangling', 'noprune'];
const QUERY_VALUES = ['', 'x', '-1', '0', '99999999999999999999', '1e5', 'true', '%zz', '%00', '{', '{"label":["a"]}', '{"status":5}', '{"status":["bogus"]}', '{"until":["x"]}', '{"name":["("]}', '{"reference":["[z-a]"]}', '{"label":{"a":true}}', '[]', 'null', 'SIGBOGUS', '9', 'x'.repeat(5000), '%E2%82%AC'];

function mutate(seed: Req, rnd: () => number): Req {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const r: Req = { ...seed };
  // A create under a name of its own now and then, so that some mutated bodies make containers
  // (each costs a snapshot; most meet the name in use instead).
  if (r.path.includes('/containers/create') && rnd() < 0.15) r.path = r.path.replace(/name=[^&]*/, `name=fz${Math.floor(rnd() * 1e9)}`);
  const text = seed.body?.toString('utf8').trim();
  const op = Math.floor(rnd() * 12);
  if (text && op < 6) {
    const v = JSON.parse(text) as unknown;
    const spots = places(v);
    const [parent, key] = spots.length ? pick(spots) : [undefined, undefined];
    if (parent && op === 0) (parent as Record<string | number, unknown>)[key!] = `${RAW}${randomValue(rnd)}`;
    else if (parent && op === 1 && !Array.isArray(parent)) delete parent[key as string];
    else if (parent && op === 2 && !Array.isArray(parent)) {
      const k = key as string;
      const x = parent[k];
      delete parent[k];
      parent[rnd() < 0.5 ? k.toLowerCase() : k.toUpperCase()] = x;
    } else if (parent && op === 3) {
      // A type Go refuses for what is there: a number for a string, a string for anything else.
      const x = (parent as Record<string | number, unknown>)[key!];
      const swap = typeof x === 'string' ? 5 : JSON.stringify(x ?? 5);
      (parent as Record<string | number, unknown>)[key!] = swap;
      // (strslice takes a string for a list.)
      const strList = Array.isArray(x) && x.every((y) => typeof y === 'string');
      if ((x !== null && typeof x !== 'object') || (x && typeof x === 'object' && Object.keys(x).length && !strList)) r.undecodable = `${JSON.stringify(x)} as ${JSON.stringify(swap)}`;
    } else if (op === 4 && v && typeof v === 'object' && !Array.isArray(v)) (v as Record<string, unknown>)[pick(['Bogus', 'x-extra', '', 'image', 'HOSTCONFIG'])] = `${RAW}${randomValue(rnd)}`;
    else if (op === 5 && v && typeof v === 'object') (v as Record<string, unknown>).Padding = 'p'.repeat(rnd() < 0.2 ? 3 * 1024 * 1024 : 64 * 1024);
    r.body = Buffer.from(serialize(v));
  } else if (text && op < 9) {
    const b = Buffer.from(text);
    if (op === 6) {
      r.body = b.subarray(0, 1 + Math.floor(rnd() * (b.length - 1)));
      r.undecodable = 'truncated';
    } else if (op === 7) {
      const at = Math.floor(rnd() * b.length);
      r.body = Buffer.concat([b.subarray(0, at), Buffer.from(pick(['{', '}', '[', ']', ',', ':', '"', '\\', 'x', '\u00ff', '\u0000'])), b.subarray(at)]);
    } else {
      r.body = Buffer.concat([b, Buffer.from(pick([' x', '{}', ' ', '\n]', 'null']))]);
    }
  } else if (op === 9) {
    r.contentType = pick([null, 'text/plain', 'application/json; charset=utf-8', ';;', 'application/jsonx', 'APPLICATION/JSON']);
  } else {
    const n = 1 + Math.floor(rnd() * 3);
    const q = Array.from({ length: n }, () => `${pick(QUERY_NAMES)}=${pick(QUERY_VALUES)}`).join('&');
    r.path += (r.path.includes('?') ? '&' : '?') + q;
  }
  return r;
}

const ODD_PATHS = ['/containers/{id}/json', '/containers/{id}/top', '/containers/{id}/changes', '/containers/{id}/logs?stdout=1&stderr=1',
  '/containers/{id}/stats?stream=0', '/containers/{id}/archive?path=/etc/hostname', '/images/{id}/json', '/images/{id}/history',
  '/networks/{id}', '/volumes/{id}', '/exec/{id}/json', '/containers/json', '/images/json', '/networks', '/volumes', '/system/df',
  '/info', '/version', '/_ping', '/distribution/127.0.0.1:9/x{id}/json', '/{id}', '/containers/{id}/{id}'];
const ODD_IDS = ['fz', 'fznet', '', '..', '%2e%2e', '%zz', '%', 'a'.repeat(3000), '%C3%BC', '%00', '*', 'busybox:latest', 'sha256:abc', 'deadbeef', '%2F', 'fz%2Fx'];
const PREFIXES = ['/v1.47', '/v1.24', '/v9.99', '/v1.0', '', '/v1.47/', '/V1.47', '/v1.47.0', '/vx'];

function oddRequest(rnd: () => number): Req {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let path = pick(PREFIXES) + pick(ODD_PATHS).replace(/\{id\}/g, () => pick(ODD_IDS));
  if (rnd() < 0.4) path += (path.includes('?') ? '&' : '?') + `${pick(QUERY_NAMES)}=${pick(QUERY_VALUES)}`;
  const fixture = /\/(fz|fznet)(\/|$|\?)/.test(path);
  const method = rnd() < 0.15 && !fixture ? 'DELETE' : rnd() < 0.1 ? pick(['HEAD', 'PUT', 'OPTIONS', 'PATCH']) : 'GET';
  return { method, path };
}

/** What a JavaScript error's message looks like, which no answer may carry. */
const JS_WORDS = /is not a function|Cannot read propert|Cannot set propert|undefined|is not iterable|Unexpected token|is not defined|Maximum call stack|of null|NaN|\[object Object\]|internal error in the engine/;

describe('Engine API fuzz: mutated docker CLI requests', { concurrency: false }, () => {
  const e = new TestEngine();
  let seeds: Req[] = [];
  before(async () => {
    await e.start();
    await e.importBusybox();
    seeds = await recordCli(e, [
      ['create', '--name', 'fzc', '-e', 'A=1', '-l', 'l=1', '-p', '127.0.0.1:18080:80', '-v', '/tmp:/h:ro', '--mount', 'type=tmpfs,dst=/t',
        '--memory', '64m', '--cpus', '0.5', '--restart', 'on-failure:2', '--ulimit', 'nofile=10:20', '--health-cmd', 'true',
        '--cap-add', 'NET_ADMIN', '--dns', '1.1.1.1', '--add-host', 'h:1.2.3.4', '--device', '/dev/null:/dev/xnull', '--tmpfs', '/run',
        '--sysctl', 'net.ipv4.ip_forward=1', '--stop-timeout', '3', '-w', '/tmp', 'busybox', 'sleep', '1'],
      ['create', '--network', 'fznet', '--network-alias', 'a', '--ip', '10.97.188.5', 'busybox', 'true'],
      ['update', '--memory', '128m', '--memory-swap', '256m', '--cpus', '1', '--restart', 'always', 'fz'],
      ['exec', '-d', '-e', 'X=1', '-w', '/', '-u', 'root', 'fz', 'true'],
      ['network', 'create', '--subnet', '10.97.187.0/24', '--gateway', '10.97.187.1', '--label', 'a=b', '-o', 'com.docker.network.driver.mtu=1400', 'fzn'],
      ['network', 'connect', '--alias', 'al', '--ip', '10.97.188.9', 'fznet', 'fz'],
      ['network', 'disconnect', '-f', 'fznet', 'fz'],
      ['volume', 'create', '--label', 'a=b', 'fzv'],
      ['commit', '-c', 'ENV A=1', '-m', 'msg', 'fz', 'fzimg:1'],
    ]);
    const kinds = new Set(seeds.map((s) => s.path.split('?')[0]!.replace(/\/(fz|c0ffee|e1|fznet)(?=\/|$)/, '/{id}')));
    for (const want of ['/v1.47/containers/create', '/v1.47/containers/{id}/update', '/v1.47/containers/{id}/exec', '/v1.47/exec/{id}/start',
      '/v1.47/networks/create', '/v1.47/networks/{id}/connect', '/v1.47/networks/{id}/disconnect', '/v1.47/volumes/create', '/v1.47/commit']) {
      assert.ok(kinds.has(want), `the docker CLI's request ${want} was recorded (got ${[...kinds].join(', ')})`);
    }
    await e.ok(['network', 'create', '--subnet', '10.97.188.0/24', 'fznet']);
    await e.ok(['run', '-d', '--name', 'fz', 'busybox', 'sleep', '1000']);
    // The recorded exec start names the recorder's exec: point it at a real one.
    const exec = JSON.parse((await send(e.socket, { method: 'POST', path: '/v1.47/containers/fz/exec', body: Buffer.from('{"Cmd":["true"]}') }, 30_000)).body) as { Id: string };
    seeds = seeds.map((s) => ({ ...s, path: s.path.replace('/exec/e1/', `/exec/${exec.Id}/`) }));
  });
  after(() => e.destroy());

  it(`answers ${ROUNDS} mutated requests (seed ${SEED}) in dockerd's shapes, keeps serving, and leaves nothing behind`, { timeout: 110_000 }, async (t) => {
    const rnd = prng(SEED);
    // A commit that goes through copies the container's changes (seconds on a busy machine): fewer of those.
    const weighted = seeds.flatMap((s) => (s.path.includes('/commit') ? [s] : [s, s, s, s, s]));
    const plan = Array.from({ length: ROUNDS }, () => (rnd() < 0.8 ? mutate(weighted[Math.floor(rnd() * weighted.length)]!, rnd) : oddRequest(rnd)));
    const problems: string[] = [];
    const created = new Set<string>();
    const statuses = new Map<number, number>();
    const slow: Array<[number, string]> = [];
    const deadline = Date.now() + BUDGET_MS;
    let done = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = done++;
        if (i >= plan.length || Date.now() > deadline) return;
        const r = plan[i]!;
        const what = `#${i} ${r.method} ${r.path.slice(0, 200)} ${r.body ? r.body.subarray(0, 300).toString() : ''}`;
        let a: Answer;
        const t0 = Date.now();
        try {
          a = await send(e.socket, r, 30_000 * SLOWDOWN);
          slow.push([Date.now() - t0, what.slice(0, 160)]);
          slow.sort((x, y) => y[0] - x[0]).splice(5);
        } catch (err) {
          problems.push(`${what}: ${(err as Error).message}`);
          continue;
        }
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 201 && /"Id"/.test(a.body) && r.path.includes('/containers/create')) created.add((JSON.parse(a.body) as { Id: string }).Id);
        if (a.status >= 400 && r.method !== 'HEAD') {
          let msg: unknown;
          try {
            msg = (JSON.parse(a.body) as { message?: unknown }).message;
          } catch {
            msg = undefined;
          }
          if (!/application\/json/.test(a.type) || typeof msg !== 'string' || !msg) problems.push(`${what}: ${a.status} is not a {"message"}: ${a.body.slice(0, 200)}`);
          else if (JS_WORDS.test(msg)) problems.push(`${what}: ${a.status} ${msg}`);
        }
        // A registry that is not there (the distribution paths name one on loopback, so that no
        // request leaves the machine): dockerd answers 500 with Go's dial error, as minke does.
        const unreachable = a.status === 500 && /\/distribution\//.test(what) && /"message":"(Get|Head) \\"https?:\/\/127\.0\.0\.1:9\/v2\/[^"]*\\": dial tcp 127\.0\.0\.1:9: connect: connection refused"/.test(a.body);
        if (a.status >= 500 && a.status !== 501 && a.status !== 503 && !unreachable) problems.push(`${what}: ${a.status} ${a.body.slice(0, 300)}`);
        if (r.undecodable && r.contentType === undefined && a.status !== 400 && !/\/v(9\.99|1\.0)\//.test(r.path)) {
          problems.push(`${what}: ${r.undecodable} answered ${a.status} ${a.body.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    const sent = Math.min(done, plan.length);
    t.diagnostic(`seed ${SEED}: ${sent} requests, statuses ${JSON.stringify([...statuses])}; slowest: ${slow.map(([ms, w]) => `${ms} ms ${w}`).join(' | ')}`);
    assert.ok(sent >= Math.min(300, ROUNDS), `at least some hundreds of requests in ${BUDGET_MS} ms (sent ${sent})`);
    assert.deepEqual(problems, [], `seed ${SEED}: ${problems.length} bad answers of ${sent} (statuses ${JSON.stringify([...statuses])})`);

    // The engine still serves, and with everything removed, nothing of it is left on the host.
    assert.equal((await send(e.socket, { method: 'GET', path: '/_ping' }, 10_000)).status, 200);
    assert.equal(await e.ok(['run', '--rm', 'busybox', 'echo', 'still serving']), 'still serving\n');
    const ids = (await e.ok(['ps', '-aq'])).split('\n').filter(Boolean);
    if (ids.length) await e.ok(['rm', '-f', ...ids], { timeout: 120_000 });
    const nets = (await e.ok(['network', 'ls', '-q', '--filter', 'type=custom'])).split('\n').filter(Boolean);
    if (nets.length) await e.ok(['network', 'rm', ...nets]);
    const vols = (await e.ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
    if (vols.length) await e.ok(['volume', 'rm', '-f', ...vols]);
    assert.deepEqual(e.leftovers(), { mounts: [], conmon: [], runc: [], snapshots: [] });
    assert.deepEqual(e.networkLeftovers(), { netns: [], veths: [], leases: [] });
    const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '5', '-type', 'd', '-regex', '.*/[0-9a-f]\\{64\\}'], { encoding: 'utf8' }).stdout
      .split('\n').filter((p) => created.has(p.split('/').pop()!));
    assert.deepEqual(cgroups, [], 'no cgroup of a container the fuzz created');
  });
});
