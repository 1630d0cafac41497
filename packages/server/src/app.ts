import type { AddressInfo } from 'node:net';
import { type ClientToServerEvents, clientEventNames, type ServerToClientEvents } from '@switchboard/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Server, type ServerOptions } from 'socket.io';
import { signDevToken } from './auth/dev-token.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/config.js';
import { CallService } from './domain/call-service.js';
import { DeviceService } from './domain/device-service.js';
import { Maintenance } from './domain/maintenance.js';
import { PresenceService } from './domain/presence-service.js';
import { forEachLimited } from './for-each-limited.js';
import type { Front } from './http/front.js';
import { createHttpRoutes } from './http/http-routes.js';
import { nodeFront } from './http/node-front.js';
import { guardSlowReaders } from './http/slow-reader-guard.js';
import { uwsFront } from './http/uws-front.js';
import { callObserver } from './metrics/call-observer.js';
import { type LocalView, Metrics } from './metrics/metrics.js';
import { WebhookPush } from './push/webhook.js';
import { RateLimits } from './ratelimit/rate-limits.js';
import { iceServersFor } from './session/ice-servers.js';
import type { Store } from './store/store.js';
import { AbuseGuard } from './transport/abuse-guard.js';
import { admission, MAX_HTTP_BUFFER } from './transport/admission.js';
import { knownCalls, noteRequest, peekCalls } from './transport/call-tracker.js';
import { handleConnection } from './transport/connection.js';
import { contextOf, refreshLiveness, sessionOf } from './transport/device-context.js';
import { createHandlers } from './transport/handlers.js';
import { handshakeMiddleware } from './transport/handshake.js';
import { noteUpgradeResponses } from './transport/release-request.js';
import { RequestRouter } from './transport/request-router.js';
import { SocketNotifier } from './transport/socket-notifier.js';

export interface NodeOptions {
  config: Config;
  store: Store;
  logger: Logger;
  /** Shared rate-limit counters; without it limits are this node's own. */
  redis?: Redis;
  keyPrefix?: string;
  adapter?: ServerOptions['adapter'];
  /** Where this node's metrics go; one is made when absent. */
  metrics?: Metrics;
  /** False while the store is unreachable (`/readyz` answers 503). */
  isStoreReady?: () => boolean;
  /** Resolves once the rooms sockets joined are live on the adapter (Redis subscriptions confirmed). */
  roomsReady?: () => Promise<void>;
  now?: () => number;
}

const TICK_MS = 250;
/** Devices whose missed events a resync reads at once. */
const RECONCILE_CONCURRENCY = 32;
const clientEvents = new Set<string>(clientEventNames);
const isClientEvent = (event: string) => clientEvents.has(event);

/** One Switchboard node: HTTP and Socket.IO on one port, the domain services, and the periodic workers. */
export class SwitchboardNode {
  private readonly front: Front;
  private readonly stopSlowReaderGuard: () => void;
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  readonly calls: CallService;
  readonly devices: DeviceService;
  readonly maintenance: Maintenance;
  private draining = false;
  private resyncRunning: Promise<void> | undefined;
  private resyncQueued: Promise<void> | undefined;

  readonly metrics: Metrics;
  private readonly logger: Logger;
  /** The push webhook client, when `PUSH_WEBHOOK_URL` is set. */
  private readonly push: WebhookPush | undefined;
  private readonly limits: RateLimits;

  constructor(options: NodeOptions) {
    const { config, store, logger } = options;
    this.logger = logger;
    this.metrics = options.metrics ?? new Metrics(config.nodeId);
    this.metrics.observe(this.localView());
    const now = options.now ?? Date.now;
    const devSecret = config.DEV ? config.jwtSecret : undefined;
    const routes = createHttpRoutes({
      isReady: () => !this.draining && (options.isStoreReady?.() ?? true),
      metrics: () => this.metrics.render(),
      ...(devSecret && { signDevToken: (userId: string) => signDevToken(devSecret, userId) }),
      ...(config.DEV && { demo: true as const }),
    });
    this.front = config.WS_ENGINE === 'uws' ? uwsFront(routes) : nodeFront(routes);
    this.io = new Server({
      path: '/socket.io',
      serveClient: false,
      maxHttpBufferSize: MAX_HTTP_BUFFER,
      // While draining, and for pages from origins not allowed: HTTP 403 before any session.
      allowRequest: admission({
        corsOrigins: config.CORS_ORIGINS,
        trustProxy: config.TRUST_PROXY,
        isDraining: () => this.draining,
      }),
      // Pongs refresh presence, so they must come well within its TTL.
      pingInterval: Math.min(25_000, Math.floor(config.PRESENCE_TTL_MS / 2)),
      pingTimeout: 20_000,
      cors: { origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false },
      ...(options.adapter && { adapter: options.adapter }),
    });

    this.front.attach(this.io);
    // On either front: Engine.IO holds what waits for a long-polling device, and `ws` what waits for a WebSocket.
    this.stopSlowReaderGuard = guardSlowReaders(this.io);
    noteUpgradeResponses(this.io);
    const notifier = new SocketNotifier(this.io, options.adapter ? undefined : this.io.of('/'));
    const presence = new PresenceService(store, notifier);
    const push = config.PUSH_WEBHOOK_URL
      ? new WebhookPush({ url: config.PUSH_WEBHOOK_URL, secret: config.PUSH_WEBHOOK_SECRET ?? '', logger, now })
      : undefined;
    this.push = push;
    this.calls = new CallService(
      store,
      notifier,
      presence,
      {
        ringTimeoutMs: config.RING_TIMEOUT_MS,
        maxConcurrentCalls: config.MAX_CONCURRENT_CALLS,
        endedRetentionMs: config.ENDED_CALL_RETENTION_MS,
        ringOffline: push !== undefined,
      },
      now,
      callObserver(this.metrics, logger, now),
      push,
    );
    this.devices = new DeviceService(
      store,
      notifier,
      presence,
      { nodeId: config.nodeId, presenceTtlMs: config.PRESENCE_TTL_MS, reconnectGraceMs: config.RECONNECT_GRACE_MS },
      now,
      new SocketNotifier(this.io.local),
    );
    this.maintenance = new Maintenance(
      store,
      this.calls,
      presence,
      {
        nodeId: config.nodeId,
        nodeTtlMs: config.NODE_TTL_MS,
        reconnectGraceMs: config.RECONNECT_GRACE_MS,
        endedRetentionMs: config.ENDED_CALL_RETENTION_MS,
        tickMs: TICK_MS,
      },
      {
        onNodeUnknown: (swept) => {
          // Worth an alert: the cluster took this node for dead (its
          // refreshes were late or lost) and dropped its devices.
          if (swept) logger.warn('the cluster swept this node as dead; registering its devices again');
          return this.resyncLocalDevices();
        },
        onError: (err) => logger.warn({ err }, 'maintenance round failed'),
      },
      now,
    );

    const limits = new RateLimits(config, options.redis, options.keyPrefix, (limit) =>
      this.metrics.rateLimited.inc({ limit }),
    );
    this.limits = limits;
    const abuse = new AbuseGuard(
      { maxStrikes: config.ABUSE_MAX_STRIKES, windowMs: config.ABUSE_WINDOW_MS },
      (socket, kind, strikes) => {
        this.metrics.abuseDisconnects.inc();
        const { userId, deviceId } = sessionOf(socket);
        logger.warn({ userId, deviceId, last: kind, strikes }, 'socket disconnected for abuse');
      },
    );
    const router = new RequestRouter(
      createHandlers({
        calls: this.calls,
        devices: this.devices,
        presence,
        now,
        ...(options.roomsReady && { roomsReady: options.roomsReady }),
        ...(options.isStoreReady && { storeReady: options.isStoreReady }),
      }),
      limits,
      logger,
      {
        onInvalid: ({ socket }) => abuse.strike(socket, 'invalid'),
        onRateLimited: ({ socket }) => abuse.strike(socket, 'rate_limited'),
        onSucceeded: ({ socket }, event, callId) => {
          noteRequest(socket, event, callId);
          if (event === 'sdp_offer' || event === 'sdp_answer' || event === 'ice_candidate') {
            this.metrics.countRelayed(event);
          }
        },
        onAnswered: (event, code) => this.metrics.countRequest(isClientEvent(event) ? event : 'unknown', code ?? 'ok'),
      },
    );
    this.io.use(
      handshakeMiddleware({ verifyToken: createTokenVerifier(config), limits, trustProxy: config.TRUST_PROXY }),
    );
    this.io.on(
      'connection',
      handleConnection({
        devices: this.devices,
        router,
        logger,
        presenceTtlMs: config.PRESENCE_TTL_MS,
        isServing: () => !this.draining,
        ...(options.roomsReady && { roomsReady: options.roomsReady }),
        sessionFor: (userId, deviceId) => ({
          userId,
          deviceId,
          nodeId: config.nodeId,
          iceServers: iceServersFor(userId, config, now()),
          heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
          ringTimeoutMs: config.RING_TIMEOUT_MS,
          maxConcurrentCalls: config.MAX_CONCURRENT_CALLS,
        }),
      }),
    );
  }

  async listen(port: number, host?: string): Promise<AddressInfo> {
    const address = await this.front.listen(port, host);
    await this.maintenance.tick();
    this.maintenance.start();
    return address;
  }

  /**
   * Stops taking connections and hands this node's devices over: each is
   * told to reconnect elsewhere and its transport is closed (a server-side
   * disconnect would stop the client from reconnecting). Devices stay
   * registered, so their calls continue once they reconnect; those that do
   * not come back are swept with this node.
   */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.maintenance.stop();
    // Still listening, so /readyz answers 503; new Socket.IO connections are refused (see `admission`).
    this.io.local.emit('server_draining', {});
    // Give the draining notice a moment to leave before the transports close.
    await new Promise((r) => setTimeout(r, 100));
    for (const socket of this.io.of('/').sockets.values()) socket.conn.close();
  }

  async close(): Promise<void> {
    this.maintenance.stop();
    this.stopSlowReaderGuard();
    this.push?.close();
    this.limits.close();
    // A request still in flight (a scrape, a health check) may hold the close up for a second at most.
    const force = setTimeout(() => this.front.dropConnections(), 1000);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.front.stopListening();
    clearTimeout(force);
  }

  private localView(): LocalView {
    const sockets = () => [...this.io.of('/').sockets.values()];
    return {
      sockets: () => this.io.of('/').sockets.size,
      devices: () => new Set(sockets().map((s) => contextOf(s).room)).size,
      users: () => new Set(sockets().map((s) => contextOf(s).device.userId)).size,
      callsByState: () => {
        const counts = { ringing: 0, active: 0 };
        for (const socket of sockets()) for (const call of peekCalls(socket).values()) counts[call.state]++;
        return counts;
      },
    };
  }

  /**
   * After the store was unreachable or forgot this node: every local device
   * is registered again (unless a later connection of the device holds it
   * meanwhile, in which case this stale socket is closed so the device keeps
   * one connection; see `DeviceService.touch`) and
   * told what it missed. Runs one at a time: Redis' return and the node's
   * own "forgotten" check fire together, and two overlapping runs would both
   * read a vanished call before either told the device, telling it twice. A
   * request made during a run gets one more run after it.
   */
  resyncLocalDevices(): Promise<void> {
    if (!this.resyncRunning) {
      this.resyncRunning = this.resyncOnce().finally(() => {
        this.resyncRunning = undefined;
      });
      return this.resyncRunning;
    }
    this.resyncQueued ??= this.resyncRunning.then(() => {
      this.resyncQueued = undefined;
      return this.resyncLocalDevices();
    });
    return this.resyncQueued;
  }

  private async resyncOnce(): Promise<void> {
    // A socket still registering is left to its registration, which
    // replaces whatever the store names.
    const sockets = [...this.io.of('/').sockets.values()].filter(
      (socket) => socket.connected && contextOf(socket).registration !== 'pending',
    );
    // All refreshed at once: the store sends the refreshes asked for
    // together as one script, where one socket at a time waited out a
    // batch window each (20 ms a socket on Redis).
    const refreshed = await Promise.allSettled(
      sockets.map(async (socket) => ({ socket, live: await refreshLiveness(this.devices, contextOf(socket)) })),
    );
    // What each device missed is read for many at once: one device's read
    // (or its wait for a recent end to land) need not hold up the others.
    try {
      await forEachLimited(refreshed, RECONCILE_CONCURRENCY, async (result) => {
        if (result.status === 'rejected') throw result.reason;
        const { socket, live } = result.value;
        if (live) await this.devices.reconcile(sessionOf(socket), knownCalls(socket));
      });
    } catch (err) {
      // The store's return, or the node's next check, runs it again.
      this.logger.warn({ err }, 'device resync failed');
    }
  }
}
