import { type ErrorBody, type ErrorCode, errorMessages, isErrorCode } from '@switchboard/protocol';

/**
 * Failures the SDK detects on its own, next to the contract's codes:
 * - `TIMEOUT`: no answer within the request (or connect) timeout;
 * - `NOT_CONNECTED`: the request was not sent because the client is not
 *   connected (requests are never queued for later);
 * - `DISCONNECTED`: the connection dropped before the answer came (the
 *   request may or may not have taken effect);
 * - `CLOSED`: the client was closed, or gave up reconnecting;
 * - `PEER_CONNECTION`: the attached RTCPeerConnection refused an SDP step.
 */
export const ClientErrorCode = {
  TIMEOUT: 'TIMEOUT',
  NOT_CONNECTED: 'NOT_CONNECTED',
  DISCONNECTED: 'DISCONNECTED',
  CLOSED: 'CLOSED',
  PEER_CONNECTION: 'PEER_CONNECTION',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export type SwitchboardErrorCode = ErrorCode | ClientErrorCode;

/**
 * Every failure the SDK reports. `code` is the contract's error code when
 * the server refused (`BUSY`, `USER_OFFLINE`, `RATE_LIMITED`…), or one of
 * {@link ClientErrorCode}.
 *
 * @example
 * try { await client.call('bob', { media: 'audio', sdp }); }
 * catch (err) { if (err instanceof SwitchboardError && err.code === 'BUSY') showBusy(); }
 */
export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';
  readonly code: SwitchboardErrorCode;
  /** Set with `RATE_LIMITED`: when a retry may succeed. */
  readonly retryAfterMs: number | undefined;
  /** The request that failed, when one did. */
  readonly event: string | undefined;

  constructor(
    code: SwitchboardErrorCode,
    message?: string,
    options: { retryAfterMs?: number; event?: string; cause?: unknown } = {},
  ) {
    super(message ?? (isErrorCode(code) ? errorMessages[code] : code), { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.event = options.event;
  }

  /** The error of a refused request, from its ack's `error` body. */
  static fromBody(body: ErrorBody, event?: string): SwitchboardError {
    const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
    const message = event ? `${event}: ${body.message}` : body.message;
    return new SwitchboardError(code, message, {
      ...(body.retryAfterMs !== undefined && { retryAfterMs: body.retryAfterMs }),
      ...(event !== undefined && { event }),
    });
  }
}

/** The error to report for anything thrown: a SwitchboardError as is, anything else wrapped. */
export function toSwitchboardError(err: unknown, code: SwitchboardErrorCode = 'INTERNAL'): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchboardError(code, message, { cause: err });
}
