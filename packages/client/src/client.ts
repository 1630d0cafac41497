import type {
  CallHistoryEntry,
  CallIncomingPayload,
  CallResumedPayload,
  DeviceRef,
  IceServer,
  Media,
  Presence,
  SessionPayload,
} from '@switchboard/protocol';
import { Call, type CallHost } from './call.js';
import { Connection, type ConnectionOptions, type ConnectionState } from './connection.js';
import { Emitter } from './emitter.js';
import { SwitchboardError } from './errors.js';
import {
  type PeerConnectionConfig,
  type PeerConnectionLike,
  type PeerConnectionOption,
  resolvePeerConnection,
} from './peer-connection.js';
import { PeerWiring } from './peer-wiring.js';
import { PresenceSubscriptions } from './presence.js';
import { Requester, type RequestFn } from './request.js';
import { ResumeTracker } from './resume.js';
import { randomUuid } from './uuid.js';

export interface ClientOptions extends ConnectionOptions {
  /** How long a request waits for its answer (ms, default 10000). */
  requestTimeoutMs?: number;
  /** Tell the caller when an incoming call is shown (`call_ringing`), if anyone listens to `incoming` (default true). */
  autoRinging?: boolean;
  /** Send `heartbeat` at the interval the server announces (default true). */
  heartbeat?: boolean;
  /** With a wired peer connection: how long ICE may stay failed before the call ends `failed` (ms, default 5000). */
  iceFailureGraceMs?: number;
  /** Close a wired peer connection when its call ends (default true). */
  closePeerConnectionOnEnd?: boolean;
  /** After a reconnect, how long the server has to confirm each call before it counts as ended (ms, default 2000). */
  resumeWindowMs?: number;
}

export interface CallOptions {
  media: Media;
  /** The offer; not needed with `peerConnection`, which creates it. */
  sdp?: string;
  /** Opaque JSON object (at most 2 KiB) handed to the callee. */
  metadata?: Record<string, unknown>;
  /**
   * A peer connection (or a factory, called with the session's ICE servers)
   * the SDK negotiates for this call. Closed when the call ends, or when the
   * invite is refused, unless `closePeerConnectionOnEnd` is false.
   */
  peerConnection?: PeerConnectionOption;
  /** A UUID of your choosing (repeating an invite with it rings nobody twice). */
  callId?: string;
}

/** Events of the client. */
export interface ClientEvents {
  /** A call rings this device. */
  incoming: (call: Call) => void;
  /** A watched user's presence changed (also sent again after a reconnect). */
  presence: (presence: Presence) => void;
  /** The connection's state changed. */
  connectionState: (state: ConnectionState) => void;
  /** A `session` arrived (on connect and every reconnect). */
  session: (session: SessionPayload) => void;
  /** After a reconnect, the server confirmed a call (also one this client did not know, after a page reload). */
  resumed: (call: Call) => void;
  /** The node is shutting down; the client reconnects by itself. */
  draining: () => void;
  /** Closed for good (by `close()`, a refused token, a replacing connection, or the policy gave up). */
  closed: (reason: string, error?: SwitchboardError) => void;
  /** A failure nobody awaited (a `request_error`). */
  error: (err: SwitchboardError) => void;
}

/**
 * A Switchboard client: one device of one user, connected over Socket.IO.
 * Create it with {@link connect}.
 *
 * @example
 * const client = await connect({ url, token, deviceId: 'laptop' });
 * client.on('incoming', (call) => call.accept({ peerConnection: (cfg) => new RTCPeerConnection(cfg) }));
 * const call = await client.call('bob', { media: 'video', peerConnection: (cfg) => new RTCPeerConnection(cfg) });
 */
export class SwitchboardClient extends Emitter<ClientEvents> {
  /** The latest session (renewed on every reconnect, with fresh TURN credentials). */
  session!: SessionPayload;
  /** Calls that have not ended, by id. */
  readonly calls = new Map<string, Call>();
  readonly request: RequestFn;

  private readonly connection: Connection;
  private readonly requester: Requester;
  private readonly presence: PresenceSubscriptions;
  private readonly resume: ResumeTracker;
  private readonly host: CallHost;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: ClientOptions) {
    super();
    this.requester = new Requester(options.requestTimeoutMs ?? 10_000);
    this.request = this.requester.request;
    this.presence = new PresenceSubscriptions(this.request);
    this.resume = new ResumeTracker(options.resumeWindowMs ?? 2000, this.request);
    this.host = {
      request: this.request,
      release: (call) => {
        if (this.calls.get(call.id) === call) this.calls.delete(call.id);
      },
      wire: (call, option) => this.wire(call, option),
      self: () => ({ userId: this.userId, deviceId: this.deviceId }),
    };
    this.connection = new Connection(options, {
      onSession: (session, reconnected) => this.onSession(session, reconnected),
      onLost: () => this.onLost(),
      onClosed: (reason, error) => this.onClosed(reason, error),
      onState: (state) => this.emit('connectionState', state),
    });
    this.requester.use(this.connection.socket);
    this.listen();
  }

  /** @internal Use {@link connect}. */
  async open(): Promise<this> {
    await this.connection.open();
    return this;
  }

  get userId(): string {
    return this.session.userId;
  }

  get deviceId(): string {
    return this.session.deviceId;
  }

  get connectionState(): ConnectionState {
    return this.connection.state;
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  /** ICE servers for peer connections: STUN, and TURN with this session's short-lived credentials. */
  get iceServers(): IceServer[] {
    return this.session.iceServers.map((s) => ({ ...s }));
  }

  /** An `RTCConfiguration` with this session's ICE servers added to `extra`'s. */
  rtcConfiguration<T extends { iceServers?: IceServer[] }>(extra?: T): T & PeerConnectionConfig {
    return { ...(extra as T), iceServers: [...this.iceServers, ...(extra?.iceServers ?? [])] };
  }

  /**
   * Calls `userId`; resolves with the ringing {@link Call} once the server
   * took the invite, or rejects (`USER_OFFLINE`, `BUSY`, `TOO_MANY_CALLS`,
   * `SELF_CALL`, `RATE_LIMITED`, `NOT_CONNECTED`…). With `peerConnection`
   * the SDK creates the offer and negotiates the whole call.
   */
  async call(userId: string, options: CallOptions): Promise<Call> {
    if (!this.connected) throw new SwitchboardError('NOT_CONNECTED', 'call_invite: not connected; nobody was called');
    if (options.sdp === undefined && !options.peerConnection) {
      throw new SwitchboardError('INVALID_PAYLOAD', 'call_invite: give an sdp offer or a peerConnection');
    }
    const call = new Call(this.host, {
      id: (options.callId ?? randomUuid()).toLowerCase(),
      role: 'caller',
      media: options.media,
      peer: { userId },
      ...(options.metadata && { metadata: options.metadata }),
    });
    let sdp = options.sdp;
    let wiring: PeerWiring | undefined;
    if (options.peerConnection) {
      wiring = await this.wire(call, options.peerConnection);
      sdp = await wiring.createInitialOffer().catch((err) => {
        wiring?.detach();
        throw err;
      });
    }
    call.holdEvents();
    this.calls.set(call.id, call);
    try {
      const { expiresAt } = await this.request('call_invite', {
        to: userId,
        media: options.media,
        sdp: sdp!,
        callId: call.id,
        ...(options.metadata && { metadata: options.metadata }),
      });
      call.expiresAt = expiresAt;
    } catch (err) {
      this.calls.delete(call.id);
      wiring?.detach();
      throw err;
    }
    call.openSignaling();
    // After the caller's `await client.call(...)` has run on and could listen.
    setTimeout(() => call.releaseHeld(), 0);
    return call;
  }

  /** Watches users' presence; see {@link PresenceSubscriptions.subscribe}. */
  subscribe(userIds: string[]): Promise<Presence[]> {
    return this.presence.subscribe(userIds);
  }

  unsubscribe(userIds: string[]): Promise<void> {
    return this.presence.unsubscribe(userIds);
  }

  query(userIds: string[]): Promise<Presence[]> {
    return this.presence.query(userIds);
  }

  /** This user's ended calls, newest first. */
  async history(options: { limit?: number; before?: number } = {}): Promise<CallHistoryEntry[]> {
    return (await this.request('call_history', options)).calls;
  }

  /** Disconnects for good. Calls in progress are left to the server's grace period, then end `disconnected`. */
  close(): void {
    this.connection.close();
  }

  private async wire(call: Call, option: PeerConnectionOption): Promise<PeerWiring> {
    const existing = call.wiring;
    if (existing) return existing;
    const pc: PeerConnectionLike = await resolvePeerConnection(option, { iceServers: this.iceServers });
    const wiring = new PeerWiring(call, pc, {
      iceFailureGraceMs: this.options.iceFailureGraceMs ?? 5000,
      closeOnEnd: this.options.closePeerConnectionOnEnd ?? true,
    });
    call.wiring = wiring;
    return wiring;
  }

  private listen(): void {
    const socket = this.connection.socket;
    socket.on('call_incoming', (p) => this.onIncoming(p));
    socket.on('call_resumed', (p) => this.onResumed(p));
    const toCall = (callId: string, handle: (call: Call) => void) => this.calls.get(callId)?.deliver(handle);
    socket.on('call_ringing', (p) => toCall(p.callId, (c) => c.handleRinging(p.by)));
    socket.on('call_accepted', (p) => toCall(p.callId, (c) => c.handleAccepted(p.sdp, p.by)));
    socket.on('call_ended', (p) => toCall(p.callId, (c) => c.handleEnded(p.reason, p.by)));
    socket.on('sdp_offer', (p) => toCall(p.callId, (c) => c.handleOffer(p.sdp)));
    socket.on('sdp_answer', (p) => toCall(p.callId, (c) => c.handleAnswer(p.sdp)));
    socket.on('ice_candidate', (p) => toCall(p.callId, (c) => c.handleCandidate(p.candidate)));
    socket.on('presence', (p) => this.emit('presence', p));
    socket.on('server_draining', () => this.emit('draining'));
    socket.on('request_error', (p) =>
      this.emit('error', SwitchboardError.fromBody({ code: p.code, message: p.message }, p.event)),
    );
  }

  private onIncoming(p: CallIncomingPayload): void {
    this.resume.confirm(p.callId);
    const known = this.calls.get(p.callId);
    if (known) {
      known.mergeCandidates(p.candidates);
      return;
    }
    const call = new Call(this.host, {
      id: p.callId,
      role: 'callee',
      media: p.media,
      peer: { ...p.from },
      remoteSdp: p.sdp,
      candidates: p.candidates,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
      ...(p.metadata && { metadata: p.metadata }),
    });
    this.calls.set(call.id, call);
    const shown = this.listenerCount('incoming') > 0;
    this.emit('incoming', call);
    if (shown && (this.options.autoRinging ?? true) && call.state === 'ringing') {
      call.notifyRinging().catch(() => undefined);
    }
  }

  private onResumed(p: CallResumedPayload): void {
    this.resume.confirm(p.callId);
    let call = this.calls.get(p.callId);
    if (!call) {
      // A call this device was in before the page reloaded: adopt it.
      call = new Call(this.host, { id: p.callId, role: p.role, peer: { ...p.peer }, state: p.state });
      this.calls.set(call.id, call);
    }
    call.handleResumed(p);
    this.emit('resumed', call);
  }

  private onSession(session: SessionPayload, reconnected: boolean): void {
    this.session = session;
    this.requester.use(this.connection.socket);
    this.startHeartbeat(session.heartbeatIntervalMs);
    this.emit('session', session);
    if (!reconnected) return;
    this.presence
      .resubscribe()
      .then((list) => {
        for (const p of list) this.emit('presence', p);
      })
      .catch(() => undefined);
    this.resume.check([...this.calls.values()]);
  }

  private onLost(): void {
    this.stopHeartbeat();
    this.resume.cancel();
    this.requester.failPending('DISCONNECTED', 'the connection dropped before the answer came');
    for (const call of this.calls.values()) call.pauseSignaling();
  }

  private onClosed(reason: string, error?: SwitchboardError): void {
    this.stopHeartbeat();
    this.resume.cancel();
    this.requester.failPending('CLOSED', 'the client was closed');
    for (const call of [...this.calls.values()]) call.finish('disconnected');
    this.emit('closed', reason, error);
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    if (this.options.heartbeat === false) return;
    this.heartbeatTimer = setInterval(() => void this.request('heartbeat', {}).catch(() => undefined), intervalMs);
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

/**
 * Connects one device and resolves once the server sent its `session`;
 * rejects with a {@link SwitchboardError} (`UNAUTHENTICATED`, `TIMEOUT`…).
 *
 * @example
 * const client = await connect({ url: 'https://switchboard.example', token, deviceId: 'laptop' });
 */
export async function connect(options: ClientOptions): Promise<SwitchboardClient> {
  return new SwitchboardClient(options).open();
}

export type { DeviceRef };
