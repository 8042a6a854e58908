/** Discovery documents (/api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>) and /version. */
import { ALL_VERBS, apiVersionOf, type ResourceTable } from '../types/resources.js';
import type { Obj } from './object.js';

export function apiVersions(serverAddress: string): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(table: ResourceTable, name: string, versions: readonly string[]): Obj {
  const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

export function apiGroupList(table: ResourceTable): Obj {
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: table.groups.filter((g) => g.name !== '').map((g) => groupDoc(table, g.name, g.versions)),
  };
}

export function apiGroup(table: ResourceTable, group: string): Obj | undefined {
  const g = table.groups.find((x) => x.name === group && group !== '');
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(table, g.name, g.versions) };
}

export function apiResourceList(table: ResourceTable, group: string, version: string): Obj | undefined {
  if (!table.hasGroupVersion(group, version)) return undefined;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }),
    resources: table.inGroupVersion(group, version).flatMap((t) => {
      const r: Obj = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: [...(t.verbs ?? ALL_VERBS)] };
      if (t.shortNames) r.shortNames = [...t.shortNames];
      if (t.categories) r.categories = [...t.categories];
      const subs = (t.subresources ?? []).map((sub): Obj => (sub === 'scale'
        ? { name: `${t.resource}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: [...SUBRESOURCE_VERBS] }
        : { name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: [...SUBRESOURCE_VERBS] }));
      return [r, ...subs];
    }),
  };
}

const SUBRESOURCE_VERBS = ['get', 'patch', 'update'] as const;

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };

/** /version as kube-apiserver 1.32 answers: kubectl here picks its own minor version from it. */
export function versionInfo(): Obj {
  return {
    major: '1', minor: '32', gitVersion: 'v1.32.0+minke', gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean', buildDate: '2026-12-07T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'gc',
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}

/** The media type of aggregated discovery (apidiscovery.k8s.io/v2), which kubectl 1.32 asks for first. */
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the Accept header asks for aggregated discovery v2 (else the legacy documents are served). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((m) => /as=APIGroupDiscoveryList/.test(m) && /g=apidiscovery\.k8s\.io/.test(m) && /v=v2(;|$|\s)/.test(m));
}

/** /api (core: true) or /apis as one APIGroupDiscoveryList. */
export function aggregatedDiscovery(table: ResourceTable, core: boolean): Obj {
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {},
    items: table.groups.filter((g) => (g.name === '') === core).map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version, freshness: 'Current',
        resources: table.inGroupVersion(g.name, version).map((t) => {
          const r: Obj = {
            resource: t.resource, responseKind: { group: t.group, version: t.version, kind: t.kind },
            scope: t.namespaced ? 'Namespaced' : 'Cluster', singularResource: t.singular, verbs: [...(t.verbs ?? ALL_VERBS)],
          };
          if (t.shortNames) r.shortNames = [...t.shortNames];
          if (t.categories) r.categories = [...t.categories];
          if (t.subresources) {
            r.subresources = t.subresources.map((sub) => ({
              subresource: sub, verbs: [...SUBRESOURCE_VERBS],
              responseKind: sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { group: t.group, version: t.version, kind: t.kind },
            }));
          }
          return r;
        }),
      })),
    })),
  };
}
