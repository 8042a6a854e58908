/**
 * The Engine API's versions as dockerd serves them, in one place: what a request means and what
 * an answer looks like for a client that asks for an older version in the path (/v1.38/...).
 *
 * From moby's docs/api/version-history.md and the version checks of the newest dockerd's
 * routers, from minke's minimum (1.24) to its maximum (1.47). Fields added in later versions
 * are, as in dockerd, sent to older clients too (they ignore them); what changed meaning or
 * went away is switched here. Unversioned behaviour stays with the services.
 */
import { InvalidArgument } from '../../core/errors.js';
import type { CreateRequest } from '../containers/service.js';
import type { ContainerRecord, MountSpec } from '../containers/model.js';
import type { EndpointConfig } from '../networks/model.js';
import { parsePlatform, type Platform } from '../images/platforms.js';
import { compareVersions } from './router.js';

const below = (version: string, v: string): boolean => compareVersions(version, v) < 0;

/** Go's time.Time{} as dockerd writes it. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

// ------------------------------------------------------------------------------------------
// POST /containers/create

type Binding = NonNullable<MountSpec['BindOptions']> & { ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };

function isUserDefinedMode(mode: string): boolean {
  return !['', 'default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

/**
 * The request as the client's version meant it (dockerd's postContainersCreate): fields a version
 * did not have are dropped, its defaults filled, and what it could not express refused.
 * Returns the warnings dockerd adds to the answer.
 */
export function adaptCreateRequest(version: string, req: CreateRequest): string[] {
  const hc = (req.HostConfig ??= {});
  const net = (req.NetworkingConfig ??= {});
  const endpoints = (net.EndpointsConfig ??= {});
  // "default" means the OS's default network, by name from here on (dockerd does it first).
  if (!hc.NetworkMode || hc.NetworkMode === 'default') {
    hc.NetworkMode = 'bridge';
    if (endpoints.default) {
      endpoints.bridge = endpoints.default;
      delete endpoints.default;
    }
  }
  const mounts = hc.Mounts ?? [];
  const bindOf = (m: MountSpec): Binding | undefined => m.BindOptions as Binding | undefined;

  // Before 1.25 the client removed --rm containers itself.
  if (below(version, '1.25')) hc.AutoRemove = false;
  if (below(version, '1.40')) {
    for (const m of mounts) if (bindOf(m)) bindOf(m)!.NonRecursive = false;
    // Older clients expect IPC namespaces shareable by default (`ipc: container:x` on them).
    if (!hc.IpcMode) hc.IpcMode = 'shareable';
  }
  // (Before 1.41 an unset cgroup namespace mode was `host` on cgroup v1 hosts: the daemon's default there.)
  if (below(version, '1.42')) {
    for (const m of mounts) {
      if (bindOf(m)) bindOf(m)!.CreateMountpoint = false;
      // Not validated before 1.42: options of another mount type are dropped, not refused.
      if (m.VolumeOptions && m.Type !== 'volume') delete m.VolumeOptions;
      if (m.TmpfsOptions && m.Type !== 'tmpfs') delete m.TmpfsOptions;
    }
    hc.ConsoleSize = [0, 0];
  } else {
    for (const m of mounts) {
      if (m.VolumeOptions && m.Type !== 'volume') throw new InvalidArgument(`VolumeOptions must not be specified on mount type "${m.Type}"`);
      if (m.BindOptions && m.Type !== 'bind') throw new InvalidArgument(`BindOptions must not be specified on mount type "${m.Type}"`);
      if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new InvalidArgument(`TmpfsOptions must not be specified on mount type "${m.Type}"`);
    }
  }
  if (below(version, '1.43')) hc.Annotations = null;
  if (below(version, '1.44')) {
    if (req.Healthcheck) delete req.Healthcheck.StartInterval;
    for (const m of mounts) {
      if (m.Type === 'bind' && bindOf(m)?.ReadOnlyForceRecursive) throw new InvalidArgument('BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer');
    }
    const names = Object.keys(endpoints);
    if (names.length > 1) throw new InvalidArgument(`Container cannot be created with multiple network endpoints: ${names.join(', ')}`);
  }
  if (below(version, '1.45')) {
    for (const m of mounts) if (m.VolumeOptions?.Subpath) throw new InvalidArgument('VolumeOptions.Subpath needs API v1.45 or newer');
  }
  return containerWideMac(version, req, hc.NetworkMode, endpoints);
}

/**
 * The container-wide Config.MacAddress (deprecated in 1.44) becomes the primary endpoint's
 * MacAddress, as dockerd's handleMACAddressBC; the endpoint is then its only home.
 */
function containerWideMac(version: string, req: CreateRequest, mode: string, endpoints: Record<string, EndpointConfig>): string[] {
  const mac = req.MacAddress ?? '';
  delete req.MacAddress;
  const bridged = mode === 'bridge' || isUserDefinedMode(mode);
  if (below(version, '1.44')) {
    if (!mac) {
      // The old API had no endpoint MAC: one sent anyway is ignored, as it was then.
      for (const ep of Object.values(endpoints)) if (ep) ep.MacAddress = '';
      return [];
    }
    if (!bridged) throw new InvalidArgument('conflicting options: mac-address and the network mode');
    primaryEndpoint(version, mode, endpoints).MacAddress = mac;
    return [];
  }
  if (!mac) return [];
  if (bridged) {
    let ep: EndpointConfig;
    try {
      ep = primaryEndpoint(version, mode, endpoints);
    } catch (err) {
      throw new InvalidArgument(`unable to migrate container-wide MAC address to a specific network: ${(err as Error).message}`);
    }
    if (!ep.MacAddress) ep.MacAddress = mac;
    else if (ep.MacAddress !== mac) throw new InvalidArgument('the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
  }
  return ['The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.'];
}

/** dockerd's epConfigForNetMode: the endpoint settings of the network the mode names. */
function primaryEndpoint(version: string, mode: string, endpoints: Record<string, EndpointConfig>): EndpointConfig {
  const names = Object.keys(endpoints);
  if (names.length === 0) return (endpoints[mode] = {});
  // Before 1.44 there is at most one, whatever it is keyed by.
  if (below(version, '1.44')) return (endpoints[names[0]!] ??= {});
  const ep = endpoints[mode];
  if (!ep) throw new InvalidArgument('HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks');
  return ep;
}

/** The `platform` query of a create, parsed (a malformed one is a 400): only from 1.41 on. */
export function createPlatform(version: string, query: URLSearchParams): Platform | undefined {
  const p = query.get('platform');
  return below(version, '1.41') || !p ? undefined : parsePlatform(p);
}

/** The `platform` query of an import (POST /images/create?fromSrc=): only from 1.32 on. */
export function importPlatform(version: string, query: URLSearchParams): Platform | undefined {
  const p = query.get('platform');
  return below(version, '1.32') || !p ? undefined : parsePlatform(p);
}

/** Options of stop and restart: the `signal` query only from 1.42 on. */
export function stopSignal(version: string, query: URLSearchParams): string | undefined {
  return below(version, '1.42') ? undefined : query.get('signal') ?? undefined;
}

// ------------------------------------------------------------------------------------------
// Container views

/**
 * GET /containers/{id}/json for the client's version: below 1.45 each user-defined network's
 * Aliases also hold the short ID and the hostname (DNSNames took them over); up to 1.51
 * Config.MacAddress is the main network's configured MAC address.
 */
export function containerInspectForVersion(version: string, view: Record<string, unknown>, rec: ContainerRecord): void {
  const networks = (view.NetworkSettings as { Networks: Record<string, { Aliases: string[] | null }> }).Networks;
  if (below(version, '1.45')) {
    const extra = [rec.Id.slice(0, 12), rec.Config.Hostname ?? ''].filter(Boolean);
    for (const [name, ep] of Object.entries(networks)) {
      if (isUserDefinedMode(name)) ep.Aliases = [...new Set([...(ep.Aliases ?? []), ...extra])];
    }
  }
  const mode = rec.HostConfig.NetworkMode || 'bridge';
  const desired = rec.NetworkSettings?.Networks[mode === 'default' ? 'bridge' : mode]?.MacAddress;
  if (desired) (view.Config as Record<string, unknown>).MacAddress = desired;
}

// ------------------------------------------------------------------------------------------
// Image views

/**
 * GET /images/{name}/json: VirtualSize (the Size) and a zero Created below 1.44. The image's
 * Container and ContainerConfig, which dockerd drops from 1.45 on, stay at every version: the
 * docker-compose 1.x that Debian ships negotiates the newest version and reads them on every
 * recreate (it fails with KeyError: 'ContainerConfig' on dockerd 26 and later); clients of 1.45
 * and later ignore two fields they do not know.
 */
export function imageInspectForVersion(version: string, view: Record<string, unknown>): void {
  if (below(version, '1.44')) {
    view.VirtualSize = view.Size;
    if (!view.Created) view.Created = ZERO_TIME;
  } else {
    delete view.VirtualSize;
    if (!view.Created) delete view.Created;
  }
}

interface ImageRow { RepoTags: string[]; RepoDigests: string[]; Size: number; VirtualSize?: number }

/** GET /images/json (and system df's images): "<none>" names below 1.43, VirtualSize below 1.44. */
export function imageListForVersion<T extends ImageRow>(version: string, rows: T[]): T[] {
  for (const r of rows) {
    if (below(version, '1.43') && r.RepoTags.length === 0 && r.RepoDigests.length === 0) {
      r.RepoTags = ['<none>:<none>'];
      r.RepoDigests = ['<none>@<none>'];
    }
    if (below(version, '1.44')) r.VirtualSize = r.Size;
    else delete r.VirtualSize;
  }
  return rows;
}

// ------------------------------------------------------------------------------------------
// System and networks

/**
 * GET /info: the registry's non-distributable artifact lists (always empty) below 1.47, each
 * commit's Expected below 1.49, ExecutionDriver below 1.25.
 */
export function infoForVersion(version: string, info: Record<string, unknown>): Record<string, unknown> {
  const registry = info.RegistryConfig as Record<string, unknown> | undefined;
  if (registry && below(version, '1.47')) {
    registry.AllowNondistributableArtifactsCIDRs = null;
    registry.AllowNondistributableArtifactsHostnames = null;
  }
  for (const k of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) {
    const c = info[k] as { ID: string; Expected?: string } | undefined;
    if (c && below(version, '1.49')) c.Expected = c.ID;
  }
  if (below(version, '1.25')) info.ExecutionDriver = '<not supported>';
  return info;
}

/** GET /networks: before 1.28 each network came with its containers, as its inspect. */
export function networkListWithContainers(version: string): boolean {
  return below(version, '1.28');
}

/** GET /system/df: the `type` query only from 1.42 on (older clients get every section). */
export function diskUsageTypes(version: string, query: URLSearchParams): string[] {
  return below(version, '1.42') ? [] : query.getAll('type');
}

/** POST /containers/{id}/update: PidsLimit only from 1.40 on. */
export function adaptUpdateRequest(version: string, body: { PidsLimit?: number | null }): void {
  if (below(version, '1.40')) delete body.PidsLimit;
}

/** GET /containers/{id}/stats: `one-shot` only from 1.41 on. */
export function statsOneShot(version: string, asked: boolean): boolean {
  return asked && !below(version, '1.41');
}

/** POST /containers/{id}/wait: the `condition` query only from 1.30 on (before it, not-running). */
export function waitCondition(version: string, query: URLSearchParams): string {
  return below(version, '1.30') ? 'not-running' : query.get('condition') || 'not-running';
}
