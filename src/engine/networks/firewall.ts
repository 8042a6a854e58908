import { execFile } from 'node:child_process';
import { SystemError } from '../../core/errors.js';

/**
 * The engine's iptables rules, per bridge network (as dockerd keeps them): forwarding accepted
 * for its containers even where the FORWARD policy is DROP, isolation between networks, no way
 * out of internal networks, and masquerading of outgoing traffic. Published ports themselves are
 * the CNI portmap plugin's (per container).
 *
 *   filter FORWARD → MINKE-FORWARD → MINKE-PUBLISHED   (-o br, DNAT'd: published ports, from anywhere)
 *                                  → MINKE-ISOLATION-1 (-i br ! -o br → MINKE-ISOLATION-2: -o br DROP)
 *                                  → MINKE-BRIDGES     (per network accept or drop)
 *   nat POSTROUTING → MINKE-POSTROUTING (-s subnet ! -o br MASQUERADE, or SNAT to the network's host_ipv4)
 *
 * A network with IPv6 gets the same rules from ip6tables, for its IPv6 subnet. And, as dockerd
 * with its userland proxy, connections to [::1] are not DNAT'd (the portmap plugin's rules would
 * send them to a container with a loopback source, which the kernel drops): the engine's listener
 * on [::] takes them.
 *
 *   nat CNI-HOSTPORT-DNAT (portmap's) → first: -d ::1 RETURN
 */

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  /** The IPv6 subnet, when IPv6 is enabled on the network. */
  subnet6?: string;
  internal: boolean;
  /** com.docker.network.host_ipv4: outgoing IPv4 traffic leaves with this source address (SNAT, not MASQUERADE). */
  hostIpv4?: string;
}

type Family = 4 | 6;
type Rule = [family: Family, table: 'filter' | 'nat', chain: string, args: string[]];

function iptables(args: string[], family: Family = 4): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile(family === 6 ? 'ip6tables' : 'iptables', ['-w', '5', ...args], { timeout: 30_000 }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
}

const SKELETON: Array<{ table: 'filter' | 'nat'; chain: string; from: string; insert: boolean }> = [
  { table: 'filter', chain: 'MINKE-FORWARD', from: 'FORWARD', insert: true },
  { table: 'nat', chain: 'MINKE-POSTROUTING', from: 'POSTROUTING', insert: false },
];
const SUBCHAINS = ['MINKE-PUBLISHED', 'MINKE-ISOLATION-1', 'MINKE-BRIDGES'];
/** The portmap plugin's DNAT chain (it makes it too, and keeps rules appended after ours). */
const PORTMAP_DNAT = 'CNI-HOSTPORT-DNAT';

function rulesOf(n: FirewallNetwork): Rule[] {
  const rules = familyRules(n, 4, n.subnet);
  if (n.subnet6) rules.push(...familyRules(n, 6, n.subnet6));
  return rules;
}

function familyRules(n: FirewallNetwork, family: Family, subnet: string): Rule[] {
  const br = n.bridge;
  const snat = family === 4 && n.hostIpv4 ? ['SNAT', '--to-source', n.hostIpv4] : ['MASQUERADE'];
  const rules: Array<[Rule[1], string, string[]]> = [
    ['filter', 'MINKE-ISOLATION-1', ['-i', br, '!', '-o', br, '-j', 'MINKE-ISOLATION-2']],
    ['filter', 'MINKE-ISOLATION-2', ['-o', br, '-j', 'DROP']],
  ];
  if (n.internal) {
    rules.push(
      ['filter', 'MINKE-BRIDGES', ['-i', br, '-o', br, '-j', 'ACCEPT']],
      ['filter', 'MINKE-BRIDGES', ['-i', br, '!', '-o', br, '-j', 'DROP']],
      ['filter', 'MINKE-BRIDGES', ['-o', br, '!', '-i', br, '-j', 'DROP']],
    );
  } else {
    rules.push(
      ['filter', 'MINKE-PUBLISHED', ['-o', br, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT']],
      ['filter', 'MINKE-BRIDGES', ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']],
      ['filter', 'MINKE-BRIDGES', ['-i', br, '-j', 'ACCEPT']],
      ['nat', 'MINKE-POSTROUTING', ['-s', subnet, '!', '-o', br, '-j', ...snat]],
    );
  }
  return rules.map(([table, chain, args]) => [family, table, chain, args]);
}

/** Keeps the engine's rules; calls are serialised (iptables itself takes the xtables lock). */
export class Firewall {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly skeletonReady = new Set<Family>();

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async ensureChain(family: Family, table: string, chain: string): Promise<void> {
    const r = await iptables(['-t', table, '-N', chain], family);
    if (!r.ok && !/exists/i.test(r.stderr)) throw new SystemError(`iptables: cannot create chain ${chain}: ${r.stderr}`);
  }

  private async ensureRule(family: Family, table: string, chain: string, args: string[], insert = false): Promise<void> {
    if ((await iptables(['-t', table, '-C', chain, ...args], family)).ok) return;
    const r = await iptables(['-t', table, insert ? '-I' : '-A', chain, ...(insert ? ['1'] : []), ...args], family);
    if (!r.ok) throw new SystemError(`iptables: cannot add rule to ${chain}: ${r.stderr}`);
  }

  private async skeleton(family: Family): Promise<void> {
    if (this.skeletonReady.has(family)) return;
    for (const s of SKELETON) {
      await this.ensureChain(family, s.table, s.chain);
      await this.ensureRule(family, s.table, s.from, ['-j', s.chain], s.insert);
    }
    for (const c of [...SUBCHAINS, 'MINKE-ISOLATION-2']) await this.ensureChain(family, 'filter', c);
    for (const c of SUBCHAINS) await this.ensureRule(family, 'filter', 'MINKE-FORWARD', ['-j', c]);
    if (family === 6) {
      await this.ensureChain(6, 'nat', PORTMAP_DNAT);
      await this.ensureRule(6, 'nat', PORTMAP_DNAT, ['-d', '::1/128', '-j', 'RETURN'], true);
    }
    this.skeletonReady.add(family);
  }

  /** Adds the network's rules (idempotent: rules already there are kept once). */
  add(n: FirewallNetwork): Promise<void> {
    return this.serial(async () => {
      await this.skeleton(4);
      if (n.subnet6) await this.skeleton(6);
      for (const [family, table, chain, args] of rulesOf(n)) await this.ensureRule(family, table, chain, args);
    });
  }

  /** Removes the network's rules; rules already gone are fine. */
  remove(n: FirewallNetwork): Promise<void> {
    return this.serial(async () => {
      for (const [family, table, chain, args] of rulesOf(n)) {
        while ((await iptables(['-t', table, '-D', chain, ...args], family)).ok) {
          // a rule added twice (two engines racing) goes twice
        }
      }
    });
  }
}
