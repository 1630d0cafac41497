import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What a node reports about the sockets it holds, read when /metrics is scraped. */
export interface LocalView {
  sockets(): number;
  devices(): number;
  users(): number;
  callsByState(): { ringing: number; active: number };
}

/**
 * Every metric a node exposes on `GET /metrics`, in its own registry (so
 * several nodes in one test process do not collide). Gauges of local state
 * are computed at scrape time rather than kept in step on every event.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly callsStarted = new Counter({
    name: 'switchboard_calls_started_total',
    help: 'Calls created by invites this node accepted',
    registers: [this.registry],
  });
  readonly callsEnded = new Counter({
    name: 'switchboard_calls_ended_total',
    help: 'Calls this node ended, by end reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly callSetup = new Histogram({
    name: 'switchboard_call_setup_seconds',
    help: 'From invite to accept, for calls accepted through this node',
    buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 30, 60],
    registers: [this.registry],
  });
  readonly signalingRelayed: Counter<'event'> = new Counter({
    name: 'switchboard_signaling_relayed_total',
    help: 'SDP offers, answers and ICE candidates relayed, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
    collect: () => this.relayedTally.publish(this.signalingRelayed),
  });
  readonly requests: Counter<'event' | 'outcome'> = new Counter({
    name: 'switchboard_requests_total',
    help: 'Client requests answered, by event and outcome (ok or the error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
    collect: () => this.requestTally.publish(this.requests),
  });
  readonly rateLimited = new Counter({
    name: 'switchboard_rate_limited_total',
    help: 'Requests and connections refused by a rate limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly redisCommand = new Histogram({
    name: 'switchboard_redis_command_seconds',
    help: 'Latency of store operations against Redis',
    labelNames: ['operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly redisReconnects = new Counter({
    name: 'switchboard_redis_reconnects_total',
    help: 'Times a Redis connection of this node was re-established',
    registers: [this.registry],
  });
  readonly abuseDisconnects = new Counter({
    name: 'switchboard_abuse_disconnects_total',
    help: 'Sockets disconnected for sending too many invalid or rate-limited requests',
    registers: [this.registry],
  });
  readonly clusterMessages = new Counter({
    name: 'switchboard_cluster_messages_received_total',
    help: 'Messages this node received from the Socket.IO Redis adapter',
    registers: [this.registry],
  });

  // Two counters move on every relayed message: they are counted here as
  // plain numbers and handed to prom-client when it is scraped, which spares
  // every message prom-client's label hashing.
  private readonly requestTally = new Tally<'event' | 'outcome'>();
  private readonly relayedTally = new Tally<'event'>();

  /** `requests` + 1 for one answer; `outcome` is `ok` or the error code. */
  countRequest(event: string, outcome: string): void {
    this.requestTally.add(event, outcome, { event, outcome });
  }

  /** `signalingRelayed` + 1 for one relayed SDP or candidate. */
  countRelayed(event: string): void {
    this.relayedTally.add(event, '', { event });
  }

  constructor(nodeId: string) {
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Gauges that read the node's sockets at scrape time. */
  observe(view: LocalView): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('switchboard_sockets_connected', 'Socket.IO connections on this node', () => view.sockets());
    gauge('switchboard_devices_online', 'Devices connected to this node', () => view.devices());
    gauge('switchboard_users_online', 'Users with a device connected to this node', () => view.users());
    new Gauge({
      name: 'switchboard_calls',
      help: "Live calls of this node's devices, by state",
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { ringing, active } = view.callsByState();
        this.set({ state: 'ringing' }, ringing);
        this.set({ state: 'active' }, active);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Counts by label values, two levels deep, set into a counter at scrape time. */
class Tally<L extends string> {
  private readonly cells = new Map<string, Map<string, { labels: Record<L, string>; n: number }>>();

  add(first: string, second: string, labels: Record<L, string>): void {
    let row = this.cells.get(first);
    if (!row) {
      row = new Map();
      this.cells.set(first, row);
    }
    const cell = row.get(second);
    if (cell) cell.n++;
    else row.set(second, { labels, n: 1 });
  }

  publish(counter: Counter<L>): void {
    counter.reset();
    for (const row of this.cells.values()) for (const { labels, n } of row.values()) counter.inc(labels, n);
  }
}
