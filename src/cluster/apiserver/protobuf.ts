/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients send (`kubectl create configmap|secret|namespace|serviceaccount`):
 * the `k8s\0` envelope (runtime.Unknown) around the type's message, decoded by a schema table
 * (field number → name and type, from k8s.io/api's generated.proto). Responses stay JSON: those
 * clients accept it. Types without a schema row get 415, and the client must send JSON.
 */
import type { Obj } from './object.js';
import type { Json } from './patch.js';

type Field =
  /** opt*: Go pointer fields, written only when set, so a zero value is kept. */
  | { name: string; type: 'string' | 'bytes' | 'int' | 'optint' | 'bool' | 'optbool' | 'time' }
  | { name: string; type: 'message'; schema: Schema }
  | { name: string; type: 'map'; value: 'string' | 'bytes' }
  | { name: string; type: 'repeated-string' }
  | { name: string; type: 'repeated-message'; schema: Schema };

type Schema = Readonly<Record<number, Field>>;

const OWNER_REFERENCE: Schema = {
  5: { name: 'apiVersion', type: 'string' }, 1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' }, 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' }, 7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' }, 11: { name: 'labels', type: 'map', value: 'string' },
  12: { name: 'annotations', type: 'map', value: 'string' }, 13: { name: 'ownerReferences', type: 'repeated-message', schema: OWNER_REFERENCE },
  14: { name: 'finalizers', type: 'repeated-string' },
};
const OBJECT_REFERENCE: Schema = {
  1: { name: 'kind', type: 'string' }, 2: { name: 'namespace', type: 'string' }, 3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' }, 5: { name: 'apiVersion', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'fieldPath', type: 'string' },
};
const LOCAL_OBJECT_REFERENCE: Schema = { 1: { name: 'name', type: 'string' } };
const metadata: Field = metadataField();

// The pod template, as far as kubectl's generators fill it (create deployment/job/cronjob).
const CONTAINER: Schema = {
  1: { name: 'name', type: 'string' }, 2: { name: 'image', type: 'string' }, 3: { name: 'command', type: 'repeated-string' },
  4: { name: 'args', type: 'repeated-string' }, 5: { name: 'workingDir', type: 'string' },
  6: { name: 'ports', type: 'repeated-message', schema: {
    1: { name: 'name', type: 'string' }, 2: { name: 'hostPort', type: 'int' }, 3: { name: 'containerPort', type: 'int' },
    4: { name: 'protocol', type: 'string' }, 5: { name: 'hostIP', type: 'string' },
  } },
  7: { name: 'env', type: 'repeated-message', schema: { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } } },
  8: { name: 'resources', type: 'message', schema: {} },
  13: { name: 'terminationMessagePath', type: 'string' }, 14: { name: 'imagePullPolicy', type: 'string' },
  16: { name: 'stdin', type: 'bool' }, 18: { name: 'tty', type: 'bool' }, 20: { name: 'terminationMessagePolicy', type: 'string' },
};
const POD_SPEC: Schema = {
  2: { name: 'containers', type: 'repeated-message', schema: CONTAINER }, 3: { name: 'restartPolicy', type: 'string' },
  4: { name: 'terminationGracePeriodSeconds', type: 'optint' }, 6: { name: 'dnsPolicy', type: 'string' },
  7: { name: 'nodeSelector', type: 'map', value: 'string' }, 8: { name: 'serviceAccountName', type: 'string' },
  10: { name: 'nodeName', type: 'string' }, 19: { name: 'schedulerName', type: 'string' },
  20: { name: 'initContainers', type: 'repeated-message', schema: CONTAINER },
};
const POD_TEMPLATE: Schema = { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: POD_SPEC } };
const LABEL_SELECTOR: Schema = {
  1: { name: 'matchLabels', type: 'map', value: 'string' },
  2: { name: 'matchExpressions', type: 'repeated-message', schema: {
    1: { name: 'key', type: 'string' }, 2: { name: 'operator', type: 'string' }, 3: { name: 'values', type: 'repeated-string' },
  } },
};
const JOB_SPEC: Schema = {
  1: { name: 'parallelism', type: 'optint' }, 2: { name: 'completions', type: 'optint' }, 3: { name: 'activeDeadlineSeconds', type: 'optint' },
  4: { name: 'selector', type: 'message', schema: LABEL_SELECTOR }, 6: { name: 'template', type: 'message', schema: POD_TEMPLATE },
  7: { name: 'backoffLimit', type: 'optint' }, 8: { name: 'ttlSecondsAfterFinished', type: 'optint' }, 9: { name: 'completionMode', type: 'string' },
};

// authentication.k8s.io, authorization.k8s.io and rbac.authorization.k8s.io (kubectl create token|role|rolebinding, auth can-i|whoami).
const STRING_ARRAY = (name: string): Field => ({ name, type: 'repeated-string' });
const SUBJECT_ACCESS_REVIEW_SPEC: Schema = {
  1: { name: 'resourceAttributes', type: 'message', schema: {
    1: { name: 'namespace', type: 'string' }, 2: { name: 'verb', type: 'string' }, 3: { name: 'group', type: 'string' },
    4: { name: 'version', type: 'string' }, 5: { name: 'resource', type: 'string' }, 6: { name: 'subresource', type: 'string' },
    7: { name: 'name', type: 'string' },
  } },
  2: { name: 'nonResourceAttributes', type: 'message', schema: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } } },
  3: { name: 'user', type: 'string' }, 4: STRING_ARRAY('groups'), 6: { name: 'uid', type: 'string' },
};
const POLICY_RULE: Schema = { 1: STRING_ARRAY('verbs'), 2: STRING_ARRAY('apiGroups'), 3: STRING_ARRAY('resources'), 4: STRING_ARRAY('resourceNames'), 5: STRING_ARRAY('nonResourceURLs') };
const BINDING: Schema = {
  1: metadataField(),
  2: { name: 'subjects', type: 'repeated-message', schema: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiGroup', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'namespace', type: 'string' } } },
  3: { name: 'roleRef', type: 'message', schema: { 1: { name: 'apiGroup', type: 'string' }, 2: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' } } },
};
const AUTH_SCHEMAS: Readonly<Record<string, Schema>> = {
  'authentication.k8s.io/v1/TokenRequest': {
    1: metadataField(), 2: { name: 'spec', type: 'message', schema: {
      1: STRING_ARRAY('audiences'), 4: { name: 'expirationSeconds', type: 'optint' },
      3: { name: 'boundObjectRef', type: 'message', schema: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiVersion', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' } } },
    } },
  },
  'authentication.k8s.io/v1/TokenReview': { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: { 1: { name: 'token', type: 'string' }, 2: STRING_ARRAY('audiences') } } },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: metadataField() },
  'authorization.k8s.io/v1/SubjectAccessReview': { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: SUBJECT_ACCESS_REVIEW_SPEC } },
  'authorization.k8s.io/v1/LocalSubjectAccessReview': { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: SUBJECT_ACCESS_REVIEW_SPEC } },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: metadataField(), 2: { name: 'spec', type: 'message', schema: { 1: SUBJECT_ACCESS_REVIEW_SPEC[1], 2: SUBJECT_ACCESS_REVIEW_SPEC[2] } },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: { 1: { name: 'namespace', type: 'string' } } } },
  'rbac.authorization.k8s.io/v1/Role': { 1: metadataField(), 2: { name: 'rules', type: 'repeated-message', schema: POLICY_RULE } },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: metadataField(), 2: { name: 'rules', type: 'repeated-message', schema: POLICY_RULE },
    3: { name: 'aggregationRule', type: 'message', schema: { 1: { name: 'clusterRoleSelectors', type: 'repeated-message', schema: LABEL_SELECTOR } } },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': BINDING,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': BINDING,
};

function metadataField(): Field {
  return { name: 'metadata', type: 'message', schema: OBJECT_META };
}

/** By apiVersion/kind. */
const SCHEMAS: Readonly<Record<string, Schema>> = {
  'v1/ConfigMap': { 1: metadata, 2: { name: 'data', type: 'map', value: 'string' }, 3: { name: 'binaryData', type: 'map', value: 'bytes' }, 4: { name: 'immutable', type: 'optbool' } },
  'v1/Secret': {
    1: metadata, 2: { name: 'data', type: 'map', value: 'bytes' }, 3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map', value: 'string' }, 5: { name: 'immutable', type: 'optbool' },
  },
  'v1/Namespace': { 1: metadata, 2: { name: 'spec', type: 'message', schema: { 1: { name: 'finalizers', type: 'repeated-string' } } } },
  'apps/v1/Deployment': {
    1: metadata, 2: { name: 'spec', type: 'message', schema: {
      1: { name: 'replicas', type: 'optint' }, 2: { name: 'selector', type: 'message', schema: LABEL_SELECTOR },
      3: { name: 'template', type: 'message', schema: POD_TEMPLATE },
      4: { name: 'strategy', type: 'message', schema: { 1: { name: 'type', type: 'string' } } },
      5: { name: 'minReadySeconds', type: 'int' }, 6: { name: 'revisionHistoryLimit', type: 'optint' },
      7: { name: 'paused', type: 'bool' }, 9: { name: 'progressDeadlineSeconds', type: 'optint' },
    } },
  },
  'batch/v1/Job': { 1: metadata, 2: { name: 'spec', type: 'message', schema: JOB_SPEC } },
  'batch/v1/CronJob': {
    1: metadata, 2: { name: 'spec', type: 'message', schema: {
      1: { name: 'schedule', type: 'string' }, 2: { name: 'startingDeadlineSeconds', type: 'optint' }, 3: { name: 'concurrencyPolicy', type: 'string' },
      4: { name: 'suspend', type: 'optbool' },
      5: { name: 'jobTemplate', type: 'message', schema: { 1: metadataField(), 2: { name: 'spec', type: 'message', schema: JOB_SPEC } } },
      6: { name: 'successfulJobsHistoryLimit', type: 'optint' }, 7: { name: 'failedJobsHistoryLimit', type: 'optint' }, 8: { name: 'timeZone', type: 'string' },
    } },
  },
  'v1/ServiceAccount': {
    1: metadata, 2: { name: 'secrets', type: 'repeated-message', schema: OBJECT_REFERENCE },
    3: { name: 'imagePullSecrets', type: 'repeated-message', schema: LOCAL_OBJECT_REFERENCE }, 4: { name: 'automountServiceAccountToken', type: 'optbool' },
  },
  ...AUTH_SCHEMAS,
};

const MAGIC = Buffer.from('k8s\u0000', 'latin1');

export class UnsupportedProtobuf extends Error {}

/** The object a protobuf body carries, as JSON; UnsupportedProtobuf when it cannot be read. */
export function decodeProtobuf(body: Buffer): Obj {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new UnsupportedProtobuf('not a Kubernetes protobuf body');
  const unknown = readMessage(body.subarray(4), {
    1: { name: 'typeMeta', type: 'message', schema: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
    2: { name: 'raw', type: 'bytes' },
  }, true);
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = SCHEMAS[`${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`];
  if (!schema || !(unknown.raw instanceof Buffer)) throw new UnsupportedProtobuf(`no protobuf schema for ${typeMeta.apiVersion}/${typeMeta.kind}`);
  const obj = readMessage(unknown.raw, schema, false) as Obj;
  return { apiVersion: typeMeta.apiVersion ?? '', kind: typeMeta.kind ?? '', ...obj };
}

type Value = Json | Buffer;

function readMessage(buf: Buffer, schema: Schema, rawBytes: boolean): Record<string, Value> {
  const out: Record<string, Value> = {};
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new UnsupportedProtobuf('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    let value: number | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = varint();
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) { value = 0; pos += 8; } else if (wire === 5) { value = 0; pos += 4; } else throw new UnsupportedProtobuf(`wire type ${wire}`);
    const field = schema[num];
    if (!field) continue;
    const bytes = (): Buffer => (value instanceof Buffer ? value : Buffer.alloc(0));
    switch (field.type) {
      // Go writes every non-pointer field; its JSON omits the empty ones, and so do we.
      case 'string': if (bytes().length > 0) out[field.name] = bytes().toString('utf8'); break;
      case 'bytes': out[field.name] = rawBytes ? bytes() : bytes().toString('base64'); break;
      case 'int': if (typeof value === 'number' && value !== 0) out[field.name] = value; break;
      case 'optint': out[field.name] = typeof value === 'number' ? value : 0; break;
      case 'bool': if (value === 1) out[field.name] = true; break;
      case 'optbool': out[field.name] = value === 1; break;
      case 'time': {
        const t = readMessage(bytes(), { 1: { name: 's', type: 'int' } }, false);
        if (t.s === undefined) break;
        out[field.name] = new Date(Number(t.s ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
      case 'message': out[field.name] = readMessage(bytes(), field.schema, rawBytes) as Json; break;
      case 'repeated-string': out[field.name] = [...((out[field.name] as Json[] | undefined) ?? []), bytes().toString('utf8')]; break;
      case 'repeated-message': out[field.name] = [...((out[field.name] as Json[] | undefined) ?? []), readMessage(bytes(), field.schema, false) as Json]; break;
      case 'map': {
        const entry = readMessage(bytes(), { 1: { name: 'k', type: 'string' }, 2: { name: 'v', type: field.value } }, false);
        const map = (out[field.name] ?? {}) as Record<string, Json>;
        map[String(entry.k ?? '')] = (entry.v ?? (field.value === 'bytes' && rawBytes ? Buffer.alloc(0) : '')) as Json;
        out[field.name] = map;
        break;
      }
    }
  }
  return out;
}
