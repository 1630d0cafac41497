import type { StepReport } from './ipc.js';
import { GEN, type StepOutcome, serverCpuPct } from './results.js';
import type { ProcUsage } from './sampler.js';

/** Rising-rate steps: double until a step fails, then bisect (geometrically) between the last pass and the fail. */

export const P99_LIMIT_MS = 50;

export function judge(rate: number, report: StepReport): { pass: boolean; why?: string } {
  if (report.errors > 0) return { pass: false, why: `${report.errors} errors` };
  if (report.latency.p99 > P99_LIMIT_MS) return { pass: false, why: `p99 ${report.latency.p99.toFixed(1)} ms` };
  if (report.throughput < rate * 0.9) return { pass: false, why: `only ${Math.round(report.throughput)}/s` };
  return { pass: true };
}

/** Names what most likely bounded a failing step: the generator's core, the server core, or latency alone. */
export function bottleneck(usage: Record<string, ProcUsage>, why: string): string {
  const gen = usage[GEN]?.cpuPct ?? 0;
  const server = serverCpuPct(usage);
  const top = Object.entries(usage)
    .filter(([n]) => n !== GEN)
    .sort((a, b) => b[1].cpuPct - a[1].cpuPct)[0];
  if (gen >= 90 && gen >= server) return `${why}; load generator core ${gen.toFixed(0)}%`;
  if (server >= 85)
    return `${why}; server core ${server.toFixed(0)}% (most: ${top?.[0]} ${top?.[1].cpuPct.toFixed(0)}%)`;
  return `${why}; server core ${server.toFixed(0)}%, generator ${gen.toFixed(0)}%`;
}

export interface Ladder {
  start: number;
  max: number;
  /** Bisection steps after the first failure. */
  refine: number;
}

export async function climb(
  ladder: Ladder,
  step: (rate: number) => Promise<{ report: StepReport; usage: Record<string, ProcUsage> }>,
): Promise<{ steps: StepOutcome[]; best?: StepOutcome; firstFail?: StepOutcome }> {
  const steps: StepOutcome[] = [];
  let best: StepOutcome | undefined;
  let firstFail: StepOutcome | undefined;
  const run = async (rate: number) => {
    const { report, usage } = await step(rate);
    const outcome: StepOutcome = { rate, report, usage, ...judge(rate, report) };
    steps.push(outcome);
    console.log(
      `    ${String(rate).padStart(6)}/s -> ${report.throughput.toFixed(0).padStart(6)}/s p99 ${report.latency.p99.toFixed(1).padStart(7)} ms, errors ${report.errors}, server cpu ${serverCpuPct(usage).toFixed(0)}%, gen ${usage[GEN]?.cpuPct.toFixed(0)}% ${outcome.pass ? 'ok' : `FAIL (${outcome.why})`}`,
    );
    return outcome;
  };
  // A failing step is run once more before it counts (the machine is shared; one stall should not end a climb).
  let retries = 1;
  let rate = ladder.start;
  while (rate <= ladder.max) {
    let o = await run(rate);
    if (!o.pass && retries > 0) {
      retries--;
      o = await run(rate);
    }
    if (!o.pass) {
      firstFail = o;
      break;
    }
    best = o;
    rate *= 2;
  }
  // Nothing passed at the start rate: step down twice.
  for (let down = ladder.start / 2; !best && down >= ladder.start / 4; down /= 2) {
    const o = await run(Math.round(down));
    if (o.pass) best = o;
  }
  if (firstFail) {
    let lo = best?.rate ?? 0;
    let hi = firstFail.rate;
    for (let i = 0; i < ladder.refine && lo > 0; i++) {
      const mid = Math.round(Math.sqrt(lo * hi));
      if (mid <= lo || mid >= hi) break;
      const o = await run(mid);
      if (o.pass) {
        best = o;
        lo = mid;
      } else hi = mid;
    }
  }
  return { steps, best, firstFail };
}
