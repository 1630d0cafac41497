import type { CallState, DeviceRef, EndReason, IceCandidate, Media } from '@switchboard/protocol';
import type { StoredCall } from '../store.js';

/**
 * A StoredCall as the flat Redis hash `call:<id>`: one field per property,
 * devices split into `<role>UserId`/`<role>DeviceId`, numbers as decimal
 * strings, metadata as JSON, SDPs as plain strings. Scripts write most fields
 * themselves (see create-call-5.lua); this module only reads them back.
 */

/** HGETALL as a script returns it: `[field, value, field, value, ...]`. */
export function decodeCall(flat: unknown): StoredCall {
  if (!Array.isArray(flat) || flat.length === 0) throw new Error('expected a call hash from Redis');
  const h = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) h.set(String(flat[i]), String(flat[i + 1]));

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
  const call: StoredCall = {
    callId: required('callId'),
    state: required('state') as CallState,
    caller: { userId: required('callerUserId'), deviceId: required('callerDeviceId') },
    callee: {
      userId: required('calleeUserId'),
      ...(calleeDeviceId !== undefined && { deviceId: calleeDeviceId }),
    },
    media: required('media') as Media,
    offer: required('offer'),
    createdAt: Number(required('createdAt')),
    expiresAt: Number(required('expiresAt')),
  };
  const answer = h.get('answer');
  if (answer !== undefined) call.answer = answer;
  const metadata = h.get('metadata');
  if (metadata !== undefined) call.metadata = JSON.parse(metadata) as Record<string, unknown>;
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
