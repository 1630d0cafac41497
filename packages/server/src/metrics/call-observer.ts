import type { DeviceRef } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { CallObserver } from '../domain/call-service.js';
import type { StoredCall } from '../store/store.js';
import type { Metrics } from './metrics.js';

/** The fields every log line about a call carries; never its SDP, candidates or metadata. */
function callFields(call: StoredCall, actor?: DeviceRef) {
  return {
    callId: call.callId,
    // The device that caused the transition, when one did (not for timeouts and disconnects).
    ...(actor && { userId: actor.userId, deviceId: actor.deviceId }),
    caller: { userId: call.caller.userId, deviceId: call.caller.deviceId },
    callee: {
      userId: call.callee.userId,
      ...(call.callee.deviceId !== undefined && { deviceId: call.callee.deviceId }),
    },
    media: call.media,
  };
}

/**
 * What a node records of each call transition: the metrics, and exactly one
 * info line (`call created`, `call ringing`, `call accepted`, `call ended`).
 * Each transition happens once in the cluster, on the node that made it, so
 * the cluster's logs hold one line per transition.
 */
export function callObserver(metrics: Metrics, logger: Logger, now: () => number = Date.now): CallObserver {
  return {
    onCreated: (call) => {
      metrics.callsStarted.inc();
      logger.info(
        { ...callFields(call, call.caller), expiresAt: call.expiresAt, ...(call.pushed && { pushed: true }) },
        'call created',
      );
    },
    onRinging: (call, by) => {
      logger.info(callFields(call, by), 'call ringing');
    },
    onAccepted: (call) => {
      const setupMs = (call.answeredAt ?? now()) - call.createdAt;
      metrics.callSetup.observe(setupMs / 1000);
      const by =
        call.callee.deviceId === undefined ? undefined : { userId: call.callee.userId, deviceId: call.callee.deviceId };
      logger.info({ ...callFields(call, by), setupMs }, 'call accepted');
    },
    onEnded: (call) => {
      const reason = call.endReason ?? 'unknown';
      metrics.callsEnded.inc({ reason });
      const endedAt = call.endedAt ?? now();
      logger.info(
        {
          ...callFields(call, call.endedBy),
          reason,
          durationMs: call.answeredAt === undefined ? 0 : endedAt - call.answeredAt,
        },
        'call ended',
      );
    },
  };
}
