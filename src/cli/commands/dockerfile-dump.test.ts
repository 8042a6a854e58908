import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../main.js';

async function minke(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (c: Buffer) => (chunks.out += c.toString('utf8')));
  err.on('data', (c: Buffer) => (chunks.err += c.toString('utf8')));
  const input = new PassThrough();
  input.end(stdin);
  const code = await runCli(argv, { out, err, in: input, env: {} });
  await new Promise((r) => setImmediate(r));
  return { code, ...chunks };
}

describe('minke dockerfile dump', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minke-dump-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the parse tree of a file and of standard input', async () => {
    const file = path.join(dir, 'Dockerfile');
    await writeFile(file, 'FROM busybox AS b\nRUN --mount=type=cache,target=/c echo "hi"\nONBUILD COPY . /\n');
    const want = '(from "busybox" "AS" "b")\n(run ["--mount=type=cache,target=/c"] "echo \\"hi\\"")\n(onbuild (copy "." "/"))\n';
    assert.deepEqual(await minke(['dockerfile', 'dump', file]), { code: 0, out: want, err: '' });
    assert.deepEqual(await minke(['dockerfile', 'dump', '-'], 'FROM a\nCMD ["x"]\n'), { code: 0, out: '(from "a")\n(cmd "x")\n', err: '' });
  });

  it('reports a syntax error as FILE:LINE: message, exit 1', async () => {
    const file = path.join(dir, 'Bad.Dockerfile');
    await writeFile(file, 'FROM a\n\nENV ONLYNAME\n');
    assert.deepEqual(await minke(['dockerfile', 'dump', file]), { code: 1, out: '', err: `${file}:3: ENV must have two arguments\n` });
    const missing = await minke(['dockerfile', 'dump', path.join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such file or directory/);
  });
});
