import { readFile } from 'node:fs/promises';

/** One interface's counters, as the Engine API's stats show them under `networks`. */
export interface InterfaceStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/**
 * The counters of a network namespace's interfaces, from /proc/net/dev as the process `pid`
 * sees it; only the interfaces named (a container's endpoints: eth0, eth1...).
 */
export async function readInterfaceStats(pid: number, ifnames: readonly string[]): Promise<Record<string, InterfaceStats>> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  return parseNetDev(text, ifnames);
}

export function parseNetDev(text: string, ifnames: readonly string[]): Record<string, InterfaceStats> {
  const out: Record<string, InterfaceStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!ifnames.includes(name)) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 12) continue;
    out[name] = {
      rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!,
      tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]!,
    };
  }
  return out;
}
