import type { Command } from '../command.js';
import { API_VERSION } from '../client.js';
import { errorLine, println } from '../command.js';
import { compile } from '../listing.js';
import { version } from '../meta.js';

interface ServerVersion {
  Platform?: { Name: string };
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

/** types.Version as docker's CLI marshals it: the struct's order, empty build fields omitted. */
function serverJSON(v: ServerVersion): Record<string, unknown> {
  return {
    Platform: v.Platform ?? { Name: '' },
    Components: v.Components ?? null,
    Version: v.Version ?? '',
    ApiVersion: v.ApiVersion ?? '',
    MinAPIVersion: v.MinAPIVersion || undefined,
    GitCommit: v.GitCommit ?? '',
    GoVersion: v.GoVersion ?? '',
    Os: v.Os ?? '',
    Arch: v.Arch ?? '',
    KernelVersion: v.KernelVersion || undefined,
    Experimental: v.Experimental || undefined,
    BuildTime: v.BuildTime || undefined,
  };
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
      println(ctx.out, compile(format === 'json' ? '{{json .}}' : format).execute({ Client: client, Server: server ? serverJSON(server) : null }));
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
        // docker's defaultVersionTemplate: the server section is drawn from its components
        lines.push('', `Server:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}`);
        for (const c of server.Components ?? []) {
          const d = c.Details ?? {};
          lines.push(` ${c.Name}:`);
          if (c.Name === 'Engine') {
            lines.push(
              `  ${pad('Version', 18)}${c.Version}`,
              `  ${pad('API version', 18)}${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})`,
              `  ${pad('Go version', 18)}${d.GoVersion ?? ''}`,
              `  ${pad('Git commit', 18)}${d.GitCommit ?? ''}`,
              `  ${pad('Built', 18)}${d.BuildTime ?? ''}`,
              `  ${pad('OS/Arch', 18)}${d.Os ?? ''}/${d.Arch ?? ''}`,
              `  ${pad('Experimental', 18)}${d.Experimental ?? ''}`,
            );
          } else {
            lines.push(`  ${pad('Version', 18)}${c.Version}`);
            for (const k of Object.keys(d).sort()) lines.push(`  ${pad(k, 18)}${d[k]}`);
          }
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
