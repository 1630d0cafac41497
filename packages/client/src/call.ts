import type {
  CallResumedPayload,
  CallState,
  DeviceRef,
  EndReason,
  IceCandidate,
  Media,
  RequestInput,
} from '@switchboard/protocol';
import { Emitter } from './emitter.js';
import { SwitchboardError, toSwitchboardError } from './errors.js';
import type { PeerConnectionLike, PeerConnectionOption } from './peer-connection.js';
import type { PeerWiring } from './peer-wiring.js';
import type { RequestFn } from './request.js';

/** Events of one call. */
export interface CallEvents {
  /** The call moved from `previous` to `state`. */
  state: (state: CallState, previous: CallState) => void;
  /** Caller side: a device of the callee is alerting its user. */
  ringing: (by: DeviceRef) => void;
  /** The call became active; `sdp` is the callee's answer (caller side), when sent. */
  accepted: (info: { sdp?: string; by: DeviceRef }) => void;
  /** The call ended; `by` is absent for `timeout` and `disconnected`. */
  ended: (info: { reason: EndReason; by?: DeviceRef }) => void;
  /** The other device sent a (re)negotiation offer. */
  remoteOffer: (sdp: string) => void;
  /** The other device answered our (re)negotiation offer. */
  remoteAnswer: (sdp: string) => void;
  /** The other device sent an ICE candidate (`null`: end of candidates). */
  remoteCandidate: (candidate: IceCandidate | null) => void;
  /** The connection came back and the server confirmed the call goes on. */
  resumed: (info: CallResumedPayload) => void;
  /** A failure nobody awaited (a candidate that could not be relayed, a peer connection step that failed). */
  error: (err: SwitchboardError) => void;
}

/** What a call needs from its client. */
export interface CallHost {
  readonly request: RequestFn;
  /** The client forgets the call once it ended. */
  release(call: Call): void;
  /** Wires a peer connection to the call (offer/answer, trickle ICE, renegotiation, failure). */
  wire(call: Call, option: PeerConnectionOption): Promise<PeerWiring>;
  /** This device. */
  self(): DeviceRef;
}

export interface CallInit {
  id: string;
  role: 'caller' | 'callee';
  media?: Media;
  peer: { userId: string; deviceId?: string };
  state?: 'ringing' | 'active';
  metadata?: Record<string, unknown>;
  /** Callee side: the caller's offer. */
  remoteSdp?: string;
  /** Callee side: the caller's candidates received so far. */
  candidates?: IceCandidate[];
  createdAt?: number;
  expiresAt?: number;
}

const MAX_QUEUED_CANDIDATES = 256;

/**
 * One call, on either side. It follows the server: `ringing`, then
 * `active` once a callee device accepts, then `ended` with `endReason`,
 * exactly once. Its methods are requests; each resolves once the server
 * agreed and rejects with a {@link SwitchboardError} otherwise.
 *
 * @example
 * client.on('incoming', async (call) => {
 *   call.on('ended', ({ reason }) => console.log('ended:', reason));
 *   await call.accept({ peerConnection: (config) => new RTCPeerConnection(config) });
 * });
 */
export class Call extends Emitter<CallEvents> {
  readonly id: string;
  /** This device's side of the call. */
  readonly role: 'caller' | 'callee';
  /** Unknown (undefined) only for a call adopted from `call_resumed` after a page reload. */
  readonly media: Media | undefined;
  /** The other side; its `deviceId` is known once a callee device accepted (always, for the callee). */
  readonly peer: { userId: string; deviceId?: string };
  readonly metadata: Record<string, unknown> | undefined;
  /** Callee side: the caller's offer SDP. */
  readonly remoteSdp: string | undefined;
  readonly createdAt: number | undefined;
  /** While ringing: when the call times out (epoch ms). */
  expiresAt: number | undefined;
  state: CallState;
  endReason: EndReason | undefined;
  /** The device that ended the call, when one did. */
  endedBy: DeviceRef | undefined;
  /** The wired peer connection, when one was given. */
  peerConnection: PeerConnectionLike | undefined;
  /** @internal The SDK's driver of `peerConnection`. */
  wiring: PeerWiring | undefined;

  /** Remote candidates not yet taken by a peer connection (callee: from the first ring on). */
  readonly pendingRemoteCandidates: (IceCandidate | null)[] = [];
  private readonly localCandidates: (IceCandidate | null)[] = [];
  private signalingOpen = false;
  /** Server events that came before the invite's answer; see {@link Call.holdEvents}. */
  private held: ((call: Call) => void)[] | undefined;

  constructor(
    private readonly host: CallHost,
    init: CallInit,
  ) {
    super();
    this.id = init.id;
    this.role = init.role;
    this.media = init.media;
    this.peer = { ...init.peer };
    this.metadata = init.metadata;
    this.remoteSdp = init.remoteSdp;
    this.createdAt = init.createdAt;
    this.expiresAt = init.expiresAt;
    this.state = init.state ?? 'ringing';
    if (init.candidates) this.pendingRemoteCandidates.push(...init.candidates);
  }

  get isCaller(): boolean {
    return this.role === 'caller';
  }

  /**
   * Callee: answers the call on this device. With `peerConnection`, the SDK
   * applies the caller's offer, creates the answer and sends it; otherwise
   * pass your own answer as `sdp` (or none, and negotiate later).
   */
  async accept(options: { sdp?: string; peerConnection?: PeerConnectionOption } = {}): Promise<void> {
    if (this.role !== 'callee') throw new SwitchboardError('NOT_PARTICIPANT', 'only the callee can accept a call');
    let sdp = options.sdp;
    if (options.peerConnection) {
      const wiring = await this.host.wire(this, options.peerConnection);
      sdp = await wiring.answerInitialOffer();
    }
    await this.host.request('call_accept', { callId: this.id, ...(sdp !== undefined && { sdp }) });
    this.expiresAt = undefined;
    this.setState('active');
    this.openSignaling();
    this.emit('accepted', { by: this.host.self(), ...(sdp !== undefined && { sdp }) });
  }

  /** Callee: declines the call for every device of this user (`busy` tells the caller you are busy). */
  async reject(reason: 'declined' | 'busy' = 'declined'): Promise<void> {
    await this.host.request('call_reject', { callId: this.id, reason });
    this.finish(reason === 'busy' ? 'busy' : 'rejected');
  }

  /** Caller: withdraws the call while it rings. */
  async cancel(): Promise<void> {
    await this.host.request('call_cancel', { callId: this.id });
    this.finish('cancelled');
  }

  /**
   * Ends the call, whatever its state: while ringing it cancels (caller) or
   * rejects (callee); once active it hangs up (`failed` says media failed).
   */
  async hangup(reason: 'hangup' | 'failed' = 'hangup'): Promise<void> {
    await this.host.request('call_end', { callId: this.id, reason });
    if (this.state === 'ringing') this.finish(this.isCaller ? 'cancelled' : 'rejected');
    else this.finish(reason);
  }

  /** Callee: tells the caller this device is alerting its user (the client does it by itself by default). */
  async notifyRinging(): Promise<void> {
    await this.host.request('call_ringing', { callId: this.id });
  }

  /**
   * With a wired peer connection: negotiates again now (adding tracks or
   * transceivers does it by itself), e.g. `{ iceRestart: true }` after a
   * network change.
   */
  async renegotiate(options: { iceRestart?: boolean } = {}): Promise<void> {
    if (!this.wiring) throw new SwitchboardError('PEER_CONNECTION', 'no peer connection is wired to this call');
    await this.wiring.renegotiate(options);
  }

  /** Sends a renegotiation offer to the other device (active calls). */
  async sendOffer(sdp: string): Promise<void> {
    await this.host.request('sdp_offer', { callId: this.id, sdp });
  }

  /** Answers the other device's renegotiation offer. */
  async sendAnswer(sdp: string): Promise<void> {
    await this.host.request('sdp_answer', { callId: this.id, sdp });
  }

  /** Sends one local ICE candidate (`null`: end of candidates) to the other device. */
  async sendCandidate(candidate: IceCandidate | null): Promise<void> {
    await this.host.request('ice_candidate', { callId: this.id, candidate } as RequestInput<'ice_candidate'>);
  }

  /**
   * Queues a local candidate until this device may send it (caller: once
   * the invite is accepted by the server; callee: once it accepted), then
   * sends it. Used by the peer-connection wiring.
   */
  queueCandidate(candidate: IceCandidate | null): void {
    if (this.state === 'ended') return;
    if (!this.signalingOpen) {
      if (this.localCandidates.length < MAX_QUEUED_CANDIDATES) this.localCandidates.push(candidate);
      return;
    }
    this.sendCandidate(candidate).catch((err) => this.fail(err));
  }

  /** Resolves once the call ended (at once if it has). */
  whenEnded(): Promise<EndReason> {
    if (this.state === 'ended') return Promise.resolve(this.endReason!);
    return new Promise((resolve) => this.once('ended', ({ reason }) => resolve(reason)));
  }

  // --- Driven by the client as server events arrive ------------------------

  /**
   * @internal Until {@link Call.releaseHeld}, this call's server events wait.
   * A callee's ringing or answer can overtake the invite's answer (it is
   * relayed by another node), and the caller can only listen once
   * `client.call` resolved: run at once, they would be lost to it.
   */
  holdEvents(): void {
    this.held = [];
  }

  /** @internal Runs a server event's handling now, or in turn after the held ones. */
  deliver(handle: (call: Call) => void): void {
    if (this.held) this.held.push(handle);
    else handle(this);
  }

  /** @internal The caller holds the call now: the events that waited run, in order. */
  releaseHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const handle of held) handle(this);
  }

  /** @internal The invite was accepted by the server (caller), or the call resumed. */
  openSignaling(): void {
    this.signalingOpen = true;
    const queued = this.localCandidates.splice(0);
    for (const c of queued) this.queueCandidate(c);
  }

  /** @internal The connection dropped: local candidates wait for the resume. */
  pauseSignaling(): void {
    this.signalingOpen = false;
  }

  /** @internal */
  handleRinging(by: DeviceRef): void {
    if (this.state === 'ringing') this.emit('ringing', by);
  }

  /** @internal */
  handleAccepted(sdp: string | undefined, by: DeviceRef): void {
    if (this.state !== 'ringing') return;
    this.peer.deviceId = by.deviceId;
    this.expiresAt = undefined;
    this.setState('active');
    this.emit('accepted', { by, ...(sdp !== undefined && { sdp }) });
  }

  /** @internal */
  handleEnded(reason: EndReason, by?: DeviceRef): void {
    this.finish(reason, by);
  }

  /** @internal */
  handleOffer(sdp: string): void {
    if (this.state !== 'ended') this.emit('remoteOffer', sdp);
  }

  /** @internal */
  handleAnswer(sdp: string): void {
    if (this.state !== 'ended') this.emit('remoteAnswer', sdp);
  }

  /** @internal */
  handleCandidate(candidate: IceCandidate | null): void {
    if (this.state === 'ended') return;
    if (!this.peerConnection) this.pendingRemoteCandidates.push(candidate);
    this.emit('remoteCandidate', candidate);
  }

  /** @internal Candidates again in a repeated `call_incoming`: keep those not seen yet. */
  mergeCandidates(candidates: IceCandidate[]): void {
    const seen = new Set(this.pendingRemoteCandidates.map((c) => c?.candidate));
    for (const c of candidates) if (!seen.has(c.candidate)) this.handleCandidate(c);
  }

  /** @internal */
  handleResumed(info: CallResumedPayload): void {
    if (this.state === 'ended') return;
    if (info.peer.deviceId !== undefined) this.peer.deviceId = info.peer.deviceId;
    if (info.state === 'active' && this.state === 'ringing') this.setState('active');
    this.openSignaling();
    this.emit('resumed', info);
  }

  /** @internal Reports a failure nobody awaits. */
  fail(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', toSwitchboardError(err));
  }

  /** @internal Moves to `ended` once; later calls change nothing. */
  finish(reason: EndReason, by?: DeviceRef): void {
    if (this.state === 'ended') return;
    this.endReason = reason;
    this.endedBy = by;
    this.expiresAt = undefined;
    this.signalingOpen = false;
    this.localCandidates.length = 0;
    this.setState('ended');
    this.host.release(this);
    this.emit('ended', { reason, ...(by && { by }) });
  }

  private setState(next: CallState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.emit('state', next, previous);
  }
}
