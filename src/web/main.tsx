import { CallController } from './core/call-controller.js';
import { FirstRenderGate } from './core/first-render-gate.js';
import { jitteredBackoff } from './core/reconnect-policy.js';
import { readSessionLink, resumeKey } from './core/session-link.js';
import { AudioCues } from './media/audio-cues.js';
import { createAudioOutput } from './media/audio-output.js';
import { createBrowserMedia } from './media/browser-media.js';
import { MEDIA_ERROR_TEXT } from './media/media-errors.js';
import { registerServiceWorker } from './pwa/register-sw.js';
import { browserClock } from './platform/browser-clock.js';
import { CertificatePool } from './platform/certificate-pool.js';
import { ScreenWakeLock } from './platform/wake-lock.js';
import { PeerSession } from './rtc/peer-session.js';
import { SignalClient, type SocketLike, type TokenStore } from './signaling/signal-client.js';
import { createPrefs } from './prefs/local-prefs.js';
import { detectInAppBrowser } from './ui/in-app-browser.js';
import { affinityHint } from '../shared/affinity-hint.js';

// The one place that touches browser globals and wires the parts together.

function localStore(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

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

const clock = browserClock;
const wakeLock = new ScreenWakeLock({
  api: 'wakeLock' in navigator ? navigator.wakeLock : undefined,
  isVisible: () => document.visibilityState === 'visible',
});
const certificates = new CertificatePool({
  generate:
    typeof RTCPeerConnection !== 'undefined' && RTCPeerConnection.generateCertificate
      ? (keygen) => RTCPeerConnection.generateCertificate(keygen)
      : undefined,
  clock,
});

const signalUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
const controller = new CallController({
  createSignal: (sessionId, tokens) =>
    new SignalClient({
      // The hint lets a load balancer keep both participants on one node (README "Several nodes").
      url: `${signalUrl}?k=${affinityHint(sessionId)}`,
      sessionId,
      tokens,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      clock,
      policy: jitteredBackoff(),
    }),
  createPeer: (options) => {
    const certs = certificates.take();
    const send: typeof options.send = (signal) => {
      options.send(signal);
      if (signal.kind === 'description') firstRender.described();
    };
    return new PeerSession({ ...options, send, clock, ...(certs ? { certificates: certs } : {}) });
  },
  tokensFor: tabTokens,
  media: createBrowserMedia(),
  mediaErrorText: (code) => MEDIA_ERROR_TEXT[code],
  setUrl: (sessionId) => {
    const url = sessionId ? `/?session=${sessionId}` : '/';
    // A page opened by its link already shows it: replacing it would be a same-document
    // navigation, a round trip to the browser ahead of the socket and the camera (issue 11).
    if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
  },
  wakeLock: (on) => void wakeLock.set(on),
  log: (msg, err) => console.warn(`[homecall] ${msg}`, err ?? ''),
  clock,
});

// The link is read before the first render, so the first screen is already the right one, and
// the camera and the signalling socket start now, while the UI's chunk is still loading.
// Inside a messenger's own browser the camera often fails: the page first says so, and joins only
// if the user chooses to stay, so it never holds the place the real browser will need.
const intent = readSessionLink(location.search);
const inAppName = detectInAppBrowser(navigator.userAgent);
if (intent.kind === 'join' && !inAppName) controller.dispatch({ type: 'start', sessionId: intent.sessionId });
else if (intent.kind === 'bad-link') controller.dispatch({ type: 'bad-link' });
// The UI's chunk loads once the call's first steps no longer need the main thread; 400 ms at the
// latest, so a permission prompt or a slow peer never leaves the page blank.
const firstRender = new FirstRenderGate({ source: controller, clock, capMs: 400 });
// Outside a call the device list is read at once; in a call, once the camera is open.
if (!controller.isInCall) void controller.devicesChanged();
certificates.prepare();

addEventListener('online', () => controller.networkChanged());
(navigator as Navigator & { connection?: EventTarget }).connection?.addEventListener('change', () =>
  controller.networkChanged(),
);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  controller.nudge();
  wakeLock.pageVisible();
});
navigator.mediaDevices?.addEventListener?.('devicechange', () => void controller.devicesChanged());

const root = document.getElementById('app');
if (root) {
  void firstRender.opened
    .then(() => import('./ui/mount.js'))
    .then(({ mount }) =>
      mount(root, controller, {
        env: {
          clock: clock,
          cues: new AudioCues({
            createContext: () => (typeof AudioContext === 'undefined' ? null : new AudioContext()),
            clock: clock,
            vibrate: (pattern) => navigator.vibrate?.(pattern),
          }),
          // Opened here, not at start: the first use of localStorage is a synchronous round trip to
          // the browser (5-11 ms on the joining page before the socket and the camera started).
          prefs: createPrefs(localStore()),
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
  clock,
  isInCall: () => controller.isInCall,
  onCallEnd: (cb) => controller.subscribe(cb),
  onUpdateWaiting: () => controller.toasts.show('updateReady'),
  isConnecting: () => {
    const s = controller.view.state;
    // Still joining, or the other side is here and the media link is not up yet.
    return s.kind === 'call' && s.media === 'none' && (s.signal !== 'online' || s.peer !== 'absent');
  },
});
