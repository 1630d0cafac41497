export type {
  CallState,
  DeviceRef,
  EndReason,
  IceCandidate,
  IceServer,
  Media,
  Presence,
  SessionPayload,
} from '@switchboard/protocol';
export { Call, type CallEvents } from './call.js';
export {
  type CallOptions,
  type ClientEvents,
  type ClientOptions,
  connect,
  SwitchboardClient,
} from './client.js';
export type { ConnectionState } from './connection.js';
export { ClientErrorCode, SwitchboardError, type SwitchboardErrorCode } from './errors.js';
export {
  candidateToWire,
  type PeerConnectionConfig,
  type PeerConnectionFactory,
  type PeerConnectionLike,
  type PeerConnectionOption,
  type SessionDescriptionLike,
} from './peer-connection.js';
export type { PeerWiring } from './peer-wiring.js';
export {
  type BackoffOptions,
  BackoffReconnectPolicy,
  type ReconnectContext,
  type ReconnectPolicy,
} from './reconnect-policy.js';
