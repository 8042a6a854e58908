// Loading projects: discovery, -f merges, names, .env, profiles, extends, include, tags, errors.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProject, type ProjectOptions } from './project.js';
import { configText } from '../config-output.js';

const root = mkdtempSync(path.join(tmpdir(), 'minke-compose-load-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A directory of files for one case. */
function dir(files: Record<string, string>, name = `case${n++}`): string {
  const d = path.join(root, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    writeFileSync(path.join(d, f), text);
  }
  return d;
}

function load(cwd: string, more: Partial<ProjectOptions> = {}): ReturnType<typeof loadProject> & { warnings: string[] } {
  const warnings: string[] = [];
  const p = loadProject({ files: [], envFiles: [], profiles: [], env: { HOME: '/home/u' }, cwd, warn: (m) => warnings.push(m), ...more });
  return Object.assign(p, { warnings });
}

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('compose files', () => {
  it('are found in the directory or above it, with the override file', () => {
    const d = dir({ 'docker-compose.yml': 'services: {a: {image: x}}\n', 'docker-compose.override.yml': 'services: {a: {environment: [B=2]}}\n', 'sub/deeper/.keep': '' }, 'My_App.1');
    const p = load(path.join(d, 'sub', 'deeper'));
    assert.equal(p.name, 'my_app1');
    assert.equal(p.workingDir, d);
    assert.deepEqual(p.configFiles, [path.join(d, 'docker-compose.yml'), path.join(d, 'docker-compose.override.yml')]);
    assert.deepEqual(p.services.a!.environment, { B: '2' });
    assert.match(err(() => load(path.parse(root).root)), /no configuration file provided: not found/);
  });
  it('prefers compose.yaml and warns when several are there', () => {
    const d = dir({ 'compose.yaml': 'services: {a: {image: one}}\n', 'docker-compose.yml': 'services: {a: {image: two}}\n' });
    const p = load(d);
    assert.equal(p.services.a!.image, 'one');
    assert.match(p.warnings.join('\n'), /Found multiple config files/);
  });
  it('merge in order with -f, by the specification\'s rules', () => {
    const d = dir({
      'a.yaml': `services:
  web:
    image: busybox
    command: [echo, a]
    ports: ["8080:80", "9090:90"]
    volumes: [data:/data, ./src:/src]
    environment: {A: "1", B: "1"}
    dns: [1.1.1.1]
    labels: [x=1]
volumes: {data: {}}
`,
      'b.yaml': `services:
  web:
    command: echo b
    ports: ["8080:80", "7070:70"]
    volumes: [other:/data]
    environment: [B=2, C=3]
    dns: [1.1.1.1, 8.8.8.8]
    labels: {y: "2"}
volumes: {other: {}}
`,
    });
    const p = load(d, { files: ['a.yaml', 'b.yaml'] });
    const web = p.services.web!;
    assert.deepEqual(web.command, ['echo', 'b']);
    assert.deepEqual(web.ports!.map((x) => `${x.published}:${x.target}`), ['8080:80', '9090:90', '7070:70']);
    assert.deepEqual(web.volumes!.map((v) => `${v.source}:${v.target}`), [`other:/data`, `${d}/src:/src`]);
    assert.deepEqual(web.environment, { A: '1', B: '2', C: '3' });
    assert.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
    assert.deepEqual(web.labels, { x: '1', y: '2' });
    assert.deepEqual(Object.keys(p.volumes), ['data', 'other']);
  });
  it('read standard input for -f -', () => {
    const d = dir({});
    const p = load(d, { files: ['-'], stdin: 'name: fromstdin\nservices: {a: {image: x}}\n' });
    assert.equal(p.name, 'fromstdin');
    assert.deepEqual(p.configFiles, ['-']);
  });
  it('honour !reset and !override', () => {
    const d = dir({
      'compose.yaml': 'services:\n  app:\n    image: myapp\n    ports: ["8080:80"]\n    environment: {FOO: BAR, KEEP: "1"}\n    dns: [1.1.1.1]\n',
      'compose.override.yaml': 'services:\n  app:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n    dns: !override [9.9.9.9]\n',
    });
    const app = load(d).services.app!;
    assert.equal(app.ports, undefined);
    assert.deepEqual(app.environment, { KEEP: '1' });
    assert.deepEqual(app.dns, ['9.9.9.9']);
  });
  it('resolve anchors and merge keys', () => {
    const d = dir({ 'compose.yaml': 'x-common: &common\n  image: busybox\n  restart: always\nservices:\n  a:\n    <<: *common\n    restart: "no"\n  b: *common\n' });
    const p = load(d);
    assert.equal(p.services.a!.restart, 'no');
    assert.equal(p.services.b!.image, 'busybox');
    assert.deepEqual(p.extensions['x-common'], { image: 'busybox', restart: 'always' });
  });
});

describe('project names', () => {
  const d = dir({ 'compose.yaml': 'name: fromfile\nservices: {a: {image: x}}\n' }, 'Some Dir');
  it('come from -p, COMPOSE_PROJECT_NAME, the file, then the directory', () => {
    assert.equal(load(d, { projectName: 'flag' }).name, 'flag');
    assert.equal(load(d, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).name, 'fromenv');
    assert.equal(load(d).name, 'fromfile');
    const plain = dir({ 'compose.yaml': 'services: {a: {image: x}}\n' }, '-Some.Dir_2');
    assert.equal(load(plain).name, 'somedir_2');
  });
  it('must be valid when given', () => {
    assert.match(err(() => load(d, { projectName: 'Bad' })), /invalid project name "Bad": must consist only of lowercase alphanumeric characters/);
    assert.match(err(() => load(d, { projectName: '_x' })), /invalid project name/);
  });
  it('take --project-directory as the working directory', () => {
    const other = dir({ 'sub/.keep': '' });
    const p = load(d, { projectDirectory: path.join(other, 'sub'), files: [path.join(d, 'compose.yaml')] });
    assert.equal(p.workingDir, path.join(other, 'sub'));
  });
});

describe('environment', () => {
  it('reads .env under the process environment, or --env-file', () => {
    const d = dir({
      'compose.yaml': 'services:\n  a:\n    image: "busybox:${TAG}"\n    environment: [FROM_ENV, "X=${X:-dx}", "Y=${Y-dy}"]\n    ports: ["${PORT:?set PORT}:80"]\n',
      '.env': 'TAG=dotenv\nPORT=80\nFROM_ENV=e1\n',
      'other.env': 'TAG=other\nPORT=81\nY=\n',
    });
    const p = load(d, { env: { TAG: 'shell' } });
    assert.equal(p.services.a!.image, 'busybox:shell');
    assert.deepEqual(p.services.a!.environment, { FROM_ENV: 'e1', X: 'dx', Y: 'dy' });
    const q = load(d, { envFiles: [path.join(d, 'other.env')] });
    assert.equal(q.services.a!.image, 'busybox:other');
    assert.equal(q.services.a!.environment!.Y, '');
    assert.equal(q.services.a!.ports![0]!.published, '81');
    assert.match(err(() => load(d, { envFiles: [path.join(d, 'missing.env')] })), /couldn't find env file/);
  });
  it('fails on a missing :? variable, naming it', () => {
    const d = dir({ 'compose.yaml': 'services:\n  a:\n    image: "busybox:${TAG:?TAG must be set}"\n' });
    assert.match(err(() => load(d)), /error while interpolating services\.a\.image: required variable TAG is missing a value: TAG must be set/);
  });
  it('warns about unset variables and reads env_file into environment', () => {
    const d = dir({ 'compose.yaml': 'services:\n  a:\n    image: "x${NOPE}"\n    env_file: [a.env, {path: gone.env, required: false}]\n    environment: {B: own}\n', 'a.env': 'A=1\nB=file\n' });
    const p = load(d);
    assert.deepEqual(p.warnings, ['The "NOPE" variable is not set. Defaulting to a blank string.']);
    assert.deepEqual(p.services.a!.environment, { A: '1', B: 'own' });
  });
});

describe('profiles', () => {
  const d = dir({ 'compose.yaml': 'services:\n  a: {image: x}\n  dbg: {image: x, profiles: [debug]}\n  tools: {image: x, profiles: [tools, debug]}\n' });
  it('leave services out unless enabled by --profile, COMPOSE_PROFILES or by name', () => {
    assert.deepEqual(Object.keys(load(d).services), ['a']);
    assert.deepEqual(Object.keys(load(d, { profiles: ['debug'] }).services), ['a', 'dbg', 'tools']);
    assert.deepEqual(Object.keys(load(d, { env: { COMPOSE_PROFILES: 'tools' } }).services), ['a', 'tools']);
    assert.deepEqual(Object.keys(load(d, { services: ['dbg'] }).services), ['a', 'dbg']);
    assert.deepEqual(Object.keys(load(d, { profiles: ['*'] }).services).length, 3);
  });
});

describe('extends and include', () => {
  it('extend a service of the same file and of another file', () => {
    const d = dir({
      'compose.yaml': 'services:\n  base: {image: busybox, environment: {A: "1"}, ports: ["80"]}\n  web:\n    extends: base\n    environment: {B: "2"}\n  other:\n    extends: {file: lib/common.yaml, service: tool}\n',
      'lib/common.yaml': 'services:\n  tool:\n    image: tool\n    build: ./ctx\n    command: run it\n',
    });
    const p = load(d);
    assert.deepEqual(p.services.web!.environment, { A: '1', B: '2' });
    assert.equal(p.services.web!.image, 'busybox');
    assert.equal(p.services.web!.extends, undefined);
    assert.equal(p.services.other!.build!.context, path.join(d, 'lib', 'ctx'));
    assert.deepEqual(p.services.other!.command, ['run', 'it']);
  });
  it('refuse an extends cycle', () => {
    const d = dir({ 'compose.yaml': 'services:\n  a: {extends: b, image: x}\n  b: {extends: a, image: y}\n' });
    assert.match(err(() => load(d)), /circular reference with extends/);
  });
  it('include other projects, with their own directory, and refuse conflicts', () => {
    const d = dir({
      'compose.yaml': 'include: [sub/inc.yaml]\nservices:\n  web: {image: busybox, depends_on: [db]}\n',
      'sub/inc.yaml': 'services:\n  db:\n    image: busybox\n    volumes: [./data:/data, dbdata:/var]\nvolumes: {dbdata: {}}\n',
    });
    const p = load(d);
    assert.deepEqual(Object.keys(p.services).sort(), ['db', 'web']);
    assert.equal(p.services.db!.volumes![0]!.source, path.join(d, 'sub', 'data'));
    assert.equal(p.volumes.dbdata!.name, `${p.name}_dbdata`);
    const c = dir({ 'compose.yaml': 'include: [inc.yaml]\nservices: {db: {image: x}}\n', 'inc.yaml': 'services: {db: {image: y}}\n' });
    assert.match(err(() => load(c)), /defines conflicting service db/);
  });
});

describe('bad projects', () => {
  const bad = (text: string): string => err(() => load(dir({ 'compose.yaml': text })));
  it('fail with errors that name what is wrong', () => {
    assert.match(bad('services: {web: {image: x, foo: 1}}'), /validating .*compose\.yaml: services\.web: additional property 'foo' is not allowed/);
    assert.match(bad('services: {web: {image: x, ports: ["80:80:80"]}}'), /services\.web\.ports\[0\]: invalid port "80:80:80"/);
    assert.match(bad('services: {a: {image: x, depends_on: [b]}, b: {image: x, depends_on: [c]}, c: {image: x, depends_on: [a]}}'), /dependency cycle detected: a -> b -> c -> a/);
    assert.match(bad('services: {a: {image: x, depends_on: [nope]}}'), /service "a" depends on undefined service "nope": invalid compose project/);
    assert.match(bad('services: {a: {image: x, networks: [nope]}}'), /service "a" refers to undefined network nope/);
    assert.match(bad('services: {a: {image: x, volumes: ["nope:/x"]}}'), /service "a" refers to undefined volume nope/);
    assert.match(bad('services: {a: {command: x}}'), /has neither an image nor a build context/);
    assert.match(bad('services: {a: {image: x, scale: 2, container_name: one}}'), /container_name/);
    assert.match(bad('services:\n  a: {image: x}\n  a: {image: y}\n'), /yaml: line 3: Map keys must be unique/);
    assert.match(bad('- a\n- b\n'), /Top-level object must be a mapping/);
  });
});

describe('compose config output', () => {
  it('prints the normalised model as docker compose v2 does', () => {
    const d = dir({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports: [8080:80]\n    environment: [B=2, A=1]\n    depends_on: [db]\n    volumes: [data:/data]\n    stop_grace_period: 90s\n  db: {image: busybox}\nvolumes: {data: {}}\n' }, 'cfg');
    assert.equal(configText(load(d), 'yaml'), `name: cfg
services:
  db:
    image: busybox
    networks:
      default: null
  web:
    depends_on:
      db:
        condition: service_started
        required: true
    environment:
      A: "1"
      B: "2"
    image: busybox
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
    stop_grace_period: 1m30s
    volumes:
      - type: volume
        source: data
        target: /data
        volume: {}
networks:
  default:
    name: cfg_default
volumes:
  data:
    name: cfg_data
`);
    assert.equal(JSON.parse(configText(load(d), 'json')).services.web.ports[0].published, '8080');
  });
});
