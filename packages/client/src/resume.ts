import type { EndReason } from '@switchboard/protocol';
import type { Call } from './call.js';
import type { RequestFn } from './request.js';

/**
 * After a reconnect the server re-announces every call this device is
 * still in: `call_resumed` (a participant) or `call_incoming` (still
 * ringing). A call it does not mention within the window ended while the
 * device was away, and the `call_ended` was lost with the connection: it
 * ends here with the reason from the call history when the server has it,
 * else `disconnected`.
 */
export class ResumeTracker {
  private awaiting = new Map<string, Call>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly request: RequestFn,
  ) {}

  /** Starts waiting for the server to confirm `calls`. */
  check(calls: Call[]): void {
    this.cancel();
    for (const call of calls) if (call.state !== 'ended') this.awaiting.set(call.id, call);
    if (this.awaiting.size === 0) return;
    this.timer = setTimeout(() => void this.settle(), this.windowMs);
  }

  /** The server mentioned this call: it goes on. */
  confirm(callId: string): void {
    this.awaiting.delete(callId);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.awaiting.clear();
  }

  private async settle(): Promise<void> {
    this.timer = undefined;
    const missing = [...this.awaiting.values()];
    this.awaiting.clear();
    if (missing.length === 0) return;
    let history: { callId: string; reason: EndReason; answeredAt?: number }[] = [];
    try {
      history = (await this.request('call_history', { limit: 100 })).calls;
    } catch {
      // No history to consult: the fallback reason stands.
    }
    for (const call of missing) {
      const entry = history.find((h) => h.callId === call.id);
      let reason: EndReason = entry?.reason ?? 'disconnected';
      if (entry && call.role === 'callee' && call.state === 'ringing' && entry.answeredAt !== undefined) {
        reason = 'answered_elsewhere';
      }
      call.finish(reason);
    }
  }
}
