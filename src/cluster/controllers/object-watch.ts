/**
 * Every object of every type, from the server's own storage: one list, then one watch from its
 * revision (a new list when the watch falls out of the window), each change handed to the
 * controllers with its resource type. The in-process counterpart of a shared informer factory.
 */
import { CompactedError } from '../storage/errors.js';
import type { Storage } from '../storage/interface.js';
import type { ResourceType } from '../types/resources.js';
import { decode, keyPrefix } from '../apiserver/rest.js';
import { meta, type Obj } from '../apiserver/object.js';

export interface ObjectEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly resource: ResourceType;
  readonly object: Obj;
  /** True for the ADDED events of a (re)list. */
  readonly initial: boolean;
}

export type ObjectHandler = (ev: ObjectEvent) => void;

/** The resource type of a storage key, by the longest type prefix it starts with. */
export class KeyTypes {
  private readonly prefixes: [string, ResourceType][];

  constructor(types: readonly ResourceType[]) {
    this.prefixes = types.map((t): [string, ResourceType] => [keyPrefix(t), t]).sort((a, b) => b[0].length - a[0].length);
  }

  typeOf(key: string): ResourceType | undefined {
    return this.prefixes.find(([p]) => key.startsWith(p))?.[1];
  }
}

export async function watchAllObjects(storage: Storage, types: readonly ResourceType[], handlers: readonly ObjectHandler[], signal: AbortSignal, log: (m: string) => void): Promise<void> {
  const keyTypes = new KeyTypes(types);
  const emit = (type: ObjectEvent['type'], key: string, object: Obj, initial: boolean): void => {
    const resource = keyTypes.typeOf(key);
    if (!resource) return;
    for (const h of handlers) h({ type, resource, object, initial });
  };
  /** What is known of every key (its identity), so that a new list reports what went while no watch ran. */
  const seen = new Map<string, Obj>();
  while (!signal.aborted) {
    try {
      const list = await storage.list('/registry/');
      const listed = new Set<string>();
      for (const kv of list.items) {
        listed.add(kv.key);
        const o = decode(kv);
        seen.set(kv.key, slim(o));
        emit('ADDED', kv.key, o, true);
      }
      for (const [key, o] of seen) {
        if (listed.has(key)) continue;
        seen.delete(key);
        emit('DELETED', key, o, false);
      }
      for await (const ev of storage.watch('/registry/', list.revision, { signal })) {
        if (ev.type === 'BOOKMARK') continue;
        const o = decode(ev.kv);
        if (ev.type === 'DELETED') {
          meta(o).resourceVersion = String(ev.kv.revision);
          seen.delete(ev.kv.key);
        } else seen.set(ev.kv.key, slim(o));
        emit(ev.type, ev.kv.key, o, false);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof CompactedError)) log(`controllers: watch failed, listing again: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The identity of an object, all a DELETED event after a new list needs to carry. */
function slim(o: Obj): Obj {
  const m = meta(o);
  const out: Obj = { name: m.name ?? '', uid: m.uid ?? '' };
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.ownerReferences !== undefined) out.ownerReferences = m.ownerReferences;
  return { metadata: out };
}
