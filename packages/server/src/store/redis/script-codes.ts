/**
 * The negative codes the Lua scripts return, named once here and turned into
 * store results by {@link codeOf} for every script.
 */
export const ScriptCode = {
  CALL_NOT_FOUND: -1,
  INVALID_STATE: -2,
  TOO_MANY_CALLS: -3,
  USER_OFFLINE: -4,
  BUSY: -5,
} as const;

export type ScriptCodeName = keyof typeof ScriptCode;

const names = new Map<number, ScriptCodeName>(
  Object.entries(ScriptCode).map(([name, code]) => [code, name as ScriptCodeName]),
);

/** The name of a script's error code; any other value is a bug in a script, not a state. */
export function codeOf(code: unknown): ScriptCodeName {
  const name = typeof code === 'number' ? names.get(code) : undefined;
  if (!name) throw new Error(`unexpected script result ${String(code)}`);
  return name;
}
