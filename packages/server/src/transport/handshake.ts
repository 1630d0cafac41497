import { randomUUID } from 'node:crypto';
import { deviceIdSchema } from '@switchboard/protocol';
import type { Socket } from 'socket.io';
import type { VerifyToken } from '../auth/token-verifier.js';
import type { RateLimits } from '../ratelimit/rate-limits.js';
import { bindDevice } from './device-context.js';

export interface HandshakeDeps {
  verifyToken: VerifyToken;
  limits: RateLimits;
  trustProxy: boolean;
}

/** The client's IP: the socket's peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientIp(socket: Socket, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = socket.handshake.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return socket.handshake.address;
}

type ConnectError = Error & { data?: unknown };

function refuse(message: 'UNAUTHENTICATED' | 'RATE_LIMITED', data?: unknown): ConnectError {
  const err: ConnectError = new Error(message);
  if (data !== undefined) err.data = data;
  return err;
}

/**
 * Socket.IO middleware: per-IP connection limit, then the token, then the
 * device id. Every refusal is a `connect_error` whose message is the code.
 */
export function handshakeMiddleware({ verifyToken, limits, trustProxy }: HandshakeDeps) {
  return async (socket: Socket, next: (err?: ConnectError) => void): Promise<void> => {
    try {
      const retryAfterMs = await limits.consume('connection', clientIp(socket, trustProxy));
      if (retryAfterMs !== undefined) return next(refuse('RATE_LIMITED', { retryAfterMs }));
    } catch {
      // A limiter fault must not lock everyone out; the request limits still apply.
    }
    const auth: Record<string, unknown> =
      typeof socket.handshake.auth === 'object' && socket.handshake.auth !== null ? socket.handshake.auth : {};
    const { token, deviceId } = auth;
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) return next(refuse('UNAUTHENTICATED'));
    let userId: string;
    try {
      userId = await verifyToken(token);
    } catch {
      return next(refuse('UNAUTHENTICATED'));
    }
    let device: string;
    if (deviceId === undefined || deviceId === null) device = `dev-${randomUUID()}`;
    else {
      const parsed = deviceIdSchema.safeParse(deviceId);
      if (!parsed.success) return next(refuse('UNAUTHENTICATED'));
      device = parsed.data;
    }
    bindDevice(socket, userId, device);
    // The handshake object lives as long as the socket; the token (often a
    // kilobyte) is not needed past this point, and holding it helps no one.
    socket.handshake.auth = {};
    next();
  };
}
