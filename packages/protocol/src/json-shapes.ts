// Shape tests shared by the schemas and the signaling fast path, so that the
// two accept by the same rules. Internal: not exported from the package.

/** A UUID, hex digits in lower case; the schemas add the `i` flag. */
export const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An object as JSON.parse makes one: not an array, a class instance or a Map. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
