import { type ErrorBody, type ErrorCode, errorMessages } from '@switchboard/protocol';
import { DomainError } from '../domain/domain-error.js';
import { StoreUnavailableError } from '../store/store.js';

/** Maps anything a handler threw to the contract's error body; `internal` is true for faults worth logging. */
export function toErrorBody(err: unknown): { body: ErrorBody; internal: boolean } {
  if (err instanceof DomainError) {
    return {
      body: {
        code: err.code,
        message: err.message,
        ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }),
      },
      internal: false,
    };
  }
  if (err instanceof StoreUnavailableError) return { body: errorBody('UNAVAILABLE'), internal: false };
  return { body: errorBody('INTERNAL'), internal: true };
}

export function errorBody(code: ErrorCode, message = errorMessages[code]): ErrorBody {
  return { code, message };
}
