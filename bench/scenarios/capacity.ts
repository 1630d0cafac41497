import type { ChildProcess } from 'node:child_process';
import { ask, type StepReport } from '../lib/ipc.js';
import { forkGenerator, raiseFileLimit, terminate } from '../lib/procs.js';
import { GEN, type ScenarioResult, type StepOutcome } from '../lib/results.js';
import { type ProcUsage, UsageWindow } from '../lib/sampler.js';
import { EMPTY_SUMMARY } from '../lib/stats.js';
import type { Target } from '../lib/targets.js';

export interface CapacityOptions {
  /** Generator processes, each connecting from its own loopback address. */
  generators: number;
  /** Connections each generator adds per step. */
  stepPerGenerator: number;
  /** The climb stops here if nothing failed before. */
  max: number;
  holdMs: number;
}

/** Open files asked for each process, where the system lets a hard limit be raised. */
const FILE_LIMIT = 200_000;

/**
 * The largest number of idle devices one node holds on this machine: the
 * idle scenario's devices (authenticated, heartbeating), added a step at a
 * time until some cannot connect, or `max`. The figure is how many were
 * connected and stayed connected through the step's hold; a held device
 * that was dropped, or a refused heartbeat, ends the climb too and is
 * reported. One generator opens at most about 28,000 connections to one
 * address and port (the ephemeral ports) and `ulimit -n` files, so several
 * generators connect from 127.0.0.2, 127.0.0.3, ..., and every process's
 * open-file limit is raised where the system allows it.
 */
export async function runCapacity(target: Target, opts: CapacityOptions): Promise<ScenarioResult> {
  console.log(`  idle capacity: ${target.name}, up to ${opts.max} connections`);
  const deployment = await target.start();
  const node = deployment.procs[0]!;
  const generators: ChildProcess[] = [];
  const steps: StepOutcome[] = [];
  let held = 0;
  let limit = `reached ${opts.max}, the most asked`;
  try {
    const raised = raiseFileLimit(node.pid, FILE_LIMIT);
    for (let g = 0; g < opts.generators; g++) {
      const gen = forkGenerator('idle');
      generators.push(gen);
      raiseFileLimit(gen.pid, FILE_LIMIT);
      await ask(gen, {
        type: 'setup',
        config: {
          kind: deployment.kind,
          url: node.url,
          localAddress: `127.0.0.${g + 2}`,
          idPrefix: `cap${g}-`,
          // As many connects in flight in all as the idle scenario's one generator has.
          concurrency: Math.ceil(100 / opts.generators),
        },
      });
    }
    const pids: Record<string, number> = { [node.name]: node.pid };
    generators.forEach((g, i) => {
      if (g.pid) pids[i === 0 ? GEN : `${GEN}${i + 1}`] = g.pid;
    });
    while (held < opts.max) {
      const per = Math.min(opts.stepPerGenerator, Math.ceil((opts.max - held) / opts.generators));
      const asked = held + per * opts.generators;
      const window = new UsageWindow(pids);
      const answers = await Promise.all(
        generators.map((gen) => ask(gen, { type: 'step', rate: per, durationMs: opts.holdMs })),
      );
      const usage = generatorsAsOne(window.stop());
      const report = combine(
        answers.map((a) => {
          if (a.type !== 'result') throw new Error(`generator answered ${a.type}`);
          return a.report;
        }),
      );
      const x = report.extra as unknown as Counts;
      const kept = x.lost === 0 && x.heartbeatErrors === 0;
      if (kept) held = x.connected;
      const pass = kept && x.connected === asked;
      const why = pass
        ? undefined
        : `${x.connected} of ${asked} connected; ${x.failures} connects failed${x.firstFailure ? ` (${x.firstFailure})` : ''}, ${x.lost} dropped while held, ${x.heartbeatErrors} heartbeats refused`;
      steps.push({ rate: asked, report, usage, pass, ...(why && { why }) });
      console.log(
        `    ${x.connected} of ${asked} held, RSS ${(usage[node.name]?.rssMb ?? 0).toFixed(0)} MB, node cpu ` +
          `${(usage[node.name]?.cpuPct ?? 0).toFixed(0)}%, generators ${(usage[GEN]?.cpuPct ?? 0).toFixed(0)}%` +
          `${pass ? '' : ` (${why})`}`,
      );
      if (!pass) {
        const files = raised
          ? 'open-file limit raised'
          : `open-file limit ${process.env.BENCH_NOFILE ?? '?'} (raising it refused)`;
        limit = `${why}; ${files}`;
        break;
      }
    }
  } finally {
    for (const gen of generators) if (gen.connected) gen.send({ type: 'stop' });
    await Promise.all(generators.map((gen) => terminate(gen, 5000)));
    await deployment.stop();
  }
  const last = steps.at(-1);
  return {
    scenario: 'idle capacity',
    target: target.name,
    unit: 'connections',
    value: held,
    latency: last?.report.latency ?? EMPTY_SUMMARY,
    errors: steps.reduce((sum, s) => sum + s.report.errors, 0),
    usage: last?.usage ?? {},
    limit,
    steps,
    extra: { rssMb: last?.usage[node.name]?.rssMb, generators: opts.generators },
  };
}

/** The generators' usage added up under the one name the report reads a generator by: they share a core. */
function generatorsAsOne(usage: Record<string, ProcUsage>): Record<string, ProcUsage> {
  const out: Record<string, ProcUsage> = {};
  const gen: ProcUsage = { cpuPct: 0, cpuMs: 0, rssMb: 0, peakRssMb: 0 };
  for (const [name, u] of Object.entries(usage)) {
    if (!name.startsWith(GEN)) {
      out[name] = u;
      continue;
    }
    gen.cpuPct += u.cpuPct;
    gen.cpuMs += u.cpuMs;
    gen.rssMb += u.rssMb;
    gen.peakRssMb += u.peakRssMb;
  }
  out[GEN] = gen;
  return out;
}

interface Counts {
  connected: number;
  failures: number;
  lost: number;
  heartbeatErrors: number;
  firstFailure?: string;
}

/** One report for a step all generators took at once: counts added up, the worst connect times kept. */
function combine(reports: StepReport[]): StepReport {
  const sum = (f: (r: StepReport) => number) => reports.reduce((total, r) => total + f(r), 0);
  const worst = (f: (r: StepReport) => number) => Math.max(...reports.map(f));
  const count = (name: keyof Counts) => sum((r) => Number(r.extra?.[name] ?? 0));
  const firstFailure = reports.find((r) => r.extra?.firstFailure)?.extra?.firstFailure as string | undefined;
  const counts: Counts = {
    connected: count('connected'),
    failures: count('failures'),
    lost: count('lost'),
    heartbeatErrors: count('heartbeatErrors'),
    ...(firstFailure && { firstFailure }),
  };
  return {
    attempted: sum((r) => r.attempted),
    completed: sum((r) => r.completed),
    errors: sum((r) => r.errors),
    throughput: sum((r) => r.throughput),
    latency: {
      count: sum((r) => r.latency.count),
      p50: worst((r) => r.latency.p50),
      p95: worst((r) => r.latency.p95),
      p99: worst((r) => r.latency.p99),
      max: worst((r) => r.latency.max),
    },
    extra: { ...counts },
  };
}
