import { type ErrorCode, errorMessages } from '@switchboard/protocol';

/** A refusal the client is told about, with one of the contract's codes. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string = errorMessages[code],
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
