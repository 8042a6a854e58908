/**
 * What docker's CLI (v28) makes of the networking options of run/create and the network
 * commands: the `--network` CSV syntax, per-network endpoint settings, published and exposed
 * ports (go-connections/nat), and the validators behind --dns, --add-host, --dns-search, --link
 * and --label. Functions throw plain Errors worded as docker's; callers decide how docker
 * reports them (a flag value error with the usage, or an option error).
 */
import { ipString, isValidMAC, parseIP } from './goip.js';

/** encoding/csv reading one record, with its errors (LazyQuotes off). */
export function csvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const fail = (col: number, what: string): never => {
    throw new Error(`parse error on line 1, column ${col}: ${what}`);
  };
  for (;;) {
    if (line[i] === '"') {
      // quoted field: "" is a quote; the closing quote ends it, then a comma or the end
      let field = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) fail(line.length + 1, 'extraneous or missing " in quoted-field');
        field += line.slice(j, q);
        if (line[q + 1] === '"') {
          field += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        if (j < line.length && line[j] !== ',') fail(q + 1, 'extraneous or missing " in quoted-field');
        break;
      }
      fields.push(field);
      if (j >= line.length) return fields;
      i = j + 1;
      continue;
    }
    const comma = line.indexOf(',', i);
    const field = comma < 0 ? line.slice(i) : line.slice(i, comma);
    const quote = field.indexOf('"');
    if (quote >= 0) fail(i + quote + 1, 'bare " in non-quoted-field');
    fields.push(field);
    if (comma < 0) return fields;
    i = comma + 1;
  }
}

/** The check of pflag's string slices as a value is set: it must read as a CSV record. */
export function csvValue(v: string): string {
  csvRecord(v);
  return v;
}

/** pflag's string slices (--alias, --subnet...): each value is a CSV record; "" is no value. */
export function stringSlice(values: string[]): string[] {
  return values.flatMap((v) => (v === '' ? [] : csvRecord(v)));
}

/** One network to attach to, as `--network` (and the flags applying to the first one) give it. */
export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts?: Record<string, string>;
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIPs: string[];
  macAddress: string;
  gwPriority: number;
}

function attachment(target: string): NetworkAttachment {
  return { target, aliases: [], links: [], ipv4: '', ipv6: '', linkLocalIPs: [], macAddress: '', gwPriority: 0 };
}

/** opts.NetworkOpt.Set: a name, or `name=NET,alias=A,ip=...` (keys and values taken in lower case, as docker does). */
export function parseNetworkFlag(value: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return attachment(value);
  const n = attachment('');
  for (const field of csvRecord(value)) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name':
        n.target = val;
        break;
      case 'alias':
        n.aliases.push(val);
        break;
      case 'ip':
        n.ipv4 = val;
        break;
      case 'ip6':
        n.ipv6 = val;
        break;
      case 'mac-address':
        n.macAddress = val;
        break;
      case 'link-local-ip':
        n.linkLocalIPs.push(val);
        break;
      case 'driver-opt': {
        const [k, v] = driverOpt(val);
        (n.driverOpts ??= {})[k] = v;
        break;
      }
      case 'gw-priority':
        if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid gw-priority (${val}): invalid syntax`);
        n.gwPriority = Number(val);
        break;
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (!n.target) throw new Error('network name/id is not specified');
  return n;
}

function driverOpt(opt: string): [string, string] {
  const eq = opt.indexOf('=');
  if (eq <= 0) throw new Error('invalid key value pair format in driver options');
  return [opt.slice(0, eq).trim(), opt.slice(eq + 1).trim()];
}

/** container.NetworkMode.IsUserDefined */
export function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !/^container:/.test(mode);
}

/** The options of run/create that apply to the first network. */
export interface LegacyNetworkFlags {
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  macAddress: string;
  linkLocalIPs: string[];
}

function applyLegacy(n: NetworkAttachment, f: LegacyNetworkFlags): void {
  if (n.aliases.length && f.aliases.length) throw new Error('conflicting options: cannot specify both --network-alias and per-network alias');
  if (n.links.length && f.links.length) throw new Error('conflicting options: cannot specify both --link and per-network links');
  if (n.ipv4 && f.ipv4) throw new Error('conflicting options: cannot specify both --ip and per-network IPv4 address');
  if (n.ipv6 && f.ipv6) throw new Error('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
  if (n.macAddress && f.macAddress) throw new Error('conflicting options: cannot specify both --mac-address and per-network MAC address');
  if (n.linkLocalIPs.length && f.linkLocalIPs.length) throw new Error('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
  if (f.aliases.length) n.aliases = [...f.aliases];
  // on a user-defined network --link is an endpoint option (an alias); on the default bridge a legacy link
  if (isUserDefined(n.target) && f.links.length) n.links = [...f.links];
  if (f.ipv4) n.ipv4 = f.ipv4;
  if (f.ipv6) n.ipv6 = f.ipv6;
  if (f.macAddress) n.macAddress = f.macAddress;
  if (f.linkLocalIPs.length) n.linkLocalIPs = [...f.linkLocalIPs];
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  Links?: string[];
  Aliases?: string[];
  MacAddress?: string;
  DriverOpts?: Record<string, string>;
  GwPriority?: number;
}

function endpointSettings(n: NetworkAttachment): EndpointSettings {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.target)) {
    if (n.aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length) throw new Error('links are only supported for user-defined networks');
  }
  const ep: EndpointSettings = {};
  if (n.aliases.length) ep.Aliases = [...n.aliases];
  if (n.driverOpts) ep.DriverOpts = n.driverOpts;
  if (n.links.length) ep.Links = n.links;
  if (n.ipv4 || n.ipv6 || n.linkLocalIPs.length) {
    ep.IPAMConfig = {};
    if (n.ipv4) ep.IPAMConfig.IPv4Address = n.ipv4;
    if (n.ipv6) ep.IPAMConfig.IPv6Address = n.ipv6;
    if (n.linkLocalIPs.length) ep.IPAMConfig.LinkLocalIPs = n.linkLocalIPs;
  }
  if (n.macAddress) {
    if (!isValidMAC(n.macAddress.trim())) throw new Error(`${n.macAddress} is not a valid mac address`);
    ep.MacAddress = n.macAddress;
  }
  if (n.gwPriority) ep.GwPriority = n.gwPriority;
  return ep;
}

/**
 * parseNetworkOpts: NetworkingConfig.EndpointsConfig for the API (≥ 1.44), every network with its
 * own settings, the legacy flags on the first; "default" when no --network was given.
 */
export function endpointsConfig(networks: NetworkAttachment[], legacy: LegacyNetworkFlags): Record<string, EndpointSettings> {
  const endpoints: Record<string, EndpointSettings> = {};
  if (!networks.length) {
    const n = attachment('default');
    applyLegacy(n, legacy);
    endpoints.default = endpointSettings(n);
  }
  let userDefined = false;
  let builtin = false;
  networks.forEach((given, i) => {
    const n: NetworkAttachment = { ...given, aliases: [...given.aliases], links: [...given.links], linkLocalIPs: [...given.linkLocalIPs] };
    if (isUserDefined(n.target)) userDefined = true;
    else builtin = true;
    if (i === 0) applyLegacy(n, legacy);
    const ep = endpointSettings(n);
    if (Object.hasOwn(endpoints, n.target)) throw new Error(`network "${n.target}" is specified multiple times`);
    // one network without options: the daemon makes its endpoint, the client sends none
    if (i === 0 && networks.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n.target] = ep;
  });
  if (userDefined && builtin) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}

/** --mac-address, checked before anything else as docker's parse() does. */
export function checkMac(mac: string): void {
  if (mac && !isValidMAC(mac.trim())) throw new Error(`${mac} is not a valid mac address`);
}

/** opts.ValidateIPAddress: the address as Go prints it. */
export function validateIPAddress(v: string): string {
  const ip = parseIP(v.trim());
  if (!ip) throw new Error(`IP address is not correctly formatted: ${v}`);
  return ipString(ip);
}

/** opts.ValidateExtraHost: host:ip or host=ip, ip maybe in brackets or "host-gateway"; sent as host:ip. */
export function validateExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  const host = sep < 0 ? v : v.slice(0, sep);
  let ip = sep < 0 ? '' : v.slice(sep + 1);
  if (sep < 0 || host === '' || host.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(v)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (!parseIP(ip.trim())) throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${host}:${ip}`;
}

const domainRe = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch: a domain (its trailing dot dropped), or "." for none. */
export function validateDNSSearch(v: string): string {
  const val = v.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  const m = /[a-zA-Z]/.test(val) ? domainRe.exec(val) : null;
  if (m && m[1].length < 255) return m[1];
  throw new Error(`${val} is not a valid domain`);
}

/** opts.ValidateLink: name or name:alias. */
export function validateLink(v: string): string {
  if (v === '') throw new Error('empty string specified for links');
  if (v.split(':').length > 2) throw new Error(`bad format for links: ${v}`);
  return v;
}

const whiteSpaces = ' \t';

/** opts.ValidateLabel: key[=value], the key neither empty nor with whitespace. */
export function validateLabel(v: string): string {
  const eq = v.indexOf('=');
  const key = (eq < 0 ? v : v.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if ([...whiteSpaces].some((c) => key.includes(c))) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

/** opts.ConvertKVStringsToMap: "k=v" → {k: v}, "k" → {k: ""}. */
export function kvMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

/** A container port ("80/tcp") and one host binding for it. */
export interface PortMapping {
  port: string;
  binding: { HostIp: string; HostPort: string };
}

/** strconv.ParseUint(s, 10, 16) with its error. */
function parseUint16(s: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (Number(s) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(s);
}

/** nat.ParsePortRange: "80" or "80-90" (anything after a second "-" ignored, as go-connections does). */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const n = parseUint16(ports);
    return [n, n];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]);
  const end = parseUint16(parts[1]);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → [udp, 80]; no port, no protocol. */
export function splitProtoPort(raw: string): [proto: string, port: string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0].length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1].length === 0) return ['tcp', parts[0]];
  return [parts[1], parts[0]];
}

function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':');
  const n = parts.length;
  switch (n) {
    case 1:
      return ['', '', parts[0]];
    case 2:
      return ['', parts[0], parts[1]];
    case 3:
      return [parts[0], parts[1], parts[2]];
    default:
      return [parts.slice(0, n - 2).join(':'), parts[n - 2], parts[n - 1]];
  }
}

/** net.SplitHostPort(ip + ":") for a bracketed address: the address, or docker's error. */
function stripBrackets(ip: string): string {
  const hostport = `${ip}:`;
  const fail = (why: string): never => {
    throw new Error(`invalid IP address ${ip}: address ${hostport}: ${why}`);
  };
  const end = hostport.indexOf(']');
  if (end < 0) fail("missing ']' in address");
  if (end + 1 !== hostport.length - 1) fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
  if (hostport.slice(1).includes('[')) fail("unexpected '[' in address");
  if (hostport.slice(end + 1).includes(']')) fail("unexpected ']' in address");
  return hostport.slice(1, end);
}

/** nat.ParsePortSpec: [ip:][hostPort:]containerPort[/proto], ranges included. */
export function parsePortSpec(raw: string): PortMapping[] {
  const parts = splitParts(raw);
  let ip = parts[0];
  const hostPort = parts[1];
  const [proto, containerPort] = splitProtoPort(parts[2]);
  if (ip !== '' && ip[0] === '[') ip = stripBrackets(ip);
  if (ip !== '' && !parseIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  // a host range with one container port is the range to allocate from
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort;
    if (hostPort.length > 0) hp = String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hp = `${hp}-${hostEnd}`;
    out.push({ port: `${start + i}/${proto.toLowerCase()}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** convertToStandardNotation: -p target=80,published=8080,protocol=udp → "8080:80/udp". */
export function standardPortNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

/** --expose: PORT[/PROTO] or START-END[/PROTO], each port of the range. */
export function exposedPorts(e: string): string[] {
  if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
  const [proto, port] = splitProtoPort(e);
  let range: [number, number];
  try {
    range = parsePortRange(port);
  } catch (err) {
    throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (let i = range[0]; i <= range[1]; i++) out.push(`${i}/${proto}`);
  return out;
}
