import type WebSocket from 'ws';
import { connectPeer, connectSio, connectSwitchboard, forEachLimited } from '../lib/clients.js';
import { serveGenerator } from '../lib/ipc.js';
import { EMPTY_SUMMARY, Samples, summarize } from '../lib/stats.js';
import type { ClientKind } from '../lib/targets.js';
import type { WireSocket as Socket } from '../lib/wire-socket.js';

/**
 * Idle-capacity generator: each step connects `rate` more idle clients (the
 * step's "rate" is a connection count here), which then send a heartbeat at
 * the interval the server announces (PeerJS: its HEARTBEAT message, every
 * 10 s; bare Socket.IO: only its own ping/pong). Latency = connect time.
 */

export interface IdleConfig {
  kind: ClientKind;
  url: string;
  /**
   * Switchboard only: the loopback address to connect from, and a prefix
   * for user ids, so that several generators can hold more connections
   * than one address's ephemeral ports allow, as distinct users.
   */
  localAddress?: string;
  idPrefix?: string;
  /** Connects in flight at once (100 unless told). */
  concurrency?: number;
}

let cfg: IdleConfig;
let total = 0;
const timers: NodeJS.Timeout[] = [];
const closers: (() => void)[] = [];
const connectTimes = new Samples();
let heartbeatErrors = 0;
let stopping = false;
/** Connections the server closed while they were held. */
let lost = 0;

async function connectOne(i: number): Promise<void> {
  const t = performance.now();
  if (cfg.kind === 'switchboard') {
    const { socket, heartbeatIntervalMs } = await connectSwitchboard(
      cfg.url,
      `${cfg.idPrefix ?? 'idle'}${i}`,
      'phone',
      cfg.localAddress,
    );
    const s: Socket = socket;
    s.onClose(() => {
      if (!stopping) lost++;
    });
    closers.push(() => s.close());
    // Spread the heartbeats over the interval.
    setTimeout(() => {
      timers.push(
        setInterval(() => {
          s.emit('heartbeat', {}, (res: { ok: boolean }) => {
            if (!res?.ok) heartbeatErrors++;
          });
        }, heartbeatIntervalMs),
      );
    }, Math.random() * heartbeatIntervalMs).unref();
  } else if (cfg.kind === 'sio') {
    const s = await connectSio(cfg.url, `idle${i}`);
    closers.push(() => s.close());
  } else {
    const ws: WebSocket = await connectPeer(cfg.url, `idle${i}`);
    closers.push(() => ws.close());
    timers.push(setInterval(() => ws.send('{"type":"HEARTBEAT"}'), 10_000));
  }
  connectTimes.push(performance.now() - t);
}

serveGenerator({
  async setup(config) {
    cfg = config as IdleConfig;
    return undefined;
  },
  async step(count, durationMs) {
    connectTimes.reset();
    const start = total;
    const t0 = performance.now();
    let firstFailure: string | undefined;
    const failures = await forEachLimited(count, cfg.concurrency ?? 100, (i) =>
      connectOne(start + i).catch((err: Error) => {
        firstFailure ??= err.message;
        throw err;
      }),
    );
    total += count - failures;
    const windowMs = performance.now() - t0;
    // Hold them idle for the rest of the step, heartbeats running.
    await new Promise((r) => setTimeout(r, Math.max(0, durationMs - windowMs)));
    return {
      attempted: count,
      completed: count - failures,
      errors: failures + heartbeatErrors + lost,
      throughput: ((count - failures) / Math.max(windowMs, 1)) * 1000,
      latency: connectTimes.length ? summarize(connectTimes.view()) : EMPTY_SUMMARY,
      extra: {
        connected: total - lost,
        lost,
        heartbeatErrors,
        failures,
        ...(firstFailure && { firstFailure }),
      },
    };
  },
  async stop() {
    stopping = true;
    for (const t of timers) clearInterval(t);
    for (const close of closers) close();
  },
});
