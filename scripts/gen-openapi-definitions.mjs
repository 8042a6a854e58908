#!/usr/bin/env node
/**
 * Regenerates src/cluster/types/openapi-v1.32.json.gz: the OpenAPI (swagger 2.0) definitions of the
 * Kubernetes 1.32 built-in types, named as Kubernetes names them (io.k8s.api.core.v1.Pod), with
 * field descriptions, types and formats, enums, required fields, x-kubernetes-group-version-kind
 * and the patch-strategy / list-type extensions. The API server serves /openapi/v2 and /openapi/v3
 * from it and validates fields against it.
 *
 * Why a committed, generated file: no package installable here ships Kubernetes' own swagger.json,
 * so the definitions are rebuilt from two npm packages generated from it, each missing something:
 * - kubernetes-models 4.5.1 (+ @kubernetes-models/apimachinery 2.2.0): the definition names,
 *   descriptions of every field (also of fields whose type is another definition) with their
 *   paragraphs, enums, required fields, kinds and apiVersions. It is generated from Kubernetes
 *   1.33, so it is filtered by:
 *  - @kubernetes/client-node 1.1.2 (generated from the v1.32.0 spec): which definitions and fields
 *    1.32 has, integer formats (int32/int64) versus numbers (double), and 1.32's wording where
 *    1.33 changed a description.
 * The patch strategies and list types (Go struct tags and markers in k8s.io/api, which neither
 * package keeps) are the table PATCH below. Packing them at build time would make every build
 * depend on the registry, so the result is committed (gzip, ~0.5 MB) and this script is run by
 * hand when the Kubernetes version changes: `node scripts/gen-openapi-definitions.mjs`. It fetches
 * the packages with `npm pack` (the registry only, nothing else) into build/openapi-sources/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'build', 'openapi-sources');
const OUT = join(root, 'src', 'cluster', 'types', 'openapi-v1.32.json.gz');

const SOURCES = {
  models: ['kubernetes-models', '4.5.1'],
  machinery: ['@kubernetes-models/apimachinery', '2.2.0'],
  client: ['@kubernetes/client-node', '1.1.2'],
};

function unpack([name, version]) {
  const dir = join(cache, `${name.replace(/[@/]/g, '_')}-${version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir]);
  return join(dir, 'package');
}

function walk(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** IoK8sApiCoreV1PodSpec -> io.k8s.api.core.v1.PodSpec */
function definitionName(id) {
  const V = '(V\\d+(?:(?:alpha|beta)\\d+)?)';
  let m = new RegExp(`^IoK8sApi([A-Z][a-z]+)${V}(.+)$`).exec(id);
  if (m) return `io.k8s.api.${m[1].toLowerCase()}.${m[2].toLowerCase()}.${m[3]}`;
  m = new RegExp(`^IoK8sApimachineryPkgApisMeta${V}(.+)$`).exec(id);
  if (m) return `io.k8s.apimachinery.pkg.apis.meta.${m[1].toLowerCase()}.${m[2]}`;
  m = /^IoK8sApimachineryPkg(Api|Util|Runtime|Version)(Resource|Intstr)?(.+)$/.exec(id);
  if (m) return `io.k8s.apimachinery.pkg.${m[1].toLowerCase()}.${m[2] ? `${m[2].toLowerCase()}.` : ''}${m[3]}`;
  m = new RegExp(`^IoK8sApiextensionsApiserverPkgApisApiextensions${V}(.+)$`).exec(id);
  if (m) return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${m[1].toLowerCase()}.${m[2]}`;
  m = new RegExp(`^IoK8sKubeAggregatorPkgApisApiregistration${V}(.+)$`).exec(id);
  if (m) return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${m[1].toLowerCase()}.${m[2]}`;
  throw new Error(`unknown definition id ${id}`);
}

/** JSDoc text: the lines between /** and *\/ without their leading " * ". */
function jsdoc(lines) {
  return lines.map((l) => l.replace(/^\s*\*\s?/, '')).join('\n').replace(/\\\*/g, '*').replace(/\*\\\//g, '*/').trim();
}

/** kubernetes-models .d.ts files: definitions with fields (TS types), descriptions, required. */
function readModels(dirs) {
  const defs = new Map();
  for (const dir of dirs) {
    for (const file of walk(dir)) {
      const text = readFileSync(file, 'utf8');
      const exp = /export \{ (\w+) as I(IoK8s\w+), \w+ as IoK8s\w+ \};/.exec(text);
      if (!exp) continue;
      const local = exp[1];
      const name = definitionName(exp[2]);
      const lines = text.split('\n');
      let doc = [];
      let inDoc = false;
      let def;
      let depth = 0;
      let pending;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (!def) {
          if (/^\s*\/\*\*/.test(line)) { inDoc = true; doc = []; if (/\*\/\s*$/.test(line)) { inDoc = false; doc = [line.replace(/^\s*\/\*\*\s?|\s?\*\/\s*$/g, '')]; } continue; }
          if (inDoc) { if (/\*\/\s*$/.test(line)) inDoc = false; else doc.push(line); continue; }
          const alias = new RegExp(`^export declare type ${local} = (.*);$`).exec(line);
          if (alias) { defs.set(name, { alias: alias[1], description: jsdoc(doc), properties: [] }); break; }
          if (new RegExp(`^export interface ${local}\\b`).test(line)) {
            def = { description: jsdoc(doc), properties: [] };
            defs.set(name, def);
            doc = [];
            if (/\{\s*\}\s*$/.test(line)) break;
          }
          continue;
        }
        // inside the interface
        if (pending) {
          pending.type += ' ' + line.trim();
          depth += (line.match(/[{<(]/g) ?? []).length - (line.match(/[}>)]/g) ?? []).length;
          if (depth <= 0 && /;\s*$/.test(line)) { pending.type = pending.type.replace(/;\s*$/, ''); def.properties.push(pending); pending = undefined; }
          continue;
        }
        if (/^\}/.test(line)) break;
        if (/^\s*\/\*\*/.test(line)) { inDoc = true; doc = []; if (/\*\/\s*$/.test(line)) { inDoc = false; doc = [line.replace(/^\s*\/\*\*\s?|\s?\*\/\s*$/g, '')]; } continue; }
        if (inDoc) { if (/\*\/\s*$/.test(line)) inDoc = false; else doc.push(line); continue; }
        const prop = /^\s+"([^"]+)"(\?)?: (.*)$/.exec(line);
        if (prop) {
          const p = { name: prop[1], optional: prop[2] === '?', type: prop[3], description: jsdoc(doc) };
          doc = [];
          depth = (p.type.match(/[{<(]/g) ?? []).length - (p.type.match(/[}>)]/g) ?? []).length;
          if (depth <= 0 && /;\s*$/.test(p.type)) { p.type = p.type.replace(/;\s*$/, ''); def.properties.push(p); } else pending = p;
        }
      }
    }
  }
  return defs;
}

/** @kubernetes/client-node 1.1.2 models: class name -> { fields: baseName -> {type, format}, required, descriptions } */
function readClient(dir) {
  const models = new Map();
  const mdir = join(dir, 'dist', 'gen', 'models');
  for (const f of readdirSync(mdir)) {
    if (!f.endsWith('.js') || f === 'all.js' || f === 'ObjectSerializer.js') continue;
    const cls = f.slice(0, -3);
    const js = readFileSync(join(mdir, f), 'utf8');
    const m = /attributeTypeMap = (\[[\s\S]*?\n\]);/.exec(js);
    if (!m) continue;
    const attrs = JSON.parse(m[1]);
    const dts = readFileSync(join(mdir, `${cls}.d.ts`), 'utf8');
    const fields = new Map();
    for (const a of attrs) {
      const re = new RegExp(`(?:/\\*\\*\\n((?:\\s*\\*.*\\n)*?)\\s*\\*/\\n)?\\s*'${a.name.replace(/\$/g, '\\$')}'(\\?)?:`);
      const d = re.exec(dts);
      fields.set(a.baseName, { type: a.type, format: a.format, required: d ? d[2] !== '?' : false, description: d?.[1] ? jsdoc(d[1].split('\n')).replace(/\\(['"\\])/g, '$1') : '' });
    }
    fields.className = cls;
    models.set(cls, fields);
  }
  return models;
}

function clientClass(name, client) {
  const parts = name.split('.');
  const kind = parts[parts.length - 1];
  const version = parts[parts.length - 2];
  const V = version[0].toUpperCase() + version.slice(1);
  let group = parts[2] === 'api' ? parts[3] : parts[2] === 'apiextensions-apiserver' ? 'apiextensions' : parts[2] === 'kube-aggregator' ? 'apiregistration' : '';
  if (parts[2] === 'apimachinery') group = '';
  const G = group ? group[0].toUpperCase() + group.slice(1) : '';
  if (G && client.has(`${G}${V}${kind}`)) return client.get(`${G}${V}${kind}`);
  return client.get(`${V}${kind}`);
}

const norm = (s) => s.replace(/\s+/g, ' ').trim();

/** The fields' Go struct tags and list markers (k8s.io/api 1.32), by definition and field. */
const PATCH = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: { strategy: 'merge', key: 'uid', listType: 'map', mapKeys: ['uid'] },
    managedFields: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.PodSpec': {
    volumes: { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
    initContainers: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    containers: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    ephemeralContainers: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    imagePullSecrets: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    hostAliases: { strategy: 'merge', key: 'ip', listType: 'map', mapKeys: ['ip'] },
    topologySpreadConstraints: { strategy: 'merge', key: 'topologyKey', listType: 'map', mapKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    resourceClaims: { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
    tolerations: { listType: 'atomic' },
    readinessGates: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.Container': containerPatch(),
  'io.k8s.api.core.v1.EphemeralContainer': containerPatch(),
  'io.k8s.api.core.v1.PodStatus': {
    conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] },
    podIPs: { strategy: 'merge', key: 'ip', listType: 'map', mapKeys: ['ip'] },
    hostIPs: { strategy: 'merge', key: 'ip', listType: 'atomic' },
    resourceClaimStatuses: { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
    containerStatuses: { listType: 'atomic' }, initContainerStatuses: { listType: 'atomic' }, ephemeralContainerStatuses: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ContainerStatus': { allocatedResourcesStatus: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: { strategy: 'merge', key: 'port', listType: 'map', mapKeys: ['port', 'protocol'] },
    clusterIPs: { listType: 'atomic' }, externalIPs: { listType: 'atomic' }, ipFamilies: { listType: 'atomic' }, loadBalancerSourceRanges: { listType: 'atomic' },
  },
  'io.k8s.api.core.v1.ServiceStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.core.v1.ServiceAccount': { secrets: { strategy: 'merge', key: 'name' }, imagePullSecrets: { listType: 'atomic' } },
  'io.k8s.api.core.v1.NodeSpec': { podCIDRs: { strategy: 'merge', listType: 'set' }, taints: { listType: 'atomic' } },
  'io.k8s.api.core.v1.NodeStatus': {
    conditions: { strategy: 'merge', key: 'type' }, addresses: { strategy: 'merge', key: 'type' },
  },
  'io.k8s.api.core.v1.NamespaceStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.core.v1.ReplicationControllerStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.core.v1.ComponentStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { strategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.apps.v1.StatefulSetSpec': { volumeClaimTemplates: { listType: 'atomic' } },
  'io.k8s.api.batch.v1.JobStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'atomic' } },
  'io.k8s.api.batch.v1.CronJobStatus': { active: { listType: 'atomic' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { strategy: 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': { webhooks: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': { webhooks: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': { matchConditions: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': { matchConditions: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    matchConditions: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    variables: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    validations: { listType: 'atomic' }, auditAnnotations: { listType: 'atomic' },
  },
  'io.k8s.api.storage.v1.CSINodeSpec': { drivers: { strategy: 'merge', key: 'name' } },
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus': { conditions: { listType: 'map', mapKeys: ['type'] } },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus': { conditions: { listType: 'map', mapKeys: ['type'] } },
  'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus': { conditions: { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] } },
  'io.k8s.api.rbac.v1.Role': { rules: { listType: 'atomic' } },
  'io.k8s.api.rbac.v1.ClusterRole': { rules: { listType: 'atomic' } },
  'io.k8s.api.rbac.v1.RoleBinding': { subjects: { listType: 'atomic' } },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': { subjects: { listType: 'atomic' } },
  'io.k8s.api.rbac.v1.PolicyRule': { verbs: { listType: 'atomic' }, apiGroups: { listType: 'atomic' }, resources: { listType: 'atomic' }, resourceNames: { listType: 'atomic' }, nonResourceURLs: { listType: 'atomic' } },
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: { listType: 'atomic' }, ports: { listType: 'atomic' } },
  'io.k8s.api.core.v1.Endpoints': { subsets: { listType: 'atomic' } },
  'io.k8s.api.networking.v1.NetworkPolicySpec': { ingress: { listType: 'atomic' }, egress: { listType: 'atomic' }, policyTypes: { listType: 'atomic' } },
  'io.k8s.api.networking.v1.IngressSpec': { rules: { listType: 'atomic' }, tls: { listType: 'atomic' } },
};

function containerPatch() {
  return {
    ports: { strategy: 'merge', key: 'containerPort', listType: 'map', mapKeys: ['containerPort', 'protocol'] },
    env: { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
    volumeMounts: { strategy: 'merge', key: 'mountPath', listType: 'map', mapKeys: ['mountPath'] },
    volumeDevices: { strategy: 'merge', key: 'devicePath', listType: 'map', mapKeys: ['devicePath'] },
    args: { listType: 'atomic' }, command: { listType: 'atomic' }, envFrom: { listType: 'atomic' }, resizePolicy: { listType: 'atomic' },
  };
}

/** A TS type of kubernetes-models as a swagger schema; format from client-node. */
function schemaOf(ts, format, where) {
  ts = ts.trim();
  let m;
  if (ts === 'string') return { type: 'string', ...(format === 'byte' ? { format: 'byte' } : {}) };
  if (ts === 'boolean') return { type: 'boolean' };
  if (ts === 'number') {
    if (format === 'double') return { type: 'number', format: 'double' };
    if (format === 'int32' || format === 'int64') return { type: 'integer', format };
    console.warn(`${where}: number without format, integer int32 assumed`);
    return { type: 'integer', format: 'int32' };
  }
  if (/^"[^"]*"( \| "[^"]*")*$/.test(ts)) return { type: 'string', enum: [...ts.matchAll(/"([^"]*)"/g)].map((x) => x[1]) };
  if ((m = /^Array<(.*)>$/.exec(ts))) return { type: 'array', items: schemaOf(m[1], format, where) };
  if ((m = /^\{\s*\[key: string\]: (.*?);?\s*\}$/.exec(ts))) return { type: 'object', additionalProperties: schemaOf(m[1], format, where) };
  if ((m = /^I(IoK8s\w+)$/.exec(ts))) return { $ref: `#/definitions/${definitionName(m[1])}` };
  if (ts.startsWith('{ /**') || /^Array<\{ \/\*\*/.test(ts)) return inlineRef(ts, where);
  if (ts === 'IJSONSchemaProps') return { $ref: '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps' };
  throw new Error(`${where}: type ${ts}`);
}

/** kubernetes-models inlines a kind's definition where another embeds it (volumeClaimTemplates): client-node names it. */
const byClass = new Map();
let currentClientType = '';
function inlineRef(ts, where) {
  const m = /^(Array<)?(\w+)>?$/.exec(currentClientType);
  const def = m && byClass.get(m[2]);
  if (!def) throw new Error(`${where}: inline type for ${currentClientType}`);
  return m[1] ? { type: 'array', items: { $ref: `#/definitions/${def}` } } : { $ref: `#/definitions/${def}` };
}

const ALIASES = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
};
/** Definitions without fields: free-form objects, or any JSON value (apiextensions' JSON*). */
const OPAQUE = new Set(['io.k8s.apimachinery.pkg.runtime.RawExtension', 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1']);

function main() {
  const models = readModels([unpack(SOURCES.models), unpack(SOURCES.machinery)]);
  const client = readClient(unpack(SOURCES.client));
  for (const name of models.keys()) {
    const c = clientClass(name, client);
    if (c) byClass.set(c.className, name);
  }
  const definitions = {};
  let dropped = 0;
  for (const [name, def] of [...models].sort(([a], [b]) => a.localeCompare(b))) {
    if (ALIASES[name]) { definitions[name] = { description: def.description, ...ALIASES[name] }; continue; }
    if (def.properties.length === 0) {
      const c = clientClass(name, client);
      if (!OPAQUE.has(name) && !name.includes('apiextensions') && !c) { dropped++; continue; }
      definitions[name] = OPAQUE.has(name) ? { description: def.description, type: 'object' } : { description: def.description };
      continue;
    }
    const fields = clientClass(name, client);
    if (!fields) { dropped++; continue; }
    const out = { description: def.description, type: 'object', properties: {} };
    const required = [];
    let apiVersion;
    let kind;
    for (const p of def.properties) {
      const f = fields.get(p.name);
      if (!f) continue; // a 1.33 field
      if (/^"[^"]*"$/.test(p.type) && p.name === 'apiVersion') apiVersion = p.type.slice(1, -1);
      if (/^"[^"]*"$/.test(p.type) && p.name === 'kind') kind = p.type.slice(1, -1);
      let schema;
      if ((p.name === 'apiVersion' || p.name === 'kind') && /^"[^"]*"$/.test(p.type)) schema = { type: 'string' };
      else {
        currentClientType = f.type;
        schema = schemaOf(p.type, f.format, `${name}.${p.name}`);
      }
      let description = p.description;
      // client-node describes a field of a named type (IntOrString) by that type: take its words only for plain types
      if (f.description && !/IIoK8s/.test(p.type) && !norm(description).startsWith(norm(f.description))) description = f.description;
      const x = PATCH[name]?.[p.name];
      const prop = { ...(description ? { description } : {}), ...schema };
      if (x?.strategy) prop['x-kubernetes-patch-strategy'] = x.strategy;
      if (x?.key) prop['x-kubernetes-patch-merge-key'] = x.key;
      if (x?.listType) prop['x-kubernetes-list-type'] = x.listType;
      if (x?.mapKeys) prop['x-kubernetes-list-map-keys'] = x.mapKeys;
      out.properties[p.name] = prop;
      if (f.required) required.push(p.name);
    }
    for (const k of Object.keys(PATCH[name] ?? {})) if (!out.properties[k]) throw new Error(`PATCH names ${name}.${k}, which 1.32 does not have`);
    if (required.length > 0) out.required = required;
    if (apiVersion !== undefined && kind !== undefined) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      out['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
    }
    definitions[name] = out;
  }
  for (const name of Object.keys(PATCH)) if (!definitions[name]) throw new Error(`PATCH names ${name}, which 1.32 does not have`);
  const json = JSON.stringify({ kubernetes: 'v1.32.0', definitions });
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, gzipSync(json, { level: 9 }));
  console.log(`${Object.keys(definitions).length} definitions (${dropped} not in 1.32), ${json.length} bytes, ${statSync(OUT).size} gzipped: ${OUT}`);
}

main();
