/**
 * The admin kubeconfig `minke server --write-kubeconfig` writes (certificates inline, as k3s).
 * A fixed shape, written as YAML by hand: strings are JSON-quoted, which YAML reads as they are.
 */
import type { Pki } from './pki.js';

export function kubeconfig(server: string, pki: Pki, name = 'default'): string {
  const q = (s: string): string => JSON.stringify(s);
  const b64 = (pem: string): string => q(Buffer.from(pem).toString('base64'));
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    `    server: ${q(server)}`,
    `  name: ${q(name)}`,
    'contexts:',
    '- context:',
    `    cluster: ${q(name)}`,
    `    user: ${q(name)}`,
    `  name: ${q(name)}`,
    `current-context: ${q(name)}`,
    'preferences: {}',
    'users:',
    `- name: ${q(name)}`,
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    '',
  ].join('\n');
}
