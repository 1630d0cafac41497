import type { ChildProcess } from 'node:child_process';
import { ask, type StepReport } from './ipc.js';
import { forkGenerator, terminate } from './procs.js';
import { GEN } from './results.js';
import { type ProcUsage, UsageWindow } from './sampler.js';
import type { Deployment, Target } from './targets.js';

/** One target started, one generator process set up against it, steps measured with CPU/RSS, then all stopped. */

export interface Session {
  deployment: Deployment;
  generator: ChildProcess;
  setupInfo?: Record<string, unknown>;
  /** Runs one step at `rate`, sampling every server process and the generator meanwhile. */
  step(
    rate: number,
    durationMs: number,
    extra?: unknown,
  ): Promise<{ report: StepReport; usage: Record<string, ProcUsage> }>;
  pids(): Record<string, number>;
}

export async function withSession<T>(
  target: Target,
  generator: string,
  config: (d: Deployment) => unknown,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const deployment = await target.start();
  const gen = forkGenerator(generator);
  try {
    const ready = await ask(gen, { type: 'setup', config: config(deployment) });
    const pids = () => {
      const out: Record<string, number> = {};
      for (const p of deployment.procs) out[p.name] = p.pid;
      if (gen.pid) out[GEN] = gen.pid;
      return out;
    };
    const session: Session = {
      deployment,
      generator: gen,
      setupInfo: ready.type === 'ready' ? ready.info : undefined,
      pids,
      async step(rate, durationMs, extra) {
        const window = new UsageWindow(pids());
        const answer = await ask(gen, { type: 'step', rate, durationMs, extra });
        const usage = window.stop();
        if (answer.type !== 'result') throw new Error(`generator answered ${answer.type}`);
        return { report: answer.report, usage };
      },
    };
    return await fn(session);
  } finally {
    if (gen.connected) gen.send({ type: 'stop' });
    await terminate(gen, 5000);
    await deployment.stop();
  }
}
