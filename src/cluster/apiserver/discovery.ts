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
    resources: table.inGroupVersion(group, version).map((t) => {
      const r: Obj = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: [...(t.verbs ?? ALL_VERBS)] };
      if (t.shortNames) r.shortNames = [...t.shortNames];
      if (t.categories) r.categories = [...t.categories];
      return r;
    }),
  };
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };

/** /version as kube-apiserver 1.32 answers: kubectl here picks its own minor version from it. */
export function versionInfo(): Obj {
  return {
    major: '1', minor: '32', gitVersion: 'v1.32.0+minke', gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean', buildDate: '2026-12-07T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'gc',
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}
