/**
 * `npm test` runs the suite twice: on the default engine, then with
 * `TEST_WS_ENGINE=uws` on uWebSockets.js. Every node a test starts takes it,
 * unless the test names an engine itself.
 */
export const TEST_WS_ENGINE: Record<string, string> = process.env.TEST_WS_ENGINE
  ? { WS_ENGINE: process.env.TEST_WS_ENGINE }
  : {};
