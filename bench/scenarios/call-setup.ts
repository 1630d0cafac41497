import type { CallsConfig } from '../generators/calls.js';
import type { Ladder } from '../lib/ladder.js';
import { clusterMessages } from '../lib/metrics.js';
import type { ScenarioResult } from '../lib/results.js';
import { selected, switchboard } from '../lib/targets.js';
import { runLadder } from './ladder-scenario.js';

/**
 * Call setup at rising rates: 1 node memory store, 1 node Redis, 2 and 3
 * nodes Redis with caller and callee on different nodes. The 3-node run
 * also reads each node's cluster message counter.
 */

export interface CallSetupOptions {
  pairs: number;
  stepMs: number;
  ladder: Ladder;
  /** Also three nodes (the full run); the quick run stops at two to stay short. */
  threeNodes: boolean;
}

export async function runCallSetup(opts: CallSetupOptions): Promise<ScenarioResult[]> {
  const targets = [switchboard(1, false), switchboard(1, true), switchboard(2, true)];
  if (opts.threeNodes) targets.push(switchboard(3, true));
  const out: ScenarioResult[] = [];
  for (const target of targets.filter(selected)) {
    out.push(
      await runLadder({
        scenario: 'call setup',
        unit: 'calls/s',
        target,
        generator: 'calls',
        config: (d): CallsConfig => ({ urls: d.urls, pairs: opts.pairs, probePairs: 0 }),
        ladder: opts.ladder,
        stepMs: opts.stepMs,
        ...(target.redis && { observe: (s) => clusterMessages(s.deployment.urls) }),
      }),
    );
  }
  return out;
}
