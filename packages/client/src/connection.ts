import type { SessionPayload } from '@switchboard/protocol';
import { io } from 'socket.io-client';
import { SwitchboardError } from './errors.js';
import { BackoffReconnectPolicy, type ReconnectPolicy } from './reconnect-policy.js';
import type { ClientSocket } from './request.js';

/** Where the client's connection stands. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ConnectionOptions {
  url: string;
  /** The JWT, or a function that fetches a fresh one for every (re)connection attempt. */
  token: string | (() => string | Promise<string>);
  /** Stable id of this device; absent, the server's choice on the first connection is kept for reconnects. */
  deviceId?: string;
  /** Socket.IO path (default `/socket.io`). */
  path?: string;
  /** Default `['websocket']`. */
  transports?: ('websocket' | 'polling')[];
  /** Give up the first connection after this long (ms, default 10000). */
  connectTimeoutMs?: number;
  reconnectPolicy?: ReconnectPolicy;
}

export interface ConnectionHooks {
  /** A connection (first or again) is established: the server sent `session`. */
  onSession(session: SessionPayload, reconnected: boolean): void;
  /** The connection dropped; the client tries again per its policy. */
  onLost(reason: string): void;
  /** The client is closed for good. */
  onClosed(reason: string, error?: SwitchboardError): void;
  onState(state: ConnectionState): void;
}

/**
 * One Socket.IO connection kept alive by a {@link ReconnectPolicy}
 * (socket.io-client's own reconnection is off). A refused token ends it;
 * so does the server replacing it with a newer connection of the same
 * device, which must not be fought over.
 */
export class Connection {
  readonly socket: ClientSocket;
  state: ConnectionState = 'connecting';
  private deviceId: string | undefined;
  private readonly policy: ReconnectPolicy;
  private retryCount = 0;
  private lostAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private everConnected = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.deviceId = options.deviceId;
    this.policy = options.reconnectPolicy ?? new BackoffReconnectPolicy();
    this.socket = io(options.url, {
      path: options.path ?? '/socket.io',
      transports: options.transports ?? ['websocket'],
      reconnection: false,
      autoConnect: false,
      forceNew: true,
      auth: (cb) => {
        Promise.resolve(typeof options.token === 'function' ? options.token() : options.token).then(
          (token) => cb({ token, ...(this.deviceId !== undefined && { deviceId: this.deviceId }) }),
          () => cb({ token: '' }),
        );
      },
    });
    this.socket.on('session', (session) => {
      this.deviceId ??= session.deviceId;
      const reconnected = this.everConnected;
      this.everConnected = true;
      this.retryCount = 0;
      this.setState('connected');
      this.hooks.onSession(session, reconnected);
    });
    this.socket.on('connect_error', (err: Error & { data?: { retryAfterMs?: number } }) => {
      if (this.state === 'closed') return;
      if (err.message === 'UNAUTHENTICATED') {
        return this.close('unauthenticated', new SwitchboardError('UNAUTHENTICATED', 'the server refused the token'));
      }
      const retryAfterMs = err.message === 'RATE_LIMITED' ? (err.data?.retryAfterMs ?? 1000) : 0;
      this.retry(err.message, retryAfterMs);
    });
    this.socket.on('disconnect', (reason) => {
      if (this.state === 'closed') return;
      if (reason === 'io server disconnect') {
        return this.close(
          'replaced',
          new SwitchboardError(
            'CLOSED',
            'the server closed this connection (another connection of this device replaced it)',
          ),
        );
      }
      this.lostAt = Date.now();
      this.retryCount = 0;
      this.setState('reconnecting');
      this.hooks.onLost(reason);
      this.retry(reason, 0);
    });
  }

  /** Connects; resolves once the server sent `session`, rejects when refused or after `connectTimeoutMs`. */
  open(): Promise<SessionPayload> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    this.lostAt = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        const err = new SwitchboardError('TIMEOUT', `no session from ${this.options.url} within ${timeoutMs} ms`);
        this.close('connect timeout', err);
        reject(err);
      }, timeoutMs);
      const onSession = (session: SessionPayload) => {
        cleanup();
        resolve(session);
      };
      const onClosed = (err: SwitchboardError) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('session', onSession);
        this.firstFailure = undefined;
      };
      this.firstFailure = onClosed;
      this.socket.on('session', onSession);
      this.setState('connecting');
      this.socket.connect();
    });
  }

  private firstFailure: ((err: SwitchboardError) => void) | undefined;

  get connected(): boolean {
    return this.state === 'connected' && this.socket.connected;
  }

  /** Closes for good: no more reconnects. */
  close(reason = 'closed by the client', error?: SwitchboardError): void {
    if (this.state === 'closed') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.setState('closed');
    this.socket.disconnect();
    this.firstFailure?.(error ?? new SwitchboardError('CLOSED', reason));
    this.hooks.onClosed(reason, error);
  }

  private retry(reason: string, minDelayMs: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = this.policy.nextRetryDelayMs({
      retryCount: this.retryCount,
      elapsedMs: Date.now() - this.lostAt,
      reason,
    });
    if (delay === null) {
      this.close(`gave up reconnecting (${reason})`, new SwitchboardError('CLOSED', `gave up reconnecting: ${reason}`));
      return;
    }
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        if (this.state === 'closed') return;
        this.retryCount++;
        this.socket.connect();
      },
      Math.max(delay, minDelayMs),
    );
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.hooks.onState(state);
  }
}
