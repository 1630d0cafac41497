/** Events a client sends; each is a request answered through its ack. */
export const ClientEvent = {
  heartbeat: 'heartbeat',
  presenceSubscribe: 'presence_subscribe',
  presenceUnsubscribe: 'presence_unsubscribe',
  presenceQuery: 'presence_query',
  callInvite: 'call_invite',
  callAccept: 'call_accept',
  callRinging: 'call_ringing',
  callReject: 'call_reject',
  callCancel: 'call_cancel',
  callEnd: 'call_end',
  sdpOffer: 'sdp_offer',
  sdpAnswer: 'sdp_answer',
  iceCandidate: 'ice_candidate',
  callHistory: 'call_history',
} as const;
export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];
export const clientEventNames = Object.values(ClientEvent) as readonly ClientEventName[];

/** Events the server sends. */
export const ServerEvent = {
  session: 'session',
  presence: 'presence',
  callIncoming: 'call_incoming',
  callRinging: 'call_ringing',
  callAccepted: 'call_accepted',
  callEnded: 'call_ended',
  callResumed: 'call_resumed',
  sdpOffer: 'sdp_offer',
  sdpAnswer: 'sdp_answer',
  iceCandidate: 'ice_candidate',
  requestError: 'request_error',
  serverDraining: 'server_draining',
} as const;
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

/** Events relayed between the two participant devices of a call. */
export const signalingEvents = [ClientEvent.sdpOffer, ClientEvent.sdpAnswer, ClientEvent.iceCandidate] as const;
export type SignalingEventName = (typeof signalingEvents)[number];
