import type { Clock } from '../shared/clock.js';
import { CallController } from './core/call-controller.js';
import { jitteredBackoff } from './core/reconnect-policy.js';
import { readSessionLink, resumeKey } from './core/session-link.js';
import { AudioCues } from './media/audio-cues.js';
import { createAudioOutput } from './media/audio-output.js';
import { acquireMedia } from './media/local-media.js';
import { MEDIA_ERROR_TEXT } from './media/media-errors.js';
import { registerServiceWorker } from './pwa/register-sw.js';
import { PeerSession } from './rtc/peer-session.js';
import { SignalClient, type SocketLike, type TokenStore } from './signaling/signal-client.js';
import { createPrefs } from './prefs/local-prefs.js';
import { detectInAppBrowser } from './ui/browser-kind.js';

// The one place that touches browser globals and wires the parts together.

function localStore(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}
const prefs = createPrefs(localStore());

/** The resume token lives in this tab's sessionStorage, so a reload can take its place back. */
function tabTokens(sessionId: string): TokenStore {
  const key = resumeKey(sessionId);
  let memory: string | null = null;
  return {
    load: () => {
      try {
        return sessionStorage.getItem(key) ?? memory;
      } catch {
        return memory;
      }
    },
    save: (token) => {
      memory = token;
      try {
        sessionStorage.setItem(key, token);
      } catch {
        // Private mode: memory only.
      }
    },
    clear: () => {
      memory = null;
      try {
        sessionStorage.removeItem(key);
      } catch {
        // Nothing stored.
      }
    },
  };
}

let wakeLock: WakeLockSentinel | null = null;
let wantWakeLock = false;
async function setWakeLock(on: boolean): Promise<void> {
  wantWakeLock = on;
  if (!on) {
    await wakeLock?.release().catch(() => {});
    wakeLock = null;
  } else if (!wakeLock && 'wakeLock' in navigator && document.visibilityState === 'visible') {
    wakeLock = await navigator.wakeLock.request('screen').catch(() => null);
    wakeLock?.addEventListener('release', () => {
      wakeLock = null;
    });
  }
}

/**
 * A DTLS certificate, generated in the background while the page loads and joins: otherwise a
 * new RTCPeerConnection makes one and its first offer or answer waits for it. Each is used by
 * one connection only (its fingerprint is how the other side tells connections apart), and the
 * next is prepared at once.
 */
let certificate: RTCCertificate | null = null;
function prepareCertificate(): void {
  RTCPeerConnection.generateCertificate?.({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams).then(
    (c) => {
      certificate = c;
    },
    () => {},
  );
}
function takeCertificate(): RTCCertificate[] | undefined {
  const c = certificate;
  if (!c) return undefined;
  certificate = null;
  prepareCertificate();
  return c.expires > Date.now() + 86_400_000 ? [c] : undefined;
}

const signalUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
const controller = new CallController({
  createSignal: (sessionId, tokens) =>
    new SignalClient({
      url: signalUrl,
      sessionId,
      tokens,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      clock: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) },
      policy: jitteredBackoff(),
    }),
  createPeer: (options) => {
    const certificates = takeCertificate();
    return new PeerSession(certificates ? { ...options, certificates } : options);
  },
  tokensFor: tabTokens,
  acquireMedia: (choice) => acquireMedia(choice),
  mediaErrorText: (code) => MEDIA_ERROR_TEXT[code],
  setUrl: (sessionId) => history.replaceState(null, '', sessionId ? `/?session=${sessionId}` : '/'),
  wakeLock: (on) => void setWakeLock(on),
  log: (msg, err) => console.warn(`[homecall] ${msg}`, err ?? ''),
  clock: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
});

// The link is read before the first render, so the first screen is already the right one, and
// the camera and the signalling socket start now, while the UI's chunk is still loading.
// Inside a messenger's own browser the camera often fails: the page first says so, and joins only
// if the user chooses to stay, so it never holds the place the real browser will need.
const intent = readSessionLink(location.search);
const inAppName = detectInAppBrowser(navigator.userAgent);
if (intent.kind === 'join' && !inAppName) controller.dispatch({ type: 'start', sessionId: intent.sessionId });
else if (intent.kind === 'bad-link') controller.dispatch({ type: 'bad-link' });
if (typeof RTCPeerConnection !== 'undefined') prepareCertificate();

addEventListener('online', () => controller.networkChanged());
(navigator as Navigator & { connection?: EventTarget }).connection?.addEventListener('change', () =>
  controller.networkChanged(),
);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  controller.nudge();
  if (wantWakeLock) void setWakeLock(true);
});

const uiClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};

const root = document.getElementById('app');
if (root) {
  void import('./ui/mount.js').then(({ mount }) =>
    mount(root, controller, {
      env: {
        clock: uiClock,
        cues: new AudioCues({
          createContext: () => (typeof AudioContext === 'undefined' ? null : new AudioContext()),
          clock: uiClock,
          vibrate: (pattern) => navigator.vibrate?.(pattern),
        }),
        prefs,
        output: createAudioOutput(),
        userAgent: navigator.userAgent,
      },
      newSessionId: () => crypto.randomUUID(),
      openedFromLink: intent.kind === 'join',
      pendingJoin: intent.kind === 'join' && inAppName ? { sessionId: intent.sessionId, app: inAppName } : null,
    }),
  );
}

registerServiceWorker({
  isInCall: () => controller.isInCall,
  onCallEnd: (cb) => controller.subscribe(cb),
  onUpdateWaiting: () => controller.toasts.show('updateReady'),
  isConnecting: () => {
    const s = controller.view.state;
    // Still joining, or the other side is here and the media link is not up yet.
    return s.kind === 'call' && s.media === 'none' && (s.signal !== 'online' || s.peer !== 'absent');
  },
});
