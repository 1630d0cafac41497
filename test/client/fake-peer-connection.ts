import type { PeerConnectionLike } from '@switchboard/client';

/**
 * A scripted stand-in for RTCPeerConnection: it keeps the signaling state
 * the way a real one does, logs every step the SDK takes, and lets a test
 * raise its events (a local candidate, ICE failure, negotiationneeded).
 */
export class FakePeerConnection implements PeerConnectionLike {
  signalingState = 'stable';
  connectionState = 'new';
  iceConnectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  readonly log: string[] = [];
  closed = false;
  /** Delay of setRemoteDescription, to let candidates arrive meanwhile. */
  remoteDelayMs = 0;
  /** Local candidates emitted while setLocalDescription runs. */
  gather: string[] = [];
  private readonly listeners = new Map<string, Set<(e: unknown) => void>>();
  private version = 0;

  constructor(readonly name: string) {}

  async createOffer(options?: { iceRestart?: boolean }) {
    this.log.push(options?.iceRestart ? 'createOffer:iceRestart' : 'createOffer');
    return { type: 'offer', sdp: `v=0\r\no=${this.name} ${++this.version} offer\r\n` };
  }

  async createAnswer() {
    this.log.push('createAnswer');
    return { type: 'answer', sdp: `v=0\r\no=${this.name} ${++this.version} answer\r\n` };
  }

  async setLocalDescription(d: { type: string; sdp: string }) {
    this.log.push(`setLocal:${d.type}`);
    if (d.type === 'rollback') {
      this.signalingState = 'stable';
      return;
    }
    this.localDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-local-offer' : 'stable';
    for (const [i, c] of this.gather.splice(0).entries()) {
      this.dispatch('icecandidate', { candidate: { candidate: c, sdpMid: '0', sdpMLineIndex: 0, toJSON: undefined } });
      if (i === 0) await new Promise((r) => setTimeout(r, 5));
    }
  }

  async setRemoteDescription(d: { type: string; sdp: string }) {
    if (this.remoteDelayMs) await new Promise((r) => setTimeout(r, this.remoteDelayMs));
    this.log.push(`setRemote:${d.type}`);
    this.remoteDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
  }

  async addIceCandidate(c: { candidate: string }) {
    this.log.push(`addIce:${c.candidate}`);
  }

  addEventListener(type: string, listener: (e: unknown) => void) {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener);
  }

  removeEventListener(type: string, listener: (e: unknown) => void) {
    this.listeners.get(type)?.delete(listener);
  }

  dispatch(type: string, event: unknown = {}) {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }

  setConnectionState(state: string) {
    this.connectionState = state;
    this.iceConnectionState = state === 'connecting' ? 'checking' : state;
    this.dispatch('connectionstatechange');
    this.dispatch('iceconnectionstatechange');
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  close() {
    this.closed = true;
    this.log.push('close');
  }
}
