import { connectSwitchboard, forEachLimited } from '../lib/clients.js';
import { Inbox } from '../lib/inbox.js';
import { serveGenerator } from '../lib/ipc.js';
import { pace, until } from '../lib/pacer.js';
import { candidateInit, candidateSeq, FAKE_SDP } from '../lib/payloads.js';
import { Samples, summarize } from '../lib/stats.js';
import type { WireSocket as Socket } from '../lib/wire-socket.js';

/**
 * Call-setup load generator against Switchboard: each call is invite ->
 * call_incoming -> call_ringing -> accept with SDP answer -> four ICE
 * candidates each way -> hang-up. Latency samples are per hop: from a
 * request's emit to the matching event at the other device (12 per call).
 * Optional probes: calls nobody answers, to time ring-timeout lateness.
 */

export interface CallsConfig {
  urls: string[];
  pairs: number;
  probePairs: number;
}

export const MESSAGES_PER_CALL = 12;
const EVENTS = ['call_incoming', 'call_ringing', 'call_accepted', 'call_ended', 'ice_candidate'];
const WAIT_MS = 10_000;

interface Device {
  socket: Socket;
  inbox: Inbox;
  userId: string;
}
interface Pair {
  a: Device;
  b: Device;
}

const free: Pair[] = [];
const probes: Pair[] = [];
const closers: (() => void)[] = [];
const hops = new Samples();
const durations = new Samples();
const lateness = new Samples();
const candidateSent = new Map<number, number>();
let seq = 0;
let completed = 0;
let errors = 0;
let inFlight = 0;
let starved = 0;

async function device(url: string, userId: string, events: string[]): Promise<Device> {
  const { socket } = await connectSwitchboard(url, userId, 'd');
  closers.push(() => socket.close());
  return { socket, inbox: new Inbox(socket, events), userId };
}

async function request(d: Device, event: string, payload: unknown): Promise<{ callId: string; expiresAt: number }> {
  const res = await d.socket.timeout(WAIT_MS).emitWithAck(event, payload);
  if (!res?.ok) throw new Error(`${event}: ${JSON.stringify(res)}`);
  return res;
}

/** Emits `event` from `from` (ack must be ok) and times the arrival of the event `key` at `to`. */
async function hop(from: Device, event: string, payload: unknown, to: Device, key: string) {
  const t = performance.now();
  const [, got] = await Promise.all([request(from, event, payload), to.inbox.next(key, WAIT_MS)]);
  hops.push(performance.now() - t);
  return got;
}

async function candidates(from: Device, to: Device, callId: string): Promise<void> {
  const acks: Promise<unknown>[] = [];
  for (let k = 0; k < 4; k++) {
    const s = seq++;
    candidateSent.set(s, performance.now());
    acks.push(request(from, 'ice_candidate', { callId, candidate: candidateInit(s) }));
  }
  for (let k = 0; k < 4; k++) {
    const p = await to.inbox.next(`ice_candidate:${callId}`, WAIT_MS);
    const s = candidateSeq(p.candidate.candidate);
    hops.push(performance.now() - (candidateSent.get(s) ?? Number.NaN));
    candidateSent.delete(s);
  }
  await Promise.all(acks);
}

async function call(pair: Pair): Promise<void> {
  const { a, b } = pair;
  const t0 = performance.now();
  let callId: string | undefined;
  try {
    const incoming = await hop(a, 'call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP }, b, 'call_incoming:*');
    callId = incoming.callId;
    await hop(b, 'call_ringing', { callId }, a, `call_ringing:${callId}`);
    await hop(b, 'call_accept', { callId, sdp: FAKE_SDP }, a, `call_accepted:${callId}`);
    await Promise.all([candidates(a, b, callId), candidates(b, a, callId)]);
    await hop(a, 'call_end', { callId, reason: 'hangup' }, b, `call_ended:${callId}`);
    durations.push(performance.now() - t0);
    completed++;
    free.push(pair);
  } catch {
    errors++;
    // The pair is left out of the pool: its state is unknown. Best effort hang-up.
    if (callId) a.socket.emit('call_end', { callId });
  } finally {
    if (callId) {
      a.inbox.forget(callId);
      b.inbox.forget(callId);
    }
    inFlight--;
  }
}

async function probe(pair: Pair, ringTimeoutMs: number): Promise<void> {
  try {
    const res = await request(pair.a, 'call_invite', { to: pair.b.userId, media: 'audio', sdp: FAKE_SDP });
    const ended = await pair.a.inbox.next(`call_ended:${res.callId}`, ringTimeoutMs + 20_000);
    if (ended.reason === 'timeout') lateness.push(Date.now() - res.expiresAt);
    else errors++;
    pair.a.inbox.forget(res.callId);
  } catch {
    errors++;
  }
}

serveGenerator({
  async setup(config) {
    const cfg = config as CallsConfig;
    const n = cfg.urls.length;
    const make = async (prefix: string, i: number, into: Pair[]) => {
      // Caller and callee on different nodes when there are several.
      const a = await device(cfg.urls[i % n]!, `${prefix}a${i}`, EVENTS);
      const b = await device(cfg.urls[(i + 1) % n]!, `${prefix}b${i}`, prefix === 'p' ? [] : EVENTS);
      into.push({ a, b });
    };
    let failures = await forEachLimited(cfg.pairs, 50, (i) => make('c', i, free));
    failures += await forEachLimited(cfg.probePairs, 20, (i) => make('p', i, probes));
    if (failures > 0) throw new Error(`${failures} devices failed to connect`);
    return { pairs: free.length, probePairs: probes.length };
  },
  async step(rate, durationMs, extra) {
    const { ringTimeoutMs = 0 } = (extra ?? {}) as { ringTimeoutMs?: number };
    hops.reset();
    durations.reset();
    lateness.reset();
    completed = errors = starved = 0;
    const probing =
      ringTimeoutMs > 0
        ? probes.map(
            (p, i) =>
              new Promise<void>((r) => setTimeout(r, (i * durationMs) / probes.length)).then(() =>
                probe(p, ringTimeoutMs),
              ) as Promise<void>,
          )
        : [];
    const { fired, windowMs } = await pace(rate, durationMs, () => {
      const pair = free.pop();
      if (!pair) {
        starved++;
        return;
      }
      inFlight++;
      void call(pair);
    });
    await until(() => inFlight === 0, WAIT_MS * 2);
    await Promise.all(probing);
    return {
      attempted: fired,
      completed,
      errors,
      throughput: (completed / Math.max(windowMs, 1)) * 1000,
      latency: summarize(hops.view()),
      extra: {
        starved,
        freePairs: free.length,
        messagesPerSecond: ((completed * MESSAGES_PER_CALL) / Math.max(windowMs, 1)) * 1000,
        callDuration: summarize(durations.view()),
        ...(ringTimeoutMs > 0 && { ringTimeoutLateness: summarize(lateness.view()) }),
      },
    };
  },
  async stop() {
    for (const close of closers) close();
  },
});
