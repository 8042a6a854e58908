/**
 * The Engine API calls compose makes, typed, over the minke CLI's client (unix socket or TCP):
 * it drives minke's engine or Docker's alike.
 */
import type { Readable } from 'node:stream';
import { ApiError, type EngineClient, type Query, type RequestOptions } from '../../cli/client.js';

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

const TOO_NEW = /client version [\d.]+ is too new\. Maximum supported API version is ([\d.]+)/;

/**
 * The client of an engine that speaks an older API version than minke's client (Debian's dockerd
 * 20.10 stops at 1.41): the first request that the engine refuses for its version is sent again
 * at the engine's, and every later one goes at that version.
 */
class Negotiating {
  constructor(readonly client: EngineClient) {}
  async retry<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const m = e instanceof ApiError && e.status === 400 ? TOO_NEW.exec(e.message) : null;
      if (!m) throw e;
      this.client.apiVersion = m[1]!;
      return fn();
    }
  }
  get<T>(path: string, query?: Query): Promise<T> {
    return this.retry(() => this.client.get<T>(path, query));
  }
  post<T = unknown>(path: string, query?: Query, body?: unknown): Promise<T> {
    return this.retry(() => this.client.post<T>(path, query, body));
  }
  delete(path: string, query?: Query): Promise<void> {
    return this.retry(() => this.client.delete(path, query));
  }
  call<T = unknown>(method: string, path: string, opts: RequestOptions): Promise<{ status: number; body: T }> {
    return this.retry(() => this.client.call<T>(method, path, opts));
  }
  stream(method: string, path: string, opts: RequestOptions): Promise<Readable> {
    // a body stream cannot be sent twice: by then an earlier request has settled the version
    return isStream(opts.body) ? this.client.stream(method, path, opts) : this.retry(() => this.client.stream(method, path, opts));
  }
}

function isStream(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

export class ComposeApi {
  private readonly http: Negotiating;
  constructor(readonly client: EngineClient) {
    this.http = new Negotiating(client);
  }

  /** POST /build with a context tar. */
  build(query: Query, body: Readable): Promise<Readable> {
    return this.http.stream('POST', '/build', { query, body, headers: { 'Content-Type': 'application/x-tar' } });
  }

  containers(filters: string, all = true): Promise<ContainerSummary[]> {
    return this.http.get<ContainerSummary[]>('/containers/json', { all, filters });
  }

  inspect(id: string): Promise<ContainerInspect> {
    return this.http.get<ContainerInspect>(`/containers/${enc(id)}/json`);
  }

  async create(name: string, body: unknown): Promise<{ Id: string; Warnings?: string[] }> {
    return this.http.post<{ Id: string; Warnings?: string[] }>('/containers/create', { name }, body);
  }

  async start(id: string): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/start`);
  }

  async stop(id: string, timeout?: number): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/stop`, timeout === undefined ? undefined : { t: timeout });
  }

  async restart(id: string, timeout?: number): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/restart`, timeout === undefined ? undefined : { t: timeout });
  }

  async kill(id: string, signal?: string): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/kill`, signal ? { signal } : undefined);
  }

  async remove(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.http.delete(`/containers/${enc(id)}`, { force: opts.force || undefined, v: opts.volumes || undefined });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/rename`, { name });
  }

  async pause(id: string): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/pause`);
  }

  async unpause(id: string): Promise<void> {
    await this.http.post(`/containers/${enc(id)}/unpause`);
  }

  /** Waits for the container to stop; its exit code. */
  async wait(id: string, condition = 'not-running'): Promise<number> {
    const r = await this.http.post<{ StatusCode: number }>(`/containers/${enc(id)}/wait`, { condition });
    return r.StatusCode;
  }

  top(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.http.get(`/containers/${enc(id)}/top`);
  }

  /** Copies a tar into a container (configs and secrets given inline). */
  async putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    await this.http.call('PUT', `/containers/${enc(id)}/archive`, { query: { path: dir }, body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  }

  logs(id: string, query: Record<string, string | number | boolean | undefined>): Promise<Readable> {
    return this.http.stream('GET', `/containers/${enc(id)}/logs`, { query });
  }

  networks(filters: string): Promise<NetworkSummary[]> {
    return this.http.get<NetworkSummary[]>('/networks', { filters });
  }

  network(name: string): Promise<NetworkSummary | undefined> {
    return this.found<NetworkSummary>(`/networks/${enc(name)}`);
  }

  /** Whether the engine takes every network of a container at create (API 1.44 on). */
  get multipleEndpoints(): boolean {
    const [major, minor] = this.client.apiVersion.split('.').map(Number) as [number, number];
    return major > 1 || minor >= 44;
  }

  async connect(network: string, container: string, endpoint: unknown): Promise<void> {
    await this.http.post(`/networks/${enc(network)}/connect`, undefined, { Container: container, EndpointConfig: endpoint });
  }

  async createNetwork(body: unknown): Promise<string> {
    return (await this.http.post<{ Id: string }>('/networks/create', undefined, body)).Id;
  }

  async removeNetwork(id: string): Promise<void> {
    await this.http.delete(`/networks/${enc(id)}`);
  }

  async volumes(filters: string): Promise<VolumeSummary[]> {
    return (await this.http.get<{ Volumes: VolumeSummary[] | null }>('/volumes', { filters })).Volumes ?? [];
  }

  volume(name: string): Promise<VolumeSummary | undefined> {
    return this.found<VolumeSummary>(`/volumes/${enc(name)}`);
  }

  async createVolume(body: unknown): Promise<void> {
    await this.http.post('/volumes/create', undefined, body);
  }

  async removeVolume(name: string): Promise<void> {
    await this.http.delete(`/volumes/${enc(name)}`);
  }

  image(ref: string): Promise<ImageInspect | undefined> {
    return this.found<ImageInspect>(`/images/${enc(ref)}/json`);
  }

  /** GET of an object that may not exist: undefined on 404. */
  private async found<T>(path: string): Promise<T | undefined> {
    try {
      return await this.http.get<T>(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async removeImage(ref: string): Promise<void> {
    await this.http.delete(`/images/${enc(ref)}`);
  }

  images(filters?: string): Promise<Array<{ Id: string; RepoTags: string[] | null; Created: number; Size: number }>> {
    return this.http.get('/images/json', { filters });
  }

  events(filters: string): Promise<Readable> {
    return this.http.stream('GET', '/events', { query: { filters } });
  }

  pull(fromImage: string, tag: string, platform?: string): Promise<Readable> {
    return this.http.stream('POST', '/images/create', { query: { fromImage, tag, platform }, headers: { 'X-Registry-Auth': registryAuth() } });
  }

  push(name: string, tag: string): Promise<Readable> {
    return this.http.stream('POST', `/images/${enc(name)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': registryAuth() } });
  }
}

/** An empty X-Registry-Auth (credentials come from the engine's own configuration). */
function registryAuth(): string {
  return Buffer.from('{}').toString('base64url');
}
