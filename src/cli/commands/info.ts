import type { Command } from '../command.js';
import { errorLine, println } from '../command.js';
import { bytesSize } from '../format.js';
import { compile } from '../listing.js';
import { version } from '../meta.js';

type Info = Record<string, unknown> & {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null } | null;
  SystemStatus?: [string, string][] | null;
  LoggingDriver?: string;
  CDISpecDirs?: string[] | null;
  Swarm?: { LocalNodeState?: string } | null;
  InitBinary?: string;
  ContainerdCommit?: { ID?: string } | null;
  RuncCommit?: { ID?: string } | null;
  InitCommit?: { ID?: string } | null;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  NEventsListener?: number;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  ExperimentalBuild?: boolean;
  RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null; Mirrors?: string[] | null } | null;
  DefaultAddressPools?: { Base: string; Size: number }[] | null;
  Runtimes?: Record<string, unknown> | null;
  DefaultRuntime?: string;
  SecurityOptions?: string[] | null;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  DockerRootDir?: string;
  Name?: string;
  ID?: string;
  Debug?: boolean;
  Labels?: string[] | null;
  Experimental?: boolean;
  LiveRestoreEnabled?: boolean;
  Warnings?: string[] | null;
};

/** system.Info as docker 28's CLI marshals it: fields it no longer has dropped, its key order. */
function asDockerInfo(info: Info): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) {
    if (k === 'BridgeNfIptables' || k === 'BridgeNfIp6tables' || (k === 'KernelMemoryTCP' && !v)) continue;
    if (k === 'RegistryConfig' && v && typeof v === 'object') {
      const r = v as Record<string, unknown>;
      const reg: Record<string, unknown> = {};
      for (const rk of ['AllowNondistributableArtifactsCIDRs', 'AllowNondistributableArtifactsHostnames']) if (Array.isArray(r[rk]) && (r[rk] as unknown[]).length) reg[rk] = r[rk];
      // Each index entry in the order docker 28 marshals it.
      const index = r.IndexConfigs as Record<string, Record<string, unknown>> | null | undefined;
      reg.IndexConfigs = index ? Object.fromEntries(Object.entries(index).map(([name, e]) => [name, { Mirrors: e.Mirrors, Name: e.Name, Official: e.Official, Secure: e.Secure }])) : null;
      reg.InsecureRegistryCIDRs = r.InsecureRegistryCIDRs ?? null;
      reg.Mirrors = r.Mirrors ?? null;
      out[k] = reg;
      continue;
    }
    // docker 28's Commit: Expected (deprecated) is omitted when empty.
    if ((k === 'ContainerdCommit' || k === 'RuncCommit' || k === 'InitCommit') && v && typeof v === 'object') {
      const { Expected, ...rest } = v as { ID?: string; Expected?: string };
      out[k] = Expected ? { ...rest, Expected } : rest;
      continue;
    }
    out[k] = v;
  }
  return out;
}

export const command: Command = {
  spec: {
    name: 'info',
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    aliases: ['system info', 'info'],
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const format = p.str('format');
    let info: Info | undefined;
    let err: unknown;
    try {
      info = await ctx.client().get<Info>('/info');
    } catch (e) {
      err = e;
    }
    if (format) {
      if (err) throw err;
      const f = format === 'json' ? '{{json .}}' : format;
      println(ctx.out, compile(f).execute({ ...asDockerInfo(info as Info), ClientInfo: { Version: version(), Context: 'default', Debug: false } }));
      return 0;
    }
    const l: string[] = ['Client:', ` Version:    ${version()}`, ' Context:    default', ' Debug Mode: false', ''];
    if (!info) {
      println(ctx.out, l.join('\n'));
      println(ctx.err, errorLine(err));
      return 1;
    }
    // docker's prettyPrintServerInfo, line for line
    const nonEmpty = (label: string, v: unknown): void => {
      if (v !== undefined && v !== null && v !== '') l.push(`${label} ${String(v)}`);
    };
    l.push('Server:');
    l.push(` Containers: ${info.Containers ?? 0}`, `  Running: ${info.ContainersRunning ?? 0}`, `  Paused: ${info.ContainersPaused ?? 0}`, `  Stopped: ${info.ContainersStopped ?? 0}`);
    l.push(` Images: ${info.Images ?? 0}`);
    nonEmpty(' Server Version:', info.ServerVersion);
    nonEmpty(' Storage Driver:', info.Driver);
    for (const [k, v] of info.DriverStatus ?? []) l.push(`  ${k}: ${v}`);
    for (const [k, v] of info.SystemStatus ?? []) l.push(` ${k}: ${v}`);
    nonEmpty(' Logging Driver:', info.LoggingDriver);
    nonEmpty(' Cgroup Driver:', info.CgroupDriver);
    nonEmpty(' Cgroup Version:', info.CgroupVersion);
    const plugins = info.Plugins ?? {};
    l.push(' Plugins:', `  Volume: ${(plugins.Volume ?? []).join(' ')}`, `  Network: ${(plugins.Network ?? []).join(' ')}`);
    if (plugins.Authorization?.length) l.push(`  Authorization: ${plugins.Authorization.join(' ')}`);
    l.push(`  Log: ${(plugins.Log ?? []).join(' ')}`);
    if (info.CDISpecDirs?.length) l.push(' CDI spec directories:', ...info.CDISpecDirs.map((d) => `  ${d}`));
    l.push(` Swarm: ${info.Swarm?.LocalNodeState ?? ''}`);
    const runtimes = Object.keys(info.Runtimes ?? {});
    if (runtimes.length) l.push(` Runtimes: ${runtimes.sort().join(' ')}`, ` Default Runtime: ${info.DefaultRuntime ?? ''}`);
    if (info.OSType === 'linux') {
      l.push(` Init Binary: ${info.InitBinary ?? ''}`);
      for (const [name, c] of [['containerd', info.ContainerdCommit], ['runc', info.RuncCommit], ['init', info.InitCommit]] as const) l.push(` ${name} version: ${c?.ID ?? ''}`);
      if (info.SecurityOptions?.length) {
        l.push(' Security Options:');
        for (const o of info.SecurityOptions) {
          const kvs = o.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]);
          const name = kvs.find(([k]) => k === 'name')?.[1] ?? '';
          l.push(`  ${name}`);
          for (const [k, v] of kvs) if (k === 'profile') l.push(`   Profile: ${v}`);
        }
      }
    }
    nonEmpty(' Kernel Version:', info.KernelVersion);
    nonEmpty(' Operating System:', info.OperatingSystem);
    nonEmpty(' OSType:', info.OSType);
    nonEmpty(' Architecture:', info.Architecture);
    l.push(` CPUs: ${info.NCPU ?? 0}`);
    l.push(` Total Memory: ${bytesSize(info.MemTotal ?? 0)}`);
    nonEmpty(' Name:', info.Name);
    nonEmpty(' ID:', info.ID);
    l.push(` Minke Root Dir: ${info.DockerRootDir ?? ''}`);
    l.push(` Debug Mode: ${info.Debug === true}`);
    if (info.Debug) l.push(`  File Descriptors: ${info.NFd ?? 0}`, `  Goroutines: ${info.NGoroutines ?? 0}`, `  System Time: ${info.SystemTime ?? ''}`, `  EventsListeners: ${info.NEventsListener ?? 0}`);
    nonEmpty(' HTTP Proxy:', info.HttpProxy);
    nonEmpty(' HTTPS Proxy:', info.HttpsProxy);
    nonEmpty(' No Proxy:', info.NoProxy);
    if (info.Labels?.length) l.push(' Labels:', ...info.Labels.map((x) => `  ${x}`));
    l.push(` Experimental: ${info.ExperimentalBuild === true}`);
    const reg = info.RegistryConfig;
    if (reg && ((reg.InsecureRegistryCIDRs ?? []).length || Object.keys(reg.IndexConfigs ?? {}).length)) {
      l.push(' Insecure Registries:');
      for (const r of Object.values(reg.IndexConfigs ?? {})) if (!r.Secure) l.push(`  ${r.Name}`);
      for (const c of reg.InsecureRegistryCIDRs ?? []) l.push(`  ${c}`);
    }
    if (reg?.Mirrors?.length) l.push(' Registry Mirrors:', ...reg.Mirrors.map((m) => `  ${m}`));
    l.push(` Live Restore Enabled: ${info.LiveRestoreEnabled === true}`);
    if (info.DefaultAddressPools?.length) l.push(' Default Address Pools:', ...info.DefaultAddressPools.map((p) => `   Base: ${p.Base}, Size: ${p.Size}`));
    println(ctx.out, `${l.join('\n')}\n`);
    for (const w of info.Warnings ?? []) println(ctx.err, w);
    return 0;
  },
};
