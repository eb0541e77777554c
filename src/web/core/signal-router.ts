import {
  type CandidateInit,
  type ClientFrame,
  type IceServer,
  answerFrame,
  candidateFrame,
  offerFrame,
} from '../../shared/protocol/index.js';
import type { Description, OutgoingSignal } from '../rtc/peer-session.js';
import type { SignalEvent } from '../signaling/signal-client.js';
import type { CallEvent, CallState } from './call-machine.js';

/** One thing the controller does for a signalling event, in the order given. */
export type SignalStep =
  | { kind: 'dispatch'; event: CallEvent }
  | { kind: 'ice-servers'; iceServers: IceServer[] }
  /** For the peer connection as it is when this step runs (an earlier step may have made it). */
  | { kind: 'description'; description: Description }
  | { kind: 'candidate'; candidate: CandidateInit }
  | { kind: 'log'; message: string };

/** Turns what the signalling transport reports into call events and peer connection input. */
export function routeSignalEvent(ev: SignalEvent, state: CallState): SignalStep[] {
  switch (ev.type) {
    case 'status':
      return [{ kind: 'dispatch', event: { type: 'signal-status', status: ev.status } }];
    case 'joined':
      return [
        { kind: 'ice-servers', iceServers: ev.frame.iceServers },
        {
          kind: 'dispatch',
          event: { type: 'joined', peer: ev.frame.peer, resumed: ev.resumed, afterLoss: ev.afterLoss },
        },
      ];
    case 'error':
      return [
        {
          kind: 'dispatch',
          event: { type: 'signal-error', code: ev.frame.code, duringJoin: ev.duringJoin, resumed: ev.resumed },
        },
      ];
    case 'frame': {
      const f = ev.frame;
      switch (f.type) {
        case 'offer':
        case 'answer': {
          const apply: SignalStep = { kind: 'description', description: { type: f.type, sdp: f.sdp } };
          // An offer with no connection here: the other side restarted its page; answer it.
          if (f.type === 'offer' && state.kind === 'call' && !state.hasPeer)
            return [{ kind: 'dispatch', event: { type: 'remote-offer-without-peer' } }, apply];
          return [apply];
        }
        case 'candidate':
          return [{ kind: 'candidate', candidate: f.candidate }];
        case 'peer':
          return [{ kind: 'dispatch', event: { type: 'peer', state: f.state } }];
        case 'hangup':
          return [{ kind: 'dispatch', event: { type: 'remote-hangup', reason: f.reason } }];
        case 'pong':
          return [];
        default: {
          const never: never = f;
          return [{ kind: 'log', message: `unexpected frame ${JSON.stringify(never)}` }];
        }
      }
    }
  }
}

/** The frame that carries a peer connection's outgoing description or candidate. */
export function signalFrame(sessionId: string, s: OutgoingSignal): ClientFrame {
  if (s.kind === 'candidate') return candidateFrame(sessionId, s.candidate);
  return s.description.type === 'offer'
    ? offerFrame(sessionId, s.description.sdp)
    : answerFrame(sessionId, s.description.sdp);
}
