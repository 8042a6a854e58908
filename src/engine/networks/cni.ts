import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SystemError } from '../../core/errors.js';
import { execProcess } from '../../core/spawn.js';

/**
 * The CNI protocol (github.com/containernetworking/cni SPEC.md): a plugin is an executable that
 * reads its network configuration on stdin and its arguments from CNI_* variables, and prints a
 * result (or an error) as JSON. A network configuration list runs its plugins in order on ADD,
 * each receiving the previous result, and in reverse order on DEL.
 */

export const CNI_VERSION = '1.0.0';

export interface CniPluginConf {
  type: string;
  [key: string]: unknown;
}

export interface CniConfList {
  name: string;
  plugins: CniPluginConf[];
}

export interface CniRuntime {
  containerId: string;
  /** Path of the network namespace (/proc/PID/ns/net); empty on DEL when it is gone. */
  netns: string;
  ifname: string;
  /** Values for plugins' declared capabilities (portMappings, ips, mac). */
  capabilities?: Record<string, unknown>;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ interface?: number; address: string; gateway?: string }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: unknown;
}

const SEARCH_PATH = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni', '/usr/local/lib/cni'];

export function findPluginDir(): string {
  const dir = process.env.MINKE_CNI_PATH ?? SEARCH_PATH.find((d) => existsSync(join(d, 'bridge')));
  if (!dir) throw new SystemError(`CNI plugins not found in ${SEARCH_PATH.join(', ')}: install containernetworking-plugins`);
  return dir;
}

async function execPlugin(dir: string, command: 'ADD' | 'DEL' | 'CHECK', rt: CniRuntime, conf: Record<string, unknown>): Promise<CniResult> {
  const type = conf.type as string;
  const path = join(dir, type);
  let r;
  try {
    // Spawned without forking the engine (core/spawn.ts): a start runs one ADD, an exit one DEL.
    r = await execProcess(path, [], {
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: rt.containerId,
        CNI_NETNS: rt.netns,
        CNI_IFNAME: rt.ifname,
        CNI_PATH: dir,
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      },
      input: JSON.stringify(conf),
      timeoutMs: 60_000,
    });
  } catch (err) {
    throw new SystemError(`plugin type="${type}" failed (${command.toLowerCase()}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { stdout } = r;
  if (r.code !== 0) {
    let msg = `Command failed: ${path}${r.signal ? ` (${r.signal})` : ''}\n${r.stderr}`.trim();
    try {
      const e = JSON.parse(stdout) as { msg?: string; details?: string };
      if (e.msg) msg = e.details ? `${e.msg}: ${e.details}` : e.msg;
    } catch {
      // not a CNI error document
    }
    throw new SystemError(`plugin type="${type}" failed (${command.toLowerCase()}): ${msg}`);
  }
  try {
    return stdout.trim() ? (JSON.parse(stdout) as CniResult) : {};
  } catch {
    throw new SystemError(`plugin type="${type}" printed an invalid result: ${stdout.slice(0, 200)}`);
  }
}

/** One plugin's stdin: its own config, the list's name and version, runtimeConfig for its capabilities, and prevResult. */
function pluginInput(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prev: CniResult | undefined): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: CNI_VERSION, name: list.name };
  const caps = plugin.capabilities as Record<string, boolean> | undefined;
  if (caps && rt.capabilities) {
    const runtimeConfig: Record<string, unknown> = {};
    for (const [k, on] of Object.entries(caps)) if (on && rt.capabilities[k] !== undefined) runtimeConfig[k] = rt.capabilities[k];
    if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  }
  delete conf.capabilities;
  if (prev) conf.prevResult = prev;
  return conf;
}

/** ADD through every plugin of the list; on a failure, the plugins already run are undone (DEL). */
export async function cniAdd(list: CniConfList, rt: CniRuntime, dir = findPluginDir()): Promise<CniResult> {
  let result: CniResult | undefined;
  for (let i = 0; i < list.plugins.length; i++) {
    try {
      result = await execPlugin(dir, 'ADD', rt, pluginInput(list, list.plugins[i]!, rt, result));
    } catch (err) {
      await cniDel({ ...list, plugins: list.plugins.slice(0, i + 1) }, rt, result, dir).catch(() => {});
      throw err;
    }
  }
  return result ?? {};
}

/** DEL through every plugin in reverse order; every plugin runs even when one fails, and the first error is thrown. */
export async function cniDel(list: CniConfList, rt: CniRuntime, prev: CniResult | undefined, dir = findPluginDir()): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await execPlugin(dir, 'DEL', rt, pluginInput(list, plugin, rt, prev));
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
