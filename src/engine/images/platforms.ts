/**
 * Platform specifiers as containerd's platforms package reads them (`linux`, `arm64`,
 * `linux/aarch64`, `linux/arm/v7`): parsed, normalised (aarch64 → arm64, x86_64 → amd64),
 * formatted, and matched against an image's platform with the variants a CPU also runs.
 */
import { arch as nodeArch } from 'node:process';
import { InvalidArgument } from '../../core/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const SPECIFIER_RE = /^[A-Za-z0-9_.-]+$/;
const OS_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);

/** Go's names of Node's architectures. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

/** The platform this engine runs containers of. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: GO_ARCH[nodeArch] ?? nodeArch };
}

function normalizeOS(os: string): string {
  const o = os.toLowerCase();
  return o === 'macos' ? 'darwin' : o;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8' || v === 'v8.0') v = '';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      else if (/^8\.[1-9]$/.test(v)) v = `v${v}`;
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return [a, v];
}

function platform(os: string, architecture: string, variant: string): Platform {
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** containerd's platforms.Parse, with its words (errors are InvalidArgument, a 400). */
export function parsePlatform(specifier: string): Platform {
  const q = JSON.stringify;
  if (specifier.includes('*')) throw new InvalidArgument(`${q(specifier)}: wildcards not yet supported: invalid argument`);
  const parts = specifier.split('/');
  if (parts.length > 4) parts.splice(3, parts.length - 3, parts.slice(3).join('/'));
  const m = OS_RE.exec(parts[0]!);
  if (!m) throw new InvalidArgument(`${q(parts[0])} is an invalid OS component of ${q(specifier)}: OSAndVersion specifier component must match ${q(OS_RE.source)}: invalid argument`);
  for (const part of parts.slice(1)) {
    if (!SPECIFIER_RE.test(part)) throw new InvalidArgument(`${q(part)} is an invalid component of ${q(specifier)}: platform specifier component must match ${q(SPECIFIER_RE.source)}: invalid argument`);
  }
  const os = normalizeOS(m[1]!);
  const host = hostPlatform();
  switch (parts.length) {
    case 1: {
      if (KNOWN_OS.has(os)) return { os, architecture: host.architecture };
      const [a, v] = normalizeArch(parts[0]!, '');
      if (KNOWN_ARCH.has(a)) return platform(host.os, a, a === 'arm' && v === 'v7' ? '' : v);
      throw new InvalidArgument(`${q(specifier)}: unknown operating system or architecture: invalid argument`);
    }
    case 2: {
      const [a, v] = normalizeArch(parts[1]!, '');
      return platform(os, a, a === 'arm' && v === 'v7' ? '' : v);
    }
    case 3: {
      // A variant given in full is kept (arm64's v8 too).
      const [a, v] = normalizeArch(parts[1]!, parts[2]!);
      return platform(os, a, a === 'arm64' && v === '' ? 'v8' : v);
    }
  }
  throw new InvalidArgument(`${q(specifier)}: cannot parse platform specifier: invalid argument`);
}

/** platforms.Format: os/arch[/variant]. */
export function formatPlatform(p: Platform): string {
  if (!p.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function normalize(p: Platform): Platform {
  const [a, v] = normalizeArch(p.architecture, p.variant ?? '');
  return platform(normalizeOS(p.os), a, v);
}

/**
 * Whether an image of platform `have` runs where `wanted` was asked for (containerd's
 * platforms.Only): the same OS and architecture, and the asked variant or an older one
 * (an amd64/v3 machine runs amd64/v2 and v1 images, an arm/v7 one arm/v6 and v5).
 */
export function platformMatches(wanted: Platform, have: Platform): boolean {
  const w = normalize(wanted);
  const h = normalize(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  const wv = w.variant ?? '';
  const hv = h.variant ?? '';
  if (wv === hv) return true;
  const level = (v: string): number => (v === '' ? 1 : Number(/^v(\d+)$/.exec(v)?.[1] ?? NaN));
  if (w.architecture === 'amd64' || w.architecture === 'arm') {
    const floor = w.architecture === 'arm' ? 5 : 1;
    const lw = level(wv === '' && w.architecture === 'arm' ? 'v7' : wv);
    const lh = level(hv === '' && w.architecture === 'arm' ? 'v7' : hv);
    return Number.isFinite(lw) && Number.isFinite(lh) && lh <= lw && lh >= floor;
  }
  if (w.architecture === 'arm64') return hv === '' && /^v8\.\d$/.test(wv); // v8.x runs v8
  return false;
}
