import type { CallEndedPayload, CallIncomingPayload, IceCandidate } from '@switchboard/protocol';
import type { HistoryRecord, StoredCall } from '../store/store.js';

/** `call_incoming` for a stored call, whether it rings now or for a device that joins late. */
export function callIncomingPayload(call: StoredCall, candidates: IceCandidate[]): CallIncomingPayload {
  return {
    callId: call.callId,
    from: call.caller,
    media: call.media,
    sdp: call.offer,
    candidates,
    ...(call.metadata && { metadata: call.metadata }),
    createdAt: call.createdAt,
    expiresAt: call.expiresAt,
  };
}

/** `call_ended` for an ended call; `by` is absent for the ends no device caused. */
export function callEndedPayload(call: StoredCall): CallEndedPayload {
  const reason = call.endReason ?? 'disconnected';
  const payload: CallEndedPayload = { callId: call.callId, reason };
  if (call.endedBy && reason !== 'timeout' && reason !== 'disconnected') payload.by = call.endedBy;
  return payload;
}

/** `call_ended` rebuilt from a history record, for a device that was away when the call ended. */
export function recordEndedPayload(record: HistoryRecord): CallEndedPayload {
  const payload: CallEndedPayload = { callId: record.callId, reason: record.reason };
  if (record.endedBy && record.reason !== 'timeout' && record.reason !== 'disconnected') payload.by = record.endedBy;
  return payload;
}

/** What the callee devices that did not answer are told once another one did. */
export function answeredElsewherePayload(call: StoredCall): CallEndedPayload {
  return {
    callId: call.callId,
    reason: 'answered_elsewhere',
    by: { userId: call.callee.userId, deviceId: call.callee.deviceId! },
  };
}
