/**
 * The registry's routes. A repository name may itself contain `blobs` or `manifests` as path
 * components, so each route is matched from the end of the path (the last `/manifests/` starts
 * the reference), as distribution's patterns with their greedy name do; the name is then checked
 * against the spec's grammar. One short table instead of a router library: the engine's router
 * (../../api/router.ts) is shaped for the Engine API's versioned paths, and these are few.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Need } from './auth/access.js';
import { API_VERSION_HEADER, type Call, type Registry } from './context.js';
import { RegistryError, regError } from './errors.js';
import { send, sendError, sendJson } from './http.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { catalog, listTags, referrers } from './handlers/listing.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './handlers/uploads.js';
import { checkName } from './names.js';

type Handler = (reg: Registry, call: Call, param: string) => Promise<void>;

interface Route {
  pattern: RegExp;
  /** Handlers by method; HEAD goes to GET's where it has none of its own. */
  methods: Partial<Record<string, Handler>>;
  /** What the route needs of the caller, by method. */
  needs: (method: string, name: string) => Need[];
}

const repo = (name: string, ...actions: string[]): Need[] => actions.map((action) => ({ type: 'repository', name, action }));
const pullPushDelete = (method: string, name: string): Need[] =>
  method === 'GET' || method === 'HEAD' ? repo(name, 'pull') : method === 'DELETE' ? repo(name, 'delete') : repo(name, 'pull', 'push');

const ROUTES: Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: async (_r, c) => sendJson(c.res, 200, {}) }, needs: () => [] },
  { pattern: /^\/v2\/_catalog$/, methods: { GET: catalog }, needs: () => [{ type: 'registry', name: 'catalog', action: '*' }] },
  { pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: listTags }, needs: pullPushDelete },
  { pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, methods: { GET: getManifest, PUT: putManifest, DELETE: deleteManifest }, needs: pullPushDelete },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, methods: { POST: startUpload }, needs: pullPushDelete },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, methods: { GET: uploadStatus, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload }, needs: (_m, name) => repo(name, 'pull', 'push') },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: getBlob, DELETE: deleteBlob }, needs: pullPushDelete },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: referrers }, needs: pullPushDelete },
];

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw regError('NAME_INVALID', { path: s, reason: 'invalid URL escape' });
  }
}

async function dispatch(reg: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const method = req.method ?? 'GET';
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (!handler) {
      const allow = Object.keys(route.methods).concat(route.methods.GET ? ['HEAD'] : []).join(', ');
      throw regError('UNSUPPORTED', { method }, { headers: { Allow: allow } });
    }
    const name = m[1] === undefined ? '' : checkName(decode(m[1]));
    const identity = await reg.auth.authorize(req, route.needs(method, name));
    if (WRITES.has(method) && (reg.readOnly || reg.proxy)) {
      throw regError('UNSUPPORTED', { reason: reg.proxy ? 'this registry is a pull-through cache' : 'this registry is read-only' });
    }
    await handler(reg, { req, res, query, name, identity }, m[2] === undefined ? '' : decode(m[2]));
    return;
  }
  throw regError('NAME_UNKNOWN', { path }, { status: 404, message: 'page not found' });
}

/** Answers one request; any error becomes the spec's error body, never an internal message. */
export async function handle(reg: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(API_VERSION_HEADER)) res.setHeader(k, v);
  const started = Date.now();
  try {
    await dispatch(reg, req, res);
  } catch (err) {
    if (err instanceof RegistryError) sendError(res, err);
    else {
      reg.log('error', `${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) res.destroy();
      else send(res, 500, { 'Content-Type': 'application/json' }, JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'unknown error' }] }));
    }
  } finally {
    reg.log('debug', `${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
  }
}
