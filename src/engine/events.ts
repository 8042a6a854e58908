import { EventEmitter } from 'node:events';

/** One engine event in the Engine API's shape (GET /events). */
export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Deprecated fields docker still sends for containers and images. */
  status?: string;
  id?: string;
  from?: string;
}

const KEEP = 256; // dockerd's eventsLimit

/**
 * The engine's event log: a bounded history for --since replays, and live subscribers. Events
 * are published by the API layer and the services; readers filter as docker does.
 */
export class EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly emitter = new EventEmitter<{ event: [EngineEvent] }>();
  private lastNs = 0n;

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    // The wall clock, made strictly increasing (by microseconds) so events keep their order by time.
    let nowNs = BigInt(Date.now()) * 1_000_000n;
    if (nowNs <= this.lastNs) nowNs = this.lastNs + 1000n;
    this.lastNs = nowNs;
    const ev: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      ev.status = action;
      ev.id = id;
      if (attributes.image) ev.from = attributes.image;
    }
    this.history.push(ev);
    if (this.history.length > KEEP) this.history.splice(0, this.history.length - KEEP);
    this.emitter.emit('event', ev);
    return ev;
  }

  /** Past events from `sinceMs` (inclusive), oldest first. */
  since(sinceMs: number): EngineEvent[] {
    return this.history.filter((e) => e.timeNano / 1e6 >= sinceMs);
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }

  get listeners(): number {
    return this.emitter.listenerCount('event');
  }
}
