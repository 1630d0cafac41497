import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pinningAvailable } from './procs.js';

/** What the run ran on, and how loaded the machine was when it started and ended. */
export function machine(): Record<string, string | number> {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
  let nofile = '?';
  try {
    nofile = execFileSync('sh', ['-c', 'ulimit -n']).toString().trim();
  } catch {}
  return {
    nproc: os.availableParallelism(),
    cpu: model,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    'ulimit -n': nofile,
    pinning: pinningAvailable ? 'taskset: servers+redis cpu0, generators cpu1' : 'none (no taskset)',
    loadavgAtStart: os.loadavg()[0]!.toFixed(2),
  };
}
