/**
 * The Engine API calls compose makes, typed, over the minke CLI's client (unix socket or TCP):
 * it drives minke's engine or Docker's alike.
 */
import type { Readable } from 'node:stream';
import { ApiError, type EngineClient } from '../../cli/client.js';

const enc = encodeURIComponent;

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command?: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string>;
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  Mounts?: Array<{ Type: string; Name?: string; Source?: string; Destination: string }>;
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string; IPAddress?: string }> };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; Health?: { Status: string } };
  Config: { Labels: Record<string, string> | null; Healthcheck?: { Test?: string[] } | null; Tty?: boolean; Image: string };
  HostConfig: { AutoRemove?: boolean };
  NetworkSettings: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null>; Networks?: Record<string, unknown> };
  Mounts?: Array<{ Type: string; Name?: string; Destination: string }>;
}

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
}

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[];
  Created?: string;
  Size?: number;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export class ComposeApi {
  constructor(readonly client: EngineClient) {}

  containers(filters: string, all = true): Promise<ContainerSummary[]> {
    return this.client.get<ContainerSummary[]>('/containers/json', { all, filters });
  }

  inspect(id: string): Promise<ContainerInspect> {
    return this.client.get<ContainerInspect>(`/containers/${enc(id)}/json`);
  }

  async create(name: string, body: unknown): Promise<{ Id: string; Warnings?: string[] }> {
    return this.client.post<{ Id: string; Warnings?: string[] }>('/containers/create', { name }, body);
  }

  async start(id: string): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/start`);
  }

  async stop(id: string, timeout?: number): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/stop`, timeout === undefined ? undefined : { t: timeout });
  }

  async restart(id: string, timeout?: number): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/restart`, timeout === undefined ? undefined : { t: timeout });
  }

  async kill(id: string, signal?: string): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/kill`, signal ? { signal } : undefined);
  }

  async remove(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.client.delete(`/containers/${enc(id)}`, { force: opts.force || undefined, v: opts.volumes || undefined });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/rename`, { name });
  }

  async pause(id: string): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/pause`);
  }

  async unpause(id: string): Promise<void> {
    await this.client.post(`/containers/${enc(id)}/unpause`);
  }

  /** Waits for the container to stop; its exit code. */
  async wait(id: string, condition = 'not-running'): Promise<number> {
    const r = await this.client.post<{ StatusCode: number }>(`/containers/${enc(id)}/wait`, { condition });
    return r.StatusCode;
  }

  top(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.client.get(`/containers/${enc(id)}/top`);
  }

  /** Copies a tar into a container (configs and secrets given inline). */
  async putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    await this.client.call('PUT', `/containers/${enc(id)}/archive`, { query: { path: dir }, body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  }

  logs(id: string, query: Record<string, string | number | boolean | undefined>): Promise<Readable> {
    return this.client.stream('GET', `/containers/${enc(id)}/logs`, { query });
  }

  networks(filters: string): Promise<NetworkSummary[]> {
    return this.client.get<NetworkSummary[]>('/networks', { filters });
  }

  network(name: string): Promise<NetworkSummary | undefined> {
    return this.found<NetworkSummary>(`/networks/${enc(name)}`);
  }

  async createNetwork(body: unknown): Promise<string> {
    return (await this.client.post<{ Id: string }>('/networks/create', undefined, body)).Id;
  }

  async removeNetwork(id: string): Promise<void> {
    await this.client.delete(`/networks/${enc(id)}`);
  }

  async volumes(filters: string): Promise<VolumeSummary[]> {
    return (await this.client.get<{ Volumes: VolumeSummary[] | null }>('/volumes', { filters })).Volumes ?? [];
  }

  volume(name: string): Promise<VolumeSummary | undefined> {
    return this.found<VolumeSummary>(`/volumes/${enc(name)}`);
  }

  async createVolume(body: unknown): Promise<void> {
    await this.client.post('/volumes/create', undefined, body);
  }

  async removeVolume(name: string): Promise<void> {
    await this.client.delete(`/volumes/${enc(name)}`);
  }

  image(ref: string): Promise<ImageInspect | undefined> {
    return this.found<ImageInspect>(`/images/${enc(ref)}/json`);
  }

  /** GET of an object that may not exist: undefined on 404. */
  private async found<T>(path: string): Promise<T | undefined> {
    try {
      return await this.client.get<T>(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async removeImage(ref: string): Promise<void> {
    await this.client.delete(`/images/${enc(ref)}`);
  }

  images(filters?: string): Promise<Array<{ Id: string; RepoTags: string[] | null; Created: number; Size: number }>> {
    return this.client.get('/images/json', { filters });
  }

  events(filters: string): Promise<Readable> {
    return this.client.stream('GET', '/events', { query: { filters } });
  }

  pull(fromImage: string, tag: string, platform?: string): Promise<Readable> {
    return this.client.stream('POST', '/images/create', { query: { fromImage, tag, platform }, headers: { 'X-Registry-Auth': registryAuth() } });
  }

  push(name: string, tag: string): Promise<Readable> {
    return this.client.stream('POST', `/images/${enc(name)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': registryAuth() } });
  }
}

/** An empty X-Registry-Auth (credentials come from the engine's own configuration). */
function registryAuth(): string {
  return Buffer.from('{}').toString('base64url');
}
