/**
 * What the docker CLI sends a registry operation: the stored login for the image's registry
 * (~/.docker/config.json, shared with docker) as X-Registry-Auth, base64url JSON.
 */
import { configDir, credentialsFor, INDEX_SERVER, type Credentials } from '../core/docker-config.js';
import { parseNormalizedNamed } from './reference.js';

/** The registry host of an image reference (`docker.io` for Docker Hub's names). */
export function registryOf(image: string): string {
  return parseNormalizedNamed(image).name.split('/')[0]!;
}

/** X-Registry-Auth for credentials: base64url of {username, password, serveraddress} (or identitytoken). */
export function encodeAuth(c: Partial<Credentials> | undefined): string {
  const body = c ? Object.fromEntries(Object.entries({ username: c.username, password: c.password, serveraddress: c.serveraddress, identitytoken: c.identitytoken }).filter(([, v]) => v)) : {};
  return Buffer.from(JSON.stringify(body)).toString('base64url');
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
