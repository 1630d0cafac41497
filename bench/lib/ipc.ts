import type { ChildProcess } from 'node:child_process';
import type { LatencySummary } from './stats.js';

/** The messages between the orchestrator and a generator process. */

export type ToGenerator =
  | { type: 'setup'; config: unknown }
  | { type: 'step'; rate: number; durationMs: number; extra?: unknown }
  | { type: 'stop' };

export interface StepReport {
  /** Operations (messages, calls) the step tried to start. */
  attempted: number;
  completed: number;
  errors: number;
  /** Completed operations per second of the step's send window. */
  throughput: number;
  latency: LatencySummary;
  /** Scenario-specific figures (call durations, ring-timeout lateness...). */
  extra?: Record<string, unknown>;
}

export type FromGenerator =
  | { type: 'ready'; info?: Record<string, unknown> }
  | { type: 'result'; report: StepReport }
  | { type: 'error'; message: string };

/** Sends one message to a generator and resolves with its next answer (or rejects on its error or exit). */
export function ask(child: ChildProcess, msg: ToGenerator, timeoutMs = 600_000): Promise<FromGenerator> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: FromGenerator) => {
      cleanup();
      if (m.type === 'error') reject(new Error(`generator: ${m.message}`));
      else resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`generator exited with ${code}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`generator did not answer ${msg.type} in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(msg);
  });
}

/** Generator side: runs the handlers for setup and each step, answering over IPC. */
export function serveGenerator(handlers: {
  setup(config: unknown): Promise<Record<string, unknown> | undefined>;
  step(rate: number, durationMs: number, extra: unknown): Promise<StepReport>;
  stop(): Promise<void>;
}): void {
  const reply = (m: FromGenerator) => process.send?.(m);
  process.on('message', async (msg: ToGenerator) => {
    try {
      if (msg.type === 'setup') reply({ type: 'ready', info: await handlers.setup(msg.config) });
      else if (msg.type === 'step')
        reply({ type: 'result', report: await handlers.step(msg.rate, msg.durationMs, msg.extra) });
      else {
        await handlers.stop();
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
