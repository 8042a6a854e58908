/** DELETE on a collection (deletecollection): every object the selectors match, each deleted as one DELETE would. */
import { apiVersionOf, type ResourceType } from '../types/resources.js';
import type { DeleteOptions } from './delete.js';
import { meta, type Obj } from './object.js';
import type { ListQuery, RestStorage } from './rest.js';
import { ApiError } from './status.js';

/** Answers with the list of what was matched, as kube-apiserver's Store.DeleteCollection does. */
export async function deleteCollection(rest: RestStorage, t: ResourceType, namespace: string | undefined, q: ListQuery, opts: DeleteOptions): Promise<Obj> {
  const list = await rest.list(t, namespace, q);
  for (const o of list.items) {
    try {
      await rest.delete(t, meta(o).namespace, meta(o).name ?? '', { ...opts, preconditions: {} });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
    delete o.kind;
    delete o.apiVersion;
  }
  return { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: { resourceVersion: list.resourceVersion }, items: list.items };
}
