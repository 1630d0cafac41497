// tsc compiles the server into packages/server/dist but copies only what it
// compiles; the Redis store and the rate limits read their Lua scripts next
// to their own modules, so they are copied over with the same relative layout.
import { cpSync, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

for (const dir of ['store/redis/lua/', 'ratelimit/lua/']) {
  const from = fileURLToPath(new URL(`../packages/server/src/${dir}`, import.meta.url));
  const to = fileURLToPath(new URL(`../packages/server/dist/${dir}`, import.meta.url));
  if (!existsSync(from)) throw new Error(`no Lua scripts at ${from}`);
  cpSync(from, to, { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.lua') });
}
