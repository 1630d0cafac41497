import { type Logger, pino } from 'pino';

/**
 * JSON logs, one object a line. SDP, candidates and tokens are never put in
 * a log field above debug; the redaction catches them if they slip in.
 */
export function createLogger(level: string, nodeId: string): Logger {
  return pino({
    level,
    base: { nodeId },
    redact: { paths: ['sdp', '*.sdp', 'candidate', '*.candidate', 'token', '*.token'], censor: '[redacted]' },
  });
}
