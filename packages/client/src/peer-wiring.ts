import type { CallState, IceCandidate } from '@switchboard/protocol';
import type { Call } from './call.js';
import { SwitchboardError } from './errors.js';
import { candidateToWire, type PeerConnectionLike } from './peer-connection.js';

export interface WiringOptions {
  /** How long ICE may stay `failed` (while an ICE restart is tried) before the call ends `failed`. */
  iceFailureGraceMs: number;
  /** Close the peer connection when the call ends. */
  closeOnEnd: boolean;
}

type Listener = (event: unknown) => void;

/**
 * Drives one peer connection for one call: the first offer/answer,
 * trickle ICE both ways (remote candidates wait until the remote
 * description is set), renegotiation with the "perfect negotiation"
 * pattern (the callee is the polite side and yields on glare), an ICE
 * restart from the caller when ICE fails, and the end of the call with
 * `failed` when ICE does not recover. SDP steps run one at a time.
 */
export class PeerWiring {
  private readonly polite: boolean;
  private remoteDescriptionSet = false;
  private readonly remoteCandidates: IceCandidate[] = [];
  private makingOffer = false;
  private initialDone = false;
  private renegotiationWanted = false;
  private chain: Promise<unknown> = Promise.resolve();
  private failureTimer: ReturnType<typeof setTimeout> | undefined;
  private restartTried = false;
  private initialAnswer: Promise<string> | undefined;
  private readonly pcListeners: [string, Listener][] = [];
  private readonly detachCall: (() => void)[] = [];

  constructor(
    readonly call: Call,
    readonly pc: PeerConnectionLike,
    private readonly options: WiringOptions,
  ) {
    this.polite = call.role === 'callee';
    call.peerConnection = pc;
    for (const c of call.pendingRemoteCandidates.splice(0)) if (c) this.remoteCandidates.push(c);

    this.listenPc('icecandidate', (e) =>
      call.queueCandidate(candidateToWire((e as { candidate?: unknown }).candidate)),
    );
    this.listenPc('negotiationneeded', () => this.onNegotiationNeeded());
    this.listenPc('connectionstatechange', () => this.onConnectionState());
    this.listenPc('iceconnectionstatechange', () => this.onConnectionState());

    this.listenCall('remoteOffer', (sdp: string) => void this.onRemoteOffer(sdp));
    this.listenCall('remoteAnswer', (sdp: string) => void this.onRemoteAnswer(sdp));
    this.listenCall('remoteCandidate', (c: IceCandidate | null) => this.onRemoteCandidate(c));
    this.listenCall('accepted', ({ sdp }: { sdp?: string }) => {
      if (this.call.role === 'caller' && sdp !== undefined) void this.onRemoteAnswer(sdp);
    });
    this.listenCall('state', (state: CallState) => {
      if (state === 'active') this.maybeRenegotiate();
    });
    this.listenCall('ended', () => this.detach());
  }

  /** Caller: creates and applies the first offer; resolves with its SDP for the invite. */
  createInitialOffer(): Promise<string> {
    return this.serial(async () => {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      return this.localSdp();
    });
  }

  /** Callee: applies the caller's offer (and the candidates so far), then creates and applies the answer. */
  answerInitialOffer(): Promise<string> {
    this.initialAnswer ??= this.serial(async () => {
      const offer = this.call.remoteSdp;
      if (offer === undefined) throw new SwitchboardError('PEER_CONNECTION', 'the call carries no offer to answer');
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await this.remoteDescriptionApplied();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.initialDone = true;
      return this.localSdp();
    });
    return this.initialAnswer;
  }

  /** Sends a new offer to the other device: after adding a track or transceiver, or `iceRestart` after a network change. */
  renegotiate(options: { iceRestart?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      if (this.call.state !== 'active') return;
      this.makingOffer = true;
      try {
        const offer = await this.pc.createOffer(options.iceRestart ? { iceRestart: true } : undefined);
        if (this.pc.signalingState !== 'stable') return;
        await this.pc.setLocalDescription(offer);
        await this.call.sendOffer(this.localSdp());
      } finally {
        this.makingOffer = false;
      }
    });
  }

  private onNegotiationNeeded(): void {
    // Before the first exchange completes, that exchange covers it (the
    // implementation fires again on its return to stable if still needed).
    if (!this.initialDone) return;
    this.renegotiationWanted = true;
    this.maybeRenegotiate();
  }

  private maybeRenegotiate(): void {
    if (!this.renegotiationWanted || !this.initialDone || this.call.state !== 'active') return;
    this.renegotiationWanted = false;
    this.renegotiate().catch((err) => this.call.fail(err));
  }

  private async onRemoteOffer(sdp: string): Promise<void> {
    const collision = this.makingOffer || this.pc.signalingState !== 'stable';
    if (collision && !this.polite) return; // the polite side yields and answers ours
    await this.serial(async () => {
      if (this.pc.signalingState !== 'stable') await this.pc.setLocalDescription({ type: 'rollback' });
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      await this.remoteDescriptionApplied();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      await this.call.sendAnswer(this.localSdp());
    }).catch((err) => this.call.fail(err));
  }

  private async onRemoteAnswer(sdp: string): Promise<void> {
    await this.serial(async () => {
      if (this.pc.signalingState !== 'have-local-offer') return; // stale, or our offer was rolled back
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      await this.remoteDescriptionApplied();
      this.initialDone = true;
    }).catch((err) => this.call.fail(err));
    this.maybeRenegotiate();
  }

  private onRemoteCandidate(candidate: IceCandidate | null): void {
    // End-of-candidates is not passed on: implementations disagree on it and none needs it to connect.
    if (!candidate) return;
    if (!this.remoteDescriptionSet) {
      this.remoteCandidates.push(candidate);
      return;
    }
    this.pc.addIceCandidate(candidate).catch((err) => this.call.fail(peerError('addIceCandidate', err)));
  }

  private async remoteDescriptionApplied(): Promise<void> {
    this.remoteDescriptionSet = true;
    for (const c of this.remoteCandidates.splice(0)) {
      await this.pc.addIceCandidate(c).catch((err) => this.call.fail(peerError('addIceCandidate', err)));
    }
  }

  private onConnectionState(): void {
    const { connectionState, iceConnectionState } = this.pc;
    if (connectionState === 'connected' || iceConnectionState === 'connected') {
      this.clearFailure();
      this.restartTried = false;
      return;
    }
    const failed = connectionState === 'failed' || iceConnectionState === 'failed';
    if (!failed || this.failureTimer || this.call.state === 'ended') return;
    if (!this.polite && !this.restartTried && this.call.state === 'active') {
      this.restartTried = true;
      this.renegotiate({ iceRestart: true }).catch((err) => this.call.fail(err));
    }
    this.failureTimer = setTimeout(() => {
      this.failureTimer = undefined;
      if (this.pc.connectionState === 'connected' || this.call.state === 'ended') return;
      this.call.hangup('failed').catch((err) => this.call.fail(err));
    }, this.options.iceFailureGraceMs);
  }

  private clearFailure(): void {
    if (this.failureTimer) clearTimeout(this.failureTimer);
    this.failureTimer = undefined;
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new SwitchboardError('PEER_CONNECTION', 'the peer connection has no local description');
    return sdp;
  }

  /** Runs SDP steps one after another; a failed step fails only its caller. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step, step);
    this.chain = run.catch(() => undefined);
    return run.catch((err) => {
      throw err instanceof SwitchboardError ? err : peerError('SDP negotiation', err);
    });
  }

  private listenPc(type: string, listener: Listener): void {
    this.pc.addEventListener(type, listener);
    this.pcListeners.push([type, listener]);
  }

  // biome-ignore lint/suspicious/noExplicitAny: one helper for every call event
  private listenCall(event: Parameters<Call['on']>[0], listener: (...args: any[]) => void): void {
    this.call.on(event, listener);
    this.detachCall.push(() => this.call.off(event, listener));
  }

  /** Stops listening (the call ended); closes the peer connection when asked to. */
  detach(): void {
    this.clearFailure();
    for (const [type, listener] of this.pcListeners.splice(0)) this.pc.removeEventListener(type, listener);
    for (const off of this.detachCall.splice(0)) off();
    if (this.options.closeOnEnd) {
      try {
        void Promise.resolve(this.pc.close()).catch(() => undefined);
      } catch {
        // already closed
      }
    }
  }
}

function peerError(step: string, err: unknown): SwitchboardError {
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchboardError('PEER_CONNECTION', `${step} failed: ${message}`, { cause: err });
}
