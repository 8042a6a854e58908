import { EtcdStorage } from './etcd.js';
import type { Storage } from './interface.js';
import { SqliteStorage } from './sqlite.js';

/**
 * The store a datastore endpoint names (k3s's --datastore-endpoint): `http://` or `https://`
 * URLs (comma-separated for several) are etcd v3 endpoints; `sqlite://PATH` or a bare path is
 * a SQLite file.
 */
export function openStorage(endpoint: string): Storage {
  if (/^https?:\/\//.test(endpoint)) return new EtcdStorage({ endpoints: endpoint.split(',') });
  return new SqliteStorage(endpoint.replace(/^sqlite:\/\//, ''));
}
