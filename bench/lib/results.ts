import type { StepReport } from './ipc.js';
import type { ProcUsage } from './sampler.js';
import type { LatencySummary } from './stats.js';

/** What one scenario against one target produced. */

export interface StepOutcome {
  rate: number;
  report: StepReport;
  /** CPU and RSS of every server process and of the generator ('gen') over the step. */
  usage: Record<string, ProcUsage>;
  pass: boolean;
  why?: string;
}

export interface ScenarioResult {
  scenario: string;
  target: string;
  /** Unit of `value`: 'msgs/s', 'calls/s', 'KB/conn', 'ms late'. */
  unit: string;
  /** The headline figure: throughput at p99 <= 50 ms, memory per connection, lateness. */
  value: number;
  latency: LatencySummary;
  errors: number;
  usage: Record<string, ProcUsage>;
  /** Server CPU (every server process, Redis included) per operation, in µs. */
  cpuUsPerOp?: number;
  /** What stopped the climb, or what bounds the figure. */
  limit: string;
  steps?: StepOutcome[];
  extra?: Record<string, unknown>;
}

export const GEN = 'gen';

/** Sum of CPU% over the server processes (everything but the generator). */
export function serverCpuPct(usage: Record<string, ProcUsage>): number {
  return Object.entries(usage)
    .filter(([name]) => name !== GEN)
    .reduce((sum, [, u]) => sum + u.cpuPct, 0);
}

export function serverCpuMs(usage: Record<string, ProcUsage>): number {
  return Object.entries(usage)
    .filter(([name]) => name !== GEN)
    .reduce((sum, [, u]) => sum + u.cpuMs, 0);
}

/** Server CPU per operation over one step, in µs. */
export function stepCpuUsPerOp(step: StepOutcome): number {
  return (serverCpuMs(step.usage) * 1000) / Math.max(1, step.report.completed);
}

/**
 * Server CPU per operation of `a` over that of `b`, at the highest offered
 * rate both passed. Each system's best step compares different loads, at
 * which the costs every second carries (timers, heartbeats, the
 * maintenance tick) weigh differently; here the load is the same.
 */
export function cpuAtSameRate(a?: ScenarioResult, b?: ScenarioResult): { rate: number; ratio: number } | undefined {
  const passed = (r?: ScenarioResult) => new Map((r?.steps ?? []).filter((s) => s.pass).map((s) => [s.rate, s]));
  const [pa, pb] = [passed(a), passed(b)];
  const rate = Math.max(-1, ...[...pa.keys()].filter((r) => pb.has(r)));
  if (rate < 0) return undefined;
  return { rate, ratio: stepCpuUsPerOp(pa.get(rate)!) / stepCpuUsPerOp(pb.get(rate)!) };
}
