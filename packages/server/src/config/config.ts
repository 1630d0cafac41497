import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { uwsBinary } from '../http/uws-binary.js';

/** The secret dev mode signs tokens with. Public on purpose: dev mode is never for production. */
export const DEV_JWT_SECRET = 'switchboard-dev-secret-not-for-production';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const csv = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** Every environment variable a node reads, with its default. Documented in the README's table. */
const envSchema = z.object({
  PORT: int(8080).pipe(z.number().max(65535)),
  HOST: z.string().default('0.0.0.0'),
  NODE_ID: optional,
  DEV: flag,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optional.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, _ . - only')
    .default('sb'),
  JWT_SECRET: optional,
  JWT_PUBLIC_KEY: optional,
  JWKS_URL: optional.pipe(z.string().url().optional()),
  JWT_ISSUER: optional,
  JWT_AUDIENCE: optional,
  RING_TIMEOUT_MS: int(30_000, 1),
  MAX_CONCURRENT_CALLS: int(1, 1),
  PRESENCE_TTL_MS: int(30_000, 1000),
  HEARTBEAT_INTERVAL_MS: int(10_000, 100),
  RECONNECT_GRACE_MS: int(10_000),
  NODE_TTL_MS: int(10_000, 300),
  ENDED_CALL_RETENTION_MS: int(60_000, 60_000),
  CORS_ORIGINS: csv,
  TRUST_PROXY: flag,
  STUN_URLS: csv,
  TURN_URLS: csv,
  TURN_SECRET: optional,
  TURN_TTL_S: int(86_400, 60),
  RATE_LIMIT_INVITES_PER_MIN: int(10),
  RATE_LIMIT_SIGNALING_PER_10S: int(200),
  RATE_LIMIT_REQUESTS_PER_10S: int(50),
  RATE_LIMIT_CONNECTIONS_PER_10S: int(30),
  SHUTDOWN_TIMEOUT_MS: int(8_000, 100),
  ABUSE_MAX_STRIKES: int(300),
  ABUSE_WINDOW_MS: int(10_000, 100),
  HISTORY_MAX_PER_USER: int(200, 1).pipe(z.number().max(10_000)),
  PUSH_WEBHOOK_URL: optional.pipe(
    z
      .string()
      .url()
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
      .optional(),
  ),
  PUSH_WEBHOOK_SECRET: optional,
  WS_ENGINE: z.enum(['ws', 'uws']).default('ws'),
});

export type Env = z.output<typeof envSchema>;

export interface Config extends Env {
  nodeId: string;
  jwtSecret: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the environment once; the result is frozen. A bad
 * value fails with a message naming the variable, and a node with no way to
 * verify tokens refuses to start unless in dev mode.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const values = parsed.data;
  const dev = values.DEV || argv.includes('--dev');
  const hasJwtSetting = Boolean(values.JWT_SECRET || values.JWT_PUBLIC_KEY || values.JWKS_URL);
  if (!hasJwtSetting && !dev) {
    throw new ConfigError(
      'no way to verify tokens: set JWT_SECRET (HS256), JWT_PUBLIC_KEY (PEM, RS256/ES256) or JWKS_URL, or start in dev mode with --dev or DEV=1',
    );
  }
  if (values.WS_ENGINE === 'uws' && !uwsBinary()) {
    throw new ConfigError(
      `WS_ENGINE=uws: uWebSockets.js has no native build for ${process.platform}-${process.arch} on Node ${process.versions.node}; use WS_ENGINE=ws`,
    );
  }
  if (values.PUSH_WEBHOOK_URL && !values.PUSH_WEBHOOK_SECRET) {
    throw new ConfigError('PUSH_WEBHOOK_URL is set but PUSH_WEBHOOK_SECRET is not: push notices cannot be signed');
  }
  if (values.TURN_URLS.length > 0 && !values.TURN_SECRET) {
    throw new ConfigError('TURN_URLS is set but TURN_SECRET is not: TURN credentials cannot be minted');
  }
  return Object.freeze({
    ...values,
    DEV: dev,
    nodeId: values.NODE_ID ?? `node-${randomUUID().slice(0, 8)}`,
    jwtSecret: values.JWT_SECRET ?? (dev && !hasJwtSetting ? DEV_JWT_SECRET : undefined),
  });
}
