import type { ScenarioResult } from '../lib/results.js';
import { withSession } from '../lib/session.js';
import { EMPTY_SUMMARY, type LatencySummary } from '../lib/stats.js';
import { switchboard } from '../lib/targets.js';

export const RING_TIMEOUT_MS = 1000;

/**
 * Ring-timeout lateness at saturation: one node on Redis with a 1 s ring
 * timeout, call-setup load at `rate` (above its measured capacity), and
 * probe calls nobody answers; lateness = arrival of `call_ended timeout` at
 * the caller minus the call's `expiresAt`.
 */
export async function runRingTimeout(rate: number, stepMs: number, probePairs: number): Promise<ScenarioResult> {
  const target = switchboard(1, true, { RING_TIMEOUT_MS: String(RING_TIMEOUT_MS) });
  console.log(`  ring timeout: ${target.name}, ${rate} calls/s + ${probePairs} unanswered calls`);
  return withSession(
    target,
    'calls',
    (d) => ({ urls: d.urls, pairs: Math.max(100, Math.ceil(rate / 2)), probePairs }),
    async (session) => {
      const { report, usage } = await session.step(rate, stepMs, { ringTimeoutMs: RING_TIMEOUT_MS });
      const late = (report.extra?.ringTimeoutLateness as LatencySummary | undefined) ?? EMPTY_SUMMARY;
      console.log(
        `    load ${report.throughput.toFixed(0)} calls/s (hop p99 ${report.latency.p99.toFixed(0)} ms); lateness p50 ${late.p50} p99 ${late.p99} max ${late.max} ms over ${late.count} probes`,
      );
      return {
        scenario: 'ring-timeout',
        target: `${target.name}, RING_TIMEOUT_MS=${RING_TIMEOUT_MS}`,
        unit: 'ms late (max)',
        value: late.max,
        latency: late,
        errors: report.errors,
        usage,
        limit: `under ${report.throughput.toFixed(0)} calls/s offered ${rate}/s; maintenance tick is 250 ms`,
        extra: { load: report },
      };
    },
  );
}
