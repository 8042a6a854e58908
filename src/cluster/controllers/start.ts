/**
 * The controllers that belong to the API's own semantics, run inside `minke server` (as k3s runs
 * its controller manager in one process): the garbage collector and the namespace controller,
 * both fed by one watch of the server's storage.
 */
import type { RestStorage } from '../apiserver/rest.js';
import type { Storage } from '../storage/interface.js';
import type { ResourceTable } from '../types/resources.js';
import { GarbageCollector } from './garbagecollector/garbage-collector.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { watchAllObjects } from './object-watch.js';

export interface RunningControllers {
  stop(): Promise<void>;
}

export function startControllers(storage: Storage, rest: RestStorage, types: ResourceTable, log: (m: string) => void): RunningControllers {
  const gc = new GarbageCollector(rest, types.types, log);
  const nsType = types.find('', 'v1', 'namespaces');
  const ns = nsType ? new NamespaceController(rest, nsType, log) : undefined;
  const abort = new AbortController();
  const watching = watchAllObjects(storage, types.types, ns ? [gc.handle, ns.handle] : [gc.handle], abort.signal, log);
  return {
    stop: async () => {
      abort.abort();
      await watching;
      await Promise.all([gc.stop(), ns?.stop()]);
    },
  };
}
