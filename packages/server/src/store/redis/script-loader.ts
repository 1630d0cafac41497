import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Loads `lua/<operation>-<numKeys>.lua`, inlines `--- @include "<name>"`
 * lines from `lua/includes/`, and registers each script once on an ioredis
 * connection with `defineCommand`, which sends EVALSHA and falls back to EVAL
 * when Redis lost the script (after a restart, say).
 *
 * The scripts sit next to this module in the sources; `npm run build` copies
 * them into `dist` (scripts/copy-lua.mjs), since tsc does not.
 */

const luaDir = new URL('./lua/', import.meta.url);
const includePattern = /^--- @include "([\w-]+)"\s*$/gm;

export interface LuaScript {
  /** ioredis command name, e.g. `createCall` for `create-call-5.lua`. */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** A registered script: KEYS then ARGV, as the file's header lists them. */
export type ScriptCall = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

let cached: readonly LuaScript[] | undefined;

/** Every script of `lua/`, read once per process. */
export function loadScripts(): readonly LuaScript[] {
  cached ??= readdirSync(luaDir)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => {
      const match = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
      if (!match) throw new Error(`Lua script ${file} must be named <operation>-<numKeys>.lua`);
      const [, operation = '', keys = ''] = match;
      return {
        name: operation.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
        numberOfKeys: Number(keys),
        lua: inlineIncludes(readFileSync(new URL(file, luaDir), 'utf8'), new Set()),
      };
    });
  return cached;
}

/** Each include lands once per script, where it is first asked for, so nested includes may share one. */
function inlineIncludes(source: string, seen: Set<string>): string {
  return source.replace(includePattern, (_, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    const included = readFileSync(new URL(`includes/${name}.lua`, luaDir), 'utf8');
    return inlineIncludes(included, seen);
  });
}

/** Registers every script on `redis` and answers a caller for each, by command name. */
export function registerScripts(redis: Redis): Map<string, ScriptCall> {
  const calls = new Map<string, ScriptCall>();
  // defineCommand adds methods ioredis cannot type; this is the one place that reaches them.
  const commands = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  for (const script of loadScripts()) {
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    const command = commands[script.name];
    if (!command) throw new Error(`ioredis did not define ${script.name}`);
    calls.set(script.name, (keys, args) => command.call(redis, ...keys, ...args));
  }
  return calls;
}
