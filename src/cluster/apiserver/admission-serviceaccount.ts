/**
 * The ServiceAccount admission plugin for pods being created (plugin/pkg/admission/serviceaccount):
 * spec.serviceAccountName defaults to `default`, the service account must exist, and, unless
 * automountServiceAccountToken is false on the pod (or, unset there, on the service account), a
 * projected volume `kube-api-access-xxxxx` (a bound token, the root CA, the namespace) is
 * mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container.
 */
import type { ResourceTable, ResourceType } from '../types/resources.js';
import { isObj, meta, type Obj } from './object.js';
import type { Json } from './patch.js';
import type { RestStorage } from './rest.js';
import { ApiError } from './status.js';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Mutates and checks a pod before it is stored; other types pass untouched. */
export async function admitServiceAccount(rest: RestStorage, types: ResourceTable, t: ResourceType, namespace: string | undefined, pod: Obj): Promise<Obj> {
  if (t.group !== '' || t.resource !== 'pods' || namespace === undefined) return pod;
  if (!isObj(pod.spec)) return pod; // validation refuses it
  const spec = pod.spec;
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') {
    spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' ? spec.serviceAccount : 'default';
  }
  const name = spec.serviceAccountName;
  spec.serviceAccount = name;
  const saType = types.find('', 'v1', 'serviceaccounts');
  if (!saType) return pod;
  let sa: Obj;
  try {
    sa = await rest.get(saType, namespace, name);
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'NotFound') {
      const podName = meta(pod).name ?? '';
      const why = `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`;
      throw new ApiError(403, 'Forbidden', podName === '' ? `pods is forbidden: ${why}` : `pods "${podName}" is forbidden: ${why}`, { name: podName, kind: 'pods' });
    }
    throw err;
  }
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : sa.automountServiceAccountToken !== false;
  if (!automount) return pod;
  const containers = (['initContainers', 'containers', 'ephemeralContainers'] as const)
    .flatMap((k) => (Array.isArray(spec[k]) ? (spec[k] as Json[]) : [])).filter(isObj);
  const mounted = (c: Obj): boolean => Array.isArray(c.volumeMounts) && c.volumeMounts.some((m) => isObj(m) && m.mountPath === SERVICE_ACCOUNT_MOUNT);
  if (containers.length === 0 || containers.some(mounted)) return pod;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  const volumeName = `kube-api-access-${suffix()}`;
  volumes.push({
    name: volumeName,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  spec.volumes = volumes;
  for (const c of containers) {
    const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
    mounts.push({ name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT });
    c.volumeMounts = mounts;
  }
  return pod;
}

function suffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}
