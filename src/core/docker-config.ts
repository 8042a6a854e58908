/**
 * The docker CLI's credentials file, `$DOCKER_CONFIG/config.json` (else ~/.docker/config.json),
 * read and written as the docker CLI does, so docker and minke share logins: `auths` keyed by
 * server (`https://index.docker.io/v1/` for Docker Hub, `host:port` otherwise) holding base64
 * "user:pass" in `auth` (or an `identitytoken`), or a credential helper (`credsStore`,
 * `credHelpers`: the docker-credential-NAME programs) that keeps them instead. Other keys of the
 * file are kept as they are.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The key docker keeps Docker Hub's login under. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface Credentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  username?: string;
  password?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), '.docker');
}

function readConfig(dir: string): ConfigFile {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as ConfigFile : {};
  } catch {
    return {};
  }
}

function writeConfig(dir: string, c: ConfigFile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config.json');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(c, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** docker's ConvertToHostname: `https://host:5000/v1/` → `host:5000`. */
export function hostnameOf(server: string): string {
  return server.replace(/^https?:\/\//i, '').split('/')[0]!;
}

/** The key a login to this registry host is stored under. */
export function serverKey(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? INDEX_SERVER : registry;
}

function helperFor(c: ConfigFile, server: string): string | undefined {
  return c.credHelpers?.[hostnameOf(server)] ?? c.credHelpers?.[server] ?? c.credsStore ?? undefined;
}

/** Runs docker-credential-NAME ACTION with `input` on stdin. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): { ok: boolean; out: string } {
  const r = spawnSync(`docker-credential-${helper}`, [action], { input, encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() || (r.stderr ?? '').trim() || (r.error?.message ?? '') };
}

function decodeEntry(e: AuthEntry, server: string): Credentials | undefined {
  const out: Credentials = { serveraddress: server };
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon >= 0) {
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
  }
  if (e.username && !out.username) out.username = e.username;
  if (e.password && !out.password) out.password = e.password;
  if (e.identitytoken) out.identitytoken = e.identitytoken;
  return out.username || out.password || out.identitytoken ? out : undefined;
}

/** The stored credentials for a registry (`docker.io`, `host:port`), if any. */
export function credentialsFor(registry: string, dir = configDir()): Credentials | undefined {
  const c = readConfig(dir);
  const key = serverKey(registry);
  const helper = helperFor(c, key);
  if (helper) {
    const r = runHelper(helper, 'get', key);
    if (r.ok) {
      try {
        const j = JSON.parse(r.out) as { Username?: string; Secret?: string };
        if (j.Username === '<token>') return { serveraddress: key, identitytoken: j.Secret ?? '' };
        if (j.Username || j.Secret) return { serveraddress: key, username: j.Username ?? '', password: j.Secret ?? '' };
      } catch {
        // fall through to the file
      }
    }
  }
  const auths = c.auths ?? {};
  const exact = auths[key];
  if (exact) return decodeEntry(exact, key);
  const host = hostnameOf(key);
  for (const [k, e] of Object.entries(auths)) if (hostnameOf(k) === host) return decodeEntry(e, k);
  return undefined;
}

/** Every stored login, by the key it is stored under (what docker build sends as X-Registry-Config). */
export function allCredentials(dir = configDir()): Map<string, Credentials> {
  const c = readConfig(dir);
  const out = new Map<string, Credentials>();
  const keys = new Set([...Object.keys(c.auths ?? {}), ...Object.keys(c.credHelpers ?? {})]);
  for (const key of keys) {
    const cred = credentialsFor(hostnameOf(key) === hostnameOf(INDEX_SERVER) ? 'docker.io' : hostnameOf(key), dir);
    if (cred) out.set(key, cred);
  }
  return out;
}

/** Keeps a login (in the credential helper when one is configured); returns the file or helper used. */
export function storeCredentials(cred: Credentials, dir = configDir()): string {
  const c = readConfig(dir);
  const key = cred.serveraddress;
  const helper = helperFor(c, key);
  if (helper) {
    const secret = cred.identitytoken ? { Username: '<token>', Secret: cred.identitytoken } : { Username: cred.username ?? '', Secret: cred.password ?? '' };
    const r = runHelper(helper, 'store', JSON.stringify({ ServerURL: key, ...secret }));
    if (!r.ok) throw new Error(`error storing credentials - err: ${r.out}`);
    c.auths = { ...c.auths, [key]: {} };
    writeConfig(dir, c);
    return `docker-credential-${helper}`;
  }
  const entry: AuthEntry = cred.identitytoken ? { identitytoken: cred.identitytoken } : { auth: Buffer.from(`${cred.username ?? ''}:${cred.password ?? ''}`).toString('base64') };
  c.auths = { ...c.auths, [key]: entry };
  writeConfig(dir, c);
  return join(dir, 'config.json');
}

/** Forgets a login; false when there was none. */
export function eraseCredentials(server: string, dir = configDir()): boolean {
  const c = readConfig(dir);
  const auths = c.auths ?? {};
  const keys = Object.keys(auths).filter((k) => k === server || hostnameOf(k) === hostnameOf(server));
  const helper = helperFor(c, server);
  let found = keys.length > 0;
  if (helper) found = runHelper(helper, 'erase', server).ok || found;
  if (keys.length) {
    for (const k of keys) delete auths[k];
    c.auths = auths;
    writeConfig(dir, c);
  }
  return found;
}
