import type { Store } from '../store/store.js';
import type { CallService } from './call-service.js';
import type { PresenceService } from './presence-service.js';

export interface MaintenanceRules {
  nodeId: string;
  nodeTtlMs: number;
  reconnectGraceMs: number;
  endedRetentionMs: number;
  /** How often due work is looked for; bounds how late a ring timeout fires. */
  tickMs: number;
}

export interface MaintenanceHooks {
  /** The store forgot this node (swept while cut off, or emptied): re-register every local device. */
  /** `swept`: the node was known before, so the cluster took it for dead (not its first start). */
  onNodeUnknown(swept: boolean): Promise<void>;
  onError(err: unknown): void;
}

const BATCH = 200;

/**
 * The periodic work every node does. Each kind of due work is claimed
 * atomically in the store, so with several nodes exactly one acts on each
 * item, and any live node finishes what a dead one started.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastNodeRefresh = 0;

  constructor(
    private readonly store: Store,
    private readonly calls: CallService,
    private readonly presence: PresenceService,
    private readonly rules: MaintenanceRules,
    private readonly hooks: MaintenanceHooks,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.rules.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round; overlapping rounds are skipped so a slow store cannot pile them up. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.refreshNode();
      await this.endDueCalls();
      await this.dropVanishedDevices();
    } catch (err) {
      this.hooks.onError(err);
    } finally {
      this.running = false;
    }
  }

  private async refreshNode(): Promise<void> {
    const now = this.now();
    if (now - this.lastNodeRefresh < this.rules.nodeTtlMs / 3) return;
    const known = await this.store.refreshNode(this.rules.nodeId, now, this.rules.nodeTtlMs);
    const refreshedBefore = this.lastNodeRefresh > 0;
    this.lastNodeRefresh = now;
    if (!known) await this.hooks.onNodeUnknown(refreshedBefore);
  }

  private async endDueCalls(): Promise<void> {
    const { endedRetentionMs } = this.rules;
    for (;;) {
      const now = this.now();
      const ended = [
        ...(await this.store.claimRingTimeouts(now, BATCH, endedRetentionMs)),
        ...(await this.store.claimDisconnectGraces(now, BATCH, endedRetentionMs)),
      ];
      for (const { call, inCallChanged } of ended) this.calls.announceEnd(call, inCallChanged);
      if (ended.length < BATCH) return;
    }
  }

  private async dropVanishedDevices(): Promise<void> {
    const now = this.now();
    const removed = [
      ...(await this.store.sweepDeadNodes(now, this.rules.reconnectGraceMs)),
      ...(await this.store.expireDevices(now, this.rules.reconnectGraceMs, BATCH)),
    ];
    await this.presence.announce(removed.filter((d) => d.wentOffline).map((d) => d.userId));
  }
}
