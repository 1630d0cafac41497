import { Limits, type Presence } from '@switchboard/protocol';
import type { RequestFn } from './request.js';

/**
 * The users this client watches. The server forgets a connection's
 * subscriptions when it drops, so they are made again after a reconnect.
 */
export class PresenceSubscriptions {
  private readonly watched = new Set<string>();

  constructor(private readonly request: RequestFn) {}

  /** Watches `userIds` (1-100 per call): `presence` events follow every change; resolves with their presence now. */
  async subscribe(userIds: string[]): Promise<Presence[]> {
    const { presence } = await this.request('presence_subscribe', { userIds });
    for (const id of userIds) this.watched.add(id);
    return presence;
  }

  /** Stops watching `userIds`. */
  async unsubscribe(userIds: string[]): Promise<void> {
    for (const id of userIds) this.watched.delete(id);
    await this.request('presence_unsubscribe', { userIds });
  }

  /** Presence of `userIds` now, without watching them. */
  async query(userIds: string[]): Promise<Presence[]> {
    const { presence } = await this.request('presence_query', { userIds });
    return presence;
  }

  get userIds(): string[] {
    return [...this.watched];
  }

  /** After a reconnect: subscribes again to everyone watched; resolves with their presence now. */
  async resubscribe(): Promise<Presence[]> {
    const ids = this.userIds;
    const all: Presence[] = [];
    for (let i = 0; i < ids.length; i += Limits.presenceIds) {
      const { presence } = await this.request('presence_subscribe', { userIds: ids.slice(i, i + Limits.presenceIds) });
      all.push(...presence);
    }
    return all;
  }
}
