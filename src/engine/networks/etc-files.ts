/** /etc/hosts and /etc/resolv.conf for a container, as dockerd writes them. */

const HOSTS_HEADER = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::\tip6-localnet',
  'ff00::\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The container's own addresses (one per network it is on). */
  addresses: string[];
  /** --add-host entries, `name:ip` (already resolved: host-gateway replaced). */
  extraHosts: string[];
}

export function hostsFile(h: HostsInput): string {
  const lines = [...HOSTS_HEADER];
  for (const e of h.extraHosts) {
    const i = e.indexOf(':');
    if (i > 0) lines.push(`${e.slice(i + 1)}\t${e.slice(0, i)}`);
  }
  // As libnetwork: the fully qualified name (a hostname may carry its domain), then its first label.
  const fqdn = h.domainname ? `${h.hostname}.${h.domainname}` : h.hostname;
  const names = fqdn.includes('.') ? `${fqdn} ${fqdn.slice(0, fqdn.indexOf('.'))}` : fqdn;
  for (const a of h.addresses) lines.push(`${a}\t${names}`);
  return `${lines.join('\n')}\n`;
}

export interface ParsedResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ParsedResolvConf {
  const out: ParsedResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

function isLocalhost(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** docker's fallback when the host only has resolvers on its own loopback. */
const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

export interface ResolvInput {
  host: ParsedResolvConf;
  /** --dns, --dns-search, --dns-option */
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** The embedded DNS server's address, on user-defined networks. */
  embedded?: string;
}

/** The servers the container's queries go to in the end (the embedded server forwards to these). */
export function upstreamServers(r: Pick<ResolvInput, 'host' | 'dns'>): string[] {
  return r.dns.length ? r.dns : r.host.nameservers;
}

export function resolvConf(r: ResolvInput): string {
  let servers: string[];
  if (r.embedded) servers = [r.embedded];
  else if (r.dns.length) servers = r.dns;
  else {
    servers = r.host.nameservers.filter((s) => !isLocalhost(s));
    if (!servers.length) servers = DEFAULT_DNS;
  }
  const search = r.dnsSearch.length ? r.dnsSearch.filter((s) => s !== '.') : r.host.search;
  const options = r.dnsOptions.length ? r.dnsOptions : r.host.options;
  let out = servers.map((s) => `nameserver ${s}\n`).join('');
  if (search.length) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}
