import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SystemError } from '../../core/errors.js';

/** The Linux bridge behind a bridge network, made and removed with iproute2's `ip`. */

function ip(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 30_000 }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
}

export function bridgeExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}/bridge`);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Creates the bridge with the gateway address (CIDR form) and brings it up; an existing bridge is completed. */
export async function ensureBridge(name: string, gatewayCidr: string): Promise<void> {
  if (!bridgeExists(name)) {
    if (linkExists(name)) throw new SystemError(`cannot create bridge ${name}: a link of that name exists and is not a bridge`);
    const r = await ip(['link', 'add', 'name', name, 'type', 'bridge']);
    if (!r.ok && !bridgeExists(name)) throw new SystemError(`cannot create bridge ${name}: ${r.stderr}`);
  }
  const a = await ip(['addr', 'add', gatewayCidr, 'dev', name]);
  if (!a.ok && !/exists|already assigned/i.test(a.stderr)) throw new SystemError(`cannot set address ${gatewayCidr} on ${name}: ${a.stderr}`);
  const u = await ip(['link', 'set', name, 'up']);
  if (!u.ok) throw new SystemError(`cannot bring ${name} up: ${u.stderr}`);
  enableForwarding();
}

export async function deleteBridge(name: string): Promise<void> {
  if (!linkExists(name)) return;
  const r = await ip(['link', 'del', name]);
  if (!r.ok && linkExists(name)) throw new SystemError(`cannot delete bridge ${name}: ${r.stderr}`);
}

/** Routing between the bridge and the host's other interfaces (dockerd turns it on as well). */
function enableForwarding(): void {
  const path = '/proc/sys/net/ipv4/ip_forward';
  try {
    if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1');
  } catch {
    // best effort: a read-only /proc/sys leaves outgoing traffic unrouted, not the engine broken
  }
}
