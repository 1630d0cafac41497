import type { IceCandidate, IceServer } from '@switchboard/protocol';

/** A session description as both browsers and werift hand them out. */
export interface SessionDescriptionLike {
  type: string;
  sdp?: string;
}

/**
 * The part of `RTCPeerConnection` the SDK drives. The browser's
 * `RTCPeerConnection` fits, and so does werift's in Node.
 */
export interface PeerConnectionLike {
  readonly signalingState: string;
  readonly connectionState: string;
  readonly iceConnectionState: string;
  readonly localDescription: SessionDescriptionLike | null;
  createOffer(options?: { iceRestart?: boolean }): Promise<SessionDescriptionLike>;
  createAnswer(): Promise<SessionDescriptionLike>;
  // biome-ignore lint/suspicious/noExplicitAny: browser and werift type descriptions differently
  setLocalDescription(description: any): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: browser and werift type descriptions differently
  setRemoteDescription(description: any): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: browser and werift type candidates differently
  addIceCandidate(candidate: any): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: event types differ between implementations
  addEventListener(type: string, listener: (event: any) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: event types differ between implementations
  removeEventListener(type: string, listener: (event: any) => void): void;
  close(): unknown;
}

/** What a peer connection is built with: the session's ICE servers (STUN, and TURN with fresh credentials). */
export interface PeerConnectionConfig {
  iceServers: IceServer[];
}

/** Builds a peer connection for a call; may add tracks before handing it over. */
export type PeerConnectionFactory = (config: PeerConnectionConfig) => PeerConnectionLike | Promise<PeerConnectionLike>;

/** A peer connection given to a call: one already built, or a factory the SDK calls with the ICE servers. */
export type PeerConnectionOption = PeerConnectionLike | PeerConnectionFactory;

/**
 * A local candidate as the wire carries it. Browsers hand out
 * `RTCIceCandidate` objects (with `toJSON`), werift plain objects;
 * `null`/`undefined` (or an empty candidate string) is end-of-candidates.
 */
export function candidateToWire(candidate: unknown): IceCandidate | null {
  if (candidate === null || candidate === undefined) return null;
  const c = (
    typeof (candidate as { toJSON?: unknown }).toJSON === 'function'
      ? (candidate as { toJSON(): unknown }).toJSON()
      : candidate
  ) as Partial<IceCandidate>;
  if (typeof c.candidate !== 'string' || c.candidate === '') return null;
  const wire: IceCandidate = { candidate: c.candidate };
  if (c.sdpMid !== undefined) wire.sdpMid = c.sdpMid;
  if (c.sdpMLineIndex !== undefined) wire.sdpMLineIndex = c.sdpMLineIndex;
  if (c.usernameFragment !== undefined) wire.usernameFragment = c.usernameFragment;
  return wire;
}

export async function resolvePeerConnection(
  option: PeerConnectionOption,
  config: PeerConnectionConfig,
): Promise<PeerConnectionLike> {
  return typeof option === 'function' ? option(config) : option;
}
