/**
 * `startApiServer(options)`: the Kubernetes API over HTTPS on the cluster storage, with its PKI
 * and an admin kubeconfig made on first start. Requests go authenticate (a client certificate
 * the server's CA signed; health and version are open) → route → the REST storage.
 */
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { startControllers, type RunningControllers } from '../controllers/start.js';
import { Cacher } from '../storage/cacher.js';
import { AlreadyExistsError } from '../storage/errors.js';
import type { Storage } from '../storage/interface.js';
import { SqliteStorage } from '../storage/sqlite.js';
import { apiVersionOf, BUILTIN_RESOURCES, ResourceTable, type ResourceType } from '../types/resources.js';
import { ServiceAccountsController } from '../controllers/serviceaccounts/controller.js';
import { admit } from './admission.js';
import { ANONYMOUS, Authenticator, readTokenFile, type UserInfo } from './authn.js';
import { objectUids, serveAuthnApi } from './authn-api.js';
import { forbidden, impersonate, requestAttributes, storagePolicy } from './authz.js';
import { serveAuthzApi } from './authz-api.js';
import { reconcileBootstrapPolicy } from './bootstrap-policy.js';
import {
  AGGREGATED_DISCOVERY_TYPE, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo, wantsAggregated,
} from './discovery.js';
import { deleteCollection } from './collection.js';
import { deletedStatus, parseDeleteOptions } from './delete.js';
import { kubeconfig } from './kubeconfig.js';
import { managerOf, type Writer } from './managed-fields.js';
import { APPLY_PATCH_TYPE, applyRequest } from './apply.js';
import { isObj, meta, type Obj } from './object.js';
import type { Json } from './patch.js';
import { enforce, fieldValidationMode, scanFields, schemaFor, unknownFields, warningHeader } from './field-validation.js';
import { ApiMetrics } from './metrics.js';
import { serveOpenApi } from './openapi.js';
import { loadOrCreatePki } from './pki.js';
import { decodeProtobuf } from './protobuf.js';
import { RbacAuthorizer } from './rbac.js';
import { applyPatch, RestStorage, type ListQuery, type PatchType, type Subresource } from './rest.js';
import { DEFAULT_ISSUER, loadOrCreateSigningKey, TokenSigner } from './serviceaccount-token.js';
import { ApiError, badRequest, methodNotAllowed, pathNotFound, type Status } from './status.js';
import { table, type IncludeObject } from './table.js';

export interface ApiServerOptions {
  /** Address to listen on (default 0.0.0.0). */
  readonly bindAddress?: string;
  /** Port (default 6443; 0 picks a free one). */
  readonly securePort?: number;
  readonly dataDir: string;
  /** Where the admin kubeconfig goes (mode 0600); undefined: none is written. */
  readonly writeKubeconfig?: string;
  /** An etcd URL (or several, comma-separated), `sqlite://PATH`; default a SQLite file under the data dir. */
  readonly datastoreEndpoint?: string;
  /** How often watches that allow bookmarks get one (default 60 s, as kube-apiserver). */
  readonly bookmarkIntervalMs?: number;
  /** --token-auth-file: static bearer tokens, CSV `token,user,uid,"group1,group2"`. */
  readonly tokenAuthFile?: string;
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local); also the API audience. */
  readonly serviceAccountIssuer?: string;
  readonly log?: (message: string) => void;
}

export interface RunningApiServer {
  /** https://host:port as the kubeconfig names it. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly caCert: string;
  /** The store behind the watch cache (compaction, tests). */
  readonly storage: Storage;
  close(): Promise<void>;
}

/** Bodies past this are refused, as kube-apiserver does (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const bindAddress = opts.bindAddress ?? '0.0.0.0';
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const wildcard = bindAddress === '0.0.0.0' || bindAddress === '::';
  const [pki, backend, signingKey, staticTokens] = await Promise.all([
    loadOrCreatePki(opts.dataDir, wildcard ? [] : [bindAddress]),
    openBackend(opts.datastoreEndpoint ?? join(opts.dataDir, 'state.db')),
    loadOrCreateSigningKey(join(opts.dataDir, 'tls')),
    opts.tokenAuthFile === undefined ? [] : readTokenFile(opts.tokenAuthFile),
  ]);
  const storage = new Cacher(backend, { prefix: '/registry/' });
  let controllers: RunningControllers | undefined;
  const closeStorage = async (): Promise<void> => {
    await controllers?.stop();
    await storage.close();
    await backend.close();
  };
  try {
    await storage.started();
    const types = new ResourceTable(BUILTIN_RESOURCES);
    const rest = new RestStorage(storage, types.types.filter((t) => t.namespaced));
    await bootstrap(rest, types);
    await reconcileBootstrapPolicy(rest, types);
    controllers = startControllers(storage, rest, types, opts.log ?? (() => {}));
    const issuer = opts.serviceAccountIssuer ?? DEFAULT_ISSUER;
    const authn = new Authenticator(new TokenSigner(signingKey, issuer), [issuer], staticTokens, objectUids(rest, types));
    const authz = new RbacAuthorizer(storagePolicy(rest, types));
    const ctx: Ctx = { types, rest, storage, authn, authz, metrics: new ApiMetrics(), bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, serverAddress: '', log: opts.log ?? (() => {}) };
    const server = createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const done = ctx.metrics.begin(req.method ?? 'GET', req.url ?? '/');
      res.once('close', () => done(res.statusCode));
      handle(ctx, req, res).catch((err: unknown) => {
        ctx.log(`request ${req.method} ${req.url}: ${String(err)}`);
        if (!res.headersSent) sendStatus(res, internal(err));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.securePort ?? 6443, bindAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = wildcard ? '127.0.0.1' : bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
    const url = `https://${host}:${port}`;
    ctx.serverAddress = `${host}:${port}`;
    if (opts.writeKubeconfig !== undefined) {
      await mkdir(dirname(opts.writeKubeconfig), { recursive: true });
      await writeFileAtomic(opts.writeKubeconfig, kubeconfig(url, pki), 0o600);
    }
    const controller = new ServiceAccountsController({ rest, types, caCert: pki.caCert, log: ctx.log });
    return {
      url, port, server, caCert: pki.caCert, storage,
      close: async () => {
        await controller.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await closeStorage();
      },
    };
  } catch (err) {
    await closeStorage();
    throw err;
  }
}

/**
 * openStorage's choice, with the etcd client (grpc: a fifth of a second to load) imported only
 * for an etcd endpoint, so that the SQLite default starts quickly.
 */
async function openBackend(endpoint: string): Promise<Storage> {
  if (/^https?:\/\//.test(endpoint)) return (await import('../storage/open.js')).openStorage(endpoint);
  return new SqliteStorage(endpoint.replace(/^sqlite:\/\//, ''));
}

async function bootstrap(rest: RestStorage, types: ResourceTable): Promise<void> {
  const nsType = types.find('', 'v1', 'namespaces');
  if (!nsType) return;
  for (const name of BOOTSTRAP_NAMESPACES) {
    try {
      await rest.create(nsType, undefined, { metadata: { name } }, false);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists') && !(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

interface Ctx {
  readonly types: ResourceTable;
  readonly rest: RestStorage;
  readonly storage: Storage;
  readonly authn: Authenticator;
  readonly authz: RbacAuthorizer;
  readonly metrics: ApiMetrics;
  readonly bookmarkIntervalMs: number;
  serverAddress: string;
  readonly log: (message: string) => void;
}

/** Whom each request acts as (after impersonation), for admission. */
const requestUsers = new WeakMap<IncomingMessage, UserInfo>();

async function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://apiserver');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  try {
    const who = await ctx.authn.authenticate(req);
    if ('failed' in who) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    const user: UserInfo = await impersonate(ctx.authz, req, 'user' in who ? who.user : ANONYMOUS);
    const attrs = requestAttributes(req.method ?? 'GET', url.pathname, url.searchParams);
    requestUsers.set(req, user);
    const decision = await ctx.authz.authorize(user, attrs);
    // Anonymous requests get what system:public-info-viewer allows (health, version); else 401.
    if (!decision.allowed) throw user === ANONYMOUS ? new ApiError(401, 'Unauthorized', 'Unauthorized') : forbidden(user, attrs, decision.reason);
    if (path === '/version') return sendJson(res, 200, versionInfo());
    const health = /^\/(healthz|livez|readyz)(?:\/(.+))?$/.exec(path);
    if (health) return await serveHealth(ctx, res, health[1], health[2], url.searchParams.has('verbose'));
    const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const answer = await serveAuthnApi(ctx, req.method ?? 'GET', parts, user, () => readObject(req));
    const reviewed = answer ?? await serveAuthzApi(ctx.authz, req.method ?? 'GET', parts, user, () => readObject(req));
    if (reviewed) return sendJson(res, reviewed.status, reviewed.body);
    const aggregated = wantsAggregated(req.headers.accept);
    if (parts.length === 1 && aggregated && (parts[0] === 'api' || parts[0] === 'apis')) {
      return sendJson(res, 200, aggregatedDiscovery(ctx.types, parts[0] === 'api'), AGGREGATED_DISCOVERY_TYPE);
    }
    if (parts[0] === 'api') {
      if (parts.length === 1) return sendJson(res, 200, apiVersions(ctx.serverAddress));
      return await serveGroupVersion(ctx, req, res, url, '', parts[1], parts.slice(2));
    }
    if (parts[0] === 'apis') {
      if (parts.length === 1) return sendJson(res, 200, apiGroupList(ctx.types));
      if (parts.length === 2) {
        const g = apiGroup(ctx.types, parts[1]);
        if (!g) throw pathNotFound();
        return sendJson(res, 200, g);
      }
      return await serveGroupVersion(ctx, req, res, url, parts[1], parts[2], parts.slice(3));
    }
    if (path === '/metrics' && req.method === 'GET') return sendText(res, 200, ctx.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    if (parts[0] === 'openapi' && req.method === 'GET') {
      const reply = serveOpenApi(ctx.types, parts.slice(1), url.searchParams, req.headers.accept, req.headers['if-none-match']);
      if (reply) {
        res.writeHead(reply.status, { ...reply.headers, 'Content-Length': reply.body.length });
        return void res.end(reply.body);
      }
    }
    throw pathNotFound();
  } catch (err) {
    sendStatus(res, err instanceof ApiError ? err : internal(err));
  }
}

async function serveHealth(ctx: Ctx, res: ServerResponse, which: string, check: string | undefined, verbose: boolean): Promise<void> {
  const etcdOk = await ctx.storage.currentRevision().then(() => true, () => false);
  const checks: [string, boolean][] = [['ping', true], ['log', true], ['etcd', etcdOk]];
  if (which === 'readyz') checks.push(['etcd-readiness', etcdOk], ['informer-sync', true]);
  checks.push(['poststarthook/start-apiserver-admission-initializer', true], ['poststarthook/generic-apiserver-start-informers', true],
    ['poststarthook/bootstrap-controller', true]);
  if (which === 'readyz') checks.push(['shutdown', true]);
  if (check !== undefined) {
    const found = checks.find(([n]) => n === check);
    if (!found) throw pathNotFound();
    return sendText(res, found[1] ? 200 : 500, found[1] ? 'ok' : `internal server error: ${check} check failed`);
  }
  const ok = checks.every(([, v]) => v);
  if (!verbose && ok) return sendText(res, 200, 'ok');
  const lines = checks.map(([n, v]) => (v ? `[+]${n} ok` : `[-]${n} failed: reason withheld`));
  sendText(res, ok ? 200 : 500, `${lines.join('\n')}\n${which} check ${ok ? 'passed' : 'failed'}\n`);
}

async function serveGroupVersion(ctx: Ctx, req: IncomingMessage, res: ServerResponse, url: URL, group: string, version: string, rest: string[]): Promise<void> {
  if (!ctx.types.hasGroupVersion(group, version)) throw pathNotFound();
  if (rest.length === 0) return sendJson(res, 200, apiResourceList(ctx.types, group, version));
  let namespace: string | undefined;
  let resource: string;
  let name: string | undefined;
  let sub: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    [namespace, resource, name, sub] = [rest[1], rest[2], rest[3], rest[4]];
    if (rest.length > 5) throw pathNotFound();
  } else {
    [resource, name, sub] = [rest[0], rest[1], rest[2]];
    if (rest.length > 3) throw pathNotFound();
  }
  const t = ctx.types.find(group, version, resource);
  if (!t || (namespace !== undefined && !t.namespaced) || (namespace === undefined && name !== undefined && t.namespaced)) throw pathNotFound();
  if (sub !== undefined) {
    if (name === undefined || !(t.subresources ?? []).some((x) => x === sub)) throw pathNotFound();
    return serveSubresource(ctx, req, res, url, t, namespace, name, sub as Subresource);
  }
  return serveResource(ctx, req, res, url, t, namespace, name);
}

async function serveSubresource(ctx: Ctx, req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceType, namespace: string | undefined, name: string, sub: Subresource): Promise<void> {
  const dryRun = url.searchParams.getAll('dryRun').includes('All');
  switch (req.method) {
    case 'GET': return sendJson(res, 200, await ctx.rest.getSubresource(t, namespace, name, sub));
    case 'PUT': {
      const body = await readObject(req);
      return sendJson(res, 200, await ctx.rest.updateSubresource(t, namespace, name, sub, dryRun, () => body, writerOf(req, url)));
    }
    case 'PATCH': {
      const type = patchType(req.headers['content-type']);
      const patch = await readJson(req);
      return sendJson(res, 200, await ctx.rest.updateSubresource(t, namespace, name, sub, dryRun, (view) => applyPatch(type, view, patch), writerOf(req, url)));
    }
    default: throw methodNotAllowed();
  }
}

function listQuery(q: URLSearchParams): ListQuery {
  const limit = q.get('limit');
  if (limit !== null && !/^\d+$/.test(limit)) throw badRequest(`invalid limit: ${limit}`);
  return {
    labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector'),
    limit: limit === null ? undefined : Number(limit), continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined, resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

interface Rendering {
  readonly table: boolean;
  readonly include: IncludeObject;
}

/** as=Table when the Accept header offers meta.k8s.io Table (kubectl get asks for v1 first). */
function rendering(req: IncomingMessage, q: URLSearchParams): Rendering {
  const accept = req.headers.accept ?? '';
  const asTable = accept.split(',').some((m) => /;\s*as=Table/.test(m) && /;\s*g=meta\.k8s\.io/.test(m));
  const inc = q.get('includeObject');
  const include: IncludeObject = inc === 'None' || inc === 'Object' ? inc : 'Metadata';
  return { table: asTable, include };
}

async function serveResource(ctx: Ctx, req: IncomingMessage, res: ServerResponse, url: URL, t: ResourceType, namespace: string | undefined, name: string | undefined): Promise<void> {
  const q = url.searchParams;
  const dryRun = q.getAll('dryRun').includes('All');
  const render = rendering(req, q);
  const one = (status: number, o: Obj): void => {
    sendJson(res, status, render.table ? table(t, [o], render.include, { resourceVersion: meta(o).resourceVersion ?? '' }) : o);
  };
  const method = req.method ?? 'GET';
  if (name === undefined) {
    if (method === 'GET') {
      if (queryBool(q, 'watch')) return serveWatch(ctx, res, t, namespace, q, render);
      const list = await ctx.rest.list(t, namespace, listQuery(q));
      const listMeta: Obj = { resourceVersion: list.resourceVersion };
      if (list.continue) listMeta.continue = list.continue;
      if (render.table) return sendJson(res, 200, table(t, list.items, render.include, listMeta));
      for (const o of list.items) {
        delete o.kind;
        delete o.apiVersion;
      }
      return sendJson(res, 200, { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: listMeta, items: list.items });
    }
    if (method === 'POST') {
      if (t.namespaced && namespace === undefined) throw methodNotAllowed();
      const body = await admit(ctx, requestUsers.get(req), 'create', t, namespace, await readChecked(req, res, t, q));
      return one(201, await ctx.rest.create(t, namespace, body, dryRun, writerOf(req, url)));
    }
    if (method === 'DELETE' && (t.verbs ?? ['deletecollection']).includes('deletecollection')) {
      return sendJson(res, 200, await deleteCollection(ctx.rest, t, namespace, listQuery(q), parseDeleteOptions(await readJson(req, true), q)));
    }
    throw methodNotAllowed();
  }
  switch (method) {
    case 'GET': return one(200, await ctx.rest.get(t, namespace, name));
    case 'PUT': return one(200, await ctx.rest.update(t, namespace, name, await admit(ctx, requestUsers.get(req), 'update', t, namespace, await readChecked(req, res, t, q)), dryRun, writerOf(req, url)));
    case 'PATCH': {
      if (isApplyPatch(req)) {
        const { object, created } = await ctx.rest.apply(t, namespace, name, await readJson(req), dryRun, applyRequest(q));
        return one(created ? 201 : 200, object);
      }
      const type = patchType(req.headers['content-type']);
      const mode = fieldValidationMode(q);
      const { value: body, text } = await readJsonText(req);
      const dups = mode === 'Ignore' || type === 'json' || text === undefined ? [] : scanFields(text, undefined);
      const patched = await ctx.rest.patch(t, namespace, name, type, body, dryRun, writerOf(req, url), (next) => {
        const issues = mode === 'Ignore' ? [] : [...dups, ...unknownFields(next, schemaFor(t))];
        warn(res, enforce(mode, t, issues, next, true));
      });
      return one(200, patched);
    }
    case 'DELETE': {
      const opts = parseDeleteOptions(await readJson(req, true), q);
      const { object, deleted } = await ctx.rest.delete(t, namespace, name, opts);
      return deleted && !t.returnDeletedObject ? sendJson(res, 200, deletedStatus(t, object)) : one(200, object);
    }
    default: throw methodNotAllowed();
  }
}

async function serveWatch(ctx: Ctx, res: ServerResponse, t: ResourceType, namespace: string | undefined, q: URLSearchParams, render: Rendering): Promise<void> {
  const abort = new AbortController();
  const timeout = Number(q.get('timeoutSeconds') ?? 1800);
  const timer = setTimeout(() => abort.abort(), (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000);
  res.on('close', () => abort.abort());
  const events = ctx.rest.watch(t, namespace, listQuery(q), abort.signal, {
    allow: queryBool(q, 'allowWatchBookmarks'), everyMs: ctx.bookmarkIntervalMs,
  });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let first = true;
  try {
    for await (const ev of events) {
      let object: Obj | Status = ev.object;
      if (render.table && (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')) {
        object = table(t, [ev.object], render.include, { resourceVersion: meta(ev.object).resourceVersion ?? '' }, first);
        first = false;
      }
      if (!res.write(JSON.stringify({ type: ev.type, object }) + '\n')) {
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          abort.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      if (abort.signal.aborted) break;
    }
  } catch (err) {
    if (!abort.signal.aborted) {
      const status = err instanceof ApiError ? err.status() : internal(err).status();
      res.write(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
    res.end();
  }
}

function writerOf(req: IncomingMessage, url: URL): Writer {
  return { manager: managerOf(url.searchParams, req.headers['user-agent']) };
}

function isApplyPatch(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim() === APPLY_PATCH_TYPE;
}

function patchType(contentType: string | undefined): PatchType {
  const ct = (contentType ?? '').split(';')[0].trim();
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  throw new ApiError(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = (): ApiError => new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY_BYTES) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage, optional = false): Promise<Json> {
  return (await readJsonText(req, optional)).value;
}

/** A create or update body, its fields checked against the type's schema (field-validation.ts). */
async function readChecked(req: IncomingMessage, res: ServerResponse, t: ResourceType, q: URLSearchParams): Promise<Obj> {
  const mode = fieldValidationMode(q);
  const { value, text } = await readJsonText(req);
  if (!isObj(value)) throw badRequest("couldn't get version/kind; json parse error: the body is not a JSON object");
  const schema = mode === 'Ignore' ? undefined : schemaFor(t);
  const issues = schema === undefined ? [] : text === undefined ? unknownFields(value, schema) : scanFields(text, schema);
  warn(res, enforce(mode, t, issues, value));
  return value;
}

function warn(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length > 0) res.setHeader('Warning', warnings.map(warningHeader));
}

/** The decoded body, and its text when it was JSON (for the duplicate-field check). */
async function readJsonText(req: IncomingMessage, optional = false): Promise<{ value: Json; text?: string }> {
  const body = await readBody(req);
  if (body.length === 0) {
    if (optional) return { value: null };
    throw badRequest('the body of the request was empty');
  }
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (ct === 'application/vnd.kubernetes.protobuf') {
    try {
      return { value: decodeProtobuf(body) };
    } catch (err) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(err as Error).message})`);
    }
  }
  try {
    if (ct === 'application/yaml' || ct === APPLY_PATCH_TYPE) return { value: (await import('yaml')).parse(body.toString('utf8')) as Json };
    const text = body.toString('utf8');
    return { value: JSON.parse(text) as Json, text };
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

async function readObject(req: IncomingMessage): Promise<Obj> {
  const body = await readJson(req);
  if (!isObj(body)) throw badRequest("couldn't get version/kind; json parse error: the body is not a JSON object");
  return body;
}

function internal(err: unknown): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
}

function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/json'): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, 'Cache-Control': 'no-cache, private', Vary: 'Accept' });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.status());
}



/**
 * A boolean query parameter as apimachinery converts one (Convert_Slice_string_To_bool): absent
 * is false, "0" and "false" in any case are false, anything else is true (python's client sends
 * `watch=True`).
 */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}
