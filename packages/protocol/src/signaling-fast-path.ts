import { isPlainObject, UUID_LOWER } from './json-shapes.js';
import { fitsUtf8, Limits } from './limits.js';
import type { RequestPayload } from './schemas.js';

// The zod schemas stay the contract. This accepts only what is plainly
// valid in the shape clients send (a lower-case callId, plain objects) and
// builds exactly what zod would, from the known keys only, as zod strips
// the rest; anything else returns undefined, and zod judges it and words
// the error. test/unit/signaling-fast-path.test.ts checks both against
// each other on generated input.
//
// Why: these three events are nearly all of a call's traffic, and on a
// relaying node zod cost about 4 % of the CPU per message (bench/cost.ts
// relay at 6,000 msgs/s, validation switched off against on).

type Signaling = 'sdp_offer' | 'sdp_answer' | 'ice_candidate';
type Candidate = NonNullable<RequestPayload<'ice_candidate'>['candidate']>;

function callIdOf(v: Record<string, unknown>): string | undefined {
  const id = v.callId;
  return typeof id === 'string' && UUID_LOWER.test(id) ? id : undefined;
}

const isShortToken = (v: unknown) => typeof v === 'string' && v.length <= Limits.shortTokenChars;

function candidateOf(v: unknown): Candidate | undefined {
  if (!isPlainObject(v)) return undefined;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = v;
  if (typeof candidate !== 'string' || !fitsUtf8(candidate, Limits.candidateBytes)) return undefined;
  const out: Candidate = { candidate };
  // A key is either absent or holds a value zod keeps as is; `undefined`
  // under a present key is left to zod.
  if ('sdpMid' in v) {
    if (sdpMid !== null && !isShortToken(sdpMid)) return undefined;
    out.sdpMid = sdpMid as string | null;
  }
  if ('sdpMLineIndex' in v) {
    if (
      sdpMLineIndex !== null &&
      !(
        Number.isInteger(sdpMLineIndex) &&
        (sdpMLineIndex as number) >= 0 &&
        (sdpMLineIndex as number) <= Limits.mLineIndexMax
      )
    ) {
      return undefined;
    }
    out.sdpMLineIndex = sdpMLineIndex as number | null;
  }
  if ('usernameFragment' in v) {
    if (usernameFragment !== null && !isShortToken(usernameFragment)) return undefined;
    out.usernameFragment = usernameFragment as string | null;
  }
  return out;
}

function iceMessage(v: unknown): RequestPayload<'ice_candidate'> | undefined {
  if (!isPlainObject(v)) return undefined;
  const callId = callIdOf(v);
  if (callId === undefined || !('candidate' in v)) return undefined;
  if (v.candidate === null) return { callId, candidate: null };
  const candidate = candidateOf(v.candidate);
  return candidate && { callId, candidate };
}

function sdpMessage(v: unknown): RequestPayload<'sdp_offer'> | undefined {
  if (!isPlainObject(v)) return undefined;
  const callId = callIdOf(v);
  const { sdp } = v;
  if (callId === undefined || typeof sdp !== 'string' || sdp.length === 0 || !fitsUtf8(sdp, Limits.sdpBytes)) {
    return undefined;
  }
  return { callId, sdp };
}

/**
 * Per signaling event: the validated payload when the input is plainly
 * valid, else undefined (then parse it with {@link requestSchemas}).
 */
export const signalingFastPath: { [E in Signaling]: (input: unknown) => RequestPayload<E> | undefined } = {
  sdp_offer: sdpMessage,
  sdp_answer: sdpMessage,
  ice_candidate: iceMessage,
};
