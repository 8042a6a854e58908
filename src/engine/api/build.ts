/**
 * POST /build as the docker CLI drives it without buildx: the tar context in the body, options in
 * the query, the legacy builder's JSON message stream back. A Dockerfile that does not parse is a
 * 400 before the stream starts (as dockerd); everything later is told in the stream's errorDetail.
 * POST /build/prune: `docker builder prune`.
 */
import { decodeRegistryConfig } from '../distribution/client/auth.js';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument, messageOf } from '../../core/errors.js';
import { trace, traceEnd } from '../../core/trace.js';
import { parseTagReference } from '../images/references.js';
import type { EventBus } from '../events.js';
import { BuildFailed, checkBuildPlatform } from '../build/builder.js';
import { cleanSource } from '../build/copy-step.js';
import { dropIgnoredBuildFiles } from '../build/context.js';
import { parseForBuild } from '../build/frontend.js';
import { DockerfileError } from '../build/dockerfile/index.js';
import { LegacyStream, MemoryOutput, type BuildOutput } from '../build/legacy-stream.js';
import { RunFailed } from '../build/run-step.js';
import type { BuildService } from '../build/service.js';
import { parseFilters } from '../images/filters.js';
import type { ApiContext, Router } from './router.js';
import type { RunOptions } from '../build/run-step.js';
import { BUILD_SECRETS } from './body-types.js';


/** An --add-host entry ("name:ip" or "name=ip") as dockerd checks it (opts.ValidateExtraHost). */
function checkExtraHost(h: string): string {
  const at = h.search(/[:=]/);
  const name = at > 0 ? h.slice(0, at) : '';
  const ip = at > 0 ? h.slice(at + 1).replace(/^\[(.*)\]$/, '$1') : '';
  if (!name || !/^\S+$/.test(name)) throw new InvalidArgument(`bad format for add-host: "${h}"`);
  // host-gateway: the default bridge's gateway address, as a container's --add-host.
  if (ip !== 'host-gateway' && isIP(ip) === 0) throw new InvalidArgument(`invalid IP address in add-host: "${ip}"`);
  return `${name}:${ip}`;
}

function jsonRecord(raw: string | null, name: string): Record<string, string | null> {
  if (raw === null || raw === '') return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, string | null>;
  } catch (err) {
    throw new InvalidArgument(`invalid ${name}: ${messageOf(err)}`);
  }
}

/** The RUN steps' resources as the docker CLI sends them (--memory, --cpu-shares, --shm-size, --ulimit...), checked as dockerd's. */
function stepOptions(ctx: ApiContext): RunOptions {
  const nonNegative = (name: string): number | undefined => {
    const v = ctx.int(name);
    if (v !== undefined && (v < 0 || !Number.isInteger(v))) throw new InvalidArgument(`invalid value for ${name}: ${ctx.query.get(name) ?? ''}`);
    return v || undefined;
  };
  const memory = nonNegative('memory');
  const memswap = ctx.int('memswap');
  if (memory !== undefined && memory < 6 * 1024 * 1024) throw new InvalidArgument('Minimum memory limit allowed is 6MB');
  if (memswap !== undefined && memswap > 0 && memory !== undefined && memswap < memory) throw new InvalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  const resources: NonNullable<RunOptions['resources']> = {};
  if (memory !== undefined) resources.memory = memory;
  if (memswap !== undefined && memswap !== 0) resources.memorySwap = memswap;
  const shares = nonNegative('cpushares');
  if (shares !== undefined) resources.cpuShares = shares;
  const period = nonNegative('cpuperiod');
  if (period !== undefined) resources.cpuPeriod = period;
  const quota = ctx.int('cpuquota');
  if (quota !== undefined && quota !== 0) resources.cpuQuota = quota;
  const cpus = ctx.query.get('cpusetcpus');
  if (cpus) resources.cpusetCpus = cpus;
  const mems = ctx.query.get('cpusetmems');
  if (mems) resources.cpusetMems = mems;
  const out: RunOptions = {};
  if (Object.keys(resources).length) out.resources = resources;
  const shm = nonNegative('shmsize');
  if (shm !== undefined) out.shmSize = shm;
  const ulimits = ctx.jsonQuery<Array<{ Name?: unknown; Soft?: unknown; Hard?: unknown }> | null>('ulimits');
  if (ulimits) {
    if (!Array.isArray(ulimits)) throw new InvalidArgument('invalid ulimits parameter: not a list');
    out.ulimits = ulimits.map((u) => {
      if (typeof u?.Name !== 'string' || typeof u.Soft !== 'number' || typeof u.Hard !== 'number') throw new InvalidArgument(`invalid ulimit ${JSON.stringify(u)}`);
      if (u.Soft > u.Hard) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
      return { name: u.Name, soft: u.Soft, hard: u.Hard };
    });
  }
  const parent = ctx.query.get('cgroupparent');
  if (parent) out.cgroupParent = parent;
  return out;
}

export function buildRoutes(r: Router, d: { builds: BuildService; events: EventBus }): void {
  r.on('POST', '/build', async (ctx) => {
    const q = ctx.query;
    if (q.get('remote')) throw new InvalidArgument('remote build contexts (git, URLs) are not supported by this engine: send the context as a tar');
    const tags = q.getAll('t').filter((t) => t !== '');
    for (const t of tags) parseTagReference(t);
    const platform = q.get('platform') ?? '';
    if (platform !== '') checkBuildPlatform(platform);
    const pull = ctx.flag('pull');
    if (pull && !d.builds.canPull) throw new InvalidArgument('--pull needs a registry client, which this engine does not have');
    const rc = ctx.req.headers['x-registry-config'];
    const registryAuth = decodeRegistryConfig(Array.isArray(rc) ? rc[0] : rc);
    const buildArgs = jsonRecord(q.get('buildargs'), 'buildargs');
    const labels = jsonRecord(q.get('labels'), 'labels') as Record<string, string>;
    const network = d.builds.networkMode(q.get('networkmode'));
    const extraHosts = q.getAll('extrahosts').map(checkExtraHost);
    if (ctx.flag('squash')) throw new InvalidArgument('squash is only supported with experimental mode');
    const cacheFrom = q.get('cachefrom');
    if (cacheFrom && cacheFrom !== '[]' && cacheFrom !== 'null') throw new InvalidArgument('--cache-from is not supported by this builder: its own cache is kept between builds (docker builder prune clears it)');
    const runOptions = stepOptions(ctx);
    const dockerfile = q.get('dockerfile') || 'Dockerfile';
    const quiet = ctx.flag('q');
    const session = q.get('secrets');
    let secrets: Map<string, Buffer> | undefined;
    if (session) {
      secrets = d.builds.takeSecrets(session);
      if (!secrets) throw new InvalidArgument(`no build secrets with session ID ${session}: they are taken by one build and kept five minutes`);
    }
    const abort = new AbortController();
    const res = ctx.res!;
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('the client went away'));
    });
    ctx.req.on('aborted', () => abort.abort(new Error('the client went away')));
    const tk = `build-req-${Date.now()}`;
    trace(tk, 'request');
    const context = await d.builds.receive(ctx.bodyStream() as AsyncIterable<Buffer>, abort.signal);
    trace(tk, 'context received');
    try {
      let text: string;
      try {
        text = await readFile(join(context.dir, cleanSource(dockerfile)), 'utf8');
      } catch {
        throw new InvalidArgument(`Cannot locate specified Dockerfile: ${dockerfile}`);
      }
      await dropIgnoredBuildFiles(context.dir, dockerfile);
      let parsed: ReturnType<typeof parseForBuild>;
      try {
        parsed = parseForBuild(text, dockerfile.split('/').pop() ?? dockerfile);
      } catch (err) {
        // dockerd answers a Dockerfile that does not parse with a 400, before any stream.
        if (err instanceof DockerfileError) throw new InvalidArgument(err.message);
        throw err;
      }
      trace(tk, 'parsed');
      const stream = new LegacyStream(ctx.stream('application/json'));
      const out: BuildOutput = quiet ? new MemoryOutput() : stream;
      try {
        const img = await d.builds.build({
          ...parsed, contextDir: context.dir, tags, buildArgs, labels,
          target: q.get('target') || undefined, noCache: ctx.flag('nocache'), network, extraHosts, out, signal: abort.signal, runOptions, pull,
          ...(registryAuth.size ? { registryAuth } : {}),
          ...(secrets ? { secrets } : {}),
        });
        trace(tk, 'built');
        if (quiet) stream.stream(`${img.id}\n`);
        for (const t of tags) d.events.publish('image', 'tag', img.id, { name: t });
      } catch (err) {
        stream.error(messageOf(err), err instanceof RunFailed ? err.code : err instanceof BuildFailed ? err.code : undefined);
      }
      res.end();
    } finally {
      await context.dispose();
      trace(tk, 'context removed');
      traceEnd(tk);
    }
  });

  // minke's own (the docker CLI without buildx has no secrets): `minke build --secret` sends the values first.
  r.on('POST', '/build/secrets', async (ctx) => {
    const body = await ctx.bodyOf<{ Secrets: Record<string, string> }>(BUILD_SECRETS);
    const secrets = new Map<string, Buffer>();
    for (const [id, b64] of Object.entries(body.Secrets ?? {})) {
      if (id === '' || id.includes('/')) throw new InvalidArgument(`invalid secret id ${JSON.stringify(id)}`);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new InvalidArgument(`secret ${id}: the value is not base64`);
      secrets.set(id, Buffer.from(b64, 'base64'));
    }
    ctx.send(201, { ID: d.builds.addSecrets(secrets) });
  });

  r.on('POST', '/build/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    const until = filters.get('until')?.[0];
    let untilMs: number | undefined;
    if (until) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(until);
      if (!m) throw new InvalidArgument(`invalid filter 'until=${until}': use a duration such as 24h`);
      untilMs = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    }
    const keep = ctx.int('keep-storage');
    ctx.send(200, await d.builds.prune({ all: ctx.flag('all'), ...(untilMs !== undefined ? { untilMs } : {}), ...(keep ? { keepBytes: keep } : {}) }));
  });
}
