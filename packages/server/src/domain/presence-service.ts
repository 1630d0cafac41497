import type { Presence } from '@switchboard/protocol';
import type { Store } from '../store/store.js';
import type { Notifier } from './notifier.js';

/**
 * Presence is derived from stored devices and live calls; this service only
 * reads it and tells subscribers when a store operation reported a change.
 * Changes are announced by the node whose atomic operation caused them, so
 * each one is announced once across the cluster.
 */
export class PresenceService {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
  ) {}

  query(userIds: readonly string[]): Promise<Presence[]> {
    return this.store.getPresence(userIds);
  }

  /** Announces the current presence of users whose status or inCall just changed. */
  async announce(userIds: Iterable<string>): Promise<void> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return;
    this.publish(await this.store.getPresence(unique));
  }

  /** Announces presence a store change handed back, read in the same atomic step as the change. */
  publish(presence: readonly Presence[]): void {
    for (const p of presence) this.notifier.emit({ presenceSubscribersOf: p.userId }, 'presence', p);
  }
}
