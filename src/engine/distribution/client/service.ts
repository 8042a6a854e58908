/**
 * The engine's registry client: what pulls, pushes and logins share (the registry settings as
 * they are now, the bearer token cache, downloads in progress, the layers' known compressed
 * forms) and the walk over a registry's endpoints (mirrors, then https, then http for an
 * insecure registry) that each of them makes.
 */
import { join } from 'node:path';
import type { ImageStore } from '../../images/image-store.js';
import type { DirSnapshotter, LayerAdopter } from '../../snapshots/snapshotter.js';
import type { EventBus } from '../../events.js';
import { TokenCache, withUserPass, type AuthConfig } from './auth.js';
import { mayFallBack, RegistryError } from './errors.js';
import { endpointsFor, type RegistrySettings } from './hosts.js';
import { LayerSources } from './layer-sources.js';
import { Inflight } from './inflight.js';
import { Session, type Endpoint } from './session.js';

export interface DistributionDeps {
  images: ImageStore;
  snapshotter: DirSnapshotter & LayerAdopter;
  events: EventBus;
  dataRoot: string;
  /** The engine's registry settings, read at each use (a reload may change them). */
  settings: () => RegistrySettings;
  /** Stored logins (the docker config of the engine's user): used when a request brings none. */
  storedCredentials?: (registry: string) => AuthConfig | undefined;
}

export class Distribution {
  readonly tokens = new TokenCache();
  readonly inflight = new Inflight();

  private constructor(readonly deps: DistributionDeps, readonly layerSources: LayerSources) {}

  static async open(deps: DistributionDeps): Promise<Distribution> {
    return new Distribution(deps, await LayerSources.open(join(deps.dataRoot, 'distribution')));
  }

  /** The request's credentials, else the stored ones for that registry. */
  credentials(registry: string, given: AuthConfig | undefined): AuthConfig | undefined {
    if (given) return given;
    const stored = this.deps.storedCredentials?.(registry);
    return stored ? withUserPass({ ...stored }) : undefined;
  }

  /**
   * Runs `fn` against the registry's endpoints in turn: an endpoint that cannot be reached (or
   * a mirror without the image, `fallback` says which errors) passes to the next; the last
   * error is thrown when none served.
   */
  async withEndpoints<T>(registry: string, creds: AuthConfig | undefined, purpose: 'pull' | 'push' | 'login', signal: AbortSignal | undefined, fn: (s: Session, e: Endpoint) => Promise<T>): Promise<T> {
    const endpoints = await endpointsFor(registry, this.deps.settings(), purpose);
    let last: unknown;
    for (const [i, ep] of endpoints.entries()) {
      const isLast = i === endpoints.length - 1;
      let session: Session;
      try {
        session = await Session.open(ep, creds, this.tokens, signal);
      } catch (err) {
        if (isLast || !mayFallBack(err)) throw err;
        last = err;
        continue;
      }
      try {
        return await fn(session, ep);
      } catch (err) {
        const mirrorMiss = ep.mirror && err instanceof RegistryError && [401, 403, 404].includes(err.httpStatus);
        if (isLast || !(mirrorMiss || (ep.mirror && mayFallBack(err)))) throw err;
        last = err;
      }
    }
    throw last ?? new Error(`no endpoint for registry ${registry}`);
  }
}
