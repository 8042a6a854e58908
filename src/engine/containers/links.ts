/**
 * Legacy links (`--link target:alias` on the default bridge): the variables dockerd gives the
 * linking container about each target, and the names links are stored under.
 */
import { InvalidArgument, NotFound } from '../../core/errors.js';
import type { ContainerStore } from './store.js';
import type { HostConfig } from './model.js';
import type { ContainerRecord } from './model.js';

export interface LinkTarget {
  /** The link's name: /<linking container>/<alias>. */
  name: string;
  alias: string;
  /** The target's address on the network the two share. */
  ip: string;
  /** The target's exposed ports ("80/tcp"). */
  exposedPorts: readonly string[];
  /** The target's own environment (Config.Env). */
  env: readonly string[];
}

/** A link entry as HostConfig.Links stores it ("/target:/linking/alias"). */
export function parseLink(entry: string): { target: string; name: string; alias: string } {
  const at = entry.indexOf(':');
  const target = at < 0 ? entry : entry.slice(0, at);
  const name = at < 0 ? '' : entry.slice(at + 1);
  return { target, name, alias: name.slice(name.lastIndexOf('/') + 1) || target.replace(/^\//, '') };
}

function sortedPorts(ports: readonly string[]): Array<{ port: string; proto: string }> {
  return ports
    .map((p) => {
      const [port = '', proto = 'tcp'] = p.split('/');
      return { port, proto };
    })
    .sort((a, b) => Number(a.port) - Number(b.port) || a.proto.localeCompare(b.proto));
}

/** dockerd's link variables (links.Link.ToEnv): <ALIAS>_PORT..., <ALIAS>_NAME, <ALIAS>_ENV_... */
export function linkEnv(t: LinkTarget): string[] {
  const a = t.alias.toUpperCase().replace(/-/g, '_');
  const out: string[] = [];
  const ports = sortedPorts(t.exposedPorts);
  if (ports.length) out.push(`${a}_PORT=${ports[0]!.proto}://${t.ip}:${ports[0]!.port}`);
  for (const { port, proto } of ports) {
    const p = `${a}_PORT_${port}_${proto.toUpperCase()}`;
    out.push(`${p}=${proto}://${t.ip}:${port}`, `${p}_ADDR=${t.ip}`, `${p}_PORT=${port}`, `${p}_PROTO=${proto}`);
  }
  out.push(`${a}_NAME=${t.name}`);
  for (const e of t.env) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const key = e.slice(0, eq);
    if (key === 'HOME' || key === 'PATH') continue;
    out.push(`${a}_ENV_${key}=${e.slice(eq + 1)}`);
  }
  return out;
}

/**
 * The container's legacy links: HostConfig.Links of a container on the default bridge (stored as
 * /target:/linking/alias). On other networks links are the endpoints' (names in the network's
 * DNS), never legacy ones: dockerd registers none, so they are in no Names, hosts file or
 * variables, and inspect shows HostConfig.Links null.
 */
export function legacyLinks(rec: { HostConfig: { NetworkMode?: string; Links?: string[] | null } }): string[] | null {
  const mode = rec.HostConfig.NetworkMode || 'bridge';
  if (mode !== 'bridge' && mode !== 'default') return null;
  return rec.HostConfig.Links?.length ? rec.HostConfig.Links : null;
}

/** The containers links are resolved among (the container store). */
export interface LinkDirectory {
  find(ref: string): ContainerRecord | undefined;
  all(): Iterable<ContainerRecord>;
}

/** The variables of a container's legacy links to running containers (its process and its execs get them). */
export function linkVariables(rec: ContainerRecord, dir: LinkDirectory): string[] {
  return (legacyLinks(rec) ?? []).flatMap((entry) => {
    const { target, name, alias } = parseLink(entry);
    const other = dir.find(target);
    const ip = other?.State.Running ? Object.values(other.NetworkSettings?.Networks ?? {}).find((e) => e.IPAddress)?.IPAddress : undefined;
    if (!other || !ip) return [];
    return linkEnv({ name, alias, ip, exposedPorts: Object.keys(other.Config.ExposedPorts ?? {}), env: other.Config.Env ?? [] });
  });
}

/** The names other containers' legacy links give this one (/web/db); ps lists them after its own. */
export function linkNamesOf(rec: ContainerRecord, dir: LinkDirectory): string[] {
  const out: string[] = [];
  for (const other of dir.all()) {
    for (const entry of legacyLinks(other) ?? []) {
      const { target, name } = parseLink(entry);
      if (name && dir.find(target)?.Id === rec.Id) out.push(name);
    }
  }
  return out;
}

/** The container a link name (/web/db) stands for, and the linking container that holds it (404 otherwise). */
export function resolveLink(dir: LinkDirectory, ref: string): { parent: ContainerRecord; entry: string; target: ContainerRecord } {
  const full = ref.startsWith('/') ? ref : `/${ref}`;
  const parentName = full.slice(0, full.lastIndexOf('/'));
  const parent = parentName ? dir.find(parentName) : undefined;
  const entry = parent ? legacyLinks(parent)?.find((l) => parseLink(l).name === full) : undefined;
  const target = entry ? dir.find(parseLink(entry).target) : undefined;
  if (!parent || !entry || !target) throw new NotFound(`No such container: ${ref}`);
  return { parent, entry, target };
}

/**
 * HostConfig.Links of a new container resolved as dockerd does: legacy links belong to the
 * default bridge (elsewhere they are kept as they are), to containers on it, never with host
 * networking.
 */
export function defaultBridgeLinks(store: Pick<ContainerStore, 'find'>, hc: HostConfig): Array<{ name: string; alias: string }> {
  const onDefaultBridge = hc.NetworkMode === 'bridge' || hc.NetworkMode === 'default';
  if (!onDefaultBridge) return [];
  return (hc.Links ?? []).map((l) => {
    const [target, alias] = l.split(':');
    const other = store.find(target!);
    if (!other) throw new InvalidArgument(`could not get container for ${target}`);
    const mode = other.HostConfig.NetworkMode ?? 'bridge';
    if (mode === 'host') throw new InvalidArgument("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
    if (!other.NetworkSettings?.Networks.bridge) {
      throw new InvalidArgument(`cannot link to ${other.Name}, as it does not belong to the default network`);
    }
    return { name: other.Name, alias: alias?.replace(/^\/+/, '') || other.Name.slice(1) };
  });
}
