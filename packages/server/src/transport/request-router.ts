import {
  type Ack,
  type ClientEventName,
  clientEventNames,
  type ErrorBody,
  type RequestPayload,
  type RequestResults,
  requestSchemas,
  signalingFastPath,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { LimitKind, RateLimits } from '../ratelimit/rate-limits.js';
import { errorBody, toErrorBody } from './answer.js';
import { contextOf, type DeviceContext } from './device-context.js';
import { type AckFn, SignalingLane } from './signaling-lane.js';
import { listenAny } from './socket-listeners.js';

/** The sender's {@link DeviceContext}, which handlers get as is: nothing is made per request. */
export type RequestContext = DeviceContext;

export type Handler<E extends ClientEventName> = (
  ctx: RequestContext,
  payload: RequestPayload<E>,
) => Promise<RequestResults[E]> | RequestResults[E];

export type Handlers = { [E in ClientEventName]: Handler<E> };

/** Which limit each event counts against; an invite counts toward its own limit only. */
function limitOf(event: ClientEventName): LimitKind {
  if (event === 'call_invite') return 'invite';
  if (event === 'sdp_offer' || event === 'sdp_answer' || event === 'ice_candidate') return 'signaling';
  return 'request';
}

const known = new Set<string>(clientEventNames);

/** The contract's shortcut for plainly valid signaling (see `signalingFastPath`); zod judges the rest. */
const fastPaths: Partial<Record<ClientEventName, (input: unknown) => unknown>> = signalingFastPath;

export interface RouterHooks {
  /** A request failed validation; lets the caller count abuse. */
  onInvalid?(ctx: RequestContext): void;
  /** A request was refused by a rate limit; lets the caller count abuse. */
  onRateLimited?(ctx: RequestContext): void;
  onAnswered?(event: string, code: string | undefined): void;
  /** A request succeeded; `callId` is the call it concerned, if any. */
  onSucceeded?(ctx: RequestContext, event: ClientEventName, callId: string | undefined): void;
}

/**
 * Runs every client request through the contract's pipeline: payload
 * schema, rate limit, then the handler (which checks call, role and state),
 * and answers through the ack, or with `request_error` when the client sent
 * none. Nothing a client sends can throw out of here.
 */
export class RequestRouter {
  constructor(
    private readonly handlers: Handlers,
    private readonly limits: RateLimits,
    private readonly logger: Logger,
    private readonly hooks: RouterHooks = {},
  ) {}

  /**
   * One listener, shared by every socket (Socket.IO calls it with the socket
   * as `this`), routes every event: a listener per event name cost a
   * closure each on every connected device.
   */
  private readonly route = (() => {
    const router = this;
    return function route(this: Socket, event: unknown, ...args: unknown[]): void {
      const ctx = contextOf(this);
      if (typeof event === 'string' && known.has(event)) {
        const { payload, ack } = splitArgs(args);
        router.handle(ctx, event as ClientEventName, payload, ack);
        return;
      }
      const { ack } = splitArgs(args);
      router.fail(ctx, String(event), ack, errorBody('INVALID_PAYLOAD', 'unknown event'));
      router.hooks.onInvalid?.(ctx);
    };
  })();

  /** Signaling requests read ahead of Socket.IO (see {@link SignalingLane}). */
  private readonly lane = new SignalingLane((socket, event, payload, ack) =>
    this.handle(contextOf(socket), event, payload, ack),
  );

  attach(socket: Socket): void {
    listenAny(socket, this.route);
    this.lane.open(socket);
  }

  /**
   * Stays synchronous while nothing it calls returns a promise (a limit
   * that is off or leased, a relay to a confirmed peer): an await would cost
   * a microtask hop on every relayed message.
   */
  private handle<E extends ClientEventName>(
    ctx: RequestContext,
    event: E,
    payload: unknown,
    ack: AckFn | undefined,
  ): void {
    let data = fastPaths[event]?.(payload) as RequestPayload<E> | undefined;
    if (data === undefined) {
      const parsed = requestSchemas[event].safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        this.fail(ctx, event, ack, errorBody('INVALID_PAYLOAD', `${where}${issue?.message ?? 'invalid payload'}`));
        this.hooks.onInvalid?.(ctx);
        return;
      }
      data = parsed.data as RequestPayload<E>;
    }
    // The device room's name is the per-device key: one string per socket, already kept for the room.
    const key = event === 'call_invite' ? ctx.device.userId : ctx.room;
    let limited: Promise<number | undefined> | number | undefined;
    try {
      limited = this.limits.consume(limitOf(event), key);
    } catch (err) {
      this.failed(ctx, event, data, ack, err);
      return;
    }
    if (!(limited instanceof Promise)) this.run(ctx, event, data, ack, limited);
    else {
      limited.then(
        (retryAfterMs) => this.run(ctx, event, data, ack, retryAfterMs),
        (err: unknown) => this.failed(ctx, event, data, ack, err),
      );
    }
  }

  private run<E extends ClientEventName>(
    ctx: RequestContext,
    event: E,
    data: RequestPayload<E>,
    ack: AckFn | undefined,
    retryAfterMs: number | undefined,
  ): void {
    if (retryAfterMs !== undefined) {
      this.fail(ctx, event, ack, { ...errorBody('RATE_LIMITED'), retryAfterMs });
      this.hooks.onRateLimited?.(ctx);
      return;
    }
    let result: RequestResults[E] | Promise<RequestResults[E]>;
    try {
      result = this.handlers[event](ctx, data);
    } catch (err) {
      this.failed(ctx, event, data, ack, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r: RequestResults[E]) => this.succeed(ctx, event, data, ack, r),
        (err: unknown) => this.failed(ctx, event, data, ack, err),
      );
    } else this.succeed(ctx, event, data, ack, result);
  }

  private succeed<E extends ClientEventName>(
    ctx: RequestContext,
    event: E,
    data: RequestPayload<E>,
    ack: AckFn | undefined,
    result: RequestResults[E],
  ): void {
    try {
      this.hooks.onAnswered?.(event, undefined);
      const callId = (result as { callId?: unknown }).callId ?? (data as { callId?: unknown }).callId;
      this.hooks.onSucceeded?.(ctx, event, typeof callId === 'string' ? callId : undefined);
      ack?.({ ok: true, ...result } as Ack<RequestResults[E]>);
    } catch (err) {
      this.failed(ctx, event, data, ack, err);
    }
  }

  private failed(ctx: RequestContext, event: string, data: unknown, ack: AckFn | undefined, err: unknown): void {
    const { body, internal } = toErrorBody(err);
    if (internal) {
      const { userId, deviceId } = ctx.device;
      const callId = (data as { callId?: unknown }).callId;
      this.logger.error(
        { err, event, userId, deviceId, ...(typeof callId === 'string' && { callId }) },
        'request failed',
      );
    }
    this.fail(ctx, event, ack, body);
  }

  private fail(ctx: RequestContext, event: string, ack: AckFn | undefined, error: ErrorBody): void {
    this.hooks.onAnswered?.(event, error.code);
    if (ack) ack({ ok: false, error });
    else ctx.socket.emit('request_error', { event, ...error });
  }
}

/** Socket.IO hands the ack as the last argument; a request with an ack and no payload has it first. */
function splitArgs(args: unknown[]): { payload: unknown; ack: AckFn | undefined } {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    return { payload: args.length > 1 ? args[0] : undefined, ack: last as AckFn };
  }
  return { payload: args[0], ack: undefined };
}
