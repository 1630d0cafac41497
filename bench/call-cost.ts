import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { killAll } from './lib/procs.js';
import { serverCpuMs } from './lib/results.js';
import { withSession } from './lib/session.js';
import { switchboard } from './lib/targets.js';

/**
 * What one full call costs a cluster, counted rather than timed, so that a
 * change can be judged on this noisy machine: Redis commands (INFO
 * commandstats), each process's read and write system calls
 * (/proc/<pid>/io) and CPU time, per call.
 * `node --import tsx bench/call-cost.ts [nodes] [calls/s] [seconds]` runs the
 * bench's own call generator (invite, ringing, accept, four candidates each
 * way, hang-up; caller and callee on different nodes) for one warm-up step,
 * then counts over one step at that rate.
 */

const nodes = Number(process.argv[2] ?? 2);
const rate = Number(process.argv[3] ?? 80);
const seconds = Number(process.argv[4] ?? 5);

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

await withSession(
  switchboard(nodes, true),
  'calls',
  (d) => ({ urls: d.urls, pairs: Math.max(50, rate), probePairs: 0 }),
  async (session) => {
    // Leases, first-time costs and JIT out of the count.
    await session.step(rate, 2000);
    const redis = new Redis(session.deployment.procs.find((p) => p.name === 'redis')!.url);
    const procs = session.deployment.procs;
    const before = procs.map((p) => syscalls(p.pid));
    const statsBefore = await commandStats(redis);
    const { report, usage } = await session.step(rate, seconds * 1000);
    const after = procs.map((p) => syscalls(p.pid));
    const statsAfter = await commandStats(redis);
    const calls = report.completed;
    const perCall = (x: number) => (x / calls).toFixed(2);
    console.log(`${calls} calls (${report.errors} errors) over ${nodes} node(s) at ${rate}/s, per call:`);
    procs.forEach((p, i) => {
      const [b, a] = [before[i]!, after[i]!];
      const cpu = usage[p.name]?.cpuMs ?? 0;
      console.log(
        `  ${p.name.padEnd(6)} reads ${perCall(a.reads - b.reads)}  writes ${perCall(a.writes - b.writes)}  cpu ${perCall(cpu)} ms`,
      );
    });
    console.log(`  all servers cpu ${perCall(serverCpuMs(usage))} ms`);
    let total = 0;
    const rows: string[] = [];
    for (const [cmd, n] of statsAfter) {
      // The INFO that read the figures is not the calls'.
      const d = n - (statsBefore.get(cmd) ?? 0) - (cmd === 'info' ? 1 : 0);
      if (d > 0) {
        total += d;
        rows.push(`${cmd} ${perCall(d)}`);
      }
    }
    console.log(`  redis commands ${perCall(total)}: ${rows.join(', ')}`);
    redis.disconnect();
  },
);
killAll();
process.exit(0);
