/**
 * The load-balancing hint of a session (README "Several nodes"): the client puts it in its
 * /signal URL (`?k=`), so a proxy can send both participants of a call to the same node without
 * ever seeing the session id, the call's only credential. It is 32 bits (FNV-1a) of a 122-bit
 * random id: billions of billions of ids share each hint, so it cannot be turned back into the id.
 */
export function affinityHint(sessionId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    hash ^= sessionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
