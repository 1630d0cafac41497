import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Limits, requestSchemas, signalingFastPath } from '../../packages/protocol/src/index.js';

const events = ['sdp_offer', 'sdp_answer', 'ice_candidate'] as const;

// Values near every edge the schemas draw: ids in either case, lengths at
// the limits, numbers just outside the range, wrong types, stray keys.
const uuid = fc.uuid().chain((id) => fc.constantFrom(id, id, id, id.toUpperCase(), `${id}x`, id.slice(1)));
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'a'.repeat(Limits.shortTokenChars), 'a'.repeat(Limits.shortTokenChars + 1)),
  fc.constantFrom('a'.repeat(Limits.candidateBytes), `${'a'.repeat(Limits.candidateBytes - 1)}é`),
);
const scalar = fc.oneof(
  text,
  fc.constantFrom(null, undefined, true, 0, -0, -1, 65535, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY),
  fc.integer(),
);
const candidate = fc.record(
  { candidate: scalar, sdpMid: scalar, sdpMLineIndex: scalar, usernameFragment: scalar, extra: scalar },
  { requiredKeys: [] },
);
// Mostly near-valid: each field of the right kind, or an edge, or junk.
const near = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: scalar, weight: 1 });
const nearCandidate = fc.record(
  {
    candidate: near(text),
    sdpMid: near(fc.oneof(text, fc.constant(null))),
    sdpMLineIndex: near(fc.oneof(fc.constantFrom(-1, 0, 65535, 65536, 0.5, null), fc.integer({ min: 0, max: 65535 }))),
    usernameFragment: near(fc.oneof(text, fc.constant(null))),
  },
  { requiredKeys: ['candidate'] },
);
const payload = fc.oneof(
  fc.record({ callId: near(uuid), candidate: fc.oneof(nearCandidate, fc.constant(null), candidate) }),
  fc.record({ callId: near(uuid), sdp: near(text) }),
  fc.record(
    { callId: fc.oneof(uuid, scalar), candidate: fc.oneof(candidate, scalar), sdp: scalar, from: scalar },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

describe('signaling fast path', () => {
  it('accepts only what zod accepts, and gives exactly what zod gives', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.constantFrom(...events), payload, (event, input) => {
        const fast = signalingFastPath[event](input);
        if (fast === undefined) return;
        taken++;
        const parsed = requestSchemas[event].safeParse(input);
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.data);
        // Same keys in the same order, so what is relayed reads the same.
        expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: 20_000 },
    );
    // The comparison above must have run often enough to mean something.
    expect(taken).toBeGreaterThan(1000);
  });

  it('takes what clients send, after JSON, so that zod is rarely reached', () => {
    const callId = crypto.randomUUID();
    const wire = (v: unknown) => JSON.parse(JSON.stringify(v));
    const inputs = [
      ['ice_candidate', { callId, candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0' } }],
      [
        'ice_candidate',
        {
          callId,
          candidate: { candidate: 'c', sdpMid: null, sdpMLineIndex: 0, usernameFragment: 'abcd' },
        },
      ],
      ['ice_candidate', { callId, candidate: null }],
      ['sdp_offer', { callId, sdp: 'v=0\r\n' }],
      ['sdp_answer', { callId, sdp: 'v=0\r\n' }],
    ] as const;
    for (const [event, input] of inputs) {
      expect(signalingFastPath[event](wire(input))).toStrictEqual(requestSchemas[event].parse(wire(input)));
    }
  });

  it('leaves to zod what zod changes or refuses, and drops what zod drops', () => {
    const callId = crypto.randomUUID();
    expect(signalingFastPath.sdp_offer({ callId: callId.toUpperCase(), sdp: 'v=0' })).toBeUndefined();
    expect(signalingFastPath.sdp_offer({ callId, sdp: '' })).toBeUndefined();
    expect(signalingFastPath.ice_candidate({ callId })).toBeUndefined();
    expect(signalingFastPath.ice_candidate([callId])).toBeUndefined();
    // A forged sender, and a key that JSON.parse makes an own property.
    const forged = JSON.parse(
      `{"callId":"${callId}","from":{"userId":"x"},"candidate":{"candidate":"c","__proto__":{"sdpMid":"0"}}}`,
    );
    expect(signalingFastPath.ice_candidate(forged)).toStrictEqual({ callId, candidate: { candidate: 'c' } });
    expect(requestSchemas.ice_candidate.parse(forged)).toStrictEqual({ callId, candidate: { candidate: 'c' } });
  });
});
