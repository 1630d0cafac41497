import type { IncomingMessage } from 'node:http';
import { Limits } from '@switchboard/protocol';

/**
 * The largest Engine.IO message a valid request can make: an SDP of the
 * contract's 64 KiB whose every byte is a control character that JSON
 * escapes as `\u00XX` (six bytes each), the 2 KiB of metadata (measured
 * serialized already), and room for the event name, the other fields and
 * Socket.IO's framing. Anything larger is cut off by Engine.IO, before it is
 * parsed, by closing the connection.
 */
export const MAX_HTTP_BUFFER = 6 * Limits.sdpBytes + Limits.metadataBytes + 8 * 1024;

export interface AdmissionRules {
  /** Origins allowed besides the node's own (`CORS_ORIGINS`). */
  corsOrigins: readonly string[];
  trustProxy: boolean;
  /** True once the node drains: no new connection is taken. */
  isDraining(): boolean;
}

function sameOrigin(origin: string, req: IncomingMessage, trustProxy: boolean): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const seen = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || req.headers.host;
  return seen !== undefined && seen.toLowerCase() === host.toLowerCase();
}

/**
 * Engine.IO's `allowRequest`, run for each new connection's first request
 * (later requests of a session are not asked again). A draining node takes
 * no new connection; a request from a browser page (it carries `Origin`) is
 * taken only from the node's own origin or one of `CORS_ORIGINS`. The CORS
 * headers alone would leave WebSocket open to every page, since browsers do
 * not apply CORS to it. Clients that are not browsers send no `Origin`.
 * A refusal is HTTP 403, after which Socket.IO clients retry by themselves.
 */
export function admission(rules: AdmissionRules) {
  const allowed = new Set(rules.corsOrigins);
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
    const origin = req.headers.origin;
    if (rules.isDraining()) callback('SERVER_DRAINING', false);
    else if (origin !== undefined && !allowed.has(origin) && !sameOrigin(origin, req, rules.trustProxy)) {
      callback('ORIGIN_NOT_ALLOWED', false);
    } else callback(null, true);
  };
}
