/**
 * The instructions that change only the image's config (ENV, LABEL, USER, EXPOSE, VOLUME,
 * STOPSIGNAL, CMD, ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD): applied to the runtime config, with
 * the text the legacy builder writes in the history entry ("ENV a=b").
 */
import { InvalidArgument } from '../../core/errors.js';
import type { ImageRuntimeConfig } from '../images/types.js';
import type { Command } from './instructions.js';

export function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  return m;
}

function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = env.filter((e) => !(e === key || e.startsWith(`${key}=`)));
  const at = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (at >= 0) {
    const copy = [...env];
    copy[at] = `${key}=${value}`;
    return copy;
  }
  return [...out, `${key}=${value}`];
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(a: readonly string[] | null | undefined): string {
  return `[${(a ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

function goDuration(ns: number | undefined): string {
  if (!ns) return '0s';
  const s = ns / 1e9;
  return Number.isInteger(s) ? `${s}s` : `${s}s`;
}

/** Per-stage scope: the ARGs declared so far (value undefined: declared, unset), CMD seen. */
export class StageContext {
  readonly args = new Map<string, string | undefined>();
  readonly metaAllowed = new Set<string>();
  cmdSet = false;
}

/** EXPOSE 80, 80/udp, 8000-8002/tcp: nat.ParsePortSpecs' keys. */
export function expandPortRange(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec.trim());
  if (!m) throw new InvalidArgument(`invalid containerPort: ${spec}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (hi < lo || hi > 65535) throw new InvalidArgument(`invalid range specified for container port: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

export interface MetaOptions {
  /** The stage's SHELL (or the default one) for shell-form CMD and ENTRYPOINT. */
  shell: string[];
  stage: StageContext;
}

/** Applies a config-only instruction to rt; returns the history text. Throws for other kinds. */
export function applyMeta(cmd: Command, rt: ImageRuntimeConfig, o: MetaOptions): string {
  let text: string;
  switch (cmd.kind) {
      case 'env': {
        let env = rt.Env ?? [];
        for (const p of cmd.pairs) env = setEnv(env, p.key, p.value);
        rt.Env = env;
        text = `ENV ${cmd.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
        break;
      }
      case 'label':
        rt.Labels = { ...(rt.Labels ?? {}) };
        for (const p of cmd.pairs) rt.Labels[p.key] = p.value;
        text = `LABEL ${cmd.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
        break;
      case 'user':
        rt.User = cmd.user;
        text = `USER ${cmd.user}`;
        break;
      case 'expose': {
        rt.ExposedPorts = { ...(rt.ExposedPorts ?? {}) };
        const ports: string[] = [];
        for (const p of cmd.ports) {
          for (const one of expandPortRange(p)) {
            rt.ExposedPorts[one] = {};
            ports.push(one);
          }
        }
        text = `EXPOSE ${cmd.ports.join(' ')}`;
        void ports;
        break;
      }
      case 'volume':
        rt.Volumes = { ...(rt.Volumes ?? {}) };
        for (const v of cmd.volumes) {
          if (v.trim() === '') throw new InvalidArgument('VOLUME specified can not be an empty string');
          rt.Volumes[v] = {};
        }
        text = `VOLUME [${cmd.volumes.join(' ')}]`;
        break;
      case 'stopsignal':
        rt.StopSignal = cmd.signal;
        text = `STOPSIGNAL ${cmd.signal}`;
        break;
      case 'cmd': {
        rt.Cmd = cmd.shell ? [...o.shell, cmd.cmd.join(' ')] : [...cmd.cmd];
        o.stage.cmdSet = true;
        text = `CMD ${goQuoted(rt.Cmd)}`;
        break;
      }
      case 'entrypoint': {
        rt.Entrypoint = cmd.shell ? [...o.shell, cmd.cmd.join(' ')] : [...cmd.cmd];
        // dockerd: an ENTRYPOINT drops the CMD the base image had, unless this stage set one.
        if (!o.stage.cmdSet) rt.Cmd = null;
        text = `ENTRYPOINT ${goQuoted(rt.Entrypoint)}`;
        break;
      }
      case 'healthcheck': {
        if (cmd.test[0] === 'NONE') rt.Healthcheck = { Test: ['NONE'] };
        else {
          rt.Healthcheck = { Test: [...cmd.test] };
          if (cmd.interval) rt.Healthcheck.Interval = cmd.interval;
          if (cmd.timeout) rt.Healthcheck.Timeout = cmd.timeout;
          if (cmd.startPeriod) rt.Healthcheck.StartPeriod = cmd.startPeriod;
          if (cmd.startInterval) rt.Healthcheck.StartInterval = cmd.startInterval;
          if (cmd.retries) rt.Healthcheck.Retries = cmd.retries;
        }
        const hc = rt.Healthcheck;
        text = `HEALTHCHECK &{${goQuoted(hc.Test)} "${goDuration(hc.Interval)}" "${goDuration(hc.Timeout)}" "${goDuration(hc.StartPeriod)}" "${goDuration(hc.StartInterval)}" '\\x${(hc.Retries ?? 0).toString(16).padStart(2, '0')}'}`;
        break;
      }
      case 'shell':
        rt.Shell = [...cmd.shell];
        text = `SHELL [${cmd.shell.join(' ')}]`;
        break;
      case 'onbuild':
        if (/^\s*(ONBUILD|FROM|MAINTAINER)\b/i.test(cmd.expression)) {
          const word = /^\s*(\S+)/.exec(cmd.expression)![1]!.toUpperCase();
          throw new InvalidArgument(word === 'ONBUILD' ? 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed' : `${word} isn't allowed as an ONBUILD trigger`);
        }
        rt.OnBuild = [...(rt.OnBuild ?? []), cmd.expression];
        text = `ONBUILD ${cmd.expression}`;
        break;
    default:
      throw new InvalidArgument(`unsupported instruction: ${cmd.original}`);
  }
  return text;
}
