/**
 * Makes the server's PKI (see pki.ts) with @peculiar/x509: ECDSA P-256 keys, generated in
 * milliseconds, so that even a first start is quick.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { PKI_FILES as FILES } from './pki.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const YEAR_MS = 365 * 24 * 3600 * 1000;

export async function createPki(dir: string, names: { dns: readonly string[]; ips: readonly string[] }): Promise<void> {
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
