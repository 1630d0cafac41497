import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU and RSS of processes from /proc, sampled at the start and end of a measurement window. */

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  /** utime + stime of every thread, in ms. */
  cpuMs: number;
  rssKb: number;
}

export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    return { cpuMs: (ticks * 1000) / CLK_TCK, rssKb: rss ? Number(rss[1]) : 0 };
  } catch {
    return undefined;
  }
}

export interface ProcUsage {
  /** Share of one core over the window, in percent. */
  cpuPct: number;
  cpuMs: number;
  rssMb: number;
  peakRssMb: number;
}

/** Samples a set of named pids every 250 ms (for the peak RSS) until stopped. */
export class UsageWindow {
  private readonly start = new Map<string, ProcSample>();
  private readonly peak = new Map<string, number>();
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Record<string, number>) {
    for (const [name, pid] of Object.entries(pids)) {
      const s = readProc(pid);
      if (s) this.start.set(name, s);
    }
    this.timer = setInterval(() => this.samplePeak(), 250);
  }

  private samplePeak(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const s = readProc(pid);
      if (s) this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.rssKb));
    }
  }

  stop(): Record<string, ProcUsage> {
    clearInterval(this.timer);
    this.samplePeak();
    const wallMs = performance.now() - this.startedAt;
    const out: Record<string, ProcUsage> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const a = this.start.get(name);
      const b = readProc(pid);
      if (!a || !b) continue;
      const cpuMs = b.cpuMs - a.cpuMs;
      out[name] = {
        cpuPct: (cpuMs / wallMs) * 100,
        cpuMs,
        rssMb: b.rssKb / 1024,
        peakRssMb: (this.peak.get(name) ?? b.rssKb) / 1024,
      };
    }
    return out;
  }
}
