/**
 * `docker login` as dockerd checks it (registry.loginV2): `/v2/` of the registry with the
 * credentials, after its challenge — Basic sends them, Bearer trades them for a token first (and
 * may give an identity token to keep instead of the password); a registry without
 * authentication takes any. Answers docker's {"Status":"Login Succeeded","IdentityToken":...}.
 */
import { NotFound } from '../../../core/errors.js';
import { TokenCache, type AuthConfig } from './auth.js';
import { errcodeText, mayFallBack, RegistryError, statusText } from './errors.js';
import { endpointsFor, registryOfServer, type RegistrySettings } from './hosts.js';
import { Session } from './session.js';

export interface LoginResult {
  Status: string;
  IdentityToken: string;
}

/** The words docker (and Docker Hub) give for credentials a registry turned down. */
function refused(err: RegistryError): RegistryError {
  const entry = err.errors[0];
  const said = entry && entry.message && entry.message !== 'authentication required' ? errcodeText(entry) : 'unauthorized: incorrect username or password';
  return new RegistryError(401, err.errors, said);
}

export async function login(auth: AuthConfig, settings: RegistrySettings, signal?: AbortSignal): Promise<LoginResult> {
  const registry = registryOfServer(auth.serveraddress);
  const endpoints = await endpointsFor(registry, settings, 'login');
  let last: unknown = new NotFound(`no endpoint for registry ${registry}`);
  for (const ep of endpoints) {
    let session: Session;
    try {
      // A token fetched for a login is never reused: the next login checks again.
      session = await Session.open(ep, auth, new TokenCache(), signal, true);
    } catch (err) {
      if (!mayFallBack(err)) throw err;
      last = err;
      continue;
    }
    if (session.scheme === undefined) return { Status: 'Login Succeeded', IdentityToken: '' };
    let status: number;
    try {
      const res = await session.request({ method: 'GET', path: '/v2/', scopes: [], signal });
      res.resume();
      status = res.statusCode ?? 0;
    } catch (err) {
      if (err instanceof RegistryError && err.httpStatus === 401) throw refused(err);
      throw err;
    }
    if (status === 200) return { Status: 'Login Succeeded', IdentityToken: session.refreshToken ?? '' };
    if (status === 401) {
      // Basic: the registry itself said no (dockerd's words for it).
      throw new RegistryError(401, [], `login attempt to ${ep.url}/v2/ failed with status: ${statusText(status)}`);
    }
    throw new RegistryError(status, [], `login attempt to ${ep.url}/v2/ failed with status: ${statusText(status)}`);
  }
  throw last;
}
