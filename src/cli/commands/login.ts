import type { Ctx, Command } from '../command.js';
import { println, readAll } from '../command.js';
import { StatusError } from '../flags.js';
import { ApiError } from '../client.js';
import { credentialsFor, configDir, INDEX_SERVER, storeCredentials, type Credentials } from '../../core/docker-config.js';
import { loginServer } from '../registry-auth.js';

/** Reads one line from the terminal; without echo for a password (raw mode, as docker's term.ReadPassword). */
async function prompt(ctx: Ctx, question: string, secret: boolean): Promise<string> {
  ctx.out.write(question);
  const input = ctx.in as NodeJS.ReadStream;
  const raw = secret && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let acc = '';
      const onData = (c: Buffer): void => {
        for (const ch of c.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return done();
          if (ch === '\u0003') return fail();
          if (ch === '\u007f' || ch === '\b') acc = acc.slice(0, -1);
          else acc += ch;
        }
      };
      const cleanup = (): void => {
        input.removeListener('data', onData);
        input.removeListener('end', done);
        input.pause();
      };
      const done = (): void => {
        cleanup();
        resolve(acc);
      };
      const fail = (): void => {
        cleanup();
        reject(new StatusError('', 130));
      };
      input.on('data', onData);
      input.on('end', done);
      input.resume();
    });
  } finally {
    if (raw) {
      input.setRawMode(false);
      ctx.out.write('\n');
    }
  }
}

async function authenticate(ctx: Ctx, c: Credentials): Promise<{ Status: string; IdentityToken?: string }> {
  return ctx.client().post('/auth', undefined, { username: c.username ?? '', password: c.password ?? '', serveraddress: c.serveraddress, ...(c.identitytoken ? { identitytoken: c.identitytoken } : {}) });
}

export const command: Command = {
  spec: {
    name: 'login',
    usage: '[OPTIONS] [SERVER]',
    description: 'Log in to a registry.\nIf no server is specified, the default is defined by the daemon.',
    aliases: ['login'],
    flags: [
      { name: 'password', short: 'p', kind: 'string', help: 'Password or Personal Access Token (PAT)' },
      { name: 'password-stdin', kind: 'bool', help: 'Take the Password or Personal Access Token (PAT) from stdin' },
      { name: 'username', short: 'u', kind: 'string', help: 'Username' },
    ],
    maxArgs: 1,
  },
  async run(ctx, p) {
    const server = loginServer(p.args[0]);
    let username = p.str('username');
    let password = p.str('password');
    if (p.has('password')) println(ctx.err, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
    if (p.bool('password-stdin')) {
      if (p.has('password')) throw new StatusError('--password and --password-stdin are mutually exclusive', 1);
      if (!username) throw new StatusError('Must provide --username with --password-stdin', 1);
      password = (await readAll(ctx.in)).toString('utf8').replace(/[\r\n]+$/, '');
    }
    const dir = configDir(ctx.env);
    // No credentials given: the stored ones first, as docker.
    if (!username && !password) {
      const stored = credentialsFor(server === INDEX_SERVER ? 'docker.io' : server, dir);
      if (stored) {
        try {
          const r = await authenticate(ctx, { ...stored, serveraddress: server });
          println(ctx.out, `Authenticating with existing credentials...${stored.username ? ` [Username: ${stored.username}]` : ''}`);
          if (r.IdentityToken) storeCredentials({ serveraddress: server, username: stored.username, identitytoken: r.IdentityToken }, dir);
          println(ctx.out, r.Status || 'Login Succeeded');
          return 0;
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          // fall through to asking
        }
      }
    }
    if (!username || !password) {
      if (!ctx.inIsTerminal) throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
      if (!username) username = (await prompt(ctx, 'Username: ', false)).trim();
      if (!username) throw new StatusError('Error: Non-null Username Required', 1);
      if (!password) password = await prompt(ctx, 'Password: ', true);
      if (!password) throw new StatusError('Error: Password Required', 1);
    }
    const r = await authenticate(ctx, { username, password, serveraddress: server });
    const where = storeCredentials(r.IdentityToken ? { serveraddress: server, username, identitytoken: r.IdentityToken } : { serveraddress: server, username, password }, dir);
    if (where.endsWith('config.json')) {
      ctx.err.write(`\nWARNING! Your credentials are stored unencrypted in '${where}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    }
    println(ctx.out, r.Status || 'Login Succeeded');
    return 0;
  },
};
