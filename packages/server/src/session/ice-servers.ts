import { createHmac } from 'node:crypto';
import type { IceServer } from '@switchboard/protocol';

export interface IceConfig {
  STUN_URLS: readonly string[];
  TURN_URLS: readonly string[];
  TURN_SECRET: string | undefined;
  TURN_TTL_S: number;
}

/**
 * ICE servers for one user: the STUN URLs as they are, and TURN URLs with
 * short-lived credentials of the TURN REST API scheme (coturn's
 * `use-auth-secret`): username `<expiry epoch s>:<userId>`, password the
 * base64 HMAC-SHA1 of the username keyed with the shared secret.
 */
export function iceServersFor(userId: string, config: IceConfig, nowMs: number): IceServer[] {
  const servers: IceServer[] = [];
  if (config.STUN_URLS.length > 0) servers.push({ urls: [...config.STUN_URLS] });
  if (config.TURN_URLS.length > 0 && config.TURN_SECRET) {
    const username = `${Math.floor(nowMs / 1000) + config.TURN_TTL_S}:${userId}`;
    const credential = createHmac('sha1', config.TURN_SECRET).update(username).digest('base64');
    servers.push({ urls: [...config.TURN_URLS], username, credential });
  }
  return servers;
}
