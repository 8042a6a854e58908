import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, SystemError, isErrno } from '../../core/errors.js';
import type { IpamPool } from './model.js';
import { ipToNumber, numberToIp, parseCidr } from './subnets.js';
import { bigintToIp6, ip6ToBigint, parseCidr6 } from './subnets6.js';

/**
 * Addresses of networks host-local cannot serve: it refuses IPv4 /31 and /32 and IPv6 /127 and
 * /128 subnets, which newest dockerd allows (RFC 3021 point-to-point links: no network or
 * broadcast address kept). On such a network the engine leases every address itself, in
 * host-local's directory and format (a file per address in use, holding the container ID and
 * interface), so auxiliary addresses stay reserved the same way, and the CNI static IPAM plugin
 * sets them up.
 */

/** What a container asks on one pool: its --ip or --ip6, if any. */
export interface LeaseRequest {
  pool: IpamPool;
  requested?: string;
}

const SEARCH_LIMIT = 65536;

/** The addresses a pool may give containers, in order: its range without the gateway (nor network, broadcast or IPv6 anycast address). */
function* candidates(pool: IpamPool): Generator<string> {
  if (pool.Subnet.includes(':')) {
    const s = parseCidr6(pool.Subnet);
    const r = parseCidr6(pool.IPRange ?? pool.Subnet);
    const gw = ip6ToBigint(pool.Gateway);
    const end = r.base + (1n << BigInt(128 - r.bits));
    for (let a = r.base, i = 0; a < end && i < SEARCH_LIMIT; a++, i++) if (a !== s.base && a !== gw) yield bigintToIp6(a);
    return;
  }
  const s = parseCidr(pool.Subnet);
  const r = parseCidr(pool.IPRange ?? pool.Subnet);
  const gw = ipToNumber(pool.Gateway);
  const last = s.base + 2 ** (32 - s.bits) - 1;
  const end = r.base + 2 ** (32 - r.bits);
  for (let a = r.base, i = 0; a < end && i < SEARCH_LIMIT; a++, i++) {
    if (a === gw || (s.bits <= 30 && (a === s.base || a === last))) continue;
    yield numberToIp(a);
  }
}

/** Whether a container may have the address (it is in the pool's range and none of the kept ones). */
function allowed(pool: IpamPool, ip: string): boolean {
  if (pool.Subnet.includes(':')) {
    const s = parseCidr6(pool.Subnet);
    const r = parseCidr6(pool.IPRange ?? pool.Subnet);
    const a = ip6ToBigint(ip);
    const inside = (c: typeof s): boolean => a >> BigInt(128 - c.bits) === c.base >> BigInt(128 - c.bits);
    return inside(s) && inside(r) && a !== s.base && a !== ip6ToBigint(pool.Gateway);
  }
  const s = parseCidr(pool.Subnet);
  const r = parseCidr(pool.IPRange ?? pool.Subnet);
  const a = ipToNumber(ip);
  const inside = (c: typeof s): boolean => a >= c.base && a < c.base + 2 ** (32 - c.bits);
  const kept = s.bits <= 30 && (a === s.base || a === s.base + 2 ** (32 - s.bits) - 1);
  return inside(s) && inside(r) && !kept && a !== ipToNumber(pool.Gateway);
}

async function take(dir: string, ip: string, holder: string): Promise<boolean> {
  try {
    await writeFile(join(dir, ip), holder, { flag: 'wx' });
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/**
 * Leases one address per pool for the container's interface (its --ip/--ip6, else the first
 * free one), all or nothing; returns them in CIDR form. The errors are dockerd's.
 */
export async function leaseAddresses(dir: string, containerId: string, ifname: string, requests: readonly LeaseRequest[], network: { Name: string; Id: string }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const holder = `${containerId}\r\n${ifname}`;
  const out: string[] = [];
  try {
    for (const { pool, requested } of requests) {
      const bits = pool.Subnet.split('/')[1]!;
      let got: string | undefined;
      if (requested) {
        const norm = pool.Subnet.includes(':') ? bigintToIp6(ip6ToBigint(requested)) : requested;
        if (!allowed(pool, norm) || !(await take(dir, norm, holder))) throw new Conflict('Address already in use');
        got = norm;
      } else {
        for (const ip of candidates(pool)) {
          if (await take(dir, ip, holder)) {
            got = ip;
            break;
          }
        }
      }
      if (!got) throw new SystemError(`no available IPv${pool.Subnet.includes(':') ? 6 : 4} addresses on this network's address pools: ${network.Name} (${network.Id})`);
      out.push(`${got}/${bits}`);
    }
  } catch (err) {
    await releaseLeases(dir, containerId);
    throw err;
  }
  return out;
}

/** Gives back every address the container holds in the directory. */
export async function releaseLeases(dir: string, containerId: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (text.split('\r\n')[0] === containerId) await rm(join(dir, name), { force: true });
  }
}
