/**
 * A project's networks and volumes: made when missing (labelled as compose labels them), an
 * external one required to exist, one of the same name made by someone else used with a
 * warning; removed by `down`.
 */
import { createHash } from 'node:crypto';
import type { Project } from '../model.js';
import { ComposeApi, isNotFound } from './api.js';
import { LABEL, projectFilter } from './labels.js';
import type { Progress } from '../progress.js';
import { version } from '../../cli/meta.js';

const hash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** The networks the project's services use (compose makes only those). */
export function usedNetworks(p: Project): string[] {
  const used = new Set<string>();
  for (const s of Object.values(p.services)) for (const n of Object.keys(s.networks ?? {})) used.add(n);
  return Object.keys(p.networks).filter((k) => used.has(k));
}

export async function ensureNetworks(api: ComposeApi, p: Project, progress: Progress, warn: (m: string) => void): Promise<void> {
  await Promise.all(usedNetworks(p).map(async (key) => {
    const n = p.networks[key]!;
    const existing = await api.network(n.name);
    if (n.external) {
      if (!existing) throw new Error(`network ${n.name} declared as external, but could not be found`);
      return;
    }
    if (existing) {
      if (existing.Labels?.[LABEL.project] !== p.name) warn(`a network with name ${n.name} exists but was not created by compose.\nSet \`external: true\` to use an existing network`);
      return;
    }
    const id = `Network ${n.name}`;
    progress.event(id, 'working', 'Creating');
    const ipam = n.ipam ? { Driver: n.ipam.driver ?? 'default', Config: (n.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })), Options: n.ipam.options } : undefined;
    try {
      await api.createNetwork({
        Name: n.name,
        Driver: n.driver ?? 'bridge',
        Options: n.driver_opts,
        IPAM: ipam,
        Internal: n.internal === true,
        Attachable: n.attachable === true,
        EnableIPv6: n.enable_ipv6,
        ...(n.enable_ipv4 !== undefined ? { EnableIPv4: n.enable_ipv4 } : {}),
        CheckDuplicate: true,
        Labels: { ...(n.labels ?? {}), [LABEL.project]: p.name, [LABEL.network]: key, [LABEL.version]: version(), [LABEL.configHash]: hash(n) },
      });
    } catch (e) {
      progress.event(id, 'error', 'Error');
      throw new Error(`failed to create network ${n.name}: ${(e as Error).message}`, { cause: e });
    }
    progress.event(id, 'done', 'Created');
  }));
}

/** The named volumes the services mount. */
function usedVolumes(p: Project): string[] {
  const used = new Set<string>();
  for (const s of Object.values(p.services)) for (const v of s.volumes ?? []) if (v.type === 'volume' && v.source) used.add(v.source);
  return Object.keys(p.volumes).filter((k) => used.has(k));
}

export async function ensureVolumes(api: ComposeApi, p: Project, progress: Progress, warn: (m: string) => void): Promise<void> {
  await Promise.all(usedVolumes(p).map(async (key) => {
    const v = p.volumes[key]!;
    const existing = await api.volume(v.name);
    if (v.external) {
      if (!existing) throw new Error(`external volume "${v.name}" not found`);
      return;
    }
    if (existing) {
      if (existing.Labels?.[LABEL.project] !== p.name) warn(`volume "${v.name}" already exists but was not created by Docker Compose. Use \`external: true\` to use an existing volume`);
      return;
    }
    const id = `Volume "${v.name}"`;
    progress.event(id, 'working', 'Creating');
    await api.createVolume({
      Name: v.name,
      Driver: v.driver ?? 'local',
      DriverOpts: v.driver_opts ?? {},
      Labels: { ...(v.labels ?? {}), [LABEL.project]: p.name, [LABEL.volume]: key, [LABEL.version]: version(), [LABEL.configHash]: hash({ ...v, driver: v.driver ?? 'local' }) },
    });
    progress.event(id, 'done', 'Created');
  }));
}

/** Removes the project's networks (those labelled with it, and the file's by name). */
export async function removeNetworks(api: ComposeApi, project: string, names: string[], progress: Progress): Promise<void> {
  const labelled = await api.networks(projectFilter(project));
  const targets = new Map<string, string>();
  for (const n of labelled) targets.set(n.Name, n.Id);
  for (const name of names) {
    if (targets.has(name)) continue;
    const n = await api.network(name);
    if (n && n.Labels?.[LABEL.project] === project) targets.set(n.Name, n.Id);
  }
  await Promise.all([...targets].map(async ([name, id]) => {
    const ev = `Network ${name}`;
    progress.event(ev, 'working', 'Removing');
    try {
      await api.removeNetwork(id);
    } catch (e) {
      if (isNotFound(e)) return progress.event(ev, 'done', 'Removed');
      progress.event(ev, 'error', 'Error');
      throw e;
    }
    progress.event(ev, 'done', 'Removed');
  }));
}

/** Removes the project's named volumes (not external ones). */
export async function removeVolumes(api: ComposeApi, project: string, progress: Progress): Promise<void> {
  const vols = await api.volumes(projectFilter(project));
  await Promise.all(vols.map(async (v) => {
    const ev = `Volume ${v.Name}`;
    progress.event(ev, 'working', 'Removing');
    try {
      await api.removeVolume(v.Name);
    } catch (e) {
      if (isNotFound(e)) return progress.event(ev, 'done', 'Removed');
      progress.event(ev, 'error', 'Error');
      throw e;
    }
    progress.event(ev, 'done', 'Removed');
  }));
}
