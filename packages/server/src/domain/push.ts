import type { DeviceRef, EndReason, Media } from '@switchboard/protocol';

/** Sent when a call rings a user who had no online device, so the app can wake one. */
export interface PushInviteNotice {
  type: 'call_invite';
  callId: string;
  from: DeviceRef;
  to: string;
  media: Media;
  expiresAt: number;
}

/** Sent when such a call stops ringing, so the app can clear its notification. */
export interface PushEndedNotice {
  type: 'call_ended';
  callId: string;
  to: string;
  /** The call's end reason, or `answered` when a device of the callee took it. */
  reason: EndReason | 'answered';
}

/**
 * How the domain wakes an offline callee. The webhook client
 * (`push/webhook.ts`) stands behind it; the domain knows nothing of HTTP.
 * Both methods return at once and never throw: delivery, and its retries,
 * happen in the background.
 */
export interface PushPort {
  /** Delivers the invite notice, retrying while `stillRinging()` holds. */
  callInvite(notice: PushInviteNotice, stillRinging: () => Promise<boolean>): void;
  /** Delivers the ended notice, retrying a bounded number of times. */
  callEnded(notice: PushEndedNotice): void;
}
