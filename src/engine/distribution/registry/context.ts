/** What every request handler of the registry is given. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authorizer, Identity } from './auth/access.js';
import type { PullThrough } from './proxy.js';
import type { RegistryStorage } from './storage/storage.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, msg: string) => void;

export interface Registry {
  storage: RegistryStorage;
  auth: Authorizer;
  /** Writes are refused with UNSUPPORTED (distribution's maintenance read-only mode). */
  readOnly: boolean;
  /** Pull-through cache of a remote registry (writes refused too). */
  proxy: PullThrough | undefined;
  log: Log;
}

/** One request, routed: the repository it names and who sent it. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** The repository name (empty for /v2/ and _catalog). */
  name: string;
  identity: Identity;
}

export const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };
