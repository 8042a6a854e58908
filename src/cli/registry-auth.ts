/**
 * What the docker CLI sends a registry operation: the stored login for the image's registry
 * (~/.docker/config.json, shared with docker) as X-Registry-Auth, base64url JSON.
 */
import { allCredentials, configDir, credentialsFor, INDEX_SERVER, type Credentials } from '../core/docker-config.js';
import type { Ctx } from './command.js';
import { StatusError, type Parsed } from './flags.js';
import { parseNormalizedNamed, type Named } from './reference.js';

/** The registry host of an image reference (`docker.io` for Docker Hub's names). */
export function registryOf(image: string): string {
  return parseNormalizedNamed(image).name.split('/')[0]!;
}

/** X-Registry-Auth for credentials: base64url of {username, password, serveraddress} (or identitytoken). */
export function encodeAuth(c: Partial<Credentials> | undefined): string {
  return Buffer.from(JSON.stringify(authBody(c))).toString('base64url');
}

function authBody(c: Partial<Credentials> | undefined): Record<string, string> {
  return c ? Object.fromEntries(Object.entries({ username: c.username, password: c.password, serveraddress: c.serveraddress, identitytoken: c.identitytoken }).filter((e): e is [string, string] => Boolean(e[1]))) : {};
}

/** X-Registry-Config of a build: every stored login, so that the engine can pull the build's bases. */
export function buildAuthHeader(env: NodeJS.ProcessEnv): Record<string, string> {
  let all: Map<string, Credentials>;
  try {
    all = allCredentials(configDir(env));
  } catch {
    return {};
  }
  if (all.size === 0) return {};
  const body = Object.fromEntries([...all].map(([k, c]) => [k, authBody(c)]));
  return { 'X-Registry-Config': Buffer.from(JSON.stringify(body)).toString('base64url') };
}

/** The header for a pull or push of `image`, from the stored login ({} when there is none). */
export function authHeaderFor(image: string, env: NodeJS.ProcessEnv): Record<string, string> {
  let creds: Credentials | undefined;
  try {
    creds = credentialsFor(registryOf(image), configDir(env));
  } catch {
    creds = undefined;
  }
  return { 'X-Registry-Auth': encodeAuth(creds) };
}

/** The server a login names: Docker Hub's key for none (or docker.io), else its host[:port]. */
export function loginServer(arg: string | undefined): string {
  if (!arg) return INDEX_SERVER;
  const host = arg.replace(/^https?:\/\//i, '').split('/')[0]!;
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return INDEX_SERVER;
  return host;
}

/**
 * The image argument of pull and push, as the docker CLI reads it: parsed (its words on failure),
 * no tag with --all-tags, and `latest` (said, unless quiet) when it names neither tag nor digest.
 */
export function imageArgument(ctx: Ctx, p: Parsed): { image: string; ref: Named; all: boolean; quiet: boolean; tag: string | undefined } {
  const image = p.args[0]!;
  let ref: Named;
  try {
    ref = parseNormalizedNamed(image);
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
  const all = p.bool('all-tags');
  const quiet = p.bool('quiet');
  if (all && (ref.tag || ref.digest)) throw new StatusError('tag can\'t be used with --all-tags/-a', 1);
  let tag = ref.digest ?? ref.tag;
  if (!all && !tag) {
    tag = 'latest';
    if (!quiet) ctx.out.write('Using default tag: latest\n');
  }
  return { image, ref, all, quiet, tag: all ? undefined : tag };
}
