import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { connectSwitchboard, forEachLimited } from './lib/clients.js';
import { Inbox } from './lib/inbox.js';
import { candidateInit, FAKE_SDP } from './lib/payloads.js';
import { killAll } from './lib/procs.js';
import { switchboard } from './lib/targets.js';
import type { WireSocket } from './lib/wire-socket.js';

/**
 * What one full call costs a cluster, counted rather than timed, so that a
 * change can be judged on this noisy machine: Redis commands (INFO
 * commandstats), each process's read and write system calls (/proc/<pid>/io)
 * and CPU time, per call. `node --import tsx bench/call-cost.ts [nodes] [calls]`
 * runs the bench's call (invite, ringing, accept, four candidates each way,
 * hang-up) with caller and callee on different nodes, 20 at a time.
 */

const nodes = Number(process.argv[2] ?? 2);
const calls = Number(process.argv[3] ?? 400);
const concurrency = 20;
const EVENTS = ['call_incoming', 'call_ringing', 'call_accepted', 'call_ended', 'ice_candidate'];

interface Device {
  socket: WireSocket;
  inbox: Inbox;
  userId: string;
}

function procCounters(pid: number) {
  const io = Object.fromEntries(
    readFileSync(`/proc/${pid}/io`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(': ') as [string, string]),
  );
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { syscr: Number(io.syscr), syscw: Number(io.syscw), cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

async function request(d: Device, event: string, payload: unknown) {
  const res = await d.socket.timeout(10_000).emitWithAck(event, payload);
  if (!res?.ok) throw new Error(`${event}: ${JSON.stringify(res)}`);
  return res as { callId: string };
}

async function oneCall(a: Device, b: Device): Promise<void> {
  const [{ callId }] = await Promise.all([
    request(a, 'call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP }),
    b.inbox.next('call_incoming:*', 10_000),
  ]);
  await Promise.all([request(b, 'call_ringing', { callId }), a.inbox.next(`call_ringing:${callId}`, 10_000)]);
  await Promise.all([
    request(b, 'call_accept', { callId, sdp: FAKE_SDP }),
    a.inbox.next(`call_accepted:${callId}`, 10_000),
  ]);
  const side = async (from: Device, to: Device) => {
    const acks = [0, 1, 2, 3].map((k) => request(from, 'ice_candidate', { callId, candidate: candidateInit(k) }));
    for (let k = 0; k < 4; k++) await to.inbox.next(`ice_candidate:${callId}`, 10_000);
    await Promise.all(acks);
  };
  await Promise.all([side(a, b), side(b, a)]);
  await Promise.all([request(a, 'call_end', { callId }), b.inbox.next(`call_ended:${callId}`, 10_000)]);
  a.inbox.forget(callId);
  b.inbox.forget(callId);
}

const deployment = await switchboard(nodes, true).start();
try {
  const redisProc = deployment.procs.find((p) => p.name === 'redis')!;
  const redis = new Redis(redisProc.url);
  const device = async (url: string, userId: string): Promise<Device> => {
    const { socket } = await connectSwitchboard(url, userId, 'd');
    return { socket, inbox: new Inbox(socket, EVENTS), userId };
  };
  const pairs: [Device, Device][] = [];
  for (let i = 0; i < concurrency; i++) {
    const n = deployment.urls.length;
    pairs.push([
      await device(deployment.urls[i % n]!, `ca${i}`),
      await device(deployment.urls[(i + 1) % n]!, `cb${i}`),
    ]);
  }
  // One call per pair first, so that leases and first-time costs are out of the count.
  await Promise.all(pairs.map(([a, b]) => oneCall(a, b)));
  const before = deployment.procs.map((p) => procCounters(p.pid));
  const statsBefore = await commandStats(redis);
  let next = 0;
  await forEachLimited(concurrency, concurrency, async (w) => {
    const [a, b] = pairs[w]!;
    while (next < calls) {
      next++;
      await oneCall(a, b);
    }
  });
  const after = deployment.procs.map((p) => procCounters(p.pid));
  const statsAfter = await commandStats(redis);
  const perCall = (x: number) => (x / calls).toFixed(2);
  console.log(`${calls} calls over ${nodes} node(s), per call:`);
  deployment.procs.forEach((p, i) => {
    const [b, a] = [before[i]!, after[i]!];
    console.log(
      `  ${p.name.padEnd(6)} reads ${perCall(a.syscr - b.syscr)}  writes ${perCall(a.syscw - b.syscw)}  cpu ${perCall((a.cpuTicks - b.cpuTicks) * 10)} ms`,
    );
  });
  let total = 0;
  const rows: string[] = [];
  for (const [cmd, n] of statsAfter) {
    const d = n - (statsBefore.get(cmd) ?? 0) - (cmd === 'info' ? 1 : 0);
    if (d > 0) {
      total += d;
      rows.push(`${cmd} ${perCall(d)}`);
    }
  }
  console.log(`  redis commands ${perCall(total)}: ${rows.join(', ')}`);
  redis.disconnect();
} finally {
  await deployment.stop();
  killAll();
}
process.exit(0);
