import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertSet {
  dir: string;
  /** The CA, the engine's certificate (for 127.0.0.1 and localhost), a client's, both signed by the CA. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate another CA signed: mutual TLS must refuse it. */
  rogueCert: string;
  rogueKey: string;
  /** A DOCKER_CERT_PATH for the client: ca.pem, cert.pem, key.pem. */
  clientDir: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA with a server and a client certificate, as docs.docker.com's "protect the daemon socket" makes them. */
export function makeCerts(dir: string): CertSet {
  mkdirSync(dir, { recursive: true });
  const days = ['-days', '2'];
  const ca = (name: string): void => openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, ...days, '-subj', `/CN=${name}`], dir);
  const signed = (name: string, by: string, ext: string): void => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, ...days, '-extfile', `${name}.ext`], dir);
  };
  ca('ca');
  ca('rogue-ca');
  signed('server', 'ca', 'subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n');
  signed('client', 'ca', 'extendedKeyUsage = clientAuth\n');
  signed('rogue', 'rogue-ca', 'extendedKeyUsage = clientAuth\n');
  const clientDir = join(dir, 'client');
  mkdirSync(clientDir);
  execFileSync('cp', [join(dir, 'ca.pem'), join(clientDir, 'ca.pem')]);
  execFileSync('cp', [join(dir, 'client.pem'), join(clientDir, 'cert.pem')]);
  execFileSync('cp', [join(dir, 'client-key.pem'), join(clientDir, 'key.pem')]);
  const p = (f: string): string => join(dir, f);
  return {
    dir, ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server-key.pem'), clientCert: p('client.pem'), clientKey: p('client-key.pem'),
    rogueCert: p('rogue.pem'), rogueKey: p('rogue-key.pem'), clientDir,
  };
}
