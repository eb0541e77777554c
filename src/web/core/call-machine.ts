import type { ErrorCode, PeerState } from '../../shared/protocol/index.js';
import type { MessageKey } from '../i18n/i18n.js';

/** Why a call ended, as the ended screen explains it. */
export type EndReason = 'local' | 'remote' | 'timeout' | 'lifetime' | 'session-ended';
export type SignalStatus = 'connecting' | 'online' | 'offline';
export type PeerPresence = 'absent' | 'present' | 'away';
/** Media path between the browsers: none yet, up, or interrupted (ICE is restarting). */
export type MediaLink = 'none' | 'connected' | 'interrupted';

export interface InCall {
  readonly kind: 'call';
  readonly sessionId: string;
  /** True until this page's first `joined`: a stored resume token may belong to an old call. */
  readonly fresh: boolean;
  /** Joined first (or stayed when the other left): this side offers on a fresh connection. */
  readonly first: boolean;
  readonly signal: SignalStatus;
  readonly peer: PeerPresence;
  readonly media: MediaLink;
  /** Whether an RTCPeerConnection exists (the controller creates it on `startPeer`). */
  readonly hasPeer: boolean;
}

/** Each state carries only its own data. */
export type CallState =
  | { readonly kind: 'home' }
  | { readonly kind: 'not-found' }
  | InCall
  | { readonly kind: 'ended'; readonly sessionId: string; readonly reason: EndReason }
  | { readonly kind: 'refused'; readonly sessionId: string; readonly code: ErrorCode };

export type CallEvent =
  | { type: 'start'; sessionId: string }
  | { type: 'bad-link' }
  | { type: 'signal-status'; status: 'connecting' | 'offline' }
  /**
   * `afterLoss`: the previous socket was given up because the server stopped answering, the
   * mark of a changed network (a new public address), which the media path has not survived either.
   */
  | { type: 'joined'; peer: boolean; resumed: boolean; afterLoss?: boolean }
  | { type: 'peer'; state: PeerState }
  /** An offer arrived while there is no peer connection (the other side restarted its page). */
  | { type: 'remote-offer-without-peer' }
  | { type: 'media'; link: 'connected' | 'interrupted' }
  | { type: 'remote-hangup'; reason?: string }
  | { type: 'hangup' }
  | { type: 'signal-error'; code: ErrorCode; duringJoin: boolean; resumed: boolean }
  | { type: 'go-home' };

export type Tone = 'info' | 'good' | 'warn';

export type Effect =
  | { type: 'open-signal'; sessionId: string }
  | { type: 'rejoin-fresh' }
  | { type: 'close-signal' }
  | { type: 'acquire-media' }
  | { type: 'release-media' }
  | { type: 'start-peer'; initiator: boolean; polite: boolean }
  /**
   * Waiting alone, the first to join: make the connection we will offer on now, so the other
   * person's arrival only starts the offer (the controller keeps it aside until `start-peer`).
   */
  | { type: 'prepare-peer' }
  | { type: 'close-peer' }
  | { type: 'replay-local' }
  /** Renew the media path now (new candidates from the network we are on). */
  | { type: 'restart-ice' }
  /** Offer ourselves unless the other side offers first (it may or may not know we are new). */
  | { type: 'offer-unless-offered' }
  | { type: 'send-hangup' }
  | { type: 'forget-resume' }
  | { type: 'set-url'; sessionId: string | null }
  | { type: 'wake-lock'; on: boolean }
  | { type: 'toast'; key: MessageKey; tone: Tone };

export interface Transition {
  state: CallState;
  effects: Effect[];
}

export const initialState: CallState = { kind: 'home' };

function assertNever(x: never): never {
  throw new Error(`unhandled: ${JSON.stringify(x)}`);
}

const toast = (key: MessageKey, tone: Tone = 'info'): Effect => ({ type: 'toast', key, tone });
const same = (state: CallState): Transition => ({ state, effects: [] });

/** Leaving a call for good: everything that was started is stopped, the token is forgotten. */
function end(call: InCall, reason: EndReason, extra: Effect[] = []): Transition {
  return {
    state: { kind: 'ended', sessionId: call.sessionId, reason },
    effects: [
      ...extra,
      { type: 'close-peer' },
      { type: 'close-signal' },
      { type: 'release-media' },
      { type: 'forget-resume' },
      { type: 'wake-lock', on: false },
    ],
  };
}

function endReasonOf(reason: string | undefined): EndReason {
  return reason === 'timeout' || reason === 'lifetime' ? reason : 'remote';
}

function onJoined(s: InCall, peer: boolean, resumed: boolean, afterLoss: boolean): Transition {
  const base: InCall = { ...s, fresh: false, signal: 'online' };
  const back: Effect[] = s.signal === 'offline' ? [toast('signalBack', 'good')] : [];
  if (resumed && s.hasPeer) {
    // Seed rule 4: back in our place; re-send our last description and candidates. The other
    // side treats what it already applied as a no-op, so this never breaks a live call.
    // After a silent loss our network has most likely changed: the browser would take many
    // seconds to find that its media path died with the old address, so renew it now.
    const renew: Effect[] = afterLoss ? [{ type: 'restart-ice' }] : [];
    return { state: base, effects: [...back, { type: 'replay-local' }, ...renew] };
  }
  if (resumed && peer) {
    // Our place was kept but this page has no connection (it was reloaded). If the server told
    // the other side `joined`, it offers now; if it said `back`, it thinks our old connection
    // lives on, so we offer after a moment. Waiting first avoids offer glare in the common case.
    return {
      state: { ...base, peer: 'present', hasPeer: true },
      effects: [...back, { type: 'start-peer', initiator: false, polite: true }, { type: 'offer-unless-offered' }],
    };
  }
  if (!resumed && peer) {
    // Second to join: wait for the first one's offer on a fresh connection.
    return {
      state: { ...base, first: false, peer: 'present', hasPeer: true, media: 'none' },
      effects: [...back, { type: 'close-peer' }, { type: 'start-peer', initiator: false, polite: true }],
    };
  }
  if (!resumed) {
    return {
      state: { ...base, first: true, peer: 'absent', hasPeer: false, media: 'none' },
      effects: [...back, { type: 'close-peer' }, { type: 'prepare-peer' }],
    };
  }
  return { state: { ...base, peer: 'absent' }, effects: back };
}

function onPeer(s: InCall, state: PeerState): Transition {
  switch (state) {
    case 'joined':
      // Roles from order: whoever is already here offers, on a fresh connection.
      return {
        state: { ...s, first: true, peer: 'present', hasPeer: true, media: 'none' },
        effects: [
          { type: 'close-peer' },
          { type: 'start-peer', initiator: true, polite: false },
          toast('peerJoined', 'good'),
        ],
      };
    case 'away':
      return { state: { ...s, peer: 'away' }, effects: [toast('peerAway', 'warn')] };
    case 'back': {
      // With a connection: re-send our last description, which may have gone to the socket the
      // other side lost (an ICE restart offer, say); what it already applied is a no-op.
      const restart: Effect[] = s.hasPeer
        ? [{ type: 'replay-local' }]
        : [{ type: 'start-peer', initiator: true, polite: !s.first }];
      return { state: { ...s, peer: 'present', hasPeer: true }, effects: [...restart, toast('peerBack', 'good')] };
    }
    case 'left':
      // The one who stays is "first" again and offers when somebody joins.
      return {
        state: { ...s, first: true, peer: 'absent', hasPeer: false, media: 'none' },
        effects: [{ type: 'close-peer' }, { type: 'prepare-peer' }, toast('peerLeft', 'warn')],
      };
    default:
      return assertNever(state);
  }
}

function onSignalError(s: InCall, e: Extract<CallEvent, { type: 'signal-error' }>): Transition {
  const refuse = (): Transition => ({
    state: { kind: 'refused', sessionId: s.sessionId, code: e.code },
    effects: end(s, 'session-ended').effects,
  });
  if (!e.duringJoin) {
    // Refusals of single frames (rate, queue) do not end a call; the user hears about it.
    return { state: s, effects: e.code === 'QUEUE_FULL' ? [toast('peerAway', 'warn')] : [] };
  }
  switch (e.code) {
    case 'SIGNAL_NOT_FOUND':
      // A token the server no longer knows (e.g. its secret changed): take a place anew.
      return e.resumed ? { state: s, effects: [{ type: 'forget-resume' }, { type: 'rejoin-fresh' }] } : refuse();
    case 'SESSION_ENDED':
      // A token left in this tab by an earlier call on the same link: the link starts a new one.
      if (e.resumed && s.fresh) return { state: s, effects: [{ type: 'forget-resume' }, { type: 'rejoin-fresh' }] };
      return end(s, 'session-ended');
    case 'SESSION_FULL':
    case 'BAD_SESSION_ID':
    case 'SERVER_BUSY':
      return refuse();
    default:
      return refuse();
  }
}

function inCall(s: InCall, event: CallEvent): Transition {
  switch (event.type) {
    case 'start':
    case 'bad-link':
      return same(s);
    case 'signal-status':
      if (event.status === 'offline' && s.signal !== 'offline') {
        return { state: { ...s, signal: 'offline' }, effects: [toast('signalLost', 'warn')] };
      }
      return same(event.status === 'connecting' && s.signal === 'online' ? { ...s, signal: 'connecting' } : s);
    case 'joined':
      return onJoined(s, event.peer, event.resumed, event.afterLoss === true);
    case 'peer':
      return onPeer(s, event.state);
    case 'remote-offer-without-peer':
      return {
        state: { ...s, hasPeer: true, peer: 'present' },
        effects: [{ type: 'start-peer', initiator: false, polite: true }],
      };
    case 'media':
      if (event.link === 'connected') {
        const effects: Effect[] = [{ type: 'wake-lock', on: true }];
        if (s.media !== 'connected') effects.push(toast('connected', 'good'));
        return { state: { ...s, media: 'connected', peer: 'present' }, effects };
      }
      if (s.media === 'connected') {
        return { state: { ...s, media: 'interrupted' }, effects: [toast('mediaReconnecting', 'warn')] };
      }
      return same(s);
    case 'remote-hangup':
      return end(s, endReasonOf(event.reason));
    case 'hangup':
      return end(s, 'local', [{ type: 'send-hangup' }]);
    case 'signal-error':
      return onSignalError(s, event);
    case 'go-home':
      return end(s, 'local', [{ type: 'send-hangup' }, { type: 'set-url', sessionId: null }]);
    default:
      return assertNever(event);
  }
}

function startCall(sessionId: string): Transition {
  const state: InCall = {
    kind: 'call',
    sessionId,
    fresh: true,
    first: false,
    signal: 'connecting',
    peer: 'absent',
    media: 'none',
    hasPeer: false,
  };
  return {
    state,
    // The socket first: joining is the longer path; the camera opens in parallel. The screen
    // stays awake from now on: waiting for the other person is part of the call.
    effects: [
      { type: 'set-url', sessionId },
      { type: 'open-signal', sessionId },
      { type: 'acquire-media' },
      { type: 'wake-lock', on: true },
    ],
  };
}

/** The call state machine: pure, no I/O, every state and event handled. */
export function transition(state: CallState, event: CallEvent): Transition {
  switch (state.kind) {
    case 'home':
    case 'ended':
    case 'refused':
    case 'not-found':
      if (event.type === 'start') return startCall(event.sessionId);
      if (event.type === 'bad-link') return same({ kind: 'not-found' });
      if (event.type === 'go-home') {
        return {
          state: { kind: 'home' },
          effects: state.kind === 'home' ? [] : [{ type: 'set-url', sessionId: null }],
        };
      }
      return same(state);
    case 'call':
      return inCall(state, event);
    default:
      return assertNever(state);
  }
}
