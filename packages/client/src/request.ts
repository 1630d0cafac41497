import type {
  Ack,
  ClientEventName,
  ClientToServerEvents,
  RequestInput,
  RequestResults,
  ServerToClientEvents,
} from '@switchboard/protocol';
import type { Socket } from 'socket.io-client';
import { SwitchboardError } from './errors.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Sends one request and resolves with its result, or rejects with a {@link SwitchboardError}. */
export type RequestFn = <E extends ClientEventName>(
  event: E,
  payload: RequestInput<E>,
  options?: { timeoutMs?: number },
) => Promise<RequestResults[E]>;

/**
 * Requests over one socket, each answered through its ack or failed:
 * at once when the socket is not connected (socket.io-client would
 * otherwise buffer the emit and send it on reconnect, so a stale invite
 * could ring someone minutes later), after `timeoutMs` without an answer,
 * or when the connection drops before the answer.
 */
export class Requester {
  private readonly pending = new Set<(err: SwitchboardError) => void>();
  private socket: ClientSocket | undefined;

  constructor(private readonly defaultTimeoutMs: number) {}

  /** The socket requests go out on; failing every request still waiting on the previous one. */
  use(socket: ClientSocket | undefined): void {
    if (socket !== this.socket) this.failPending('DISCONNECTED', 'the connection was replaced before the answer came');
    this.socket = socket;
  }

  /** Fails every request still waiting for its answer (the connection dropped). */
  failPending(code: 'DISCONNECTED' | 'CLOSED', message: string): void {
    const waiting = [...this.pending];
    this.pending.clear();
    for (const fail of waiting) fail(new SwitchboardError(code, message));
  }

  readonly request: RequestFn = (event, payload, options = {}) => {
    const socket = this.socket;
    if (!socket?.connected) {
      return Promise.reject(
        new SwitchboardError('NOT_CONNECTED', `${event}: not connected; the request was not sent`, { event }),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: SwitchboardError) => {
        if (settled) return;
        settled = true;
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      // `timeout()` also drops socket.io's own ack entry when no answer comes.
      (socket as unknown as Socket)
        .timeout(timeoutMs)
        .emit(event, payload, (err: Error | null, answer: Ack<RequestResults[typeof event]>) => {
          if (settled) return;
          if (err) {
            return fail(new SwitchboardError('TIMEOUT', `${event}: no answer within ${timeoutMs} ms`, { event }));
          }
          settled = true;
          this.pending.delete(fail);
          if (answer && typeof answer === 'object' && answer.ok === true) {
            const { ok: _ok, ...result } = answer;
            resolve(result as unknown as RequestResults[typeof event]);
          } else if (answer && typeof answer === 'object' && answer.ok === false) {
            reject(SwitchboardError.fromBody(answer.error, event));
          } else {
            reject(new SwitchboardError('INTERNAL', `${event}: malformed answer from the server`, { event }));
          }
        });
    });
  };
}
