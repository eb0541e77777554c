import { CloseCode, hangupFrame } from '../../shared/protocol/index.js';
import type { Metrics } from '../metrics.js';
import type { Connection } from './connection.js';
import { tellPeer } from './handshake.js';
import type { LiveContexts } from './live-contexts.js';
import { type ContextRef, contextOf } from './session-events.js';
import type { RemoteEvent } from './session-registry.js';

export interface RemoteEventsOptions {
  connections: ReadonlyMap<string, Connection>;
  contexts: LiveContexts;
  metrics: Metrics;
  startAlone(context: ContextRef): void;
}

/**
 * Applies what another node (or the sweeper) changed in the session of one of this node's
 * sockets (several nodes sharing a registry): a frame to deliver, the peer's new state, the
 * session's end, or a place this node lost (its socket closes with 1012 so the client resumes).
 */
export function applyRemoteEvent(event: RemoteEvent, o: RemoteEventsOptions): void {
  const conn = o.connections.get(event.link);
  const seat = conn?.seat;
  if (conn === undefined || seat == null) return;
  switch (event.kind) {
    case 'frame':
      conn.deliver(event.text);
      o.metrics.frameRelayed();
      return;
    case 'peer':
      tellPeer(o.connections, event.link, seat.sessionId, event.state);
      if (event.state === 'left') o.startAlone(seat);
      else if (event.state === 'joined' || event.state === 'back')
        o.contexts.currentTimers(seat.sessionId)?.cancelAlone();
      return;
    case 'ended':
      // The node that ended the context reported it; here only its timers go.
      o.contexts.discard(contextOf(seat));
      conn.state = { kind: 'ended' };
      conn.deliver(JSON.stringify(hangupFrame(seat.sessionId, event.reason)));
      conn.link.close(CloseCode.NORMAL, 'session ended');
      return;
    case 'lost':
      // This node no longer holds the place (declared dead, or the place moved): the client resumes.
      // Its alone timeout, if any, now runs where the place went.
      o.contexts.currentTimers(seat.sessionId)?.cancelAlone();
      conn.state = { kind: 'replaced' };
      conn.link.close(CloseCode.SERVICE_RESTART, 'place moved to another node');
      return;
  }
}
