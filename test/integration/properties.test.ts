import { randomUUID } from 'node:crypto';
import { type ErrorCode, errorCodes } from '@switchboard/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, FAKE_SDP, settle, type TestClient } from '../support/test-client.js';

/**
 * Random request sequences from 3 users x 2 devices against a real node,
 * with the call-level invariants checked after every step and the
 * "each involved device is told once" rule checked at the end.
 */

const USERS = 3;
const DEVICES = USERS * 2;

/** Who sends a request about a call: its caller device, a callee device, or any of the six. */
type Aim = 'caller' | 'callee' | 'any';

type Step =
  | { kind: 'invite'; sender: number; to: number; reuse: number | null; media: 'audio' | 'video' }
  | { kind: 'accept'; aim: Aim; sender: number; call: number; sdp: boolean }
  | { kind: 'reject'; aim: Aim; sender: number; call: number; reason: 'declined' | 'busy' | undefined }
  | { kind: 'cancel' | 'ringing'; aim: Aim; sender: number; call: number }
  | { kind: 'end'; aim: Aim; sender: number; call: number; reason: 'hangup' | 'failed' | undefined }
  | { kind: 'ice'; aim: Aim; sender: number; call: number; nullCandidate: boolean }
  | { kind: 'sdp'; aim: Aim; sender: number; call: number; offer: boolean };

const sender = fc.integer({ min: 0, max: DEVICES - 1 });
const call = fc.nat({ max: 20 });
const aim = fc.constantFrom<Aim>('caller', 'callee', 'callee', 'any');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('invite' as const),
      sender,
      // 0-5: one of the two other users; 6: the sender's own user (SELF_CALL).
      to: fc.integer({ min: 0, max: 6 }),
      reuse: fc.option(fc.nat({ max: 20 }), { freq: 4 }),
      media: fc.constantFrom('audio' as const, 'video' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('accept' as const), aim, sender, call, sdp: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reject' as const),
      aim,
      sender,
      call,
      reason: fc.constantFrom('declined' as const, 'busy' as const, undefined),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom('cancel' as const, 'ringing' as const), aim, sender, call }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('end' as const),
      aim,
      sender,
      call,
      reason: fc.constantFrom('hangup' as const, 'failed' as const, undefined),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('ice' as const), aim, sender, call, nullCandidate: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sdp' as const), aim, sender, call, offer: fc.boolean() }) },
);

/** Valid payloads, an online cluster, no limits: only the call rules can refuse. */
const expectedCodes = new Set<ErrorCode>(
  errorCodes.filter(
    (c) => !['INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED', 'UNAUTHENTICATED', 'INVALID_PAYLOAD'].includes(c),
  ),
);

class World {
  readonly callIds: string[] = [];
  constructor(
    readonly node: InProcessNode,
    readonly clients: TestClient[],
    readonly userIds: string[],
    readonly limit: number,
  ) {}

  static async start(limit: number): Promise<World> {
    const node = await startNode({ MAX_CONCURRENT_CALLS: String(limit) });
    const userIds = Array.from({ length: USERS }, (_, i) => `user${i}`);
    const clients = await Promise.all(
      Array.from({ length: DEVICES }, (_, i) => connect(node.url, userIds[i >> 1]!, { deviceId: `d${i & 1}` })),
    );
    return new World(node, clients, userIds, limit);
  }

  async close(): Promise<void> {
    closeAll(...this.clients);
    await this.node.close();
  }

  private pick(index: number): string {
    // Now and then (and when there is none yet) a well-formed id of no call; else mostly the latest calls.
    if (this.callIds.length === 0 || index % 7 === 6) return randomUUID();
    return this.callIds[this.callIds.length - 1 - (index % this.callIds.length)]!;
  }

  /** The sending device: for a call request, aimed at the call's caller device or callee user when asked. */
  private async senderOf(step: Step, callId: string | undefined): Promise<TestClient> {
    const stored = callId === undefined || !('aim' in step) ? null : await this.node.store.getCall(callId);
    if (!stored || !('aim' in step) || step.aim === 'any') return this.clients[step.sender]!;
    const candidates = this.clients.filter((c) =>
      step.aim === 'caller'
        ? c.userId === stored.caller.userId && c.deviceId === stored.caller.deviceId
        : c.userId === stored.callee.userId,
    );
    return candidates[step.sender % candidates.length]!;
  }

  async run(step: Step): Promise<void> {
    const [event, payload] = this.request(step);
    const client = await this.senderOf(step, (payload as { callId?: string }).callId);
    const answer = await client.request(event, payload);
    if (answer.ok) {
      if (event === 'call_invite' && !this.callIds.includes(answer.callId)) this.callIds.push(answer.callId);
    } else {
      expect(expectedCodes, `${event} ${JSON.stringify(payload)} -> ${JSON.stringify(answer)}`).toContain(
        answer.error.code,
      );
      expect(typeof answer.error.message).toBe('string');
    }
  }

  private request(step: Step): [string, object] {
    switch (step.kind) {
      case 'invite': {
        const reuse = step.reuse === null ? undefined : this.pick(step.reuse);
        const own = step.sender >> 1;
        const to = step.to === 6 ? own : (own + 1 + (step.to % 2)) % USERS;
        return [
          'call_invite',
          { to: this.userIds[to], media: step.media, sdp: FAKE_SDP, ...(reuse && { callId: reuse }) },
        ];
      }
      case 'accept':
        return ['call_accept', { callId: this.pick(step.call), ...(step.sdp && { sdp: 'answer' }) }];
      case 'reject':
        return ['call_reject', { callId: this.pick(step.call), ...(step.reason && { reason: step.reason }) }];
      case 'cancel':
        return ['call_cancel', { callId: this.pick(step.call) }];
      case 'ringing':
        return ['call_ringing', { callId: this.pick(step.call) }];
      case 'end':
        return ['call_end', { callId: this.pick(step.call), ...(step.reason && { reason: step.reason }) }];
      case 'ice':
        return [
          'ice_candidate',
          { callId: this.pick(step.call), candidate: step.nullCandidate ? null : { candidate: 'candidate:1' } },
        ];
      case 'sdp':
        return [step.offer ? 'sdp_offer' : 'sdp_answer', { callId: this.pick(step.call), sdp: FAKE_SDP }];
    }
  }

  /** The invariants that must hold at every moment. */
  async checkInvariants(): Promise<void> {
    const live = new Map<string, string[]>();
    for (const userId of this.userIds) {
      const calls = await this.node.store.listUserCalls(userId);
      expect(calls.length, `${userId} live calls`).toBeLessThanOrEqual(this.limit);
      for (const c of calls) {
        expect(c.state, `${c.callId} in ${userId}'s set`).not.toBe('ended');
        expect([c.caller.userId, c.callee.userId]).toContain(userId);
        live.set(c.callId, [...(live.get(c.callId) ?? []), userId]);
      }
    }
    for (const callId of this.callIds) {
      const stored = await this.node.store.getCall(callId);
      expect(stored, callId).not.toBeNull();
      if (stored!.state === 'ended') expect(live.has(callId), `ended ${callId} still live`).toBe(false);
      else expect(live.get(callId)?.sort()).toEqual([stored!.caller.userId, stored!.callee.userId].sort());
    }
    for (const client of this.clients) {
      const counts = new Map<string, number>();
      for (const { callId } of client.all('call_ended')) counts.set(callId, (counts.get(callId) ?? 0) + 1);
      for (const [callId, n] of counts) expect(n, `${client.userId}/${client.deviceId} call_ended ${callId}`).toBe(1);
    }
  }

  /** Once everything settled: each involved device was told of each transition exactly once. */
  async checkDelivery(): Promise<void> {
    for (const callId of this.callIds) {
      const stored = (await this.node.store.getCall(callId))!;
      for (const client of this.clients) {
        const me = { userId: client.userId, deviceId: client.deviceId };
        const who = `${me.userId}/${me.deviceId} ${callId} (${stored.state} ${stored.endReason ?? ''})`;
        const same = (d?: { userId: string; deviceId?: string }) =>
          d !== undefined && d.userId === me.userId && d.deviceId === me.deviceId;
        const isCaller = same(stored.caller);
        const isCalleeDevice = me.userId === stored.callee.userId;
        const answered = stored.callee.deviceId !== undefined;
        const isAccepted = answered && same(stored.callee);
        const ended = client.all('call_ended', (p) => p.callId === callId);
        const incoming = client.all('call_incoming', (p) => p.callId === callId);
        const accepted = client.all('call_accepted', (p) => p.callId === callId);

        expect(incoming.length, `${who} call_incoming`).toBe(isCalleeDevice ? 1 : 0);
        expect(accepted.length, `${who} call_accepted`).toBe(isCaller && answered ? 1 : 0);

        let expected: string | undefined;
        if (isCalleeDevice && answered && !isAccepted) expected = 'answered_elsewhere';
        else if (stored.state === 'ended' && (isCaller || isCalleeDevice) && !same(stored.endedBy)) {
          expected = stored.endReason;
        }
        expect(
          ended.map((p) => p.reason),
          who,
        ).toEqual(expected === undefined ? [] : [expected]);
      }
    }
  }
}

async function runScenario(limit: number, batches: Step[][]): Promise<void> {
  const world = await World.start(limit);
  try {
    for (const batch of batches) {
      await Promise.all(batch.map((step) => world.run(step)));
      await world.checkInvariants();
    }
    await settle(100);
    await world.checkInvariants();
    await world.checkDelivery();
  } finally {
    await world.close();
  }
}

describe('properties of random request sequences', () => {
  it('sequential requests keep the call invariants', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2),
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        async (limit, steps) =>
          runScenario(
            limit,
            steps.map((s) => [s]),
          ),
      ),
      { numRuns: 35, interruptAfterTimeLimit: 25_000 },
    );
  }, 60_000);

  it('concurrent batches of requests keep the call invariants', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2),
        fc.array(fc.array(stepArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        async (limit, batches) => runScenario(limit, batches),
      ),
      { numRuns: 25, interruptAfterTimeLimit: 25_000 },
    );
  }, 60_000);
});
