import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RelayConfig } from './generators/relay.js';
import { killAll, ROOT } from './lib/procs.js';
import { serverCpuMs } from './lib/results.js';
import { type Session, withSession } from './lib/session.js';
import { bareSocketIo, engineFromArgs, peerjs, runOptions, switchboard } from './lib/targets.js';

/**
 * What one operation costs a cluster, counted rather than timed, so that a
 * change can be judged on this noisy machine: Redis commands (INFO
 * commandstats), each process's read and write system calls
 * (/proc/<pid>/io) and CPU time, per operation. One warm-up step, then
 * one counted step at a fixed rate, driven by the bench's own generators:
 *
 * - `node --import tsx bench/cost.ts calls [nodes] [calls/s] [seconds]`:
 *   full calls (invite, ringing, accept, four candidates each way,
 *   hang-up), caller and callee on different Switchboard nodes;
 * - `node --import tsx bench/cost.ts relay [switchboard|bare] [msgs/s] [seconds] [acks|no-acks]`:
 *   1 KB candidates across two nodes on Redis, 1,000 pairs, Switchboard or
 *   the bare Socket.IO relay on the same sharded adapter;
 * - `node --import tsx bench/cost.ts relay1 [switchboard|bare|bare-uws|peerjs] [msgs/s] [seconds]`:
 *   the same on one node (memory store), without acks, as PeerJS clients
 *   send; `bare-uws` is the bare relay on uWebSockets.js, Switchboard's
 *   engine in the bench;
 * - `node --import tsx bench/cost.ts idle [devices] [seconds]`: idle
 *   devices (heartbeats, Engine.IO pings) on one Switchboard node on Redis,
 *   per device-minute; count over at least one ping interval (15 s).
 *
 * `--engine=ws` runs Switchboard on `ws` instead of uWebSockets.js.
 * `--cpu-prof` also writes a V8 CPU profile of every server process to
 * `bench/results/profiles/` (see bench/profile-top.ts).
 */

const args = process.argv.slice(2);
engineFromArgs(args);
if (args.includes('--cpu-prof')) {
  runOptions.nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${ROOT}bench/results/profiles`);
}
const [mode = 'calls', ...rest] = args.filter((a) => !a.startsWith('--'));

function syscalls(pid: number) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1]);
  return { reads: field('syscr'), writes: field('syscw') };
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/**
 * One warm-up step (leases, first-time costs and JIT out of the count), then
 * one counted step; `per` turns its report into the number of units.
 */
async function count(
  session: Session,
  unit: string,
  rate: number,
  seconds: number,
  warmUp = { rate, ms: 2000 },
  per = (completed: number) => completed,
): Promise<void> {
  await session.step(warmUp.rate, warmUp.ms);
  const redisUrl = session.deployment.procs.find((p) => p.name === 'redis')?.url;
  const redis = redisUrl ? new Redis(redisUrl) : undefined;
  const procs = session.deployment.procs;
  const before = procs.map((p) => syscalls(p.pid));
  const statsBefore = redis ? await commandStats(redis) : new Map<string, number>();
  const { report, usage } = await session.step(rate, seconds * 1000);
  const after = procs.map((p) => syscalls(p.pid));
  const statsAfter = redis ? await commandStats(redis) : new Map<string, number>();
  const ops = per(report.completed);
  const perOp = (x: number) => (x / ops).toFixed(2);
  console.log(`${ops} ${unit}s (${report.errors} errors) at ${rate}/s, per ${unit}:`);
  procs.forEach((p, i) => {
    const [b, a] = [before[i]!, after[i]!];
    const cpu = usage[p.name]?.cpuMs ?? 0;
    console.log(
      `  ${p.name.padEnd(6)} reads ${perOp(a.reads - b.reads)}  writes ${perOp(a.writes - b.writes)}  cpu ${perOp(cpu * 1000)} µs`,
    );
  });
  console.log(`  all servers cpu ${perOp(serverCpuMs(usage) * 1000)} µs`);
  let total = 0;
  const rows: string[] = [];
  for (const [cmd, n] of statsAfter) {
    // The INFO that read the figures is not the operations'.
    const d = n - (statsBefore.get(cmd) ?? 0) - (cmd === 'info' ? 1 : 0);
    if (d > 0) {
      total += d;
      rows.push(`${cmd} ${perOp(d)}`);
    }
  }
  console.log(`  redis commands ${perOp(total)}: ${rows.join(', ')}`);
  redis?.disconnect();
}

if (mode === 'calls') {
  const nodes = Number(rest[0] ?? 2);
  const rate = Number(rest[1] ?? 80);
  const seconds = Number(rest[2] ?? 5);
  await withSession(
    switchboard(nodes, true),
    'calls',
    (d) => ({ urls: d.urls, pairs: Math.max(50, rate), probePairs: 0 }),
    (session) => count(session, 'call', rate, seconds),
  );
} else if (mode === 'relay') {
  const target = rest[0] === 'bare' ? bareSocketIo(2) : switchboard(2, true);
  const rate = Number(rest[1] ?? 1000);
  const seconds = Number(rest[2] ?? 5);
  const acks = rest[3] !== 'no-acks';
  await withSession(
    target,
    'relay',
    (d): RelayConfig => ({ kind: d.kind, urls: d.urls, pairs: 1000, cross: true, pairNodes: 2, acks }),
    (session) => count(session, 'message', rate, seconds),
  );
} else if (mode === 'relay1') {
  const targets = {
    switchboard: () => switchboard(1, false),
    bare: () => bareSocketIo(1),
    'bare-uws': () => bareSocketIo(1, 'bench/baselines/sio-relay-uws.ts'),
    peerjs,
  };
  const target = (targets[rest[0] as keyof typeof targets] ?? targets.switchboard)();
  const rate = Number(rest[1] ?? 1000);
  const seconds = Number(rest[2] ?? 5);
  await withSession(
    target,
    'relay',
    (d): RelayConfig => ({ kind: d.kind, urls: d.urls, pairs: 1000, cross: false, pairNodes: 1, acks: false }),
    (session) => count(session, 'message', rate, seconds),
  );
} else if (mode === 'idle') {
  const devices = Number(rest[0] ?? 5000);
  const seconds = Number(rest[1] ?? 16);
  await withSession(
    switchboard(1, true),
    'idle',
    (d) => ({ kind: d.kind, url: d.urls[0] }),
    // The warm-up connects them all; the counted step only holds them.
    (session) =>
      count(session, 'device-minute', 0, seconds, { rate: devices, ms: 3000 }, () => (devices * seconds) / 60),
  );
} else {
  throw new Error(`unknown mode ${mode}: calls, relay or idle`);
}
killAll();
process.exit(0);
