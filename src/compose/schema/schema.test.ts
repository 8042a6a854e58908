// minke's compose schema against the specification's own (../shared/peer/compose-spec): the
// same keys at every place, the same verdict on a corpus of files, and errors that name the key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { composeSchema } from './definition.js';
import { validateCompose } from './validate.js';
import { peerDir } from '../../engine/build/peer-data.js';

type Schema = Record<string, unknown>;

const peer = peerDir('compose-spec');

function loadPeer(): Schema {
  const s = JSON.parse(readFileSync(path.join(peer.dir!, 'compose-spec.json'), 'utf8')) as Schema;
  delete s.$schema;
  return s;
}

/** Every place's property names, by a path of keys ('.*' for pattern keys, '[]' for items). */
function keysByPlace(root: Schema): Map<string, Set<string>> {
  const defs = root.definitions as Record<string, Schema>;
  const out = new Map<string, Set<string>>();
  const walk = (s: Schema, at: string, depth: number): void => {
    if (depth > 30) return;
    if (typeof s.$ref === 'string') return walk(defs[s.$ref.split('/').pop()!]!, at, depth + 1);
    const props = s.properties as Record<string, Schema> | undefined;
    if (props) {
      const set = out.get(at) ?? new Set<string>();
      for (const k of Object.keys(props)) set.add(k);
      out.set(at, set);
      for (const [k, v] of Object.entries(props)) walk(v, `${at}.${k}`, depth + 1);
    }
    for (const [pat, v] of Object.entries((s.patternProperties ?? {}) as Record<string, Schema>)) if (pat !== '^x-') walk(v, `${at}.*`, depth + 1);
    if (s.items && typeof s.items === 'object') walk(s.items as Schema, `${at}[]`, depth + 1);
    for (const alt of [...((s.oneOf ?? []) as Schema[]), ...((s.anyOf ?? []) as Schema[])]) walk(alt, at, depth + 1);
  };
  walk(root, '', 0);
  return out;
}

const good = [
  'services: {web: {image: busybox}}',
  'name: app\nservices:\n  web:\n    image: busybox\n    ports: ["80:80", 8080, {target: 80, published: "81", protocol: tcp}]\n',
  'services:\n  web:\n    build: .\n    depends_on: [db]\n  db:\n    image: x\n    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 3}\n',
  'services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_healthy, restart: true, required: false}}\n  b: {image: y}\n',
  'services:\n  a:\n    image: x\n    environment: [A=1, B]\n    labels: {x: 1, y: true, z: null}\n    volumes: [data:/data, {type: bind, source: ., target: /src, bind: {create_host_path: true}}]\nvolumes: {data: {}}\n',
  'x-common: &c {image: x}\nservices:\n  a:\n    <<: *c\n    x-extra: 1\n    deploy: {replicas: 3, resources: {limits: {cpus: "0.5", memory: 64m}}}\n',
  'services: {a: {image: x, networks: {front: {aliases: [web], ipv4_address: 10.1.0.5}, back: null}}}\nnetworks: {front: {ipam: {config: [{subnet: 10.1.0.0/24}]}}, back: {external: true}}\n',
  'services: {a: {image: x, ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}, env_file: [{path: a.env, required: false}], secrets: [s]}}\nsecrets: {s: {file: ./s.txt}}\n',
  'include: [other.yaml, {path: [a.yaml, b.yaml], project_directory: sub}]\nservices: {}\n',
  'services: {a: {image: x, extends: {service: base, file: base.yaml}, command: null, entrypoint: [sh, -c]}}\n',
  'services: {a: {image: x, restart: unless-stopped, stop_grace_period: 1s, init: "${INIT}", tty: true, scale: "2"}}\n',
  'version: "3.8"\nservices: {a: {image: x, logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}}}\n',
  'services: {a: {image: x, configs: [{source: c, target: /etc/c, mode: 0440}]}}\nconfigs: {c: {content: hello}}\n',
];

const bad = [
  'services: {web: {image: busybox, foo: 1}}',
  'services: {web: {image: 1.2, ports: [[1]]}}',
  'services: {web: {image: x, depends_on: {db: {condition: service_done}}}}',
  'services: {web: {image: x, depends_on: {db: {restart: true}}}}',
  'services: {web: {image: x, volumes: [{source: a, target: /b}]}}',
  'services: {web: {image: x, cap_add: [A, A]}}',
  'services: {web: {image: x, build: {context: ., nope: 1}}}',
  'servces: {web: {image: x}}',
  'services: {"bad name!": {image: x}}',
  'services: {web: {image: x, networks: {n: {aliases: web}}}}',
  'services: {web: {image: x, healthcheck: {test: 1}}}',
  'services: {web: {image: x, environment: 1}}',
  'volumes: {v: {driver: local, bogus: 1}}',
  'services: {web: {image: x, ulimits: {nofile: {soft: 1}}}}',
  'services: {web: {image: x, cgroup: other}}',
];

describe('compose schema against the specification\'s', { skip: peer.skip }, () => {
  it('allows the same keys at every place', () => {
    const ours = keysByPlace(composeSchema);
    const theirs = keysByPlace(loadPeer());
    const show = (m: Map<string, Set<string>>): Record<string, string[]> => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort());
    assert.deepEqual(show(ours), show(theirs));
  });
  it('gives the same verdict on good and bad files', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const spec = ajv.compile(loadPeer());
    for (const text of good) {
      const doc: unknown = parse(text, { merge: true });
      assert.equal(spec(doc), true, `the specification rejects ${text}: ${JSON.stringify(spec.errors)}`);
      assert.doesNotThrow(() => validateCompose(doc), text);
    }
    for (const text of bad) {
      const doc: unknown = parse(text, { merge: true });
      assert.equal(spec(doc), false, `the specification accepts ${text}`);
      assert.throws(() => validateCompose(doc), Error, text);
    }
  });
});

describe('schema errors', () => {
  const err = (text: string): string => {
    try {
      validateCompose(parse(text, { merge: true }));
    } catch (e) {
      return (e as Error).message;
    }
    return 'valid';
  };
  it('name the key', () => {
    assert.equal(err('services: {web: {image: busybox, foo: 1}}'), "services.web: additional property 'foo' is not allowed");
    assert.equal(err('servces: {}'), "additional property 'servces' is not allowed");
    assert.equal(err('services: {web: {image: x, ports: [[1]]}}'), 'services.web.ports[0]: must be a number, a string or an object');
    assert.equal(err('services: {web: {image: x, depends_on: {db: {condition: done}}}}'), 'services.web.depends_on.db.condition: must be one of "service_started", "service_healthy" or "service_completed_successfully"');
    assert.equal(err('services: {web: {image: x, depends_on: {db: {restart: true}}}}'), "services.web.depends_on.db: missing property 'condition'");
    assert.equal(err('services: {web: {image: x, environment: 1}}'), 'services.web.environment: must be an object or an array');
    assert.equal(err('services: {web: {image: x, x-anything: {a: 1}}}\nx-top: 1'), 'valid');
  });
});
