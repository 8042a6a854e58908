/**
 * Authentication (k8s.io/apiserver's authenticator union): a client certificate the server's
 * CA signed (user = CN, groups = O), a static bearer token (--token-auth-file), or a
 * service-account JWT this server signed and whose service account (and bound pod) still
 * exists. No credentials: the anonymous user. Credentials that do not check out: 401.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { TokenClaims, TokenSigner } from './serviceaccount-token.js';

export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

export type AuthResult = { readonly user: UserInfo } | { readonly anonymous: true } | { readonly failed: string };

export interface StaticToken {
  readonly token: string;
  readonly user: UserInfo;
}

/** Looks up the uid of a service account (and of a pod, when bound); undefined: it is gone. */
export interface ObjectUids {
  serviceAccountUid(namespace: string, name: string): Promise<string | undefined>;
  podUid(namespace: string, name: string): Promise<string | undefined>;
  secretUid(namespace: string, name: string): Promise<string | undefined>;
}

export class Authenticator {
  private readonly tokens: Map<string, UserInfo>;

  constructor(readonly signer: TokenSigner, readonly audiences: readonly string[], staticTokens: readonly StaticToken[], private readonly uids: ObjectUids) {
    this.tokens = new Map(staticTokens.map((t) => [t.token, t.user]));
  }

  async authenticate(req: IncomingMessage): Promise<AuthResult> {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m) {
        const user = await this.token(m[1]);
        return user ? { user } : { failed: 'invalid bearer token' };
      }
    }
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined> | undefined;
      const cn = subject?.CN;
      const o = subject?.O;
      const name = Array.isArray(cn) ? cn[0] : cn;
      if (name !== undefined && name !== '') return { user: withAuthenticated({ name, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] }) };
    }
    if (auth !== undefined) return { failed: 'unsupported authorization scheme' };
    return { anonymous: true };
  }

  /** A bearer token's user (static or service account), or undefined (TokenReview's answer too). */
  async token(token: string, audiences: readonly string[] = this.audiences): Promise<(UserInfo & { audiences?: string[] }) | undefined> {
    const fixed = this.tokens.get(token);
    if (fixed) return withAuthenticated(fixed);
    const claims = this.signer.verify(token, audiences);
    if (!claims) return undefined;
    return this.serviceAccountUser(claims, audiences);
  }

  private async serviceAccountUser(c: TokenClaims, audiences: readonly string[]): Promise<(UserInfo & { audiences: string[] }) | undefined> {
    const k = c['kubernetes.io'];
    const saUid = await this.uids.serviceAccountUid(k.namespace, k.serviceaccount.name);
    if (saUid === undefined || saUid !== k.serviceaccount.uid) return undefined;
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] };
    if (k.pod) {
      if ((await this.uids.podUid(k.namespace, k.pod.name)) !== k.pod.uid) return undefined;
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (k.secret && (await this.uids.secretUid(k.namespace, k.secret.name)) !== k.secret.uid) return undefined;
    if (k.node) {
      extra['authentication.kubernetes.io/node-name'] = [k.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    }
    return {
      ...serviceAccountUser(k.namespace, k.serviceaccount.name, k.serviceaccount.uid), extra,
      audiences: c.aud.filter((a) => audiences.includes(a)),
    };
  }
}

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return withAuthenticated({ name: `system:serviceaccount:${namespace}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] });
}

/** Every authenticated user is in system:authenticated (as kube-apiserver's group adder). */
export function withAuthenticated(u: UserInfo): UserInfo {
  return u.groups.includes('system:authenticated') ? u : { ...u, groups: [...u.groups, 'system:authenticated'] };
}

/**
 * --token-auth-file: CSV lines `token,user,uid[,"group1,group2"]` (kube-apiserver's
 * tokenfile); blank lines and lines starting with # are skipped.
 */
export function parseTokenFile(text: string): StaticToken[] {
  const out: StaticToken[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const f = csvFields(line);
    if (f.length < 3) throw new Error(`token file: line ${i + 1}: need at least 3 columns (token,user,uid), found ${f.length}`);
    if (f[0] === '') throw new Error(`token file: line ${i + 1}: empty token`);
    const groups = f.length > 3 ? f[3].split(',').map((g) => g.trim()).filter((g) => g !== '') : [];
    out.push({ token: f[0], user: { name: f[1], uid: f[2], groups } });
  });
  return out;
}

export async function readTokenFile(path: string): Promise<StaticToken[]> {
  return parseTokenFile(await readFile(path, 'utf8'));
}

/** One CSV record (RFC 4180 quoting), as Go's encoding/csv reads it. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) break;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (i < line.length && line[i] !== ',') field += line[i++];
    } else {
      while (i < line.length && line[i] !== ',') field += line[i++];
    }
    out.push(field.trim());
    if (i >= line.length) return out;
    i++; // the comma
  }
}
