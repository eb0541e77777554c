/**
 * RFC 9562 UUID syntax (any version and variant nibble), any letter case. The id is the
 * call's only credential, so anything that is not exactly 36 characters of this shape
 * (braces, spaces, URL-encoding, homoglyphs) is refused.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL = '00000000-0000-0000-0000-000000000000';
const MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** Returns the lower-case session id, or `null` when `value` is not a UUID. */
export function normalizeSessionId(value: unknown): string | null {
  if (typeof value !== 'string' || value.length !== 36 || !UUID_RE.test(value)) return null;
  const id = value.toLowerCase();
  // The nil and max UUIDs carry no randomness: nobody should share a call under them.
  return id === NIL || id === MAX ? null : id;
}
