import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goString, sprintf, Template } from './template.js';

const data = {
  Name: '/web',
  Config: { Cmd: ['sh', '-c', 'echo hi'], Labels: { 'com.example.x': 'one', b: 'two' }, Env: ['A=1', 'B=2'], Tty: false },
  State: { Running: true, ExitCode: 0, Status: 'running' },
  Mounts: [{ Source: '/a', Destination: '/x' }, { Source: '/b', Destination: '/y' }],
  HostConfig: { Memory: 1073741824, NanoCpus: 1500000000 },
  Empty: [],
};

const run = (src: string, d: unknown = data): string => new Template(src).execute(d);

void test('fields, nested fields and Go printing', () => {
  assert.equal(run('{{.Name}}'), '/web');
  assert.equal(run('{{.State.ExitCode}}'), '0');
  assert.equal(run('{{.HostConfig.Memory}}'), '1073741824');
  assert.equal(run('{{.Config.Cmd}}'), '[sh -c echo hi]');
  assert.equal(run('{{.Config.Labels}}'), 'map[b:two com.example.x:one]');
  assert.equal(run('{{.Nope}}'), '<no value>');
  assert.equal(run('{{.State.Running}}'), 'true');
  assert.equal(run('id={{.}}', 'x'), 'id=x');
});

void test('json, index, join, lower, upper, printf, len', () => {
  assert.equal(run('{{json .Config.Cmd}}'), '["sh","-c","echo hi"]');
  assert.equal(run('{{json .State}}'), '{"Running":true,"ExitCode":0,"Status":"running"}');
  assert.equal(run('{{index .Config.Labels "com.example.x"}}'), 'one');
  assert.equal(run('{{index .Config.Cmd 1}}'), '-c');
  assert.equal(run('{{join .Config.Env ","}}'), 'A=1,B=2');
  assert.equal(run('{{.Name | printf "%s!"}}'), '/web!');
  assert.equal(run('{{lower "ABC"}}-{{upper .State.Status}}'), 'abc-RUNNING');
  assert.equal(run('{{printf "%s:%d" .Name .State.ExitCode}}'), '/web:0');
  assert.equal(run('{{printf "%-6s|" "ab"}}'), 'ab    |');
  assert.equal(run('{{len .Mounts}}'), '2');
  assert.equal(run('{{.Name | printf "%q"}}'), '"/web"');
});

void test('range, if/else if/else, with, variables, trim markers', () => {
  assert.equal(run('{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}'), '/a:/x /b:/y ');
  assert.equal(run('{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}};{{end}}'), '0=/a;1=/b;');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}'), 'b=two com.example.x=one ');
  assert.equal(run('{{range .Empty}}x{{else}}none{{end}}'), 'none');
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
  assert.equal(run('{{if eq .State.Status "exited"}}e{{else if eq .State.Status "running"}}r{{else}}?{{end}}'), 'r');
  assert.equal(run('{{if and .State.Running (not .Config.Tty)}}ok{{end}}'), 'ok');
  assert.equal(run('{{with .State}}{{.Status}}{{end}}'), 'running');
  assert.equal(run('{{$n := .Name}}{{range .Mounts}}{{$n}}{{end}}'), '/web/web');
  assert.equal(run('a  {{- .Name -}}  b'), 'a/webb');
  assert.equal(run('{{range .Mounts}}{{$.Name}}{{end}}'), '/web/web');
});

void test('methods with arguments, as .Label "x" in docker ps', () => {
  const row = { Label: (k: unknown) => (k === 'a' ? 'A' : '') };
  assert.equal(run('{{.Label "a"}}', row), 'A');
});

void test('errors', () => {
  assert.throws(() => new Template('{{nosuch .x}}').execute({}), /function "nosuch" not defined/);
  assert.throws(() => new Template('{{if .x}}'), /unexpected EOF/);
  assert.throws(() => new Template('{{.x'), /unclosed action/);
});

void test('sprintf and goString', () => {
  assert.equal(sprintf('%5d|%.2f|%v|%%', 42, 3.14159, [1, 2]), '   42|3.14|[1 2]|%');
  assert.equal(goString(null), '<nil>');
  assert.equal(goString(1.5), '1.5');
});
