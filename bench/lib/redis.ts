import { spawn } from 'node:child_process';
import { freePort, pin, SERVER_CPU, type ServerProcess, terminate, track, waitForPort } from './procs.js';

/** A throwaway `redis-server` on a free port (never the machine's 6379), no persistence, on the server core. */
export async function startRedis(): Promise<ServerProcess & { redisUrl: string }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  child.on('error', () => {});
  track(child);
  pin(child.pid, SERVER_CPU);
  await waitForPort(port, child, 'redis-server');
  return {
    name: 'redis',
    pid: child.pid!,
    port,
    url: `redis://127.0.0.1:${port}`,
    redisUrl: `redis://127.0.0.1:${port}`,
    env: {},
    stop: () => terminate(child),
  };
}
