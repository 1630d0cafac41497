// tsc compiles the server into packages/server/dist but copies only what it
// compiles; the Redis store reads its Lua scripts next to its own module, so
// they are copied over with the same relative layout.
import { cpSync, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../packages/server/src/store/redis/lua/', import.meta.url));
const to = fileURLToPath(new URL('../packages/server/dist/store/redis/lua/', import.meta.url));

if (!existsSync(from)) throw new Error(`no Lua scripts at ${from}`);
cpSync(from, to, { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.lua') });
