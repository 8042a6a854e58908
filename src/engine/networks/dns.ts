import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { bigintToIp6 } from './subnets6.js';

/**
 * The embedded DNS server of user-defined networks: listens on each network's gateway address,
 * answers container names and aliases of the networks the asking container is on (round robin
 * when several containers share an alias), and forwards everything else to the upstream servers.
 */

export interface NameResolver {
  /** IPv4 and IPv6 addresses for `name` asked from `from`; undefined when the name is not a container's. */
  lookup(from: string, name: string): { v4: string[]; v6: string[] } | undefined;
  /** The container name for a container address (PTR), when `from` shares a network with it. */
  reverse(from: string, ip: string): string | undefined;
  /** Where to forward other names; empty for no forwarding (internal networks). */
  upstream(from: string): string[];
}

const TTL = 600;
const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const FORWARD_TIMEOUT_MS = 3000;

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The address a reverse name stands for: `4.3.2.1.in-addr.arpa`, or 32 nibbles `….ip6.arpa` (in the canonical IPv6 form). */
function ptrToIp(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/i.exec(name);
  if (m) return `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  const six = /^((?:[0-9a-f]\.){32})ip6\.arpa$/i.exec(name);
  if (!six) return undefined;
  const hex = six[1]!.split('.').filter(Boolean).reverse().join('');
  return bigintToIp6(BigInt(`0x${hex}`));
}

export class EmbeddedDns {
  private readonly sockets = new Map<string, dgram.Socket>();

  constructor(private readonly resolver: NameResolver, private readonly log: (msg: string) => void = () => {}) {}

  /** Starts answering on address:53 (idempotent). */
  listen(address: string): Promise<void> {
    if (this.sockets.has(address)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      sock.once('error', reject);
      sock.bind({ address, port: 53, exclusive: true }, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log(`dns ${address}: ${err.message}`));
        sock.on('message', (msg, rinfo) => this.answer(sock, msg, rinfo));
        sock.unref();
        this.sockets.set(address, sock);
        resolve();
      });
    });
  }

  close(address: string): void {
    const s = this.sockets.get(address);
    if (!s) return;
    this.sockets.delete(address);
    s.close();
  }

  closeAll(): void {
    for (const a of [...this.sockets.keys()]) this.close(a);
  }

  private answer(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const reply = (answers: packet.Answer[], rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' = 'NOERROR'): void => {
      // dns-packet takes the response code from the low bits of flags.
      const flags = packet.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & packet.RECURSION_DESIRED) | packet.RECURSION_AVAILABLE | RCODES[rcode];
      const buf = packet.encode({ id: q.id, type: 'response', flags, questions: [question], answers });
      send(buf);
    };
    // The socket may be closed by the time an upstream answers (its network was removed).
    const send = (buf: Buffer): void => {
      try {
        sock.send(buf, rinfo.port, rinfo.address, () => {});
      } catch {
        // closed meanwhile: nobody to answer
      }
    };
    const name = question.name.replace(/\.$/, '');
    if (question.type === 'A' || question.type === 'AAAA') {
      const found = this.resolver.lookup(rinfo.address, name);
      if (found) {
        // A container without an address of the family asked (no IPv6 on its network): an empty answer, not NXDOMAIN.
        const answers: packet.Answer[] = question.type === 'A'
          ? shuffle(found.v4).map((ip) => ({ name: question.name, type: 'A', class: 'IN', ttl: TTL, data: ip }))
          : shuffle(found.v6).map((ip) => ({ name: question.name, type: 'AAAA', class: 'IN', ttl: TTL, data: ip }));
        reply(answers);
        return;
      }
    } else if (question.type === 'PTR') {
      const ip = ptrToIp(name);
      const target = ip ? this.resolver.reverse(rinfo.address, ip) : undefined;
      if (target) {
        reply([{ name: question.name, type: 'PTR', class: 'IN', ttl: TTL, data: target }]);
        return;
      }
    }
    const configured = this.resolver.upstream(rinfo.address);
    if (!configured.length) {
      reply([], 'NXDOMAIN');
      return;
    }
    // Never to itself (a container given the resolver's own address with --dns): SERVFAIL, as dockerd.
    const upstream = configured.filter((s) => s !== '127.0.0.11' && !this.sockets.has(s));
    if (!upstream.length) {
      reply([], 'SERVFAIL');
      return;
    }
    this.forward(msg, upstream).then(send, () => reply([], 'SERVFAIL')).catch(() => {});
  }

  /** Relays the query to the upstream servers in turn; the first answer wins. */
  private async forward(msg: Buffer, servers: string[]): Promise<Buffer> {
    for (const server of servers) {
      try {
        return await new Promise<Buffer>((resolve, reject) => {
          const s = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
          const timer = setTimeout(() => {
            s.close();
            reject(new Error('timeout'));
          }, FORWARD_TIMEOUT_MS);
          s.on('error', (err) => {
            clearTimeout(timer);
            s.close();
            reject(err);
          });
          s.on('message', (res) => {
            clearTimeout(timer);
            s.close();
            resolve(res);
          });
          try {
            s.send(msg, 53, server);
          } catch (err) {
            clearTimeout(timer);
            s.close();
            reject(err as Error);
          }
        });
      } catch {
        // next server
      }
    }
    throw new Error('no upstream answered');
  }
}
