/**
 * The builder: stages → image. The stages the target needs are built, each once, independent
 * ones at the same time; within a stage every instruction is a step whose result (the image state
 * after it) is looked up in the cache by a key made of its parent's key, its instruction after
 * expansion and its inputs, and stored there when it had to be made. Output is the legacy
 * builder's stream (Step n/N, ---> id), in the Dockerfile's order even when stages overlap.
 */
import type { AuthConfig } from '../distribution/client/auth.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { InvalidArgument, NotFound, messageOf } from '../../core/errors.js';
import { trace, traceEnd } from '../../core/trace.js';
import type { ImageStore } from '../images/image-store.js';
import { parseTagReference, familiarString } from '../images/references.js';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from '../images/platforms.js';
import type { HistoryEntry, Image, ImageConfigBlob, ImageRuntimeConfig } from '../images/types.js';
import { nextChainId } from '../snapshots/chain.js';
import { mergedLstat } from '../snapshots/init-layer.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';
import type { OverlaySnapshotter } from '../snapshots/overlay.js';
import { hasSnapshot, unpackLayer } from '../snapshots/unpack.js';
import type { BuildCache, BuildState, CacheRecord } from './cache.js';
import { parseChmod, planCopy, resolveChown, type CopyPlan } from './copy-step.js';
import type { ArgCommand, Command, Stage } from './instructions.js';
import type { BuildOutput } from './legacy-stream.js';
import { commitUpper, layerFromEntries, layerFromUpper, type NewLayer } from './layers.js';
import { runStep, type RunOptions, type StepNetworkPort } from './run-step.js';
import { StageOutputs } from './stage-output.js';
import { heredocCommand, mountKeyInputs, withRunMounts, type HeredocCommand, type RunMountDeps } from './run-mounts.js';
import { applyMeta, envMap, StageContext } from './meta-steps.js';

/** What the builder needs of the Dockerfile frontend (the parser): expansion and ONBUILD triggers. */
export interface Frontend {
  /** The command with its variables expanded against env (KEY=VALUE), as BuildKit at dispatch. */
  expand(cmd: Command, env: string[]): Command;
  /** One word, e.g. FROM's reference with the meta ARGs. */
  expandWord(word: string, env: string[]): string;
  /** A base image's ONBUILD triggers as commands. */
  parseTriggers(lines: string[]): Command[];
}

export interface BuilderDeps {
  images: ImageStore;
  snapshotter: OverlaySnapshotter;
  cache: BuildCache;
  /** Mount points, bundles and downloads of running steps. */
  buildRoot: string;
  runcRoot: string;
  /** Where RUN steps' secret files are written for as long as the step runs. */
  secretsRoot: string;
  /**
   * Pulls an image the build names and the engine lacks (FROM, COPY --from, RUN --mount from=),
   * or every named image with --pull; its progress goes to the build's stream. Without it those
   * builds fail, naming the image.
   */
  pull?: (ref: string, o: { progress(message: Record<string, unknown>): void; signal: AbortSignal; auth?: ReadonlyMap<string, AuthConfig> }) => Promise<Image>;
  /** The engine's networks for RUN steps (without them, default is the host's network). */
  networks?: StepNetworkPort;
}

export interface BuildRequest {
  metaArgs: ArgCommand[];
  stages: Stage[];
  frontend: Frontend;
  contextDir: string;
  tags?: string[];
  buildArgs?: Record<string, string | null>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** The RUN steps' network mode (--network): default, host, none or a network's name. */
  network?: string;
  /** --add-host: "name:ip" lines added to each RUN's /etc/hosts. */
  extraHosts?: string[];
  /** --pull: pull every image the build names, even those the engine has. */
  pull?: boolean;
  /** The client's registry logins by registry host (X-Registry-Config), for those pulls. */
  registryAuth?: ReadonlyMap<string, AuthConfig>;
  /** Resources and limits of every RUN step. */
  runOptions?: RunOptions;
  /** --secret values by id, for RUN --mount=type=secret. */
  secrets?: ReadonlyMap<string, Buffer>;
  out: BuildOutput;
  signal?: AbortSignal;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** BuildKit's automatic platform ARGs: this engine builds for its own platform only. */
const HOST = hostPlatform();
const HOST_PLATFORM = formatPlatform(HOST);
const PLATFORM_ARGS: Record<string, string> = {
  BUILDPLATFORM: HOST_PLATFORM, BUILDOS: HOST.os, BUILDARCH: HOST.architecture, BUILDVARIANT: HOST.variant ?? '',
  TARGETPLATFORM: HOST_PLATFORM, TARGETOS: HOST.os, TARGETARCH: HOST.architecture, TARGETVARIANT: HOST.variant ?? '',
};

/** --platform and FROM --platform: the host's, in any spelling containerd takes; others refused. */
export function checkBuildPlatform(spec: string): void {
  if (!platformMatches(HOST, parsePlatform(spec))) throw new InvalidArgument(`this engine builds for ${HOST_PLATFORM} only, not ${spec}`);
}

export function sha(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p}\0`);
  return `sha256:${h.digest('hex')}`;
}

/** The image ID a state would have: the digest of its config bytes. */
export function configBytes(c: ImageConfigBlob): Buffer {
  return Buffer.from(JSON.stringify(c));
}
export function stateId(s: BuildState): string {
  return createHash('sha256').update(configBytes(s.config)).digest('hex');
}

interface StageRun {
  stage: Stage;
  /** Stage indexes this one needs (its base, COPY --from). */
  deps: Set<number>;
  firstStep: number;
  result?: Promise<BuildState>;
}

export class BuildFailed extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = 'BuildFailed';
  }
}

export class Builder {
  constructor(private readonly d: BuilderDeps) {}

  async build(req: BuildRequest): Promise<Image> {
    const b = new BuildRun(this.d, req);
    return b.run();
  }
}

class BuildRun {
  private readonly buildArgs: Record<string, string | null>;
  private readonly usedArgs = new Set<string>();
  private readonly metaEnv = new Map<string, string>();
  private readonly epochMs: number | undefined;
  private readonly runs: StageRun[] = [];
  private total = 0;
  private readonly abort = new AbortController();
  private readonly outputs: StageOutputs;
  /** The images named so far (FROM, --from): looked up or pulled once. */
  private readonly images = new Map<string, Promise<Image>>();

  constructor(private readonly d: BuilderDeps, private readonly req: BuildRequest) {
    this.buildArgs = req.buildArgs ?? {};
    const epoch = this.buildArgs['SOURCE_DATE_EPOCH'];
    if (epoch !== undefined && epoch !== null && epoch !== '') {
      if (!/^\d+$/.test(epoch)) throw new InvalidArgument(`invalid SOURCE_DATE_EPOCH: ${epoch}`);
      this.epochMs = Number(epoch) * 1000;
      this.usedArgs.add('SOURCE_DATE_EPOCH');
    }
    this.outputs = new StageOutputs(req.out);
    req.signal?.addEventListener('abort', () => this.abort.abort(req.signal?.reason), { once: true });
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private argValue(key: string, dflt: string | undefined): string | undefined {
    if (Object.hasOwn(this.buildArgs, key)) {
      this.usedArgs.add(key);
      const v = this.buildArgs[key];
      return v === null || v === undefined ? dflt : v;
    }
    return dflt;
  }

  private now(): string {
    return new Date(this.epochMs ?? Date.now()).toISOString();
  }

  async run(): Promise<Image> {
    const { req } = this;
    const metaEnvList = (): string[] => [...this.metaEnv].map(([k, v]) => `${k}=${v}`);
    for (const [k, v] of Object.entries(PLATFORM_ARGS)) this.metaEnv.set(k, v);
    for (const line of req.metaArgs) {
      const e = req.frontend.expand(line, metaEnvList());
      if (e.kind !== 'arg') continue;
      for (const a of e.args) {
        const v = this.argValue(a.key, a.value);
        if (v !== undefined) this.metaEnv.set(a.key, v);
        else this.metaEnv.delete(a.key);
      }
    }
    if (req.stages.length === 0) throw new InvalidArgument('the Dockerfile has no FROM instruction: file with no instructions');
    const target = this.targetIndex();
    for (const s of req.stages) this.runs.push({ stage: s, deps: new Set(), firstStep: 0 });
    for (const r of this.runs) this.findDeps(r);
    const needed = new Set<number>();
    const visit = (i: number): void => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const dep of this.runs[i]!.deps) visit(dep);
    };
    visit(target);
    const order = [...needed].sort((a, b) => a - b);
    let step = 1 + req.metaArgs.length;
    this.total = req.metaArgs.length + order.reduce((n, i) => n + 1 + this.runs[i]!.stage.commands.length, 0);
    for (const [n, a] of req.metaArgs.entries()) req.out.stream(`Step ${n + 1}/${this.total} : ${a.original}\n`);
    for (const i of order) {
      this.runs[i]!.firstStep = step;
      step += 1 + this.runs[i]!.stage.commands.length;
    }
    this.outputs.order(order);
    let final: BuildState;
    try {
      // A failing stage stops the others at once.
      await Promise.all(order.map((i) => this.stageResult(i).catch((err: unknown) => {
        this.abort.abort(err);
        throw err;
      })));
      final = await this.stageResult(target);
    } catch (err) {
      this.abort.abort(err);
      // Every stage has stopped (and cleaned up) before the failure is told.
      await Promise.allSettled(order.map((i) => this.stageResult(i)));
      this.outputs.flushAll();
      throw err;
    }
    this.outputs.flushAll();
    return this.finish(final);
  }

  private targetIndex(): number {
    const { req } = this;
    if (!req.target) return req.stages.length - 1;
    const t = req.target.toLowerCase();
    const i = req.stages.findIndex((s) => s.name?.toLowerCase() === t);
    if (i < 0) throw new InvalidArgument(`failed to reach build target ${req.target} in Dockerfile`);
    return i;
  }

  /** A stage named by FROM or --from: an earlier stage's name or index, else undefined (an image). */
  private stageRef(ref: string, before: number): number | undefined {
    const l = ref.toLowerCase();
    for (let i = 0; i < before; i++) if (this.req.stages[i]!.name?.toLowerCase() === l) return i;
    if (/^\d+$/.test(ref)) {
      const n = Number(ref);
      if (n < before) return n;
      throw new InvalidArgument(`invalid from flag value ${ref}: refers to current build stage`);
    }
    return undefined;
  }

  private baseRef(stage: Stage): string {
    const metaEnv = [...this.metaEnv].map(([k, v]) => `${k}=${v}`);
    const ref = this.req.frontend.expandWord(stage.baseName, metaEnv);
    if (ref === '') throw new InvalidArgument(`base name (${stage.baseName}) should not be blank`);
    return ref;
  }

  private findDeps(r: StageRun): void {
    const s = r.stage;
    const base = this.stageRef(this.baseRef(s), s.index);
    if (base !== undefined) r.deps.add(base);
    const self = s.name?.toLowerCase();
    for (const c of s.commands) {
      const froms: string[] = [];
      if (c.kind === 'copy' && c.from) froms.push(c.from);
      if (c.kind === 'run') for (const m of c.mounts ?? []) if (m.from) froms.push(m.from);
      for (const f of froms) {
        if (self && f.toLowerCase() === self) throw new InvalidArgument(`invalid from flag value ${f}: refers to current build stage`);
        const i = this.stageRef(f, s.index);
        if (i !== undefined) r.deps.add(i);
      }
    }
  }

  private stageResult(i: number): Promise<BuildState> {
    const r = this.runs[i]!;
    r.result ??= this.buildStage(r);
    return r.result;
  }

  private async buildStage(r: StageRun): Promise<BuildState> {
    // Dependencies first (they may run meanwhile: this waits only for what it needs).
    await Promise.all([...r.deps].map((d) => this.stageResult(d)));
    const out = this.outputs.of(r.stage.index);
    try {
      return await this.stageSteps(r, out);
    } finally {
      this.outputs.done(r.stage.index);
    }
  }

  private async stageSteps(r: StageRun, out: BuildOutput): Promise<BuildState> {
    const s = r.stage;
    let n = r.firstStep;
    out.stream(`Step ${n++}/${this.total} : ${s.original}\n`);
    trace(`s${s.index}-build-stage`, 'start');
    let state = await this.fromState(s, out);
    trace(`s${s.index}-build-stage`, 'from');
    const sc = new StageContext();
    for (const a of Object.keys(PLATFORM_ARGS)) sc.metaAllowed.add(a);
    for (const line of this.req.metaArgs) for (const a of line.args) sc.metaAllowed.add(a.key);
    const triggers = state.config.config?.OnBuild ?? [];
    if (triggers.length > 0) {
      out.stream(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
      const cmds = this.req.frontend.parseTriggers(triggers);
      state = { ...state, config: { ...state.config, config: { ...state.config.config, OnBuild: null } } };
      for (const c of cmds) state = await this.step(state, c, sc, out, r.stage.index);
    }
    // The base as dockerd names it: the image's own ID (a stage's: its state's).
    out.stream(` ---> ${(triggers.length === 0 && state.baseImage && state.key === this.rootKey(`image:${state.baseImage}`) ? state.baseImage.slice(7) : stateId(state)).slice(0, 12)}\n`);
    for (const c of s.commands) {
      this.signal.throwIfAborted();
      out.stream(`Step ${n++}/${this.total} : ${c.original}\n`);
      state = await this.step(state, c, sc, out, r.stage.index);
      trace(`s${s.index}-build-stage`, `step ${c.kind}`);
    }
    traceEnd(`s${s.index}-build-stage`);
    return state;
  }

  private async fromState(s: Stage, out: BuildOutput): Promise<BuildState> {
    void out;
    const ref = this.baseRef(s);
    const root = (from: string): string => this.rootKey(from);
    const stageIdx = this.stageRef(ref, s.index);
    if (stageIdx !== undefined) {
      const base = await this.stageResult(stageIdx);
      return { ...structuredClone(base), key: root(`stage:${base.key}`) };
    }
    if (s.platform) {
      const p = this.req.frontend.expandWord(s.platform, [...this.metaEnv].map(([k, v]) => `${k}=${v}`));
      checkBuildPlatform(p);
    }
    if (ref.toLowerCase() === 'scratch') {
      return {
        config: { architecture: HOST.architecture, os: HOST.os, ...(HOST.variant ? { variant: HOST.variant } : {}), config: { Env: [DEFAULT_PATH] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
        layers: [], layerSizes: [], chainId: null, key: root('scratch'),
      };
    }
    const img = await this.image(ref, 'base');
    const config = structuredClone(img.config);
    delete config.container;
    delete config.container_config;
    delete config.docker_version;
    config.config ??= {};
    config.history ??= [];
    // As dockerd's builders: a base without PATH gets the default one.
    if (!(config.config.Env ?? []).some((e) => e.startsWith('PATH='))) config.config.Env = [...(config.config.Env ?? []), DEFAULT_PATH];
    return { config, layers: [...img.layers], layerSizes: [...(img.layerSizes ?? img.layers.map((l) => l.size))], chainId: img.chainId, key: root(`image:${img.id}`), baseImage: img.id };
  }

  /** An image the build names: the engine's, or pulled (always with --pull); once per build. */
  private image(ref: string, what: 'base' | 'from'): Promise<Image> {
    let p = this.images.get(ref);
    if (!p) {
      p = this.fetchImage(ref, what);
      this.images.set(ref, p);
    }
    return p;
  }

  private async fetchImage(ref: string, what: 'base' | 'from'): Promise<Image> {
    const fail = (msg: string): BuildFailed => new BuildFailed(what === 'base' ? msg : `invalid from flag value ${ref}: ${msg}`);
    try {
      parseTagReference(ref.includes('@') ? ref.split('@')[0]! : ref);
    } catch (err) {
      throw fail(`invalid reference format: ${ref}: ${messageOf(err)}`);
    }
    if (!this.req.pull || !this.d.pull) {
      try {
        return await this.d.images.get(ref);
      } catch (err) {
        if (!(err instanceof NotFound)) throw fail(messageOf(err));
        if (!this.d.pull) throw fail(`pull access denied for ${ref}, repository does not exist or may require 'docker login': No such image: ${ref}`);
      }
    }
    try {
      return await this.d.pull(ref, { progress: (m) => this.req.out.progress?.(m), signal: this.signal, ...(this.req.registryAuth ? { auth: this.req.registryAuth } : {}) });
    } catch (err) {
      throw fail(messageOf(err));
    }
  }

  private rootKey(from: string): string {
    return sha('from', from, String(this.epochMs ?? ''));
  }

  /** Expansion environment: ENV wins over ARG of the same name. */
  private expandEnv(state: BuildState, sc: StageContext): string[] {
    const env = state.config.config?.Env ?? [];
    const names = envMap(env);
    const out = [...env];
    for (const [k, v] of sc.args) if (v !== undefined && !names.has(k)) out.push(`${k}=${v}`);
    return out;
  }

  private async step(state: BuildState, raw: Command, sc: StageContext, out: BuildOutput, stageIdx: number): Promise<BuildState> {
    const cmd = raw.kind === 'onbuild' ? raw : this.req.frontend.expand(raw, this.expandEnv(state, sc));
    if (cmd.kind === 'arg') return this.metaStep(state, cmd, sc, out);
    if (cmd.kind === 'run') return this.runInstruction(state, cmd, sc, out, stageIdx);
    if (cmd.kind === 'copy' || cmd.kind === 'add') return this.copyInstruction(state, cmd, out, stageIdx);
    if (cmd.kind === 'workdir') return this.workdirInstruction(state, cmd, out);
    return this.metaStep(state, cmd, sc, out);
  }

  private async cached(key: string, out: BuildOutput): Promise<BuildState | undefined> {
    if (this.req.noCache) return undefined;
    const rec = this.d.cache.get(key);
    if (!rec) return undefined;
    try {
      await this.ensureChain(rec.state);
    } catch {
      await this.d.cache.delete(key); // its layer is gone: the step is made again
      return undefined;
    }
    this.d.cache.touch(rec);
    out.stream(' ---> Using cache\n');
    out.stream(` ---> ${stateId(rec.state).slice(0, 12)}\n`);
    return structuredClone(rec.state);
  }

  /** Snapshots for every layer of the state (an image removal may have taken some). */
  private async ensureChain(s: BuildState): Promise<void> {
    if (s.chainId === null || await hasSnapshot(this.d.snapshotter, s.chainId)) return;
    let parent: Digest | null = null;
    for (const diffId of s.config.rootfs.diff_ids) {
      const chain = nextChainId(parent, diffId);
      if (!await hasSnapshot(this.d.snapshotter, chain)) {
        const layer = s.layers[s.config.rootfs.diff_ids.indexOf(diffId)];
        if (!layer) throw new NotFound(`layer ${diffId} is gone`);
        await unpackLayer(this.d.snapshotter, parent, () => this.d.images.content.readStream(layer.digest), { diffId, signal: this.signal });
      }
      parent = chain;
    }
  }

  private async store(key: string, parent: BuildState, next: BuildState, description: string, layer: NewLayer | undefined, out: BuildOutput): Promise<BuildState> {
    next.key = key;
    const now = Date.now();
    const rec: CacheRecord = {
      key, parent: parent.key, description, state: next, created: now, lastUsed: now, usage: 1,
      ...(layer ? { layer: { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size, unpackedSize: layer.size } } : {}),
    };
    await this.d.cache.put(rec);
    out.stream(` ---> ${stateId(next).slice(0, 12)}\n`);
    return next;
  }

  /** The state with one more history entry (and layer). */
  private advance(state: BuildState, runtime: ImageRuntimeConfig, createdBy: string, layer?: NewLayer): BuildState {
    const h: HistoryEntry = { created: this.now(), created_by: createdBy };
    if (!layer) h.empty_layer = true;
    const config: ImageConfigBlob = {
      ...state.config,
      created: h.created,
      config: runtime,
      rootfs: { type: 'layers', diff_ids: layer ? [...state.config.rootfs.diff_ids, layer.diffId] : [...state.config.rootfs.diff_ids] },
      history: [...(state.config.history ?? []), h],
    };
    return {
      ...state, config,
      layers: layer ? [...state.layers, layer.descriptor] : [...state.layers],
      layerSizes: layer ? [...state.layerSizes, layer.size] : [...state.layerSizes],
      chainId: layer ? layer.chainId : state.chainId,
    };
  }

  private shellOf(state: BuildState): string[] {
    const sh = state.config.config?.Shell;
    return sh && sh.length ? sh : DEFAULT_SHELL;
  }

  private nop(state: BuildState, text: string, oneSpace = false): string {
    // dockerd: the shell, "#(nop) " and the instruction as separate words (two spaces), or one string.
    return oneSpace ? `${this.shellOf(state).join(' ')} #(nop) ${text}` : `${this.shellOf(state).join(' ')} #(nop)  ${text}`;
  }

  private keyOf(state: BuildState, cmd: Command, ...inputs: string[]): string {
    const { line: _l, original: _o, ...rest } = cmd as Command & { line: number; original: string };
    void _l;
    void _o;
    return sha(state.key, JSON.stringify(rest), ...inputs);
  }

  private async metaStep(state: BuildState, cmd: Command, sc: StageContext, out: BuildOutput): Promise<BuildState> {
    const rt: ImageRuntimeConfig = structuredClone(state.config.config ?? {});
    switch (cmd.kind) {
      case 'arg': {
        const parts: string[] = [];
        for (const a of cmd.args) {
          let v = a.value;
          if (v === undefined && sc.metaAllowed.has(a.key)) v = this.metaEnv.get(a.key);
          v = this.argValue(a.key, v);
          sc.args.set(a.key, v);
          parts.push(a.value === undefined ? a.key : `${a.key}=${a.value}`);
        }
        const text = `ARG ${parts.join(' ')}`;
        // The values are part of the key: a different --build-arg is a different step.
        return this.simple(state, cmd, rt, this.nop(state, text), out, JSON.stringify(cmd.args.map((a) => [a.key, sc.args.get(a.key) ?? null])));
      }
      case 'maintainer':
        return this.simple(state, cmd, rt, this.nop(state, `MAINTAINER ${cmd.maintainer}`), out, '', cmd.maintainer);
      default: {
        const text = applyMeta(cmd, rt, { shell: this.shellOf(state), stage: sc });
        return this.simple(state, cmd, rt, this.nop(state, text), out, '');
      }
    }
  }

  private async simple(state: BuildState, cmd: Command, rt: ImageRuntimeConfig, createdBy: string, out: BuildOutput, input: string, author?: string): Promise<BuildState> {
    const key = this.keyOf(state, cmd, input);
    const hit = await this.cached(key, out);
    if (hit) return hit;
    let next = this.advance(state, rt, createdBy);
    if (author !== undefined) next = { ...next, config: { ...next.config, author } };
    return this.store(key, state, next, createdBy, undefined, out);
  }

  /** The step's parent layers as dirs (nearest first), for lookups in the image being built. */
  private async layerDirs(state: BuildState): Promise<string[]> {
    if (state.chainId === null) return [];
    await this.ensureChain(state);
    return [await this.d.snapshotter.dir(state.chainId), ...await this.d.snapshotter.parentDirs(state.chainId)];
  }

  private async runInstruction(state: BuildState, cmd: Extract<Command, { kind: 'run' }>, sc: StageContext, out: BuildOutput, stageIdx: number): Promise<BuildState> {
    if (cmd.security === 'insecure') throw new InvalidArgument('RUN --security=insecure is not allowed by this builder');
    const rt = state.config.config ?? {};
    let args = cmd.shell ? [...this.shellOf(state), cmd.cmd.join(' ')] : [...cmd.cmd];
    let script: HeredocCommand['script'];
    if (cmd.heredocs.length) {
      if (!cmd.shell) throw new InvalidArgument('RUN with heredocs needs the shell form');
      ({ args, script } = heredocCommand(cmd.cmd.join(' '), cmd.heredocs, this.shellOf(state)));
    }
    if (args.length === 0) throw new InvalidArgument('RUN needs a command');
    const env = rt.Env ?? [];
    const envNames = envMap(env);
    // Build args reach RUN's environment (not the image's), ENV winning over an ARG of the same name.
    const argPairs = [...sc.args].filter(([k, v]) => v !== undefined && !envNames.has(k)).map(([k, v]) => `${k}=${v!}`).sort();
    const display = args.join(' ');
    const createdBy = argPairs.length ? `|${argPairs.length} ${argPairs.join(' ')} ${display}` : display;
    // RUN --network=default is the build's mode (--network), the default bridge unless it says otherwise.
    const network = cmd.network === 'default' ? this.req.network ?? 'default' : cmd.network;
    const mountDeps: RunMountDeps = {
      buildRoot: this.d.buildRoot, secretsRoot: this.d.secretsRoot, secrets: this.req.secrets ?? new Map(), workdir: rt.WorkingDir || '/',
      withSource: (from, fn) => this.withSourceRoot(from, stageIdx, fn),
      sourceIdentity: (from) => this.sourceIdentity(from, stageIdx),
    };
    const mounts = cmd.mounts ?? [];
    const key = this.keyOf(state, cmd, createdBy, String(this.epochMs ?? ''), ...await mountKeyInputs(mounts, mountDeps));
    const hit = await this.cached(key, out);
    if (hit) return hit;
    await this.ensureChain(state);
    const runId = randomBytes(6).toString('hex');
    out.stream(` ---> Running in ${runId}\n`);
    const layer = await withRunMounts(mounts, mountDeps, async (extra) => {
      const stepMounts = [...extra.mounts];
      if (script) {
        const dir = join(this.d.buildRoot, 'tmp', `heredoc-${runId}`);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(join(dir, 'script'), script.data, { mode: 0o755 });
        stepMounts.push({ type: 'bind', source: join(dir, 'script'), destination: `/dev/pipes/${script.name}`, readonly: true });
      }
      try {
        return await runStep({ snapshotter: this.d.snapshotter, buildRoot: this.d.buildRoot, runcRoot: this.d.runcRoot, ...(this.d.networks ? { networks: this.d.networks } : {}) }, {
          runId, parent: state.chainId, args, env: [...env, ...argPairs, ...extra.env], user: rt.User ?? '', cwd: rt.WorkingDir || '/', network, mounts: stepMounts, extraHosts: this.req.extraHosts ?? [], display, out, signal: this.signal, options: this.req.runOptions,
        }, async (r) => {
          if (r.empty) return undefined;
          // With SOURCE_DATE_EPOCH the layer's times are rewritten, so it is unpacked from its tar.
          if (this.epochMs !== undefined) return layerFromUpper(this.deps(), state.chainId, r.upperDir, { epochMs: this.epochMs, signal: this.signal });
          return commitUpper(this.deps(), state.chainId, r.key, r.upperDir, { signal: this.signal });
        });
      } finally {
        if (script) await rm(join(this.d.buildRoot, 'tmp', `heredoc-${runId}`), { recursive: true, force: true });
      }
    });
    out.stream(`Removing intermediate container ${runId}\n`);
    const next = this.advance(state, structuredClone(rt), createdBy, layer);
    return this.store(key, state, next, createdBy, layer, out);
  }

  /** What a RUN --mount's from= is, for the cache key: a stage's or an image's config digest; undefined for the context. */
  private async sourceIdentity(from: string | undefined, stageIdx: number): Promise<string | undefined> {
    if (!from) return undefined;
    const i = this.stageRef(from, stageIdx);
    if (i !== undefined) return `stage:${stateId(await this.stageResult(i))}`;
    return `image:${(await this.image(from, 'from')).id}`;
  }

  private deps(): { content: ImageStore['content']; snapshotter: OverlaySnapshotter } {
    return { content: this.d.images.content, snapshotter: this.d.snapshotter };
  }

  private async workdirInstruction(state: BuildState, cmd: Extract<Command, { kind: 'workdir' }>, out: BuildOutput): Promise<BuildState> {
    const rt: ImageRuntimeConfig = structuredClone(state.config.config ?? {});
    const dir = posix.resolve(rt.WorkingDir || '/', cmd.path);
    rt.WorkingDir = dir;
    const createdBy = this.nop(state, `WORKDIR ${dir}`, true);
    const key = this.keyOf(state, cmd, dir);
    const hit = await this.cached(key, out);
    if (hit) return hit;
    const layers = await this.layerDirs(state);
    const missing: string[] = [];
    const parts = dir.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      const st = await mergedLstat(layers, p);
      if (st === 'blocked' || (st && !st.isDirectory())) throw new InvalidArgument(`failed to create WORKDIR ${dir}: /${p} is not a directory`);
      if (!st) missing.push(p);
    }
    let layer: NewLayer | undefined;
    if (missing.length) {
      const mtime = this.epochMs ?? Math.floor(Date.now() / 1000) * 1000;
      async function* entries(): AsyncGenerator<{ header: { name: string; type: 'directory'; mode: number; uid: number; gid: number; size: number; mtime: number } }> {
        for (const p of missing) yield { header: { name: `${p}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime } };
      }
      layer = await layerFromEntries(this.deps(), state.chainId, entries(), { epochMs: this.epochMs, signal: this.signal });
    }
    return this.store(key, state, this.advance(state, rt, createdBy, layer), createdBy, layer, out);
  }

  /** The filesystem COPY --from reads: a stage's or image's layers mounted read-only for the step. */
  private async withSourceRoot<T>(from: string | undefined, stageIdx: number, fn: (root: string, fromContext: boolean) => Promise<T>): Promise<T> {
    if (!from) return fn(this.req.contextDir, true);
    const i = this.stageRef(from, stageIdx);
    let chain: Digest | null;
    if (i !== undefined) {
      const s = await this.stageResult(i);
      await this.ensureChain(s);
      chain = s.chainId;
    } else {
      chain = (await this.image(from, 'from')).chainId;
    }
    const key = `build-view-${randomBytes(8).toString('hex')}`;
    const target = join(this.d.buildRoot, 'mnt', key);
    await mkdir(target, { recursive: true });
    try {
      if (chain === null) return await fn(target, false);
      await this.d.snapshotter.view(key, chain);
      try {
        mountAll(await this.d.snapshotter.mounts(key), target);
        try {
          return await fn(target, false);
        } finally {
          unmountAll(target);
        }
      } finally {
        await this.d.snapshotter.remove(key);
      }
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }

  private async copyInstruction(state: BuildState, cmd: Extract<Command, { kind: 'copy' | 'add' }>, out: BuildOutput, stageIdx: number): Promise<BuildState> {
    const verb = cmd.kind.toUpperCase();
    // --link's layer is made as COPY's (on its own, from the sources alone): the image is the same, and
    // its cache key still follows the parent's (a rebase reuses nothing; BuildKit's merge would).
    if (cmd.kind === 'add' && cmd.sources.some(isGitSource)) throw new InvalidArgument(`ADD of a git repository (${cmd.sources.find(isGitSource)!}) is not supported by this builder: clone it into the context`);
    if (cmd.kind === 'copy' && cmd.sources.some((s) => /^https?:\/\//i.test(s))) throw new InvalidArgument('COPY failed: source can\'t be a URL for COPY');
    const rt = state.config.config ?? {};
    const layers = await this.layerDirs(state);
    const joined = cmd.dest.startsWith('/') ? cmd.dest : posix.join(rt.WorkingDir || '/', cmd.dest);
    const dest = !joined.endsWith('/') && (cmd.dest.endsWith('/') || cmd.dest === '.') ? `${joined}/` : joined;
    const owner = cmd.chown ? await resolveChown(cmd.chown, layers) : undefined;
    const chmod = cmd.chmod ? parseChmod(cmd.chmod) : undefined;
    await mkdir(join(this.d.buildRoot, 'tmp'), { recursive: true });
    return this.withSourceRoot(cmd.kind === 'copy' ? cmd.from : undefined, stageIdx, async (root, fromContext) => {
      const plan: CopyPlan = await planCopy({
        kind: cmd.kind, root, fromContext, sources: cmd.sources, dest, parentLayers: layers,
        inline: cmd.contents.map((c) => ({ name: c.path, data: c.data })),
        tmpRoot: join(this.d.buildRoot, 'tmp'), signal: this.signal, exclude: cmd.exclude,
        ...(cmd.kind === 'copy' && cmd.parents ? { parents: true } : {}), ...(cmd.kind === 'add' && cmd.checksum ? { checksum: cmd.checksum } : {}),
        ...(owner ? { owner } : {}), ...(chmod !== undefined ? { chmod } : {}),
      });
      try {
        const createdBy = this.nop(state, `${verb} ${plan.describe}`, true);
        const key = this.keyOf(state, cmd, plan.digest, String(this.epochMs ?? ''));
        const hit = await this.cached(key, out);
        if (hit) return hit;
        const layer = await layerFromEntries(this.deps(), state.chainId, plan.entries(), { epochMs: this.epochMs, signal: this.signal });
        return await this.store(key, state, this.advance(state, structuredClone(rt), createdBy, layer), createdBy, layer, out);
      } finally {
        await plan.dispose();
      }
    });
  }

  private async finish(state: BuildState): Promise<Image> {
    const { req } = this;
    trace(`build-req-finish`, 'steps done');
    const config = structuredClone(state.config);
    if (req.labels && Object.keys(req.labels).length) {
      config.config = { ...config.config, Labels: { ...(config.config?.Labels ?? {}), ...req.labels } };
    }
    const unused = Object.keys(this.buildArgs).filter((k) => !this.usedArgs.has(k) && !(k in PLATFORM_ARGS)).sort();
    if (unused.length) req.out.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    for (const t of req.tags ?? []) parseTagReference(t);
    await this.ensureChain(state);
    const bytes = configBytes(config);
    const img = await this.d.images.create({ config, configBytes: bytes, layers: state.layers, layerSizes: state.layerSizes, tags: req.tags ?? [] });
    trace(`build-req-finish`, 'image stored');
    traceEnd('build-req-finish');
    req.out.aux({ ID: img.id });
    req.out.stream(`Successfully built ${img.id.slice(7, 19)}\n`);
    for (const t of req.tags ?? []) req.out.stream(`Successfully tagged ${familiarString(parseTagReference(t))}\n`);
    return img;
  }
}

/** A git remote as BuildKit's ADD recognises one (git@, git://, ssh://, or an http(s) URL of a .git repo). */
function isGitSource(s: string): boolean {
  return /^(git@|git:\/\/|ssh:\/\/)/.test(s) || /^https?:\/\/[^#]*\.git(#.*)?$/i.test(s);
}
