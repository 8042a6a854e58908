import type { Command } from '../command.js';
import { API_VERSION } from '../client.js';
import { errorLine, println } from '../command.js';
import { compile } from '../listing.js';
import { version } from '../meta.js';

interface ServerVersion {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  BuildTime?: string;
  Experimental?: boolean;
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
}

function arch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

export const command: Command = {
  spec: {
    name: 'version',
    usage: '[OPTIONS]',
    description: 'Show the minke version information',
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
    maxArgs: 0,
  },
  async run(ctx, p) {
    const client = {
      Version: version(),
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: process.platform,
      Arch: arch(),
      BuildTime: '',
      Context: 'default',
    };
    let server: ServerVersion | undefined;
    let err: unknown;
    try {
      server = await ctx.client().get<ServerVersion>('/version');
    } catch (e) {
      err = e;
    }
    const format = p.str('format');
    if (format) {
      println(ctx.out, compile(format).execute({ Client: client, Server: server ?? null }));
    } else {
      const pad = (k: string, w: number): string => `${k}:`.padEnd(w);
      const lines = [
        'Client:',
        ` ${pad('Version', 19)}${client.Version}`,
        ` ${pad('API version', 19)}${client.ApiVersion}`,
        ` ${pad('Node version', 19)}${process.version}`,
        ` ${pad('OS/Arch', 19)}${client.Os}/${client.Arch}`,
        ` ${pad('Context', 19)}${client.Context}`,
      ];
      if (server) {
        lines.push('', 'Server:', ' Engine:');
        lines.push(`  ${pad('Version', 18)}${server.Version ?? ''}`);
        lines.push(`  ${pad('API version', 18)}${server.ApiVersion ?? ''}${server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : ''}`);
        if (server.GoVersion) lines.push(`  ${pad('Go version', 18)}${server.GoVersion}`);
        if (server.GitCommit) lines.push(`  ${pad('Git commit', 18)}${server.GitCommit}`);
        if (server.BuildTime) lines.push(`  ${pad('Built', 18)}${server.BuildTime}`);
        lines.push(`  ${pad('OS/Arch', 18)}${server.Os ?? ''}/${server.Arch ?? ''}`);
        lines.push(`  ${pad('Experimental', 18)}${server.Experimental === true}`);
        for (const c of server.Components ?? []) {
          if (c.Name === 'Engine') continue;
          lines.push(` ${c.Name}:`, `  ${pad('Version', 18)}${c.Version}`);
          for (const [k, v] of Object.entries(c.Details ?? {})) lines.push(`  ${pad(k, 18)}${v}`);
        }
      }
      println(ctx.out, lines.join('\n'));
    }
    if (err) {
      println(ctx.err, errorLine(err));
      return 1;
    }
    return 0;
  },
};
