/**
 * The built-in resources the API server serves: one row each. Discovery, storage keys, routing
 * and table printing all read this table, so serving another type is another row.
 */

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

/** A printer column beyond NAME and AGE (kube-apiserver's column definitions for the type). */
export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly description: string;
  /**
   * Dotted path into the object; `count:A,B` counts the keys or items at the paths (a ConfigMap's
   * DATA); `ratio:A/B` prints A/B (a Deployment's READY; `missing` stands for an absent B).
   */
  readonly path: string;
  /** Shown only with -o wide. */
  readonly priority?: number;
  /** The cell when the path is absent. */
  readonly missing?: string | number;
}

export interface ResourceType {
  /** '' for the core (legacy) group. */
  readonly group: string;
  readonly version: string;
  /** The plural, lower case, as in URLs. */
  readonly resource: string;
  readonly kind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly Verb[];
  /** Field selectors beyond metadata.name and metadata.namespace (dotted paths). */
  readonly selectableFields?: readonly string[];
  /** status: PUT/PATCH change only .status; scale: an autoscaling/v1 Scale of spec.replicas. */
  readonly subresources?: readonly ('status' | 'scale')[];
  /** DELETE answers with the object (kube-apiserver's ReturnDeletedObject) rather than a Status. */
  readonly returnDeletedObject?: boolean;
  /** Columns between NAME and AGE. */
  readonly columns?: readonly Column[];
}

export const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const all = ['all'] as const;

export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', subresources: ['status'], singular: 'namespace', namespaced: false, shortNames: ['ns'], returnDeletedObject: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    columns: [{ name: 'Status', type: 'string', description: 'The status of the namespace', path: 'status.phase' }] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'],
    columns: [{ name: 'Data', type: 'integer', description: 'Number of keys in the ConfigMap (data and binaryData)', path: 'count:data,binaryData' }] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true, selectableFields: ['type'],
    columns: [
      { name: 'Type', type: 'string', description: 'The type of the secret', path: 'type' },
      { name: 'Data', type: 'integer', description: 'Number of keys in the secret', path: 'count:data' },
    ] },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'],
    columns: [{ name: 'Secrets', type: 'string', description: 'Number of secrets', path: 'count:secrets' }] },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', subresources: ['status'], singular: 'service', namespaced: true, shortNames: ['svc'], categories: all, returnDeletedObject: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    columns: [
      { name: 'Type', type: 'string', description: 'The type of the service', path: 'spec.type', missing: 'ClusterIP' },
      { name: 'Cluster-IP', type: 'string', description: 'The cluster IP of the service', path: 'spec.clusterIP', missing: '<none>' },
    ] },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', subresources: ['status'], singular: 'pod', namespaced: true, shortNames: ['po'], categories: all, returnDeletedObject: true,
    selectableFields: ['spec.nodeName', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
    columns: [{ name: 'Status', type: 'string', description: 'The phase of the pod', path: 'status.phase', missing: 'Pending' }] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'],
    selectableFields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
      'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
    columns: [
      { name: 'Type', type: 'string', description: 'The type of the event', path: 'type' },
      { name: 'Reason', type: 'string', description: 'The reason of the event', path: 'reason' },
      { name: 'Message', type: 'string', description: 'The message of the event', path: 'message' },
    ] },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', subresources: ['status'], singular: 'node', namespaced: false, shortNames: ['no'] },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', subresources: ['status', 'scale'], singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: all,
    columns: [
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', path: 'ratio:status.readyReplicas/spec.replicas', missing: 1 },
      { name: 'Up-to-date', type: 'integer', description: 'Replicas updated to the latest template', path: 'status.updatedReplicas', missing: 0 },
      { name: 'Available', type: 'integer', description: 'Available replicas', path: 'status.availableReplicas', missing: 0 },
    ] },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', subresources: ['status', 'scale'], singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: all,
    columns: [
      { name: 'Desired', type: 'integer', description: 'Desired replicas', path: 'spec.replicas', missing: 1 },
      { name: 'Current', type: 'integer', description: 'Current replicas', path: 'status.replicas', missing: 0 },
      { name: 'Ready', type: 'integer', description: 'Ready replicas', path: 'status.readyReplicas', missing: 0 },
    ] },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', subresources: ['status', 'scale'], singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: all },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', subresources: ['status'], singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: all },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', subresources: ['status'], singular: 'job', namespaced: true, categories: all },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', subresources: ['status'], singular: 'cronjob', namespaced: true, shortNames: ['cj'], categories: all,
    columns: [{ name: 'Schedule', type: 'string', description: 'The schedule', path: 'spec.schedule' }] },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true,
    columns: [{ name: 'Holder', type: 'string', description: 'The holder of the lease', path: 'spec.holderIdentity', missing: '' }] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', singular: 'role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', singular: 'rolebinding', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', singular: 'clusterrole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', singular: 'clusterrolebinding', namespaced: false },
  // Reviews: answered by the server (authn-api.ts, authz-api.ts), never stored.
  { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', singular: 'selfsubjectreview', namespaced: false, verbs: ['create'] },
  { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', singular: 'tokenreview', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', singular: 'localsubjectaccessreview', namespaced: true, verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', singular: 'selfsubjectaccessreview', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', singular: 'selfsubjectrulesreview', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', singular: 'subjectaccessreview', namespaced: false, verbs: ['create'] },
  { group: '', version: 'v1', resource: 'limitranges', kind: 'LimitRange', singular: 'limitrange', namespaced: true, shortNames: ['limits'] },
  { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', subresources: ['status'], singular: 'resourcequota', namespaced: true, shortNames: ['quota'] },
  { group: '', version: 'v1', resource: 'podtemplates', kind: 'PodTemplate', singular: 'podtemplate', namespaced: true },
  { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController', subresources: ['status', 'scale'], singular: 'replicationcontroller', namespaced: true, shortNames: ['rc'], categories: all },
  { group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', subresources: ['status'], singular: 'persistentvolume', namespaced: false, shortNames: ['pv'] },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', subresources: ['status'], singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'] },
  { group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', singular: 'controllerrevision', namespaced: true },
  // autoscaling/v1 is not served: it needs conversion to and from v2 over one storage.
  { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', subresources: ['status'], singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: all },
  { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', subresources: ['status'], singular: 'poddisruptionbudget', namespaced: true, shortNames: ['pdb'] },
  { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', subresources: ['status'], singular: 'ingress', namespaced: true, shortNames: ['ing'] },
  { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', kind: 'IngressClass', singular: 'ingressclass', namespaced: false },
  { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', singular: 'networkpolicy', namespaced: true, shortNames: ['netpol'] },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true },
  { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', singular: 'storageclass', namespaced: false, shortNames: ['sc'] },
  { group: 'storage.k8s.io', version: 'v1', resource: 'csidrivers', kind: 'CSIDriver', singular: 'csidriver', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes', kind: 'CSINode', singular: 'csinode', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', resource: 'volumeattachments', kind: 'VolumeAttachment', subresources: ['status'], singular: 'volumeattachment', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', resource: 'csistoragecapacities', kind: 'CSIStorageCapacity', singular: 'csistoragecapacity', namespaced: true },
  { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', singular: 'priorityclass', namespaced: false, shortNames: ['pc'] },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', singular: 'validatingwebhookconfiguration', namespaced: false },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', singular: 'mutatingwebhookconfiguration', namespaced: false },
];

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Resources by group/version/resource, and the group versions in discovery order. */
export class ResourceTable {
  private readonly byPath = new Map<string, ResourceType>();
  readonly groups: readonly { name: string; versions: readonly string[] }[];

  constructor(readonly types: readonly ResourceType[]) {
    const groups = new Map<string, string[]>();
    for (const t of types) {
      this.byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    this.groups = [...groups].map(([name, versions]) => ({ name, versions }));
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.types.some((t) => t.group === group && t.version === version);
  }
}
