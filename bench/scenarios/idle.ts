import type { ScenarioResult } from '../lib/results.js';
import { withSession } from '../lib/session.js';
import type { Target } from '../lib/targets.js';

/**
 * Idle capacity: the node's RSS with 0, N/2 and N idle authenticated clients
 * (heartbeating), held a few seconds each. Per-connection memory is the RSS
 * growth over N; the marginal figure (N/2 -> N) leaves out one-time growth.
 */
export async function runIdle(target: Target, n: number, holdMs: number): Promise<ScenarioResult> {
  console.log(`  idle: ${target.name}, ${n} connections`);
  return withSession(
    target,
    'idle',
    (d) => ({ kind: d.kind, url: d.urls[0] }),
    async (session) => {
      const node = session.deployment.procs[0]!.name;
      const empty = await session.step(0, 1500);
      const half = await session.step(Math.floor(n / 2), holdMs);
      const full = await session.step(n - Math.floor(n / 2), holdMs);
      const rss = (u: typeof empty) => u.usage[node]?.rssMb ?? 0;
      const connected = Number(full.report.extra?.connected ?? 0);
      const perConnKb = ((rss(full) - rss(empty)) * 1024) / Math.max(1, connected);
      const marginalKb =
        ((rss(full) - rss(half)) * 1024) / Math.max(1, connected - Number(half.report.extra?.connected));
      const errors = half.report.errors + full.report.errors;
      console.log(
        `    ${connected} connected, RSS ${rss(empty).toFixed(0)} -> ${rss(full).toFixed(0)} MB: ${perConnKb.toFixed(1)} KB/conn (marginal ${marginalKb.toFixed(1)}), errors ${errors}`,
      );
      return {
        scenario: 'idle',
        target: target.name,
        unit: 'KB/conn',
        value: perConnKb,
        latency: full.report.latency,
        errors,
        usage: full.usage,
        limit: `${connected} held (asked ${n}); ulimit -n ${process.env.BENCH_NOFILE ?? '?'} per process bounds N`,
        extra: {
          connected,
          marginalKbPerConn: marginalKb,
          rssMb: { empty: rss(empty), half: rss(half), full: rss(full) },
          connectRatePerS: full.report.throughput,
        },
      };
    },
  );
}
