import type { DeviceRef } from '@switchboard/protocol';
import { type CallSummary, isAcceptedDevice, isCallerDevice } from '../store/store.js';

/** A device of the called user: may ring, accept or reject. The caller's device never is one. */
export function isCalleeDevice(call: CallSummary, ref: DeviceRef): boolean {
  return ref.userId === call.callee.userId && !isCallerDevice(call, ref);
}

/** The two devices between which SDP and candidates flow. */
export function isMediaParticipant(call: CallSummary, ref: DeviceRef): boolean {
  return isCallerDevice(call, ref) || isAcceptedDevice(call, ref);
}

/**
 * Devices that may end the call: the media participants, and while nobody
 * has answered, every callee device (ending then means rejecting).
 */
export function mayEnd(call: CallSummary, ref: DeviceRef): boolean {
  if (isMediaParticipant(call, ref)) return true;
  return call.callee.deviceId === undefined && isCalleeDevice(call, ref);
}

/** The participant device on the other side of `ref`, once the call is answered. */
export function otherParticipant(call: CallSummary, ref: DeviceRef): DeviceRef | undefined {
  if (call.callee.deviceId === undefined) return undefined;
  return isCallerDevice(call, ref) ? { userId: call.callee.userId, deviceId: call.callee.deviceId } : call.caller;
}
