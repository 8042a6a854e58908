/**
 * The Engine API's registry routes, as dockerd serves them: the pull half of
 * `POST /images/create` (fromImage, tag, platform), `POST /images/{name}/push` (tag; an empty
 * one pushes every tag), `POST /auth` (docker login) and `GET /distribution/{name}/json`.
 * Credentials come in X-Registry-Auth. A pull answers with an HTTP error when it fails before
 * anything was sent (a missing manifest is a 404, as from dockerd); once its progress stream
 * has begun, failures end it with docker's `{"errorDetail":...,"error":...}`.
 */
import { EngineError, InvalidArgument, NotFound, messageOf } from '../../core/errors.js';
import { decodeRegistryAuth, pickAuth, withUserPass, type AuthConfig } from '../distribution/client/auth.js';
import { inspectDistribution } from '../distribution/client/inspect.js';
import { login } from '../distribution/client/login.js';
import type { JsonMessage, ProgressSink } from '../distribution/client/progress.js';
import { pullImage } from '../distribution/client/pull.js';
import { pushImage } from '../distribution/client/push.js';
import type { Distribution } from '../distribution/client/service.js';
import { parsePlatform } from '../images/platforms.js';
import { parseNormalizedNamed, type Reference } from '../images/references.js';
import type { ApiContext, Router } from './router.js';

const DIGEST_TAG = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** docker's fromImage + tag: the tag may be a digest, and replaces a tag fromImage carries. */
export function pullReference(fromImage: string, tag: string | null): Reference {
  const named = parseNormalizedNamed(fromImage);
  if (!tag) return named;
  const base = { domain: named.domain, path: named.path };
  if (DIGEST_TAG.test(tag)) return parseNormalizedNamed(`${base.domain}/${base.path}@${tag}`);
  return parseNormalizedNamed(`${base.domain}/${base.path}:${tag}`);
}

function authOf(ctx: ApiContext): AuthConfig | undefined {
  const h = ctx.req.headers['x-registry-auth'];
  return decodeRegistryAuth(Array.isArray(h) ? h[0] : h);
}

/** A request's signal: aborted when the client goes away before the answer is complete. */
function requestSignal(ctx: ApiContext): AbortSignal {
  const ac = new AbortController();
  ctx.res?.on('close', () => {
    if (!ctx.res?.writableFinished) ac.abort(new Error('client disconnected'));
  });
  return ac.signal;
}

/** The words of an error in a progress stream: never a JavaScript fault's own message. */
function streamedMessage(err: unknown, log: (level: string, msg: string) => void): string {
  if (err instanceof EngineError) return err.message;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) {
    log('error', `registry operation failed: ${err.stack ?? err.message}`);
    return 'internal error in the engine; the engine\'s log has the details';
  }
  return messageOf(err);
}

/** A progress stream started on its first message. */
class LazyStream {
  private started = false;

  constructor(private readonly ctx: ApiContext) {}

  get begun(): boolean {
    return this.started;
  }

  readonly sink: ProgressSink = (m: JsonMessage) => {
    const res = this.ctx.res!;
    if (!this.started) {
      this.ctx.stream('application/json');
      this.started = true;
    }
    if (!res.destroyed) res.write(JSON.stringify(m) + '\r\n');
  };

  fail(message: string): void {
    this.sink({ errorDetail: { message }, error: message });
    this.ctx.res!.end();
  }

  end(): void {
    if (!this.started) this.ctx.stream('application/json');
    this.ctx.res!.end();
  }
}

async function streamed(ctx: ApiContext, log: (level: string, msg: string) => void, run: (s: LazyStream) => Promise<void>, opts: { eager?: boolean } = {}): Promise<void> {
  const s = new LazyStream(ctx);
  try {
    await run(s);
  } catch (err) {
    if (!s.begun && !opts.eager) throw err;
    s.fail(streamedMessage(err, log));
    return;
  }
  s.end();
}

export interface DistributionRouteDeps {
  distribution: Distribution;
  log: (level: string, msg: string) => void;
}

/** POST /images/create?fromImage=...: a pull. */
export async function handlePull(ctx: ApiContext, d: DistributionRouteDeps, fromImage: string): Promise<void> {
  const ref = pullReference(fromImage, ctx.query.get('tag'));
  const p = ctx.query.get('platform');
  const platform = p ? parsePlatform(p) : undefined;
  const auth = authOf(ctx);
  const signal = requestSignal(ctx);
  await streamed(ctx, d.log, async (s) => {
    await pullImage(d.distribution, { ref, platform, auth }, s.sink, signal);
  });
}

/** POST /images/{name}/push?tag=...: a push (an empty tag: every tag of the repository). */
export async function handlePush(ctx: ApiContext, d: DistributionRouteDeps, name: string): Promise<void> {
  const named = parseNormalizedNamed(name);
  // A name with its tag, as older clients send it, and the tag parameter apart.
  const tag = ctx.query.get('tag') || named.tag || '';
  if (named.digest) throw new InvalidArgument('cannot push a digest reference');
  const ref: Reference = { domain: named.domain, path: named.path };
  const auth = authOf(ctx);
  const signal = requestSignal(ctx);
  await streamed(ctx, d.log, async (s) => {
    await pushImage(d.distribution, { ref, tag, auth }, s.sink, signal);
  }, { eager: true });
}

interface AuthBody {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
  auth?: string;
}

export function distributionRoutes(r: Router, d: DistributionRouteDeps): void {
  r.on('POST', '/auth', async (ctx) => {
    const raw = await ctx.body();
    let body: AuthBody = {};
    if (raw.length) {
      try {
        const v = JSON.parse(raw.toString('utf8')) as unknown;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) body = pickAuth(v as Record<string, unknown>);
      } catch (err) {
        throw new InvalidArgument(`invalid JSON: ${messageOf(err)}`);
      }
    }
    const auth = withUserPass({ ...body }) ?? { serveraddress: body.serveraddress };
    auth.serveraddress = body.serveraddress;
    ctx.send(200, await login(auth, d.distribution.deps.settings(), requestSignal(ctx)));
  });

  // Names contain slashes: /distribution/{name}/json.
  r.on('GET', '/distribution/*', async (ctx) => {
    const rest = ctx.param('*');
    if (!rest.endsWith('/json')) throw new NotFound('page not found');
    const named = parseNormalizedNamed(rest.slice(0, -'/json'.length));
    ctx.send(200, await inspectDistribution(d.distribution, named, authOf(ctx), requestSignal(ctx)));
  });
}
