/**
 * Every error a Switchboard server answers with. A request's ack carries
 * `{ ok: false, error: { code, message, retryAfterMs? } }`; an ack-less
 * request that fails gets a `request_error` event with the same code.
 */
export const ErrorCode = {
  /** The handshake failed: token missing, invalid or expired, bad `sub`, bad `deviceId`, `iss`/`aud` mismatch. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The payload does not match the event's schema, or the event is unknown. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** A per-user, per-device or per-IP limit was passed; see `retryAfterMs`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The callee has no online device. */
  USER_OFFLINE: 'USER_OFFLINE',
  /** The callee is at its concurrent-call limit. */
  BUSY: 'BUSY',
  /** The caller is at its concurrent-call limit. */
  TOO_MANY_CALLS: 'TOO_MANY_CALLS',
  /** `call_invite` addressed to the caller's own user. */
  SELF_CALL: 'SELF_CALL',
  /** No call with that id (never existed, or ended long enough ago). */
  CALL_NOT_FOUND: 'CALL_NOT_FOUND',
  /** The sending device's role in the call never allows this request. */
  NOT_PARTICIPANT: 'NOT_PARTICIPANT',
  /** The role allows it, but not in the call's current state. */
  INVALID_STATE: 'INVALID_STATE',
  /** The backend store is unreachable; retry later. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** An unexpected server fault. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Default human-readable message for each code. */
export const errorMessages: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'authentication failed',
  INVALID_PAYLOAD: 'invalid payload',
  RATE_LIMITED: 'rate limit exceeded',
  USER_OFFLINE: 'the callee has no online device',
  BUSY: 'the callee is busy',
  TOO_MANY_CALLS: 'you are at your concurrent call limit',
  SELF_CALL: 'you cannot call yourself',
  CALL_NOT_FOUND: 'no such call',
  NOT_PARTICIPANT: 'this device is not a participant of the call',
  INVALID_STATE: 'the call is not in a state that allows this',
  UNAVAILABLE: 'service temporarily unavailable, retry',
  INTERNAL: 'internal error',
};

export const errorCodes = Object.values(ErrorCode) as readonly ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCode, value);
}
