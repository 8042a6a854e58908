/** The admin kubeconfig `minke server --write-kubeconfig` writes (certificates inline, as k3s). */
import { stringify } from 'yaml';
import type { Pki } from './pki.js';

export function kubeconfig(server: string, pki: Pki, name = 'default'): string {
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
    users: [{ name, user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
  });
}
