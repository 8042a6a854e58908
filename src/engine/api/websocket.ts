/**
 * WebSocket connections (RFC 6455, through the ws package) for GET /containers/{id}/attach/ws:
 * the connection as a byte stream, so attach treats it as it treats a hijacked one. Every write
 * is one message; every message received, whatever its type, is bytes for the container's stdin.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { InvalidArgument } from '../../core/errors.js';
import { API_VERSION, type ApiContext } from './router.js';

// Only parses and answers handshakes (noServer). Text frames are not checked for UTF-8: stdin is
// bytes, and Go's x/net/websocket, which dockerd uses, checks nothing either.
const server = new WebSocketServer({ noServer: true, clientTracking: false, skipUTF8Validation: true });
// A bad handshake (key, version) is answered in the Engine API's error shape.
server.on('wsClientError', (err: Error, socket: Duplex) => {
  const body = JSON.stringify({ message: err.message });
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Api-Version: ${API_VERSION}\r\n\r\n${body}`);
});

function isWebSocketRequest(req: IncomingMessage): boolean {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  const connection = String(req.headers.connection ?? '').toLowerCase();
  return upgrade === 'websocket' && connection.includes('upgrade');
}

/**
 * Completes the handshake of the request in ctx. `binary`: output goes in binary frames (API
 * 1.28 and later), else in text frames. Undefined when the handshake failed (already answered).
 */
export async function acceptWebSocket(ctx: ApiContext, binary: boolean): Promise<Duplex | undefined> {
  // dockerd's words (x/net/websocket) for a request that is no WebSocket handshake.
  if (!isWebSocketRequest(ctx.req) || !ctx.isUpgrade) throw new InvalidArgument('not websocket protocol');
  const { socket, head } = ctx.takeUpgrade()!;
  const ws = await new Promise<WebSocket | undefined>((resolve) => {
    const onClose = (): void => resolve(undefined);
    socket.once('close', onClose);
    server.handleUpgrade(ctx.req, socket, head, (w) => {
      socket.off('close', onClose);
      resolve(w);
    });
  });
  return ws && new WebSocketStream(ws, binary);
}

class WebSocketStream extends Duplex {
  constructor(private readonly ws: WebSocket, private readonly binary: boolean) {
    super();
    ws.on('message', (data) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!this.push(buf)) ws.pause();
    });
    // No half-close in WebSocket: the peer's close ends both directions.
    ws.once('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', () => {}); // 'close' follows
  }

  override _read(): void {
    this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Output after the peer closed has nowhere to go.
    if (this.ws.readyState !== WebSocket.OPEN) {
      cb();
      return;
    }
    this.ws.send(chunk, { binary: this.binary }, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    // As dockerd at the end of an attach: a normal close.
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    cb(err);
  }
}
