import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RelayConfig } from './generators/relay.js';
import { killAll, ROOT, type ServerProcess } from './lib/procs.js';
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
 * `--pairs=N` streams the relay modes over N calls instead of 1,000.
 * `--engine=ws` runs Switchboard on `ws` instead of uWebSockets.js.
 * `--callgrind` runs every Node server under valgrind's callgrind and
 * also reports the instructions each spent per operation in the counted
 * step, less what it spent idle for as long. The count does not move with
 * what else the machine is doing, so it shows where work goes and
 * compares systems; but it is not time (kernel work, such as the socket
 * writes, is not in it, and a memory copy is cheap in instructions), so a
 * change is judged on CPU time still. A run whose count is 5-15 % above
 * its neighbours' had V8 compiling in the counted step: run it again.
 * Valgrind runs a node 50-100 times slower, so count at a few hundred
 * operations a second, and with few pairs (`--pairs=12` at 150/s sends
 * each socket as many messages a second as 1,000 pairs at 12,000/s).
 * `--perf-map` has V8 write /tmp/perf-<pid>.map, which
 * bench/callgrind-top.ts reads to name JavaScript functions in a dump;
 * writing it costs instructions at odd times (an idle window took 129
 * million instead of 1-12), so take counts from runs without it.
 * `--cpu-prof` also writes a V8 CPU profile of every server process to
 * `bench/results/profiles/` (see bench/profile-top.ts).
 */

const args = process.argv.slice(2);
engineFromArgs(args);
// V8 also writes a log with the map: to /tmp beside it, not isolate-*.log in the working directory.
if (args.includes('--perf-map')) {
  runOptions.nodeFlags.push('--perf-basic-prof', '--logfile=/tmp/v8-%p.log', '--no-logfile-per-isolate');
}
if (args.includes('--cpu-prof')) {
  runOptions.nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${ROOT}bench/results/profiles`);
}
const CALLGRIND_DIR = `${ROOT}bench/results/callgrind`;
const callgrind = args.includes('--callgrind');
if (callgrind) {
  rmSync(CALLGRIND_DIR, { recursive: true, force: true });
  mkdirSync(CALLGRIND_DIR, { recursive: true });
  // Instrumented only from the warm-up on: a start under instrumentation takes minutes.
  runOptions.wrap = (name) => [
    'valgrind',
    '--tool=callgrind',
    '--smc-check=all',
    '--instr-atstart=no',
    `--callgrind-out-file=${CALLGRIND_DIR}/${name}.out`,
  ];
}

/**
 * Sends a command to a process running under callgrind. Valgrind names its
 * control pipes after the process's USER and HOST, and Switchboard's HOST is
 * its bind address: the controller must see the same two.
 */
function callgrindControl(proc: ServerProcess, ...command: string[]): void {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const name of ['USER', 'HOST']) {
    const value = proc.env[name];
    if (value !== undefined) env[name] = value;
  }
  execFileSync('callgrind_control', [...command, String(proc.pid)], { stdio: 'ignore', env });
}

/** Instructions counted since the last zeroing: dumps the counters and reads the dump's summary. */
function instructionsSinceZero(proc: ServerProcess): number {
  const { name } = proc;
  callgrindControl(proc, '--dump=counted');
  const dumps = readdirSync(CALLGRIND_DIR).filter((f) => f.startsWith(`${name}.out.`));
  const latest = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
  if (!latest) throw new Error(`callgrind wrote no dump for ${name}`);
  const summary = /^summary: (\d+)/m.exec(readFileSync(`${CALLGRIND_DIR}/${latest}`, 'utf8'));
  if (!summary) throw new Error(`no summary in ${latest}`);
  return Number(summary[1]);
}

/** `--pairs=N`: how many calls the relay modes stream over (1,000 unless told). */
const pairs = Number(args.find((a) => a.startsWith('--pairs='))?.slice(8) ?? 1000);
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
  const nodes = session.deployment.procs.filter((p) => p.name !== 'redis');
  if (callgrind) for (const p of nodes) callgrindControl(p, '--instr=on');
  // At the few hundred a second valgrind allows, V8 is still compiling the
  // hot path after two seconds, and its compiler would dominate the count.
  await session.step(warmUp.rate, callgrind ? Math.max(warmUp.ms, 60_000) : warmUp.ms);
  // What the nodes spend idle (heartbeats, pings, timers) over as long, to take off the counted step's count.
  const idle = new Map<string, number>();
  if (callgrind) {
    for (const p of nodes) callgrindControl(p, '--zero');
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    for (const p of nodes) idle.set(p.name, instructionsSinceZero(p));
    for (const p of nodes) callgrindControl(p, '--zero');
  }
  const redisUrl = session.deployment.procs.find((p) => p.name === 'redis')?.url;
  const redis = redisUrl ? new Redis(redisUrl) : undefined;
  const procs = session.deployment.procs;
  const before = procs.map((p) => syscalls(p.pid));
  const statsBefore = redis ? await commandStats(redis) : new Map<string, number>();
  const { report, usage } = await session.step(rate, seconds * 1000);
  const after = procs.map((p) => syscalls(p.pid));
  const instructions = new Map(callgrind ? nodes.map((p) => [p.name, instructionsSinceZero(p)]) : []);
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
    const ir = instructions.get(p.name);
    if (ir !== undefined) {
      const idleIr = idle.get(p.name) ?? 0;
      console.log(
        `  ${p.name.padEnd(6)} instructions ${perOp(ir - idleIr)} (${perOp(ir)} before taking off ${idleIr} spent idle as long)`,
      );
    }
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
    (d): RelayConfig => ({ kind: d.kind, urls: d.urls, pairs, cross: true, pairNodes: 2, acks }),
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
    (d): RelayConfig => ({ kind: d.kind, urls: d.urls, pairs, cross: false, pairNodes: 1, acks: false }),
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
