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
  /**
   * The full set: also the cross-node relay without acks, and three
   * Switchboard nodes with the pairs on two of them (the third must receive
   * nothing). Left out of the quick run to keep it short.
   */
  full: boolean;
}

interface RelayCase {
  target: Target;
  cross: boolean;
  pairNodes: number;
  acks: boolean;
}

/** Scenario names: acked relay is what the SDK does; unacked is one frame each way, as PeerJS clients send. */
export const RELAY = 'relay';
export const RELAY_UNACKED = 'relay, no acks';
export const RELAY_CROSS = 'relay cross-node';
export const RELAY_CROSS_UNACKED = 'relay cross-node, no acks';

export function relayCases(opts: RelayOptions): RelayCase[] {
  const one = { cross: false, pairNodes: 1 };
  const two = { cross: true, pairNodes: 2 };
  const cases: RelayCase[] = [
    { target: peerjs(), ...one, acks: false },
    { target: switchboard(1, false), ...one, acks: false },
    { target: bareSocketIo(1), ...one, acks: false },
    { target: switchboard(1, false), ...one, acks: true },
    { target: bareSocketIo(1), ...one, acks: true },
    { target: switchboard(2, true), ...two, acks: true },
    { target: bareSocketIo(2), ...two, acks: true },
  ];
  if (opts.full) {
    cases.push(
      { target: switchboard(2, true), ...two, acks: false },
      { target: bareSocketIo(2), ...two, acks: false },
      { target: switchboard(3, true), cross: true, pairNodes: 2, acks: true },
    );
  }
  return cases.filter((c) => selected(c.target));
}

function scenarioName(c: RelayCase): string {
  // PeerJS has no acks: its one figure stands in both single-node comparisons.
  if (c.target.kind === 'peerjs') return RELAY;
  if (c.cross) return c.acks ? RELAY_CROSS : RELAY_CROSS_UNACKED;
  return c.acks ? RELAY : RELAY_UNACKED;
}

export async function runRelay(opts: RelayOptions): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const c of relayCases(opts)) {
    out.push(
      await runLadder({
        scenario: scenarioName(c),
        unit: 'msgs/s',
        target: c.target,
        generator: 'relay',
        config: (d): RelayConfig => ({
          kind: d.kind,
          urls: d.urls,
          pairs: opts.pairs,
          cross: c.cross,
          pairNodes: c.pairNodes,
          acks: c.acks,
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
