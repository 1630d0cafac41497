import type { Socket } from 'socket.io';

export interface AbuseRules {
  /** More strikes than this within the window disconnect the socket; 0 turns the guard off. */
  maxStrikes: number;
  windowMs: number;
}

export type StrikeKind = 'invalid' | 'rate_limited';

/**
 * Counts, per socket, the requests it should not have sent: invalid payloads
 * and unknown events (which use up no rate limit of their own) and requests
 * refused by a rate limit. A socket with more than `maxStrikes` of them
 * within `windowMs` is disconnected by the server, which (unlike a closed
 * transport) stops a Socket.IO client from reconnecting by itself.
 */
export class AbuseGuard {
  private readonly strikes = new WeakMap<Socket, number[]>();

  constructor(
    private readonly rules: AbuseRules,
    private readonly onDisconnect: (socket: Socket, kind: StrikeKind, strikes: number) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one strike; true when it disconnected the socket. */
  strike(socket: Socket, kind: StrikeKind): boolean {
    const { maxStrikes, windowMs } = this.rules;
    if (maxStrikes <= 0 || !socket.connected) return false;
    const now = this.now();
    let times = this.strikes.get(socket);
    if (!times) {
      times = [];
      this.strikes.set(socket, times);
    }
    times.push(now);
    // Only the last maxStrikes + 1 matter: the oldest of them tells whether they all fell in one window.
    if (times.length > maxStrikes + 1) times.splice(0, times.length - maxStrikes - 1);
    if (times.length <= maxStrikes || now - (times[0] as number) > windowMs) return false;
    this.strikes.delete(socket);
    this.onDisconnect(socket, kind, times.length);
    socket.disconnect(true);
    return true;
  }
}
