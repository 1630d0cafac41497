#!/usr/bin/env node
import { SwitchboardNode } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { createStore } from './store/create-store.js';

/** Entry point: configuration from the environment, one node on PORT, clean exit on SIGTERM. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL, config.nodeId);
  // A fault nothing caught is a bug: say so in the logs (where alerts look), then die as Node would.
  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    process.on(event, (err: unknown) => {
      logger.fatal({ err }, event === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception');
      process.exit(1);
    });
  }
  if (config.DEV) {
    logger.warn(
      '*** DEV MODE: tokens are signed with a fixed, public secret and POST /dev/token hands them to anyone. Never expose this node. ***',
    );
  }
  const metrics = new Metrics(config.nodeId);
  const backend = await createStore(config, logger, metrics);
  const node = new SwitchboardNode({ config, logger, metrics, ...backend });
  backend.onStoreRecovered?.(() => void node.resyncLocalDevices());
  const address = await node.listen(config.PORT, config.HOST);
  logger.info(
    { port: address.port, host: config.HOST, store: backend.kind, engine: config.WS_ENGINE },
    'switchboard node listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    logger.info({ signal, sockets: node.io.of('/').sockets.size }, 'draining');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    await node.drain();
    await node.close();
    await backend.close();
    logger.info({ tookMs: Date.now() - startedAt }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(
    `switchboard: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
