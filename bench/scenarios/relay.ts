import type { RelayConfig } from '../generators/relay.js';
import type { Ladder } from '../lib/ladder.js';
import { clusterMessages } from '../lib/metrics.js';
import type { ScenarioResult } from '../lib/results.js';
import { bareSocketIo, peerjs, selected, switchboard, type Target } from '../lib/targets.js';
import { runLadder } from './ladder-scenario.js';

/**
 * Signaling relay: 1 KB ICE candidates from senders to receivers of
 * established pairs, Switchboard (one node; cross-node on Redis) and the
 * baselines (PeerJS server, bare Socket.IO, bare Socket.IO on the sharded
 * adapter over two processes).
 */

export interface RelayOptions {
  pairs: number;
  stepMs: number;
  ladder: Ladder;
  /** Also run three Switchboard nodes with the pairs on two of them (the third must receive nothing). */
  threeNodes: boolean;
}

interface RelayCase {
  target: Target;
  cross: boolean;
  pairNodes: number;
}

export function relayCases(opts: RelayOptions): RelayCase[] {
  const cases: RelayCase[] = [
    { target: switchboard(1, false), cross: false, pairNodes: 1 },
    { target: peerjs(), cross: false, pairNodes: 1 },
    { target: bareSocketIo(1), cross: false, pairNodes: 1 },
    { target: switchboard(2, true), cross: true, pairNodes: 2 },
    { target: bareSocketIo(2), cross: true, pairNodes: 2 },
  ];
  if (opts.threeNodes) cases.push({ target: switchboard(3, true), cross: true, pairNodes: 2 });
  return cases.filter((c) => selected(c.target));
}

export async function runRelay(opts: RelayOptions): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const c of relayCases(opts)) {
    out.push(
      await runLadder({
        scenario: c.cross ? 'relay cross-node' : 'relay',
        unit: 'msgs/s',
        target: c.target,
        generator: 'relay',
        config: (d): RelayConfig => ({
          kind: d.kind,
          urls: d.urls,
          pairs: opts.pairs,
          cross: c.cross,
          pairNodes: c.pairNodes,
        }),
        ladder: opts.ladder,
        stepMs: opts.stepMs,
        ...(c.target.kind === 'switchboard' &&
          c.target.redis && { observe: (s) => clusterMessages(s.deployment.urls) }),
      }),
    );
  }
  return out;
}
