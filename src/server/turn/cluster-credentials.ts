import type { CredentialSeat, MintedCredential, TurnCredentials } from './turn-credentials.js';

/** What the wiring needs of the shared registry (RedisRegistry). */
export interface EndedContexts {
  onContextEnded(listener: (contextId: string) => void): void;
  endedBeforeAdmission(contextId: string): boolean;
}

/**
 * The built-in TURN server's credentials on a node sharing sessions through Redis: a context
 * that ended anywhere (a hangup on another node, the sweeper) ends its credentials here too,
 * also those of a participant no longer on this node. A context's end can reach this node
 * before the node's own join reply does (they come on two Redis connections): its revocation
 * then found nothing to revoke, so what the late admission mints is revoked before it is sent.
 * Returns the mint the `joined` frames use.
 */
export function clusterCredentials(
  registry: EndedContexts,
  credentials: Pick<TurnCredentials, 'mint' | 'endContext'>,
): (seat: CredentialSeat) => MintedCredential {
  registry.onContextEnded((contextId) => credentials.endContext(contextId));
  return (seat) => {
    const minted = credentials.mint(seat);
    if (registry.endedBeforeAdmission(seat.contextId)) credentials.endContext(seat.contextId);
    return minted;
  };
}
