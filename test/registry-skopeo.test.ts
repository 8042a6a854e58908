/**
 * skopeo (Debian's) copies images into and out of a minke registry on loopback: without auth,
 * with htpasswd (Basic) auth, with token auth, and through a pull-through cache of a second
 * minke registry. What comes out is byte for byte what went in.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { startRegistry, type RegistryOptions, type RunningRegistry } from '../src/engine/distribution/registry/server.js';
import { basic, http } from './registry/http-client.js';
import { makeIndexLayout, makeLayout, type Layout } from './registry/oci-layout.js';
import { haveSkopeo, skopeo, skopeoOk } from './registry/skopeo.js';
import { makeCerts } from './tls-certs.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

void describe('skopeo and a minke registry', { skip: !haveSkopeo && 'skopeo is not installed (scripts/setup.sh installs it)' }, () => {
  let dir: string;
  let image: Layout;
  const running: RunningRegistry[] = [];

  const serve = async (opts: Partial<RegistryOptions> = {}): Promise<RunningRegistry> => {
    const reg = await startRegistry({ listen: '127.0.0.1:0', root: mkdtempSync(join(dir, 'root-')), ...opts });
    running.push(reg);
    return reg;
  };
  const hostOf = (reg: RunningRegistry): string => `127.0.0.1:${reg.port}`;

  /** Copies the image in, out to a fresh layout, and checks the manifest and layers came back whole. */
  const roundTrip = async (reg: RunningRegistry, repo: string, creds: string[] = []): Promise<void> => {
    const ref = `docker://${hostOf(reg)}/${repo}:${image.tag}`;
    await skopeoOk(['copy', '--dest-tls-verify=false', ...creds.flatMap((c) => ['--dest-creds', c]), `oci:${image.dir}:${image.tag}`, ref]);
    const raw = Buffer.from(await skopeoOk(['inspect', '--raw', '--tls-verify=false', ...creds.flatMap((c) => ['--creds', c]), ref]));
    assert.equal(sha256(raw), image.manifest, 'the manifest pushed is the manifest pulled');
    const out = mkdtempSync(join(dir, 'out-'));
    await skopeoOk(['copy', '--src-tls-verify=false', ...creds.flatMap((c) => ['--src-creds', c]), ref, `oci:${out}:${image.tag}`]);
    for (const l of image.layers) {
      const hex = l.slice(7);
      assert.equal(sha256(readFileSync(join(out, 'blobs', 'sha256', hex))), l, `layer ${l} came back whole`);
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minke-registry-skopeo-'));
    image = await makeLayout(join(dir, 'image'), [300_000, 2_000_000, 1024]);
  });

  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('copies an image in and out, and between repositories (mounting the blobs)', async () => {
    const reg = await serve();
    await roundTrip(reg, 'library/busybox');
    await skopeoOk(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${hostOf(reg)}/library/busybox:${image.tag}`, `docker://${hostOf(reg)}/other/copy:v1`]);
    const tags = await http(`${reg.url}/v2/other/copy/tags/list`);
    assert.deepEqual(tags.json(), { name: 'other/copy', tags: ['v1'] });
    for (const l of image.layers) assert.equal((await http(`${reg.url}/v2/other/copy/blobs/${l}`, { method: 'HEAD' })).status, 200);
    const catalog = await http(`${reg.url}/v2/_catalog`);
    assert.deepEqual(catalog.json(), { repositories: ['library/busybox', 'other/copy'] });
  });

  it('converts to a Docker schema 2 manifest on the way in (--format v2s2), and serves it as one', async () => {
    const reg = await serve();
    const ref = `docker://${hostOf(reg)}/docker/v2s2:${image.tag}`;
    await skopeoOk(['copy', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, ref]);
    const m = await http(`${reg.url}/v2/docker/v2s2/manifests/${image.tag}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(m.header('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(m.header('docker-content-digest'), sha256(m.body));
    const out = mkdtempSync(join(dir, 'out-'));
    await skopeoOk(['copy', '--src-tls-verify=false', ref, `dir:${out}`]);
    for (const l of image.layers) assert.equal(sha256(readFileSync(join(out, l.slice(7)))), l);
  });

  it('copies a multi-platform image: an OCI index, and a Docker manifest list (--format v2s2)', async () => {
    const multi = await makeIndexLayout(join(dir, 'multi'), ['amd64', 'arm64'], [5000, 70_000], 'multi');
    const reg = await serve();
    for (const [repo, format, type] of [['multi/oci', [], 'application/vnd.oci.image.index.v1+json'], ['multi/docker', ['--format', 'v2s2'], 'application/vnd.docker.distribution.manifest.list.v2+json']] as const) {
      const ref = `docker://${hostOf(reg)}/${repo}:multi`;
      await skopeoOk(['copy', '--all', ...format, '--dest-tls-verify=false', `oci:${multi.dir}:multi`, ref]);
      const m = await http(`${reg.url}/v2/${repo}/manifests/multi`);
      assert.equal(m.header('content-type'), type);
      if (!format.length) assert.equal(sha256(m.body), multi.manifest, 'the index is kept byte for byte');
      const out = mkdtempSync(join(dir, 'out-'));
      await skopeoOk(['copy', '--all', '--src-tls-verify=false', ref, `oci:${out}:multi`]);
      for (const l of multi.layers) assert.equal(sha256(readFileSync(join(out, 'blobs', 'sha256', l.slice(7)))), l);
    }
  });

  it('serves HTTPS with --tls-cert and --tls-key (skopeo trusting its CA)', async () => {
    const certs = makeCerts(join(dir, 'certs'));
    const reg = await serve({ tlsCert: certs.serverCert, tlsKey: certs.serverKey });
    assert.match(reg.url, /^https:/);
    const trust = join(dir, 'trust');
    mkdirSync(trust, { recursive: true });
    copyFileSync(certs.ca, join(trust, 'ca.crt'));
    const ref = `docker://${hostOf(reg)}/secure/img:${image.tag}`;
    await skopeoOk(['copy', '--dest-cert-dir', trust, `oci:${image.dir}:${image.tag}`, ref]);
    const raw = Buffer.from(await skopeoOk(['inspect', '--raw', '--cert-dir', trust, ref]));
    assert.equal(sha256(raw), image.manifest);
    const untrusted = await skopeo(['inspect', '--raw', ref]);
    assert.notEqual(untrusted.code, 0, 'a client that does not trust the CA is refused');
  });

  it('with htpasswd auth: refused without credentials or with wrong ones, copies with them', async () => {
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `alice:${bcrypt.hashSync('wonderland', 10).replace(/^\$2b\$/, '$2y$')}\n`);
    const reg = await serve({ htpasswd });
    const r = await http(`${reg.url}/v2/`);
    assert.equal(r.status, 401);
    assert.match(r.header('www-authenticate') ?? '', /^Basic realm=".+"$/);
    assert.equal(r.json<{ errors: { code: string }[] }>().errors[0]!.code, 'UNAUTHORIZED');
    const anonymous = await skopeo(['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${hostOf(reg)}/private/img:${image.tag}`]);
    assert.notEqual(anonymous.code, 0);
    const wrong = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:nope', `oci:${image.dir}:${image.tag}`, `docker://${hostOf(reg)}/private/img:${image.tag}`]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /unauthorized|authentication required/i);
    await roundTrip(reg, 'private/img', ['alice:wonderland']);
  });

  it('with token auth: copies with a token for the users of htpasswd; a pull-only token cannot push', async () => {
    const htpasswd = join(dir, 'htpasswd-token');
    writeFileSync(htpasswd, `bob:${bcrypt.hashSync('builder', 10)}\n`);
    const reg = await serve({ htpasswd, tokenRealm: '/token', tokenService: 'minke-test' });
    const ping = await http(`${reg.url}/v2/`);
    assert.equal(ping.status, 401);
    assert.equal(ping.header('www-authenticate'), `Bearer realm="http://${hostOf(reg)}/token",service="minke-test"`);
    await roundTrip(reg, 'team/app', ['bob:builder']);

    assert.equal((await http(`${reg.url}/token?service=minke-test&scope=repository:team/app:pull`)).status, 401, 'no token without credentials');
    assert.equal((await http(`${reg.url}/token?service=minke-test&scope=repository:team/app:pull`, { auth: basic('bob', 'wrong') })).status, 401);
    const t = await http(`${reg.url}/token?service=minke-test&scope=repository:team/app:pull`, { auth: basic('bob', 'builder') });
    assert.equal(t.status, 200);
    const token = t.json<{ token: string }>().token;
    const pull = await http(`${reg.url}/v2/team/app/manifests/${image.tag}`, { auth: `Bearer ${token}`, headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(pull.status, 200);
    const push = await http(`${reg.url}/v2/team/app/blobs/uploads/`, { method: 'POST', auth: `Bearer ${token}` });
    assert.equal(push.status, 401);
    assert.equal(push.header('www-authenticate'), `Bearer realm="http://${hostOf(reg)}/token",service="minke-test",scope="repository:team/app:pull,push",error="insufficient_scope"`);
    const other = await http(`${reg.url}/v2/team/other/tags/list`, { auth: `Bearer ${token}` });
    assert.equal(other.status, 401, 'a token for one repository does not open another');
    const forged = await http(`${reg.url}/v2/team/app/tags/list`, { auth: `Bearer ${token.slice(0, -4)}AAAA` });
    assert.match(forged.header('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('pull-through cache: serves what a remote minke registry has, and keeps it when the remote is gone', async () => {
    const htpasswd = join(dir, 'htpasswd-upstream');
    writeFileSync(htpasswd, `carol:${bcrypt.hashSync('cache', 10)}\n`);
    const upstream = await serve({ htpasswd, tokenRealm: '/token' });
    await skopeoOk(['copy', '--dest-tls-verify=false', '--dest-creds', 'carol:cache', `oci:${image.dir}:${image.tag}`, `docker://${hostOf(upstream)}/mirror/img:${image.tag}`]);
    const cache = await serve({ proxy: { remote: upstream.url, username: 'carol', password: 'cache' } });
    const out = mkdtempSync(join(dir, 'cached-'));
    await skopeoOk(['copy', '--src-tls-verify=false', `docker://${hostOf(cache)}/mirror/img:${image.tag}`, `oci:${out}:${image.tag}`]);
    for (const l of image.layers) assert.equal(sha256(readFileSync(join(out, 'blobs', 'sha256', l.slice(7)))), l);
    const wrongCreds = await serve({ proxy: { remote: upstream.url, username: 'carol', password: 'nope' } });
    const denied = await http(`${wrongCreds.url}/v2/mirror/img/manifests/${image.tag}`);
    assert.equal(denied.status, 403);
    assert.equal(denied.json<{ errors: { code: string }[] }>().errors[0]!.code, 'DENIED');
    const refused = await http(`${cache.url}/v2/mirror/img/blobs/uploads/`, { method: 'POST' });
    assert.equal(refused.status, 405);
    assert.equal(refused.json<{ errors: { code: string }[] }>().errors[0]!.code, 'UNSUPPORTED');

    await upstream.close();
    const again = mkdtempSync(join(dir, 'cached-'));
    await skopeoOk(['copy', '--src-tls-verify=false', `docker://${hostOf(cache)}/mirror/img:${image.tag}`, `oci:${again}:${image.tag}`]);
    for (const l of image.layers) assert.equal(sha256(readFileSync(join(again, 'blobs', 'sha256', l.slice(7)))), l, 'served from the cache with the remote gone');
  });
});
