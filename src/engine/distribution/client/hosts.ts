/**
 * Where a registry named in a reference is reached, as dockerd's registry service decides:
 * docker.io is registry-1.docker.io (after its mirrors, for pulls); a registry is insecure when
 * `--insecure-registry` names it or one of its CIDRs holds an address it resolves to
 * (127.0.0.0/8 always: localhost and loopback registries), and an insecure one is tried over
 * https without verification first, then over plain http.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { DEFAULT_DOMAIN } from '../../images/references.js';
import type { Endpoint } from './session.js';

/** The engine's registry settings (daemon flags and daemon.json; a reload may change them). */
export interface RegistrySettings {
  insecureRegistries: readonly string[];
  registryMirrors: readonly string[];
}

export const DOCKER_HUB_API = 'https://registry-1.docker.io';
const ALWAYS_INSECURE = '127.0.0.0/8';

function stripScheme(s: string): string {
  return s.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

/** The host of `host[:port]` or `[v6]:port`. */
function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const colon = domain.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(domain.slice(colon + 1)) ? domain.slice(0, colon) : domain;
}

/** Whether the registry `domain` (host[:port]) is insecure under these settings. */
export async function isInsecure(domain: string, insecure: readonly string[]): Promise<boolean> {
  const blocks = new BlockList();
  const names = new Set<string>();
  for (const raw of [...insecure, ALWAYS_INSECURE]) {
    const r = stripScheme(raw);
    const m = /^(.+)\/(\d{1,3})$/.exec(r);
    const family = m ? isIP(m[1]!) : 0;
    if (m && family) blocks.addSubnet(m[1]!, Number(m[2]), family === 6 ? 'ipv6' : 'ipv4');
    else names.add(r);
  }
  if (names.has(domain)) return true;
  const host = hostOf(domain);
  let addrs: Array<{ address: string; family: number }>;
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await lookup(host, { all: true });
    } catch {
      addrs = [];
    }
  }
  return addrs.some((a) => blocks.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
}

/** The endpoints to try, in order, for pulls (mirrors first) or pushes and logins (never mirrors). */
export async function endpointsFor(domain: string, s: RegistrySettings, purpose: 'pull' | 'push' | 'login'): Promise<Endpoint[]> {
  if (domain === DEFAULT_DOMAIN) {
    const out: Endpoint[] = [];
    if (purpose === 'pull') {
      for (const m of s.registryMirrors) {
        const url = m.replace(/\/+$/, '');
        const insecure = url.startsWith('http:') || await isInsecure(stripScheme(url), s.insecureRegistries);
        out.push({ url, insecureTls: insecure, mirror: true });
      }
    }
    out.push({ url: DOCKER_HUB_API, insecureTls: false });
    return out;
  }
  if (await isInsecure(domain, s.insecureRegistries)) {
    return [{ url: `https://${domain}`, insecureTls: true }, { url: `http://${domain}`, insecureTls: true }];
  }
  return [{ url: `https://${domain}`, insecureTls: false }];
}

/** The registry a login's server address names: `https://index.docker.io/v1/` is docker.io. */
export function registryOfServer(serverAddress: string | undefined): string {
  const s = stripScheme((serverAddress ?? '').trim()).split('/')[0]!;
  if (s === '' || s === 'index.docker.io' || s === 'registry-1.docker.io' || s === DEFAULT_DOMAIN) return DEFAULT_DOMAIN;
  return s;
}
