/**
 * The server's PKI, made on first start under the data dir (k3s's server/tls): a CA, a serving
 * certificate for this host's names and addresses, and the admin's client certificate
 * (CN=system:admin, O=system:masters). ECDSA P-256 keys: generated in milliseconds, so even a
 * first start is quick; later starts only read the PEM files.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/fs-atomic.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface Pki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
}

const FILES = {
  caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'serving.crt', serverKey: 'serving.key',
  adminCert: 'admin.crt', adminKey: 'admin.key',
} as const;

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** The PKI under dir/tls, made when absent. */
export async function loadOrCreatePki(dataDir: string, extraNames: readonly string[] = []): Promise<Pki> {
  const dir = join(dataDir, 'tls');
  const path = (f: string): string => join(dir, f);
  if (!Object.values(FILES).every((f) => existsSync(path(f)))) await createPki(dir, extraNames);
  const [caCert, serverCert, serverKey, adminCert, adminKey] = await Promise.all(
    [FILES.caCert, FILES.serverCert, FILES.serverKey, FILES.adminCert, FILES.adminKey].map((f) => readFile(path(f), 'utf8')));
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

async function createPki(dir: string, extraNames: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const notBefore = new Date(now - 3600 * 1000);
  const [caKeys, serverKeys, adminKeys] = await Promise.all([keyPair(), keyPair(), keyPair()]);
  const caName = `CN=minke-server-ca@${Math.floor(now / 1000)}`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: caName, notBefore, notAfter: new Date(now + 10 * YEAR_MS), keys: caKeys, signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = async (subject: string, keys: webcrypto.CryptoKeyPair, usage: string, more: x509.Extension[]): Promise<x509.X509Certificate> =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject, issuer: ca.subject, notBefore, notAfter: new Date(now + YEAR_MS),
      publicKey: keys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
        ...more,
      ],
    });
  const names = hostNames(extraNames);
  const server = await leaf('CN=minke-apiserver', serverKeys, x509.ExtendedKeyUsage.serverAuth, [
    new x509.SubjectAlternativeNameExtension([
      ...names.dns.map((value) => ({ type: 'dns' as const, value })),
      ...names.ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ]);
  const admin = await leaf('CN=system:admin, O=system:masters', adminKeys, x509.ExtendedKeyUsage.clientAuth, []);
  const write = (f: string, data: string): Promise<void> => writeFileAtomic(join(dir, f), data, f.endsWith('.key') ? 0o600 : 0o644);
  // The CA goes last: its presence alone does not mark the set complete (every file is checked).
  await Promise.all([
    write(FILES.serverCert, server.toString('pem') + '\n'), write(FILES.serverKey, await keyPem(serverKeys.privateKey)),
    write(FILES.adminCert, admin.toString('pem') + '\n'), write(FILES.adminKey, await keyPem(adminKeys.privateKey)),
    write(FILES.caKey, await keyPem(caKeys.privateKey)),
  ]);
  await write(FILES.caCert, ca.toString('pem') + '\n');
}

function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}
