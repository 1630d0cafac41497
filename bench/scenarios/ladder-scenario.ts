import { bottleneck, climb, type Ladder } from '../lib/ladder.js';
import { type ScenarioResult, serverCpuMs } from '../lib/results.js';
import { type Session, withSession } from '../lib/session.js';
import { EMPTY_SUMMARY } from '../lib/stats.js';
import type { Deployment, Target } from '../lib/targets.js';

/** A rising-rate scenario: climb the ladder against one target and keep the best step with p99 <= 50 ms. */

export interface LadderScenario {
  scenario: string;
  unit: string;
  target: Target;
  generator: string;
  config: (d: Deployment) => unknown;
  ladder: Ladder;
  stepMs: number;
  /** Optional figures read before and after the climb (e.g. cluster message counters). */
  observe?: (s: Session) => Promise<number[]>;
}

export async function runLadder(spec: LadderScenario): Promise<ScenarioResult> {
  console.log(`  ${spec.scenario}: ${spec.target.name}`);
  return withSession(spec.target, spec.generator, spec.config, async (session) => {
    // Warm-up (JIT, connection pools), not counted.
    await session.step(spec.ladder.start, Math.min(1000, spec.stepMs));
    const before = await spec.observe?.(session);
    const { steps, best, firstFail } = await climb(spec.ladder, (rate) => session.step(rate, spec.stepMs));
    const after = await spec.observe?.(session);
    const shown = best ?? steps[0];
    const extra: Record<string, unknown> = { ...session.setupInfo };
    if (before && after) {
      const deltas = after.map((v, i) => v - (before[i] ?? 0));
      const total = deltas.reduce((a, b) => a + b, 0);
      extra.clusterMessages = deltas;
      extra.clusterShare = deltas.map((d) => (total > 0 ? d / total : 0));
    }
    return {
      scenario: spec.scenario,
      target: spec.target.name,
      unit: spec.unit,
      value: best ? best.report.throughput : 0,
      latency: shown?.report.latency ?? EMPTY_SUMMARY,
      errors: shown?.report.errors ?? 0,
      usage: shown?.usage ?? {},
      cpuUsPerOp: best ? (serverCpuMs(best.usage) * 1000) / Math.max(1, best.report.completed) : undefined,
      limit: firstFail ? bottleneck(firstFail.usage, firstFail.why ?? '') : 'top of the ladder reached',
      steps,
      extra: { ...extra, ...(best?.report.extra && { bestStep: best.report.extra }) },
    };
  });
}
