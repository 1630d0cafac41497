import { z } from 'zod';
import { isPlainObject, UUID_LOWER } from './json-shapes.js';
import { fitsUtf8, Limits, utf8ByteLength } from './limits.js';

// z.object strips unknown keys, which is what keeps client-chosen fields
// (a forged `from`, say) from ever being forwarded.

export const userIdSchema = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'invalid user id');
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'invalid device id');

/** UUIDs are accepted in either case and normalised to lower case, so one call has one id. */
export const callIdSchema = z
  .string()
  .regex(new RegExp(UUID_LOWER.source, 'i'), 'callId must be a UUID')
  .transform((s) => s.toLowerCase());

export const mediaSchema = z.enum(['audio', 'video']);

export const sdpSchema = z
  .string()
  .min(1, 'sdp must not be empty')
  .refine((s) => fitsUtf8(s, Limits.sdpBytes), 'sdp exceeds 64 KiB');

function serializedBytes(v: unknown): number {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? Number.POSITIVE_INFINITY : utf8ByteLength(s);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Opaque JSON object handed to the callee. Kept as received (it came out of
 * JSON.parse, so `__proto__` is an own data key, not a prototype) rather than
 * copied key by key, which could turn such a key into a prototype change.
 */
export const metadataSchema = z.custom<Record<string, unknown>>(
  (v) => isPlainObject(v) && serializedBytes(v) <= Limits.metadataBytes,
  { message: 'metadata must be a JSON object of at most 2 KiB' },
);

const shortToken = z.string().max(Limits.shortTokenChars);

export const iceCandidateSchema = z.object({
  candidate: z.string().refine((s) => fitsUtf8(s, Limits.candidateBytes), 'candidate exceeds 2 KiB'),
  sdpMid: shortToken.nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(Limits.mLineIndexMax).nullable().optional(),
  usernameFragment: shortToken.nullable().optional(),
});

const userIdList = z
  .array(userIdSchema)
  .min(1)
  .max(Limits.presenceIds)
  .transform((ids) => [...new Set(ids)]);

export const heartbeatSchema = z.object({});
export const presenceListSchema = z.object({ userIds: userIdList });

export const callInviteSchema = z.object({
  to: userIdSchema,
  media: mediaSchema,
  sdp: sdpSchema,
  callId: callIdSchema.optional(),
  metadata: metadataSchema.optional(),
});
export const callAcceptSchema = z.object({ callId: callIdSchema, sdp: sdpSchema.optional() });
export const callRefSchema = z.object({ callId: callIdSchema });
export const callRejectSchema = z.object({
  callId: callIdSchema,
  reason: z.enum(['declined', 'busy']).optional(),
});
export const callEndSchema = z.object({
  callId: callIdSchema,
  reason: z.enum(['hangup', 'failed']).optional(),
});
export const sdpMessageSchema = z.object({ callId: callIdSchema, sdp: sdpSchema });
export const iceMessageSchema = z.object({
  callId: callIdSchema,
  candidate: iceCandidateSchema.nullable(),
});
export const callHistorySchema = z.object({
  limit: z.number().int().min(1).max(Limits.historyMax).optional(),
  before: z.number().finite().optional(),
});

/** The schema of every client event, by event name. */
export const requestSchemas = {
  heartbeat: heartbeatSchema,
  presence_subscribe: presenceListSchema,
  presence_unsubscribe: presenceListSchema,
  presence_query: presenceListSchema,
  call_invite: callInviteSchema,
  call_accept: callAcceptSchema,
  call_ringing: callRefSchema,
  call_reject: callRejectSchema,
  call_cancel: callRefSchema,
  call_end: callEndSchema,
  sdp_offer: sdpMessageSchema,
  sdp_answer: sdpMessageSchema,
  ice_candidate: iceMessageSchema,
  call_history: callHistorySchema,
} as const;

export type RequestSchemas = typeof requestSchemas;
/** A request payload after validation (unknown fields dropped, ids normalised). */
export type RequestPayload<E extends keyof RequestSchemas> = z.output<RequestSchemas[E]>;
/** A request payload as a client writes it. */
export type RequestInput<E extends keyof RequestSchemas> = z.input<RequestSchemas[E]>;
