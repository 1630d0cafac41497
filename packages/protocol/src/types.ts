import type { ErrorCode } from './error-codes.js';
import type { RequestInput } from './schemas.js';

export type Media = 'audio' | 'video';
export type CallState = 'ringing' | 'active' | 'ended';
export type EndReason =
  | 'rejected'
  | 'busy'
  | 'cancelled'
  | 'timeout'
  | 'hangup'
  | 'failed'
  | 'answered_elsewhere'
  | 'disconnected';

/** One device of one user. `from` and `by` are always this, set by the server. */
export interface DeviceRef {
  userId: string;
  deviceId: string;
}

/** Same shape as the browser's RTCIceCandidateInit, bounded by the contract. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface Presence {
  userId: string;
  status: 'online' | 'offline';
  lastSeen?: number;
  inCall: boolean;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** Every ack: `{ ok: true, ...result }` or `{ ok: false, error }`. */
export type Ack<R extends object = Record<never, never>> = ({ ok: true } & R) | { ok: false; error: ErrorBody };
export type AckCallback<R extends object = Record<never, never>> = (answer: Ack<R>) => void;

export interface CallHistoryEntry {
  callId: string;
  direction: 'outgoing' | 'incoming';
  peer: { userId: string };
  media: Media;
  createdAt: number;
  answeredAt?: number;
  endedAt: number;
  durationMs: number;
  reason: EndReason;
}

export interface SessionPayload {
  userId: string;
  deviceId: string;
  nodeId: string;
  iceServers: IceServer[];
  heartbeatIntervalMs: number;
  ringTimeoutMs: number;
  maxConcurrentCalls: number;
}

export interface CallIncomingPayload {
  callId: string;
  from: DeviceRef;
  media: Media;
  sdp: string;
  candidates: IceCandidate[];
  metadata?: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
}

export interface CallRingingPayload {
  callId: string;
  by: DeviceRef;
}
export interface CallAcceptedPayload {
  callId: string;
  sdp?: string;
  by: DeviceRef;
}
export interface CallEndedPayload {
  callId: string;
  reason: EndReason;
  by?: DeviceRef;
}
export interface CallResumedPayload {
  callId: string;
  state: 'ringing' | 'active';
  role: 'caller' | 'callee';
  peer: { userId: string; deviceId?: string };
}
export interface SdpPayload {
  callId: string;
  sdp: string;
  from: DeviceRef;
}
export interface IceCandidatePayload {
  callId: string;
  candidate: IceCandidate | null;
  from: DeviceRef;
}
export interface RequestErrorPayload {
  event: string;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

export interface InviteResult {
  callId: string;
  expiresAt: number;
}

/** Results carried by successful acks, by event. */
export interface RequestResults {
  heartbeat: { serverTime: number };
  presence_subscribe: { presence: Presence[] };
  presence_unsubscribe: Record<never, never>;
  presence_query: { presence: Presence[] };
  call_invite: InviteResult;
  call_accept: Record<never, never>;
  call_ringing: Record<never, never>;
  call_reject: Record<never, never>;
  call_cancel: Record<never, never>;
  call_end: Record<never, never>;
  sdp_offer: Record<never, never>;
  sdp_answer: Record<never, never>;
  ice_candidate: Record<never, never>;
  call_history: { calls: CallHistoryEntry[] };
}

type Request<E extends keyof RequestResults & string> = (
  payload: RequestInput<E>,
  ack?: AckCallback<RequestResults[E]>,
) => void;

/**
 * Client-to-server events for `Socket<ServerToClientEvents, ClientToServerEvents>`
 * (client side) or `Server<ClientToServerEvents, ServerToClientEvents>`.
 *
 * @example
 * socket.emit('call_invite', { to: 'bob', media: 'audio', sdp }, (res) => {
 *   if (res.ok) console.log('ringing until', res.expiresAt);
 * });
 */
export interface ClientToServerEvents {
  heartbeat: Request<'heartbeat'>;
  presence_subscribe: Request<'presence_subscribe'>;
  presence_unsubscribe: Request<'presence_unsubscribe'>;
  presence_query: Request<'presence_query'>;
  call_invite: Request<'call_invite'>;
  call_accept: Request<'call_accept'>;
  call_ringing: Request<'call_ringing'>;
  call_reject: Request<'call_reject'>;
  call_cancel: Request<'call_cancel'>;
  call_end: Request<'call_end'>;
  sdp_offer: Request<'sdp_offer'>;
  sdp_answer: Request<'sdp_answer'>;
  ice_candidate: Request<'ice_candidate'>;
  call_history: Request<'call_history'>;
}

/**
 * Server-to-client events.
 *
 * @example
 * socket.on('call_incoming', ({ callId, from, sdp }) => showIncoming(callId, from.userId));
 */
export interface ServerToClientEvents {
  session: (payload: SessionPayload) => void;
  presence: (payload: Presence) => void;
  call_incoming: (payload: CallIncomingPayload) => void;
  call_ringing: (payload: CallRingingPayload) => void;
  call_accepted: (payload: CallAcceptedPayload) => void;
  call_ended: (payload: CallEndedPayload) => void;
  call_resumed: (payload: CallResumedPayload) => void;
  sdp_offer: (payload: SdpPayload) => void;
  sdp_answer: (payload: SdpPayload) => void;
  ice_candidate: (payload: IceCandidatePayload) => void;
  request_error: (payload: RequestErrorPayload) => void;
  server_draining: (payload: Record<never, never>) => void;
}
