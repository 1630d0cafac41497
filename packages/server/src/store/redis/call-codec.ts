import type { CallState, DeviceRef, EndReason, IceCandidate, Media } from '@switchboard/protocol';
import type { CallSummary, HistoryRecord, StoredCall } from '../store.js';

/**
 * A StoredCall as the flat Redis hash `call:<id>`: one field per property,
 * devices split into `<role>UserId`/`<role>DeviceId`, numbers as decimal
 * strings, metadata as JSON, SDPs as plain strings. Scripts write most fields
 * themselves (see create-call-5.lua); this module only reads them back.
 */

/** The hash fields of a call other than its SDPs and metadata: what a request check reads. */
export const SUMMARY_FIELDS = [
  'callId',
  'state',
  'callerUserId',
  'callerDeviceId',
  'calleeUserId',
  'calleeDeviceId',
  'media',
  'createdAt',
  'expiresAt',
  'ringingByUserId',
  'ringingByDeviceId',
  'answeredAt',
  'endedAt',
  'endReason',
  'endedByUserId',
  'endedByDeviceId',
  'pushed',
] as const;

/** HGETALL as a script returns it: `[field, value, field, value, ...]`. */
export function decodeCall(flat: unknown): StoredCall {
  if (!Array.isArray(flat) || flat.length === 0) throw new Error('expected a call hash from Redis');
  const h = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) h.set(String(flat[i]), String(flat[i + 1]));
  const offer = h.get('offer');
  if (offer === undefined) throw new Error('call hash lacks offer');
  const call: StoredCall = { ...summaryOf(h), offer };
  const answer = h.get('answer');
  if (answer !== undefined) call.answer = answer;
  const metadata = h.get('metadata');
  if (metadata !== undefined) call.metadata = JSON.parse(metadata) as Record<string, unknown>;
  return call;
}

/** HMGET of {@link SUMMARY_FIELDS}, in that order; null when the call does not exist. */
export function decodeSummary(values: readonly (string | null)[]): CallSummary | null {
  if (values[0] === null || values[0] === undefined) return null;
  const h = new Map<string, string>();
  SUMMARY_FIELDS.forEach((field, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) h.set(field, value);
  });
  return summaryOf(h);
}

function summaryOf(h: Map<string, string>): CallSummary {
  const required = (field: string): string => {
    const value = h.get(field);
    if (value === undefined) throw new Error(`call hash lacks ${field}`);
    return value;
  };
  const device = (role: string): DeviceRef | undefined => {
    const userId = h.get(`${role}UserId`);
    const deviceId = h.get(`${role}DeviceId`);
    return userId !== undefined && deviceId !== undefined ? { userId, deviceId } : undefined;
  };
  const number = (field: string): number | undefined => {
    const value = h.get(field);
    return value === undefined ? undefined : Number(value);
  };

  const calleeDeviceId = h.get('calleeDeviceId');
  const call: CallSummary = {
    callId: required('callId'),
    state: required('state') as CallState,
    caller: { userId: required('callerUserId'), deviceId: required('callerDeviceId') },
    callee: {
      userId: required('calleeUserId'),
      ...(calleeDeviceId !== undefined && { deviceId: calleeDeviceId }),
    },
    media: required('media') as Media,
    createdAt: Number(required('createdAt')),
    expiresAt: Number(required('expiresAt')),
  };
  const ringingBy = device('ringingBy');
  if (ringingBy) call.ringingBy = ringingBy;
  const answeredAt = number('answeredAt');
  if (answeredAt !== undefined) call.answeredAt = answeredAt;
  const endedAt = number('endedAt');
  if (endedAt !== undefined) call.endedAt = endedAt;
  const endReason = h.get('endReason');
  if (endReason !== undefined) call.endReason = endReason as EndReason;
  const endedBy = device('endedBy');
  if (endedBy) call.endedBy = endedBy;
  if (h.get('pushed') === '1') call.pushed = true;
  return call;
}

/** Candidates are kept as the JSON of exactly the contract's fields, so nothing unknown is replayed. */
export function encodeCandidate(candidate: IceCandidate): string {
  const { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } = candidate;
  return JSON.stringify({ candidate: line, sdpMid, sdpMLineIndex, usernameFragment });
}

export function decodeCandidate(json: string): IceCandidate {
  return JSON.parse(json) as IceCandidate;
}

/**
 * A member of `history:<userId>`: `<callId>\n<record JSON>`, as
 * `includes/end-call.lua` writes it. Only known fields are read back.
 */
export function decodeHistoryRecord(member: string): HistoryRecord {
  const raw = JSON.parse(member.slice(member.indexOf('\n') + 1)) as Record<string, unknown>;
  const record: HistoryRecord = {
    callId: String(raw.callId),
    direction: raw.direction === 'outgoing' ? 'outgoing' : 'incoming',
    peer: { userId: String((raw.peer as { userId?: unknown } | undefined)?.userId) },
    media: raw.media as Media,
    createdAt: Number(raw.createdAt),
    endedAt: Number(raw.endedAt),
    durationMs: Number(raw.durationMs),
    reason: raw.reason as EndReason,
  };
  if (typeof raw.answeredAt === 'number') record.answeredAt = raw.answeredAt;
  if (typeof raw.deviceId === 'string') record.deviceId = raw.deviceId;
  const endedBy = raw.endedBy as Partial<DeviceRef> | undefined;
  if (typeof endedBy?.userId === 'string' && typeof endedBy.deviceId === 'string') {
    record.endedBy = { userId: endedBy.userId, deviceId: endedBy.deviceId };
  }
  return record;
}
