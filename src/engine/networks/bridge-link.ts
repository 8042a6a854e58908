import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SystemError } from '../../core/errors.js';

/** The Linux bridge behind a bridge network, made and removed with iproute2's `ip`. */

function ip(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 30_000 }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
}

/** Adds an address (CIDR form) to an interface inside the network namespace kept at `netns`. */
export async function addAddressIn(netns: string, ifname: string, cidr: string): Promise<void> {
  const r = await new Promise<{ ok: boolean; stderr: string }>((resolve) => {
    execFile('nsenter', [`--net=${netns}`, 'ip', 'addr', 'add', cidr, 'dev', ifname], { timeout: 30_000 },
      (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
  if (!r.ok && !/exists|already assigned/i.test(r.stderr)) throw new SystemError(`cannot set address ${cidr} on ${ifname}: ${r.stderr}`);
}

export function bridgeExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}/bridge`);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Creates the bridge with the gateway address (CIDR form) and brings it up; an existing bridge is completed. */
export async function ensureBridge(name: string, gatewayCidr: string, gateway6Cidr?: string): Promise<void> {
  if (!bridgeExists(name)) {
    if (linkExists(name)) throw new SystemError(`cannot create bridge ${name}: a link of that name exists and is not a bridge`);
    const r = await ip(['link', 'add', 'name', name, 'type', 'bridge']);
    if (!r.ok && !bridgeExists(name)) throw new SystemError(`cannot create bridge ${name}: ${r.stderr}`);
  }
  const a = await ip(['addr', 'add', gatewayCidr, 'dev', name]);
  if (!a.ok && !/exists|already assigned/i.test(a.stderr)) throw new SystemError(`cannot set address ${gatewayCidr} on ${name}: ${a.stderr}`);
  if (gateway6Cidr) {
    // As dockerd: IPv6 on for the bridge even where new interfaces start without it (default.disable_ipv6=1).
    const off = `/proc/sys/net/ipv6/conf/${name}/disable_ipv6`;
    if (existsSync(off) && readFileSync(off, 'utf8').trim() !== '0') writeFileSync(off, '0');
    // nodad: the gateway is usable at once (the embedded DNS and containers' routes need it now).
    const a6 = await ip(['-6', 'addr', 'add', gateway6Cidr, 'dev', name, 'nodad']);
    if (!a6.ok && !/exists|already assigned/i.test(a6.stderr)) throw new SystemError(`cannot set address ${gateway6Cidr} on ${name}: ${a6.stderr}`);
  }
  // A bridge whose address the kernel picked takes the lowest address of its ports, so it changes
  // as containers come and go, and containers' ARP entries for the gateway go stale (packets to the
  // gateway, the embedded DNS included, vanish for a while). An address set once stays.
  if (readFileSync(`/sys/class/net/${name}/addr_assign_type`, 'utf8').trim() !== '3') {
    const s = await ip(['link', 'set', name, 'address', randomMac()]);
    if (!s.ok) throw new SystemError(`cannot set the address of ${name}: ${s.stderr}`);
  }
  const u = await ip(['link', 'set', name, 'up']);
  if (!u.ok) throw new SystemError(`cannot bring ${name} up: ${u.stderr}`);
  enableForwarding('/proc/sys/net/ipv4/ip_forward');
  if (gateway6Cidr) enableForwarding('/proc/sys/net/ipv6/conf/all/forwarding');
}

/** A random locally administered unicast MAC address. */
function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export async function deleteBridge(name: string): Promise<void> {
  if (!linkExists(name)) return;
  const r = await ip(['link', 'del', name]);
  if (!r.ok && linkExists(name)) throw new SystemError(`cannot delete bridge ${name}: ${r.stderr}`);
}

/** Routing between the bridge and the host's other interfaces (dockerd turns it on as well, for IPv6 too). */
function enableForwarding(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1');
  } catch {
    // best effort: a read-only /proc/sys leaves outgoing traffic unrouted, not the engine broken
  }
}
