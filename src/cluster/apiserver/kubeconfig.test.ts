import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parse } from 'yaml';
import { kubeconfig } from './kubeconfig.js';

it('the kubeconfig is YAML with the server and the admin credentials inline', () => {
  const pki = { caCert: 'CA', serverCert: 'S', serverKey: 'SK', adminCert: 'A', adminKey: 'AK' };
  const doc = parse(kubeconfig('https://127.0.0.1:6443', pki)) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-key-data': string } }[];
    'current-context': string;
  };
  assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), 'CA');
  assert.equal(Buffer.from(doc.users[0].user['client-key-data'], 'base64').toString(), 'AK');
  assert.equal(doc['current-context'], 'default');
});
