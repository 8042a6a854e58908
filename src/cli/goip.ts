/**
 * IP addresses as Go's net package reads and prints them (net.ParseIP, net.ParseCIDR,
 * net.IP.String), which decide what docker's CLI accepts and sends for --dns, --subnet and the
 * like. An address is 16 bytes; IPv4 is held IPv4-mapped, as Go holds it.
 */

export type IP = Uint8Array;

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // Go rejects leading zeros ("01") and more than three digits
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseV6(s: string): IP | undefined {
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return ip;
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return undefined;
    // an embedded IPv4 address ends the text
    if (rest.length > m[0].length && rest[m[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseV4(rest);
      if (!v4) return undefined;
      ip.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const n = parseInt(m[0], 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return undefined;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j];
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) return undefined;
  return ip;
}

/** net.ParseIP: dotted IPv4, or IPv6 (no zone, no brackets); undefined when invalid. */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) return parseV6(s);
  const v4 = parseV4(s);
  if (!v4) return undefined;
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
}

function isV4(ip: IP): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** net.IP.String: IPv4 dotted, IPv6 in RFC 5952 form (the longest run of zero groups as "::"). */
export function ipString(ip: IP): string {
  if (isV4(ip)) return Array.from(ip.slice(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i] << 8) | ip[i + 1]);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

export interface IPNet {
  ip: IP;
  /** prefix length, counted in the address's own family (32 for IPv4, 128 for IPv6) */
  bits: number;
  v4: boolean;
}

/** net.ParseCIDR: the address and its network; undefined when invalid. */
export function parseCIDR(s: string): { ip: IP; net: IPNet } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const ip = parseIP(addr);
  const v4 = !addr.includes(':');
  const max = v4 ? 32 : 128;
  if (!ip || !/^\d+$/.test(len) || Number(len) > max) return undefined;
  const bits = Number(len);
  const masked = Uint8Array.from(ip);
  const offset = v4 ? 96 : 0;
  for (let b = offset + bits; b < 128; b++) masked[b >> 3] &= ~(0x80 >> (b & 7));
  return { ip, net: { ip: masked, bits, v4 } };
}

/** net.IPNet.Contains */
export function netContains(n: IPNet, ip: IP | undefined): boolean {
  if (!ip) return false;
  if (n.v4 !== isV4(ip)) return false;
  const offset = n.v4 ? 96 : 0;
  for (let b = offset; b < offset + n.bits; b++) {
    const mask = 0x80 >> (b & 7);
    if ((ip[b >> 3] & mask) !== (n.ip[b >> 3] & mask)) return false;
  }
  return true;
}

/**
 * net.ParseMAC: IEEE 802 MAC-48, EUI-48, EUI-64 or 20-octet IP over InfiniBand addresses, as
 * xx:xx:..., xx-xx-... or xxxx.xxxx.xxxx.
 */
export function isValidMAC(s: string): boolean {
  if (s.length < 14) return false;
  const ok = (n: number): boolean => n === 6 || n === 8 || n === 20;
  if (s[2] === ':' || s[2] === '-') {
    if ((s.length + 1) % 3 !== 0 || !ok((s.length + 1) / 3)) return false;
    const sep = s[2];
    for (let i = 0; i < s.length; i += 3) {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i, i + 2))) return false;
      if (i + 2 < s.length && s[i + 2] !== sep) return false;
    }
    return true;
  }
  if (s[4] === '.') {
    if ((s.length + 1) % 5 !== 0 || !ok((2 * (s.length + 1)) / 5)) return false;
    for (let i = 0; i < s.length; i += 5) {
      if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i, i + 4))) return false;
      if (i + 4 < s.length && s[i + 4] !== '.') return false;
    }
    return true;
  }
  return false;
}
