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
 *   nat POSTROUTING → MINKE-POSTROUTING (-s subnet ! -o br MASQUERADE)
 */

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

type Rule = [table: 'filter' | 'nat', chain: string, args: string[]];

function iptables(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', '5', ...args], { timeout: 30_000 }, (err, _stdout, stderr) => resolve({ ok: !err, stderr: String(stderr).trim() }));
  });
}

const SKELETON: Array<{ table: 'filter' | 'nat'; chain: string; from: string; insert: boolean }> = [
  { table: 'filter', chain: 'MINKE-FORWARD', from: 'FORWARD', insert: true },
  { table: 'nat', chain: 'MINKE-POSTROUTING', from: 'POSTROUTING', insert: false },
];
const SUBCHAINS = ['MINKE-PUBLISHED', 'MINKE-ISOLATION-1', 'MINKE-BRIDGES'];

function rulesOf(n: FirewallNetwork): Rule[] {
  const br = n.bridge;
  const rules: Rule[] = [
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
      ['nat', 'MINKE-POSTROUTING', ['-s', n.subnet, '!', '-o', br, '-j', 'MASQUERADE']],
    );
  }
  return rules;
}

/** Keeps the engine's rules; calls are serialised (iptables itself takes the xtables lock). */
export class Firewall {
  private queue: Promise<unknown> = Promise.resolve();
  private skeletonReady = false;

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async ensureChain(table: string, chain: string): Promise<void> {
    const r = await iptables(['-t', table, '-N', chain]);
    if (!r.ok && !/exists/i.test(r.stderr)) throw new SystemError(`iptables: cannot create chain ${chain}: ${r.stderr}`);
  }

  private async ensureRule(table: string, chain: string, args: string[], insert = false): Promise<void> {
    if ((await iptables(['-t', table, '-C', chain, ...args])).ok) return;
    const r = await iptables(['-t', table, insert ? '-I' : '-A', chain, ...(insert ? ['1'] : []), ...args]);
    if (!r.ok) throw new SystemError(`iptables: cannot add rule to ${chain}: ${r.stderr}`);
  }

  private async skeleton(): Promise<void> {
    if (this.skeletonReady) return;
    for (const s of SKELETON) {
      await this.ensureChain(s.table, s.chain);
      await this.ensureRule(s.table, s.from, ['-j', s.chain], s.insert);
    }
    for (const c of [...SUBCHAINS, 'MINKE-ISOLATION-2']) await this.ensureChain('filter', c);
    for (const c of SUBCHAINS) await this.ensureRule('filter', 'MINKE-FORWARD', ['-j', c]);
    this.skeletonReady = true;
  }

  /** Adds the network's rules (idempotent: rules already there are kept once). */
  add(n: FirewallNetwork): Promise<void> {
    return this.serial(async () => {
      await this.skeleton();
      for (const [table, chain, args] of rulesOf(n)) await this.ensureRule(table, chain, args);
    });
  }

  /** Removes the network's rules; rules already gone are fine. */
  remove(n: FirewallNetwork): Promise<void> {
    return this.serial(async () => {
      for (const [table, chain, args] of rulesOf(n)) {
        while ((await iptables(['-t', table, '-D', chain, ...args])).ok) {
          // a rule added twice (two engines racing) goes twice
        }
      }
    });
  }
}
