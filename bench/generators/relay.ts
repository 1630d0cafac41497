import type WebSocket from 'ws';
import { connectPeer, connectSio, connectSwitchboard, forEachLimited } from '../lib/clients.js';
import { serveGenerator } from '../lib/ipc.js';
import { pace, until } from '../lib/pacer.js';
import { candidateInit, candidateSeq, FAKE_SDP } from '../lib/payloads.js';
import { Samples, summarize } from '../lib/stats.js';
import type { ClientKind } from '../lib/targets.js';
import type { WireSocket as Socket } from '../lib/wire-socket.js';

/**
 * Relay load generator: `pairs` sender/receiver pairs; each step sends 1 KB
 * ICE candidates from senders to receivers at a fixed rate (round robin over
 * the pairs) and times each from send to arrival at the receiver.
 */

export interface RelayConfig {
  kind: ClientKind;
  urls: string[];
  pairs: number;
  /** Receiver on the next node than its sender (cross-node). */
  cross: boolean;
  /** How many of the urls host pairs (the rest host none, to show they receive nothing). */
  pairNodes: number;
  /**
   * Ask for an ack per message (as the SDK does). Off, messages go out as
   * PeerJS clients send theirs, one frame each way; a refused one then comes
   * back as `request_error` and counts as an error.
   */
  acks: boolean;
}

type Send = (seq: number) => void;

const sends: Send[] = [];
const closers: (() => void)[] = [];
const latencies = new Samples();
let sendTimes = new Float64Array(0);
let base = 0;
let fired = 0;
let delivered = 0;
let acked = 0;
let nacked = 0;

function deliver(seq: number): void {
  const i = seq - base;
  if (i < 0 || i >= fired) return;
  latencies.push(performance.now() - sendTimes[i]!);
  delivered++;
}

function onAck(res: { ok: boolean }): void {
  if (res?.ok) acked++;
  else nacked++;
}

async function setupPair(cfg: RelayConfig, i: number): Promise<void> {
  const m = cfg.pairNodes;
  const urlA = cfg.urls[i % m]!;
  const urlB = cfg.urls[(i + (cfg.cross ? 1 : 0)) % m]!;
  if (cfg.kind === 'switchboard') {
    const [a, b] = await Promise.all([
      connectSwitchboard(urlA, `ra${i}`, 'a'),
      connectSwitchboard(urlB, `rb${i}`, 'b'),
    ]);
    closers.push(
      () => a.socket.close(),
      () => b.socket.close(),
    );
    const incoming = new Promise<{ callId: string }>((r) => b.socket.once('call_incoming', r));
    const accepted = new Promise((r) => a.socket.once('call_accepted', r));
    const inv = await a.socket
      .timeout(20_000)
      .emitWithAck('call_invite', { to: `rb${i}`, media: 'audio', sdp: FAKE_SDP });
    if (!inv.ok) throw new Error(`invite: ${JSON.stringify(inv)}`);
    const { callId } = await incoming;
    const acc = await b.socket.timeout(20_000).emitWithAck('call_accept', { callId, sdp: FAKE_SDP });
    if (!acc.ok) throw new Error(`accept: ${JSON.stringify(acc)}`);
    await accepted;
    b.socket.on('ice_candidate', (p: { candidate: { candidate: string } }) =>
      deliver(candidateSeq(p.candidate.candidate)),
    );
    const s: Socket = a.socket;
    s.on('request_error', () => nacked++);
    sends.push(
      cfg.acks
        ? (seq) => s.emit('ice_candidate', { callId, candidate: candidateInit(seq) }, onAck)
        : (seq) => s.emit('ice_candidate', { callId, candidate: candidateInit(seq) }),
    );
  } else if (cfg.kind === 'sio') {
    const [a, b] = await Promise.all([connectSio(urlA, `a${i}`), connectSio(urlB, `b${i}`)]);
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    b.on('relay', (m: { payload: { candidate: { candidate: string } } }) =>
      deliver(candidateSeq(m.payload.candidate.candidate)),
    );
    const to = `b${i}`;
    sends.push(
      cfg.acks
        ? (seq) => a.emit('relay', { to, type: 'CANDIDATE', payload: { candidate: candidateInit(seq) } }, onAck)
        : (seq) => a.emit('relay', { to, type: 'CANDIDATE', payload: { candidate: candidateInit(seq) } }),
    );
  } else {
    const [a, b] = await Promise.all([connectPeer(urlA, `a${i}`), connectPeer(urlB, `b${i}`)]);
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    b.on('message', (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as { type: string; payload: { candidate: { candidate: string } } };
      if (m.type === 'CANDIDATE') deliver(candidateSeq(m.payload.candidate.candidate));
    });
    const dst = `b${i}`;
    sends.push((seq) => a.send(JSON.stringify({ type: 'CANDIDATE', dst, payload: { candidate: candidateInit(seq) } })));
  }
}

let acks = true;

serveGenerator({
  async setup(config) {
    const cfg = config as RelayConfig;
    acks = cfg.acks && cfg.kind !== 'peerjs';
    const failures = await forEachLimited(cfg.pairs, 50, (i) => setupPair(cfg, i));
    if (failures > 0) throw new Error(`${failures} of ${cfg.pairs} pairs failed to set up`);
    return { pairs: sends.length };
  },
  async step(rate, durationMs) {
    latencies.reset();
    base += fired + 1_000_000;
    fired = delivered = acked = nacked = 0;
    const expected = Math.floor((rate * durationMs) / 1000);
    if (sendTimes.length < expected) sendTimes = new Float64Array(expected);
    const t0 = performance.now();
    let lastDelivery = t0;
    const { windowMs } = await pace(rate, durationMs, () => {
      const seq = base + fired;
      sendTimes[fired] = performance.now();
      fired++;
      sends[seq % sends.length]!(seq);
    });
    await until(() => delivered >= fired && (!acks || acked + nacked >= fired), 3000);
    lastDelivery = performance.now();
    const errors = nacked + (fired - delivered) + (acks ? Math.max(0, fired - acked - nacked) : 0);
    return {
      attempted: expected,
      completed: delivered,
      errors,
      throughput: (delivered / Math.max(windowMs, 1)) * 1000,
      latency: summarize(latencies.view()),
      extra: { sent: fired, drainMs: Math.round(lastDelivery - t0 - windowMs) },
    };
  },
  async stop() {
    for (const close of closers) close();
  },
});
