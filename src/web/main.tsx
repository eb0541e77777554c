import { CallController } from './core/call-controller.js';
import { jitteredBackoff } from './core/reconnect-policy.js';
import { readSessionLink, resumeKey } from './core/session-link.js';
import type { Lang } from './i18n/i18n.js';
import { acquireMedia } from './media/local-media.js';
import { MEDIA_ERROR_TEXT } from './media/media-errors.js';
import { registerServiceWorker } from './pwa/register-sw.js';
import { PeerSession } from './rtc/peer-session.js';
import { SignalClient, type SocketLike, type TokenStore } from './signaling/signal-client.js';
import { affinityHint } from '../shared/affinity-hint.js';

// The one place that touches browser globals and wires the parts together.

const LANG_KEY = 'homecall.lang';

function storedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY);
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
      // The hint lets a load balancer keep both participants on one node (README "Several nodes").
      url: `${signalUrl}?k=${affinityHint(sessionId)}`,
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
const intent = readSessionLink(location.search);
if (intent.kind === 'join') controller.dispatch({ type: 'start', sessionId: intent.sessionId });
else if (intent.kind === 'bad-link') controller.dispatch({ type: 'bad-link' });
if (typeof RTCPeerConnection !== 'undefined') prepareCertificate();

addEventListener('online', () => controller.networkChanged());
addEventListener('offline', () => controller.toasts.show('offline', 'warn'));
(navigator as Navigator & { connection?: EventTarget }).connection?.addEventListener('change', () =>
  controller.networkChanged(),
);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  controller.nudge();
  if (wantWakeLock) void setWakeLock(true);
});

const root = document.getElementById('app');
if (root) {
  void import('./ui/mount.js').then(({ mount }) =>
    mount(root, controller, {
      storedLang: storedLang(),
      onLanguage: (lang: Lang) => {
        try {
          localStorage.setItem(LANG_KEY, lang);
        } catch {
          // Not persisted; fine.
        }
      },
      newSessionId: () => crypto.randomUUID(),
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
