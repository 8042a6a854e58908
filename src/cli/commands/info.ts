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
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Log?: string[] | null } | null;
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
      println(ctx.out, compile(f).execute({ ...info, ClientInfo: { Version: version(), Context: 'default', Debug: false } }));
      return 0;
    }
    const l: string[] = ['Client:', ` Version:    ${version()}`, ' Context:    default', ' Debug Mode: false', ''];
    if (!info) {
      println(ctx.out, l.join('\n'));
      println(ctx.err, errorLine(err));
      return 1;
    }
    l.push('Server:');
    l.push(` Containers: ${info.Containers ?? 0}`, `  Running: ${info.ContainersRunning ?? 0}`, `  Paused: ${info.ContainersPaused ?? 0}`, `  Stopped: ${info.ContainersStopped ?? 0}`);
    l.push(` Images: ${info.Images ?? 0}`);
    l.push(` Server Version: ${info.ServerVersion ?? ''}`);
    l.push(` Storage Driver: ${info.Driver ?? ''}`);
    for (const [k, v] of info.DriverStatus ?? []) l.push(`  ${k}: ${v}`);
    if (info.CgroupDriver) l.push(` Cgroup Driver: ${info.CgroupDriver}`);
    if (info.CgroupVersion) l.push(` Cgroup Version: ${info.CgroupVersion}`);
    if (info.Plugins) {
      l.push(' Plugins:');
      if (info.Plugins.Volume) l.push(`  Volume: ${info.Plugins.Volume.join(' ')}`);
      if (info.Plugins.Network) l.push(`  Network: ${info.Plugins.Network.join(' ')}`);
      if (info.Plugins.Log) l.push(`  Log: ${info.Plugins.Log.join(' ')}`);
    }
    if (info.Runtimes) l.push(` Runtimes: ${Object.keys(info.Runtimes).sort().join(' ')}`);
    if (info.DefaultRuntime) l.push(` Default Runtime: ${info.DefaultRuntime}`);
    if (info.SecurityOptions?.length) {
      l.push(' Security Options:');
      for (const o of info.SecurityOptions) {
        const parts = o.split(',');
        l.push(`  ${parts[0].replace(/^name=/, '')}`);
        for (const kv of parts.slice(1)) {
          const [k, v] = kv.split('=');
          l.push(`   ${k.charAt(0).toUpperCase()}${k.slice(1)}: ${v}`);
        }
      }
    }
    l.push(` Kernel Version: ${info.KernelVersion ?? ''}`);
    l.push(` Operating System: ${info.OperatingSystem ?? ''}`);
    l.push(` OSType: ${info.OSType ?? ''}`);
    l.push(` Architecture: ${info.Architecture ?? ''}`);
    l.push(` CPUs: ${info.NCPU ?? 0}`);
    l.push(` Total Memory: ${bytesSize(info.MemTotal ?? 0)}`);
    l.push(` Name: ${info.Name ?? ''}`);
    l.push(` ID: ${info.ID ?? ''}`);
    l.push(` Minke Root Dir: ${info.DockerRootDir ?? ''}`);
    l.push(` Debug Mode: ${info.Debug === true}`);
    if (info.Labels?.length) l.push(' Labels:', ...info.Labels.map((x) => `  ${x}`));
    l.push(` Experimental: ${info.Experimental === true}`);
    l.push(` Live Restore Enabled: ${info.LiveRestoreEnabled === true}`);
    println(ctx.out, `${l.join('\n')}\n`);
    for (const w of info.Warnings ?? []) println(ctx.err, w);
    return 0;
  },
};
