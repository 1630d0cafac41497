import type { WireSocket as Socket } from './wire-socket.js';

/** The fields of call events the bench reads. */
export interface CallEvent {
  callId: string;
  reason?: string;
  candidate: { candidate: string };
}

/**
 * Per-socket mailbox for call events, keyed `event:callId` (`call_incoming:*`
 * for invites, whose callId the callee does not know yet): a waiter gets an
 * event that arrived before it asked, too.
 */
export class Inbox {
  private readonly waiters = new Map<string, { resolve: (p: CallEvent) => void; timer: NodeJS.Timeout }[]>();
  private readonly early = new Map<string, CallEvent[]>();

  constructor(socket: Socket, events: string[]) {
    for (const event of events) {
      socket.on(event, (p: { callId?: string }) =>
        this.push(`${event}:${event === 'call_incoming' ? '*' : p.callId}`, p as CallEvent),
      );
    }
  }

  private push(key: string, payload: CallEvent): void {
    const w = this.waiters.get(key)?.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(payload);
      return;
    }
    const list = this.early.get(key);
    if (list) list.push(payload);
    else this.early.set(key, [payload]);
  }

  next(key: string, timeoutMs: number): Promise<CallEvent> {
    const list = this.early.get(key);
    if (list?.length) {
      const p = list.shift()!;
      if (list.length === 0) this.early.delete(key);
      return Promise.resolve(p);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const ws = this.waiters.get(key);
        ws?.splice(ws.indexOf(entry), 1);
        reject(new Error(`no ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      const entry = { resolve, timer };
      const ws = this.waiters.get(key);
      if (ws) ws.push(entry);
      else this.waiters.set(key, [entry]);
    });
  }

  /** Drops whatever is left of a finished call. */
  forget(callId: string): void {
    for (const key of [...this.early.keys()]) if (key.endsWith(`:${callId}`)) this.early.delete(key);
    for (const key of [...this.waiters.keys()]) if (key.endsWith(`:${callId}`)) this.waiters.delete(key);
  }
}
