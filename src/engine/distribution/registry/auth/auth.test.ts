import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { basicCredentials, Htpasswd } from './htpasswd.js';
import { grant } from './token-endpoint.js';
import { parseScopes, TokenIssuer } from './token.js';

void test('htpasswd: bcrypt entries ($2y$ as htpasswd -B writes them), others ignored, reread when changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'minke-htpasswd-'));
  try {
    const file = join(dir, 'htpasswd');
    const warnings: string[] = [];
    writeFileSync(file, `# users\nann:${bcrypt.hashSync('one', 4).replace('$2b$', '$2y$')}\nold:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    const h = new Htpasswd(file, (m) => warnings.push(m));
    assert.equal(await h.verify('ann', 'one'), true);
    assert.equal(await h.verify('ann', 'one'), true);
    assert.equal(await h.verify('ann', 'two'), false);
    assert.equal(await h.verify('old', 'password'), false);
    assert.equal(await h.verify('nobody', 'x'), false);
    assert.match(warnings.join('\n'), /not a bcrypt entry/);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, `ann:${bcrypt.hashSync('two', 4)}\n`);
    assert.equal(await h.verify('ann', 'one'), false, 'a changed file is read again, remembered checks dropped');
    assert.equal(await h.verify('ann', 'two'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('Basic credentials', () => {
  assert.deepEqual(basicCredentials(`Basic ${Buffer.from('u:p:q').toString('base64')}`), { user: 'u', password: 'p:q' });
  assert.equal(basicCredentials('Bearer x'), undefined);
  assert.equal(basicCredentials(undefined), undefined);
});

void test('tokens: signed, for one service, expiring; a forged or foreign one is invalid', () => {
  const key = Buffer.alloc(32, 7);
  const issuer = new TokenIssuer(key, 'me', 'svc', 300);
  const { token } = issuer.issue('ann', [{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
  const claims = issuer.verify(token);
  assert.ok(typeof claims === 'object');
  assert.deepEqual(claims.access, [{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
  assert.equal(new TokenIssuer(Buffer.alloc(32, 8), 'me', 'svc', 300).verify(token), 'invalid');
  assert.equal(new TokenIssuer(key, 'me', 'other', 300).verify(token), 'invalid');
  const [h, , s] = token.split('.');
  const body = Buffer.from(JSON.stringify({ aud: 'svc', exp: 9e9, access: [{ type: 'repository', name: 'a/b', actions: ['push'] }] })).toString('base64url');
  assert.equal(issuer.verify(`${h}.${body}.${s}`), 'invalid');
  assert.equal(new TokenIssuer(key, 'me', 'svc', -10).verify(new TokenIssuer(key, 'me', 'svc', -10).issue('ann', []).token), 'expired');
});

void test('scopes asked, and what a user is granted of them', () => {
  const asked = parseScopes(['repository:a/b:pull,push', 'repository:a/b:delete repository:c:*', 'registry:catalog:*', 'repository:BAD:pull', 'nonsense']);
  assert.deepEqual(asked.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`), ['repository:a/b:pull,push,delete', 'repository:c:*', 'registry:catalog:*', 'repository:BAD:pull']);
  assert.deepEqual(grant(asked).map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`), ['repository:a/b:pull,push,delete', 'repository:c:pull,push,delete', 'registry:catalog:*']);
});
