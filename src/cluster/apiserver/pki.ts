/**
 * The server's PKI, made on first start under the data dir (k3s's server/tls): a CA, a serving
 * certificate for this host's names and addresses, and the admin's client certificate
 * (CN=system:admin, O=system:masters). Later starts only read the PEM files: the X.509 library
 * (a quarter of a second to load) is imported only to make them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
}

export const PKI_FILES = {
  caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'serving.crt', serverKey: 'serving.key',
  adminCert: 'admin.crt', adminKey: 'admin.key',
} as const;

/** The PKI under dataDir/tls, made when absent. */
export async function loadOrCreatePki(dataDir: string, extraNames: readonly string[] = []): Promise<Pki> {
  const dir = join(dataDir, 'tls');
  const path = (f: string): string => join(dir, f);
  if (!Object.values(PKI_FILES).every((f) => existsSync(path(f)))) {
    const { createPki } = await import('./pki-create.js');
    await createPki(dir, hostNames(extraNames));
  }
  const [caCert, serverCert, serverKey, adminCert, adminKey] = await Promise.all(
    [PKI_FILES.caCert, PKI_FILES.serverCert, PKI_FILES.serverKey, PKI_FILES.adminCert, PKI_FILES.adminKey].map((f) => readFile(path(f), 'utf8')));
  return { caCert, serverCert, serverKey, adminCert, adminKey };
}

/** This host's names and addresses, with localhost and 127.0.0.1, for the serving certificate. */
export function hostNames(extra: readonly string[] = []): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const ips = new Set(['127.0.0.1', '::1']);
  dns.add(hostname());
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) ips.add(a.address.replace(/%.*$/, ''));
  }
  for (const name of extra) (/^[\d.]+$|:/.test(name) ? ips : dns).add(name);
  return { dns: [...dns], ips: [...ips] };
}
